"""`wordbridge devise train CONFIG`: train the DeViSE head on cached backbone features, write a run folder.

Stages: label vectors (cached) -> labelled images (Fashion-MNIST with held-out classes, Tux Paint stamps, emoji, an
optional ImageNet-style folder) -> backbone features (cached, the lesson's precompute=True) -> targets = the label's
word vector (optionally mixed with ImageNet-classifier distillation targets) -> LR finder -> one-cycle Adam(0.9,
0.99) with the cosine loss (the shared engine in wordbridge.train) -> optional fine-tuning of the backbone with
smaller learning rates per layer group.

The run folder (written into a temp folder and renamed at the end: nothing half-written):
    config.yaml      resolved config           model.pt    head (+ fine-tuned backbone), class labels and vectors,
    classes.json     class names, seen/unseen                  word-vector fingerprint, model fingerprint
    lr_find.png, history.json, loss.png, best.pt, latest.pt (the engine's checkpoints), summary.json
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from wordbridge.atomic import atomic_dir, write_json, write_text
from wordbridge.config import dump_yaml, to_dict
from wordbridge.devise.backbones import load_backbone
from wordbridge.devise.config import SOURCES, DeviseConfig, DeviseDataConfig
from wordbridge.devise.data import (
    load_emoji_images,
    load_fashion_mnist,
    load_tuxpaint_stamps,
    read_imagenet_style,
    zero_shot_split,
)
from wordbridge.devise.features import cached_features
from wordbridge.devise.images import load_image, train_transform
from wordbridge.devise.labels import LabelSet, VectorLookup, label_words, load_labels
from wordbridge.devise.model import CHECKPOINT_NAME, KIND, DeviseHead, DeviseNet, cosine_loss, state_fingerprint
from wordbridge.errors import ConfigError, DataError, choices_hint
from wordbridge.text.vectors import l2_normalize, load_vectors
from wordbridge.train.checkpoint import load_checkpoint, save_checkpoint
from wordbridge.train.hooks import FunctionHook
from wordbridge.train.loop import fit
from wordbridge.train.lr_find import lr_find

log = logging.getLogger(__name__)



@dataclasses.dataclass
class DeviseData:
    """Labelled images: item i is images[i] with label text texts[i], from sources[i], in splits[i]."""

    images: list  # paths or uint8 arrays (Fashion-MNIST)
    texts: list[str]
    sources: list[str]
    splits: list[str]  # "train" | "valid" | "test"
    unseen: list[bool]  # the label is a held-out class (never trained on)

    def add(self, image, text: str, source: str, split: str, unseen: bool = False) -> None:
        self.images.append(image)
        self.texts.append(text)
        self.sources.append(source)
        self.splits.append(split)
        self.unseen.append(unseen)


def _stable_fraction(key: str) -> float:
    return int(hashlib.md5(key.encode()).hexdigest()[:8], 16) / 16**8


def _holdout_words(cfg: DeviseDataConfig) -> set[str]:
    return {w for name in cfg.holdout for w in label_words(name)}


def _take(indices: np.ndarray, labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    out = [rng.permutation(indices[labels[indices] == c])[:per_class] for c in np.unique(labels[indices])]
    return np.sort(np.concatenate(out)) if out else np.zeros(0, np.int64)


def add_fashion_mnist(data: DeviseData, cfg: DeviseDataConfig, seed: int) -> None:
    fm = load_fashion_mnist()
    split = zero_shot_split(fm, cfg.holdout)
    rng = np.random.default_rng(seed)
    train = _take(split.train_idx, fm.train_labels, cfg.per_class + cfg.valid_per_class // 2, rng)
    n_valid = max(1, cfg.valid_per_class // 2)
    for c in split.seen:  # the last n_valid of each class's sample validate
        idx = train[fm.train_labels[train] == c]
        for j, i in enumerate(idx):
            data.add(fm.train_images[i], fm.words[c], "fashion_mnist", "valid" if j >= len(idx) - n_valid else "train")
    test = np.concatenate([split.test_seen_idx, split.test_unseen_idx])
    for i in _take(test, fm.test_labels, cfg.valid_per_class, rng):
        c = int(fm.test_labels[i])
        data.add(fm.test_images[i], fm.words[c], "fashion_mnist", "test", c in split.unseen)


def add_captioned_images(data: DeviseData, source: str, cfg: DeviseDataConfig, held: set[str]) -> None:
    """Stamps or emoji: a stable valid_fraction validates; items naming a held-out class are left out entirely."""
    items = load_tuxpaint_stamps() if source == "tuxpaint" else load_emoji_images()
    dropped = 0
    for item in items:
        if held & set(label_words(item.label)):
            dropped += 1
            continue
        split = "valid" if _stable_fraction(f"{source}:{item.path.name}") < cfg.valid_fraction else "train"
        data.add(item.path, item.label, source, split)
    log.info("%s: %d images (%d naming a held-out class left out)", source, len(items) - dropped, dropped)


def add_imagenet_folder(data: DeviseData, cfg: DeviseDataConfig, labels: LabelSet | None) -> None:
    names = dict(zip(labels.wnids, labels.names)) if labels is not None else {}
    for split, (paths, wnids) in read_imagenet_style(cfg.imagenet_folder).items():
        for path, wnid in zip(paths, wnids):
            data.add(path, names.get(wnid, wnid), "imagenet", "train" if split == "train" else "test")


def load_devise_data(cfg: DeviseDataConfig, labels: LabelSet | None = None, seed: int = 42) -> DeviseData:
    """The labelled images named by `cfg` (independent of the word vectors, so the feature cache is too)."""
    unknown = [s for s in cfg.sources if s not in SOURCES]
    if unknown:
        raise ConfigError(f"Invalid devise.data.sources entry {choices_hint(unknown[0], SOURCES)}")
    data = DeviseData([], [], [], [], [])
    held = _holdout_words(cfg)
    for source in cfg.sources:
        if source == "fashion_mnist":
            add_fashion_mnist(data, cfg, seed)
        else:
            add_captioned_images(data, source, cfg, held)
    if cfg.imagenet_folder:
        add_imagenet_folder(data, cfg, labels)
    if not data.images:
        raise DataError("No training images: set devise.data.sources or devise.data.imagenet_folder.")
    return data


def class_table(texts: list[str], lookup: VectorLookup) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(class names with a vector, their vectors (C, dim), class index per item or -1 without a vector)."""
    names, rows, index = [], [], {}
    for text in dict.fromkeys(texts):
        vec = lookup.label(text)
        if vec is not None:
            index[text] = len(names)
            names.append(text)
            rows.append(vec)
    item_class = np.array([index.get(t, -1) for t in texts], dtype=np.int64)
    return names, np.stack(rows).astype(np.float32), item_class


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
    lookup: VectorLookup
    backbone: object

    def rows(self, split: str, unseen: bool | None = None, source: str | None = None) -> np.ndarray:
        mask = np.array([self.data.splits[i] == split and (unseen is None or self.data.unseen[i] == unseen)
                         and (source is None or self.data.sources[i] == source) for i in self.item], dtype=bool)
        return np.flatnonzero(mask)


