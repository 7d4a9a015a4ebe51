"""The faiss index of a gallery, chosen by its size: exact up to FLAT_MAX vectors, then IVF, then IVF-PQ under a RAM cap.

    plan = plan_index(n, dim, max_ram)        # IndexPlan(kind="ivf", factory="IVF2048,Flat", nlist=2048, ...)
    index, info = build_index(vectors, ids, plan)   # info: kind, factory, nprobe, recall@10, RAM, build seconds

- flat   IndexIDMap2(IndexFlatIP): exact, no training. Its cost grows with n (~1 s a query at 1M on 2 busy cores,
         benchmarks/devise_index.py); up to FLAT_MAX vectors that is ~1/20 of it (`--sizes` compares by size).
- ivf    IVF{nlist},Flat with nlist ~ 2*sqrt(n) (a power of two), trained on a sample of TRAIN_PER_LIST vectors per
         list; nprobe is the smallest power of two reaching recall@10 >= target (0.99) against exact search on a
         held-out sample of the gallery's own vectors (each query's own row left out of both lists).
- ivfpq  IVF{nlist},PQ{m} when the float32 vectors would not fit `max_ram`: m is the largest number of 8-bit
         sub-quantizers (a divisor of dim) whose codes fit; nprobe tuned as above, and when the
         target is out of reach, the smallest nprobe within 0.005 of the best recall seen.
Vectors are read in blocks, so `vectors` may be a memory-mapped .npy larger than RAM.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time

import faiss
import numpy as np

from wordbridge.errors import DataError

FLAT_MAX = 50_000
TRAIN_PER_LIST = 40  # faiss's k-means warns below 39 points per centroid
MAX_TRAIN = 100_000
TUNE_QUERIES = 500
TARGET_RECALL = 0.99
K = 10
BLOCK = 65_536
KINDS = ("flat", "ivf", "ivfpq")
PQ_MIN = 256


@dataclasses.dataclass(frozen=True)
class IndexPlan:
    kind: str  # one of KINDS
    factory: str  # faiss index_factory string
    nlist: int = 0
    m: int = 0  # PQ sub-quantizers (ivfpq)


def nlist_for(n: int) -> int:
    """IVF lists for n vectors: the power of two nearest 2*sqrt(n), with at least TRAIN_PER_LIST vectors per list."""
    want = 2 ** round(math.log2(max(2 * math.sqrt(max(n, 1)), 1)))
    return int(min(want, 2 ** int(math.log2(max(n // TRAIN_PER_LIST, 1)))))


def pq_bytes(n: int, dim: int, nlist: int, m: int) -> int:
    """RAM of an IVF{nlist},PQ{m} index: codes + ids + coarse centroids + PQ codebooks."""
    return n * (m + 8) + nlist * dim * 4 + 256 * dim * 4


def flat_bytes(n: int, dim: int, nlist: int = 0) -> int:
    return n * (dim * 4 + 8) + nlist * dim * 4


def plan_index(n: int, dim: int, max_ram: int | None = None, flat_max: int = FLAT_MAX,
               kind: str | None = None) -> IndexPlan:
    """The index for n vectors of dim under a RAM cap (bytes, None = no cap); `kind` forces one of KINDS."""
    if kind is not None and kind not in KINDS:
        raise DataError(f"Invalid index kind '{kind}'. Valid: {', '.join(KINDS)}.")
    fits = max_ram is None or flat_bytes(n, dim) <= max_ram
    if kind == "flat" or (kind is None and n <= flat_max and fits):
        return IndexPlan("flat", "IDMap2,Flat")
    nlist = nlist_for(n)
    if kind == "ivf" or (kind is None and (max_ram is None or flat_bytes(n, dim, nlist) <= max_ram)):
        return IndexPlan("ivf", f"IVF{nlist},Flat", nlist)
    if n < PQ_MIN:
        raise DataError(f"IVF-PQ needs at least {PQ_MIN:,} images to train its codebooks ({n:,} here); "
                        f"raise --max-ram or choose another --index-type.")
    options = [m for m in range(dim, 0, -1) if dim % m == 0]
    fitting = [m for m in options if max_ram is None or pq_bytes(n, dim, nlist, m) <= max_ram]
    if not fitting:
        need = pq_bytes(n, dim, nlist, options[-1])
        raise DataError(f"--max-ram {max_ram / 2**20:,.0f} MiB is too small for {n:,} vectors: the smallest "
                        f"index (IVF{nlist},PQ{options[-1]}) needs {need / 2**20:,.0f} MiB.")
    m = fitting[0]
    return IndexPlan("ivfpq", f"IVF{nlist},PQ{m}np", nlist, m)


@contextlib.contextmanager
def _threads(n: int):
    """Run faiss with n OpenMP threads (0: unchanged). PQ training is thousands of tiny k-means steps: one thread
    trains IVF64,PQ16 on 3,000 vectors in 2.8 s, two threads on 2 busy cores took 27 s (spinning at barriers)."""
    before = faiss.omp_get_max_threads()
    if n:
        faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _blocks(vectors, start: int = 0, stop: int | None = None):
    stop = len(vectors) if stop is None else stop
    for lo in range(start, stop, BLOCK):
        yield lo, np.ascontiguousarray(vectors[lo:min(lo + BLOCK, stop)], dtype=np.float32)


def exact_top(vectors, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top-k rows of `vectors` (read block by block) for queries (q, dim); (scores, rows)."""
    heap = faiss.ResultHeap(len(queries), k, keep_max=True)
    for lo, block in _blocks(vectors):
        scores, rows = faiss.knn(queries, block, min(k, len(block)), metric=faiss.METRIC_INNER_PRODUCT)
        if rows.shape[1] < k:  # a short last block: pad with empty results
            pad = k - rows.shape[1]
            scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=-np.inf)
            rows = np.pad(rows, ((0, 0), (0, pad)), constant_values=-1)
        heap.add_result(np.ascontiguousarray(scores, dtype=np.float32), np.where(rows >= 0, rows + lo, -1))
    heap.finalize()
    return heap.D, heap.I


