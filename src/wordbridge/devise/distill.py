"""Keeping the backbone's ImageNet knowledge in the head: distillation targets and distillation-only images.

The teacher target of an image is ConSE's vector (the classifier's top-N softmax-weighted label vectors). Labelled
images may mix it into their label vector (`devise.distill`, 0 = off); unlabelled real photos
(`devise.data.distill_images`: the `photos` asset or any folder) are trained on the teacher target alone, each seen
as `distill_views` random crops + flips. Without them the head only ever sees grey clothing, clip art and emoji, and
maps every photo somewhere among those. scikit-image's and matplotlib's sample photos are never used here: they
are the photo test.

Files are screened before the backbone runs: non-image files, images over MAX_PIXELS and unreadable (e.g. truncated)
images are skipped and counted, one log line per kind.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
from PIL import Image

from wordbridge import asset_paths
from wordbridge.devise.backbones.features import cached_features
from wordbridge.devise.backbones.images import is_image_file, train_transform
from wordbridge.devise.methods import conse_vectors
from wordbridge.errors import DataError
from wordbridge.text.vectors import l2_normalize

log = logging.getLogger(__name__)

MAX_PIXELS = 50_000_000  # larger images are skipped (decompression bombs, poster scans)
SKIP_KINDS = ("not an image", "too large", "unreadable")


@dataclasses.dataclass
class DistillImages:
    """Backbone features of the views of unlabelled images, and their ImageNet logits (the teacher)."""

    pooled: np.ndarray  # (n_views, 2C)
    logits: np.ndarray  # (n_views, 1000)
    images: int  # distinct readable images
    skipped: dict[str, int]  # {kind: count}


def targets_for(prep, distill: float, distill_top: int) -> np.ndarray:
    """(n_rows, dim) training targets of Prepared rows: the class vector, mixed with the teacher's when distill > 0."""
    targets = prep.class_vectors[prep.item_class]
    if distill > 0 and prep.logits is not None:
        teacher = conse_vectors(prep.logits, prep.labels.imagenet_vectors, distill_top)
        targets = l2_normalize((1 - distill) * targets + distill * teacher)
    return targets.astype(np.float32)


def resolve_folder(name: str) -> Path:
    """A folder path, or the name of a fetched asset (e.g. `photos`)."""
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    if "/" in name or "\\" in name:
        raise DataError(f"devise.data.distill_images: folder {name} does not exist.")
    return asset_paths.path(name)


def screen(folder: Path) -> tuple[list[Path], dict[str, int]]:
    """(image files Pillow can open, at most MAX_PIXELS; counts of skipped files per kind). Headers only."""
    kept, skipped = [], dict.fromkeys(SKIP_KINDS, 0)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if not is_image_file(path):
            skipped["not an image"] += path.suffix.lower() not in (".json", ".txt")  # captions are expected
            continue
        try:
            with Image.open(path) as im:
                too_large = im.width * im.height > MAX_PIXELS
        except Image.DecompressionBombError:
            skipped["too large"] += 1
            continue
        except Image.UnidentifiedImageError:
            skipped["not an image"] += 1
            continue
        except (OSError, SyntaxError, ValueError):
            skipped["unreadable"] += 1
            continue
        if too_large:
            skipped["too large"] += 1
        else:
            kept.append(path)
    return kept, skipped


def log_skipped(where: str, skipped: dict[str, int]) -> None:
    for kind, count in skipped.items():
        if count:
            log.warning("%s: %d file%s skipped: %s", where, count, "s" * (count != 1), kind)


def distill_images(name: str | None, views: int, backbone, seed: int) -> DistillImages | None:
    """Features of `views` random crops + flips of each image of `name` (folder or asset); None when off or empty."""
    if not name or views < 1:
        return None
    folder = resolve_folder(name)
    files, skipped = screen(folder)
    feats = cached_features(backbone, [f for f in files for _ in range(views)],
                            transform=train_transform(backbone, seed=seed), desc="distillation views")
    bad = {int(i) // views for i, _ in feats.skipped}  # images whose decoding failed (truncated files)
    skipped["unreadable"] += len(bad)
    log_skipped(str(folder), skipped)
    if feats.logits is None or not len(feats.kept):
        log.warning("%s: no readable images (0 of %d); training without distillation images", folder, len(files))
        return None
    log.info("distillation images: %d from %s, %d views each", len(files) - len(bad), folder, views)
    return DistillImages(feats.pooled, feats.logits, len(files) - len(bad), skipped)
