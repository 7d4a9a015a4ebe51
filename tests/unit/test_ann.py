"""The index chosen by size: plans, tuned nprobe and measured recall, same answers whichever kind, mmap at load."""

import numpy as np
import pytest

from wordbridge.devise.index import ann
from wordbridge.devise.index.gallery import Gallery
from wordbridge.errors import DataError


def clustered(n, dim=16, clusters=40, spread=0.3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    x = centres[rng.integers(0, clusters, n)] + spread * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_plan_by_size_and_ram():
    assert ann.plan_index(1_000, 300).kind == "flat"
    assert ann.plan_index(ann.FLAT_MAX + 1, 300) == ann.IndexPlan("ivf", "IVF512,Flat", 512)
    assert ann.plan_index(1_000_000, 300).factory == "IVF2048,Flat"
    pq = ann.plan_index(1_000_000, 300, max_ram=2**30)  # 1.2 GB of float32 vectors do not fit 1 GiB
    assert pq.kind == "ivfpq" and pq.m == 300 and ann.pq_bytes(1_000_000, 300, pq.nlist, pq.m) <= 2**30
    tight = ann.plan_index(1_000_000, 300, max_ram=100 * 2**20)
    assert tight.m < 100 and 300 % tight.m == 0
    assert ann.plan_index(2_000, 300, max_ram=10**6).kind == "ivfpq"  # small but over the budget
    with pytest.raises(DataError, match="too small"):
        ann.plan_index(1_000_000, 300, max_ram=2**20)
    with pytest.raises(DataError, match="Valid: flat, ivf, ivfpq"):
        ann.plan_index(10, 4, kind="hnsw")


def test_nlist_grows_with_n_and_keeps_enough_training_points():
    assert [ann.nlist_for(n) for n in (100, 5_000, 60_000, 1_000_000)] == [2, 64, 512, 2048]
    assert all(n // ann.nlist_for(n) >= ann.TRAIN_PER_LIST for n in (100, 700, 5_000))


def test_ivf_reaches_target_recall_and_reports_it():
    x = clustered(6_000)
    ids = np.arange(100, 6_100)
    index, info = ann.build_index(x, ids, ann.plan_index(len(x), 16, kind="ivf"))
    assert info["kind"] == "ivf" and info["recall_at_10"] >= 0.99 and info["nprobe"] >= 1
    assert info["recall_by_nprobe"][str(info["nprobe"])] == info["recall_at_10"]
    # the measured recall holds on fresh queries from the same distribution
    queries = clustered(6_300)[6_000:]
    _, truth_rows = ann.exact_top(x, queries, 10)
    _, found = index.search(queries, 10)
    assert ann.recall_at(found, ids[truth_rows]) >= 0.97


def test_exact_top_in_blocks_matches_brute_force(monkeypatch):
    monkeypatch.setattr(ann, "BLOCK", 7)
    x, q = clustered(50), clustered(5, seed=1)
    scores, rows = ann.exact_top(x, q, 4)
    expected = np.argsort(-(q @ x.T), axis=1)[:, :4]
    assert rows.tolist() == expected.tolist()
    np.testing.assert_allclose(scores, np.take_along_axis(q @ x.T, expected, 1), rtol=1e-5)


def test_ivfpq_under_budget():
    x = clustered(4_000)
    plan = ann.plan_index(len(x), 16, max_ram=ann.pq_bytes(4_000, 16, ann.nlist_for(4_000), 8))
    assert plan.kind == "ivfpq" and plan.m == 8
    index, info = ann.build_index(x, np.arange(len(x)), plan)
    assert info["ram_bytes"] < ann.flat_bytes(4_000, 16) and 0.3 < info["recall_at_10"] <= 1.0


@pytest.mark.parametrize("kind", ["ivf", "ivfpq"])
def test_same_answers_whichever_index_and_mmap(tmp_path, kind):
    x = clustered(3_000, clusters=300, spread=0.05)  # tight blobs of ~10: the top hits are unambiguous
    images = [{"id": i, "path": f"{i}.png", "size": 1, "mtime_ns": 1, "label": None} for i in range(len(x))]
    flat = Gallery(tmp_path, "m", images, x)
    other = Gallery(tmp_path, "m", images, x)
    assert other.build_index(kind=kind)["kind"] == kind and flat.build_index()["kind"] == "flat"
    queries = clustered(3_050, clusters=300, spread=0.05)[3_000:]
    if kind == "ivf":  # exact answers at the tuned nprobe
        assert flat.search(queries, 1)[1].tolist() == other.search(queries, 1)[1].tolist()
    else:  # codes are approximate: the top hit is among the exact top 10
        tops = zip(other.search(queries, 1)[1][:, 0], flat.search(queries, 10)[1])
        assert np.mean([top in exact for top, exact in tops]) >= 0.95
    other.save(tmp_path / "index")
    loaded = Gallery.load(tmp_path / "index", "m", mmap=True)
    assert isinstance(loaded.embeddings, np.memmap) and loaded.index_info["kind"] == kind
    assert loaded.index_info["ram_bytes"] == (tmp_path / "index" / "index.faiss").stat().st_size
    assert loaded.search(queries, 5)[1].tolist() == other.search(queries, 5)[1].tolist()
    assert kind in loaded.describe() and "recall@10" in loaded.describe()
