"""The lesson's five seq2seq variants under one budget on the same prepared corpus -> a markdown table.

    python benchmarks/ablation.py [--config configs/default.yaml] [--minutes 20] [--out ablation.md]
                                  [--runs runs/ablation] [--variants plain bidir ...] [--set key=value ...]

Variants (the lesson's order; each should improve on the one before):
    plain     unidirectional encoder, no attention, decoder fed its own predictions (pr_force 0)
    bidir     + bidirectional encoder
    tf        + teacher forcing (pr_force from train.teacher_forcing: 1 -> 0)
    attn_tf   unidirectional encoder + Bahdanau attention + teacher forcing (the lesson's Seq2SeqAttnRNN)
    all       bidirectional + attention + teacher forcing (the default model)
Every variant trains for --minutes of wall clock (same data, seed, lr and schedule), then its best checkpoint is
scored: masked validation loss (teacher-forced, padding excluded), test BLEU and chrF (greedy, sacrebleu on
detokenised output against raw references). Each variant runs in a fresh process so that its peak RSS (training +
evaluation, `ru_maxrss`) is its own. The prepared folder (data.out) must exist: `wordbridge prepare`.
"""

import argparse
import concurrent.futures
import dataclasses
import logging
import multiprocessing
import resource
import time
from pathlib import Path

from wordbridge.atomic import write_text
from wordbridge.config import load_sections
from wordbridge.text.config import PrepareConfig
from wordbridge.translate.config import ModelConfig, TeacherForcing, TranslateTrainConfig
from wordbridge.translate.evaluation import evaluate
from wordbridge.translate.training import train

NO_FORCING = TeacherForcing(start=0.0, end=0.0, epochs=1)
VARIANTS = {  # name: (model changes, teacher forcing on?)
    "plain": ({"bidirectional": False, "attention": "none"}, False),
    "bidir": ({"bidirectional": True, "attention": "none"}, False),
    "tf": ({"bidirectional": True, "attention": "none"}, True),
    "attn_tf": ({"bidirectional": False, "attention": "bahdanau"}, True),
    "all": ({"bidirectional": True, "attention": "bahdanau"}, True),
}
LESSON = {"plain": 3.58, "bidir": 3.51, "tf": 3.49, "attn_tf": 3.37, "all": 3.32}


def run_variant(name: str, base: dict, minutes: float, runs: Path) -> dict:
    changes, forcing = VARIANTS[name]
    tcfg: TranslateTrainConfig = base["train"]
    sections = dict(base)
    sections["model"] = dataclasses.replace(base["model"], **changes)
    sections["train"] = dataclasses.replace(tcfg, max_minutes=minutes,
                                            teacher_forcing=tcfg.teacher_forcing if forcing else NO_FORCING)
    start = time.time()
    result = train(sections, runs / name, overwrite=True)
    minutes_used = (time.time() - start) / 60
    scores = evaluate(runs / name, split="test")
    return {"variant": name, "val_loss": result.best["value"] if result.best else float("nan"),
            "bleu": scores["bleu"], "chrf": scores["chrf"], "test_loss": scores["loss"], "steps": result.step,
            "epochs": result.epoch, "minutes": minutes_used, "lesson": LESSON[name],
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_isolated(name: str, base: dict, minutes: float, runs: Path) -> dict:
    """run_variant in a fresh spawned process (its own peak RSS, no memory carried over from the last variant)."""
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(_child, name, base, minutes, runs).result()


def _child(name: str, base: dict, minutes: float, runs: Path) -> dict:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return run_variant(name, base, minutes, runs)


def table(rows: list[dict], minutes: float) -> str:
    lines = [f"Budget: {minutes:g} min of training per variant (same data, seed, lr, schedule).", "",
             "| variant | masked val loss | test BLEU | test chrF | test loss | steps | minutes | peak RSS (MiB) "
             "| lesson loss (padded) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['val_loss']:.3f} | {r['bleu']:.2f} | {r['chrf']:.2f} | "
                     f"{r['test_loss']:.3f} | {r['steps']} | {r['minutes']:.1f} | {r['peak_rss_mib']:,.0f} | "
                     f"{r['lesson']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="configs/default.yaml")
    ap.add_argument("--minutes", type=float, default=20.0, help="training budget per variant")
    ap.add_argument("--runs", default="runs/ablation", help="folder for the five run folders")
    ap.add_argument("--out", default="ablation.md", help="markdown table written here")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override (repeatable)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    base = load_sections(args.config, {"data": PrepareConfig, "model": ModelConfig, "train": TranslateTrainConfig},
                         overrides=args.set)
    rows = []
    for name in args.variants:
        rows.append(run_isolated(name, base, args.minutes, Path(args.runs)))
        write_text(args.out, table(rows, args.minutes))  # partial table after each variant
    print(table(rows, args.minutes))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
