"""GRU (the lesson's) vs Transformer under the same budget, and the Transformer served by CTranslate2, in one run.

Both models train with `wordbridge train --max-minutes M` on the same prepared data, threads and budget (GRU:
configs/default.yaml; Transformer: configs/transformer.yaml), one after the other. The Transformer is then exported
(`wordbridge export --quantization float32` and `int8`), and the test split is decoded greedy and with beam 5 by
torch (both models) and by CTranslate2 (float32 and int8). One markdown table is printed and written to --out.

    python benchmarks/vs_transformer.py --minutes 5                       # the README's run (shared machine)
    python benchmarks/vs_transformer.py --minutes 25 --test-sentences 0   # the issue's 25-minute comparison
    python benchmarks/vs_transformer.py --decode-only --work W            # decoding rows again, same models

JoeyNMT is not trained here (benchmarks/vs_joeynmt.py compares it with the GRU under the same rules).
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402

from wordbridge.errors import WordbridgeError  # noqa: E402
from wordbridge.translate.training import is_lowercase  # noqa: E402

from common import (busy_warning, describe_machine, fmt_num, machine_info, markdown_table,  # noqa: E402
                    run_measured, thread_env)
from vs_joeynmt_peer import TrainStats, _check, _read_lines  # noqa: E402
from vs_joeynmt_wordbridge import decode_wordbridge, ensure_prepared, score, train_wordbridge  # noqa: E402

log = logging.getLogger("vs_transformer")
ARCHS = {"gru": ROOT / "configs" / "default.yaml", "transformer": ROOT / "configs" / "transformer.yaml"}
ENGINES = ("gru", "transformer", "ct2-float32", "ct2-int8")  # the table's columns


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="vs_transformer.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="training budget per model (default 5)")
    ap.add_argument("--prepared", type=Path, default=None, help="prepared folder (default: data.out of the GRU config, "
                    "made with `wordbridge prepare` when missing)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override for prepare and both trainings, e.g. data.max_pairs=20000 (repeatable)")
    ap.add_argument("--work", type=Path, default=ROOT / ".bench" / "vs_transformer", help="scratch folder for runs")
    ap.add_argument("--out", type=Path, default=None, help="write the table here too (default WORK/table.md)")
    ap.add_argument("--threads", type=int, default=2, help="torch / CTranslate2 threads (default 2)")
    ap.add_argument("--beam", type=int, default=5, help="beam size of the beam rows (default 5)")
    ap.add_argument("--decode-batch", type=int, default=64, help="sentences per decoding batch (default 64)")
    ap.add_argument("--test-sentences", type=int, default=1000, help="decode the first N test sentences (0: all)")
    ap.add_argument("--decode-only", action="store_true", help="skip training: reuse the runs in --work")
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


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    args = parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    try:
        prepared = ensure_prepared(args.prepared, ARCHS["gru"], args.set, args.work, args.threads)
        src_all = _read_lines(prepared / "test.src.txt")
        refs_all = _read_lines(prepared / "test.tgt.txt")
        n = args.test_sentences or len(src_all)
        src_lines, refs = src_all[:n], refs_all[:n]
        lowercase = is_lowercase(prepared)
        runs: dict[str, TrainStats | None] = {}
        for arch, config in ARCHS.items():
            run_dir = args.work / arch
            if args.decode_only:
                runs[arch] = None
                continue
            log.info("== training %s for %.1f min", arch, args.minutes)
            runs[arch] = train_wordbridge(config, prepared, run_dir, args.minutes, args.threads, args.set)
            log.info("   %s: %s", arch, runs[arch].summary())
        folders = {"gru": args.work / "gru", "transformer": args.work / "transformer"}
        for q in ("float32", "int8"):
            folders[f"ct2-{q}"] = export(folders["transformer"], args.work / f"transformer-ct2-{q}", q, args.threads)
        dec = {}
        for beam in (1, args.beam):
            for name, folder in folders.items():
                log.info("== decoding %d test sentences with %s, beam %d", len(src_lines), name, beam)
                stats = decode_wordbridge(folder, src_lines, beam, args.threads, args.decode_batch,
                                          args.work / f"{name}.beam{beam}.txt")
                stats.bleu, stats.chrf = score(stats.hypotheses, refs, lowercase)
                dec[(name, beam)] = stats
                log.info("   %s: %s", name, stats.summary())
        params = {a: count_params(folders[a]) for a in ("gru", "transformer")}
    except (RuntimeError, OSError, subprocess.CalledProcessError, WordbridgeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    table = build_table(args, info, runs, dec, params, folders, len(src_lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table, encoding="utf-8")
    print(table)
    return 0


def _same(a: list[str], b: list[str]) -> float:
    return 100.0 * sum(x == y for x, y in zip(a, b)) / max(len(a), 1)


def _size_mib(folder: Path, name: str) -> float | None:
    path = folder / name
    return path.stat().st_size / 2**20 if path.is_file() else None


def build_table(args, info, runs, dec, params, folders, n_test: int) -> str:
    def row(metric, values, digits=1):
        return [metric] + [fmt_num(values.get(e), digits) if values.get(e) is not None else "-" for e in ENGINES]

    trained = {a: r for a, r in runs.items() if r is not None}
    rows = [row("parameters (M)", {a: params[a] / 1e6 for a in ("gru", "transformer")}, 2)]
    if trained:
        rows += [
            row("optimizer steps in the budget", {a: r.steps for a, r in trained.items()}, 0),
            row("training throughput (target tokens/s)", {a: r.tokens_per_s for a, r in trained.items()}, 0),
            row("peak RAM of training (MiB)", {a: r.peak_rss_bytes / 2**20 for a, r in trained.items()}, 0),
        ]
    for beam in (1, args.beam):
        name = "greedy" if beam == 1 else f"beam {beam}"
        rows += [
            row(f"test BLEU, {name}", {e: dec[(e, beam)].bleu for e in ENGINES}, 2),
            row(f"test chrF, {name}", {e: dec[(e, beam)].chrf for e in ENGINES}, 2),
            row(f"decoding, {name} (sentences/s)", {e: dec[(e, beam)].sentences_per_s for e in ENGINES}, 1),
            row(f"outputs identical to torch Transformer, {name} (%)",
                {e: _same(dec[(e, beam)].hypotheses, dec[("transformer", beam)].hypotheses)
                 for e in ENGINES[1:]}, 1),
        ]
    ckpt = {a: _size_mib(folders[a], "best.pt") or _size_mib(folders[a], "latest.pt") for a in ("gru", "transformer")}
    rows.append(row("model file (MiB): best.pt with optimizer state / CTranslate2 model.bin",
                    {**ckpt, **{e: _size_mib(folders[e], "model.bin") for e in ENGINES[2:]}}, 1))
    table = markdown_table(["metric", "GRU (torch)", "Transformer (torch)", "Transformer (CT2 float32)",
                            "Transformer (CT2 int8)"], rows, align="lrrrr")
    head = [
        (f"GRU vs Transformer: {args.minutes:g} min training each, {args.threads} threads, {n_test} test sentences"
         if not args.decode_only else f"decoding only (models in {args.work}), {args.threads} threads, "
                                      f"{n_test} test sentences"),
        f"Machine: {describe_machine(info)}",
        f"Command: `{args.command}`",
    ]
    warning = busy_warning(info, args.threads)
    head += [f"Warning: {warning}."] if warning else []
    notes = ("Same prepared data, threads and budget for both models, trained one after the other; throughput is the "
             "median of the logged target-tokens/s windows. BLEU/chrF: sacrebleu on detokenised outputs vs raw "
             f"references. Decoding: test sentences / generation seconds, {args.decode_batch} sentences per batch, "
             "model loading excluded. CTranslate2 beam search normalises scores by length (torch: GNMT penalty), so "
             "beam outputs may differ; greedy float32 outputs should not.")
    return "  \n".join(head) + "\n\n" + table + "\n" + notes + "\n"


if __name__ == "__main__":
    torch.set_num_threads(1)  # this process only counts parameters; the measured work runs in subprocesses
    sys.exit(main())
