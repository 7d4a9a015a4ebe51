"""The app over the project's real Searcher (devise/search.py: faiss index, gallery, labels) on a tiny hand-built
DeViSE model, as the unit tests of search.py build it: what the API returns for real ImageHit/ImageResult objects."""

import io
from types import SimpleNamespace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from wordbridge.devise.backbones.images import load_image
from wordbridge.devise.index.gallery import Gallery, index_folder
from wordbridge.devise.labels.word_vectors import VectorLookup, build_labels
from wordbridge.devise.search import Searcher
from wordbridge.serve.app import create_app

COLORS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255), "purple": (255, 0, 255)}
WORDS = ["red", "green", "blue", "purple", "colour", "void"]
# "void" makes the mean vector zero, so the lookup's centring of word vectors leaves the others as they are
VECS = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [-3, -2, -3]], np.float32)


@pytest.fixture(scope="module")
def client(tmp_path_factory, tiny_devise_model, fakes):
    tmp = tmp_path_factory.mktemp("devise")
    gallery = tmp / "gallery"
    for name, colour in COLORS.items():
        (gallery / name).mkdir(parents=True)
        Image.new("RGB", (10, 10), colour).save(gallery / name / f"{name}.png")
    Image.new("RGB", (10, 10), (250, 5, 5)).save(gallery / "red" / "dark.tif")  # a format browsers do not show
    model = tiny_devise_model(tmp)
    index_folder(gallery, tmp / "index", model.fingerprint, model.embed_images, load_image)
    wv = SimpleNamespace(words=WORDS, vectors=VECS)
    synsets = [(f"n0000000{i}", [w]) for i, w in enumerate(WORDS[:5])]
    labels = build_labels(synsets, [(wnid, names[0]) for wnid, names in synsets[:3]], wv)
    searcher = Searcher(model, Gallery.load(tmp / "index", "tiny"), VectorLookup(wv), labels)
    with TestClient(create_app(fakes.FakeTranslator(), searcher)) as c:
        yield c


def test_text_search_and_gallery_files(client):
    r = client.post("/api/search/text", json={"query": "blue", "k": 2})
    assert r.status_code == 200
    top = r.json()["results"][0]
    assert top["label"] == "blue" and top["name"] == "blue.png" and top["score"] == pytest.approx(1, abs=1e-3)
    image = client.get(top["url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).getpixel((0, 0)) == (0, 0, 255)


def test_tiff_gallery_file_is_sent_as_png(client):
    r = client.post("/api/search/text", json={"query": "red", "k": 5})
    tif = next(h for h in r.json()["results"] if h["name"] == "dark.tif")
    image = client.get(tif["url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(image.content)).format == "PNG"


def test_upload_gives_labels_zero_shot_and_similar(client):
    buf = io.BytesIO()
    Image.new("RGB", (20, 16), COLORS["purple"]).save(buf, format="JPEG")
    r = client.post("/api/search/image", files={"file": ("p.jpg", buf.getvalue(), "image/jpeg")}, data={"k": "2"})
    assert r.status_code == 200
    body = r.json()
    assert body["labels"][0]["name"] in ("red", "blue")  # purple is not an 'ImageNet' class ...
    assert body["zero_shot"][0]["name"] == "purple"  # ... but it is a label word: zero-shot
    assert body["similar"][0]["label"] == "purple"


def test_similar_and_unknown_ids(client):
    first = client.post("/api/search/text", json={"query": "red", "k": 1}).json()["results"][0]
    r = client.post("/api/search/similar", json={"id": first["id"], "k": 3})
    assert r.status_code == 200
    assert first["id"] not in [h["id"] for h in r.json()["results"]]
    assert client.post("/api/search/similar", json={"id": 999}).status_code == 404
    assert client.get("/api/images/999").status_code == 404


def test_unknown_word_is_a_one_line_400(client):
    r = client.post("/api/search/text", json={"query": "bleu"})
    assert r.status_code == 400
    assert "blue" in r.json()["detail"] and "\n" not in r.json()["detail"]
