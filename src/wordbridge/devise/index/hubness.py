"""Hubness reduction for text -> images search: CSLS (cross-domain similarity local scaling, Lample et al. 2018).

In a regression-to-text space a few predicted image vectors sit near almost every text (hubs) and crowd the top of
every text query. CSLS scores a query q against an image x by 2 cos(q, x) - r(x), where r(x), the image's hubness, is
the mean cosine of x to its k nearest label vectors of the run (its classes, the WordNet nouns and the ImageNet
classes: the texts the space was built from, standing in for the queries that will come). The query's own term
r(q) is the same for every image, so it does not change a ranking and is left out.

r is computed once per gallery at index time (`devise index` writes hubness.npy + hubness.json into the index
folder) or, for an index built before, once when a search first needs it. Search takes the faiss top
`shortlist(k)` by cosine and re-ranks those by CSLS (exact for the small galleries the evaluation uses: it scores
every image). k = HUBNESS_K (10, the usual CSLS value; `devise.hubness_k`, 0 = plain cosine) was fixed before any
measurement, not tuned (docs/devise-e5.md).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from wordbridge.atomic import atomic_path, write_json

log = logging.getLogger(__name__)

HUBNESS_K = 10
PENALTY_FILE, PENALTY_META = "hubness.npy", "hubness.json"
BATCH = 2048  # images per matrix product (bounds memory at BATCH x labels floats)


def neighbour_mean(items: np.ndarray, refs: np.ndarray, k: int = HUBNESS_K, batch: int = BATCH) -> np.ndarray:
    """(n,) mean cosine of each row of items (n, dim) to its k nearest rows of refs (m, dim); unit rows assumed."""
    items = np.asarray(items, dtype=np.float32)
    out = np.zeros(len(items), dtype=np.float32)
    if not len(items) or not len(refs) or k < 1:
        return out
    k = min(k, len(refs))
    refs = np.ascontiguousarray(refs, dtype=np.float32)
    for start in range(0, len(items), batch):
        scores = items[start:start + batch] @ refs.T  # (b, m)
        out[start:start + batch] = np.partition(scores, len(refs) - k, axis=1)[:, -k:].mean(axis=1)
    return out


def reference_vectors(labels, class_vectors: np.ndarray | None = None) -> np.ndarray:
    """The run's label vectors (m, dim): its classes, then the WordNet nouns and ImageNet classes of its label set
    (zero rows, labels without a vector, left out)."""
    parts = [np.asarray(v, dtype=np.float32) for v in (class_vectors, getattr(labels, "vectors", None),
                                                        getattr(labels, "imagenet_vectors", None))
             if v is not None and len(v)]
    if not parts:
        return np.zeros((0, 0), np.float32)
    refs = np.concatenate(parts)
    return refs[np.linalg.norm(refs, axis=1) > 0]


def csls(cosines: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """CSLS scores from cosines (..., n) of queries to n images and the images' hubness (n,)."""
    return 2.0 * cosines - penalty


def shortlist(k: int, n: int) -> int:
    """How many cosine neighbours to re-rank for k results: 10 k, at least 100, at most the gallery."""
    return min(n, max(10 * k, 100))


def write_penalty(index_dir: str | Path, embeddings: np.ndarray, refs: np.ndarray, k: int,
                  model_fingerprint: str) -> np.ndarray:
    """Compute the gallery's hubness and store it beside the index (each file written atomically)."""
    index_dir = Path(index_dir)
    penalty = neighbour_mean(embeddings, refs, k)
    with atomic_path(index_dir / PENALTY_FILE) as tmp:
        with open(tmp, "wb") as handle:
            np.save(handle, penalty)
    write_json(index_dir / PENALTY_META, {"k": int(k), "images": int(len(penalty)), "labels": int(len(refs)),
                                          "model_fingerprint": model_fingerprint})
    return penalty


def read_penalty(index_dir: str | Path, images: int, k: int, model_fingerprint: str) -> np.ndarray | None:
    """The stored hubness when it matches this gallery (image count), k and model; None otherwise."""
    index_dir = Path(index_dir)
    try:
        meta = json.loads((index_dir / PENALTY_META).read_text(encoding="utf-8"))
        if (meta.get("images"), meta.get("k"), meta.get("model_fingerprint")) != (images, k, model_fingerprint):
            return None
        penalty = np.load(index_dir / PENALTY_FILE)
    except (OSError, ValueError):
        return None
    return penalty if penalty.shape == (images,) else None
