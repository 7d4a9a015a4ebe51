"""A settings sweep on validation BLEU: variants of one config trained on the same prepared folder for the same
budget, two at a time (one core each), each scored on the validation split only (the first --per-source pairs of
every source; greedy), so that a default chosen from the table never saw a test pair.

    python benchmarks/sweep.py --config configs/transformer.yaml --prepared runs/prepared/default --minutes 25 \\
        --variant base --variant lr2e-3:train.lr=0.002 --variant b128:train.batch_size=128,train.lr=0.002
    python benchmarks/sweep.py ... --table-only        # the table of the runs already in --work

A variant is NAME or NAME:KEY=VALUE,KEY=VALUE (config overrides as `--set` takes them; a list in brackets,
train.betas=[0.9,0.999], keeps its commas). A finished variant (its row-NAME.json exists) is not trained again, so a
killed sweep resumes. Columns: optimizer steps, validation BLEU / chrF over all scored pairs, BLEU per source group
(everyday, technical) and their mean (the figure that chooses).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import describe_machine, machine_info, markdown_table, run_wordbridge  # noqa: E402
from corpus_vocab import make_subset  # noqa: E402

from wordbridge.atomic import write_text  # noqa: E402
from wordbridge.text.source_weights import group_of  # noqa: E402


def parse_variant(text: str) -> tuple[str, list[str]]:
    """"NAME:k=v,k=[a,b]" -> (NAME, ["k=v", "k=[a,b]"]): commas inside brackets belong to the value."""
    name, _, sets = text.partition(":")
    if not name or "/" in name:
        raise argparse.ArgumentTypeError(f"bad variant name {name!r}")
    return name, [s for s in re.split(r",(?![^\[]*\])", sets) if s]


def run_variant(args: argparse.Namespace, name: str, sets: list[str], subset: Path) -> dict:
    """Trains one variant (unless done), scores it on the validation subset, writes WORK/row-NAME.json."""
    row_file = args.work / f"row-{name}.json"
    if row_file.is_file():
        return json.loads(row_file.read_text(encoding="utf-8"))
    run = args.work / f"run-{name}"
    overrides = [a for s in (f"data.out={args.prepared}", *args.set, *sets) for a in ("--set", s)]
    run_wordbridge(["train", str(args.config), "--run-dir", str(run), "--max-minutes", str(args.minutes),
                    "--overwrite", *overrides], args.work / f"train-{name}.log", args.threads, f"train {name}", ROOT)
    result = json.loads(run_wordbridge(["evaluate", str(run), "--data", str(subset), "--split", "test", "--beam", "1",
                                        "--json"], args.work / f"eval-{name}.log", args.threads, f"evaluate {name}",
                                       ROOT))
    groups: dict[str, list[float]] = {}
    for source, figures in result["by_source"].items():
        groups.setdefault(group_of(source) or "other", []).append(figures["bleu"])
    history = json.loads((run / "history.json").read_text(encoding="utf-8"))
    steps = max((e["step"] for part in ("train", "valid") for e in history.get(part, [])), default=0)
    row = {"name": name, "sets": sets, "steps": steps,
           "bleu": result["bleu"], "chrf": result["chrf"], "sentences": result["sentences"],
           "groups": {g: sum(v) / len(v) for g, v in sorted(groups.items())}}
    row["group_mean"] = sum(row["groups"].values()) / max(len(row["groups"]), 1)
    write_text(row_file, json.dumps(row))
    return row


def table(rows: list[dict], header: str) -> str:
    groups = list(dict.fromkeys(g for r in rows for g in r["groups"]))
    lines = [[f"`{r['name']}`", ", ".join(r["sets"]) or "(the config)", f"{r['steps']:,}",
              f"{r['bleu']:.2f} / {r['chrf']:.1f}", *(f"{r['groups'].get(g, 0):.2f}" for g in groups),
              f"**{r['group_mean']:.2f}**"] for r in rows]
    heads = ["variant", "overrides", "steps", "valid BLEU / chrF", *(f"{g} BLEU (mean of sources)" for g in groups),
             "mean of groups (chooses)"]
    return f"{header}\n\n{markdown_table(heads, lines)}\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="sweep.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("--prepared", type=Path, required=True, help="the prepared folder every variant trains on")
    ap.add_argument("--variant", action="append", type=parse_variant, required=True, help="NAME[:KEY=VALUE,...]")
    ap.add_argument("--minutes", type=float, default=25.0, help="training budget per variant (default 25)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override for every variant")
    ap.add_argument("--per-source", type=int, default=200, help="validation pairs scored per source (default 200)")
    ap.add_argument("--jobs", type=int, default=2, help="variants trained at a time (default 2)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per variant (default 1)")
    ap.add_argument("--work", type=Path, default=ROOT / ".bench" / "sweep", help="runs, logs and rows go here")
    ap.add_argument("--out", type=Path, default=None, help="write the table here too (default WORK/sweep.md)")
    ap.add_argument("--table-only", action="store_true", help="train nothing: the table of the rows in --work")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    names = [n for n, _ in args.variant]
    if len(set(names)) != len(names):
        ap.error("two variants share a name")
    header = (f"Sweep of {args.config.name} on {args.prepared.name}: {args.minutes:g} min per variant, {args.jobs} at "
              f"a time, {args.threads} thread(s) each; validation only ({args.per_source} pairs per source, greedy). "
              f"{describe_machine(machine_info())}")
    if args.table_only:
        rows = [json.loads(p.read_text(encoding="utf-8")) for n in names if (p := args.work / f"row-{n}.json").is_file()]
    else:
        subset = args.work / "valid-subset"
        if not (subset / "test.source.txt").is_file():
            make_subset(args.prepared, subset, args.per_source, "valid")
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(run_variant, args, n, s, subset) for n, s in args.variant]
            rows = [f.result() for f in futures]
    text = table(rows, header)
    write_text(args.out or args.work / "sweep.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
