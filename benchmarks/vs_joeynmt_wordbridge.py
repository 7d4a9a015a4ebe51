"""The wordbridge side of benchmarks/vs_joeynmt.py: the prepared folder, the settings JoeyNMT must mirror, training
under the same budget (`wordbridge train --max-minutes`), test-set decoding, and sacrebleu scoring for both."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import sys
from pathlib import Path

import yaml

from common import run_measured, thread_env
from vs_joeynmt_peer import DecodeStats, TrainStats, _check, _read_lines, median_rate

log = logging.getLogger("vs_joeynmt")

PREPARED_MARKERS = ("stats.json", "vocab.src.json", "vocab.tgt.json", "tokenizer.json", "test.src.txt",
                    "train.tgt.ids.npy")


def _wordbridge(*args: str) -> list[str]:
    return [sys.executable, "-m", "wordbridge", *args]


def is_prepared(folder: Path) -> bool:
    return all((folder / name).is_file() for name in PREPARED_MARKERS)


def prepared_dir(config: Path, overrides: list[str]) -> Path:
    """The config's data.out (after overrides): where `wordbridge prepare CONFIG` writes and `train` reads."""
    from wordbridge.config import load_sections
    from wordbridge.text.config import PrepareConfig

    return Path(load_sections(config, {"data": PrepareConfig}, overrides=list(overrides))["data"].out).resolve()


def ensure_prepared(prepared: Path | None, config: Path, overrides: list[str], log_dir: Path, threads: int) -> Path:
    """--prepared DIR when given (it must be complete), else the config's data.out, made with `wordbridge prepare
    CONFIG --set ...` (the same overrides as training) when it is missing."""
    if prepared is not None:
        if not is_prepared(prepared):
            raise RuntimeError(f"{prepared} is not a prepared folder (needs {', '.join(PREPARED_MARKERS)})")
        return prepared.resolve()
    out = prepared_dir(config, overrides)
    if is_prepared(out):
        log.info("using prepared data in %s (data.out of %s)", out, config)
        return out
    cmd = _wordbridge("prepare", str(config), "--out", str(out), "--overwrite",
                      *[a for s in overrides for a in ("--set", s)])
    log.info("preparing data: %s", " ".join(cmd[2:]))
    res = run_measured(cmd, log_dir / "prepare.log", env=thread_env(threads), timeout_s=3600)
    _check(res, "wordbridge prepare")
    return out


# ------------------------------------------------------------------------------------------------ settings
def peer_settings(config: Path, prepared: Path, overrides: list[str], resolved: Path | None = None) -> dict:
    """What JoeyNMT must mirror: wordbridge's model sizes and dropouts, batch size, gradient clipping, seed (from a
    run's resolved config.yaml when given, else the config file with overrides and defaults), plus the tokenizer's
    casing and target detokeniser for scoring."""
    from wordbridge.config import apply_overrides, from_dict, read_yaml
    from wordbridge.text.tokenize import load_tokenizers
    from wordbridge.translate.config import ModelConfig, TranslateTrainConfig

    raw = read_yaml(resolved) if resolved is not None else apply_overrides(read_yaml(config), list(overrides))
    model = from_dict(ModelConfig, raw.get("model") or {}, "model")
    train = from_dict(TranslateTrainConfig, raw.get("train") or {}, "train")
    tok_cfg = json.loads((prepared / "tokenizer.json").read_text(encoding="utf-8"))
    _, tgt_tok = load_tokenizers(prepared)
    return {**dataclasses.asdict(model), "batch_size": train.batch_size, "clip_grad": train.clip_grad,
            "seed": train.seed, "log_every": train.log_every, "lowercase": bool(tok_cfg.get("lowercase", False)),
            "detokenize": tgt_tok.detokenize}


# ------------------------------------------------------------------------------------------------ train
def _history_rate(run_dir: Path) -> tuple[float | None, int | None]:
    """Median logged target tokens/s over the training windows (the first one, with warm-up, left out) and the
    last logged step, from history.json."""
    path = run_dir / "history.json"
    if not path.is_file():
        return None, None
    train = json.loads(path.read_text(encoding="utf-8")).get("train", [])
    steps = max((int(r["step"]) for r in train), default=None)
    return median_rate(float(r["items_per_s"]) for r in train if r.get("items_per_s")), steps


_STOPPED = re.compile(r"stopped \((\w+)\) at step (\d+)")


