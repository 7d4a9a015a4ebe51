"""One module per CLI subcommand: parse arguments, load config, call ONE library function.

SUMMARIES is the one-line help of each command, in the order `wordbridge --help` lists them; the CLI shows it
without importing the command's module (so that `wordbridge --help` loads no model code), and each module's
`register` uses it for its own parser."""

SUMMARIES = {
    "fetch": "fetch and cache the offline data and models (text and image assets)",
    "prepare": "corpus -> filters -> tokens -> vocab -> ids + word vectors (a prepared data folder)",
    "train": "train a translation model on a prepared data folder (--data, or data.out of the config)",
    "lr-find": "LR range test for the translation model: saves a plot and prints a suggestion",
    "average": "mean of a run's last N saved weights as a new run folder (checkpoint averaging)",
    "distill": "sequence-level knowledge distillation: a teacher's translations as new training targets",
    "evaluate": "BLEU, chrF, masked loss and perplexity of a trained run",
    "translate": "translate French text with a trained run",
    "backtranslate": "English sentences -> machine French with an en-fr run: a synthetic training corpus",
    "export": "export a Transformer run to CTranslate2 for fast CPU serving",
    "devise": "DeViSE: train, index images, search by image or words, evaluate",
    "serve": "web page + REST API over a translation run (and a DeViSE index)",
}


def module_name(command: str) -> str:
    """`lr-find` -> `wordbridge.commands.lr_find`."""
    return f"{__name__}.{command.replace('-', '_')}"
