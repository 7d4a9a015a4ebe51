"""Print the demo's side-by-side comparison of trained translation models (scripts/demo.sh, README command (1)).

    python3 scripts/side_by_side.py --french examples/demo_fr.txt \
        --model "the lesson's GRU" runs/demo runs/demo/test.beam5.json runs/demo/demo_fr.en.txt \
        --model "Transformer (CTranslate2 int8)" runs/demo-transformer runs/demo-transformer/test.beam5.json \
                runs/demo-transformer/demo_fr.en.txt

Each --model gives a label, its run folder (history.json: optimiser steps, training minutes, best validation BLEU),
the JSON that `wordbridge evaluate --json` printed, and its translations of the French file (one line per line).
Prints one table (training, then test BLEU / chrF overall and per source corpus, one column pair per model) and
each French sentence with every model's translation under it.
"""

import argparse
import json
import sys
from pathlib import Path


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        sys.exit(f"error: cannot read {path}: {exc}")


def read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        sys.exit(f"error: cannot read {path}: {exc}")


def training(run: Path) -> dict:
    """steps, minutes and best validation BLEU from the run's history.json (empty when there is none)."""
    path = run / "history.json"
    if not path.is_file():
        return {}
    history = read_json(path)
    valid, train = history.get("valid", []), history.get("train", [])
    last = valid[-1] if valid else (train[-1] if train else {})
    bleus = [r["bleu"] for r in valid if r.get("bleu") is not None]
    return {"steps": last.get("step"), "minutes": (last.get("elapsed_s") or 0) / 60 if "elapsed_s" in last else None,
            "valid_bleu": max(bleus) if bleus else None}


def fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(models: list[dict]) -> str:
    """Rows: training figures, then BLEU / chrF overall and per source; two columns per model."""
    sources: list[str] = []
    for m in models:
        sources += [s for s in m["eval"].get("by_source") or {} if s not in sources]
    beams = sorted({m["eval"].get("beam") for m in models})
    rows = [("optimiser steps", [(fmt(m["train"].get("steps"), ","), "") for m in models]),
            ("training minutes", [(fmt(m["train"].get("minutes"), ".1f"), "") for m in models]),
            ("best validation BLEU", [(fmt(m["train"].get("valid_bleu"), ".2f"), "") for m in models]),
            (f"test BLEU / chrF (beam {'/'.join(map(str, beams))})",
             [(fmt(m["eval"].get("bleu"), ".2f"), fmt(m["eval"].get("chrf"), ".2f")) for m in models]),
            ("test sentences", [(fmt(m["eval"].get("sentences"), ","), "") for m in models])]
    for source in sources:
        cells = []
        for m in models:
            s = (m["eval"].get("by_source") or {}).get(source) or {}
            cells.append((fmt(s.get("bleu"), ".2f"), fmt(s.get("chrf"), ".2f")))
        rows.append((f"  {source}", cells))
    width = max(len(name) for name, _ in rows)
    col = max(22, *(len(m["label"]) for m in models))
    lines = [f"{'':<{width}}  " + "  ".join(f"{m['label']:>{col}}" for m in models)]
    for name, cells in rows:
        lines.append(f"{name:<{width}}  " + "  ".join(f"{(a + ('  ' + b if b else '')):>{col}}" for a, b in cells))
    return "\n".join(lines)


def sentences(french: list[str], models: list[dict]) -> str:
    """Each French sentence, then each model's translation of it."""
    width = max(len(m["label"]) for m in models)
    out = []
    for i, fr in enumerate(french):
        out.append(f"FR  {fr}")
        for m in models:
            hyp = m["lines"][i] if i < len(m["lines"]) else ""
            out.append(f"    {m['label']:<{width}}  {hyp}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", nargs=4, action="append", required=True,
                   metavar=("LABEL", "RUN_DIR", "EVAL_JSON", "TRANSLATIONS"))
    p.add_argument("--french", required=True, metavar="FILE", help="the French sentences that were translated")
    args = p.parse_args(argv)
    models = [{"label": label, "train": training(Path(run)), "eval": read_json(Path(ev)),
               "lines": read_lines(Path(tr))} for label, run, ev, tr in args.model]
    print(table(models))
    print()
    print(sentences(read_lines(Path(args.french)), models))
    return 0


if __name__ == "__main__":
    sys.exit(main())
