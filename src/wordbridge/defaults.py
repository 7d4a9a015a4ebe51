"""The user-facing defaults, declared once: the CLI (`translate`, `evaluate`, `serve`, `prepare`, `train`), the web
page (through the API's /health) and scripts/demo.sh all read them from here, so that the same sentence translates
the same way everywhere. Torch-free and import-free: the lowest layer."""

from typing import Literal, get_args

BEAM = 5  # beam size of `translate`, `evaluate`, the page and the API (1 = greedy)
INT8: bool | None = None  # None: a GRU decoding on the CPU uses dynamic int8 weights (~2x faster), else fp32
TOKENIZER = "sentencepiece"  # `prepare`'s tokenizer (won over spaCy words in benchmarks/corpus_vocab.py)
PREPARED_DIR = "runs/prepared/default"  # where `prepare` writes and `train` reads the prepared data
CONFIG = "default"  # the packaged config a README command names (src/wordbridge/configs/default.yaml)

Engine = Literal["auto", "torch", "ctranslate2"]
ENGINES: tuple[str, ...] = get_args(Engine)  # decoding engines of translate / evaluate / serve
MAX_LINE_CHARS = 10_000  # `translate` refuses a longer input line (a paragraph is ~1,000); longer ones are split
PROGRESS_SECONDS = 30.0  # without a terminal, progress is one log line at most this often (progress.py)
