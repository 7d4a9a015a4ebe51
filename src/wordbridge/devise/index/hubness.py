"""Hubness reduction for text -> images search: CSLS (cross-domain similarity local scaling, Lample et al. 2018).

In a regression-to-text space a few predicted image vectors sit near almost every text (hubs) and crowd the top of
every text query. CSLS scores a query q against an image x by 2 cos(q, x) - r(x), where r(x), the image's hubness, is
the mean cosine of x to its k nearest label vectors of the run (its classes, the WordNet nouns and the ImageNet
classes: the texts the space was built from, standing in for the queries that will come). The query's own term
r(q) is the same for every image, so it does not change a ranking and is left out.

r depends on the gallery and the run only: `Searcher` computes it once, at the first text search (an exact faiss
search of the gallery against ~18k label vectors: ~0.3 ms an image on one core, ~15 s at 50k images), and
keeps it. Search takes the faiss top `shortlist(k)` by cosine and re-ranks those by CSLS; the evaluation scores every
image. k = HUBNESS_K (10, the usual CSLS value; `devise.hubness_k`, 0 = plain cosine) was fixed before any
measurement, not tuned (docs/devise-e5.md).
"""

from __future__ import annotations

import numpy as np

from wordbridge.devise.index.gallery import top_k

HUBNESS_K = 10
BATCH = 8192  # images per faiss search


def neighbour_mean(items: np.ndarray, refs: np.ndarray, k: int = HUBNESS_K, batch: int = BATCH) -> np.ndarray:
    """(n,) mean cosine of each row of items (n, dim) to its k nearest rows of refs (m, dim); unit rows assumed.
    Exact inner-product search with faiss (~0.3 ms an image against 18k labels on one core)."""
    out = np.zeros(len(items), dtype=np.float32)
    if not len(items) or not len(refs) or k < 1:
        return out
    for start in range(0, len(items), batch):
        scores, _ = top_k(refs, np.asarray(items[start:start + batch], dtype=np.float32), k)  # (b, min(k, m))
        out[start:start + batch] = scores.mean(axis=1)
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