def train_wordbridge(config: Path, prepared: Path, run_dir: Path, minutes: float, threads: int,
                     overrides: list[str]) -> TrainStats:
    """`wordbridge train CONFIG --run-dir DIR --max-minutes M --set data.out=PREPARED --set train.threads=N
    --set train.device=cpu` (JoeyNMT trains on the CPU too); tokens/s is the median of the windows it logs in
    history.json (validation time excluded, as in JoeyNMT's log)."""
    log_path = run_dir.parent / f"{run_dir.name}.log"
    log_path.unlink(missing_ok=True)
    sets = [f"data.out={prepared}", f"train.threads={threads}", "train.device=cpu", *overrides]
    cmd = _wordbridge("train", str(config), "--run-dir", str(run_dir), "--overwrite", "--max-minutes", f"{minutes:g}",
                      *[a for s in sets for a in ("--set", s)])
    res = run_measured(cmd, log_path, env=thread_env(threads), timeout_s=minutes * 60 + 1800)
    _check(res, "wordbridge train")
    rate, steps = _history_rate(run_dir)
    stopped = _STOPPED.findall(log_path.read_text(encoding="utf-8", errors="replace"))
    if stopped:
        reason, steps = stopped[-1][0], int(stopped[-1][1])
        if reason != "time":
            log.warning("wordbridge stopped for '%s' before the %.1f-minute budget ran out", reason, minutes)
    return TrainStats("wordbridge", run_dir, minutes * 60.0, None, steps, res.peak_rss_bytes, log_path, rate)


# ------------------------------------------------------------------------------------------------ decode / score
_DECODE = """
import json, sys, time
from wordbridge.translate.translator import Translator
run_dir, src, out, beam, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
int8 = sys.argv[6] == "int8"
lines = open(src, encoding="utf-8").read().split("\\n")[:-1]
tr = Translator.load(run_dir, device="cpu", int8=int8)
tr.tgt_tok.detokenize(tr.src_tok.tokenize("Bonjour."))  # load spaCy/sentencepiece now, not inside the timing
start = time.perf_counter()
hyps = tr.translate(lines, beam=beam, batch_size=batch)
seconds = time.perf_counter() - start
open(out, "w", encoding="utf-8").write("".join(h.text.replace("\\n", " ") + "\\n" for h in hyps))
print(json.dumps({"seconds": seconds, "sentences": len(lines)}))
"""


def decode_wordbridge(run_dir: Path, src_lines: list[str], beam: int, threads: int, batch: int,
                      out: Path, int8: bool = False) -> DecodeStats:
    """Translator.load(run, int8=int8).translate(test sentences, beam) in a subprocess with the benchmark's threads;
    the generation time excludes loading the model and tokenizers (and quantising it, with int8) as JoeyNMT's
    'Generation took' does, but includes tokenising the sources, which JoeyNMT did while loading its data."""
    src = out.with_suffix(".src.txt")
    src.write_text("".join(line + "\n" for line in src_lines), encoding="utf-8")
    log_path = out.with_suffix(".log")
    log_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-c", _DECODE, str(run_dir), str(src), str(out), str(beam), str(batch),
           "int8" if int8 else "fp32"]
    res = run_measured(cmd, log_path, env=thread_env(threads), timeout_s=3600)
    _check(res, f"wordbridge decoding (beam {beam}{', int8' if int8 else ''})")
    report = json.loads(log_path.read_text(encoding="utf-8").strip().splitlines()[-1])
    return DecodeStats("wordbridge", beam, int(report["sentences"]), float(report["seconds"]), _read_lines(out))


def score(hypotheses: list[str], references: list[str], lowercase: bool) -> tuple[float, float]:
    """Corpus BLEU and chrF exactly as `wordbridge evaluate` computes them (translate/metrics.py: sacrebleu, 13a,
    case-insensitive when the tokenizer lowercases), for both toolkits' detokenised outputs."""
    from wordbridge.translate.metrics import scores

    try:
        result = scores(hypotheses, references, lowercase=lowercase)
    except ValueError as exc:
        raise RuntimeError(str(exc)) from None
    return result["bleu"], result["chrf"]


def load_resolved(run_dir: Path) -> Path | None:
    """The run folder's resolved config.yaml, when training wrote one."""
    path = run_dir / "config.yaml"
    return path if path.is_file() and isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict) else None
