"""The data-preparation pipeline (`wordbridge prepare`): corpus -> filters -> tokens -> splits -> vocab -> ids -> vectors.

`prepare(cfg, out_dir)` streams the corpus through the filters (text/reading.py: counts per source), tokenises both
sides (in `processes` worker processes), truncates to the lesson's length percentiles (97th French, 99th English;
`_eos_` kept), splits train/valid/test by a hash of each pair (seed 42), builds both vocabularies from train, writes
ids as ragged .npy, raw lines and each pair's source (BLEU per source), embedding matrices where word vectors exist,
the resolved config and stats.json — all in a temp folder renamed into place at the end, so a failure leaves nothing
behind. The layout is in docs/architecture.md.
"""

import dataclasses
import hashlib
import logging
import time
from pathlib import Path
from typing import Iterable

import numpy as np

from wordbridge.atomic import atomic_dir, write_json, write_text
from wordbridge.config import dump_yaml
from wordbridge.errors import AssetError, DataError
from wordbridge.text import direction, piece_vectors
from wordbridge.text.config import PrepareConfig, validate
from wordbridge.text.extra_sources import add_extra, tag_tokens
from wordbridge.text.prepared import SPLITS
from wordbridge.text.ragged import save_ragged
from wordbridge.text.reading import read_and_filter
from wordbridge.text.tokenize import SentencePieceTokenizer, SpacyTokenizer, Tokenizer, gc_paused, save_tokenizer_config
from wordbridge.text.vectors import EN_ASSET, FR_ASSET, embedding_matrix, load_vectors
from wordbridge.text.vocab import Vocab

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------- tokenising
def make_tokenizers(
    cfg: PrepareConfig, folder: Path, train_pairs: list[tuple[str, str]]
) -> tuple[Tokenizer, Tokenizer]:
    """spaCy tokenizers, or sentencepiece models trained on the train split and saved as folder/spm.{src,tgt}.model."""
    if cfg.tokenizer == "spacy":
        return SpacyTokenizer(cfg.src_lang, cfg.lowercase), SpacyTokenizer(cfg.tgt_lang, cfg.lowercase)
    if cfg.shared_pieces:  # one model for both languages, saved under both names (load_tokenizers reads two)
        texts = (side for pair in train_pairs for side in pair)
        shared = SentencePieceTokenizer.train(texts, folder / "spm.src.model", vocab_size=cfg.spm_vocab_size,
                                              lang=cfg.src_lang, lowercase=cfg.lowercase, threads=cfg.processes)
        (folder / "spm.tgt.model").write_bytes(shared.model_path.read_bytes())
        return shared, SentencePieceTokenizer(folder / "spm.tgt.model", cfg.tgt_lang, cfg.lowercase)
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


def pair_hash(pair: tuple[str, str], seed: int) -> float:
    """A pair's place in [0, 1): a hash of its text, the same whatever else the corpus holds."""
    digest = hashlib.blake2b(f"{seed}\x00{pair[0]}\x00{pair[1]}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def split_indices(pairs: list[tuple[str, str]], valid_fraction: float, test_fraction: float,
                  seed: int) -> dict[str, np.ndarray]:
    """test / valid / train by each pair's hash (below test_fraction: test; then valid): deterministic, and a pair
    lands in the same split in every corpus that holds it, so models prepared from different mixes are scored on
    held-out pairs none of them trained on; copies of a pair share its split. Each split keeps corpus order; sizes
    are the fractions up to chance (a split with a fraction > 0 gets at least one pair)."""
    where = np.array([pair_hash(p, seed) for p in pairs])
    valid_end = test_fraction + valid_fraction
    parts = {"test": where < test_fraction, "valid": (where >= test_fraction) & (where < valid_end)}
    parts["train"] = ~(parts["test"] | parts["valid"])
    for name, fraction in (("test", test_fraction), ("valid", valid_fraction)):
        if fraction > 0 and not parts[name].any() and parts["train"].any():  # a tiny corpus: at least one pair
            lowest = where == where[parts["train"]].min()  # (every copy of it, so that no copy is trained on)
            parts[name], parts["train"] = lowest, parts["train"] & ~lowest
    if not parts["train"].any():
        raise DataError(f"Only {len(pairs)} pairs: too few for valid_fraction {valid_fraction} and test_fraction "
                        f"{test_fraction}; lower them or use more data.")
    return {name: np.flatnonzero(parts[name]) for name in SPLITS}


