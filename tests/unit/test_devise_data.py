"""DeViSE data: ImageNet-style folders, IDX/Fashion-MNIST with a zero-shot split, Tux Paint and emoji galleries."""

import gzip
import json
import struct

import numpy as np
import pytest
from PIL import Image

from wordbridge.devise import data
from wordbridge.errors import ConfigError, DataError


def _img(path, color=(0, 0, 0)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 4), color).save(path)
    return path


def test_read_image_folder(tmp_path):
    _img(tmp_path / "train/n01440764/a.JPEG")
    _img(tmp_path / "train/n01440764/b.jpg")
    _img(tmp_path / "train/n02102040/c.png")
    (tmp_path / "train/n02102040/notes.txt").write_text("x")
    _img(tmp_path / "valid/n02102040/d.JPEG")
    paths, wnids = data.read_image_folder(tmp_path, "train")
    assert [p.name for p in paths] == ["a.JPEG", "b.jpg", "c.png"]
    assert wnids == ["n01440764", "n01440764", "n02102040"]
    both = data.read_imagenet_style(tmp_path)
    assert set(both) == {"train", "valid"} and both["valid"][1] == ["n02102040"]
    with pytest.raises(DataError, match="found: train, valid"):
        data.read_image_folder(tmp_path, "test")
    (tmp_path / "empty/train/n0").mkdir(parents=True)
    with pytest.raises(DataError, match="No images"):
        data.read_image_folder(tmp_path / "empty", "train")


def _write_idx(path, arr: np.ndarray, gz=True):
    code = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}[arr.dtype]
    raw = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def test_read_idx(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(data.read_idx(_write_idx(tmp_path / "a.gz", arr)), arr)
    ints = np.array([1, -2, 70000], dtype=">i4")
    assert data.read_idx(_write_idx(tmp_path / "b", ints, gz=False)).tolist() == [1, -2, 70000]
    (tmp_path / "bad").write_bytes(b"\x08\x03\x00\x00")
    with pytest.raises(DataError, match="bad magic"):
        data.read_idx(tmp_path / "bad")
    short = bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\x00" * 5
    (tmp_path / "short").write_bytes(short)
    with pytest.raises(DataError, match="needs 10"):
        data.read_idx(tmp_path / "short")


@pytest.fixture
def tiny_fashion(tmp_path):
    rng = np.random.default_rng(0)
    labels = {"train": np.repeat(np.arange(10), 3).astype(np.uint8), "t10k": np.arange(10, dtype=np.uint8)}
    for split, lab in labels.items():
        _write_idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 255, (len(lab), 28, 28), np.uint8))
        _write_idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", lab)
    return tmp_path


def test_fashion_mnist_and_zero_shot_split(tiny_fashion):
    ds = data.load_fashion_mnist(tiny_fashion)
    assert ds.train_images.shape == (30, 28, 28) and ds.test_labels.tolist() == list(range(10))
    split = data.zero_shot_split(ds, held_out=("Sandal", "ankle boot"))
    assert split.unseen == (5, 9) and 5 not in split.seen and len(split.seen) == 8
    assert not np.isin(ds.train_labels[split.train_idx], [5, 9]).any() and len(split.train_idx) == 24
    assert ds.test_labels[split.test_unseen_idx].tolist() == [5, 9]
    assert len(split.test_seen_idx) == 8
    other = data.zero_shot_split(ds, held_out=("pullover", 8))
    assert other.unseen == (2, 8)
    with pytest.raises(ConfigError, match="Valid: .*sandal"):
        data.zero_shot_split(ds, held_out=("sandals",))


def test_fashion_mnist_mismatch(tiny_fashion):
    _write_idx(tiny_fashion / "t10k-labels-idx1-ubyte.gz", np.arange(9, dtype=np.uint8))
    with pytest.raises(DataError, match="differ"):
        data.load_fashion_mnist(tiny_fashion)
    with pytest.raises(DataError, match="fetch fashion-mnist"):
        data.load_fashion_mnist(tiny_fashion / "nowhere")


def test_tuxpaint_gallery(tmp_path):
    stamps = tmp_path / "stamps"
    _img(stamps / "animals/frog.png")
    (stamps / "animals/frog.txt").write_text("A frog.\nde.utf8=Ein Frosch.\nfr.utf8=Une grenouille.\n")
    _img(stamps / "animals/frog_mirror.png")  # mirrored variant: left out
    _img(stamps / "food/apple.png")  # no description: left out
    _img(stamps / "town/tower.png")
    (stamps / "town/tower.txt").write_text("The Eiffel Tower.\n")
    items = data.load_tuxpaint_stamps(tmp_path)
    assert [(i.label, i.label_fr, i.category) for i in items] == [
        ("frog", "grenouille", "animals"), ("eiffel tower", None, "town")]
    assert items[0].description == "A frog."
    assert data.parse_tuxpaint_txt("Un\nfr.utf8=x") == ("Un", "x")


def test_emoji_gallery(tmp_path):
    img = tmp_path / "img/google/64"
    _img(img / "1f600.png")
    entries = [{"name": "GRINNING FACE", "short_name": "grinning", "image": "1f600.png", "category": "Smileys"},
               {"name": "MISSING", "image": "ffff.png"}]
    (tmp_path / "emoji.json").write_text(json.dumps(entries))
    items = data.load_emoji_images(tmp_path)
    assert [(i.label, i.category, i.path.name) for i in items] == [("grinning face", "Smileys", "1f600.png")]
    with pytest.raises(DataError, match="fetch emoji"):
        data.load_emoji_images(tmp_path / "none")


def test_clean_description():
    assert data.clean_description("An apple!") == "apple"
    assert data.clean_description("L'arbre.") == "arbre" and data.clean_description("Une pomme.") == "pomme"
    assert data.clean_description("Letter A.") == "Letter A"
