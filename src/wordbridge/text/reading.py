"""The reading step of `wordbridge prepare`: the configured corpus -> filtered pairs, each remembering its source.

A multi-source corpus (`default`) is read one source after the other through the SAME filters, so deduplication
spans sources (a pair kept from an earlier source is a duplicate in a later one) while every count stays per source:
pairs read, kept, removed by each filter, files skipped, and whether `data.max_per_source` cut the source short.
"""

import inspect
import itertools
import logging
from pathlib import Path
from typing import Iterator

from tqdm import tqdm

from wordbridge import progress
from wordbridge.errors import ConfigError, DataError
from wordbridge.text import corpora, named_corpora
from wordbridge.text import filters as filters_mod
from wordbridge.text.config import PrepareConfig, filter_params
from wordbridge.text.help_pages import Pair
from wordbridge.text.skips import SkipCounter

log = logging.getLogger(__name__)

_READERS = {"tsv": corpora.read_tsv, "gettext": corpora.read_gettext, "bible": corpora.read_bible,
            "help": corpora.read_help}


def source_name(cfg: PrepareConfig) -> str:
    """What a single-source corpus is called in stats and split files."""
    if cfg.src is not None:
        return Path(cfg.src).name
    return cfg.corpus if cfg.corpus in named_corpora.CORPORA else Path(cfg.corpus).name


def open_streams(cfg: PrepareConfig, skips: SkipCounter) -> list[named_corpora.Stream]:
    """The configured corpus as (source, pairs) streams: one per source for `default`, else one."""
    if cfg.src is not None:
        return [(source_name(cfg), corpora.read_pairs(cfg.src, cfg.tgt))]
    options = dict(cfg.corpus_options)
    if cfg.format == "auto" and cfg.corpus == "default":
        unknown = [k for k in options if k not in ("english", "french")]
        if unknown:
            raise ConfigError(f"Unknown option for corpus 'default' '{unknown[0]}'. Valid: english, french")
        return named_corpora.open_sources(cfg.sources, on_skip_for=skips.for_source, **options)
    if cfg.format == "auto":
        if cfg.corpus in named_corpora.CORPORA:
            options.setdefault("on_skip", skips.for_source(cfg.corpus))
        return [(source_name(cfg), named_corpora.open_corpus(cfg.corpus, dedup_pairs=False, **options))]
    if not Path(cfg.corpus).exists():
        raise DataError(f"File not found: {cfg.corpus} (data.format '{cfg.format}' needs a path)")
    reader = _READERS[cfg.format]
    if any(k not in inspect.signature(reader).parameters for k in options):
        raise ConfigError(f"Invalid data.corpus_options {options} for format '{cfg.format}'.")
    return [(source_name(cfg), reader(cfg.corpus, **options))]


def read_and_filter(cfg: PrepareConfig) -> tuple[list[Pair], list[str], int, dict[str, int], dict[str, dict]]:
    """(kept pairs, their sources, pairs read, removed per filter, per-source counts), streamed: only the kept
    pairs are held in memory."""
    flist = filters_mod.make_filters(list(cfg.filters), **filter_params(cfg))
    skips = SkipCounter()
    streams = open_streams(cfg, skips)
    kept: list[Pair] = []
    sources: list[str] = []
    per_source: dict[str, dict] = {}
    budget = cfg.max_pairs  # pairs still to read in all (None: no limit)
    bar = progress.bar(desc="read+filter", unit=" pairs", leave=False, mininterval=1)
    for name, stream in streams:
        before = filters_mod.report(flist)
        counts = {"read": 0, "kept": 0, "capped": False}
        for f in flist:
            f.for_source(name)
        if budget is not None:
            stream = itertools.islice(stream, budget)
        for pair in filters_mod.apply_filters(_counted(stream, counts, bar), flist):
            if cfg.max_per_source is not None and counts["kept"] >= cfg.max_per_source:
                counts["capped"] = True
                break
            kept.append(pair)
            sources.append(name)
            counts["kept"] += 1
        counts["removed"] = {k: v - before[k] for k, v in filters_mod.report(flist).items()}
        counts["skipped_files"] = skips.counts.get(name, 0)
        per_source[name] = counts
        log.info("  %-18s %8d read, %8d kept%s", name, counts["read"], counts["kept"],
                 f" (capped at data.max_per_source={cfg.max_per_source})" if counts["capped"] else "")
        if budget is not None:
            budget -= counts["read"]
            if budget <= 0:
                break
    bar.close()
    read = sum(c["read"] for c in per_source.values())
    removed = filters_mod.report(flist)
    if not kept:
        raise DataError(f"No sentence pairs left: {read} read, removed by filters {removed}.")
    return kept, sources, read, removed, per_source


def _counted(pairs: Iterator[Pair], counts: dict, bar: tqdm) -> Iterator[Pair]:
    for pair in pairs:
        counts["read"] += 1
        bar.update()
        yield pair
