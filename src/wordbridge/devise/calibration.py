"""Tuning the calibrated-stacking margin gamma (devise/methods.py) on validation data, never on a test set.

An auxiliary head is trained like the run's head but with a few more seen classes held out
(`devise.calibration_holdout`, by default two Fashion-MNIST classes). On the validation images of those classes'
source, the still-seen classes play the seen labels and the newly held-out ones the unseen labels; for each method,
gamma is the grid value with the best harmonic mean of their hit@1 (the usual generalised zero-shot measure; ties go
to the smallest gamma). The run keeps {method: gamma} and the report; `devise search` and `devise evaluate` use it.
"""

from __future__ import annotations

import logging
from typing import Callable

import numpy as np
import torch

from wordbridge.devise.methods import METHODS, calibrate, method_vectors
from wordbridge.devise.model import embed_features

log = logging.getLogger(__name__)

GRID = tuple(round(0.02 * i, 2) for i in range(51))  # 0.00 .. 1.00: cosine margins

# fit_head(x_train, y_train, x_valid, y_valid, folder) -> a trained head (eval mode)
FitHead = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, object], torch.nn.Module]


def top1(scores: np.ndarray, truth: np.ndarray) -> float:
    """Share of rows whose best column is their truth column (nan without rows)."""
    return float((scores.argmax(axis=1) == truth).mean()) if len(truth) else float("nan")


def harmonic_mean(a: float, b: float) -> float:
    return 0.0 if not a + b > 0 else float(2 * a * b / (a + b))


def tune_gamma(scores: np.ndarray, truth: np.ndarray, seen: np.ndarray, unseen_rows: np.ndarray,
               grid=GRID) -> tuple[float, dict]:
    """The gamma of `grid` with the best harmonic mean of hit@1 on seen-label rows and unseen-label rows.

    scores (n, C) validation cosines, truth (n,) their label column, seen (C,) bool (labels trained on),
    unseen_rows (n,) bool (images of labels not trained on). Returns (gamma, report).
    """
    unseen_rows = np.asarray(unseen_rows, dtype=bool)
    best = None
    for gamma in grid:
        cal = calibrate(scores, seen, gamma)
        s, u = top1(cal[~unseen_rows], truth[~unseen_rows]), top1(cal[unseen_rows], truth[unseen_rows])
        h = harmonic_mean(np.nan_to_num(s), np.nan_to_num(u))
        if best is None or h > best[3] + 1e-12:
            best = (float(gamma), s, u, h)
    report = {"gamma": best[0], "seen_hit@1": best[1], "unseen_hit@1": best[2], "harmonic": best[3],
              "seen_hit@1_raw": top1(scores[~unseen_rows], truth[~unseen_rows]),
              "unseen_hit@1_raw": top1(scores[unseen_rows], truth[unseen_rows])}
    return best[0], report


def tune_margins(prep, holdout: tuple[str, ...], targets: np.ndarray, extra: tuple[np.ndarray, np.ndarray] | None,
                 fit_head: FitHead, folder, conse_top: int) -> tuple[dict[str, float], dict]:
    """{method: gamma} and a report, from an auxiliary head trained without the `holdout` classes.

    prep: the Prepared data (devise/training.py); targets (n_rows, dim) its training targets; extra: the
    distillation-only (features, targets) added to training, or None."""
    out = {prep.classes.index(name) for name in holdout if name in prep.classes}
    zero = {m: 0.0 for m in METHODS}
    train = prep.rows("train", unseen=False)
    sources = {prep.data.sources[prep.item[r]] for r in train if prep.item_class[r] in out}
    valid = np.array([r for r in prep.rows("valid", unseen=False) if prep.data.sources[prep.item[r]] in sources],
                     dtype=np.int64)
    if not out or not len(valid):
        log.info("calibration: no held-out classes %s among the training classes; margins stay 0", list(holdout))
        return zero, {"skipped": f"none of {list(holdout)} is a training class with validation images"}
    keep = train[~np.isin(prep.item_class[train], list(out))]
    x, y = prep.pooled[keep], targets[keep]
    if extra is not None:
        x, y = np.concatenate([x, extra[0]]), np.concatenate([y, extra[1]])
    log.info("calibration: auxiliary head without %s (%d training rows)", ", ".join(holdout), len(x))
    head = fit_head(x, y, prep.pooled[valid], targets[valid], folder)
    candidates = sorted({int(prep.item_class[r]) for r in np.concatenate([train, valid])
                         if prep.data.sources[prep.item[r]] in sources})  # the test's held-out labels stay out
    col = {c: j for j, c in enumerate(candidates)}
    truth = np.array([col[int(c)] for c in prep.item_class[valid]])
    aux_seen = np.array([c not in out for c in candidates])
    unseen_rows = np.isin(prep.item_class[valid], list(out))
    devise = embed_features(head, torch.from_numpy(prep.pooled[valid])).numpy()
    logits = prep.logits[valid] if prep.logits is not None else None
    gammas, report = {}, {"holdout": list(holdout), "images": int(len(valid)), "labels": len(candidates)}
    for method in METHODS:
        if method != "devise" and logits is None:
            continue
        vecs = method_vectors(method, devise, logits, prep.labels.imagenet_vectors, conse_top)
        gammas[method], report[method] = tune_gamma(vecs @ prep.class_vectors[candidates].T, truth, aux_seen,
                                                    unseen_rows)
        log.info("calibration %s: gamma %.2f (validation hit@1 seen %.1f%%, held-out %.1f%%; at 0: %.1f%%, %.1f%%)",
                 method, gammas[method], 100 * report[method]["seen_hit@1"], 100 * report[method]["unseen_hit@1"],
                 100 * report[method]["seen_hit@1_raw"], 100 * report[method]["unseen_hit@1_raw"])
    return {**zero, **gammas}, report
