"""`wordbridge devise train CONFIG`: train the DeViSE head on cached backbone features, write a run folder.

Stages: label vectors (cached) -> labelled images (Fashion-MNIST with held-out classes, Tux Paint stamps, emoji, an
optional ImageNet-style folder) -> backbone features (cached, the lesson's precompute=True) -> targets = the label's
word vector (optionally mixed with ImageNet-classifier distillation targets), plus unlabelled photos trained on the
classifier's targets alone (devise/distill.py) -> LR finder -> one-cycle Adam(0.9, 0.99) with the cosine loss (the
shared engine in wordbridge.train) -> optional fine-tuning of the backbone with smaller learning rates per layer
group -> the calibrated-stacking margins, tuned with an auxiliary head (devise/calibration.py).

The run folder (written into a temp folder and renamed at the end: nothing half-written):
    config.yaml      resolved config           model.pt    head (+ fine-tuned backbone), class labels and vectors,
    classes.json     class names, seen/unseen                  word-vector fingerprint, model fingerprint
    lr_find.png, history.json, loss.png, best.pt, latest.pt (the engine's checkpoints), summary.json,
    calibration/ (the auxiliary head's engine files)
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from wordbridge.atomic import atomic_dir, write_json, write_text
from wordbridge.config import dump_yaml, to_dict
from wordbridge.devise.backbones.base import load_backbone
from wordbridge.devise.calibration import tune_margins
from wordbridge.devise.config import DeviseConfig
from wordbridge.devise.distill import DistillImages, distill_images, targets_for
from wordbridge.devise.backbones.features import cached_features
from wordbridge.devise.backbones.images import load_image, train_transform
from wordbridge.devise.labels.word_vectors import LabelSet, VectorLookup
from wordbridge.devise.methods import conse_vectors
from wordbridge.devise.model import CHECKPOINT_NAME, KIND, DeviseHead, DeviseNet, cosine_loss, state_fingerprint
from wordbridge.devise.labels.spaces import label_space
from wordbridge.devise.splits import DeviseData, class_table, load_devise_data
from wordbridge.errors import DataError
from wordbridge.train.checkpoint import load_checkpoint, save_checkpoint
from wordbridge.train.hooks import FunctionHook
from wordbridge.train.loop import fit
from wordbridge.train.lr_find import lr_find

log = logging.getLogger(__name__)



@dataclasses.dataclass
class Prepared:
    """Everything training and evaluation read: data, features, classes, label vectors."""

    data: DeviseData
    pooled: np.ndarray  # (n_ok, 2C) features of readable images with a class
    logits: np.ndarray | None  # (n_ok, 1000)
    item: np.ndarray  # (n_ok,) index into data.* of each row
    item_class: np.ndarray  # (n_ok,) class index of each row
    classes: list[str]
    class_vectors: np.ndarray  # (C, dim)
    labels: LabelSet
    lookup: VectorLookup  # or E5Lookup (devise.vectors: e5)
    backbone: object
    distill: DistillImages | None = None  # unlabelled photos trained on the classifier's targets only

    def rows(self, split: str, unseen: bool | None = None, source: str | None = None) -> np.ndarray:
        mask = np.array([self.data.splits[i] == split and (unseen is None or self.data.unseen[i] == unseen)
                         and (source is None or self.data.sources[i] == source) for i in self.item], dtype=bool)
        return np.flatnonzero(mask)


def prepare(cfg: DeviseConfig, wv=None, backbone=None) -> Prepared:
    """Vectors, labels, data and cached features for `cfg` (deterministic, so evaluation sees the same split);
    `backbone` overrides the configured one (a run's fine-tuned backbone)."""
    lookup, labels = label_space(cfg.vectors, wv)
    data = load_devise_data(cfg.data, labels, cfg.train.seed)
    classes, class_vectors, item_class = class_table(data.texts, lookup)
    missing = sorted({t for t, c in zip(data.texts, item_class) if c < 0})
    if missing:
        log.info("%d label texts have no word vector and are left out (e.g. %s)", len(missing), ", ".join(missing[:5]))
    if backbone is None:
        backbone = load_backbone(cfg.backbone, cfg.backbone_weights)
        backbone.input_size = cfg.data.image_size
    feats = cached_features(backbone, data.images, desc="backbone features")
    ok = item_class[feats.kept] >= 0  # readable images whose label has a vector
    logits = feats.logits[ok] if feats.logits is not None else None
    item = feats.kept[ok]
    extra = distill_images(cfg.data.distill_images, cfg.data.distill_views, backbone, cfg.train.seed) \
        if backbone.has_classifier else None
    return Prepared(data, feats.pooled[ok], logits, item, item_class[item], classes, class_vectors, labels,
                    lookup, backbone, extra)


def _loader(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, seed: int) -> DataLoader:
    gen = torch.Generator().manual_seed(seed)
    ds = TensorDataset(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y)))
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=gen, drop_last=shuffle and len(ds) > batch_size)


