"""The data-preparation pipeline (`wordbridge prepare`): corpus -> filters -> tokens -> splits -> vocab -> ids -> vectors.

`prepare(cfg, out_dir)` streams the corpus through the filters (each counts what it removed), tokenises both sides
(in `processes` worker processes), truncates to the lesson's length percentiles (97th French, 99th English; `_eos_`
kept), splits train/valid/test deterministically (seed 42), builds both vocabularies from train, writes ids as ragged
.npy, raw lines for BLEU, embedding matrices where word vectors exist, the resolved config and stats.json — all in a
temp folder renamed into place at the end, so a failure leaves nothing behind. The layout is in docs/INTERFACES.md.
"""

import dataclasses
import inspect
import itertools
import logging
import time
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from tqdm import tqdm

from wordbridge.atomic import atomic_dir, write_json, write_text
from wordbridge.config import dump_yaml
from wordbridge.errors import AssetError, ConfigError, DataError
from wordbridge.text import corpora
from wordbridge.text import filters as filters_mod
from wordbridge.text.config import PrepareConfig, validate
from wordbridge.text.prepared import SPLITS
from wordbridge.text.ragged import save_ragged
from wordbridge.text.tokenize import SentencePieceTokenizer, SpacyTokenizer, Tokenizer, gc_paused, save_tokenizer_config
from wordbridge.text.vectors import EN_ASSET, FR_ASSET, embedding_matrix, load_vectors
from wordbridge.text.vocab import Vocab

log = logging.getLogger(__name__)

# -------------------------------------------------------------------------------------------------- reading
_READERS = {"tsv": corpora.read_tsv, "gettext": corpora.read_gettext, "bible": corpora.read_bible,
            "help": corpora.read_help}


def open_pairs(cfg: PrepareConfig) -> Iterator[tuple[str, str]]:
    """The configured corpus as a stream of (source, target) pairs (corpus-level dedup is left to filters)."""
    if cfg.src is not None:
        return corpora.read_pairs(cfg.src, cfg.tgt)
    options = dict(cfg.corpus_options)
    if cfg.format == "auto":
        if cfg.corpus in corpora.CORPORA and "dedup_pairs" in _params(corpora.CORPORA[cfg.corpus].open):
            options.setdefault("dedup_pairs", False)
        return corpora.open_corpus(cfg.corpus, **options)
    if not Path(cfg.corpus).exists():
        raise DataError(f"File not found: {cfg.corpus} (data.format '{cfg.format}' needs a path)")
    try:
        return _READERS[cfg.format](cfg.corpus, **options)
    except TypeError:
        raise ConfigError(f"Invalid data.corpus_options {options} for format '{cfg.format}'.") from None


def _params(fn) -> list[str]:
    return list(inspect.signature(fn).parameters)


def read_and_filter(cfg: PrepareConfig) -> tuple[list[tuple[str, str]], int, dict[str, int]]:
    """(kept pairs, pairs read, removed per filter) — streamed, so only the kept pairs are held in memory."""
    flist = filters_mod.make_filters(list(cfg.filters), max_words=cfg.max_words, max_ratio=cfg.max_ratio)
    stream: Iterable[tuple[str, str]] = open_pairs(cfg)
    if cfg.max_pairs is not None:
        stream = itertools.islice(stream, cfg.max_pairs)
    read = 0

    def counted(pairs: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str]]:
        nonlocal read
        for pair in tqdm(pairs, desc="read+filter", unit=" pairs", disable=None, leave=False, mininterval=1):
            read += 1
            yield pair

    kept = list(filters_mod.apply_filters(counted(stream), flist))
    removed = filters_mod.report(flist)
    if not kept:
        raise DataError(f"No sentence pairs left: {read} read, removed by filters {removed}.")
    return kept, read, removed


# ----------------------------------------------------------------------------------------------- tokenising
def make_tokenizers(
    cfg: PrepareConfig, folder: Path, train_pairs: list[tuple[str, str]]
) -> tuple[Tokenizer, Tokenizer]:
    """spaCy tokenizers, or sentencepiece models trained on the train split and saved as folder/spm.{src,tgt}.model."""
    if cfg.tokenizer == "spacy":
        return SpacyTokenizer(cfg.src_lang, cfg.lowercase), SpacyTokenizer(cfg.tgt_lang, cfg.lowercase)
    sides = []
    for i, (side, lang) in enumerate((("src", cfg.src_lang), ("tgt", cfg.tgt_lang))):
        sides.append(SentencePieceTokenizer.train(
            (p[i] for p in train_pairs), folder / f"spm.{side}.model", vocab_size=cfg.spm_vocab_size, lang=lang,
            lowercase=cfg.lowercase, threads=cfg.processes))
    return sides[0], sides[1]