def build_vocabs(cfg: PrepareConfig, tokens: dict, train: np.ndarray) -> dict[str, Vocab]:
    """Each side's vocabulary from its train tokens; with shared_pieces one vocabulary of both sides' tokens, so
    that a piece has the same id in source and target (what tied source / target embeddings need)."""
    if cfg.shared_pieces:
        both = Vocab.build([tokens[side][i] for side in ("src", "tgt") for i in train], cfg.max_vocab, cfg.min_freq)
        return {"src": both, "tgt": both}
    return {side: Vocab.build([tokens[side][i] for i in train], cfg.max_vocab, cfg.min_freq)
            for side in ("src", "tgt")}


# ------------------------------------------------------------------------------------------------- vectors
def _strip_piece_mark(piece: str) -> str:
    """sentencepiece's word-start mark off (`▁maison` -> `maison`) to look a piece up in word vectors."""
    return piece[1:] if piece.startswith("▁") and len(piece) > 1 else piece


def build_embeddings(cfg: PrepareConfig, vocabs: dict[str, Vocab], folder: Path, tokenizers=None,
                     train_pairs: Iterable[tuple[str, str]] = ()) -> dict[str, dict]:
    """emb.{src,tgt}.npy where vectors load; ONE warning line naming what is missing; reports per side.

    With sentencepiece (and the tokenizers + train pairs given) a piece takes the vector of the word it is, else the
    mean vector of the words it starts (text/piece_vectors.py)."""
    train_pairs = list(train_pairs)
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
        if cfg.tokenizer == "sentencepiece" and tokenizers is not None:
            col = 0 if side == "src" else 1
            words = piece_vectors.corpus_words((p[col] for p in train_pairs), cfg.lowercase)
            matrix, reports[side] = piece_vectors.piece_matrix(
                vocabs[side], wv, tokenizers[col].tokenize_many, words, seed=cfg.seed, name=side)
        else:
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
    pairs, sources, pairs_read, removed, per_source = read_and_filter(cfg)
    t_read = time.perf_counter()
    index = split_indices(pairs, cfg.valid_fraction, cfg.test_fraction, cfg.seed)
    pairs, sources, index, tagged = add_extra(cfg, pairs, sources, index, per_source)  # train-only, e.g. synthetic
    pairs = direction.orient(pairs, cfg.direction)  # (source, target) of the model from here on
    user_cfg, cfg = cfg, direction.oriented(cfg)
    for name, idx in index.items():
        for i in idx:
            per_source[sources[i]][name] = per_source[sources[i]].get(name, 0) + 1
    with atomic_dir(out, overwrite=overwrite) as tmp:
        tokens, lengths, t_tok, tokenizers = _tokenize(cfg, tmp, pairs, index, tagged)
        vocabs = build_vocabs(cfg, tokens, index["train"])
        for side, vocab in vocabs.items():
            vocab.save(tmp / f"vocab.{side}.json")
        _write_splits(tmp, pairs, sources, tokens, vocabs, index)
        vectors = build_embeddings(cfg, vocabs, tmp, tokenizers, (pairs[i] for i in index["train"]))
        save_tokenizer_config(tmp, cfg.tokenizer, cfg.lowercase, cfg.src_lang, cfg.tgt_lang)
        write_text(tmp / "config.yaml", dump_yaml({"data": dataclasses.replace(user_cfg, out=str(out))}))
        stats = {
            "pairs_read": pairs_read, "pairs_distinct": pairs_read - removed.get("dedup", 0),
            "pairs_kept": len(pairs), "sources": per_source, "src_vocab": len(vocabs["src"]),
            "tgt_vocab": len(vocabs["tgt"]), "src_coverage": vectors["src"]["coverage"],
            "tgt_coverage": vectors["tgt"]["coverage"], "filters": list(cfg.filters), "removed": removed,
            "splits": {name: int(len(idx)) for name, idx in index.items()}, "lengths": lengths,
            "tokenizer": cfg.tokenizer, "shared_pieces": cfg.shared_pieces, "lowercase": cfg.lowercase,
            "vectors": vectors,
            "corpus": f"{cfg.src} + {cfg.tgt}" if cfg.src else cfg.corpus, "direction": cfg.direction,
            "seconds": {"read_filter": round(t_read - t0, 2), "tokenize": round(t_tok, 2),
                        "total": round(time.perf_counter() - t0, 2)},
        }
        write_json(tmp / "stats.json", stats)
    return stats


