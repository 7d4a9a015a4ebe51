"""The JoeyNMT 2.3.0 side of benchmarks/vs_joeynmt.py: its virtual environment, the prepared data in its format, its
config (from benchmarks/joeynmt/rnn_bahdanau.yaml), training under a wall-clock budget, and test-set decoding.

JoeyNMT runs as a subprocess of the venv's python; nothing here imports joeynmt. Data is converted from wordbridge's
prepared folder: each sentence's token ids are written back as its tokens joined by single spaces (JoeyNMT's `word`
level), and wordbridge's vocabularies become JoeyNMT's `voc_file`s with the same special tokens, so both toolkits see
the same pairs, the same tokens and the same vocabulary (ids out of vocabulary are `_unk_` on both sides).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import yaml

from common import RunResult, run_measured, thread_env

log = logging.getLogger("vs_joeynmt")

JOEY_VERSION = "2.3.0"
TEMPLATE = Path(__file__).resolve().parent / "joeynmt" / "rnn_bahdanau.yaml"
SPACE_ESCAPE = "\u2581"  # a token holding whitespace would split on JoeyNMT's " " separator
BOS, PAD, EOS, UNK = 0, 1, 2, 3  # wordbridge's special ids (text/vocab.py)
UNK_TOKEN = "_unk_"
SPLITS = ("train", "valid", "test")


@dataclasses.dataclass
class TrainStats:
    """One training run under the budget."""

    toolkit: str
    run_dir: Path
    seconds: float  # training seconds (budget actually used, excluding start-up and data loading)
    tokens: int | None  # target tokens processed (incl. end-of-sentence), as the toolkit counts them
    steps: int | None  # optimizer steps
    peak_rss_bytes: int
    log_path: Path | None = None
    logged_rate: float | None = None  # median of the toolkit's own logged tokens/s windows (warm-up window left out)

    @property
    def tokens_per_s(self) -> float | None:
        """The logged rate when there is one (the same measure for both toolkits), else tokens / seconds."""
        if self.logged_rate is not None:
            return self.logged_rate
        return None if not self.tokens or self.seconds <= 0 else self.tokens / self.seconds

    def summary(self) -> str:
        tps = "n/a" if self.tokens_per_s is None else f"{self.tokens_per_s:,.0f}"
        tokens = "" if self.tokens is None else f", {self.tokens:,} target tokens"
        return (f"{self.steps} steps{tokens} in {self.seconds:.1f} s, {tps} target tokens/s, "
                f"peak RSS {self.peak_rss_bytes / 2**20:,.0f} MiB ({self.run_dir})")


@dataclasses.dataclass
class DecodeStats:
    """Decoding the test split with one beam size."""

    toolkit: str
    beam: int
    sentences: int
    seconds: float  # generation time only, model loading excluded
    hypotheses: list[str]
    bleu: float | None = None
    chrf: float | None = None
    by_source: dict | None = None  # name -> (BLEU, chrF, sentences), where a benchmark scores per source

    @property
    def sentences_per_s(self) -> float | None:
        return None if self.seconds <= 0 else self.sentences / self.seconds

    def summary(self) -> str:
        return (f"{self.sentences} sentences in {self.seconds:.1f} s = {self.sentences_per_s or 0:.1f} sent/s, "
                f"BLEU {self.bleu if self.bleu is not None else float('nan'):.2f}, "
                f"chrF {self.chrf if self.chrf is not None else float('nan'):.2f}")


@dataclasses.dataclass
class JoeyData:
    """The prepared folder in JoeyNMT's `plain` format (PREFIX.fr / PREFIX.en), plus raw test text for scoring."""

    folder: Path
    prefixes: dict[str, Path]  # split -> PREFIX
    src_vocab: Path
    tgt_vocab: Path
    src_emb: Path | None
    tgt_emb: Path | None
    test_raw_src: list[str]
    test_raw_ref: list[str]
    src_lang: str = "fr"
    tgt_lang: str = "en"


# ------------------------------------------------------------------------------------------------ environment
def joey_version(python: Path) -> str | None:
    """JoeyNMT's installed version in that interpreter, or None when it does not import."""
    if not python.exists():
        return None
    code = "import importlib.metadata as m, joeynmt.training, joeynmt.prediction; print(m.version('joeynmt'))"
    res = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return res.stdout.strip() if res.returncode == 0 else None