def prepare(cfg: DeviseConfig, wv=None, backbone=None) -> Prepared:
    """Vectors, labels, data and cached features for `cfg` (deterministic, so evaluation sees the same split);
    `backbone` overrides the configured one (a run's fine-tuned backbone)."""
    wv = load_vectors(cfg.vectors) if wv is None else wv
    lookup = VectorLookup(wv)
    labels = load_labels(wv)
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
    return Prepared(data, feats.pooled[ok], logits, item, item_class[item], classes, class_vectors, labels,
                    lookup, backbone)


def conse_vectors(logits: np.ndarray, imagenet_vectors: np.ndarray, top: int) -> np.ndarray:
    """ConSE: the classifier's top-T softmax probabilities (renormalised) averaging their label vectors -> (n, dim)."""
    found = np.linalg.norm(imagenet_vectors, axis=1) > 0
    z = logits[:, found] - logits[:, found].max(axis=1, keepdims=True)
    probs = np.exp(z)
    probs /= probs.sum(axis=1, keepdims=True)
    top = min(top, probs.shape[1])
    idx = np.argpartition(-probs, top - 1, axis=1)[:, :top]  # (n, T)
    weights = np.take_along_axis(probs, idx, axis=1)
    weights /= weights.sum(axis=1, keepdims=True)
    vecs = imagenet_vectors[found][idx]  # (n, T, dim)
    return l2_normalize((weights[..., None] * vecs).sum(axis=1))


