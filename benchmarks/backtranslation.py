"""Back-translation benchmark (issue 24): the same forward model, budget and seed trained on real pairs only, on real
+ back-translated pairs with the <bt> tag, and on real + back-translated pairs untagged.

Steps (each a `wordbridge` command, timed): prepare the real corpus (fr-en) and its reverse (en-fr); train the
reverse model; back-translate English monolingual text (the en-mono asset, or --mono FILE; the first
--mono-sentences); prepare real + synthetic (tagged / untagged); train the three forward models; score each on the
validation and test splits per source, on Tux Paint's stamp descriptions (French -> English, when the asset is
fetched) and print the beam-5 outputs of examples/demo_fr.txt. One markdown report is printed and written to
WORK/report.md.

    python benchmarks/backtranslation.py --minutes 25                          # the issue's run (~2.5 h of training)
    python benchmarks/backtranslation.py --config configs/transformer.yaml --jobs 2   # two trainings at a time,
                                                                               # one thread each (~1.3 h)
    python benchmarks/backtranslation.py --config configs/tiny.yaml --minutes 0.5 --mono-sentences 200 \\
        --tux-max 50 --work .bench/bt-smoke                                    # end-to-end smoke check
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from wordbridge import asset_paths  # noqa: E402
from wordbridge.config import read_yaml  # noqa: E402
from wordbridge.devise.data import parse_tuxpaint_txt  # noqa: E402
from wordbridge.text.monolingual import EN_MONO_ASSET, EN_MONO_FILE, read_sentences  # noqa: E402

from common import describe_machine, fmt_diff, machine_info, markdown_table, run_wordbridge  # noqa: E402

log = logging.getLogger("backtranslation")
VARIANTS = {"real": "real only", "tagged": "real + BT (tagged)", "untagged": "real + BT (untagged)"}
GOAL_GAIN, GOAL_LOSS = 2.0, 1.0  # +2 BLEU on everyday sources and Tux Paint; no source loses more than 1 BLEU


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="backtranslation.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "default.yaml", help="config of every model")
    ap.add_argument("--reverse-config", type=Path, default=None,
                    help="config of the reverse (English -> French) model (default: --config)")
    ap.add_argument("--minutes", type=float, default=25.0, help="training budget per model (default 25)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override for every prepare "
                    "and training, e.g. data.max_pairs=20000 (repeatable)")
    ap.add_argument("--mono", type=Path, default=None, help="English sentences (default: the en-mono asset)")
    ap.add_argument("--mono-sentences", type=int, default=None, metavar="N", help="back-translate the first N only")
    ap.add_argument("--decoding", default="sampling", choices=("sampling", "beam"),
                    help="back-translation by top-10 sampling (default) or beam 5")
    ap.add_argument("--eval-beam", type=int, default=1, help="beam of the valid/test/Tux Paint scores (default 1)")
    ap.add_argument("--tux-max", type=int, default=None, metavar="N", help="score the first N Tux Paint pairs only")
    ap.add_argument("--everyday", default="", metavar="S1,S2", help="sources counted as everyday for the goal")
    ap.add_argument("--threads", type=int, default=2, help="torch threads per step (default 2; 1 with --jobs 2)")
    ap.add_argument("--jobs", type=int, default=1, choices=(1, 2), help="2: train real-only beside the reverse "
                    "model, and the two back-translated variants side by side (same budget, one core each)")
    ap.add_argument("--work", type=Path, default=ROOT / ".bench" / "backtranslation", help="scratch folder")
    args = ap.parse_args(argv)
    if args.jobs == 2 and args.threads == 2:
        args.threads = 1
    args.everyday = args.everyday or ",".join(everyday_sources())
    return args


def everyday_sources() -> list[str]:
    """The sources of the default corpus in the "everyday" group (what the goal counts)."""
    from wordbridge.text.named_corpora import CORPORA

    return sorted(name for name, corpus in CORPORA.items() if corpus.group == "everyday")


def parallel(jobs: int, *calls) -> None:
    """Runs the zero-argument calls, `jobs` at a time (each a subprocess step); the first failure is raised."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(c) for c in calls]:
            future.result()


class Steps:
    """Runs `python -m wordbridge ...` steps, each logged to WORK/logs/NAME.log and timed; a finished step (its
    output exists) is skipped, so the script resumes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args, self.seconds = args, {}
        (args.work / "logs").mkdir(parents=True, exist_ok=True)

    def run(self, name: str, argv: list[str], done: Path | None = None, side_by_side: bool = False) -> str:
        """One step; with --jobs 2 a step alone gets both jobs' threads, one of two side by side gets --threads."""
        if done is not None and done.exists():
            log.info("== %s: done before (%s)", name, done)
            return ""
        log.info("== %s: wordbridge %s", name, " ".join(argv))
        start = time.perf_counter()
        threads = self.args.threads * (1 if side_by_side else self.args.jobs)
        out = run_wordbridge(argv, self.args.work / "logs" / f"{name}.log", threads, f"step {name}", cwd=ROOT)
        self.seconds[name] = round(time.perf_counter() - start, 1)
        return out

    def sets(self, *extra: str) -> list[str]:
        return [a for s in (*self.args.set, *extra) for a in ("--set", s)]


