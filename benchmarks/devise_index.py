"""faiss index choices for DeViSE search, side by side: build time, query throughput/latency, recall@10 vs exact.

    python benchmarks/devise_index.py                    # 100k x 300 clustered vectors, 2k queries
    python benchmarks/devise_index.py --n 20000 --queries 2000   # quick run

Vectors are random but clustered (Gaussian blobs around random centres, L2-normalised, like image embeddings of a
gallery); queries come from the same distribution. Ground truth is exact inner-product search (IndexFlatIP). Goal:
>= 5,000 queries/s at recall@10 >= 0.99. Candidates: IndexFlatIP searched in batches (exact), IVF-Flat with nprobe
swept, HNSW with efSearch swept. Latency is one query at a time; throughput is one batched call.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import describe_machine, machine_info, markdown_table  # noqa: E402


def clustered(n: int, dim: int, clusters: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    x = centres[labels] + spread * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def recall_at(found: np.ndarray, truth: np.ndarray, k: int) -> float:
    hits = sum(len(set(f[:k]) & set(t[:k])) for f, t in zip(found, truth))
    return hits / (len(truth) * k)


def measure(index, queries: np.ndarray, truth: np.ndarray, k: int, latency_n: int) -> dict:
    start = time.perf_counter()
    _, found = index.search(queries, k)
    batch_s = time.perf_counter() - start
    lat = []
    for q in queries[:latency_n]:
        t = time.perf_counter()
        index.search(q[None], k)
        lat.append(time.perf_counter() - t)
    return {"qps": len(queries) / batch_s, "lat_ms": 1000 * float(np.median(lat)),
            "p99_ms": 1000 * float(np.percentile(lat, 99)), "recall": recall_at(found, truth, k)}


def build_flat(x):
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    return index


def build_ivf(x, nlist):
    quantizer = faiss.IndexFlatIP(x.shape[1])
    index = faiss.IndexIVFFlat(quantizer, x.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    index.train(x)
    index.add(x)
    return index


def build_hnsw(x, m, ef_construction):
    index = faiss.IndexHNSWFlat(x.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.add(x)
    return index


def timed_build(fn, *args):
    start = time.perf_counter()
    index = fn(*args)
    return index, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="database vectors")
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=0.6, help="noise std around a cluster centre (per dim)")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--nlist", type=int, default=1024, help="IVF cells")
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--latency-n", type=int, default=300, help="single queries timed for latency")
    parser.add_argument("--threads", type=int, default=0, help="faiss OpenMP threads (0 = faiss default)")
    args = parser.parse_args(argv)
    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x = clustered(args.n, args.dim, args.clusters, args.spread, rng)
    queries = clustered(args.queries, args.dim, args.clusters, args.spread, np.random.default_rng(0))[::-1].copy()
    info = machine_info()
    print(f"# faiss {faiss.__version__}, {args.n:,} x {args.dim} vectors ({args.clusters} clusters), "
          f"{args.queries:,} queries, k={args.k}, {faiss.omp_get_max_threads()} threads; {describe_machine(info)}")

    flat, flat_build = timed_build(build_flat, x)
    start = time.perf_counter()
    _, truth = flat.search(queries, args.k)
    exact_s = time.perf_counter() - start
    rows = []
    flat_m = measure(flat, queries, truth, args.k, args.latency_n)
    rows.append(("IndexFlatIP (exact, batched)", "-", flat_build, flat_m))

    ivf, ivf_build = timed_build(build_ivf, x, args.nlist)
    for nprobe in (4, 8, 16, 32, 64):
        ivf.nprobe = nprobe
        rows.append((f"IVF{args.nlist},Flat", f"nprobe={nprobe}", ivf_build, measure(ivf, queries, truth, args.k,
                                                                                   args.latency_n)))
    hnsw, hnsw_build = timed_build(build_hnsw, x, args.hnsw_m, 64)
    for ef in (16, 32, 64, 128):
        hnsw.hnsw.efSearch = ef
        rows.append((f"HNSW{args.hnsw_m},Flat", f"efSearch={ef}", hnsw_build, measure(hnsw, queries, truth, args.k,
                                                                                    args.latency_n)))
    table = [(name, knob, f"{build:.1f}", f"{m['qps']:,.0f}", f"{m['lat_ms']:.3f}", f"{m['p99_ms']:.3f}",
              f"{m['recall']:.4f}", "yes" if m["qps"] >= 5000 and m["recall"] >= 0.99 else "no")
             for name, knob, build, m in rows]
    print(markdown_table(["index", "setting", "build s", "queries/s (batch)", "latency ms (1 query)", "p99 ms",
                          f"recall@{args.k}", "goal met"], table, "llrrrrrc"))
    print(f"\nexact ground truth: {exact_s:.2f} s for {args.queries:,} queries")
    met = [r for r in rows if r[3]["qps"] >= 5000 and r[3]["recall"] >= 0.99]
    if met:
        best = max(met, key=lambda r: r[3]["qps"])
        print(f"fastest meeting the goal: {best[0]} {best[1]}: {best[3]['qps']:,.0f} queries/s at "
              f"recall@{args.k} {best[3]['recall']:.4f}")
    else:
        print("no candidate met >= 5,000 queries/s at recall@10 >= 0.99")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
