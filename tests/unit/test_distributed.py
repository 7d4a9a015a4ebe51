import pytest

from wordbridge.train.distributed import DistInfo, ShardedBatchSampler, any_flag, broadcast_object, current, init_from_env


def test_shards_split_each_global_batch():
    one = ShardedBatchSampler(100, 8, seed=3)
    ranks = [ShardedBatchSampler(100, 8, seed=3, num_replicas=2, rank=r) for r in range(2)]
    global_batches = list(one)
    shards = [list(s) for s in ranks]
    assert len(shards[0]) == len(shards[1]) == 100 // 8  # last incomplete global batch dropped when distributed
    for g, a, b in zip(global_batches, *shards):
        assert a + b == g and len(a) == len(b) == 4


def test_epoch_reshuffles_deterministically():
    s = ShardedBatchSampler(50, 10, seed=1)
    first = list(s)
    s.set_epoch(1)
    second = list(s)
    s.set_epoch(0)
    assert list(s) == first != second
    assert sorted(i for b in first for i in b) == list(range(50))


def test_indivisible_global_batch_is_refused():
    with pytest.raises(ValueError, match="not divisible"):
        ShardedBatchSampler(10, 5, num_replicas=2, rank=0)


def test_single_process_helpers_are_identity(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    info = init_from_env("cpu")
    assert info == DistInfo() == current() and info.is_main and not info.enabled
    assert any_flag(True, info) is True and broadcast_object({"a": 1}, info) == {"a": 1}
