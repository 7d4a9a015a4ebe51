"""Decoding speed of the translation model: greedy and beam-5 sentences/s (and output tokens/s).

    python benchmarks/decode_speed.py RUN_DIR [--split test] [-n 500] [--beam 1 5] [--batch-size 64]
    python benchmarks/decode_speed.py --random [--data PREPARED]   # untrained default-size model (shape only)

Sentences come from the run's prepared split (id level, as `wordbridge evaluate` decodes them), sorted into
length-homogeneous batches. An untrained model stops at random lengths, so use a trained run for real figures.
"""

import argparse
import time

import numpy as np
import torch

from wordbridge.translate.translator import decode_rows


def load(args):
    from wordbridge.config import read_yaml
    from wordbridge.text.prepared import PreparedData
    from wordbridge.translate.config import ModelConfig
    from wordbridge.translate.model import Seq2Seq
    from wordbridge.translate.model import find_checkpoint, load_model

    if args.random:
        rng = np.random.default_rng(0)
        rows = [np.append(rng.integers(4, 30000, rng.integers(4, 30)), 2).astype(np.int32) for _ in range(args.n)]
        torch.manual_seed(0)
        return Seq2Seq(ModelConfig(), 30000, 20000).eval(), rows
    from pathlib import Path

    model, _ = load_model(find_checkpoint(Path(args.run_dir)))
    data = PreparedData.load(read_yaml(Path(args.run_dir) / "config.yaml")["data"]["out"])
    src, _ = data.split(args.split)
    return model, [src[i] for i in range(min(args.n, len(src)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", nargs="?")
    ap.add_argument("--random", action="store_true", help="untrained default-size model, synthetic sentences")
    ap.add_argument("--split", default="test")
    ap.add_argument("-n", type=int, default=500, help="sentences")
    ap.add_argument("--beam", nargs="+", type=int, default=[1, 5])
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not args.run_dir and not args.random:
        ap.error("give RUN_DIR or --random")
    torch.set_num_threads(args.threads)
    model, rows = load(args)
    decode_rows(model, rows[: args.batch_size], beam=1, batch_size=args.batch_size)  # warm-up
    print(f"{len(rows)} sentences, batch {args.batch_size}, {args.threads} threads")
    print("| decoding | sentences/s | output tokens/s | seconds | cpu |")
    print("|---|---|---|---|---|")
    for beam in args.beam:
        t0, c0 = time.perf_counter(), time.process_time()
        hyps = decode_rows(model, rows, beam=beam, batch_size=args.batch_size)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        tokens = sum(len(h.tokens) + 1 for h in hyps)
        name = "greedy" if beam == 1 else f"beam {beam}"
        print(f"| {name} | {len(rows) / wall:,.1f} | {tokens / wall:,.0f} | {wall:.1f} | {cpu / wall:.2f} |", flush=True)


if __name__ == "__main__":
    main()
