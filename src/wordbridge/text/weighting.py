"""Weighted sampling per source (`train.source_weights`): a small source is seen more often than its share of pairs.

A weight multiplies how often each pair of a source is drawn, against weight 1 for every source not named: with
`{fillets: 4}` each Fish Fillets pair is seen about four times as often as a pair of an unweighted source. Keys are
the source names of the prepared data (its train.source.txt) or source groups (`everyday`, `technical`: the `group`
of each named corpus); a source's own key wins over its group's. An epoch keeps its length (as many draws as there
are training pairs, so epochs, schedules and DDP sharding stay as they were). Each source gets its share of the
draws exactly (largest remainder), as whole shuffled passes over its pairs plus a random part of one more pass: an
upweighted source shows every pair k times before any pair k+1 times, a downweighted one a different random part
each epoch (seed + epoch).
"""

import logging
from typing import Mapping, Sequence

import numpy as np
from torch.utils.data import DataLoader

from wordbridge.text.batching import Seq2SeqDataset, SortishSampler, collate
from wordbridge.text.source_weights import draw_counts, resolve_weights

log = logging.getLogger(__name__)


class WeightedSortishSampler(SortishSampler):
    """SortishSampler whose epoch draws each source's share of `draw_counts` instead of every pair once."""

    def __init__(self, lengths: Sequence[int], sources: Sequence[str], weights: Mapping[str, float], batch_size: int,
                 seed: int = 42, num_replicas: int = 1, rank: int = 0):
        super().__init__(lengths, batch_size, seed=seed, num_replicas=num_replicas, rank=rank)
        if len(sources) != len(self.lengths):
            raise ValueError(f"{len(sources)} sources for {len(self.lengths)} pairs")
        names, codes = np.unique(np.asarray(sources, dtype=object).astype(str), return_inverse=True)
        self.members = {str(name): np.flatnonzero(codes == i) for i, name in enumerate(names)}
        self.draws = draw_counts({n: len(m) for n, m in self.members.items()}, weights, len(self.lengths))

    def _epoch_order(self, rng: np.random.Generator) -> np.ndarray:
        parts = []
        for name, members in self.members.items():
            want = self.draws.get(name, 0)
            passes, rest = divmod(want, len(members))
            parts += [rng.permutation(members) for _ in range(passes)]
            parts.append(rng.permutation(members)[:rest])
        order = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return order[rng.permutation(len(order))]


def weighted_loader(dataset: Seq2SeqDataset, sources: Sequence[str], weights: Mapping[str, float], batch_size: int,
                    seed: int = 42, num_replicas: int = 1, rank: int = 0, num_workers: int = 0) -> DataLoader:
    """The training loader with source weights (resolved against `sources`; the share of draws is logged)."""
    resolved = resolve_weights(sources, weights)
    sampler = WeightedSortishSampler(dataset.lengths(), sources, resolved, batch_size, seed=seed,
                                     num_replicas=num_replicas, rank=rank)
    n = max(len(sources), 1)
    for name, members in sampler.members.items():
        if resolved[name] != 1.0:
            log.info("source weight %s x%g: %d pairs (%.1f%%) -> %.1f%% of the draws", name, resolved[name],
                     len(members), 100 * len(members) / n, 100 * sampler.draws.get(name, 0) / n)
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate, num_workers=num_workers)
