import numpy as np
import pytest
import torch

from wordbridge.text.batching import (
    Seq2SeqDataset, SortishSampler, SortSampler, collate, make_loader,
)
from wordbridge.text.vocab import PAD


def _lengths(n, seed=0):
    return np.random.default_rng(seed).integers(1, 60, size=n)


def test_collate_pads_at_end_batch_first():
    items = [(np.array([5, 6, 2]), np.array([7, 2])), (np.array([8, 2]), np.array([9, 10, 11, 2]))]
    b = collate(items)
    assert b.src.shape == (2, 3) and b.tgt.shape == (2, 4)
    assert b.src.dtype == torch.long
    assert b.src[1].tolist() == [8, 2, PAD]
    assert b.tgt[0].tolist() == [7, 2, PAD, PAD]
    assert b.src_len.tolist() == [3, 2] and b.tgt_len.tolist() == [2, 4]


@pytest.mark.parametrize("n,bs", [(1000, 32), (1001, 32), (7, 3), (64, 64)])
def test_sortish_visits_every_index_once(n, bs):
    s = SortishSampler(_lengths(n), bs, seed=1)
    batches = list(s)
    assert len(batches) == len(s)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(n))
    assert all(1 <= len(b) <= bs for b in batches)


def test_sortish_is_length_homogeneous_and_longest_first():
    lengths = _lengths(5000)
    s = SortishSampler(lengths, 50)
    batches = list(s)
    spread = np.mean([lengths[b].max() - lengths[b].min() for b in batches])
    assert spread <= 3  # random batches would span ~55
    assert lengths[batches[0]].max() == lengths.max()


def test_sortish_is_deterministic_per_epoch():
    lengths = _lengths(500)
    a, b = SortishSampler(lengths, 16, seed=42), SortishSampler(lengths, 16, seed=42)
    assert list(a) == list(b)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    b.set_epoch(1)
    assert list(a) == list(b)


@pytest.mark.parametrize("n,bs,world", [(1000, 32, 2), (1003, 32, 3), (10, 4, 4)])
def test_sortish_shards_across_ranks(n, bs, world):
    lengths = _lengths(n)
    per_rank = [list(SortishSampler(lengths, bs, num_replicas=world, rank=r)) for r in range(world)]
    assert len({len(b) for b in per_rank}) == 1  # same number of batches on every rank
    flat = [i for batches in per_rank for b in batches for i in b]
    assert sorted(flat) == list(range(n))  # every index exactly once across ranks


def test_sort_sampler_is_longest_first_and_complete():
    lengths = [3, 9, 1, 9, 5]
    assert list(SortSampler(lengths)) == [1, 3, 4, 0, 2]
    shards = [list(SortSampler(lengths, num_replicas=2, rank=r)) for r in (0, 1)]
    assert sorted(shards[0] + shards[1]) == list(range(5))


def test_make_loader_yields_batches():
    src = [np.arange(1, k + 2) for k in range(40)]
    tgt = [np.arange(1, k % 7 + 2) for k in range(40)]
    ds = Seq2SeqDataset(src, tgt)
    train = list(make_loader(ds, 8, train=True))
    assert sum(b.src.shape[0] for b in train) == 40
    valid = list(make_loader(ds, 8, train=False))
    assert valid[0].src.shape == (8, 40)  # longest first
