"""`wordbridge devise evaluate RUN_DIR`: flat hit@k on seen classes and zero-shot hit@k on held-out classes.

Each test set ranks its candidate labels by cosine between an image's vector and the label vectors; hit@k = share of
images whose true label is among the k best. Compared methods, all on the same backbone features:
- devise, conse, blend (devise/methods.py), each raw and with the run's calibrated-stacking margin (seen labels'
  scores lowered by gamma, tuned on validation data at training time: devise/calibration.py);
- softmax: a linear classifier trained on the same training features (it cannot name a class it never saw: its
  zero-shot hit@k is 0 by construction). Trained only for test sets with <= SOFTMAX_MAX_CLASSES candidates.
Test sets: Fashion-MNIST test images of seen classes and of held-out classes (candidates: its 10 class words, or
only the held-out ones, the classic zero-shot protocol), the
held-out part of the captioned sets (stamps/emoji names mostly never seen in training; candidates: every caption label)
and an ImageNet-style folder's valid split when configured. Then the photo check (top-5 ImageNet labels of
scikit-image's cat, coffee and rocket: devise/evaluation/photos.py) and, when asked, captions -> images
(devise/evaluation/captions.py).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import torch

from wordbridge.atomic import write_json, write_text
from wordbridge.config import from_dict
from wordbridge.devise.config import DeviseConfig
from wordbridge.devise.model import RunModel
from wordbridge.devise.evaluation.captions import Translate, caption_markdown, caption_table
from wordbridge.devise.methods import METHODS, calibrate, method_vectors
from wordbridge.devise.evaluation.photos import photo_check, photo_markdown
from wordbridge.devise.training import Prepared, prepare
from wordbridge.train.device import configure_threads

log = logging.getLogger(__name__)

SOFTMAX_MAX_CLASSES = 1000


def hit_at_k(scores: np.ndarray, truth: np.ndarray, ks) -> dict[int, float]:
    """scores (n, C), truth (n,) column of the right label -> {k: share with the truth among the top k}. The rank is
    the number of labels scoring strictly higher (float ties are rare); a truth scored -inf (a class the softmax
    never saw) is never a hit."""
    if not len(truth):
        return {k: float("nan") for k in ks}
    true_scores = scores[np.arange(len(truth)), truth][:, None]
    rank = (scores > true_scores).sum(axis=1)  # (n,) 0 = best
    rank[~np.isfinite(true_scores[:, 0])] = np.iinfo(rank.dtype).max  # a label the method cannot score: no hit
    return {k: float((rank < k).mean()) for k in ks}


@dataclasses.dataclass
class TestSet:
    name: str
    rows: np.ndarray  # rows of the prepared features
    candidates: list[int]  # class indices the images are ranked among
    zero_shot: bool


def test_sets(prep: Prepared) -> list[TestSet]:
    sets = []
    fm_classes = sorted({int(prep.item_class[r]) for r in prep.rows("test", source="fashion_mnist")})
    if fm_classes:
        sets.append(TestSet("Fashion-MNIST, seen classes", prep.rows("test", False, "fashion_mnist"), fm_classes,
                            False))
        unseen_rows = prep.rows("test", True, "fashion_mnist")
        sets.append(TestSet("Fashion-MNIST, held-out classes (all 10 labels)", unseen_rows, fm_classes, True))
        unseen = sorted({int(c) for c in prep.item_class[unseen_rows]})
        if len(unseen) > 1:  # the classic zero-shot protocol: only the held-out labels compete
            sets.append(TestSet("Fashion-MNIST, held-out classes (held-out labels only)", unseen_rows, unseen, True))
    captioned_rows = np.concatenate([prep.rows(s, source=g) for g in ("tuxpaint", "emoji") for s in ("train", "valid")])
    held = np.concatenate([prep.rows("valid", source=g) for g in ("tuxpaint", "emoji")])
    if len(held):
        train_classes = {int(c) for c in prep.item_class[np.concatenate([prep.rows("train", source=g)
                                                                          for g in ("tuxpaint", "emoji")])]}
        held = np.array([r for r in held if int(prep.item_class[r]) not in train_classes], dtype=np.int64)
        candidates = sorted({int(c) for c in prep.item_class[captioned_rows]})
        sets.append(TestSet("stamps + emoji, unseen names", held, candidates, True))
    imagenet = prep.rows("test", source="imagenet")
    if len(imagenet):
        sets.append(TestSet("ImageNet folder, valid", imagenet,
                            sorted({int(c) for c in prep.item_class[prep.rows("train", source="imagenet")]}), False))
    return [s for s in sets if len(s.rows)]


def _standardize(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> torch.Tensor:
    return torch.from_numpy((x - mean) / std).float()


def softmax_scores(prep: Prepared, candidates: list[int], rows: np.ndarray, epochs: int = 30,
                   seed: int = 0) -> np.ndarray:
    """A linear classifier on the training features of the candidate classes -> log-probabilities (n, candidates);
    candidates never trained on get -inf."""
    train = np.array([r for r in prep.rows("train") if int(prep.item_class[r]) in set(candidates)], dtype=np.int64)
    trained = sorted({int(prep.item_class[r]) for r in train})
    out = np.full((len(rows), len(candidates)), -np.inf, dtype=np.float32)
    if not trained:  # none of the candidates was ever seen: the classifier cannot name any of them
        return out
    col = {c: i for i, c in enumerate(trained)}
    x, y = prep.pooled[train], torch.tensor([col[int(prep.item_class[r])] for r in train])
    mean, std = x.mean(0), x.std(0) + 1e-6
    torch.manual_seed(seed)
    linear = torch.nn.Linear(x.shape[1], len(trained))
    opt = torch.optim.Adam(linear.parameters(), lr=1e-3, weight_decay=1e-4)
    xt = _standardize(x, mean, std)
    for _ in range(epochs):
        for idx in torch.randperm(len(xt)).split(256):
            loss = torch.nn.functional.cross_entropy(linear(xt[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        logp = torch.log_softmax(linear(_standardize(prep.pooled[rows], mean, std)), dim=1).numpy()
    for j, c in enumerate(candidates):
        if c in col:
            out[:, j] = logp[:, col[c]]
    return out


def method_embeddings(prep: Prepared, embed, conse_top: int) -> dict[str, np.ndarray]:
    """{method: (n_rows, dim) unit vectors} for every method this backbone allows (methods.py)."""
    devise = embed(prep.pooled)
    names = METHODS if prep.logits is not None else ("devise",)
    return {m: method_vectors(m, devise, prep.logits, prep.labels.imagenet_vectors, conse_top) for m in names}


def evaluate_prepared(prep: Prepared, embed, ks=(1, 2, 5, 10), conse_top: int = 10,
                      margins: dict[str, float] | None = None, softmax: bool = True) -> list[dict]:
    """Rows {test set, method, calibrated, gamma, images, candidates, hit@k...}: every method (devise, conse, blend)
    raw and with the run's calibrated-stacking margin, plus the softmax baseline. embed: features -> vectors."""
    results = []
    vectors = method_embeddings(prep, embed, conse_top)
    trained = {int(c) for c in prep.item_class[prep.rows("train")]}
    for ts in test_sets(prep):
        pos = {c: j for j, c in enumerate(ts.candidates)}
        truth = np.array([pos[int(prep.item_class[r])] for r in ts.rows])
        label_vecs = prep.class_vectors[ts.candidates]  # (C, dim)
        seen = np.array([c in trained for c in ts.candidates])
        scored = []
        for method, vecs in vectors.items():
            scores = vecs[ts.rows] @ label_vecs.T  # (n, C)
            scored.append((method, False, 0.0, scores))
            gamma = (margins or {}).get(method, 0.0)
            if gamma > 0 and seen.any() and not seen.all():
                scored.append((method, True, gamma, calibrate(scores, seen, gamma)))
        if softmax and len(ts.candidates) <= SOFTMAX_MAX_CLASSES:
            scored.append(("softmax", False, 0.0, softmax_scores(prep, ts.candidates, ts.rows)))
        for method, calibrated, gamma, scores in scored:
            hits = hit_at_k(scores, truth, ks)
            results.append({"test set": ts.name, "method": method, "calibrated": calibrated, "gamma": gamma,
                            "images": int(len(ts.rows)), "candidates": len(ts.candidates),
                            "zero_shot": ts.zero_shot, **{f"hit@{k}": v for k, v in hits.items()}})
    return results


