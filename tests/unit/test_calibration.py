"""Calibrated stacking: the margin tuned on validation data, and search flipping a seen label to an unseen one."""

from types import SimpleNamespace

import numpy as np
import pytest

from wordbridge.devise.calibration import tune_gamma
from wordbridge.devise.labels.word_vectors import build_labels
from wordbridge.devise.methods import calibrate, method_vectors, seen_labels
from wordbridge.devise.search import Searcher
from wordbridge.errors import ConfigError

# 2-d word space: "cat" (trained on), "lynx" (never trained on) close to it, "boat" far away
WORDS = ["cat", "lynx", "boat", "void"]
VECS = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.8, -1.6]], np.float32)  # "void" zeroes the mean


def test_tune_gamma_picks_the_margin_that_lets_unseen_rows_win():
    # validation: two images of the seen label, two of an unseen one that the head still puts nearer the seen label
    scores = np.array([[0.9, 0.5], [0.8, 0.3], [0.73, 0.6], [0.65, 0.6]], np.float32)
    truth, seen, unseen_rows = np.array([0, 0, 1, 1]), np.array([True, False]), np.array([False, False, True, True])
    gamma, report = tune_gamma(scores, truth, seen, unseen_rows)
    assert report["unseen_hit@1_raw"] == 0.0 and report["seen_hit@1_raw"] == 1.0  # uncorrected: every image -> seen
    # unseen rows need gamma > 0.13, seen rows gamma < 0.4: the smallest grid value that works is 0.14
    assert gamma == 0.14 and report["seen_hit@1"] == 1.0 and report["unseen_hit@1"] == 1.0
    np.testing.assert_allclose(calibrate(scores, seen, 0.25)[:, 0], scores[:, 0] - 0.25)
    np.testing.assert_allclose(calibrate(scores, seen, 0.25)[:, 1], scores[:, 1])


def make_searcher(gamma: float, method: str = "devise") -> Searcher:
    wv = SimpleNamespace(words=WORDS, vectors=VECS)
    synsets = [("n01", ["cat"]), ("n02", ["lynx"]), ("n03", ["boat"])]
    labels = build_labels(synsets, [(wnid, names[0]) for wnid, names in synsets], wv)
    model = SimpleNamespace(extra={"classes": ["cat", "t-shirt"], "calibration": {"devise": gamma}},
                            config={"devise": {"method": method}})
    return Searcher(model, None, None, labels)


def test_calibrated_search_flips_a_seen_label_to_the_unseen_one():
    image = np.array([0.96, 0.28], np.float32)  # cos(cat) = 0.96 > cos(lynx) = 0.936: a lynx photo the head pulls to cat
    plain = make_searcher(0.0)
    labels, zero_shot = plain.label_hits(image, k=2)
    assert [h.name for h in labels] == ["cat", "lynx"] and zero_shot[0].name == "cat"
    calibrated = make_searcher(0.1)
    labels, zero_shot = calibrated.label_hits(image, k=2, gamma=calibrated.margins["devise"])
    assert [h.name for h in labels] == ["lynx", "cat"] and zero_shot[0].name == "lynx"
    assert labels[1].score == pytest.approx(0.96 - 0.1, abs=1e-5)  # the seen label's score carries the margin
    far = np.array([0.0, 1.0], np.float32)  # a boat stays a boat: the margin only moves near-ties
    assert calibrated.label_hits(far, k=1, gamma=0.1)[0][0].name == "boat"


def test_seen_labels_and_methods():
    assert seen_labels(["Cat", "lynx"], ["cat"]).tolist() == [True, False]
    devise = np.array([[1.0, 0.0]], np.float32)
    imagenet = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    logits = np.array([[5.0, -5.0]])  # the classifier is sure: class 0
    np.testing.assert_allclose(method_vectors("conse", devise, logits, imagenet, 1), [[0.0, 1.0]], atol=1e-6)
    np.testing.assert_allclose(method_vectors("blend", devise, logits, imagenet, 1), [[0.7071, 0.7071]], atol=1e-4)
    assert method_vectors("devise", devise, None, imagenet, 1) is devise
    with pytest.raises(ConfigError, match="needs the backbone's ImageNet classifier"):
        method_vectors("blend", devise, None, imagenet, 1)
    with pytest.raises(ConfigError, match="Invalid method 'bend'"):
        method_vectors("bend", devise, logits, imagenet, 1)