def ensure_venv(venv: Path, constraints: Path) -> Path:
    """The venv's python with JoeyNMT 2.3.0 beside the pinned CPU torch; created and installed when missing."""
    python = venv / "bin" / "python"
    if joey_version(python) == JOEY_VERSION:
        return python
    if not python.exists():
        log.info("creating virtual environment %s", venv)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log.info("installing JoeyNMT %s into %s (pip, constraints %s)", JOEY_VERSION, venv, constraints.name)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-c", str(constraints), "torch==2.13.0",
                    f"joeynmt=={JOEY_VERSION}", "importlib_metadata"], check=True)
    found = joey_version(python)
    if found != JOEY_VERSION:
        raise RuntimeError(f"JoeyNMT {JOEY_VERSION} does not import in {venv} (found {found}); see pip's output")
    return python


# ------------------------------------------------------------------------------------------------ data
def escape_token(token: str) -> str:
    """Tokens are space-separated in JoeyNMT files (split again with str.splitlines): any whitespace or line
    separator inside a token becomes U+2581."""
    return re.sub(r"\s", SPACE_ESCAPE, token) or SPACE_ESCAPE


def unescape_token(token: str) -> str:
    return token.replace(SPACE_ESCAPE, " ")


def ids_to_line(ids: Sequence[int], itos: Sequence[str]) -> str:
    """wordbridge ids (ending with _eos_) -> 'tok tok tok'; an empty sentence becomes '_unk_' (JoeyNMT drops empty
    lines, which would misalign source and target)."""
    tokens = [escape_token(itos[i]) if 0 <= i < len(itos) else UNK_TOKEN for i in ids if i not in (BOS, PAD, EOS)]
    return " ".join(tokens) if tokens else UNK_TOKEN


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1] if path.stat().st_size else []


def _write_vectors(path: Path, matrix: np.ndarray, itos: Sequence[str], scale: float) -> None:
    """word2vec text format ('V D' header, then 'token v1 .. vD'), the pad row left out (it stays zero)."""
    rows = [i for i in range(min(len(itos), len(matrix))) if i != PAD]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"{len(rows)} {matrix.shape[1]}\n")
        for i in rows:
            values = " ".join(f"{v:.5f}" for v in (matrix[i] * scale).tolist())
            fh.write(f"{escape_token(itos[i])} {values}\n")


def test_source_lines(prepared: Path, raw_src: Sequence[str], side: str = "src") -> list[str]:
    """Raw test sources (or, side="tgt", references) through the prepared folder's own tokenizer (the ids in
    test.src.*.npy are truncated to the length percentile; the translators see whole sentences)."""
    from wordbridge.text.tokenize import load_tokenizers

    tok = load_tokenizers(prepared)[0 if side == "src" else 1]
    return [" ".join(escape_token(t) for t in toks) or UNK_TOKEN for toks in tok.tokenize_many(list(raw_src))]


