"""GRU (the lesson's) vs Transformer vs JoeyNMT under the same budget, and the Transformer served by CTranslate2.

The three train one after the other on the same prepared data, threads and wall-clock budget: wordbridge's GRU
(configs/default.yaml), wordbridge's Transformer (configs/transformer.yaml) and JoeyNMT 2.3.0 with the GRU's
architecture (benchmarks/vs_joeynmt_peer.py; --no-joeynmt skips it). With --leave-out SOURCE every model trains
without that source, and its pairs are the out-of-domain check (sentences from programs or texts no model saw).
The Transformer is exported (`wordbridge export --quantization float32` and `int8`) and the test sentences are
decoded greedy and with beam 5 by every engine. One markdown table is printed and written to --out: parameters,
throughput and achieved FLOP/s vs the bf16 matmul ceiling, peak RAM, BLEU/chrF overall, per source and out of
domain, decoding speed, agreement of CTranslate2 with torch, model sizes, and the issue's goals.

    python benchmarks/vs_transformer.py --minutes 25 --leave-out thunderbird   # the run in docs/benchmarks.md
    python benchmarks/vs_transformer.py --minutes 1 --test-per-source 10 --no-joeynmt   # smoke check
    python benchmarks/vs_transformer.py --decode-only --work W                  # decoding rows again, same models
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402

from wordbridge.atomic import write_text  # noqa: E402
from wordbridge.errors import WordbridgeError  # noqa: E402
from wordbridge.translate.training import is_lowercase  # noqa: E402

from common import (busy_warning, describe_machine, fmt_num, machine_info, markdown_table, ratio,  # noqa: E402
                    run_measured, thread_env)
from vs_joeynmt_peer import (JOEY_VERSION, TrainStats, _check, build_joeynmt_config, decode_joeynmt,  # noqa: E402
                             ensure_venv, export_joeynmt_data, train_joeynmt, write_yaml)
from vs_joeynmt_wordbridge import (decode_wordbridge, ensure_prepared, load_resolved, peer_settings,  # noqa: E402
                                   train_wordbridge)
from vs_transformer_data import (TestSet, flops_per_target_token, scores_of, select_test,  # noqa: E402
                                 training_prepared)

log = logging.getLogger("vs_transformer")
ARCHS = {"gru": ROOT / "configs" / "default.yaml", "transformer": ROOT / "configs" / "transformer.yaml"}
ENGINES = ("gru", "transformer", "ct2-float32", "ct2-int8", "joeynmt")  # the table's columns
HEADERS = ["metric", "GRU (torch)", "Transformer (torch)", "Transformer (CT2 float32)", "Transformer (CT2 int8)",
           f"JoeyNMT {JOEY_VERSION} (GRU)"]
GOALS = {"bleu": 1.3, "int8_vs_joey": 5.0, "int8_size": 1 / 3}  # issue 14


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="vs_transformer.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=25.0, help="training budget per model (default 25)")
    ap.add_argument("--prepared", type=Path, default=None, help="prepared folder (default: data.out of the GRU config, "
                    "made with `wordbridge prepare` when missing)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override for prepare and both trainings, e.g. data.max_pairs=20000 (repeatable)")
    ap.add_argument("--work", type=Path, default=ROOT / ".bench" / "vs_transformer", help="scratch folder for runs")
    ap.add_argument("--out", type=Path, default=None, help="write the table here too (default WORK/table.md)")
    ap.add_argument("--threads", type=int, default=2, help="torch / CTranslate2 threads (default 2)")
    ap.add_argument("--beam", type=int, default=5, help="beam size of the beam rows (default 5)")
    ap.add_argument("--decode-batch", type=int, default=64, help="sentences per decoding batch (default 64)")
    ap.add_argument("--test-per-source", type=int, default=120, metavar="N",
                    help="decode the first N test pairs of each source (default 120; 0: the whole test split). The "
                         "test split lists its pairs in corpus order, so a first-N cut would be all Bible")
    ap.add_argument("--decode-only", action="store_true", help="skip training: reuse the runs in --work")
    ap.add_argument("--joeynmt", action=argparse.BooleanOptionalAction, default=True,
                    help="train and decode JoeyNMT too (default: yes; its venv is made when missing)")
    ap.add_argument("--venv", type=Path, default=ROOT / ".bench" / "joeynmt-venv", help="JoeyNMT virtual env")
    ap.add_argument("--leave-out", default=None, metavar="SOURCE",
                    help="train without this source of the default corpus and score it as out-of-domain")
    ap.add_argument("--ood-sentences", type=int, default=500, help="left-out pairs to score (default 500)")
    ap.add_argument("--peak-bf16", type=float, default=400.0,
                    help="bf16 matmul ceiling of 2 cores in GFLOP/s (default 400; scaled by --threads / 2)")
    args = ap.parse_args(argv)
    if args.minutes <= 0 or args.threads < 1 or args.beam < 2:
        ap.error("--minutes must be > 0, --threads >= 1, --beam >= 2")
    args.work = args.work.resolve()
    args.out = (args.out or args.work / "table.md").resolve()
    args.command = " ".join(["python benchmarks/vs_transformer.py", *(sys.argv[1:] if argv is None else argv)])
    return args


def count_params(run_dir: Path) -> int:
    """Parameters of the run's model, tied weights counted once."""
    from wordbridge.translate.model import find_checkpoint, load_model

    model, _ = load_model(find_checkpoint(run_dir))
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def export(run_dir: Path, out: Path, quantization: str, threads: int) -> Path:
    cmd = [sys.executable, "-m", "wordbridge", "export", str(run_dir), "--quantization", quantization, "--out",
           str(out), "--overwrite"]
    _check(run_measured(cmd, out.parent / f"{out.name}.log", env=thread_env(threads), timeout_s=1800), "export")
    return out


