"""Image data sets for DeViSE: ImageNet-style folders (the lesson's format), Fashion-MNIST IDX files with a zero-shot
split, and two captioned image sets (Tux Paint stamps with English + French descriptions, emoji with their names)."""

import dataclasses
import gzip
import json
import logging
import re
from pathlib import Path

import numpy as np

from wordbridge import asset_paths
from wordbridge.devise.backbones.images import is_image_file
from wordbridge.errors import ConfigError, DataError, choices_hint
from wordbridge.text.tuxpaint import parse_stamp_text as parse_tuxpaint_txt  # one parser of the stamp .txt files

log = logging.getLogger(__name__)

WNID_RE = re.compile(r"^n\d{8}$")


# ----------------------------------------------------------------------------------------------- ImageNet folders
def read_image_folder(root: str | Path, split: str = "train") -> tuple[list[Path], list[str]]:
    """`ROOT/<split>/<wnid>/*.JPEG` -> (image paths, their wnids), sorted; non-image files are ignored.

    Class folders not named like a wnid (n + 8 digits) are still read (their folder name is the label) with one
    warning, so any `class/image` folder works."""
    root = Path(root)
    base = root / split
    if not base.is_dir():
        found = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        raise DataError(f"No folder {base}; expected ROOT/{split}/<wnid>/*.JPEG"
                        + (f" (found: {', '.join(found[:8])})." if found else "."))
    paths, labels, odd = [], [], []
    for class_dir in sorted(p for p in base.iterdir() if p.is_dir()):
        if not WNID_RE.match(class_dir.name):
            odd.append(class_dir.name)
        for f in sorted(class_dir.iterdir()):
            if f.is_file() and is_image_file(f):
                paths.append(f)
                labels.append(class_dir.name)
    if not paths:
        raise DataError(f"No images under {base}/<class>/ (extensions: .jpg .jpeg .png ...).")
    if odd:
        log.warning("%s: %d class folders are not wnids (e.g. %s); using folder names as labels", base, len(odd),
                    odd[0])
    return paths, labels


def read_imagenet_style(root: str | Path, splits=("train", "valid")) -> dict[str, tuple[list[Path], list[str]]]:
    """Every split of an ImageNet-style folder that exists (at least one must)."""
    root = Path(root)
    present = [s for s in splits if (root / s).is_dir()]
    if not present:
        raise DataError(f"{root} has none of the folders {', '.join(splits)}; expected ROOT/train/<wnid>/*.JPEG.")
    return {s: read_image_folder(root, s) for s in present}


# ----------------------------------------------------------------------------------------------- Fashion-MNIST
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")
# words to look up in the English vectors (one concept per class; what a user would type)
FASHION_WORDS = ("t-shirt", "trousers", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
                 "ankle boot")
FASHION_FILES = {
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (MNIST format), gzipped or not -> numpy array of its shape; DataError when malformed."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read IDX file ({exc}).") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number).")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header.")
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path}: IDX data has {len(raw) - header} bytes, shape {shape} needs {expected}.")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


@dataclasses.dataclass
class FashionMNIST:
    train_images: np.ndarray  # (60000, 28, 28) uint8
    train_labels: np.ndarray  # (60000,) int64 in 0..9
    test_images: np.ndarray  # (10000, 28, 28) uint8
    test_labels: np.ndarray  # (10000,) int64
    classes: tuple[str, ...] = FASHION_CLASSES
    words: tuple[str, ...] = FASHION_WORDS


