"""The Transformer's learning curve: ONE long run (--minutes, default 200, one thread) on a prepared folder, its kept
snapshots scored at --marks minutes (default 25,50,100,200): test BLEU / chrF (the first --per-source test pairs of
each source, beam 5) and Tux Paint BLEU / chrF (everyday phrases no model trained on), so that a user sees what
longer training buys.

    python benchmarks/learning_curve.py --prepared runs/prepared/default --work W
    python benchmarks/learning_curve.py --prepared runs/prepared/default --work W --table-only   # marks reached so far

Resumable across sessions: the same command after a stop continues the run from its last checkpoint (written at
least every --checkpoint-minutes) over the minutes left of its one schedule. A mark is minutes on that schedule (a
snapshot's time_pos x --minutes), scored with the last snapshot at or before it. The schedule is the long run's: at
25 minutes its learning rate is still near the peak, so an early mark scores below a run whose whole budget it is.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import describe_machine, machine_info, markdown_table, run_wordbridge  # noqa: E402
from corpus_vocab import make_subset  # noqa: E402

from wordbridge.train.checkpoint import load_checkpoint  # noqa: E402
from wordbridge.atomic import write_json  # noqa: E402
from wordbridge.translate.averaging import copy_run_files  # noqa: E402

SLACK_MIN = 0.5  # a snapshot this close after a mark still counts for it (saves land just after the minute)


def snapshot_minutes(path: Path, total_minutes: float) -> float:
    """Minutes on the run's schedule at which a snapshot was saved (its time_pos x the run's budget)."""
    return float(load_checkpoint(path)["extra"].get("time_pos", 0.0)) * total_minutes


def pick(snapshots: dict[Path, float], mark: float, reached: float) -> Path | None:
    """The last snapshot at or before `mark` minutes; None while the run has not reached the mark."""
    if reached + SLACK_MIN < mark:
        return None
    before = [(m, p) for p, m in snapshots.items() if m <= mark + SLACK_MIN]
    return max(before)[1] if before else None


def minutes_left(run: Path, total_minutes: float) -> float:
    """Budget still to train: all of it for a new run, (1 - time_pos) x total after a stop."""
    latest = run / "latest.pt"
    return total_minutes if not latest.is_file() else total_minutes - snapshot_minutes(latest, total_minutes)


def train(args: argparse.Namespace, run: Path) -> None:
    left = minutes_left(run, args.minutes)
    if left <= SLACK_MIN:
        return
    sets = [f"data.out={args.prepared}", "train.keep_checkpoints=100000", "train.epochs=1000",
            f"train.checkpoint_minutes={args.checkpoint_minutes}", *args.set]
    resume = ["--resume"] if (run / "latest.pt").is_file() else []
    print(f"training {run.name}: {left:.1f} of {args.minutes:g} minutes left", flush=True)
    run_wordbridge(["train", str(args.config), "--run-dir", str(run), "--max-minutes", f"{left:.2f}", *resume,
                    *(a for s in sets for a in ("--set", s))], args.work / "train.log", args.threads, "train", ROOT)


def score(args: argparse.Namespace, mark: float, snapshot: Path, minutes: float, run: Path, subset: Path) -> dict:
    """The row of one mark: the snapshot (saved at `minutes`) as best.pt of a run-like folder (the run's files that
    `wordbridge average` copies too), scored on the test subset and Tux Paint."""
    row_file = args.work / f"row-{mark:g}.json"
    if row_file.is_file():
        return json.loads(row_file.read_text(encoding="utf-8"))
    folder = args.work / f"at-{mark:g}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    copy_run_files(run, folder)
    shutil.copy2(snapshot, folder / "best.pt")
    figures = {}
    for name, extra in (("test", ["--data", str(subset), "--split", "test"]), ("tuxpaint", ["--testset", "tuxpaint"])):
        out = run_wordbridge(["evaluate", str(folder), *extra, "--beam", "5", "--json"],
                             args.work / f"eval-{mark:g}-{name}.log", args.threads, f"evaluate {name}", ROOT)
        figures[name] = json.loads(out)
    step = int(snapshot.stem.split("-")[1])
    row = {"mark": mark, "step": step, "minutes": minutes,
           **{f"{n}_{k}": figures[n][k] for n in figures for k in ("bleu", "chrf")}}
    write_json(row_file, row)
    shutil.rmtree(folder)
    return row


def table(rows: list[dict]) -> str:
    lines = [[f"{r['mark']:g}", f"{r['minutes']:.1f}", f"{r['step']:,}", f"{r['test_bleu']:.2f} / {r['test_chrf']:.1f}",
              f"{r['tuxpaint_bleu']:.2f} / {r['tuxpaint_chrf']:.1f}"] for r in rows]
    return markdown_table(["mark (min)", "snapshot (min)", "step", "test BLEU / chrF (beam 5)",
                           "Tux Paint BLEU / chrF (beam 5)"], lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="learning_curve.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "transformer.yaml")
    ap.add_argument("--prepared", type=Path, required=True, help="the prepared folder the run trains on")
    ap.add_argument("--minutes", type=float, default=200.0, help="the run's budget (default 200)")
    ap.add_argument("--marks", default="25,50,100,200", help="minutes to score (default 25,50,100,200)")
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0, help="latest.pt (and a snapshot) at least "
                    "this often (default 5): what a stop can lose")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override for the run")
    ap.add_argument("--per-source", type=int, default=60, help="test pairs scored per source (default 60)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    ap.add_argument("--work", type=Path, default=ROOT / ".bench" / "learning-curve", help="the run, logs and rows")
    ap.add_argument("--table-only", action="store_true", help="train nothing: score the marks reached so far")
    args = ap.parse_args(argv)
    try:
        args.marks = sorted({float(m) for m in args.marks.split(",")})
    except ValueError:
        ap.error(f"--marks must be minutes separated by commas, not {args.marks!r}")
    if args.minutes <= 0 or args.checkpoint_minutes <= 0 or not args.marks or args.marks[0] <= 0:
        ap.error("--minutes, --checkpoint-minutes and every mark must be > 0")
    if args.marks[-1] > args.minutes:
        ap.error(f"the last mark ({args.marks[-1]:g}) is beyond --minutes ({args.minutes:g})")
    if not (args.prepared / "stats.json").is_file():
        ap.error(f"--prepared {args.prepared} is not a prepared folder (no stats.json)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    run = args.work / "run"
    if not args.table_only:
        train(args, run)
    subset = args.work / "test-subset"
    if not (subset / "test.source.txt").is_file():
        make_subset(args.prepared, subset, args.per_source, "test")
    snapshots = {p: snapshot_minutes(p, args.minutes) for p in sorted((run / "checkpoints").glob("step-*.pt"))}
    reached = max(snapshots.values(), default=0.0)
    rows = []
    for mark in args.marks:
        chosen = pick(snapshots, mark, reached)
        if chosen is None:
            print(f"{mark:g} min: not reached yet (the run is at {reached:.1f} of {args.minutes:g} minutes)")
            continue
        rows.append(score(args, mark, chosen, snapshots[chosen], run, subset))
    print(f"Learning curve of {args.config.name} on {args.prepared.name}: one run of {args.minutes:g} min, "
          f"{args.threads} thread(s). {describe_machine(machine_info())}\n\n{table(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
