"""Data-preparation throughput: read + filter + tokenise the default corpus, 1 vs 2 processes, side by side.

    python benchmarks/prep.py                     # the `default` corpus (needs `wordbridge fetch`)
    python benchmarks/prep.py --max-pairs 20000   # a quick run
    python benchmarks/prep.py --config configs/questions.yaml --processes 1 2 4

Each setting runs the same pipeline as `wordbridge prepare` up to tokens: stream the corpus through the configured
filters (default: dedup, max_length, length_ratio), then tokenise both sides of the kept pairs with fresh spaCy
tokenizers. Throughput is pairs read per second of wall time for the whole pipeline. Importing spaCy's French
language data (~5 s, once per process) is done before timing and reported apart. Goal: >= 20,000 pairs/s on 2 cores.
The tokens of every setting are checked to be identical. On a shared, loaded machine wall time overstates the cost,
so CPU time (user + system) of the main process and of the tokeniser workers is measured too, and the "idle
estimate" is pairs read / max(main CPU, read CPU + worker CPU / workers): the wall time on an idle machine where the
workers run beside the main process (which reads, then tokenises its own share), an optimistic estimate.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import describe_machine, machine_info, markdown_table  # noqa: E402

from wordbridge.config import load_sections  # noqa: E402
from wordbridge.text.config import PrepareConfig  # noqa: E402
from wordbridge.text.pipeline import read_and_filter  # noqa: E402
from wordbridge.text.tokenize import SpacyTokenizer  # noqa: E402


def cpu_seconds() -> tuple[float, float]:
    """(this process, its finished children = the tokeniser pools) CPU time, user + system."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def run_once(cfg: PrepareConfig, processes: int, repeat: int = 1) -> tuple[dict, list]:
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    pairs, read, removed = read_and_filter(cfg)
    pairs, read = pairs * repeat, read * repeat  # --repeat: a bigger input (reading counted once per copy)
    t1 = time.perf_counter()
    read_cpu = cpu_seconds()[0] - c0[0]
    src_tok, tgt_tok = SpacyTokenizer(cfg.src_lang, cfg.lowercase), SpacyTokenizer(cfg.tgt_lang, cfg.lowercase)
    src = src_tok.tokenize_many([p[0] for p in pairs], processes=processes)
    tgt = tgt_tok.tokenize_many([p[1] for p in pairs], processes=processes)
    t2 = time.perf_counter()
    main_cpu, pool_cpu = (b - a for a, b in zip(c0, cpu_seconds()))
    # idle machine: the workers run beside this process, which reads, then tokenises its share of the texts
    idle_s = max(main_cpu, read_cpu + pool_cpu / (processes - 1)) if processes > 1 else main_cpu
    tokens = sum(map(len, src)) + sum(map(len, tgt))
    row = {"processes": processes, "read": read, "kept": len(pairs), "tokens": tokens,
           "read_s": t1 - t0, "tok_s": t2 - t1, "total_s": t2 - t0, "main_cpu": main_cpu,
           "pool_cpu": pool_cpu, "idle_s": idle_s}
    return row, [src, tgt]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help="YAML config whose data section to use (default: PrepareConfig defaults)")
    parser.add_argument("--max-pairs", type=int, help="read at most this many pairs")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1,
                        help="tokenise the kept pairs this many times over (a bigger input; reading is done once)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    cfg = load_sections(args.config, {"data": PrepareConfig})["data"]
    if args.max_pairs:
        cfg = PrepareConfig(**{**cfg.__dict__, "max_pairs": args.max_pairs})

    t = time.perf_counter()
    for lang in (cfg.src_lang, cfg.tgt_lang):
        _ = SpacyTokenizer(lang).spacy_tokenizer  # language data import, once per process (forks inherit it)
    startup = time.perf_counter() - t

    rows, reference = [], None
    for processes in args.processes:
        row, tokens = run_once(cfg, processes, args.repeat)
        if reference is None:
            reference = tokens
        elif tokens != reference:
            raise SystemExit(f"tokens with {processes} processes differ from {args.processes[0]}")
        rows.append(row)
    table = [[r["processes"], f"{r['read']:,}", f"{r['kept']:,}", f"{r['tokens']:,}", f"{r['read_s']:.2f}",
              f"{r['tok_s']:.2f}", f"{r['total_s']:.2f}", f"{r['read'] / r['total_s']:,.0f}",
              f"{r['main_cpu']:.2f} + {r['pool_cpu']:.2f}", f"{r['read'] / r['idle_s']:,.0f}",
              f"{rows[0]['idle_s'] / r['idle_s']:.2f}x"] for r in rows]
    print(f"# wordbridge prepare throughput: corpus '{cfg.src or cfg.corpus}'"
          f"{f' x{args.repeat} (repeated)' if args.repeat > 1 else ''}, filters {', '.join(cfg.filters)}")
    print(describe_machine(machine_info()) + f" · load average {os.getloadavg()[0]:.1f} at the end")
    print(f"spaCy language data import ({cfg.src_lang} + {cfg.tgt_lang}), once per process: {startup:.1f} s\n")
    print(markdown_table(
        ["processes", "pairs read", "pairs kept", "tokens", "read+filter s", "tokenise s", "wall s",
         "pairs read/s (wall)", "CPU s (main + workers)", "pairs read/s (idle estimate)", "speed-up (idle estimate)"],
        table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