def method_label(row: dict) -> str:
    if row["method"] == "softmax":
        return "softmax (baseline)"
    return f"{row['method']} + calibration (gamma {row['gamma']:.2f})" if row.get("calibrated") else row["method"]


def markdown(results: list[dict], ks) -> str:
    head = ["test set", "images", "labels", "method"] + [f"hit@{k}" for k in ks]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join([":--"] + ["--:"] * 2 + [":--"] + ["--:"] * len(ks)) + "|"]
    for r in results:
        cells = [r["test set"], str(r["images"]), str(r["candidates"]), method_label(r)]
        cells += [f"{100 * r[f'hit@{k}']:.1f}%" for k in ks]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tables_by_method(results: list[dict], ks, setting: str) -> str:
    """One markdown table per method (raw + calibrated rows), titled with the run's setting (vectors, distillation)."""
    out = []
    for method in dict.fromkeys(r["method"] for r in results):
        rows = [r for r in results if r["method"] == method]
        out.append(f"{setting}, method {method}:\n\n{markdown(rows, ks)}")
    return "\n\n".join(out)


def run_setting(cfg: DeviseConfig) -> str:
    images = f"{cfg.data.distill_images} x{cfg.data.distill_views}" if cfg.data.distill_images else "none"
    return f"vectors {cfg.vectors}, distill {cfg.distill:g}, distillation images {images}"


def evaluate_run(run_dir: str | Path, wv=None, photos: bool = True, captions: bool = True,
                 translate: Translate | None = None) -> tuple[str, dict]:
    """Evaluate a run folder: hit@k tables per method, the photo check, and captions -> images (English captions;
    French ones too when `translate` is given). Writes eval.md and eval.json into the run; returns (markdown,
    results)."""
    run_dir = Path(run_dir)
    model = RunModel.load(run_dir)
    cfg = from_dict(DeviseConfig, model.config.get("devise"), "devise")
    configure_threads(cfg.train.threads)  # the softmax baseline trains like the head
    prep = prepare(cfg, wv, backbone=model.backbone)
    model.check_vectors(prep.labels.fingerprint)
    margins = model.extra.get("calibration") or {}
    rows = evaluate_prepared(prep, model.embed_features, cfg.eval_k, cfg.conse_top, margins)
    setting = run_setting(cfg)
    parts = [tables_by_method(rows, cfg.eval_k, setting)]
    results = {"setting": setting, "margins": margins, "hit_at_k": rows}
    if photos:
        checks = photo_check(model, prep.labels, cfg.conse_top, margins)
        results["photos"] = checks
        parts.append(photo_markdown(checks))
    if captions:
        table = caption_table(prep, model.gallery_vectors, translate, cfg.eval_k, cfg.hubness_k)
        results["captions"] = table
        parts.append(caption_markdown(table, cfg.eval_k))
    text = "\n\n".join(parts)
    write_text(run_dir / "eval.md", text + "\n")
    write_json(run_dir / "eval.json", results)
    return text, results