def recall_at(found: np.ndarray, truth: np.ndarray, k: int = K) -> float:
    """Mean fraction of each query's true top-k found in its top-k."""
    hits = sum(len(set(f[:k].tolist()) & set(t[:k].tolist()) - {-1}) for f, t in zip(found, truth))
    return hits / max(1, len(truth) * k)


def _without_self(lists: np.ndarray, own: np.ndarray, k: int) -> np.ndarray:
    """Drop each query's own id from its result row; keep the first k others."""
    return np.stack([row[row != me][:k] for row, me in zip(lists, own)]) if len(lists) else lists[:, :k]


def build_index(vectors, ids: np.ndarray, plan: IndexPlan, target: float = TARGET_RECALL, seed: int = 0,
                progress=None) -> tuple[faiss.Index, dict]:
    """Build `plan` over vectors (n, dim) with ids (n,); tune nprobe; returns (index, info for the metadata)."""
    n, dim = len(vectors), (vectors.shape[1] if len(vectors.shape) == 2 else 0)
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    if plan.kind == "flat":
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    else:
        index = faiss.index_factory(dim, plan.factory, faiss.METRIC_INNER_PRODUCT)
    sample = np.sort(rng.permutation(n)[:min(n, TUNE_QUERIES)]) if n else np.zeros(0, np.int64)
    if plan.kind != "flat":
        held = set(sample.tolist())
        pool = [i for i in rng.permutation(n)[:MAX_TRAIN + len(held)].tolist() if i not in held][:MAX_TRAIN]
        if len(pool) < TRAIN_PER_LIST * plan.nlist:  # a small gallery: train on all of it (the sample too)
            pool = rng.permutation(n)[:MAX_TRAIN].tolist()
        train = np.ascontiguousarray(vectors[np.sort(np.asarray(pool, dtype=np.int64))], dtype=np.float32)
        if plan.kind == "ivfpq":  # each 256-centroid sub-quantizer trains on 40 points per centroid, not 256
            ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
            ivf.pq.cp.max_points_per_centroid = TRAIN_PER_LIST
            # the coarse k-means on all threads; then train() skips it and trains the PQ alone, on one thread
            ivf.train_q1(len(train), faiss.swig_ptr(train), False, faiss.METRIC_INNER_PRODUCT)
        with _threads(1 if plan.kind == "ivfpq" else 0):
            index.train(train)
    for lo, block in _blocks(vectors):
        index.add_with_ids(block, ids[lo:lo + len(block)])
        if progress is not None:
            progress(len(block))
    info = {"kind": plan.kind, "factory": plan.factory, "n": n, "nlist": plan.nlist, "nprobe": 0,
            "recall_at_10": 1.0, "tune_queries": 0}
    if plan.kind != "flat" and n:
        info.update(tune_nprobe(index, vectors, ids, sample, target))
    info["ram_bytes"] = index_bytes(index)
    info["build_s"] = round(time.perf_counter() - start, 2)
    return index, info


def tune_nprobe(index: faiss.Index, vectors, ids: np.ndarray, sample: np.ndarray, target: float) -> dict:
    """Smallest power-of-two nprobe reaching `target` recall@10 on the held-out rows (own row left out)."""
    k = min(K, len(vectors) - 1)
    if k < 1:
        return {"nprobe": 1, "recall_at_10": 1.0, "tune_queries": 0}
    queries = np.ascontiguousarray(vectors[sample], dtype=np.float32)
    _, rows = exact_top(vectors, queries, k + 1)
    truth = _without_self(np.where(rows >= 0, ids[np.maximum(rows, 0)], -1), ids[sample], k)
    ivf = faiss.extract_index_ivf(index)
    tried, nprobe = {}, 1
    while nprobe <= ivf.nlist:
        ivf.nprobe = nprobe
        _, found = index.search(queries, k + 1)
        tried[nprobe] = recall_at(_without_self(found, ids[sample], k), truth, k)
        if tried[nprobe] >= target or (len(tried) >= 3 and max(tried.values()) - min(list(tried.values())[-3:]) < 1e-3):
            break
        nprobe *= 2
    best = max(tried.values())
    good = [p for p, r in tried.items() if r >= target] or [p for p, r in tried.items() if r >= best - 0.005]
    ivf.nprobe = min(good)
    return {"nprobe": int(ivf.nprobe), "recall_at_10": round(float(tried[ivf.nprobe]), 4),
            "tune_queries": int(len(sample)), "recall_by_nprobe": {str(p): round(r, 4) for p, r in tried.items()}}


def index_bytes(index: faiss.Index) -> int:
    """Bytes the index holds in memory (its serialised size: vectors/codes, ids, centroids, codebooks)."""
    return int(faiss.serialize_index(index).nbytes)


def read_index(path: str, mmap: bool) -> faiss.Index:
    """Read an index (faiss stores nprobe with it); IVF indexes memory-mapped read-only when `mmap`, so only the
    probed lists are paged in and several server processes share one copy."""
    flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
    return faiss.read_index(path, flags)

