"""Hubness reduction (CSLS) for text -> images: the penalty, the ranking it gives, and where search and the captions
evaluation use it. A 'hub' is an image vector near every label: plain cosine puts it first for a query that is
really about another image; CSLS demotes it."""

from types import SimpleNamespace

import numpy as np
import pytest

from wordbridge.devise.config import DeviseConfig
from wordbridge.devise.evaluation.captions import caption_hits, search_captions
from wordbridge.devise.index import hubness
from wordbridge.errors import ConfigError


def unit(x):
    x = np.asarray(x, np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


LABELS = unit([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 1, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]])
HUB = unit([0, 1, 1, 1])  # near many labels
CAT = unit([1, 0.3, 0, 0])  # near label 0 only
GALLERY = np.stack([HUB, CAT])
QUERY = unit([1, 0.7, 0.7, 0.7])  # about label 0 but, like many queries, also near the hub


def test_neighbour_mean_is_the_mean_of_the_k_best_cosines():
    rng = np.random.default_rng(0)
    items, refs = unit(rng.normal(size=(7, 5))), unit(rng.normal(size=(30, 5)))
    expected = np.sort(items @ refs.T, axis=1)[:, -4:].mean(axis=1)
    np.testing.assert_allclose(hubness.neighbour_mean(items, refs, k=4, batch=3), expected, rtol=1e-5)
    np.testing.assert_allclose(hubness.neighbour_mean(items, refs[:2], k=10), (items @ refs[:2].T).mean(1), rtol=1e-5)
    assert hubness.neighbour_mean(items[:0], refs).shape == (0,)
    assert not hubness.neighbour_mean(items, refs[:0]).any()  # no labels: no penalty


def test_reference_vectors_stack_classes_wordnet_imagenet_without_empty_rows():
    labels = SimpleNamespace(vectors=LABELS[:2], imagenet_vectors=np.vstack([LABELS[2], np.zeros(4, np.float32)]))
    refs = hubness.reference_vectors(labels, LABELS[3:5])
    np.testing.assert_array_equal(refs, LABELS[[3, 4, 0, 1, 2]])


def test_csls_demotes_the_hub():
    cos = GALLERY @ QUERY
    assert cos.argmax() == 0  # plain cosine: the hub wins
    penalty = hubness.neighbour_mean(GALLERY, LABELS, k=2)
    assert penalty[0] > penalty[1]
    assert hubness.csls(cos, penalty).argmax() == 1  # CSLS: the cat
    assert hubness.shortlist(3, 1000) == 100 and hubness.shortlist(30, 1000) == 300 and hubness.shortlist(9, 40) == 40


def test_caption_rows_rank_by_csls_and_keep_cosine_rows():
    truth = np.array([1])
    penalty = hubness.neighbour_mean(GALLERY, LABELS, k=2)
    assert caption_hits([QUERY], GALLERY, truth, (1,))["hit@1"] == 0.0
    assert caption_hits([QUERY], GALLERY, truth, (1,), penalty)["hit@1"] == 1.0
    lookup = SimpleNamespace(encodes_text=True, queries=lambda texts: np.stack([QUERY] * len(texts)))
    rows = search_captions(lookup, GALLERY, truth, ["a cat"], ["un chat"], None, (1,), penalty)
    assert [r["query"] for r in rows] == ["English caption", "French caption (direct, e5)", "English caption, cosine",
                                          "French caption (direct, e5), cosine"]
    assert [r["hit@1"] for r in rows] == [1.0, 1.0, 0.0, 0.0]
    assert len(search_captions(lookup, GALLERY, truth, ["a cat"], ["un chat"], None, (1,))) == 2  # no penalty


def test_searcher_reorders_text_hits_by_csls_and_keeps_cosine_scores(tmp_path, tiny_devise_model):
    from PIL import Image

    from wordbridge.devise.backbones.images import load_image
    from wordbridge.devise.index.gallery import Gallery, index_folder
    from wordbridge.devise.search import Searcher

    folder = tmp_path / "gallery"
    for name, rgb in (("red", (255, 0, 0)), ("green", (0, 255, 0)), ("blue", (0, 0, 255))):
        (folder / name).mkdir(parents=True)
        Image.new("RGB", (8, 8), rgb).save(folder / name / f"{name}.png")
    model = tiny_devise_model(tmp_path)
    index_folder(folder, tmp_path / "index", model.fingerprint, model.embed_images, load_image)
    gallery = Gallery.load(tmp_path / "index")
    query = unit([1, 0.5, 0.1])  # red, then green, then blue
    lookup = SimpleNamespace(encodes_text=True, query=lambda text: query)
    searcher = Searcher(model, gallery, lookup, SimpleNamespace(vectors=unit(np.eye(3)), imagenet_vectors=None))
    cosine = [h.path for h in (searcher.search_vector(query, 3))]
    assert searcher.hubness_k == hubness.HUBNESS_K  # a run without the key ranks by CSLS
    penalty = searcher.hub_penalty()
    np.testing.assert_allclose(penalty, hubness.neighbour_mean(gallery.embeddings, unit(np.eye(3)), 10), rtol=1e-5)
    searcher._penalty = np.zeros(3, np.float32)
    searcher._penalty[gallery.row_of(next(h.id for h in searcher.search_vector(query, 1)))] = 5.0  # a strong hub
    hits = searcher.search_text("anything", k=3)
    assert [h.path for h in hits] == cosine[1:] + cosine[:1]  # the hub drops to last, the others keep their order
    assert hits[-1].score == pytest.approx(float(gallery.embeddings[gallery.row_of(hits[-1].id)] @ query), abs=1e-5)
    searcher.hubness_k = 0
    assert [h.path for h in searcher.search_text("anything", k=3)] == cosine


def test_config_refuses_a_negative_k():
    with pytest.raises(ConfigError, match="hubness_k"):
        DeviseConfig(hubness_k=-1)
    assert DeviseConfig().hubness_k == 10
