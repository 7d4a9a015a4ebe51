"""Training memory and speed of this checkout against a baseline checkout, alternating, in one run.

    python benchmarks/train_memory.py --baseline /tmp/wordbridge-main --minutes 4 --rounds 2 \
        --prepared runs/prepared/default

Each round trains the default model with `wordbridge train CONFIG --max-minutes M` once with the baseline's code
(its src/ on PYTHONPATH, its configs/default.yaml) and once with this checkout's, each in its own process with the
same threads, and records the process tree's peak RSS (sampled every 0.1 s: training, the final validation and
saving included) and the median of the logged target-tokens/s windows (history.json; validation excluded). A
baseline checkout is e.g. `git worktree add --detach /tmp/wordbridge-main main` or `git archive main | tar -x -C D`.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import busy_warning, describe_machine, fmt_num, machine_info, markdown_table, run_measured, thread_env  # noqa: E402
from vs_joeynmt_peer import median_rate  # noqa: E402

log = logging.getLogger("train_memory")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="train_memory.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", type=Path, required=True, help="checkout to compare with (holds src/ and configs/)")
    ap.add_argument("--prepared", type=Path, required=True, help="prepared folder (wordbridge prepare) both train on")
    ap.add_argument("--minutes", type=float, default=4.0, help="training budget per run (default 4)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2); medians are reported")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="config override for both runs, e.g. train.log_every=10 (repeatable)")
    ap.add_argument("--work", type=Path, default=ROOT / ".bench" / "train_memory", help="scratch folder for runs")
    ap.add_argument("--out", type=Path, default=None, help="write the table here too (default WORK/table.md)")
    args = ap.parse_args(argv)
    if args.minutes <= 0 or args.rounds < 1 or args.threads < 1:
        ap.error("--minutes must be > 0, --rounds and --threads >= 1")
    for root in (args.baseline, ROOT):
        if not (root / "src" / "wordbridge").is_dir() or not (root / "configs" / "default.yaml").is_file():
            ap.error(f"{root} is not a wordbridge checkout (src/wordbridge and configs/default.yaml)")
    args.out = args.out or args.work / "table.md"
    args.command = " ".join(["python benchmarks/train_memory.py", *(sys.argv[1:] if argv is None else argv)])
    return args


def train_once(label: str, root: Path, args: argparse.Namespace, r: int) -> dict:
    """One `wordbridge train` run with `root`'s code and default config: {"peak_mib", "tokens_per_s", "steps"}."""
    run_dir = args.work / f"{label}-run{r}"
    log_path = args.work / f"{label}-run{r}.log"
    log_path.unlink(missing_ok=True)
    env = thread_env(args.threads)
    env["PYTHONPATH"] = str(root / "src")
    sets = [f"data.out={args.prepared.resolve()}", f"train.threads={args.threads}", "train.device=cpu", *args.set]
    cmd = [sys.executable, "-m", "wordbridge", "train", str(root / "configs" / "default.yaml"), "--run-dir",
           str(run_dir), "--overwrite", "--max-minutes", f"{args.minutes:g}", *[a for s in sets for a in ("--set", s)]]
    res = run_measured(cmd, log_path, env=env, timeout_s=args.minutes * 60 + 1800)
    if res.returncode != 0:
        raise RuntimeError(f"{label} training failed (exit {res.returncode}); see {log_path}:\n{res.tail()}")
    history = json.loads((run_dir / "history.json").read_text(encoding="utf-8")).get("train", [])
    return {"peak_mib": res.peak_rss_bytes / 2**20, "steps": max((r["step"] for r in history), default=0),
            "tokens_per_s": median_rate(float(r["items_per_s"]) for r in history if r.get("items_per_s"))}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    runs: dict[str, list[dict]] = {"baseline": [], "this checkout": []}
    try:
        for r in range(args.rounds):
            for label, root in (("baseline", args.baseline.resolve()), ("this checkout", ROOT)):
                log.info("== round %d/%d: %s (%s), %.1f min", r + 1, args.rounds, label, root, args.minutes)
                runs[label].append(train_once(label.replace(" ", "-"), root, args, r))
                log.info("   %s", runs[label][-1])
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def med(label: str, key: str) -> float | None:
        values = [run[key] for run in runs[label] if run[key] is not None]
        return statistics.median(values) if values else None

    rows = []
    for key, name, digits in (("tokens_per_s", "training throughput (target tokens/s)", 0),
                              ("steps", "optimizer steps in the budget", 0),
                              ("peak_mib", "peak RAM of training (MiB, process tree RSS)", 0)):
        old, new = med("baseline", key), med("this checkout", key)
        change = "n/a" if not old or new is None else f"{100.0 * (new / old - 1.0):+.1f}%"
        rows.append([name, fmt_num(old, digits), fmt_num(new, digits), change])
    table = markdown_table(["metric", f"baseline ({args.baseline.name})", "this checkout", "change"], rows,
                           align="lrrr")
    head = [f"Training the default model, baseline vs this checkout: {args.minutes:g} min each, {args.threads} "
            f"threads, {args.rounds} alternating round(s) (medians)", f"Machine: {describe_machine(info)}",
            f"Command: `{args.command}`"]
    warning = busy_warning(info, args.threads)
    head += [f"Warning: {warning}."] if warning else []
    text = "  \n".join(head) + "\n\n" + table + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
