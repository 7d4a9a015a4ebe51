"""Issue 21's figures: old default vs new corpus unweighted vs new with pair filtering vs new with the everyday
sources weighted, under one training budget each, scored on the same held-out pairs.

    python benchmarks/everyday_corpus.py [--minutes 25] [--jobs 2] [--config configs/default.yaml]
                                         [--everyday-weight 3] [--per-source 200] [--work runs/everyday_corpus]
                                         [--out everyday_corpus.md] [--set key=value ...] [--table-only]

Four runs of the config's model and schedule, each with its train.source_weights set here: new-unweighted (every
source of `default`, cased, weights {}), old (the ten sources of the earlier default, lowercased, weights {}),
new-filtered (as new-unweighted with the `similarity` filter added to data.filters: data.min_pair_similarity on
data.similarity_sources; preparing it embeds those sources once, later runs read the cache) and new-weighted (the new
prepared folder, weights {everyday: --everyday-weight}: configs/default.yaml's setting). The prepared folders are
built first, one after the other; then the runs train --jobs at a time in this order (with 2: new-unweighted beside
old, then filtered beside weighted, one thread each). Same model, seed, lr and time-driven schedule. Each run's best
checkpoint decodes (greedy) the first --per-source pairs of each source of the NEW corpus's validation split (BLEU
per source group, everyday and technical, and their mean: the figure that chooses) and test split (BLEU/chrF overall
and per source: the report), Tux Paint's stamp descriptions (`evaluate --testset tuxpaint`, never trained on), and,
with beam 5, examples/demo_fr.txt. Scores are case-sensitive with the uncased figure beside them (the old runs write
lowercase). --table-only prints the rows already in --work.
"""

import argparse
import dataclasses
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/common.py, corpus_vocab.py

from common import markdown_table  # noqa: E402
from corpus_vocab import SECTIONS, last_validation, make_subset, run_and_report  # noqa: E402

from wordbridge.atomic import write_text  # noqa: E402
from wordbridge.config import load_sections  # noqa: E402
from wordbridge.errors import AssetError  # noqa: E402
from wordbridge.text.pipeline import prepare  # noqa: E402
from wordbridge.text.source_weights import group_of  # noqa: E402
from wordbridge.translate.evaluation import evaluate  # noqa: E402
from wordbridge.translate.training import train  # noqa: E402
from wordbridge.translate.translator import Translator  # noqa: E402

OLD_SOURCES = ("bible", "libreoffice-help", "libreoffice-ui", "firefox", "thunderbird", "gimp-help",
               "debian-reference", "gettext-apps", "manpages", "freedict")  # `default` before issue 21
VARIANTS = ("new-unweighted", "old", "new-filtered", "new-weighted")  # train order: with --jobs 2, new beside old
LABELS = {"new-unweighted": "new, unweighted", "old": "old default", "new-filtered": "new, unweighted + pair filtering",
          "new-weighted": "new, everyday weighted"}
DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo_fr.txt"


def variant_sections(base: dict, variant: str, work: Path, everyday_weight: float, threads: int | None = None) -> dict:
    """The config sections of one variant; new-unweighted and new-weighted share one prepared folder."""
    data, train = base["data"], base["train"]
    weights: dict[str, float] = {}
    if variant == "old":
        data = dataclasses.replace(data, sources=OLD_SOURCES, lowercase=True)
    elif variant == "new-weighted":
        weights = {"everyday": everyday_weight}
    elif variant == "new-filtered" and "similarity" not in data.filters:
        data = dataclasses.replace(data, filters=(*data.filters, "similarity"))
    data = dataclasses.replace(data, out=str(work / f"prepared-{prepared_name(variant)}"))
    train = dataclasses.replace(train, source_weights=weights, threads=threads or train.threads)
    return dict(base, data=data, train=train)


def prepared_name(variant: str) -> str:
    return "new" if variant in ("new-unweighted", "new-weighted") else variant