def _tokenize(cfg: PrepareConfig, folder: Path, pairs: list, index: dict,
              tagged: list[bool]) -> tuple[dict, dict, float, tuple]:
    t0 = time.perf_counter()
    src_tok, tgt_tok = make_tokenizers(cfg, folder, [pairs[i] for i in index["train"]])
    log.info("tokenising %d pairs (%s, %d processes)", len(pairs), cfg.tokenizer, cfg.processes)
    tokens = {"src": src_tok.tokenize_many([p[0] for p in pairs], processes=cfg.processes),
              "tgt": tgt_tok.tokenize_many([p[1] for p in pairs], processes=cfg.processes)}
    seconds = time.perf_counter() - t0
    tokens["src"] = tag_tokens(tokens["src"], tagged)  # tagged synthetic pairs: <bt> first
    lengths = {}
    tokens["src"], lengths["src"] = truncate(tokens["src"], cfg.src_len_percentile)
    tokens["tgt"], lengths["tgt"] = truncate(tokens["tgt"], cfg.tgt_len_percentile)
    return tokens, lengths, seconds, (src_tok, tgt_tok)


def _write_splits(folder: Path, pairs: list, sources: list[str], tokens: dict, vocabs: dict, index: dict) -> None:
    for name, idx in index.items():
        write_text(folder / f"{name}.source.txt", "".join(sources[i] + "\n" for i in idx))
        for col, side in enumerate(("src", "tgt")):
            save_ragged(folder / f"{name}.{side}", [vocabs[side].encode(tokens[side][i]) for i in idx])
            lines = (" ".join(pairs[i][col].splitlines()) for i in idx)
            write_text(folder / f"{name}.{side}.txt", "".join(line + "\n" for line in lines))


# ----------------------------------------------------------------------------------------------- printing
def format_stats(stats: dict) -> str:
    """stats.json as a small readable table."""
    rows = [("pairs read", f"{stats['pairs_read']:,}")]
    rows += [(f"  removed by {name}", f"{n:,}") for name, n in stats["removed"].items()]
    rows += [("pairs kept", f"{stats['pairs_kept']:,}")]
    sources = stats.get("sources", {})
    if len(sources) > 1:
        rows += [(f"  {name}", _source_row(counts)) for name, counts in sources.items()]
    rows += [
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


def _source_row(counts: dict) -> str:
    notes = [f"{counts['removed'].get('dedup', 0):,} duplicates"] if "dedup" in counts.get("removed", {}) else []
    notes += [f"{counts['skipped_files']} files skipped"] if counts.get("skipped_files") else []
    notes += ["capped"] if counts.get("capped") else []
    split = "/".join(f"{counts.get(s, 0):,}" for s in SPLITS)
    return f"{counts['kept']:,} kept of {counts['read']:,} read ({split}){'; ' + ', '.join(notes) if notes else ''}"

