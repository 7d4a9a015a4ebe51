"""Old corpus vs new corpus x words vs subwords, under one training budget each, scored on the same held-out pairs.

    python benchmarks/corpus_vocab.py [--minutes 25] [--config configs/default.yaml] [--spm-vocab 8000,16000]
                                      [--test-per-source 200] [--work runs/corpus_vocab] [--out corpus_vocab.md]
                                      [--set key=value ...]

Four runs, one after the other in the order new/words, old/words, new/subwords, old/subwords (the old and new
corpus alternate; the first prepares the test split all runs are scored on), then one new/subwords run for each
further --spm-vocab size. "old" is the default corpus restricted
to its first three sources (Bible, LibreOffice help and UI: data.sources), "new" is every source of `default`;
"words" is the spaCy word vocabulary with the word vectors, "subwords" sentencepiece (data.spm_vocab_size pieces per
language) with piece vectors (text/piece_vectors.py). Each is prepared, trained for --minutes of wall clock (same
model, seed, lr and time-driven schedule), and its best checkpoint decodes (greedy) the first --test-per-source pairs
of each source in the validation and in the test split of the NEW corpus: the split is a hash of each pair, so the
old corpus's training pairs never hold a new test or validation pair. The default is chosen on the validation
figure, the test figures are the report. One markdown table: pairs, vocabulary, steps, BLEU/chrF on validation,
test overall and test per source (a source missing from the old corpus is out of domain for the old runs).
--table-only prints the table of the runs already in --work (scoring a run again where its row lacks a figure).
"""

import argparse
import concurrent.futures
import dataclasses
import json
import logging
import shutil
import sys
import time
from pathlib import Path
from typing import Callable, Iterable

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/common.py

from common import (busy_warning, describe_machine, first_per_source, machine_info, markdown_table,  # noqa: E402
                    run_isolated)

from wordbridge.atomic import write_text  # noqa: E402
from wordbridge.config import load_sections  # noqa: E402
from wordbridge.text.config import PrepareConfig  # noqa: E402
from wordbridge.text.pipeline import prepare  # noqa: E402
from wordbridge.text.prepared import PreparedData  # noqa: E402
from wordbridge.translate.config import ModelConfig, TranslateTrainConfig  # noqa: E402
from wordbridge.translate.evaluation import evaluate  # noqa: E402
from wordbridge.translate.training import train  # noqa: E402

OLD_SOURCES = ("bible", "libreoffice-help", "libreoffice-ui")


def plan(spm_sizes: list[int]) -> list[tuple[str, str, int]]:
    """(corpus, vocab, pieces) of each run in order: words and the first piece size on both corpora, alternating,
    then the other piece sizes on the new corpus."""
    first, *more = spm_sizes
    return ([("new", "words", 0), ("old", "words", 0), ("new", "subwords", first), ("old", "subwords", first)]
            + [("new", "subwords", size) for size in more])
SECTIONS = {"data": PrepareConfig, "model": ModelConfig, "train": TranslateTrainConfig}


def data_config(base: PrepareConfig, corpus: str, vocab: str, pieces: int, work: Path) -> PrepareConfig:
    return dataclasses.replace(
        base, sources=OLD_SOURCES if corpus == "old" else base.sources,
        tokenizer="sentencepiece" if vocab == "subwords" else "spacy", spm_vocab_size=pieces or base.spm_vocab_size,
        out=str(work / f"prepared-{corpus}-{vocab}{pieces or ''}"))


def make_subset(prepared: Path, out: Path, per_source: int, split: str = "test") -> Path:
    """The first `per_source` pairs of each source in a split of a prepared folder, written as the test split of a
    folder `evaluate` can score."""
    data = PreparedData.load(prepared)
    src, ref = data.raw(split)
    sources = data.sources(split) or ["all"] * len(src)
    keep = first_per_source(sources, per_source)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("stats.json", "vocab.src.json", "vocab.tgt.json"):
        shutil.copy2(prepared / name, out / name)
    for suffix, lines in (("src.txt", src), ("tgt.txt", ref), ("source.txt", sources)):
        write_text(out / f"test.{suffix}", "".join(lines[i] + "\n" for i in keep))
    return out