def train_all(args, prepared: Path, test: TestSet, joey_py: Path | None):
    """Training in order GRU, Transformer, JoeyNMT (same data, threads, budget); with --decode-only, no training
    rows. Returns the TrainStats per model (None with --decode-only) and what JoeyNMT decodes with."""
    runs: dict[str, TrainStats | None] = {}
    for arch, config in ARCHS.items():
        if args.decode_only:
            runs[arch] = None
            continue
        log.info("== training %s for %.1f min", arch, args.minutes)
        runs[arch] = train_wordbridge(config, prepared, args.work / arch, args.minutes, args.threads, args.set)
        log.info("   %s: %s", arch, runs[arch].summary())
    if joey_py is None:
        return runs, None
    settings = peer_settings(ARCHS["gru"], prepared, args.set)
    joey_data = export_joeynmt_data(prepared, args.work / "joeynmt-data", emb_scale=settings["emb_scale"],
                                    test_pairs=(test.src, test.refs))
    resolved = load_resolved(args.work / "gru")
    if resolved is not None:  # mirror exactly what the GRU trained (defaults resolved)
        settings.update(peer_settings(ARCHS["gru"], prepared, args.set, resolved=resolved))
    jy_dir = args.work / "joeynmt"
    if args.decode_only:
        runs["joeynmt"] = None
    else:
        log.info("== training JoeyNMT %s for %.1f min", JOEY_VERSION, args.minutes)
        cfg = build_joeynmt_config(joey_data, jy_dir, settings, beam=1, decode_batch=args.decode_batch)
        runs["joeynmt"] = train_joeynmt(joey_py, write_yaml(cfg, args.work / "joeynmt.yaml"), jy_dir, args.minutes,
                                        args.threads)
        log.info("   JoeyNMT: %s", runs["joeynmt"].summary())
    return runs, (joey_py, joey_data, settings, jy_dir)


def training_rows(saved: Path, runs: dict[str, TrainStats | None], decode_only: bool) -> dict:
    """Save this run's training rows to `saved`, or (--decode-only) read those of the run that trained the models."""
    if not decode_only:
        write_text(saved, json.dumps({a: stats_to_json(r) for a, r in runs.items()}))
    elif saved.is_file():
        runs.update({a: stats_from_json(d) for a, d in json.loads(saved.read_text(encoding="utf-8")).items()})
    return runs


def stats_to_json(stats: TrainStats | None) -> dict | None:
    return None if stats is None else {**dataclasses.asdict(stats), "run_dir": str(stats.run_dir),
                                       "log_path": str(stats.log_path) if stats.log_path else None}


def stats_from_json(data: dict | None) -> TrainStats | None:
    if data is None:
        return None
    return TrainStats(**{**data, "run_dir": Path(data["run_dir"]),
                         "log_path": Path(data["log_path"]) if data.get("log_path") else None})