def mono_input(args: argparse.Namespace) -> Path:
    """The English text to back-translate (first --mono-sentences lines) as WORK/mono.txt."""
    source = args.mono or asset_paths.path(EN_MONO_ASSET) / EN_MONO_FILE
    sentences = read_sentences(source)[: args.mono_sentences]
    out = args.work / "mono.txt"
    out.write_text("".join(s + "\n" for s in sentences), encoding="utf-8")
    return out


def tux_pairs(work: Path, limit: int | None) -> tuple[Path, Path] | None:
    """Tux Paint's French / English stamp descriptions, deduplicated, as two aligned files (None if not fetched)."""
    if not asset_paths.is_cached("tuxpaint-stamps"):
        return None
    pairs: dict[tuple[str, str], None] = {}
    for txt in sorted(asset_paths.path("tuxpaint-stamps").rglob("*.txt")):
        english, french = parse_tuxpaint_txt(txt.read_text(encoding="utf-8", errors="replace"))
        if english and french:
            pairs[(" ".join(french.split()), " ".join(english.split()))] = None
    rows = list(pairs)[:limit]
    fr, en = work / "tux.fr", work / "tux.en"
    fr.write_text("".join(f + "\n" for f, _ in rows), encoding="utf-8")
    en.write_text("".join(e + "\n" for _, e in rows), encoding="utf-8")
    return fr, en


def build(args: argparse.Namespace, steps: Steps) -> dict[str, Path]:
    """Prepared folders and runs of the three variants (and the reverse model)."""
    w, cfg = args.work, str(args.config)
    prep = {v: w / f"prep-{v}" for v in VARIANTS}
    runs = {v: w / f"run-{v}" for v in VARIANTS}
    steps.run("prepare-real", ["prepare", cfg, "--out", str(prep["real"]), *steps.sets()], prep["real"])
    steps.run("prepare-reverse", ["prepare", cfg, "--out", str(w / "prep-rev"), *steps.sets("data.direction=en-fr")],
              w / "prep-rev")
    train = ["--max-minutes", str(args.minutes), "--overwrite"]
    reverse_cfg = str(args.reverse_config or args.config)

    def train_step(variant: str, config: str, run: Path, data: Path):
        return lambda: steps.run(f"train-{variant}", ["train", config, "--run-dir", str(run), *train,
                                                      *steps.sets(f"data.out={data}")], run / "best.pt",
                                 side_by_side=True)

    parallel(args.jobs, train_step("reverse", reverse_cfg, w / "rev", w / "prep-rev"),
             train_step("real", cfg, runs["real"], prep["real"]))
    if _is_transformer(w / "rev"):  # back-translate through its CTranslate2 int8 export
        steps.run("export-reverse", ["export", str(w / "rev"), "--format", "ctranslate2", "--quantization", "int8"],
                  w / "rev" / "ctranslate2")
    decoding = ["--sampling", "--topk", "10"] if args.decoding == "sampling" else ["--beam", "5"]
    steps.run("backtranslate", ["backtranslate", str(w / "rev"), "--input", str(mono_input(args)), "--out",
                                str(w / "bt"), *decoding], w / "bt" / "backtranslation.json")
    for variant, tag in (("tagged", "true"), ("untagged", "false")):
        extra = f"data.extra_sources=[{{path: {w / 'bt'}, name: backtranslated, tag: {tag}}}]"
        steps.run(f"prepare-{variant}", ["prepare", cfg, "--out", str(prep[variant]), *steps.sets(extra)],
                  prep[variant])
    parallel(args.jobs, *(train_step(v, cfg, runs[v], prep[v]) for v in ("tagged", "untagged")))
    return runs


def _is_transformer(run: Path) -> bool:
    return read_yaml(run / "config.yaml")["model"]["arch"] == "transformer"


