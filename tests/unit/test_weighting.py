"""text/weighting.py: per-source weighted sampling (train.source_weights) and its config checks."""

import numpy as np
import pytest

from wordbridge.config import from_dict
from wordbridge.errors import ConfigError
from wordbridge.text.batching import SortishSampler
from wordbridge.text.source_weights import draw_counts, resolve_weights
from wordbridge.text.weighting import WeightedSortishSampler, weighted_loader
from wordbridge.translate.config import TranslateTrainConfig


def _two_sources(n_big=900, n_small=100):
    sources = ["bible"] * n_big + ["fillets"] * n_small
    lengths = np.random.default_rng(0).integers(2, 40, size=len(sources))
    return sources, lengths


def test_a_small_source_is_drawn_at_the_configured_ratio():
    sources, lengths = _two_sources()
    sampler = WeightedSortishSampler(lengths, sources, {"bible": 1.0, "fillets": 4.0}, batch_size=16, seed=3)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        drawn = np.array([i for batch in sampler for i in batch])
        assert len(drawn) == len(sources)  # an epoch keeps its length
        small = np.mean(np.asarray(sources)[drawn] == "fillets")
        expected = 100 * 4 / (900 + 100 * 4)  # size x weight share: 30.8%, against 10% unweighted
        assert abs(small - expected) < 0.01
        counts = np.bincount(drawn, minlength=len(sources))
        assert counts[900:].min() >= 3 and counts[900:].max() <= 5  # each small pair ~4 times, none skipped
        assert counts[:900].max() <= 1  # the big source is thinned, never repeated


def test_downweighted_source_shows_a_different_part_each_epoch():
    sources, lengths = _two_sources()
    sampler = WeightedSortishSampler(lengths, sources, {"fillets": 4.0}, batch_size=16, seed=3)
    seen = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        seen.append({i for batch in sampler for i in batch if i < 900})
    assert seen[0] != seen[1]


def test_weighted_sampler_keeps_ddp_shards_equal_and_disjoint_in_draws():
    sources, lengths = _two_sources(901, 99)
    shards = [WeightedSortishSampler(lengths, sources, {"fillets": 3.0}, batch_size=8, seed=1, num_replicas=3, rank=r)
              for r in range(3)]
    batches = [list(s) for s in shards]
    assert len({len(b) for b in batches}) == 1 and all(len(b) == len(s) for b, s in zip(batches, shards))
    single = WeightedSortishSampler(lengths, sources, {"fillets": 3.0}, batch_size=8, seed=1)
    assert sorted(i for b in batches for batch in b for i in batch) == sorted(i for batch in single for i in batch)


def test_unweighted_sampler_is_unchanged_by_the_hook():
    lengths = np.random.default_rng(1).integers(1, 50, size=500)
    flat = [i for b in SortishSampler(lengths, 32, seed=2) for i in b]
    assert sorted(flat) == list(range(500))


def test_draw_counts_add_up_and_follow_size_times_weight():
    counts = draw_counts({"a": 10, "b": 5, "c": 1}, {"b": 2.0}, total=16)
    assert sum(counts.values()) == 16
    assert counts["b"] == pytest.approx(16 * 10 / 21, abs=1)


def test_group_keys_and_source_keys():
    resolved = resolve_weights(["bible", "freedict", "bible"], {"technical": 2.0, "freedict": 0.5})
    assert resolved == {"bible": 2.0, "freedict": 0.5}  # a source's own key wins over its group's
    assert resolve_weights(["bible"], {"everyday": 3.0}) == {"bible": 1.0}  # a group absent from the data is fine


@pytest.mark.parametrize("weights,needle", [({"wesnoth-typo": 2.0}, "wesnoth-typo"), ({"bible": 0}, "> 0"),
                                            ({"bible": -1.5}, "> 0"), ({"bible": "lots"}, "> 0")])
def test_bad_weights_are_one_line_config_errors(weights, needle):
    with pytest.raises(ConfigError) as err:
        resolve_weights(["bible", "fillets"], weights)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_config_rejects_a_weight_at_or_below_zero():
    with pytest.raises(ConfigError, match="source_weights.fillets"):
        from_dict(TranslateTrainConfig, {"source_weights": {"fillets": 0.0}}, "train")
    cfg = from_dict(TranslateTrainConfig, {"source_weights": {"everyday": 4}}, "train")
    assert cfg.source_weights == {"everyday": 4}


def test_weighted_loader_yields_batches():
    from wordbridge.text.batching import Seq2SeqDataset

    rows = [np.arange(2 + i % 5) for i in range(40)]
    loader = weighted_loader(Seq2SeqDataset(rows, rows), ["a"] * 30 + ["b"] * 10, {"b": 2.0}, batch_size=8)
    batches = list(loader)
    assert sum(b.src.shape[0] for b in batches) == 40