def export_joeynmt_data(prepared: Path, out: Path, test_limit: int | None = None, emb_scale: float = 1.0,
                        test_pairs: tuple[list[str], list[str]] | None = None) -> JoeyData:
    """Write train/valid/test as PREFIX.fr/PREFIX.en token lines, the vocabularies and (when the prepared folder has
    them) the pretrained embeddings, from a wordbridge prepared folder. Test is cut to `test_limit` sentences, or is
    `test_pairs` (raw sources, raw references) when given, both sides tokenised by the prepared folder's tokenizers."""
    from wordbridge.atomic import atomic_dir
    from wordbridge.text.ragged import load_ragged

    itos = {side: json.loads((prepared / f"vocab.{side}.json").read_text(encoding="utf-8"))["itos"]
            for side in ("src", "tgt")}
    tok_cfg = json.loads((prepared / "tokenizer.json").read_text(encoding="utf-8"))
    langs = {"src": tok_cfg.get("src_lang", "fr"), "tgt": tok_cfg.get("tgt_lang", "en")}
    if test_pairs is not None:
        raw_src, raw_ref = list(test_pairs[0]), list(test_pairs[1])
    else:
        raw_src = _read_lines(prepared / "test.src.txt")[:test_limit]
        raw_ref = _read_lines(prepared / "test.tgt.txt")[:test_limit]
    with atomic_dir(out, overwrite=True) as tmp:
        for split in SPLITS:
            for side in ("src", "tgt"):
                rows = load_ragged(prepared / f"{split}.{side}")
                n = len(rows) if split != "test" else min(len(raw_src), len(rows))
                lines = [ids_to_line(rows[i], itos[side]) for i in range(n)]
                if split == "test" and side == "src":  # untruncated, as wordbridge's translator tokenises it
                    lines = test_source_lines(prepared, raw_src)
                elif split == "test" and test_pairs is not None:  # references of pairs the folder does not hold
                    lines = test_source_lines(prepared, raw_ref, side="tgt")
                (tmp / f"{split}.{langs[side]}").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for side in ("src", "tgt"):
            (tmp / f"vocab.{side}.txt").write_text("\n".join(escape_token(t) for t in itos[side]) + "\n",
                                                   encoding="utf-8")
            emb = prepared / f"emb.{side}.npy"
            if emb.is_file():
                _write_vectors(tmp / f"emb.{side}.vec", np.load(emb), itos[side], emb_scale)
    if len(raw_src) != len(raw_ref):
        raise RuntimeError(f"{prepared}: test.src.txt and test.tgt.txt differ in length")
    return JoeyData(
        folder=out, prefixes={s: out / s for s in SPLITS}, src_vocab=out / "vocab.src.txt",
        tgt_vocab=out / "vocab.tgt.txt", src_emb=(out / "emb.src.vec") if (out / "emb.src.vec").is_file() else None,
        tgt_emb=(out / "emb.tgt.vec") if (out / "emb.tgt.vec").is_file() else None,
        test_raw_src=raw_src, test_raw_ref=raw_ref, src_lang=langs["src"], tgt_lang=langs["tgt"],
    )


