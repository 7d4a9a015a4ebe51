"""Side-by-side benchmark of wordbridge against JoeyNMT 2.3.0, in one run.

Both toolkits train the same model (2-layer bidirectional GRU encoder, hidden 256, embeddings 300, GRU decoder with
Bahdanau attention, wordbridge's dropouts) on the same prepared data (same pairs, tokens and vocabularies), with the
same threads and the same wall-clock budget, in alternating runs. Both are scored with sacrebleu on detokenised
outputs against the same raw references. One markdown table is printed and written to --out.

    python benchmarks/vs_joeynmt.py                         # default: 12 minutes per toolkit, ~30 minutes in all
    python benchmarks/vs_joeynmt.py --quick                 # smoke check: 1 minute each, 200 test sentences
    python benchmarks/vs_joeynmt.py --decode-only --work W  # decoding rows again, with the models a run left in W
    python benchmarks/vs_joeynmt.py --minutes 20 --repeats 2 --prepared DIR --out results.md

JoeyNMT lives in its own virtual environment (--venv, created when missing with the CPU torch pinned by
constraints.txt). JoeyNMT has no time limit of its own: the script sends SIGINT when the budget is spent (counted
from its first "EPOCH 1" log line, i.e. after data loading, as wordbridge's --max-minutes counts training time), and
JoeyNMT saves latest.ckpt on interrupt.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from wordbridge.errors import WordbridgeError  # noqa: E402

from common import (  # noqa: E402  (benchmarks/ is not a package)
    busy_warning,
    describe_machine,
    fmt_diff,
    fmt_num,
    fmt_ratio,
    machine_info,
    markdown_table,
    ratio,
)
from vs_joeynmt_peer import (  # noqa: E402
    JOEY_VERSION,
    DecodeStats,
    TrainStats,
    build_joeynmt_config,
    decode_joeynmt,
    ensure_venv,
    export_joeynmt_data,
    train_joeynmt,
    write_yaml,
)
from vs_joeynmt_wordbridge import (  # noqa: E402
    decode_wordbridge,
    ensure_prepared,
    load_resolved,
    peer_settings,
    score,
    train_wordbridge,
)

log = logging.getLogger("vs_joeynmt")

QUICK_MINUTES = 1.0
QUICK_TEST_SENTENCES = 200


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="vs_joeynmt.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=12.0, help="training budget per toolkit and repeat (default 12)")
    ap.add_argument("--prepared", type=Path, default=None,
                    help="prepared folder (default: the config's data.out, made with `wordbridge prepare CONFIG` "
                         "when missing)")
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "default.yaml",
                    help="wordbridge config for prepare and train (default configs/default.yaml)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="wordbridge config override for prepare and train, e.g. data.max_pairs=20000 (repeatable)")
    ap.add_argument("--out", type=Path, default=None, help="write the table here too (default WORK/table.md)")
    ap.add_argument("--work", type=Path, default=ROOT / ".bench" / "vs_joeynmt", help="scratch folder for runs")
    ap.add_argument("--venv", type=Path, default=ROOT / ".bench" / "joeynmt-venv", help="JoeyNMT virtual env")
    ap.add_argument("--threads", type=int, default=2, help="torch/OpenMP threads for both toolkits (default 2)")
    ap.add_argument("--beam", type=int, default=5, help="beam size for the beam-search row (default 5)")
    ap.add_argument("--decode-batch", type=int, default=64, help="sentences per decoding batch (default 64)")
    ap.add_argument("--repeats", type=int, default=1, help="alternating training rounds; medians are reported")
    ap.add_argument("--test-sentences", type=int, default=None, help="decode only the first N test sentences")
    ap.add_argument("--decode-only", action="store_true",
                    help="skip training: decode with the models an earlier run left in --work (its last round)")
    ap.add_argument("--quick", action="store_true",
                    help=f"smoke check: {QUICK_MINUTES:g} minute(s) per toolkit, {QUICK_TEST_SENTENCES} test sentences")
    args = ap.parse_args(argv)
    if args.quick:
        args.minutes = min(args.minutes, QUICK_MINUTES)
        args.test_sentences = args.test_sentences or QUICK_TEST_SENTENCES
    if args.minutes <= 0 or args.repeats < 1 or args.threads < 1 or args.beam < 2:
        ap.error("--minutes must be > 0, --repeats and --threads >= 1, --beam >= 2")
    args.out = args.out or args.work / "table.md"
    shown = sys.argv[1:] if argv is None else argv
    args.command = " ".join(["python benchmarks/vs_joeynmt.py", *shown])
    return args


def run_training(args, prepared: Path, joey_py: Path, joey_data, settings: dict) -> dict[str, list[TrainStats]]:
    """Alternating rounds: wordbridge then JoeyNMT, `repeats` times, each with the same budget and threads."""
    runs: dict[str, list[TrainStats]] = {"wordbridge": [], "joeynmt": []}
    for r in range(args.repeats):
        log.info("== round %d/%d: wordbridge, %.1f min", r + 1, args.repeats, args.minutes)
        wb_dir = args.work / f"wordbridge-run{r}"
        runs["wordbridge"].append(train_wordbridge(args.config, prepared, wb_dir, args.minutes, args.threads, args.set))
        log.info("   wordbridge: %s", runs["wordbridge"][-1].summary())
        resolved = load_resolved(wb_dir)
        if resolved is not None:  # mirror exactly what wordbridge trained (defaults resolved)
            settings.update(peer_settings(args.config, prepared, args.set, resolved=resolved))
        log.info("== round %d/%d: JoeyNMT %s, %.1f min", r + 1, args.repeats, JOEY_VERSION, args.minutes)
        jy_dir = args.work / f"joeynmt-run{r}"
        cfg = build_joeynmt_config(joey_data, jy_dir, settings, beam=1, decode_batch=args.decode_batch)
        cfg_path = write_yaml(cfg, args.work / f"joeynmt-run{r}.yaml")
        runs["joeynmt"].append(train_joeynmt(joey_py, cfg_path, jy_dir, args.minutes, args.threads))
        log.info("   JoeyNMT: %s", runs["joeynmt"][-1].summary())
    return runs


def reuse_runs(args, prepared: Path, settings: dict) -> dict[str, list[TrainStats]]:
    """--decode-only: the last round's run folders of an earlier run in --work (no training figures)."""
    r = args.repeats - 1
    wb_dir, jy_dir = args.work / f"wordbridge-run{r}", args.work / f"joeynmt-run{r}"
    if not ((wb_dir / "best.pt").is_file() or (wb_dir / "latest.pt").is_file()) or not (jy_dir / "latest.ckpt").is_file():
        raise RuntimeError(f"--decode-only needs trained models in {wb_dir} and {jy_dir}: run without it first")
    resolved = load_resolved(wb_dir)
    if resolved is not None:
        settings.update(peer_settings(args.config, prepared, args.set, resolved=resolved))
    return {"wordbridge": [TrainStats("wordbridge", wb_dir, 0.0, None, None, 0)],
            "joeynmt": [TrainStats("joeynmt", jy_dir, 0.0, None, None, 0)]}