def score(args: argparse.Namespace, steps: Steps, runs: dict[str, Path]) -> dict:
    """{variant: {"valid": evaluate json, "test": ..., "tux": ... | None, "demo": [lines]}}."""
    tux = tux_pairs(args.work, args.tux_max)
    out: dict[str, dict] = {}
    beam = ["--beam", str(args.eval_beam)]

    def one(variant: str, run: Path) -> None:
        res = {split: json.loads(steps.run(f"eval-{variant}-{split}", ["evaluate", str(run), "--split", split,
                                                                       "--json", *beam], side_by_side=True))
               for split in ("valid", "test")}
        res["tux"] = None if tux is None else json.loads(steps.run(
            f"eval-{variant}-tux", ["evaluate", str(run), "--src", str(tux[0]), "--ref", str(tux[1]), "--json",
                                    *beam], side_by_side=True))
        res["demo"] = steps.run(f"demo-{variant}", ["translate", str(run), "-i", str(ROOT / "examples" /
                                                                                 "demo_fr.txt"), "--beam", "5"],
                                side_by_side=True)
        res["demo"] = res["demo"].splitlines()
        out[variant] = res

    parallel(args.jobs, *(lambda v=v, r=r: one(v, r) for v, r in runs.items()))
    return out


def report(args: argparse.Namespace, steps: Steps, res: dict, info: dict) -> str:
    rows = []
    for split in ("valid", "test"):
        rows.append([f"**{split}** (all)", *_cells(res, lambda r: r[split])])
        for source in res["real"][split]["by_source"]:
            rows.append([f"{split} {source}", *_cells(res, lambda r: r[split]["by_source"].get(source))])
    if res["real"]["tux"] is not None:
        rows.append([f"Tux Paint ({res['real']['tux']['sentences']} pairs)", *_cells(res, lambda r: r["tux"])])
    headers = ["BLEU / chrF", *VARIANTS.values(), "tagged - real (BLEU)", "untagged - real (BLEU)"]
    demo = [[src, *(res[v]["demo"][i] if i < len(res[v]["demo"]) else "" for v in VARIANTS)]
            for i, src in enumerate(read_sentences(ROOT / "examples" / "demo_fr.txt"))]
    bt = json.loads((args.work / "bt" / "backtranslation.json").read_text(encoding="utf-8"))
    parts = [f"# Back-translation benchmark\n\n{describe_machine(info)}; {args.minutes:g} min per model, config "
             f"{args.config.name} (reverse model: {(args.reverse_config or args.config).name}), {args.jobs} "
             f"training(s) at a time with {args.threads} thread(s) each, overrides {args.set or 'none'}; {bt['lines']:,} English sentences back-translated "
             f"({args.decoding}); scores with beam {args.eval_beam}.\n",
             markdown_table(headers, rows), "\n## Goals\n", goals(args, res),
             "\n## examples/demo_fr.txt, beam 5\n", markdown_table(["French", *VARIANTS.values()], demo),
             "\n## Step times (s)\n", markdown_table(["step", "seconds"], [[k, v] for k, v in steps.seconds.items()])]
    return "\n".join(parts) + "\n"


def _cells(res: dict, pick) -> list[str]:
    got = {v: pick(res[v]) for v in VARIANTS}
    cells = [f"{g['bleu']:.2f} / {g['chrf']:.1f}" if g else "-" for g in got.values()]
    base = got["real"]
    cells += [fmt_diff(got[v]["bleu"], base["bleu"], 2) if got[v] and base else "-" for v in ("tagged", "untagged")]
    return cells


def goals(args: argparse.Namespace, res: dict) -> str:
    """The issue's goal, for each BT variant: +2 BLEU on everyday test sources and Tux Paint, no test source < -1."""
    everyday = [s for s in args.everyday.split(",") if s]
    lines = []
    for v in ("tagged", "untagged"):
        test, base = res[v]["test"]["by_source"], res["real"]["test"]["by_source"]
        gains = {s: test[s]["bleu"] - base[s]["bleu"] for s in base if s in test}
        losers = [s for s, g in gains.items() if g < -GOAL_LOSS and s not in everyday]
        tux = None if res[v]["tux"] is None else res[v]["tux"]["bleu"] - res["real"]["tux"]["bleu"]
        ok_every = all(gains.get(s, 0.0) >= GOAL_GAIN for s in everyday) if everyday else None
        tux_text = "n/a" if tux is None else f"{tux:+.2f} BLEU ({'met' if tux >= GOAL_GAIN else 'missed'})"
        lines.append(f"- {VARIANTS[v]}: everyday sources +{GOAL_GAIN:g} BLEU: "
                     f"{'n/a (--everyday not given)' if ok_every is None else ('met' if ok_every else 'missed')}; "
                     f"Tux Paint {tux_text}; "
                     f"no other source below -{GOAL_LOSS:g}: {'met' if not losers else 'missed: ' + ', '.join(losers)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    steps = Steps(args)
    runs = build(args, steps)
    text = report(args, steps, score(args, steps, runs), info)
    (args.work / "report.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
