"""Training throughput of the translation model: target tokens/s and achieved GFLOP/s per variant and precision.

    python benchmarks/train_speed.py                        # default model, bahdanau/luong/none, fp32 + bf16
    python benchmarks/train_speed.py --data runs/prepared/default --batch-size 64 128 --steps 20

Each variant runs `--steps` timed optimiser steps (after 2 warm-up steps) of forward + masked loss + backward +
clipping + AdamW on the same batches: real sortish batches of a prepared folder (--data) or synthetic ones with the
default corpus' shape (sentences of 4-30 tokens, vocabularies --src-vocab / --tgt-vocab). FLOPs are counted
analytically (benchmarks/flops.py: matmuls, backward = 2x forward) and compared with --peak-gflops (the ~180 GFLOP/s
fp32 matmul ceiling of this 2-core machine; bf16 ~400). `cpu` = process CPU seconds / wall seconds: below the
thread count means other processes were competing for the cores and the wall figure is pessimistic; `tok/s@cpu`
rescales tokens/s to full use of the threads.
"""

import argparse
import contextlib
import dataclasses
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import torch

from wordbridge.train.config import TrainConfig
from wordbridge.train.optim import adam, clip_grad_norm
from wordbridge.translate.config import ModelConfig
from wordbridge.translate.loss import masked_cross_entropy
from wordbridge.translate.model import Seq2Seq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flops import train_flops  # noqa: E402


def synthetic_batches(n: int, batch_size: int, src_vocab: int, tgt_vocab: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(n):
        base = rng.integers(4, 30, batch_size)  # sortish: lengths within a batch are similar
        base = np.sort(np.clip(base.mean() + rng.integers(-2, 3, batch_size), 4, 31))[::-1]
        src_len = torch.tensor(base.copy(), dtype=torch.long)
        tgt_len = torch.tensor(np.clip((base * rng.uniform(0.8, 1.2, batch_size)).astype(int), 3, 32))
        src = torch.randint(4, src_vocab, (batch_size, int(src_len.max())))
        tgt = torch.randint(4, tgt_vocab, (batch_size, int(tgt_len.max())))
        src[torch.arange(src.size(1))[None] >= src_len[:, None]] = 1
        tgt[torch.arange(tgt.size(1))[None] >= tgt_len[:, None]] = 1
        tgt[torch.arange(batch_size), tgt_len - 1] = 2
        batches.append((src, src_len, tgt, tgt_len))
    return batches


def real_batches(folder: str, n: int, batch_size: int):
    from wordbridge.text.batching import Seq2SeqDataset, make_loader
    from wordbridge.text.prepared import PreparedData

    data = PreparedData.load(folder)
    loader = make_loader(Seq2SeqDataset(*data.split("train")), batch_size, train=True)
    batches = [tuple(b) for b in itertools.islice(iter(loader), n + 1)][1:]  # skip the longest-first batch
    return batches, len(data.src_vocab), len(data.tgt_vocab)


def measure(cfg: ModelConfig, batches, src_vocab: int, tgt_vocab: int, precision: str, pr_force: float,
            steps: int, threads: int) -> dict:
    torch.manual_seed(0)
    model = Seq2Seq(cfg, src_vocab, tgt_vocab).train()
    opt = adam([{"params": list(model.parameters()), "lr": 1e-4}], TrainConfig(lr=1e-4))
    params = [p for g in opt.param_groups for p in g["params"]]
    ctx = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if precision == "bf16" else None
    tokens = flops = wall = cpu = 0.0
    for i in range(steps + 2):
        src, src_len, tgt, tgt_len = batches[i % len(batches)]
        t0, c0 = time.perf_counter(), time.process_time()
        with ctx() if ctx else contextlib.nullcontext():
            logits = model(src, src_len, tgt, pr_force)
            loss = masked_cross_entropy(logits, tgt)
        loss.backward()
        clip_grad_norm(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss.detach().item()
        if i >= 2:
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            tokens += int(tgt_len.sum())
            flops += train_flops(cfg, int(src_len.sum()), int(tgt_len.sum()), tgt_vocab, float(src_len.float().mean()))
    util = cpu / wall
    return {"tok_s": tokens / wall, "tok_s_cpu": tokens / wall * threads / max(util, 1e-9),
            "gflops": flops / wall / 1e9, "cpu": util, "mflop_tok": flops / tokens / 1e6}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="prepared folder for real batches (default: synthetic)")
    ap.add_argument("--attention", nargs="+", default=["bahdanau", "luong", "none"])
    ap.add_argument("--precision", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16"])
    ap.add_argument("--pr-force", nargs="+", type=float, default=[1.0], help="teacher forcing (1 = fast path)")
    ap.add_argument("--batch-size", nargs="+", type=int, default=[64])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--src-vocab", type=int, default=30000)
    ap.add_argument("--tgt-vocab", type=int, default=20000)
    ap.add_argument("--peak-gflops", type=float, default=180.0, help="fp32 matmul ceiling (bf16: --peak-bf16)")
    ap.add_argument("--peak-bf16", type=float, default=400.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, {args.steps} timed steps per row")
    print("| attention | bidir | pr_force | batch | precision | tok/s | tok/s@cpu | GFLOP/s | % of peak | cpu | MFLOP/tok |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for bs in args.batch_size:
        if args.data:
            batches, sv, tv = real_batches(args.data, args.steps + 2, bs)
        else:
            sv, tv = args.src_vocab, args.tgt_vocab
            batches = synthetic_batches(args.steps + 2, bs, sv, tv)
        for att, pf, prec in itertools.product(args.attention, args.pr_force, args.precision):
            cfg = dataclasses.replace(ModelConfig(), attention=att)
            r = measure(cfg, batches, sv, tv, prec, pf, args.steps, args.threads)
            peak = args.peak_bf16 if prec == "bf16" else args.peak_gflops
            print(f"| {att} | {cfg.bidirectional} | {pf} | {bs} | {prec} | {r['tok_s']:,.0f} | {r['tok_s_cpu']:,.0f} "
                  f"| {r['gflops']:.1f} | {100 * r['gflops'] / peak:.0f}% | {r['cpu']:.2f} | {r['mflop_tok']:.1f} |",
                  flush=True)


if __name__ == "__main__":
    main()