def subsets(work: Path, per_source: int) -> dict[str, Path]:
    """The scoring sets every run shares, cut from the new corpus's words folder (the first run prepares it): test
    (reported) and validation (the default is chosen on it, so that the test pairs are never a tuning set)."""
    out = {}
    for split in ("test", "valid"):
        folder = work / f"{split}-subset"
        if not (folder / "test.source.txt").is_file():
            make_subset(work / "prepared-new-words", folder, per_source, split)
        out[split] = folder
    return out


def score_run(corpus: str, vocab: str, pieces: int, run_dir: Path, prepared: Path, steps: int, prep_s: float | None,
              work: Path, per_source: int) -> dict:
    """The table row of a trained run: its data figures, and greedy BLEU/chrF on the shared test and validation
    subsets (written to WORK/row-RUN.json, which --table-only reads)."""
    stats = json.loads((prepared / "stats.json").read_text(encoding="utf-8"))
    sets = subsets(work, per_source)
    scores = evaluate(run_dir, split="test", prepared=sets["test"])
    valid = evaluate(run_dir, split="test", prepared=sets["valid"])
    row = {"corpus": corpus, "vocab": f"subwords {pieces:,}" if pieces else vocab, "pairs": stats["splits"]["train"],
           "sources": stats.get("sources", {}), "src_vocab": stats["src_vocab"], "tgt_vocab": stats["tgt_vocab"],
           "coverage": (stats["src_coverage"], stats["tgt_coverage"]), "prep_s": prep_s, "steps": steps,
           "bleu": scores["bleu"], "chrf": scores["chrf"], "by_source": scores.get("by_source", {}),
           "test_sentences": scores["sentences"], "valid": last_validation(run_dir),
           "valid_subset": {"bleu": valid["bleu"], "chrf": valid["chrf"], "sentences": valid["sentences"]}}
    write_text(work / f"row-{run_dir.name}.json", json.dumps(row))
    return row


def last_validation(run_dir: Path) -> tuple[float, float] | None:
    """BLEU / chrF of the run's last validation during training (train.valid_bleu_sentences pairs)."""
    history = json.loads((run_dir / "history.json").read_text(encoding="utf-8")).get("valid") or []
    scored = [v for v in history if v.get("bleu") is not None]
    return (scored[-1]["bleu"], scored[-1]["chrf"]) if scored else None


def run_name(corpus: str, vocab: str, pieces: int) -> str:
    return f"run-{corpus}-{vocab}{pieces or ''}"


def run_one(corpus: str, vocab: str, pieces: int, base: dict, minutes: float, work: Path, per_source: int) -> dict:
    data = data_config(base["data"], corpus, vocab, pieces, work)
    t0 = time.time()
    prepare(data, data.out, overwrite=True)
    prep_s = time.time() - t0
    sections = dict(base, data=data, train=dataclasses.replace(base["train"], max_minutes=minutes))
    run_dir = work / run_name(corpus, vocab, pieces)
    result = train(sections, run_dir, overwrite=True)
    return score_run(corpus, vocab, pieces, run_dir, Path(data.out), result.step, prep_s, work, per_source)


def rows_of(work: Path, spm_sizes: list[int], per_source: int) -> list[dict]:
    """--table-only: the rows of the runs already trained in WORK, in plan order; a run whose row lacks the
    validation scores (or has no row) is scored again (greedy decoding is deterministic)."""
    rows = []
    for corpus, vocab, pieces in plan(spm_sizes):
        run_dir = work / run_name(corpus, vocab, pieces)
        if not (run_dir / "history.json").is_file():
            continue
        path = work / f"row-{run_dir.name}.json"
        row = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        if "valid_subset" not in row:
            history = json.loads((run_dir / "history.json").read_text(encoding="utf-8"))
            steps = max(int(r["step"]) for r in history["train"])
            prepared = work / f"prepared-{corpus}-{vocab}{pieces or ''}"
            row = score_run(corpus, vocab, pieces, run_dir, prepared, row.get("steps", steps), row.get("prep_s"),
                            work, per_source)
        rows.append(row)
    return rows


