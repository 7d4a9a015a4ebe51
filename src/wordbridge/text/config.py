"""Typed configuration of the data-preparation stage: the `data:` section of a config (configs/default.yaml documents
every key), and the checks that reject impossible settings before any work."""

import dataclasses
from typing import Any, Literal, get_args

from wordbridge import defaults
from wordbridge.errors import ConfigError
from wordbridge.text import filters as filters_mod
from wordbridge.text import pair_similarity
from wordbridge.text.direction import Direction
from wordbridge.text.extra_sources import ExtraSource
from wordbridge.text.tokenize import TokenizerKind

CorpusFormat = Literal["auto", "aligned", "tsv", "gettext", "bible", "help"]
CORPUS_FORMATS: tuple[str, ...] = get_args(CorpusFormat)


@dataclasses.dataclass(frozen=True)
class PrepareConfig:
    """The `data:` section of a config (configs/default.yaml documents every key)."""

    corpus: str = "default"  # a named corpus (corpora.CORPORA) or a path; ignored when src and tgt are given
    corpus_options: dict[str, Any] = dataclasses.field(default_factory=dict)  # e.g. {english: k, french: o}
    src: str | None = None  # line-aligned source (French) file, giga-fren style
    tgt: str | None = None  # line-aligned target (English) file
    format: CorpusFormat = "auto"
    sources: tuple[str, ...] | None = None  # corpus default only: its sources to read (None: all of them)
    max_per_source: int | None = 40000  # at most this many pairs kept from one source (None: no cap)
    max_pairs: int | None = None  # read at most this many pairs (None: all)
    filters: tuple[str, ...] = ("dedup", "max_length", "length_ratio")
    max_words: int = 30  # max_length filter: words per side
    max_ratio: float = 3.0  # length_ratio filter: longer/shorter word count
    min_pair_similarity: float = pair_similarity.DEFAULT_MIN_SIMILARITY  # similarity filter: least cosine of the sides
    similarity_sources: tuple[str, ...] = pair_similarity.DEFAULT_SOURCES  # similarity filter: sources it scores
    lowercase: bool = False  # keep case: the model learns to write "Where is the file?"
    tokenizer: TokenizerKind = defaults.TOKENIZER  # type: ignore[assignment]
    spm_vocab_size: int = 8000
    shared_pieces: bool = False  # sentencepiece only: one model and one vocabulary for both languages
    processes: int = 2
    max_vocab: int = 40000
    min_freq: int = 1
    src_len_percentile: float = 97.0
    tgt_len_percentile: float = 99.0
    valid_fraction: float = 0.1
    test_fraction: float = 0.05
    seed: int = 42
    src_lang: str = "fr"
    tgt_lang: str = "en"
    src_vectors: str | None = "fr"  # "fr" (spaCy), "en" (fetched fastText), a .bin/.vec path, or null
    tgt_vectors: str | None = "en"
    out: str = defaults.PREPARED_DIR
    direction: Direction = "fr-en"  # en-fr: the reverse model (text/direction.py swaps langs, vectors and pairs)
    extra_sources: tuple[ExtraSource, ...] = ()  # train-only sources, e.g. a back-translated corpus (extra_sources.py)


def validate(cfg: PrepareConfig) -> None:
    """Reject impossible settings before any work, each with one line naming the key."""
    if (cfg.src is None) != (cfg.tgt is None):
        raise ConfigError("data.src and data.tgt go together: give both aligned files (--src FILE --tgt FILE).")
    if cfg.src is not None and cfg.format not in ("auto", "aligned"):
        raise ConfigError(f"data.format '{cfg.format}' does not apply to --src/--tgt files. Valid: auto, aligned.")
    if cfg.src is None and cfg.format == "aligned":
        raise ConfigError("data.format 'aligned' needs data.src and data.tgt.")
    checks = [
        (0 <= cfg.valid_fraction < 1 and 0 <= cfg.test_fraction < 1, "valid_fraction and test_fraction in [0, 1)"),
        (cfg.valid_fraction + cfg.test_fraction < 1, "valid_fraction + test_fraction < 1"),
        (0 < cfg.src_len_percentile <= 100 and 0 < cfg.tgt_len_percentile <= 100, "length percentiles in (0, 100]"),
        (cfg.max_vocab >= 1 and cfg.min_freq >= 1 and cfg.processes >= 1, "max_vocab, min_freq, processes >= 1"),
        (cfg.max_pairs is None or cfg.max_pairs >= 1, "max_pairs >= 1 or null"),
        (cfg.max_per_source is None or cfg.max_per_source >= 1, "max_per_source >= 1 or null"),
        (cfg.spm_vocab_size >= 8, "spm_vocab_size >= 8"),
    ]
    for ok, rule in checks:
        if not ok:
            raise ConfigError(f"Invalid data section: need {rule}.")
    if cfg.shared_pieces and cfg.tokenizer != "sentencepiece":
        raise ConfigError(f"data.shared_pieces needs data.tokenizer: sentencepiece, not {cfg.tokenizer}.")
    filters_mod.make_filters(list(cfg.filters), **filter_params(cfg))


def filter_params(cfg: PrepareConfig) -> dict:
    """The keyword parameters of the filters, from the data section."""
    return {"max_words": cfg.max_words, "max_ratio": cfg.max_ratio, "min_pair_similarity": cfg.min_pair_similarity,
            "similarity_sources": cfg.similarity_sources}
