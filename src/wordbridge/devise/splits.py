"""The labelled images of a DeViSE run and their splits: Fashion-MNIST with held-out classes, Tux Paint stamps,
emoji and an optional ImageNet-style folder, each item with its label text, source and split; and the class table
(label texts that have a word vector)."""

from __future__ import annotations

import dataclasses
import hashlib
import logging

import numpy as np

from wordbridge.devise.config import SOURCES, DeviseDataConfig
from wordbridge.devise.data import (
    load_emoji_images,
    load_fashion_mnist,
    load_tuxpaint_stamps,
    read_imagenet_style,
    zero_shot_split,
)
from wordbridge.devise.labels.word_vectors import LabelSet, VectorLookup, label_words
from wordbridge.errors import ConfigError, DataError, choices_hint

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
    unique = list(dict.fromkeys(texts))
    for text, vec in zip(unique, lookup.labels(unique)):  # batched: the e5 lookup embeds them in one pass
        if vec is not None:
            index[text] = len(names)
            names.append(text)
            rows.append(vec)
    item_class = np.array([index.get(t, -1) for t in texts], dtype=np.int64)
    return names, np.stack(rows).astype(np.float32), item_class