def _find_idx(root: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        hits = sorted(root.rglob(name))
        if hits:
            return hits[0]
    raise DataError(f"{root}: missing Fashion-MNIST file {stem}.gz; run `wordbridge fetch fashion-mnist`.")


def load_fashion_mnist(root: str | Path | None = None) -> FashionMNIST:
    """Read the four IDX files from `root` (default: the fetched fashion-mnist asset)."""
    if root is None:
        root = asset_paths.path("fashion-mnist")
    root = Path(root)
    arrays = {key: read_idx(_find_idx(root, stem)) for key, stem in FASHION_FILES.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataError(f"{root}: Fashion-MNIST {split} images {images.shape} and labels {labels.shape} differ.")
        if labels.size and (labels.min() < 0 or labels.max() >= len(FASHION_CLASSES)):
            raise DataError(f"{root}: Fashion-MNIST {split} labels outside 0..{len(FASHION_CLASSES) - 1}.")
    return FashionMNIST(
        train_images=arrays["train_images"].astype(np.uint8), train_labels=arrays["train_labels"].astype(np.int64),
        test_images=arrays["test_images"].astype(np.uint8), test_labels=arrays["test_labels"].astype(np.int64),
    )


@dataclasses.dataclass(frozen=True)
class ZeroShotSplit:
    """Seen classes train; held-out (unseen) classes appear only at test time."""

    seen: tuple[int, ...]  # class ids
    unseen: tuple[int, ...]
    train_idx: np.ndarray  # indices into train_images, seen classes only
    test_seen_idx: np.ndarray  # indices into test_images
    test_unseen_idx: np.ndarray


def class_id(name: str | int, classes=FASHION_CLASSES, words=FASHION_WORDS) -> int:
    """A class given by id, display name or word (case-insensitive); ConfigError listing valid names."""
    if isinstance(name, int) and 0 <= name < len(classes):
        return name
    key = str(name).strip().lower()
    for i, (c, w) in enumerate(zip(classes, words)):
        if key in (c.lower(), w.lower(), str(i)):
            return i
    raise ConfigError(f"Unknown Fashion-MNIST class {choices_hint(name, words)}")


def zero_shot_split(data: FashionMNIST, held_out=("sandal", "ankle boot")) -> ZeroShotSplit:
    """Hold out `held_out` classes from training (ids, names or words)."""
    unseen = tuple(sorted({class_id(h, data.classes, data.words) for h in held_out}))
    if not unseen or len(unseen) >= len(data.classes):
        raise ConfigError(f"held_out must name between 1 and {len(data.classes) - 1} classes, got {list(held_out)}.")
    seen = tuple(i for i in range(len(data.classes)) if i not in unseen)
    is_unseen_test = np.isin(data.test_labels, unseen)
    return ZeroShotSplit(
        seen=seen, unseen=unseen,
        train_idx=np.flatnonzero(~np.isin(data.train_labels, unseen)),
        test_seen_idx=np.flatnonzero(~is_unseen_test),
        test_unseen_idx=np.flatnonzero(is_unseen_test),
    )


# ------------------------------------------------------------------------------------- captioned image sets
@dataclasses.dataclass(frozen=True)
class LabelledImage:
    path: Path
    label: str  # English text to embed: "frog", "grinning face"
    label_fr: str | None = None  # French description when known (Tux Paint)
    category: str = ""  # "animals/amphibians", "Smileys & Emotion"
    description: str = ""  # original English description ("A frog.")


def clean_description(text: str) -> str:
    """'A frog.' -> 'frog'; 'Une grenouille.' -> 'grenouille': drop one leading article and trailing punctuation."""
    text = text.strip().rstrip(".!|。 ").strip()
    return re.sub(r"^(?:(?:a|an|the|un|une|le|la|les|des|du)\s+|l['’]\s*)", "", text, flags=re.IGNORECASE).strip()


def load_tuxpaint_stamps(root: str | Path | None = None) -> list[LabelledImage]:
    """Tux Paint stamps (PNG) that have a description; `_mirror` variants and SVG-only stamps are left out."""
    if root is None:
        root = asset_paths.path("tuxpaint-stamps")
    root = Path(root)
    if (root / "stamps").is_dir():
        root = root / "stamps"
    items, no_text = [], 0
    for png in sorted(root.rglob("*.png")):
        if png.stem.endswith("_mirror"):
            continue
        txt = png.with_suffix(".txt")
        if not txt.is_file():
            no_text += 1
            continue
        english, french = parse_tuxpaint_txt(txt.read_text(encoding="utf-8", errors="replace"))
        if not english:
            no_text += 1
            continue
        items.append(LabelledImage(path=png, label=clean_description(english).lower(),
                                 label_fr=clean_description(french).lower() if french else None,
                                 category=str(png.parent.relative_to(root)), description=english))
    if not items:
        raise DataError(f"No Tux Paint stamps (*.png with a .txt) under {root}.")
    log.debug("tux paint: %d stamps (%d without description)", len(items), no_text)
    return items


def load_emoji_images(root: str | Path | None = None, size: int = 64) -> list[LabelledImage]:
    """Emoji from emoji-datasource-google: emoji.json names + img/google/<size>/<image> PNGs that exist."""
    if root is None:
        root = asset_paths.path("emoji")
    root = Path(root)
    meta = root / "emoji.json"
    try:
        entries = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{meta}: cannot read emoji list ({exc}); run `wordbridge fetch emoji`.") from None
    img_dir = root / "img" / "google" / str(size)
    items = []
    for e in entries:
        name = (e.get("name") or e.get("short_name") or "").strip()
        path = img_dir / str(e.get("image", ""))
        if not name or not e.get("image") or not path.is_file():
            continue
        items.append(LabelledImage(path=path, label=name.lower(), category=e.get("category", ""),
                                 description=e.get("short_name", "")))
    if not items:
        raise DataError(f"No emoji images found in {img_dir}.")
    return items
