"""Gallery index: incremental embedding, unreadable files skipped and counted, foreign indexes refused."""

import numpy as np
import pytest
from PIL import Image

from wordbridge.devise.backbones.images import load_image
from wordbridge.devise.index.gallery import Gallery, index_folder, top_k
from wordbridge.errors import CheckpointError, DataError

COLORS = {"red": (255, 0, 0), "green": (0, 255, 0), "blue": (0, 0, 255)}


def mean_color(images):
    """A stand-in embedder: each image's mean RGB, L2-normalised -> (n, 3)."""
    vecs = np.stack([np.asarray(im, dtype=np.float32).reshape(-1, 3).mean(0) + 1e-3 for im in images])
    return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)


def write_gallery(folder, names=("red", "green", "blue")):
    for name in names:
        (folder / name).mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (12, 10), COLORS[name]).save(folder / name / f"{name}.png")


class Counting:
    def __init__(self):
        self.calls = 0

    def __call__(self, images):
        self.calls += len(images)
        return mean_color(images)


def test_incremental_indexing(tmp_path):
    gallery, out = tmp_path / "gallery", tmp_path / "index"
    write_gallery(gallery, ["red", "green"])
    (gallery / "notes.txt").write_text("not an image")
    (gallery / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    embed = Counting()
    counts = index_folder(gallery, out, "model-a", embed, load_image, batch_size=2)
    assert counts["new"] == 2 and counts["skipped"] == 1 and counts["ignored"] == 1 and embed.calls == 2

    write_gallery(gallery, ["blue"])
    counts = index_folder(gallery, out, "model-a", embed, load_image)
    assert (counts["new"], counts["kept"], counts["skipped"], counts["newly_skipped"]) == (1, 2, 1, 0)
    assert embed.calls == 3  # only the new file was embedded

    (gallery / "red" / "red.png").unlink()
    counts = index_folder(gallery, out, "model-a", embed, load_image)
    assert (counts["new"], counts["kept"], counts["removed"]) == (0, 2, 1)

    g = Gallery.load(out, "model-a")
    # ids are stable across updates: green was 0 (red 1), blue came later as 2
    assert {im["path"]: im["id"] for im in g.images} == {"blue/blue.png": 2, "green/green.png": 0}
    scores, ids = g.search(mean_color([Image.new("RGB", (4, 4), COLORS["blue"])]), k=5)
    assert ids[0][0] == 2 and scores[0][0] == pytest.approx(1.0, abs=1e-3) and len(ids[0]) == 2
    assert g.images[g.row_of(2)]["label"] == "blue"


def test_foreign_index_refused(tmp_path):
    gallery, out = tmp_path / "gallery", tmp_path / "index"
    write_gallery(gallery)
    index_folder(gallery, out, "model-a", mean_color, load_image)
    with pytest.raises(CheckpointError, match="another model"):
        Gallery.load(out, "model-b")
    with pytest.raises(CheckpointError, match="--overwrite"):
        index_folder(gallery, out, "model-b", mean_color, load_image)
    counts = index_folder(gallery, out, "model-b", mean_color, load_image, overwrite=True)
    assert counts["new"] == 3 and Gallery.load(out, "model-b").model_fingerprint == "model-b"


def test_bad_folders(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        index_folder(tmp_path / "nope", tmp_path / "out", "m", mean_color, load_image)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("keep me")
    (tmp_path / "g").mkdir()
    with pytest.raises(DataError, match="not an index"):
        index_folder(tmp_path / "g", tmp_path / "out", "m", mean_color, load_image)
    with pytest.raises(DataError, match="not a DeViSE index"):
        Gallery.load(tmp_path / "g")


def test_top_k_exact():
    matrix = np.eye(4, dtype=np.float32)
    scores, rows = top_k(matrix, np.array([[0.1, 0.9, 0.3, 0.0]], np.float32), 2)
    assert rows[0].tolist() == [1, 2]