def head_loss(model, batch):
    x, y = batch
    return cosine_loss(model(x), y), len(x)


def distill_rows(prep: Prepared, cfg: DeviseConfig) -> tuple[np.ndarray, np.ndarray] | None:
    """(features, teacher targets) of the distillation-only images, or None."""
    if prep.distill is None:
        return None
    teacher = conse_vectors(prep.distill.logits, prep.labels.imagenet_vectors, cfg.distill_top)
    return prep.distill.pooled, teacher.astype(np.float32)


def fit_head(x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, cfg: DeviseConfig, run_dir: Path,
             find_lr: bool = False) -> tuple[DeviseHead, dict]:
    """Fit a head on features x (n, 2C) -> targets y (n, dim) with the shared engine (best.pt by valid loss)."""
    torch.manual_seed(cfg.train.seed)
    if len(x) < 2:
        raise DataError(f"Only {len(x)} training images with a label vector; need at least 2.")
    head = DeviseHead(x.shape[1], y.shape[1], cfg.head.hidden, cfg.head.dropout)
    train_dl = _loader(x, y, cfg.batch_size, True, cfg.train.seed)
    valid_dl = _loader(xv, yv, 512, False, 0) if len(xv) else None
    summary = {"train_images": int(len(x)), "valid_images": int(len(xv))}
    if find_lr:
        found = lr_find(head, head_loss, train_dl, cfg.train, png=run_dir / "lr_find.png", end_lr=1.0,
                        num_steps=min(100, 3 * len(train_dl) + 10))
        summary["lr_find_suggestion"] = found.suggestion
    result = fit(head, head_loss, train_dl, valid_dl, cfg.train, run_dir=run_dir, kind=f"{KIND}-head",
                 model_args=head.model_args(), config={"devise": to_dict(cfg)})
    if (run_dir / "best.pt").is_file():
        head.load_state_dict(load_checkpoint(run_dir / "best.pt")["model"])
    summary.update(stop_reason=result.stop_reason, steps=result.step, best=result.best)
    return head.eval(), summary


def train_head(prep: Prepared, cfg: DeviseConfig, run_dir: Path) -> tuple[DeviseHead, dict]:
    """Fit the head on the labelled training rows (+ the distillation-only images); returns the best head and the
    fit summary."""
    targets = targets_for(prep, cfg.distill, cfg.distill_top)
    train_rows, valid_rows = prep.rows("train", unseen=False), prep.rows("valid", unseen=False)
    x, y = prep.pooled[train_rows], targets[train_rows]
    extra = distill_rows(prep, cfg)
    if extra is not None:
        x, y = np.concatenate([x, extra[0]]), np.concatenate([y, extra[1]])
    head, summary = fit_head(x, y, prep.pooled[valid_rows], targets[valid_rows], cfg, run_dir, cfg.lr_find)
    summary["distill_views"] = 0 if extra is None else int(len(extra[0]))
    return head, summary


def calibrate_run(prep: Prepared, cfg: DeviseConfig, run_dir: Path) -> tuple[dict[str, float], dict]:
    """Calibrated-stacking margins per method, tuned with an auxiliary head (devise/calibration.py)."""
    def fit_aux(x, y, xv, yv, folder):
        return fit_head(x, y, xv, yv, cfg, folder)[0]

    return tune_margins(prep, cfg.calibration_holdout, targets_for(prep, cfg.distill, cfg.distill_top),
                        distill_rows(prep, cfg), fit_aux, run_dir / "calibration", cfg.conse_top)


