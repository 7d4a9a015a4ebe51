"""Any-language text -> images in the e5 space: the real Searcher and the API's French search over a tiny hand-wired
DeViSE run whose label space is a 3-d colour "encoder" (French and English colour words on the same axes), and
French label names (`--lang fr`); a word-vector run refuses both in one line / HTTP 400."""

from types import SimpleNamespace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from wordbridge.devise.labels.e5 import E5Lookup
from wordbridge.devise.labels.french import FrenchNamer
from wordbridge.devise.backbones.images import load_image
from wordbridge.devise.index.gallery import Gallery, index_folder
from wordbridge.devise.labels.word_vectors import LabelSet, VectorLookup, build_labels
from wordbridge.devise.search import Searcher
from wordbridge.errors import DataError
from wordbridge.serve.app import create_app

COLORS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}
AXES = {"red": 0, "rouge": 0, "green": 1, "vert": 1, "blue": 2, "bleu": 2}


class ColourEncoder:
    """Stub encoder: each colour word (English or French) adds its axis; other words are ignored."""

    name, dim = "colour-stub", 3

    def __init__(self):
        self.calls = 0

    def embed(self, texts, kind="passage"):
        out = np.full((len(texts), 3), 1e-3, np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                if word in AXES:
                    out[row, AXES[word]] += 1.0
        self.calls += len(texts)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class CountingTranslator:
    def __init__(self, fakes):
        self.inner, self.calls = fakes.FakeTranslator(), 0

    def translate(self, texts, beam=1, attention=False):
        self.calls += 1
        return self.inner.translate(texts, beam, attention)


def _searcher(tmp_path, tiny_devise_model, e5: bool) -> Searcher:
    gallery = tmp_path / "gallery"
    for name, colour in COLORS.items():
        (gallery / name).mkdir(parents=True)
        Image.new("RGB", (10, 10), colour).save(gallery / name / f"{name}.png")
    model = tiny_devise_model(tmp_path)
    index_folder(gallery, tmp_path / "index", model.fingerprint, model.embed_images, load_image)
    eye = np.eye(3, dtype=np.float32)
    if e5:
        model.extra["vectors"] = "e5"
        lookup = E5Lookup(ColourEncoder(), np.zeros(3, np.float32), cache=SimpleNamespace())
        lookup.cache.embed = lookup.encoder.embed  # no disk cache in this test
        labels = LabelSet(wnids=["n1", "n2", "n3"], names=list(COLORS), vectors=eye, imagenet_wnids=["n1", "n2", "n3"],
                          imagenet_names=list(COLORS), imagenet_vectors=eye, coverage={}, fingerprint="e5-test")
    else:
        wv = SimpleNamespace(words=["red", "green", "blue", "void"], vectors=np.vstack([eye, -eye.sum(0)]))
        lookup = VectorLookup(wv)
        labels = build_labels([(f"n{i}", [w]) for i, w in enumerate(COLORS, 1)], [("n1", "red")], wv)
    return Searcher(model, Gallery.load(tmp_path / "index", "tiny"), lookup, labels)


def test_french_text_searches_the_e5_gallery_directly_and_labels_get_french_names(tmp_path, tiny_devise_model):
    searcher = _searcher(tmp_path, tiny_devise_model, e5=True)
    assert searcher.multilingual
    assert searcher.search_text("du bleu", k=1)[0].label == "blue"
    assert searcher.search_text("a red one", k=1)[0].label == "red"
    with pytest.raises(DataError):
        searcher.search_text("   ")
    searcher._french = FrenchNamer(searcher.lookup, searcher.labels,
                                   pairs=[("rouge", "red"), ("vert", "green"), ("bleu", "blue"), ("Rouge", "red")])
    assert searcher._french.names == ["bleu", "rouge", "vert"]  # capitalised names left out
    result = searcher.search_image(Image.new("RGB", (10, 10), (0, 250, 0)), k=2, method="devise")
    assert result.labels[0].name == "green"
    assert searcher.in_french(result.labels) == ["vert", searcher.in_french(result.labels[1:])[0]]


def test_word_vector_run_refuses_french_labels_in_one_line(tmp_path, tiny_devise_model):
    searcher = _searcher(tmp_path, tiny_devise_model, e5=False)
    assert not searcher.multilingual
    with pytest.raises(DataError) as err:
        searcher.in_french([])
    assert "devise.vectors=e5" in str(err.value) and "\n" not in str(err.value)


def test_api_french_search_takes_the_direct_route_on_an_e5_run(tmp_path, tiny_devise_model, fakes):
    translator = CountingTranslator(fakes)
    searcher = _searcher(tmp_path, tiny_devise_model, e5=True)
    with TestClient(create_app(translator, searcher)) as c:
        assert c.get("/health").json()["multilingual"] is True
        r = c.post("/api/search/french", json={"text": "bleu", "k": 1})
        assert r.status_code == 200
        body = r.json()
        assert body["route"] == "direct" and body["english"] is None and body["results"][0]["label"] == "blue"
        assert translator.calls == 0  # no translator on the direct route
        r = c.post("/api/search/french", json={"text": "rouge", "k": 1, "route": "translator"})
        assert r.json()["route"] == "translator" and r.json()["english"] == "red" and translator.calls == 1
        assert r.json()["results"][0]["label"] == "red"
        assert c.post("/api/search/french", json={"text": "x" * 5000}).status_code == 422
        assert c.post("/api/search/french", json={"text": "   "}).status_code == 422


def test_api_direct_route_on_a_word_vector_run_is_400(tmp_path, tiny_devise_model, fakes):
    searcher = _searcher(tmp_path, tiny_devise_model, e5=False)
    with TestClient(create_app(fakes.FakeTranslator(), searcher)) as c:
        assert c.get("/health").json()["multilingual"] is False
        r = c.post("/api/search/french", json={"text": "bleu", "route": "direct"})
        assert r.status_code == 400 and "translator" in r.json()["detail"]
        r = c.post("/api/search/french", json={"text": "rouge", "k": 1})
        assert r.status_code == 200 and r.json()["route"] == "translator"