# ------------------------------------------------------------------------------------------------ config
def build_joeynmt_config(data: JoeyData, run_dir: Path, settings: dict, beam: int = 1, decode_batch: int = 64,
                         checkpoint: Path | None = None, test_only: bool = False) -> dict:
    """The template filled with paths and wordbridge's sizes (`settings` from vs_joeynmt_wordbridge.peer_settings)."""
    cfg = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    cfg["model_dir"] = str(run_dir)
    cfg["random_seed"] = int(settings.get("seed", 42))
    d = cfg["data"]
    d["train"], d["dev"], d["test"] = (str(data.prefixes[s]) for s in SPLITS)
    if test_only:  # decoding reads the test split only (no dev decoding, no train loading)
        d.pop("train"), d.pop("dev")
    d["src"].update(lang=data.src_lang, voc_file=str(data.src_vocab))
    d["trg"].update(lang=data.tgt_lang, voc_file=str(data.tgt_vocab))
    t = cfg["testing"]
    t.update(beam_size=beam, batch_size=decode_batch)
    if checkpoint is not None:
        t["load_model"] = str(checkpoint)
    tr = cfg["training"]
    tr.update(batch_size=int(settings["batch_size"]), clip_grad_norm=settings.get("clip_grad"))
    if settings.get("log_every"):  # the same tokens/s window as wordbridge's train.log_every
        freq = int(settings["log_every"])
        tr.update(logging_freq=freq, validation_freq=freq * max(1, int(tr["validation_freq"]) // freq))
    m = cfg["model"]
    m["tied_softmax"] = bool(settings["tie_output"])
    enc, dec = m["encoder"], m["decoder"]
    enc["embeddings"].update(embedding_dim=settings["emb_size_src"], dropout=settings["emb_dropout"],
                             load_pretrained=str(data.src_emb) if data.src_emb else None)
    enc.update(hidden_size=settings["hidden"], bidirectional=settings["bidirectional"], num_layers=settings["layers"],
               dropout=settings["enc_dropout"])
    dec["embeddings"].update(embedding_dim=settings["emb_size_tgt"], dropout=settings["emb_dropout"],
                             load_pretrained=str(data.tgt_emb) if data.tgt_emb else None)
    dec.update(hidden_size=settings["emb_size_tgt"], num_layers=settings["layers"], dropout=settings["dec_dropout"],
               hidden_dropout=settings["out_dropout"], attention=settings["attention"])
    for emb in (enc["embeddings"], dec["embeddings"]):
        if emb["load_pretrained"] is None:
            emb.pop("load_pretrained")
    return cfg


def write_yaml(cfg: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------ train / decode
_CKPT_STATS = (
    "import json, sys, torch\n"
    "s = torch.load(sys.argv[1], map_location='cpu', weights_only=False)['stats_state']\n"
    "print(json.dumps({'steps': int(s['steps']), 'tokens': int(s['total_tokens']), 'epochs': int(s['epochs'])}))\n"
)


def checkpoint_stats(python: Path, ckpt: Path) -> dict:
    """steps, total target tokens and epoch stored in a JoeyNMT checkpoint (read with the venv's torch)."""
    res = subprocess.run([str(python), "-c", _CKPT_STATS, str(ckpt)], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"cannot read JoeyNMT checkpoint {ckpt}: {res.stderr.strip().splitlines()[-1:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _check(res: RunResult, what: str) -> None:
    if res.returncode != 0 or res.timed_out:
        raise RuntimeError(f"{what} failed (exit {res.returncode}); last lines of {res.log_path}:\n{res.tail()}")


def train_joeynmt(python: Path, cfg_path: Path, run_dir: Path, minutes: float, threads: int) -> TrainStats:
    """Train until `minutes` after the first 'EPOCH 1' line, then SIGINT (JoeyNMT saves latest.ckpt and exits)."""
    log_path = run_dir.parent / f"{run_dir.name}.log"
    log_path.unlink(missing_ok=True)
    budget = minutes * 60.0
    res = run_measured([str(python), "-m", "joeynmt", "train", str(cfg_path), "--skip-test"], log_path,
                       env=thread_env(threads), cwd=run_dir.parent, budget_s=budget, start_marker=r"EPOCH\s+1\b",
                       timeout_s=budget + 1800, grace_s=300)
    _check(res, "JoeyNMT training")
    if res.marker_s is None:
        raise RuntimeError(f"JoeyNMT never started training; see {log_path}:\n{res.tail()}")
    seconds = res.budget_used_s if res.stop_s is not None else res.wall_s - res.marker_s
    stats = checkpoint_stats(python, run_dir / "latest.ckpt")
    logged = _TOKENS_PER_SEC.findall(log_path.read_text(encoding="utf-8", errors="replace"))
    rate = median_rate(float(r) for r in logged)
    return TrainStats("joeynmt", run_dir, seconds, stats["tokens"], stats["steps"], res.peak_rss_bytes, log_path, rate)


_TOKENS_PER_SEC = re.compile(r"Tokens per Sec:\s+([0-9.]+)")


def median_rate(rates: Iterable[float]) -> float | None:
    """Median of logged per-window rates, the first (warm-up) window left out when there are at least two."""
    rates = list(rates)
    if len(rates) >= 2:
        rates = rates[1:]
    return statistics.median(rates) if rates else None


_GEN_TIME = re.compile(r"Generation took\s+([0-9.]+)\s*\[sec\]")


def detokenize_lines(lines: Sequence[str], detokenize: Callable[[list[str]], str]) -> list[str]:
    """JoeyNMT output lines (space-joined tokens) -> text through wordbridge's detokeniser."""
    return [detokenize([unescape_token(t) for t in line.split(" ") if t]) for line in lines]


def decode_joeynmt(python: Path, cfg_path: Path, out_prefix: Path, beam: int, threads: int,
                   detokenize: Callable[[list[str]], str]) -> DecodeStats:
    """`joeynmt test CFG -o OUT` on the test split; generation time from its 'Generation took' log line."""
    log_path = out_prefix.with_suffix(".log")
    log_path.unlink(missing_ok=True)
    res = run_measured([str(python), "-m", "joeynmt", "test", str(cfg_path), "-o", str(out_prefix)], log_path,
                       env=thread_env(threads), cwd=out_prefix.parent, timeout_s=3600)
    _check(res, f"JoeyNMT decoding (beam {beam})")
    times = _GEN_TIME.findall(log_path.read_text(encoding="utf-8", errors="replace"))
    if not times:
        raise RuntimeError(f"no 'Generation took' line in {log_path}")
    lines = _read_lines(Path(f"{out_prefix}.test"))
    return DecodeStats("joeynmt", beam, len(lines), float(times[-1]), detokenize_lines(lines, detokenize))