def decode_all(args, folders: dict[str, Path], test: TestSet, lowercase: bool, joey) -> dict:
    """Every engine decodes the test set greedy then with beam --beam; scores overall, per source, left out."""
    dec = {}
    for beam in (1, args.beam):
        for name, folder in folders.items():
            log.info("== decoding %d test sentences with %s, beam %d", len(test.src), name, beam)
            dec[(name, beam)] = decode_wordbridge(folder, test.src, beam, args.threads, args.decode_batch,
                                                  args.work / f"{name}.beam{beam}.txt")
        if joey is not None:
            joey_py, joey_data, settings, jy_dir = joey
            log.info("== decoding %d test sentences with JoeyNMT, beam %d", len(test.src), beam)
            cfg = build_joeynmt_config(joey_data, jy_dir, settings, beam=beam, decode_batch=args.decode_batch,
                                       checkpoint=jy_dir / "latest.ckpt", test_only=True)
            dec[("joeynmt", beam)] = decode_joeynmt(joey_py, write_yaml(cfg, args.work / f"joeynmt-beam{beam}.yaml"),
                                                    args.work / f"joeynmt.beam{beam}", beam, args.threads,
                                                    settings["detokenize"])
        for name in [e for e in ENGINES if (e, beam) in dec]:
            stats = dec[(name, beam)]
            stats.by_source = scores_of(stats.hypotheses, test, lowercase)
            stats.bleu, stats.chrf, _ = stats.by_source["all"]
            log.info("   %s, beam %d: %s", name, beam, stats.summary())
    return dec


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    try:
        joey_py = ensure_venv(args.venv, ROOT / "constraints.txt") if args.joeynmt else None
        full = ensure_prepared(args.prepared, ARCHS["gru"], args.set, args.work, args.threads)
        prepared = training_prepared(full, ARCHS["gru"], args.set, args.leave_out, args.work, args.threads)
        test = select_test(prepared, full, args.test_per_source, args.leave_out, args.ood_sentences)
        runs, joey = train_all(args, prepared, test, joey_py)
        runs = training_rows(args.work / "train_stats.json", runs, args.decode_only)
        folders = {"gru": args.work / "gru", "transformer": args.work / "transformer"}
        for q in ("float32", "int8"):
            folders[f"ct2-{q}"] = export(folders["transformer"], args.work / f"transformer-ct2-{q}", q, args.threads)
        dec = decode_all(args, folders, test, is_lowercase(prepared), joey)
        params = {a: count_params(folders[a]) for a in ("gru", "transformer")}
        flops = {a: flops_per_target_token(ARCHS[a], prepared, args.set) for a in ("gru", "transformer")}
        flops["joeynmt"] = flops["gru"]  # the same architecture and data
    except (RuntimeError, OSError, subprocess.CalledProcessError, WordbridgeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = build_table(args, info, runs, dec, params, flops, folders, test)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    print(table)
    return 0


def _same(a: list[str], b: list[str]) -> float:
    return 100.0 * sum(x == y for x, y in zip(a, b)) / max(len(a), 1)


def _size_mib(folder: Path, name: str) -> float | None:
    path = folder / name
    return path.stat().st_size / 2**20 if path.is_file() else None


def _cell(value, digits):
    return fmt_num(value, digits) if value is not None else "-"


def _ratio_verdict(name: str, value: float | None, goal: float, smaller: bool = False) -> str:
    if value is None:
        return f"- {name}: not measured"
    met = value <= goal if smaller else value >= goal
    return f"- {name}: {value:.2f}x (goal {'<=' if smaller else '>='} {goal:.2f}x): {'met' if met else 'missed'}"


def build_table(args, info, runs, dec, params, flops, folders, test: TestSet) -> str:
    engines = [e for e in ENGINES if (e, 1) in dec]

    def row(metric, values, digits=1):
        return [metric] + [_cell(values.get(e), digits) for e in engines]

    trained = {a: r for a, r in runs.items() if r is not None}
    peak = args.peak_bf16 * min(args.threads, 2) / 2
    rows = [row("parameters (M)", {a: params[a] / 1e6 for a in params}, 2)]
    if trained:
        rate = {a: r.tokens_per_s for a, r in trained.items()}
        rows += [
            row("optimizer steps in the budget", {a: r.steps for a, r in trained.items()}, 0),
            row("training throughput (target tokens/s)", rate, 0),
            row("achieved GFLOP/s (matmuls, analytic)", {a: rate[a] * flops[a] / 1e9 for a in rate if rate[a]}, 1),
            row(f"share of the bf16 ceiling ({peak:g} GFLOP/s, %)",
                {a: 100 * rate[a] * flops[a] / 1e9 / peak for a in rate if rate[a]}, 1),
            row("peak RAM of training (MiB)", {a: r.peak_rss_bytes / 2**20 for a, r in trained.items()}, 0),
        ]
    groups = test.groups()
    for beam in (1, args.beam):
        name = "greedy" if beam == 1 else f"beam {beam}"
        pick = {e: dec[(e, beam)] for e in engines}
        n_in = len(test.in_domain())
        rows += [
            row(f"**test BLEU, {name}** ({n_in} in-domain sentences)", {e: d.bleu for e, d in pick.items()}, 2),
            row(f"test chrF, {name}", {e: d.chrf for e, d in pick.items()}, 2),
        ]
        if beam == 1:
            for source, idx in groups.items():
                tag = " **left out of training**" if source == test.left_out else ""
                rows.append([f"BLEU / chrF greedy, {source} ({len(idx)}){tag}"]
                            + [f"{pick[e].by_source[source][0]:.2f} / {pick[e].by_source[source][1]:.1f}"
                               for e in engines])
        rows += [
            row(f"decoding, {name} (sentences/s)", {e: d.sentences_per_s for e, d in pick.items()}, 1),
            row(f"outputs identical to torch Transformer, {name} (%)",
                {e: _same(pick[e].hypotheses, pick["transformer"].hypotheses)
                 for e in engines if e.startswith(("transformer", "ct2"))}, 1),
        ]
    ckpt = {a: _size_mib(folders[a], "best.pt") or _size_mib(folders[a], "latest.pt") for a in ("gru", "transformer")}
    bins = {e: _size_mib(folders[e], "model.bin") for e in ("ct2-float32", "ct2-int8")}
    rows.append(row("model file (MiB): best.pt with optimizer state / CTranslate2 model.bin", {**ckpt, **bins}, 1))
    table = markdown_table([HEADERS[0]] + [HEADERS[1 + ENGINES.index(e)] for e in engines], rows,
                           align="l" + "r" * len(engines))
    head = [
        (f"GRU vs Transformer vs JoeyNMT: {args.minutes:g} min training each, {args.threads} threads"
         if not args.decode_only else f"decoding again (models and training rows of the run in {args.work}), "
                                      f"{args.threads} threads")
        + f", {len(test.src)} test sentences"
        + (f" ({len(groups.get(test.left_out, []))} of them from {test.left_out}, left out of training)"
           if test.left_out else ""),
        f"Machine: {describe_machine(info)}",
        f"Command: `{args.command}`",
    ]
    warning = busy_warning(info, args.threads)
    head += [f"Warning: {warning}."] if warning else []
    return "  \n".join(head) + "\n\n" + table + "\n" + _goals(dec, bins, engines, args.beam) + "\n" + _notes(args) + "\n"


def _goals(dec, bins, engines, beam: int) -> str:
    lines = ["Goals (issue 14):",
             _ratio_verdict("Transformer / GRU test BLEU, greedy", ratio(dec[("transformer", 1)].bleu,
                                                                       dec[("gru", 1)].bleu), GOALS["bleu"]),
             _ratio_verdict(f"Transformer / GRU test BLEU, beam {beam}",
                            ratio(dec[("transformer", beam)].bleu, dec[("gru", beam)].bleu), GOALS["bleu"]),
             _ratio_verdict("CTranslate2 int8 greedy / JoeyNMT greedy decoding speed",
                            ratio(dec[("ct2-int8", 1)].sentences_per_s, dec[("joeynmt", 1)].sentences_per_s)
                            if "joeynmt" in engines else None, GOALS["int8_vs_joey"]),
             _ratio_verdict("int8 / float32 CTranslate2 model size", ratio(bins["ct2-int8"], bins["ct2-float32"]),
                            GOALS["int8_size"], smaller=True)]
    return "\n".join(line for line in lines if line) + "\n"


def _notes(args) -> str:
    return ("Same prepared data, threads and budget for every model, trained one after the other; throughput is the "
            "median of the logged target-tokens/s windows; GFLOP/s = throughput x analytic training FLOPs per target "
            "token (benchmarks/flops.py; JoeyNMT trains the GRU's architecture). BLEU/chrF: sacrebleu on detokenised "
            "outputs vs raw references; the overall rows leave the left-out source out. Decoding: test sentences / "
            f"generation seconds, {args.decode_batch} sentences per batch, model loading excluded. CTranslate2 beam "
            "search normalises scores by length (torch: GNMT penalty), so beam outputs may differ; greedy float32 "
            "outputs should not.")


if __name__ == "__main__":
    torch.set_num_threads(1)  # this process only counts parameters; the measured work runs in subprocesses
    sys.exit(main())
