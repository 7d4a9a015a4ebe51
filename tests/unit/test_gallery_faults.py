"""A gallery that is empty or unreadable is refused (nothing written); the web app serves only files inside the
gallery folder (edited meta.json paths and symlinks leaving it are refused); a 0-byte image is an empty file."""

import json
import os
from types import SimpleNamespace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from wordbridge.devise.index import sharding
from wordbridge.devise.backbones.images import load_image
from wordbridge.devise.index.gallery import Gallery, index_folder
from wordbridge.devise.labels.word_vectors import VectorLookup
from wordbridge.devise.search import Searcher
from wordbridge.errors import DataError
from wordbridge.serve.app import create_app


def mean_color(images):
    vecs = np.stack([np.asarray(im, dtype=np.float32).reshape(-1, 3).mean(0) + 1e-3 for im in images])
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def test_an_empty_folder_is_refused_and_nothing_written(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "notes.txt").write_text("not an image")
    with pytest.raises(DataError, match=r"No image files in .*1 other file.*--allow-empty"):
        index_folder(tmp_path / "g", tmp_path / "out", "m", mean_color, load_image)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]
    counts = index_folder(tmp_path / "g", tmp_path / "out", "m", mean_color, load_image, allow_empty=True)
    assert counts["images"] == 0 and len(Gallery.load(tmp_path / "out", "m")) == 0


def test_a_fully_unreadable_folder_is_refused_and_nothing_written(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    (tmp_path / "g" / "zero.png").write_bytes(b"")
    with pytest.raises(DataError, match=r"None of the 2 image file\(s\) .*nothing written.*--allow-empty"):
        index_folder(tmp_path / "g", tmp_path / "out", "m", mean_color, load_image)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]  # no index, no .parts folder


def test_zero_byte_image_is_an_empty_file(tmp_path):
    (tmp_path / "zero.png").write_bytes(b"")
    with pytest.raises(DataError, match="empty file"):
        load_image(tmp_path / "zero.png")
    with pytest.raises(DataError, match="empty file"):
        load_image(b"")


def test_default_chunk_is_small_enough_to_resume_within_a_minute():
    assert 64 <= sharding.CHUNK_SIZE <= 256


@pytest.fixture
def gallery_app(tmp_path, tiny_devise_model, fakes):
    """(client, index meta path, gallery folder): a real Searcher over two images, a symlink leaving the gallery,
    and a secret image beside the gallery."""
    gallery = tmp_path / "gallery"
    gallery.mkdir()
    for name, colour in (("red", (255, 0, 0)), ("blue", (0, 0, 255))):
        Image.new("RGB", (10, 10), colour).save(gallery / f"{name}.png")
    Image.new("RGB", (10, 10), (1, 2, 3)).save(tmp_path / "secret.png")
    os.symlink(tmp_path / "secret.png", gallery / "leak.png")
    model = tiny_devise_model(tmp_path)
    index_folder(gallery, tmp_path / "index", model.fingerprint, model.embed_images, load_image)
    meta_path = tmp_path / "index" / "meta.json"

    def client():
        wv = SimpleNamespace(words=["red", "blue"], vectors=np.eye(3, dtype=np.float32)[:2])
        searcher = Searcher(model, Gallery.load(tmp_path / "index", "tiny"), VectorLookup(wv), None)
        return searcher, TestClient(create_app(fakes.FakeTranslator(), searcher))

    return client, meta_path


def test_served_paths_outside_the_gallery_are_refused(gallery_app):
    client, meta_path = gallery_app
    meta = json.loads(meta_path.read_text())
    ids = {im["path"]: im["id"] for im in meta["images"]}
    searcher, c = client()
    with c:
        assert c.get(f"/api/images/{ids['red.png']}").status_code == 200
        assert c.get(f"/api/images/{ids['leak.png']}").status_code == 404  # a symlink out of the gallery
    with pytest.raises(DataError, match="outside the gallery"):
        searcher.image_path(ids["leak.png"])
    for im in meta["images"]:  # an edited index: paths climbing out, or absolute
        im["path"] = {"red.png": "../secret.png", "blue.png": str(meta_path.parent.parent / "secret.png")}.get(
            im["path"], im["path"])
    meta_path.write_text(json.dumps(meta))
    _, c = client()
    with c:
        for image_id in ids.values():
            r = c.get(f"/api/images/{image_id}")
            assert r.status_code == 404 and r.content[:8] != b"\x89PNG\r\n\x1a\n"
