"""wordbridge: French->English seq2seq translation and DeViSE visual-semantic search."""

__version__ = "0.1.0"