def targets_for(prep: Prepared, cfg: DeviseConfig) -> np.ndarray:
    """(n_ok, dim) targets: the class vector, mixed with ImageNet distillation targets when cfg.distill > 0."""
    targets = prep.class_vectors[prep.item_class]
    if cfg.distill > 0 and prep.logits is not None:
        teacher = conse_vectors(prep.logits, prep.labels.imagenet_vectors, cfg.distill_top)
        targets = l2_normalize((1 - cfg.distill) * targets + cfg.distill * teacher)
    return targets.astype(np.float32)


def _loader(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, seed: int) -> DataLoader:
    gen = torch.Generator().manual_seed(seed)
    ds = TensorDataset(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y)))
    return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=gen, drop_last=shuffle and len(ds) > batch_size)


def head_loss(model, batch):
    x, y = batch
    return cosine_loss(model(x), y), len(x)


def train_head(prep: Prepared, cfg: DeviseConfig, run_dir: Path) -> tuple[DeviseHead, dict]:
    """Fit the head on cached features with the shared engine; returns the best head and the fit summary."""
    torch.manual_seed(cfg.train.seed)
    targets = targets_for(prep, cfg)
    train_rows, valid_rows = prep.rows("train", unseen=False), prep.rows("valid", unseen=False)
    if len(train_rows) < 2:
        raise DataError(f"Only {len(train_rows)} training images with a label vector; need at least 2.")
    head = DeviseHead(prep.pooled.shape[1], prep.class_vectors.shape[1], cfg.head.hidden, cfg.head.dropout)
    train_dl = _loader(prep.pooled[train_rows], targets[train_rows], cfg.batch_size, True, cfg.train.seed)
    valid_dl = _loader(prep.pooled[valid_rows], targets[valid_rows], 512, False, 0) if len(valid_rows) else None
    summary = {"train_images": int(len(train_rows)), "valid_images": int(len(valid_rows))}
    if cfg.lr_find:
        found = lr_find(head, head_loss, train_dl, cfg.train, png=run_dir / "lr_find.png", end_lr=1.0,
                        num_steps=min(100, 3 * len(train_dl) + 10))
        summary["lr_find_suggestion"] = found.suggestion
    result = fit(head, head_loss, train_dl, valid_dl, cfg.train, run_dir=run_dir, kind=f"{KIND}-head",
                 model_args=head.model_args(), config={"devise": to_dict(cfg)})
    if (run_dir / "best.pt").is_file():
        head.load_state_dict(load_checkpoint(run_dir / "best.pt")["model"])
    summary.update(stop_reason=result.stop_reason, steps=result.step, best=result.best)
    return head.eval(), summary


def fine_tune(prep: Prepared, head: DeviseHead, cfg: DeviseConfig, run_dir: Path) -> dict:
    """Backbone in the loop (precompute off): random crops + flips, per-group LRs; BatchNorm statistics frozen."""
    ft = cfg.fine_tune
    backbone = prep.backbone
    backbone.freeze_to(ft.freeze_to)
    net = DeviseNet(backbone, head)
    transform = train_transform(backbone, seed=cfg.train.seed)
    targets = targets_for(prep, cfg)
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


def save_run(folder: Path, cfg: DeviseConfig, prep: Prepared, head: DeviseHead, fine_tuned: bool) -> str:
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
    }
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
        summary["classes"] = len(prep.classes)
        summary["fingerprint"] = save_run(tmp, cfg, prep, head, cfg.fine_tune.epochs > 0)
        summary["label_coverage"] = prep.labels.coverage
        write_json(tmp / "summary.json", summary)
    log.info("DeViSE run written to %s (%d classes, model %s)", run_dir, len(prep.classes), summary["fingerprint"])
    return summary
