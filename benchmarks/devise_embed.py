"""Image embedding throughput of the DeViSE backbone on this CPU (goal: >= 40 images/s at 224 px, Lite0, 2 cores).

Prints, side by side: the model alone under several inference settings (plain fp32, channels_last, BatchNorm folded
+ channels_last = what backbones/features.py uses, TorchScript trace+freeze, bf16 autocast, folded + bf16 weights =
precision="bf16"), then end to end (decode JPEG photos, resize, crop, normalise, run the model) through
`compute_features`, with 0 and 1 decode workers. On a busy host, the "per N CPU-s" column (images per CPU-second x
threads) and the best single batch estimate what N dedicated cores would do.

    python benchmarks/devise_embed.py                    # ~1-2 minutes on 2 cores
    python benchmarks/devise_embed.py --threads 1        # on a busy host: 2 OpenMP threads sharing 2 cores with
                                                         # other jobs run ~2x slower than 1 thread (measured)
    python benchmarks/devise_embed.py --batch-size 64 --batches 3 --skip bf16,jit
"""

import argparse
import copy
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from wordbridge.devise.backbones.base import build_backbone, load_backbone
from wordbridge.devise.backbones.features import compute_features

log = logging.getLogger("devise_embed")


def rates(n: int, wall: float, cpu: float) -> str:
    """Wall-clock images/s, and images per CPU-second x threads: what dedicated cores would give on a busy host."""
    return f"{n / wall:7.1f} images/s   ({n / cpu * torch.get_num_threads():6.1f} per {torch.get_num_threads()} CPU-s)"


def timed(fn, *args) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, out


def model_rate(fn, x: torch.Tensor, batches: int) -> str:
    """Overall rate, plus the best single batch (like timeit's min: the figure least disturbed by other jobs)."""
    times = []

    def run():
        for _ in range(batches):
            start = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - start)

    with torch.inference_mode():
        fn(x)  # warm-up: oneDNN primitives, allocator
        wall, cpu, _ = timed(run)
    return f"{rates(batches * x.shape[0], wall, cpu)}  best batch {x.shape[0] / min(times):6.1f}/s"


def model_variants(bb, x: torch.Tensor, skip: set[str]) -> dict:
    """name -> (callable, input) for each inference setting."""
    x_cl = x.contiguous(memory_format=torch.channels_last)
    variants = {"fp32 plain": (bb.classify, x)}
    cl = copy.deepcopy(bb).to(memory_format=torch.channels_last)
    variants["fp32 channels_last"] = (cl.classify, x_cl)
    fast = bb.for_inference()
    variants["BN folded + channels_last (used)"] = (fast.classify, x_cl)
    if "jit" not in skip:
        with torch.inference_mode():
            traced = torch.jit.freeze(torch.jit.trace(copy.deepcopy(fast.net).eval(), x_cl[:2], check_trace=False))
        variants["TorchScript trace+freeze"] = (traced, x_cl)
    if "bf16" not in skip:
        def autocast(inp):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return fast.classify(inp)
        variants["bf16 autocast"] = (autocast, x_cl)
        half = bb.for_inference(torch.bfloat16)
        variants["BN folded + channels_last + bf16"] = (half.classify, x_cl.to(torch.bfloat16))
    return variants


def write_photos(folder: Path, n: int) -> list[Path]:
    """n JPEG photos (~640x480, like a camera export scaled for the web) from scikit-image's real photos."""
    from skimage import data as skdata

    photos = [skdata.chelsea(), skdata.coffee(), skdata.rocket(), skdata.astronaut()]
    paths = []
    for i in range(n):
        im = Image.fromarray(np.ascontiguousarray(photos[i % len(photos)])).resize((640, 480))
        path = folder / f"photo{i:04d}.jpg"
        im.save(path, quality=90)
        paths.append(path)
    return paths


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backbone", default="efficientnet_lite0", choices=("efficientnet_lite0", "resnet50"))
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--batches", type=int, default=3, help="timed batches per model variant")
    ap.add_argument("--images", type=int, default=192, help="photos for the end-to-end run")
    ap.add_argument("--workers", type=int, default=1, help="DataLoader workers decoding images end to end")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--skip", default="", help="comma list of variants to skip: jit, bf16")
    ap.add_argument("--sweep", action="store_true", help="also time batch sizes 8, 16, 32, 64")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.threads:
        torch.set_num_threads(args.threads)
    bb = load_backbone() if args.backbone == "efficientnet_lite0" else build_backbone(args.backbone).eval()
    print(f"backbone {bb.name}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    x = torch.randn(args.batch_size, 3, 224, 224)  # (B, 3, 224, 224)
    print(f"\nmodel only, 224 px, batch {args.batch_size}, {args.batches} batches (ImageNet logits + features)")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    for name, (fn, inp) in model_variants(bb, x, skip).items():
        print(f"  {name:34s} {model_rate(fn, inp, args.batches)}")
    if args.sweep:
        print("\nbatch size sweep, BN folded + channels_last, fp32 (~96 images each)")
        fast = bb.for_inference()
        for bs in (8, 16, 32, 64):
            xb = torch.randn(bs, 3, 224, 224).contiguous(memory_format=torch.channels_last)
            print(f"  batch {bs:3d}                          {model_rate(fast.classify, xb, max(1, 96 // bs))}")
    print(f"\nend to end: {args.images} JPEG photos 640x480 -> pooled features + logits (compute_features)")
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_photos(Path(tmp), args.images)
        compute_features(bb, paths[: args.batch_size], batch_size=args.batch_size, progress=False)  # warm-up
        for precision in ("fp32", "bf16"):
            for workers in sorted({0, args.workers}):
                wall, cpu, feats = timed(lambda: compute_features(
                    bb, paths, batch_size=args.batch_size, num_workers=workers, progress=False, precision=precision))
                note = rates(len(feats), wall, cpu) if workers == 0 else f"{len(feats) / wall:7.1f} images/s"
                print(f"  {precision}, {workers} decode worker(s)           {note}")


if __name__ == "__main__":
    main()
