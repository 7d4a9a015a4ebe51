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

from wordbridge.errors import ConfigError
from wordbridge.text import named_corpora
from wordbridge.text.batching import Seq2SeqDataset, SortishSampler, collate

log = logging.getLogger(__name__)

GROUPS = ("everyday", "technical")


def group_of(source: str) -> str | None:
    """The group of a named corpus ("everyday" or "technical"); None for a source that is no named corpus."""
    corpus = named_corpora.CORPORA.get(source)
    return getattr(corpus, "group", "technical") if corpus is not None else None


def check_weights(weights: Mapping[str, float], where: str = "train.source_weights") -> None:
    """Every weight a number > 0 (one line naming the key)."""
    for key, value in weights.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ConfigError(f"Invalid {where}.{key} {value!r}: a weight must be a number > 0.")


def resolve_weights(sources: Sequence[str], weights: Mapping[str, float],
                    where: str = "train.source_weights") -> dict[str, float]:
    """{source: weight} for every source present in `sources`; a key that is neither a present source nor a group
    raises (a group key with no source present is fine: one config serves every corpus)."""
    check_weights(weights, where)
    present = list(dict.fromkeys(sources))
    groups = {name: group_of(name) for name in present}
    valid = set(present) | set(GROUPS)
    unknown = [k for k in weights if k not in valid]
    if unknown:
        raise ConfigError(f"Invalid {where} key '{unknown[0]}': no such source or source group in the prepared "
                          f"data. Valid: {', '.join(sorted(valid))}.")
    return {name: float(weights.get(name, weights.get(groups[name] or "", 1.0))) for name in present}


def draw_counts(sizes: Mapping[str, int], weights: Mapping[str, float], total: int) -> dict[str, int]:
    """Draws per source in an epoch of `total` draws: proportional to size x weight, rounded by largest remainder."""
    names = [n for n in sizes if sizes[n] > 0]
    mass = np.array([sizes[n] * weights.get(n, 1.0) for n in names], dtype=np.float64)  # (sources,)
    exact = total * mass / mass.sum()
    counts = np.floor(exact).astype(np.int64)
    for i in np.argsort(-(exact - counts), kind="stable")[: total - int(counts.sum())]:
        counts[i] += 1
    return {n: int(c) for n, c in zip(names, counts)}


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