def run_decoding(args, runs, joey_py: Path, joey_data, settings: dict) -> dict[tuple[str, int], DecodeStats]:
    """Greedy then beam search, alternating toolkits, each decoding the test split with its last round's model
    (with --repeats > 1 the training rows are medians, the BLEU and decoding rows come from the last round);
    wordbridge decodes twice, with its float model and with the int8 copy (translate/quantize.py)."""
    src_lines, refs = joey_data.test_raw_src, joey_data.test_raw_ref
    results: dict[tuple[str, int], DecodeStats] = {}
    wb_run, jy_run = runs["wordbridge"][-1].run_dir, runs["joeynmt"][-1].run_dir
    for beam in (1, args.beam):
        log.info("== decoding %d test sentences, beam %d", len(src_lines), beam)
        for int8 in (False, True):
            name = "wordbridge-int8" if int8 else "wordbridge"
            out = args.work / f"{name}.beam{beam}.txt"
            stats = decode_wordbridge(wb_run, src_lines, beam, args.threads, args.decode_batch, out, int8=int8)
            stats.bleu, stats.chrf = score(stats.hypotheses, refs, settings["lowercase"])
            results[(name, beam)] = stats
            log.info("   %s: %s", name, stats.summary())
        cfg = build_joeynmt_config(joey_data, jy_run, settings, beam=beam, decode_batch=args.decode_batch,
                                   checkpoint=jy_run / "latest.ckpt", test_only=True)
        cfg_path = write_yaml(cfg, args.work / f"joeynmt-decode-beam{beam}.yaml")
        stats = decode_joeynmt(joey_py, cfg_path, args.work / f"joeynmt.beam{beam}", beam, args.threads,
                               settings["detokenize"])
        stats.bleu, stats.chrf = score(stats.hypotheses, refs, settings["lowercase"])
        results[("joeynmt", beam)] = stats
        log.info("   JoeyNMT: %s", stats.summary())
    return results