def scoring_sets(work: Path, per_source: int) -> dict[str, Path]:
    """Shared scoring sets cut from the new corpus (prepare_all builds it first): test by source (reported) and
    validation by source group (weights are chosen on it, never on the test pairs). Cut once, before the runs start,
    so that runs side by side only read them."""
    sets = {"test": work / "test-subset", "valid": work / "valid-groups"}
    if not (sets["test"] / "test.source.txt").is_file():
        make_subset(work / "prepared-new", sets["test"], per_source, "test")
    if not (sets["valid"] / "test.source.txt").is_file():
        make_subset(work / "prepared-new", sets["valid"], per_source, "valid")
        names = (sets["valid"] / "test.source.txt").read_text(encoding="utf-8").split()
        write_text(sets["valid"] / "test.source.txt", "".join(f"{group_of(n) or 'other'}\n" for n in names))
    return sets


def figures(name: str, result: dict) -> dict:
    keys = ("bleu", "chrf", "bleu_uncased", "chrf_uncased", "sentences")
    return {"name": name, **{k: result[k] for k in keys if k in result}}


def score_run(variant: str, run_dir: Path, prepared: Path, steps: int, prep_s: float | None, work: Path,
              per_source: int, beam: int) -> dict:
    """The table row of a trained run (also written to WORK/row-VARIANT.json, which --table-only reads)."""
    stats = json.loads((prepared / "stats.json").read_text(encoding="utf-8"))
    sets = scoring_sets(work, per_source)
    test = evaluate(run_dir, split="test", prepared=sets["test"], beam=beam)
    valid = evaluate(run_dir, split="test", prepared=sets["valid"], beam=beam)
    try:
        tux = figures("tuxpaint", evaluate(run_dir, testset="tuxpaint", beam=beam))
    except AssetError as exc:  # not fetched: the row says so
        tux = {"error": str(exc)}
    demo_fr = [line for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]
    demo = [t.text for t in Translator.load(run_dir, device="cpu").translate(demo_fr, beam=5)]
    groups = {g: figures(g, s) for g, s in valid["by_source"].items()}
    row = {"variant": variant, "pairs": stats["splits"]["train"], "steps": steps, "prep_s": prep_s,
           "removed": stats.get("removed", {}), "lowercase": stats.get("lowercase"),
           "valid_groups": groups, "valid_mean": sum(g["bleu"] for g in groups.values()) / max(len(groups), 1),
           "test": figures("all", test), "by_source": {s: figures(s, v) for s, v in test["by_source"].items()},
           "tuxpaint": tux, "demo": dict(zip(demo_fr, demo)), "last_validation": last_validation(run_dir)}
    write_text(work / f"row-{variant}.json", json.dumps(row, ensure_ascii=False))
    return row


def prepare_all(base: dict, variants: list[str], work: Path, everyday_weight: float) -> dict[str, float]:
    """Builds each variant's prepared folder, one after the other (new first: the scoring sets are cut from it);
    returns seconds per folder."""
    seconds = {}
    for variant in ["new-unweighted", *variants]:
        name = prepared_name(variant)
        if name not in seconds:
            data = variant_sections(base, variant, work, everyday_weight)["data"]
            t0 = time.time()
            prepare(data, data.out, overwrite=True)
            seconds[name] = round(time.time() - t0, 1)
    return seconds


def run_one(variant: str, base: dict, minutes: float, work: Path, per_source: int, beam: int,
            everyday_weight: float, threads: int | None, prep_s: float) -> dict:
    sections = variant_sections(base, variant, work, everyday_weight, threads)
    sections["train"] = dataclasses.replace(sections["train"], max_minutes=minutes)
    run_dir = work / f"run-{variant}"
    result = train(sections, run_dir, overwrite=True)
    return score_run(variant, run_dir, Path(sections["data"].out), result.step, prep_s, work, per_source, beam)


def _pair(s: dict | None) -> str:
    if not s or "bleu" not in s:
        return "-"
    return f"{s['bleu']:.2f} / {s['chrf']:.1f} ({s['bleu_uncased']:.2f} / {s['chrf_uncased']:.1f})"


def _cell(text: str) -> str:
    """A translation as a markdown cell: pipes escaped, never empty."""
    return text.replace("|", "\\|") or " "


