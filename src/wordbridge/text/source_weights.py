"""The rules of `train.source_weights` (text/weighting.py samples with them): which keys are valid, each source's
weight, and each source's share of an epoch's draws. Light on purpose: the train config validates with it.
"""

from typing import Mapping, Sequence

import numpy as np

from wordbridge.errors import ConfigError

GROUPS = ("everyday", "technical")


def group_of(source: str) -> str | None:
    """The group of a named corpus ("everyday" or "technical"); None for a source that is no named corpus."""
    from wordbridge.text import named_corpora  # deferred: config validation imports this module, not the readers

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
