"""The photo test: scikit-image's bundled photos (the cat "chelsea", "coffee", "rocket") labelled among the 1,000
ImageNet classes by each method; a photo is right when one of its acceptable classes is in the top 5. These photos
(and matplotlib's) are never used in training.
"""

from __future__ import annotations

import importlib.util
import logging

import numpy as np
from PIL import Image

from wordbridge.devise.labels.word_vectors import LabelSet
from wordbridge.devise.methods import METHODS, calibrate, method_vectors, seen_labels
from wordbridge.errors import DataError

# acceptable ImageNet-1k classes (wnids) per photo
PHOTO_TRUTH = {
    "chelsea": ("n02123045", "n02123159", "n02123394", "n02123597", "n02124075", "n02125311", "n02127052"),  # cats
    "coffee": ("n07920052", "n03063599", "n07930864"),  # espresso, coffee mug, cup
    "rocket": ("n03773504", "n04008634", "n04266014"),  # missile, projectile, space shuttle
}
TOP = 5

log = logging.getLogger(__name__)


def skimage_photo(name: str) -> Image.Image:
    """One of scikit-image's bundled photos ("chelsea" the cat, "coffee", "rocket", "astronaut", ...) as RGB."""
    from skimage import data as skdata  # deferred: scikit-image is an optional (assets/dev) dependency

    loader = getattr(skdata, name, None)
    if loader is None:
        raise DataError(f"scikit-image has no photo '{name}' (try chelsea, coffee, rocket, astronaut).")
    return Image.fromarray(loader()).convert("RGB")


def rank_imagenet(vectors: np.ndarray, labels: LabelSet, classes, gamma: float, k: int) -> list[list[int]]:
    """Top-k ImageNet class indices per image vector (n, dim), seen classes' scores lowered by gamma."""
    found = np.flatnonzero(labels.imagenet_found)
    scores = vectors @ labels.imagenet_vectors[found].T  # (n, C_found)
    if gamma:
        scores = calibrate(scores, seen_labels([labels.imagenet_names[i] for i in found], classes), gamma)
    return [[int(found[j]) for j in np.argsort(-row, kind="stable")[:k]] for row in scores]


def photo_check(model, labels: LabelSet, conse_top: int, margins: dict[str, float]) -> list[dict]:
    """Rows {method, photos_right, photos: {name: {right, top: [names]}}} for each method (calibrated as the run is);
    [] when scikit-image (the `assets` extra) is not installed."""
    if importlib.util.find_spec("skimage") is None:
        log.warning("scikit-image is not installed: photo check skipped (pip install scikit-image)")
        return []
    images = [skimage_photo(name) for name in PHOTO_TRUTH]
    pooled, logits = model.features(images)
    devise = model.embed_features(pooled)
    rows = []
    for method in METHODS if logits is not None else ("devise",):
        vecs = method_vectors(method, devise, logits, labels.imagenet_vectors, conse_top)
        tops = rank_imagenet(vecs, labels, model.extra.get("classes", []), margins.get(method, 0.0), TOP)
        photos = {}
        for (name, truth), top in zip(PHOTO_TRUTH.items(), tops):
            photos[name] = {"right": any(labels.imagenet_wnids[i] in truth for i in top),
                            "top": [labels.imagenet_names[i] for i in top]}
        rows.append({"method": method, "photos_right": sum(p["right"] for p in photos.values()), "photos": photos})
    return rows


def photo_markdown(rows: list[dict]) -> str:
    if not rows:
        return "Photo check: skipped (scikit-image is not installed)."
    lines = [f"Photo check (scikit-image photos, top {TOP} ImageNet classes; right = an acceptable class among them):",
             "", "| method | right | " + " | ".join(PHOTO_TRUTH) + " |", "|:--|--:|" + ":--|" * len(PHOTO_TRUTH)]
    for r in rows:
        cells = [("**ok** " if p["right"] else "miss ") + ", ".join(p["top"]) for p in r["photos"].values()]
        lines.append(f"| {r['method']} | {r['photos_right']} of {len(PHOTO_TRUTH)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
