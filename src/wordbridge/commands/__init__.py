"""One module per CLI subcommand: parse arguments, load config, call ONE library function."""
