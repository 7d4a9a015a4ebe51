"""The `photos` asset: real photos (and photographic wallpapers) for the DeViSE gallery and for distillation-only
training images, gathered from the Debian wallpaper packages (nothing else on the registries ships photos).

Each distinct wallpaper is kept once (the largest landscape size of a Plasma theme; no `_WxH` copies or dark
variants), downscaled to LONG_SIDE px on its long side and saved as JPEG: photos/<group>/<name>.jpg, with
captions.json ({relative path: caption}) giving each its title (the Plasma theme name, else the file name in words).
Files that are not images, images over MAX_PIXELS, and truncated or unreadable files are skipped and counted, one
log line per kind. scikit-image's and matplotlib's sample photos are NOT included: they are the photo test set.
"""

import json
import logging
import re
import shutil
from pathlib import Path

from PIL import Image

from wordbridge.assets.registry import Asset, register
from wordbridge.assets.sources import apt_download_extract
from wordbridge.errors import AssetError

log = logging.getLogger(__name__)

PHOTO_DEBS = {"mate-backgrounds": "mate", "gnome-backgrounds": "gnome", "plasma-workspace-wallpapers": "plasma",
              "ukui-wallpapers": "ukui"}  # Debian package -> its folder in the gallery
MAX_PIXELS = 50_000_000  # larger files are skipped (a decompression bomb or a poster scan, not a gallery photo)
LONG_SIDE = 1600  # kept images are downscaled to this: 4x the backbone's crop, a small asset, quick to decode
CAPTIONS = "captions.json"
SKIP_KINDS = ("not an image", "too large", "truncated or unreadable")
_SIZE_NAME = re.compile(r"^(\d+)x(\d+)$")
_SIZE_SUFFIX = re.compile(r"_\d+x\d+$")


def caption_from_name(name: str) -> str:
    """'GreenMeadow' -> 'green meadow', 'Infinite-Sea_by_Aury88' -> 'infinite sea', 'adwaita-l' -> 'adwaita'."""
    name = re.sub(r"_by_.*$", "", name)
    name = re.sub(r"-[ld]$", "", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return re.sub(r"[_\-\s]+", " ", name).strip().lower()


def _plasma_title(theme: Path) -> str:
    try:
        return str(json.loads((theme / "metadata.json").read_text(encoding="utf-8"))["KPlugin"]["Name"])
    except (OSError, ValueError, KeyError, TypeError):
        return theme.name


def _plasma_candidates(wallpapers: Path, group: str) -> list[tuple[Path, str, str]]:
    out = []
    for theme in sorted(p for p in wallpapers.iterdir() if p.is_dir()):
        sizes = [f for f in (theme / "contents" / "images").glob("*") if _SIZE_NAME.match(f.stem)]
        if sizes:
            def key(f: Path) -> tuple[bool, int]:
                w, h = map(int, _SIZE_NAME.match(f.stem).groups())
                return w >= h, w * h  # landscape first, then the largest

            out.append((max(sizes, key=key), caption_from_name(_plasma_title(theme)), f"{group}/{theme.name}"))
    return out


def candidates(root: Path, group: str) -> list[tuple[Path, str, str]]:
    """(file, caption, target stem `group/name`) for each distinct wallpaper of one unpacked package (usr/share/...)."""
    out = []
    if (root / "usr/share/wallpapers").is_dir():
        out += _plasma_candidates(root / "usr/share/wallpapers", group)
    backgrounds = root / "usr/share/backgrounds"
    files = sorted(f for f in backgrounds.rglob("*") if f.is_file()) if backgrounds.is_dir() else []
    stems = {(f.parent, f.stem) for f in files}
    for f in files:
        if _SIZE_SUFFIX.search(f.stem) and (f.parent, _SIZE_SUFFIX.sub("", f.stem)) in stems:
            continue  # another resolution of a wallpaper kept under its plain name
        if f.stem.endswith("-d") and (f.parent, f.stem[:-2] + "-l") in stems:
            continue  # the dark variant of a light wallpaper
        out.append((f, caption_from_name(f.stem), f"{group}/{f.stem}"))
    return out


def _read_photo(path: Path) -> Image.Image:
    """The RGB image, downscaled to LONG_SIDE; raises ValueError(kind) with kind in SKIP_KINDS."""
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                raise ValueError("too large")
            im.draft("RGB", (LONG_SIDE, LONG_SIDE))  # JPEGs decode at a reduced scale; others ignore it
            im.load()
            rgb = im.convert("RGB")
    except Image.DecompressionBombError:
        raise ValueError("too large") from None
    except Image.UnidentifiedImageError:
        raise ValueError("not an image") from None
    except (OSError, SyntaxError, EOFError) as exc:
        raise ValueError("truncated or unreadable") from exc
    rgb.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
    return rgb


def gather_photos(trees: dict[str, Path], dest: Path) -> dict[str, int]:
    """Write the distinct wallpapers of unpacked packages ({group: tree}) into dest/<group>/<name>.jpg and
    dest/captions.json; returns counts {kept, not an image, too large, truncated or unreadable}."""
    counts = dict.fromkeys(("kept", *SKIP_KINDS), 0)
    captions: dict[str, str] = {}
    found = [c for group, tree in trees.items() for c in candidates(tree, group)]
    for source, caption, stem in found:
        if f"{stem}.jpg" in captions:  # two files with one name in a package: number the second
            stem = f"{stem}-{sum(k.startswith(stem) for k in captions) + 1}"
        try:
            image = _read_photo(source)
        except ValueError as exc:
            counts[str(exc)] += 1
            log.debug("  skipped %s: %s", source.name, exc)
            continue
        target = dest / f"{stem}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(target, quality=90)
        captions[target.relative_to(dest).as_posix()] = caption
        counts["kept"] += 1
    (dest / CAPTIONS).write_text(json.dumps(captions, indent=1, ensure_ascii=False), encoding="utf-8")
    return counts


def build_photos(dest: Path) -> None:
    trees = {group: apt_download_extract([package], dest / "deb" / group) for package, group in PHOTO_DEBS.items()}
    try:
        counts = gather_photos(trees, dest)
    finally:
        shutil.rmtree(dest / "deb", ignore_errors=True)
    for kind in SKIP_KINDS:
        if counts[kind]:
            log.info("  skipped %d files: %s", counts[kind], kind)
    if not counts["kept"]:
        raise AssetError(f"{', '.join(PHOTO_DEBS)}: no readable wallpaper images")
    log.info("  kept %d photos", counts["kept"])


register(Asset("photos", f"Photo gallery: wallpapers from Debian {', '.join(PHOTO_DEBS)} (~200 MB download)",
               build_photos))
