"""Image -> label space, by method, and the generalised zero-shot correction applied to label scores.

- `devise`: the run's head maps backbone features to the word-vector space (the lesson).
- `conse` (Norouzi et al., 2014, training-free): the ImageNet classifier's top-T softmax probabilities averaging
  those classes' label vectors; it keeps everything the classifier knows about photos.
- `blend`: the sum of both unit vectors, renormalised: the head's view of what it trained on (clothing, clip art,
  emoji) plus the classifier's view of photos.

Calibrated stacking (Chao et al., 2016): labels the head trained on ("seen") win too often in generalised zero-shot
search (every unseen image lands on a seen label), so their cosine is lowered by a margin gamma, tuned per method on
validation data (devise/calibration.py) and stored in the run.
"""

from __future__ import annotations

import numpy as np

from wordbridge.errors import ConfigError, choices_hint
from wordbridge.results import IMAGE_METHODS as METHODS
from wordbridge.results import ImageMethod as Method
from wordbridge.text.vectors import l2_normalize

__all__ = ["METHODS", "Method", "calibrate", "check_method", "conse_vectors", "method_vectors", "seen_labels",
           "softmax"]


def check_method(method: str) -> str:
    if method not in METHODS:
        raise ConfigError(f"Invalid method {choices_hint(method, METHODS)}")
    return method


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (n, C) logits, float64 for stability."""
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def conse_vectors(logits: np.ndarray, imagenet_vectors: np.ndarray, top: int) -> np.ndarray:
    """ConSE: the classifier's top-T softmax probabilities (renormalised) averaging their label vectors -> (n, dim).
    Classes without a vector (zero rows) are left out before the softmax."""
    found = np.linalg.norm(imagenet_vectors, axis=1) > 0
    probs = softmax(logits[:, found])  # (n, C_found)
    top = min(top, probs.shape[1])
    idx = np.argpartition(-probs, top - 1, axis=1)[:, :top]  # (n, T)
    weights = np.take_along_axis(probs, idx, axis=1)
    weights /= weights.sum(axis=1, keepdims=True)
    vecs = imagenet_vectors[found][idx]  # (n, T, dim)
    return l2_normalize((weights[..., None] * vecs).sum(axis=1))


def method_vectors(method: str, devise: np.ndarray | None, logits: np.ndarray | None,
                   imagenet_vectors: np.ndarray, conse_top: int) -> np.ndarray:
    """(n, dim) unit vectors of n images for `method`, from the head's embeddings and/or the classifier's logits."""
    check_method(method)
    if method == "devise":
        return devise
    if logits is None:
        raise ConfigError(f"Method '{method}' needs the backbone's ImageNet classifier, which this backbone lacks; "
                          f"use --method devise.")
    conse = conse_vectors(logits, imagenet_vectors, conse_top)
    return conse if method == "conse" else l2_normalize(devise + conse)


def calibrate(scores: np.ndarray, seen: np.ndarray, gamma: float) -> np.ndarray:
    """Calibrated stacking: scores (n, C) minus gamma on the columns of seen labels (seen: (C,) bool)."""
    return scores - np.float32(gamma) * np.asarray(seen, dtype=np.float32)[None, :]


def seen_labels(names, classes) -> np.ndarray:
    """(len(names),) bool: which label names are among the run's training classes (case-insensitive)."""
    trained = {c.lower() for c in classes}
    return np.array([str(n).lower() in trained for n in names], dtype=bool)