def run_and_report(title: str, threads: int, run_one: Callable, jobs: Iterable[tuple], table: Callable,
                   out: str, parallel: int = 1) -> None:
    """run_one(*job) of each job in a fresh process, `parallel` at a time (jobs in order: with 2, the first two run
    side by side, then the next two); after each, the table of the rows so far is written to OUT (and printed at the
    end) under a header: TITLE, the machine, the command line and, on a busy machine, a warning."""
    info = machine_info()
    header = f"{title}\nMachine: {describe_machine(info)}\nCommand: `python {' '.join(sys.argv)}`"
    warning = busy_warning(info, threads * parallel)
    header += f"\nWarning: {warning}" if warning else ""
    jobs = list(jobs)
    rows: list[dict] = []
    for start in range(0, len(jobs), parallel):
        batch = jobs[start:start + parallel]
        with concurrent.futures.ThreadPoolExecutor(len(batch)) as pool:
            rows.extend(pool.map(lambda job: run_isolated(run_one, *job), batch))
        write_text(Path(out), table(rows, header))  # partial table after each batch
    print(table(rows, header))
    print(f"written to {out}")


def table(rows: list[dict], header: str) -> str:
    names = [f"{r['corpus']} corpus, {r['vocab']}" for r in rows]
    lines = [
        ["train pairs"] + [f"{r['pairs']:,}" for r in rows],
        ["vocabulary fr / en"] + [f"{r['src_vocab']:,} / {r['tgt_vocab']:,}" for r in rows],
        ["vector coverage fr / en"] + [f"{100 * r['coverage'][0]:.0f}% / {100 * r['coverage'][1]:.0f}%" for r in rows],
        ["optimizer steps"] + [f"{r['steps']:,}" for r in rows],
        [f"validation BLEU / chrF, {rows[0]['valid_subset']['sentences']:,} pairs (picks the default)"]
        + [f"{r['valid_subset']['bleu']:.2f} / {r['valid_subset']['chrf']:.1f}" for r in rows],
        [f"**test BLEU / chrF, all {rows[0]['test_sentences']:,}**"]
        + [f"**{r['bleu']:.2f}** / {r['chrf']:.1f}" for r in rows],
    ]
    sources = list(dict.fromkeys(s for r in rows for s in r["by_source"]))
    for source in sources:
        n = next(r["by_source"][source]["sentences"] for r in rows if source in r["by_source"])
        cells = []
        for r in rows:
            s = r["by_source"].get(source)
            mark = "" if r["corpus"] == "new" or source in OLD_SOURCES else " (unseen)"
            cells.append(f"{s['bleu']:.2f} / {s['chrf']:.1f}{mark}" if s else "-")
        lines.append([f"{source} ({n:,})"] + cells)
    return header + "\n\n" + markdown_table(["", *names], lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="configs/default.yaml")
    ap.add_argument("--minutes", type=float, default=25.0, help="training budget per run (default 25)")
    ap.add_argument("--spm-vocab", default=None, help="sentencepiece pieces per language, comma-separated sizes "
                    "(default: data.spm_vocab_size); the first size runs on both corpora, the others on the new one")
    ap.add_argument("--test-per-source", type=int, default=200, metavar="N",
                    help="score on the first N test pairs of each source (default 200; decoding all ~7k test pairs "
                    "takes minutes per run on a loaded machine)")
    ap.add_argument("--work", default="runs/corpus_vocab", help="prepared folders and run folders go here")
    ap.add_argument("--out", default="corpus_vocab.md", help="the markdown table is written here too")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override (repeatable)")
    ap.add_argument("--table-only", action="store_true",
                    help="train nothing: print the table of the runs already in --work (their row-*.json)")
    args = ap.parse_args()
    base = load_sections(args.config, SECTIONS, overrides=args.set)
    try:
        spm_sizes = [int(size) for size in (args.spm_vocab or str(base["data"].spm_vocab_size)).split(",")]
    except ValueError:
        ap.error(f"--spm-vocab wants comma-separated integers, got {args.spm_vocab!r}")
    if args.table_only:
        rows = rows_of(Path(args.work), spm_sizes, args.test_per_source)
        if not rows:
            ap.error(f"no trained runs in {args.work}: run the benchmark first")
        print(table(rows, f"Runs in {args.work} (--table-only)"))
        return
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    work = Path(args.work)
    title = (f"Old vs new corpus x words vs subwords: {args.minutes:g} min of training each, greedy decoding of the "
             f"new corpus's test split ({args.test_per_source} per source)")
    jobs = ((corpus, vocab, pieces, base, args.minutes, work, args.test_per_source)
            for corpus, vocab, pieces in plan(spm_sizes))
    run_and_report(title, base["train"].threads or 2, run_one, jobs, table, args.out)


if __name__ == "__main__":
    main()