def fine_tune(prep: Prepared, head: DeviseHead, cfg: DeviseConfig, run_dir: Path) -> dict:
    """Backbone in the loop (precompute off): random crops + flips, per-group LRs; BatchNorm statistics frozen."""
    ft = cfg.fine_tune
    backbone = prep.backbone
    backbone.freeze_to(ft.freeze_to)
    net = DeviseNet(backbone, head)
    transform = train_transform(backbone, seed=cfg.train.seed)
    targets = targets_for(prep, cfg.distill, cfg.distill_top)
    rows = prep.rows("train", unseen=False)

    class Images(torch.utils.data.Dataset):
        def __len__(self):
            return len(rows)

        def __getitem__(self, j):
            i = rows[j]
            return transform(load_image(prep.data.images[prep.item[i]])), torch.from_numpy(targets[i])

    def freeze_bn(trainer):
        for m in net.backbone.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.eval()

    dl = DataLoader(Images(), batch_size=ft.batch_size, shuffle=True,
                    generator=torch.Generator().manual_seed(cfg.train.seed), drop_last=len(rows) > ft.batch_size)
    train_cfg = dataclasses.replace(cfg.train, epochs=ft.epochs, lr=ft.lr, max_steps=None)
    result = fit(net, head_loss, dl, None, train_cfg, run_dir=run_dir / "fine_tune", kind=f"{KIND}-finetune",
                 params=net.param_groups(ft.lr, ft.lr_ratios), hooks=[FunctionHook(before_batch=freeze_bn)],
                 model_args=head.model_args(), config={"devise": to_dict(cfg)})
    net.eval()
    return {"fine_tune_steps": result.step, "fine_tune_stop": result.stop_reason}


def save_run(folder: Path, cfg: DeviseConfig, prep: Prepared, head: DeviseHead, fine_tuned: bool,
             margins: dict[str, float]) -> str:
    """model.pt (self-contained: head, class vectors, fingerprints), classes.json and config.yaml; returns the
    model fingerprint."""
    backbone_state = prep.backbone.net.state_dict() if fine_tuned else None
    fingerprint = state_fingerprint(head.state_dict(), backbone_state or {})
    unseen = sorted({prep.data.texts[prep.item[i]] for i in range(len(prep.item)) if prep.data.unseen[prep.item[i]]})
    extra = {
        "fingerprint": fingerprint,
        "vectors": cfg.vectors,
        "vectors_fingerprint": prep.labels.fingerprint,
        "backbone": cfg.backbone,
        "backbone_weights": cfg.backbone_weights,
        "backbone_weights_id": prep.backbone.weights_id + (f"+ft-{fingerprint}" if fine_tuned else ""),
        "backbone_state": backbone_state,
        "image_size": cfg.data.image_size,
        "classes": prep.classes,
        "class_vectors": torch.from_numpy(prep.class_vectors),
        "unseen_classes": unseen,
        "calibration": margins,  # {method: gamma} for calibrated stacking
        "imagenet_vectors": torch.from_numpy(np.asarray(prep.labels.imagenet_vectors, dtype=np.float32)),  # ConSE
        # in gallery embeddings (RunModel.gallery_vectors)
    }
    center = getattr(prep.lookup, "center", None)
    if center is not None:  # the e5 space: queries are centred by the same label mean
        extra["e5_center"] = torch.from_numpy(np.asarray(center, dtype=np.float32))
    save_checkpoint(folder / CHECKPOINT_NAME, kind=KIND, model=head, model_args=head.model_args(),
                    config={"devise": to_dict(cfg)}, rng=False, extra=extra)
    write_json(folder / "classes.json", {"classes": prep.classes, "unseen": unseen})
    write_text(folder / "config.yaml", dump_yaml({"devise": cfg}))
    return fingerprint


def train_devise(cfg: DeviseConfig, run_dir: str | Path, overwrite: bool = False, wv=None) -> dict:
    """The whole `devise train` stage; returns a summary (also written to summary.json)."""
    run_dir = Path(run_dir)
    if run_dir.exists() and any(run_dir.iterdir()) and not overwrite:
        raise DataError(f"Run folder {run_dir} already exists; pass --overwrite to replace it.")
    prep = prepare(cfg, wv)
    with atomic_dir(run_dir, overwrite=overwrite) as tmp:
        head, summary = train_head(prep, cfg, tmp)
        if cfg.fine_tune.epochs > 0:
            summary.update(fine_tune(prep, head, cfg, tmp))
        margins, summary["calibration"] = calibrate_run(prep, cfg, tmp)
        summary["classes"] = len(prep.classes)
        summary["fingerprint"] = save_run(tmp, cfg, prep, head, cfg.fine_tune.epochs > 0, margins)
        summary["label_coverage"] = prep.labels.coverage
        write_json(tmp / "summary.json", summary)
    log.info("DeViSE run written to %s (%d classes, model %s)", run_dir, len(prep.classes), summary["fingerprint"])
    return summary
