"""Hubness reduction for text -> images search: CSLS (cross-domain similarity local scaling, Lample et al. 2018).

In a regression-to-text space a few predicted image vectors sit near almost every text (hubs) and crowd the top of
every text query. CSLS scores a query q against an image x by 2 cos(q, x) - r(x), where r(x), the image's hubness, is
the mean cosine of x to its k nearest label vectors of the run (its classes, the WordNet nouns and the ImageNet
classes: the texts the space was built from, standing in for the queries that will come). The query's own term
r(q) is the same for every image, so it does not change a ranking and is left out.

r depends on the gallery and the run only: `Searcher` computes it once, at the first text search (one matrix product
of the gallery against ~17k label vectors: well under a second for thousands of images, a few seconds at 50k), and
keeps it. Search takes the faiss top `shortlist(k)` by cosine and re-ranks those by CSLS; the evaluation scores every
image. k = HUBNESS_K (10, the usual CSLS value; `devise.hubness_k`, 0 = plain cosine) was fixed before any
measurement, not tuned (docs/devise-e5.md).
"""

from __future__ import annotations

import numpy as np

HUBNESS_K = 10
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