def _median(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return statistics.median(kept) if kept else None


# issue 6's goals: throughput >= 2x, BLEU >= JoeyNMT + 2, decoding >= 3x
GOALS = {"throughput": ("ratio", 2.0), "bleu": ("diff", 2.0), "decoding": ("ratio", 3.0)}


def _row(metric: str, wb: float | None, jy: float | None, digits: int, compare: str = "ratio",
         unit: str = "", goal: str | None = None) -> list[str]:
    """One table row: both values, ratio (or difference in points) and whether issue 6's goal is met."""
    delta = fmt_ratio(wb, jy) if compare == "ratio" else f"{fmt_diff(wb, jy, digits)}{unit}"
    verdict = ""
    if goal is not None:
        kind, target = GOALS[goal]
        value = ratio(wb, jy) if kind == "ratio" else (None if wb is None or jy is None else wb - jy)
        shown = f">= {target:g}x" if kind == "ratio" else f">= +{target:g}"
        verdict = f"{shown}: " + ("n/a" if value is None else "met" if value >= target else "missed")
    return [metric, fmt_num(wb, digits), fmt_num(jy, digits), delta, verdict]


INT8_BLEU_TOLERANCE = 0.3  # issue 15: int8 decoding keeps BLEU within 0.3 of fp32


def _int8_verdict(q: DecodeStats, fp32: DecodeStats) -> str:
    if q.bleu is None or fp32.bleu is None:
        return ""
    change = q.bleu - fp32.bleu
    ok = abs(change) <= INT8_BLEU_TOLERANCE
    return f"vs fp32 {change:+.2f}: {'within' if ok else 'beyond'} {INT8_BLEU_TOLERANCE:g}"


def build_table(args, runs, dec, info: dict, n_test: int) -> str:
    """The side-by-side markdown table with ratios (wordbridge / JoeyNMT), plus the header and notes."""
    wb_tr, jy_tr = runs["wordbridge"], runs["joeynmt"]
    rows = [] if args.decode_only else [
        _row("training throughput (target tokens/s)", _median([r.tokens_per_s for r in wb_tr]),
             _median([r.tokens_per_s for r in jy_tr]), 0, goal="throughput"),
        _row("optimizer steps in the budget", _median([r.steps for r in wb_tr]), _median([r.steps for r in jy_tr]), 0),
    ]
    for beam in (1, args.beam):
        name = "greedy" if beam == 1 else f"beam {beam}"
        wb, jy = dec[("wordbridge", beam)], dec[("joeynmt", beam)]
        rows += [
            _row(f"test BLEU, {name}", wb.bleu, jy.bleu, 2, "diff", " BLEU", goal="bleu"),
            _row(f"test chrF, {name}", wb.chrf, jy.chrf, 2, "diff", " chrF"),
            _row(f"decoding, {name} (sentences/s)", wb.sentences_per_s, jy.sentences_per_s, 1, goal="decoding"),
        ]
        q = dec.get(("wordbridge-int8", beam))
        if q is not None:
            rows += [
                _row(f"test BLEU, {name}, int8", q.bleu, jy.bleu, 2, "diff", " BLEU")[:4] + [_int8_verdict(q, wb)],
                _row(f"decoding, {name}, int8 (sentences/s)", q.sentences_per_s, jy.sentences_per_s, 1,
                     goal="decoding"),
            ]
    if not args.decode_only:
        rows.append(_row("peak RAM of training (MiB, process tree RSS)",
                         _median([r.peak_rss_bytes / 2**20 for r in wb_tr]),
                         _median([r.peak_rss_bytes / 2**20 for r in jy_tr]), 0))
    table = markdown_table(["metric", "wordbridge", f"JoeyNMT {JOEY_VERSION}", "wordbridge / JoeyNMT", "goal"],
                           rows, align="lrrrl")
    head = [
        (f"wordbridge vs JoeyNMT {JOEY_VERSION}, decoding only (the models an earlier run trained in {args.work}): "
         f"{args.threads} threads, {n_test} test sentences" if args.decode_only else
         f"wordbridge vs JoeyNMT {JOEY_VERSION}: {args.minutes:g} min training each, {args.threads} threads, "
         f"{args.repeats} alternating round(s) (medians), {n_test} test sentences")
        + (" (--quick smoke run)" if args.quick else ""),
        f"Machine: {describe_machine(info)}",
        f"Command: `{args.command}`",
    ]
    warning = busy_warning(info, args.threads)
    head += [f"Warning: {warning}."] if warning else []
    notes = [
        "",
        "Same prepared pairs, tokens, vocabularies and architecture; each toolkit trains with its own recipe "
        "(wordbridge: its config, validating inside its budget; JoeyNMT: Adam 1e-3 constant, teacher forcing, no "
        "validation). Throughput: median of each toolkit's logged target-tokens/s windows (end-of-sentence "
        "included, validation excluded). BLEU/chrF: sacrebleu on detokenised outputs vs the raw references "
        "(last column: difference in points); JoeyNMT keeps `_unk_` in its output, wordbridge replaces it with the "
        "attended source word. Decoding: test sentences / generation seconds, model loading excluded, "
        f"{args.decode_batch} sentences per batch.",
    ]
    return "  \n".join(head) + "\n\n" + table + "\n" + "\n".join(notes) + "\n"  # "  \n": markdown line breaks


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args = parse_args(argv)
    args.work = args.work.resolve()  # JoeyNMT runs from its own working folder: relative paths would break
    args.out = args.out.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    warning = busy_warning(info, args.threads)
    if warning:
        log.warning("warning: %s", warning)
    try:
        joey_py = ensure_venv(args.venv, ROOT / "constraints.txt")
        prepared = ensure_prepared(args.prepared, args.config, args.set, args.work, args.threads)
        settings = peer_settings(args.config, prepared, args.set)
        joey_data = export_joeynmt_data(prepared, args.work / "joeynmt-data", args.test_sentences,
                                        emb_scale=settings["emb_scale"])
        if args.decode_only:
            runs = reuse_runs(args, prepared, settings)
        else:
            runs = run_training(args, prepared, joey_py, joey_data, settings)
        dec = run_decoding(args, runs, joey_py, joey_data, settings)
    except (RuntimeError, OSError, subprocess.CalledProcessError, WordbridgeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = build_table(args, runs, dec, info, len(joey_data.test_raw_ref))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    print(table)
    log.info("table written to %s", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