def table(rows: list[dict], header: str) -> str:
    names = [LABELS[r["variant"]] for r in rows]
    lines = [["train pairs"] + [f"{r['pairs']:,}" for r in rows],
             ["optimizer steps"] + [f"{r['steps']:,}" for r in rows],
             ["pairs removed by similarity"] + [f"{r['removed'].get('similarity', 0):,}" for r in rows]]
    groups = list(dict.fromkeys(g for r in rows for g in r["valid_groups"]))
    for g in groups:
        n = next(r["valid_groups"][g]["sentences"] for r in rows if g in r["valid_groups"])
        lines.append([f"validation {g} ({n:,})"] + [_pair(r["valid_groups"].get(g)) for r in rows])
    lines.append(["**validation BLEU, mean of groups** (chooses)"] + [f"**{r['valid_mean']:.2f}**" for r in rows])
    lines.append([f"**test, all {rows[0]['test']['sentences']:,}**"] + [_pair(r["test"]) for r in rows])
    for source in dict.fromkeys(s for r in rows for s in r["by_source"]):
        n = next(r["by_source"][source]["sentences"] for r in rows if source in r["by_source"])
        lines.append([f"test {source} ({n:,})"] + [_pair(r["by_source"].get(source)) for r in rows])
    lines.append(["**Tux Paint**"] + [_pair(r["tuxpaint"]) if "bleu" in r["tuxpaint"] else "not fetched"
                                      for r in rows])
    out = [header, "", "BLEU / chrF, case-sensitive (uncased in brackets); greedy decoding.", "",
           markdown_table(["", *names], lines), "", "Beam-5 outputs of examples/demo_fr.txt:", ""]
    demo = list(dict.fromkeys(s for r in rows for s in r["demo"]))
    out.append(markdown_table(["French", *names], [[s] + [_cell(r["demo"].get(s, "-")) for r in rows] for s in demo],
                              align="l" * (len(names) + 1)))
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="configs/default.yaml")
    ap.add_argument("--minutes", type=float, default=25.0, help="training budget per run (default 25)")
    ap.add_argument("--everyday-weight", type=float, default=3.0, metavar="W",
                    help="train.source_weights {everyday: W} of the weighted runs when the config sets none")
    ap.add_argument("--per-source", type=int, default=200, metavar="N",
                    help="score the first N validation and test pairs of each source (default 200)")
    ap.add_argument("--beam", type=int, default=1, help="beam of the scored decoding (the demo lines use 5)")
    ap.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated subset of {', '.join(VARIANTS)}"
                    " (the new corpus is always prepared: every run is scored on its splits)")
    ap.add_argument("--jobs", type=int, default=1, metavar="N",
                    help="runs trained side by side, one thread each when N > 1 (default 1: one after the other)")
    ap.add_argument("--work", default="runs/everyday_corpus", help="prepared folders and run folders go here")
    ap.add_argument("--out", default="everyday_corpus.md", help="the markdown tables are written here too")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override (repeatable)")
    ap.add_argument("--table-only", action="store_true", help="train nothing: print the rows already in --work")
    args = ap.parse_args()
    work = Path(args.work)
    variants = [v for v in VARIANTS if v in args.variants.split(",")]
    if not variants or any(v not in VARIANTS for v in args.variants.split(",")):
        ap.error(f"--variants: choose from {', '.join(VARIANTS)}")
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    if args.table_only:
        rows = [json.loads(p.read_text(encoding="utf-8")) for v in variants if (p := work / f"row-{v}.json").is_file()]
        if not rows:
            ap.error(f"no scored runs in {work}: run the benchmark first")
        print(table(rows, f"Runs in {work} (--table-only)"))
        return
    base = load_sections(args.config, SECTIONS, overrides=args.set)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    title = (f"Everyday corpus (issue 21): {args.minutes:g} min of training each, the new corpus's validation and "
             f"test splits ({args.per_source} per source)")
    threads = 1 if args.jobs > 1 else None
    prep_s = prepare_all(base, variants, work, args.everyday_weight)
    scoring_sets(work, args.per_source)
    jobs = [(v, base, args.minutes, work, args.per_source, args.beam, args.everyday_weight, threads,
             prep_s[prepared_name(v)]) for v in variants]
    run_and_report(title, threads or base["train"].threads or 2, run_one, jobs, table, args.out, parallel=args.jobs)


if __name__ == "__main__":
    main()
