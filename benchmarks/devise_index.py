"""The faiss index kinds `wordbridge devise index` chooses by size, side by side: build s, RAM, queries/s, recall@10.

    python benchmarks/devise_index.py                          # 1,000,000 x 300 clustered vectors, 2k queries
    python benchmarks/devise_index.py --n 100000               # quicker
    python benchmarks/devise_index.py --gallery INDEX_DIR      # the embeddings of a real index (`devise index`)
    python benchmarks/devise_index.py --sizes 10000,25000,50000,100000   # exact vs IVF by size: the Flat threshold

Each kind is built by the product's own code (wordbridge.devise.index.ann: plan_index + build_index, nprobe tuned on a
held-out sample to recall@10 >= 0.99): flat = exact IndexFlatIP; ivf = IVF-Flat (nlist ~ 2 sqrt(n)); ivfpq = IVF-PQ
under --max-ram (default 1 GiB, below the 1.2 GB of float32 vectors of 1M x 300). Synthetic vectors are random but
clustered (Gaussian blobs around random centres, L2-normalised, like image embeddings of a gallery); queries are
further vectors of the same blobs, not in the index. With --gallery every indexed vector is a query and its own row
is left out of both result lists. Ground truth: exact inner-product search. RAM: the index's size as faiss writes it
(what it holds in memory) and the process RSS growth while building it. queries/s: one batched search call;
latency: one query at a time. Goals (1M x 300, this machine): >= 2,000 queries/s at recall@10 >= 0.99; IVF-PQ within
1.5 GB at recall@10 >= 0.9.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
import psutil

from wordbridge.devise.index import ann
from wordbridge.devise.index.gallery import Gallery

sys.path.insert(0, str(Path(__file__).parent))
from common import describe_machine, machine_info, markdown_table  # noqa: E402


def clustered(n: int, dim: int, clusters: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    out = np.empty((n, dim), np.float32)
    for lo in range(0, n, 100_000):  # in blocks: 1M x 300 float64 noise at once would take 2.4 GB
        hi = min(n, lo + 100_000)
        x = centres[rng.integers(0, clusters, hi - lo)] + spread * rng.standard_normal((hi - lo, dim), np.float32)
        out[lo:hi] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def rss() -> int:
    return psutil.Process().memory_info().rss


def file_bytes(index: faiss.Index) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        faiss.write_index(index, f"{tmp}/i.faiss")
        return os.path.getsize(f"{tmp}/i.faiss")


def measure(index, queries: np.ndarray, k: int, latency_n: int) -> tuple[dict, np.ndarray]:
    start = time.perf_counter()
    _, found = index.search(queries, k)
    batch_s = time.perf_counter() - start
    lat = []
    for q in queries[:latency_n]:
        t = time.perf_counter()
        index.search(q[None], k)
        lat.append(time.perf_counter() - t)
    return {"qps": len(queries) / batch_s, "lat_ms": 1000 * float(np.median(lat))}, found


def drop_self(found: np.ndarray, own: np.ndarray | None, k: int) -> np.ndarray:
    return found[:, :k] if own is None else np.stack([r[r != me][:k] for r, me in zip(found, own)])


def compare(x: np.ndarray, queries: np.ndarray, own: np.ndarray | None, kinds, max_ram: int, k: int,
            latency_n: int) -> list[tuple]:
    """One row per index kind: (kind, factory + knobs, build s, RAM MiB, RSS growth MiB, q/s, latency ms, recall)."""
    ids = np.arange(len(x), dtype=np.int64)
    extra = 0 if own is None else 1
    rows, truth = [], None
    for kind in kinds:
        plan = ann.plan_index(len(x), x.shape[1], max_ram if kind == "ivfpq" else None, kind=kind)
        before = rss()
        index, info = ann.build_index(x, ids, plan)
        grown = rss() - before
        m, found = measure(index, queries, k + extra, latency_n)
        found = drop_self(found, own, k)
        if truth is None:  # flat comes first: exact search is the ground truth
            assert kind == "flat"
            truth = found
        knobs = f"{plan.factory}" + (f", nprobe {info['nprobe']}" if info["nprobe"] else "")
        rows.append((kind, knobs, info["build_s"], file_bytes(index) / 2**20, grown / 2**20, m["qps"], m["lat_ms"],
                     ann.recall_at(found, truth, k), info["recall_at_10"]))
        print(f"  {kind}: {rows[-1][1]} built in {info['build_s']:.1f} s, {m['qps']:,.0f} queries/s", flush=True)
        del index
    return rows


def print_rows(rows, k: int) -> None:
    table = [(kind, knobs, f"{b:.1f}", f"{ram:,.1f}", f"{grown:,.0f}", f"{qps:,.0f}", f"{lat:.2f}", f"{rec:.4f}",
              f"{tuned:.4f}") for kind, knobs, b, ram, grown, qps, lat, rec, tuned in rows]
    print(markdown_table(["kind", "index", "build s", "index MiB", "RSS growth MiB", f"queries/s (k={k})",
                          "latency ms", f"recall@{k}", "recall@10 at build (held-out)"], table, "llrrrrrrr"))


def sizes_table(sizes: list[int], dim: int, args) -> None:
    """Exact vs IVF at several sizes: where exact search stops being cheap (the Flat threshold)."""
    rows = []
    for n in sizes:
        allx = clustered(n + args.queries, dim, args.clusters, args.spread, np.random.default_rng(0))
        x, q = allx[:n], allx[n:]
        for row in compare(x, q, None, ("flat", "ivf"), 0, args.k, args.latency_n):
            rows.append((f"{n:,}", row[0], f"{row[5]:,.0f}", f"{row[6]:.2f}", f"{row[7]:.4f}", f"{row[2]:.1f}"))
    print(markdown_table(["vectors", "kind", "queries/s", "latency ms", f"recall@{args.k}", "build s"], rows,
                         "llrrrr"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="synthetic database vectors")
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=0.6, help="noise std around a cluster centre (per dim)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--max-ram", type=float, default=1.0, help="GiB budget that makes the ivfpq row")
    parser.add_argument("--kinds", default="flat,ivf,ivfpq", help="comma list among flat, ivf, ivfpq (flat first)")
    parser.add_argument("--gallery", help="an index folder from `devise index`: benchmark its embeddings instead")
    parser.add_argument("--sizes", help="comma list of sizes: exact vs IVF by size instead")
    parser.add_argument("--latency-n", type=int, default=200, help="single queries timed for latency")
    parser.add_argument("--threads", type=int, default=0, help="faiss OpenMP threads (0 = faiss default)")
    args = parser.parse_args(argv)
    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    info = machine_info()
    print(f"# faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads; {describe_machine(info)}")
    if args.sizes:
        sizes_table([int(s) for s in args.sizes.split(",")], args.dim, args)
        return 0
    kinds = ["flat"] + [kd for kd in args.kinds.split(",") if kd != "flat"]
    if args.gallery:
        g = Gallery.load(args.gallery, mmap=False)
        x = np.ascontiguousarray(g.embeddings, dtype=np.float32)
        queries, own = x, np.arange(len(x))
        print(f"# gallery {args.gallery}: {len(x):,} x {x.shape[1]} embeddings, each one a query (itself left out)")
    else:
        allx = clustered(args.n + args.queries, args.dim, args.clusters, args.spread, np.random.default_rng(0))
        x, queries, own = allx[:args.n], allx[args.n:], None
        print(f"# {args.n:,} x {args.dim} clustered vectors ({args.clusters} clusters, spread {args.spread}), "
              f"{args.queries:,} held-out queries, k={args.k}")
    rows = compare(x, queries, own, kinds, int(args.max_ram * 2**30), args.k, args.latency_n)
    print_rows(rows, args.k)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
