import math

from wordbridge.train.best import BestTracker


def test_min_mode_tracks_best_and_counts_bad_validations():
    t = BestTracker("loss", "min", patience=2)
    assert t.update({"loss": 3.0}, step=1, epoch=0)
    assert t.best == {"metric": "loss", "value": 3.0, "step": 1, "epoch": 0}
    assert not t.update({"loss": 3.5}, 2, 0) and t.bad_validations == 1 and not t.out_of_patience
    assert t.update({"loss": 2.0}, 3, 1) and t.bad_validations == 0 and t.best["step"] == 3
    assert not t.update({"loss": 2.0}, 4, 1) and not t.update({"loss": 9.0}, 5, 1)  # a tie is not an improvement
    assert t.out_of_patience


def test_max_mode_nan_and_missing_values():
    t = BestTracker("bleu", "max")
    assert t.update({"bleu": 0.5}, 1, 0) and t.update({"bleu": 0.7}, 2, 0) and not t.update({"bleu": 0.6}, 3, 0)
    assert not t.update({"bleu": math.nan}, 4, 0) and t.bad_validations == 1  # NaN: skipped, not counted
    assert not t.out_of_patience  # no patience set: never
    assert t.missing({"loss": 1.0, "valid_s": 0.1}) and not t.missing({"valid_s": 0.1, "n_items": 3.0})
    assert not t.missing({"bleu": 0.1})


def test_restore_from_a_checkpoint():
    t = BestTracker("loss", "min", patience=3)
    t.restore({"metric": "loss", "value": 1.0, "step": 7, "epoch": 1}, 2)
    assert t.bad_validations == 2 and not t.update({"loss": 1.5}, 8, 1) and t.out_of_patience
