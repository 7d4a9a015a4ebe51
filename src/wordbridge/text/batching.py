"""Seq2seq batches: a Dataset over prepared ids, end-padded collation, and the lesson's length-aware samplers.

- `SortishSampler` is a *batch* sampler (yields lists of indices) for training: shuffled chunks of ~50 batches,
  each sorted by length, the longest batch first (so out-of-memory shows up at once), deterministic per epoch
  (seed + epoch) and sharded across DDP ranks so that every rank gets the same number of batches and every index
  is used exactly once per epoch. Use it as `DataLoader(ds, batch_sampler=sampler, collate_fn=collate)`.
- `SortSampler` is a plain index sampler for validation: longest first. Use it as
  `DataLoader(ds, batch_size=bs, sampler=SortSampler(lengths), collate_fn=collate)`.
- `make_loader(...)` builds either loader in one call.
"""

import math
from typing import Iterator, NamedTuple, Sequence

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from wordbridge.text.vocab import PAD

CHUNK_BATCHES = 50  # the lesson's sortish chunk: ~50 batches are sorted together


class Batch(NamedTuple):
    src: torch.Tensor  # (batch, src_len) long, padded at the end with PAD
    src_len: torch.Tensor  # (batch,) long
    tgt: torch.Tensor  # (batch, tgt_len) long, padded at the end with PAD
    tgt_len: torch.Tensor  # (batch,) long

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(*(t.to(device) for t in self))


class Seq2SeqDataset(Dataset):
    """Pairs (src_ids, tgt_ids) from two aligned sequences of int arrays (e.g. Ragged from PreparedData.split)."""

    def __init__(self, src: Sequence[np.ndarray], tgt: Sequence[np.ndarray]):
        if len(src) != len(tgt):
            raise ValueError(f"source and target differ in length: {len(src)} != {len(tgt)}")
        self.src, self.tgt = src, tgt

    def __len__(self) -> int:
        return len(self.src)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return self.src[i], self.tgt[i]

    def lengths(self) -> np.ndarray:
        """(n,) max of source and target length per pair: the sort key for the samplers."""
        return np.maximum(_lengths(self.src), _lengths(self.tgt))


def _lengths(rows: Sequence[np.ndarray]) -> np.ndarray:
    if hasattr(rows, "lengths"):
        return np.asarray(rows.lengths)
    return np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))


def pad_batch(rows: Sequence[np.ndarray], pad: int = PAD) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows of ids -> (padded (batch, max_len) long tensor padded at the end, lengths (batch,))."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))  # (batch,)
    out = np.full((len(rows), int(lengths.max()) if len(rows) else 0), pad, dtype=np.int64)  # (batch, max_len)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return torch.from_numpy(out), torch.from_numpy(lengths)


def collate(items: Sequence[tuple[np.ndarray, np.ndarray]]) -> Batch:
    """[(src_ids, tgt_ids), ...] -> Batch of batch-first LongTensors padded at the end with _pad_."""
    src, src_len = pad_batch([s for s, _ in items])  # src: (batch, max_src)
    tgt, tgt_len = pad_batch([t for _, t in items])  # tgt: (batch, max_tgt)
    return Batch(src, src_len, tgt, tgt_len)


class SortishSampler(Sampler[list[int]]):
    """Batch sampler: random chunks of ~50 batches sorted by length, longest batch first, DDP-sharded."""

    def __init__(
        self, lengths: Sequence[int], batch_size: int, seed: int = 42, num_replicas: int = 1, rank: int = 0
    ):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} is not in [0, {num_replicas})")
        self.lengths = np.asarray(lengths, dtype=np.int64)  # (n,)
        self.batch_size, self.seed = batch_size, seed
        self.num_replicas, self.rank = num_replicas, rank
        self.epoch = 0
        n = len(self.lengths)
        # total batches: enough for batch_size, rounded up so that every rank gets the same count
        self.total_batches = num_replicas * math.ceil(math.ceil(n / batch_size) / num_replicas) if n else 0
        if self.total_batches > n:
            raise ValueError(
                f"{n} items cannot be cut into {self.total_batches} non-empty batches for {num_replicas} ranks"
            )

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.total_batches // self.num_replicas

    def _epoch_order(self, rng: np.random.Generator) -> np.ndarray:
        """The epoch's draws in random order: every index once (text/weighting.py draws per source instead)."""
        return rng.permutation(len(self.lengths))

    def _global_batches(self) -> list[np.ndarray]:
        rng = np.random.default_rng(self.seed + self.epoch)
        n = len(self.lengths)
        sizes = [len(a) for a in np.array_split(np.arange(n), self.total_batches)]  # each <= batch_size
        perm = self._epoch_order(rng)  # (n,) the pairs of this epoch, shuffled
        batches, start = [], 0
        for c in range(0, len(sizes), CHUNK_BATCHES):
            chunk_sizes = sizes[c : c + CHUNK_BATCHES]
            chunk = perm[start : start + sum(chunk_sizes)]
            start += sum(chunk_sizes)
            chunk = chunk[np.argsort(-self.lengths[chunk], kind="stable")]  # longest first within the chunk
            cuts = np.cumsum(chunk_sizes)[:-1]
            batches.extend(np.split(chunk, cuts))
        order = rng.permutation(len(batches))
        return [batches[i] for i in order]

    def __iter__(self) -> Iterator[list[int]]:
        if not self.total_batches:
            return iter(())
        mine = self._global_batches()[self.rank :: self.num_replicas]
        longest = int(np.argmax([self.lengths[b].max() for b in mine]))
        mine[0], mine[longest] = mine[longest], mine[0]
        return iter([b.tolist() for b in mine])


class SortSampler(Sampler[int]):
    """Index sampler for validation: indices by decreasing length (stable), optionally sharded across ranks."""

    def __init__(self, lengths: Sequence[int], num_replicas: int = 1, rank: int = 0):
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.num_replicas, self.rank = num_replicas, rank

    def __len__(self) -> int:
        return len(range(self.rank, len(self.lengths), self.num_replicas))

    def __iter__(self) -> Iterator[int]:
        order = np.argsort(-self.lengths, kind="stable")
        return iter(order[self.rank :: self.num_replicas].tolist())


def make_loader(
    dataset: Seq2SeqDataset,
    batch_size: int,
    train: bool,
    seed: int = 42,
    num_replicas: int = 1,
    rank: int = 0,
    num_workers: int = 0,
) -> DataLoader:
    """Training loader (SortishSampler; call loader.batch_sampler.set_epoch(e)) or validation loader (SortSampler)."""
    lengths = dataset.lengths()
    if train:
        sampler = SortishSampler(lengths, batch_size, seed=seed, num_replicas=num_replicas, rank=rank)
        return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate, num_workers=num_workers)
    sampler = SortSampler(lengths, num_replicas=num_replicas, rank=rank)
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, collate_fn=collate, num_workers=num_workers)