def truncate(tokens: list[list[str]], percentile: float) -> tuple[list[list[str]], dict]:
    """Cut token lists so that with `_eos_` they are at most the given percentile of lengths (the lesson's)."""
    lengths = np.array([len(t) + 1 for t in tokens])  # +1: _eos_
    max_len = max(2, int(np.percentile(lengths, percentile)))
    cut = [t[: max_len - 1] for t in tokens]
    info = {"percentile": percentile, "max_len": max_len, "truncated": int((lengths > max_len).sum()),
            "mean": round(float(lengths.mean()), 2), "p50": int(np.percentile(lengths, 50)),
            "max_before": int(lengths.max())}
    return cut, info


def split_indices(n: int, valid_fraction: float, test_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """Deterministic shuffle (seed) into test, valid, train; each split keeps corpus order."""
    perm = np.random.default_rng(seed).permutation(n)
    n_test, n_valid = int(round(n * test_fraction)), int(round(n * valid_fraction))
    if n - n_test - n_valid < 1:
        raise DataError(f"Only {n} pairs: too few for valid_fraction {valid_fraction} and test_fraction "
                        f"{test_fraction}; lower them or use more data.")
    parts = {"test": perm[:n_test], "valid": perm[n_test : n_test + n_valid], "train": perm[n_test + n_valid :]}
    return {name: np.sort(parts[name]) for name in SPLITS}


# ------------------------------------------------------------------------------------------------- vectors
def _strip_piece_mark(piece: str) -> str:
    """sentencepiece's word-start mark off (`▁maison` -> `maison`) to look a piece up in word vectors."""
    return piece[1:] if piece.startswith("▁") and len(piece) > 1 else piece


def build_embeddings(cfg: PrepareConfig, vocabs: dict[str, Vocab], folder: Path) -> dict[str, dict]:
    """emb.{src,tgt}.npy where vectors load; ONE warning line naming what is missing; reports per side."""
    reports: dict[str, dict] = {}
    missing: list[str] = []
    for side, source in (("src", cfg.src_vectors), ("tgt", cfg.tgt_vectors)):
        if source is None:
            reports[side] = {"source": None, "coverage": 0.0}
            continue
        try:
            wv = load_vectors(source)
        except AssetError:
            missing.append(source)
            reports[side] = {"source": source, "coverage": 0.0, "error": "not fetched"}
            continue
        key = _strip_piece_mark if cfg.tokenizer == "sentencepiece" else None
        matrix, reports[side] = embedding_matrix(vocabs[side], wv, seed=cfg.seed, name=side, key=key)
        np.save(folder / f"emb.{side}.npy", matrix)
    if missing:
        assets = {"fr": FR_ASSET, "en": EN_ASSET}
        log.warning("warning: no word vectors for %s (run `wordbridge fetch %s`); those embeddings start random, "
                    "coverage 0", ", ".join(missing), " ".join(assets.get(m, m) for m in missing))
    return reports


# ---------------------------------------------------------------------------------------------------- main
def prepare(cfg: PrepareConfig, out_dir: str | Path | None = None, overwrite: bool = False) -> dict:
    """Run the whole stage into `out_dir` (default cfg.out); returns the stats written to stats.json."""
    validate(cfg)
    out = Path(out_dir if out_dir is not None else cfg.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise DataError(f"Output folder {out} already exists; pass --overwrite to replace it.")
    with gc_paused():  # millions of token lists, no cycles: the cyclic GC would only cost time
        return _prepare(cfg, out, overwrite)


def _prepare(cfg: PrepareConfig, out: Path, overwrite: bool) -> dict:
    t0 = time.perf_counter()
    pairs, pairs_read, removed = read_and_filter(cfg)
    t_read = time.perf_counter()
    index = split_indices(len(pairs), cfg.valid_fraction, cfg.test_fraction, cfg.seed)
    with atomic_dir(out, overwrite=overwrite) as tmp:
        tokens, lengths, t_tok = _tokenize(cfg, tmp, pairs, index)
        vocabs = {side: Vocab.build([tokens[side][i] for i in index["train"]], cfg.max_vocab, cfg.min_freq)
                  for side in ("src", "tgt")}
        for side, vocab in vocabs.items():
            vocab.save(tmp / f"vocab.{side}.json")
        _write_splits(tmp, pairs, tokens, vocabs, index)
        vectors = build_embeddings(cfg, vocabs, tmp)
        save_tokenizer_config(tmp, cfg.tokenizer, cfg.lowercase, cfg.src_lang, cfg.tgt_lang)
        write_text(tmp / "config.yaml", dump_yaml({"data": dataclasses.replace(cfg, out=str(out))}))
        stats = {
            "pairs_read": pairs_read, "pairs_kept": len(pairs), "src_vocab": len(vocabs["src"]),
            "tgt_vocab": len(vocabs["tgt"]), "src_coverage": vectors["src"]["coverage"],
            "tgt_coverage": vectors["tgt"]["coverage"], "filters": list(cfg.filters), "removed": removed,
            "splits": {name: int(len(idx)) for name, idx in index.items()}, "lengths": lengths,
            "tokenizer": cfg.tokenizer, "lowercase": cfg.lowercase, "vectors": vectors,
            "corpus": f"{cfg.src} + {cfg.tgt}" if cfg.src else cfg.corpus,
            "seconds": {"read_filter": round(t_read - t0, 2), "tokenize": round(t_tok, 2),
                        "total": round(time.perf_counter() - t0, 2)},
        }
        write_json(tmp / "stats.json", stats)
    return stats


def _tokenize(cfg: PrepareConfig, folder: Path, pairs: list, index: dict) -> tuple[dict, dict, float]:
    t0 = time.perf_counter()
    src_tok, tgt_tok = make_tokenizers(cfg, folder, [pairs[i] for i in index["train"]])
    log.info("tokenising %d pairs (%s, %d processes)", len(pairs), cfg.tokenizer, cfg.processes)
    tokens = {"src": src_tok.tokenize_many([p[0] for p in pairs], processes=cfg.processes),
              "tgt": tgt_tok.tokenize_many([p[1] for p in pairs], processes=cfg.processes)}
    seconds = time.perf_counter() - t0
    lengths = {}
    tokens["src"], lengths["src"] = truncate(tokens["src"], cfg.src_len_percentile)
    tokens["tgt"], lengths["tgt"] = truncate(tokens["tgt"], cfg.tgt_len_percentile)
    return tokens, lengths, seconds


def _write_splits(folder: Path, pairs: list, tokens: dict, vocabs: dict, index: dict) -> None:
    for name, idx in index.items():
        for col, side in enumerate(("src", "tgt")):
            save_ragged(folder / f"{name}.{side}", [vocabs[side].encode(tokens[side][i]) for i in idx])
            lines = (" ".join(pairs[i][col].splitlines()) for i in idx)
            write_text(folder / f"{name}.{side}.txt", "".join(line + "\n" for line in lines))


# ----------------------------------------------------------------------------------------------- printing
def format_stats(stats: dict) -> str:
    """stats.json as a small readable table."""
    rows = [("pairs read", f"{stats['pairs_read']:,}")]
    rows += [(f"  removed by {name}", f"{n:,}") for name, n in stats["removed"].items()]
    rows += [("pairs kept", f"{stats['pairs_kept']:,}"),
             ("splits (train/valid/test)", "/".join(f"{stats['splits'][s]:,}" for s in SPLITS))]
    for side, label in (("src", "source"), ("tgt", "target")):
        ln, vec = stats["lengths"][side], stats["vectors"][side]
        found = f"{vec['found']:,}/{vec['words']:,}" if "found" in vec else "-"
        rows += [(f"{label} vocab", f"{stats[f'{side}_vocab']:,}"),
                 (f"{label} coverage ({vec.get('source') or 'no vectors'})",
                  f"{100 * stats[f'{side}_coverage']:.1f}% ({found})"),
                 (f"{label} max len (p{ln['percentile']:g})", f"{ln['max_len']} ({ln['truncated']:,} truncated)")]
    rows += [("tokenizer", f"{stats['tokenizer']}{' lowercase' if stats['lowercase'] else ''}"),
             ("seconds (read+filter / tokenise / total)",
              " / ".join(f"{stats['seconds'][k]:.1f}" for k in ("read_filter", "tokenize", "total")))]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)

