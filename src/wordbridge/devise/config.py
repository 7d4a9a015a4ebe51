"""Typed configuration of DeViSE (the `devise:` section of a config file; configs/devise.yaml documents each key)."""

from __future__ import annotations

import dataclasses
from typing import Literal, get_args

from wordbridge.devise.methods import METHODS, Method
from wordbridge.errors import ConfigError, choices_hint
from wordbridge.train.config import TrainConfig

Source = Literal["fashion_mnist", "tuxpaint", "emoji"]  # the offline labelled image sets
SOURCES: tuple[str, ...] = get_args(Source)
BackboneName = Literal["efficientnet_lite0", "resnet50"]
BACKBONES: tuple[str, ...] = get_args(BackboneName)


@dataclasses.dataclass(frozen=True)
class DeviseDataConfig:
    """Which labelled images to train on and how to split them."""

    sources: tuple[Source, ...] = SOURCES  # labelled image sets to train on
    imagenet_folder: str | None = None  # an ImageNet-style folder (train/<wnid>/*.JPEG, valid/<wnid>/...)
    holdout: tuple[str, ...] = ("sandal", "ankle boot")  # class names kept out of training (zero-shot test)
    per_class: int = 150  # at most this many training images per class and source (features cost CPU)
    valid_per_class: int = 40  # at most this many validation/test images per class
    valid_fraction: float = 0.15  # of image sets without a split (stamps, emoji), kept for validation
    image_size: int = 224  # backbone input size
    distill_images: str | None = "photos"  # unlabelled photos (asset name or folder) trained on the classifier's
    # targets only, to keep its ImageNet knowledge in the head; null = none
    distill_views: int = 8  # random crops + flips per distillation image


@dataclasses.dataclass(frozen=True)
class HeadConfig:
    """The lesson's head: BN -> dropout -> Linear(hidden) -> ReLU -> BN -> dropout -> Linear(vector dim)."""

    hidden: int = 1024
    dropout: float = 0.2


@dataclasses.dataclass(frozen=True)
class FineTuneConfig:
    """Second stage with the backbone in the loop (the lesson's precompute=False); epochs 0 = off."""

    epochs: int = 0
    lr: float = 1e-3  # head lr; backbone layer groups get lr * lr_ratios (earliest first)
    lr_ratios: tuple[float, ...] = (1e-3, 1e-2)  # the lesson's lrs = [lr/1000, lr/100, lr]
    batch_size: int = 16
    freeze_to: int = 1  # keep the first N backbone layer groups frozen


@dataclasses.dataclass(frozen=True)
class DeviseTrainConfig(TrainConfig):
    """The head's `devise.train:` section: the engine's TrainConfig with the lesson's DeViSE defaults."""

    epochs: int = 20
    lr: float = 1e-2
    betas: tuple[float, float] = (0.9, 0.99)
    weight_decay: float = 1e-7
    moms: tuple[float, float] | None = None
    clip_grad: float | None = None
    log_every: int = 20
    threads: int | None = 1  # the head is a small MLP on cached features: one thread, no oversubscription (on the
    # loaded 2-core machine 6.7 steps/s with 1 thread vs 0.4 with torch's default)


@dataclasses.dataclass(frozen=True)
class DeviseConfig:
    backbone: BackboneName = "efficientnet_lite0"
    backbone_weights: str | None = None  # a weights file; null = the offline EfficientNet-Lite0 weights
    vectors: str = "fasttext"  # label space: fasttext (= en) | glove | concat, or a fastText .bin/.vec path; or e5
    # (the multilingual sentence encoder: any-language queries; docs/devise-e5.md); fasttext won the word-vector
    # ablation (docs/devise.md)
    distill: float = 0.0  # weight of ImageNet-classifier distillation targets in labelled images' targets (0 = off)
    distill_top: int = 5  # distillation target = softmax-weighted vectors of the classifier's top-N classes
    batch_size: int = 128
    lr_find: bool = True  # run the LR finder first and save lr_find.png (its suggestion is logged, not used)
    data: DeviseDataConfig = dataclasses.field(default_factory=DeviseDataConfig)
    head: HeadConfig = dataclasses.field(default_factory=HeadConfig)
    train: DeviseTrainConfig = DeviseTrainConfig()
    fine_tune: FineTuneConfig = dataclasses.field(default_factory=FineTuneConfig)
    eval_k: tuple[int, ...] = (1, 2, 5, 10)  # hit@k cut-offs
    conse_top: int = 10  # ConSE baseline: average the vectors of the classifier's top-T classes
    method: Method = "blend"  # image -> labels: devise (the head) | conse (the classifier) | blend (both)
    calibration_holdout: tuple[str, ...] = ("shirt", "pullover")  # training classes an auxiliary head leaves out
    # to tune the calibrated-stacking margins on validation images; () = no calibration
    hubness_k: int = 10  # text -> images ranks by CSLS with each image's mean cosine to its k nearest label vectors
    # (hubness reduction, devise/index/hubness.py; won on held-out training stamps: docs/devise-e5.md); 0 = cosine
    gallery_conse: float = 0.0  # gallery (index) embeddings = the head's unit vector + w x the classifier's ConSE
    # vector, renormalised; 0 = the head's alone (configs/devise.yaml: 0.5, chosen on held-out training stamps)

    def __post_init__(self) -> None:
        if not 0.0 <= self.distill <= 1.0:
            raise ConfigError(f"Invalid devise.distill {self.distill}: must be in [0, 1].")
        if self.batch_size < 2:
            raise ConfigError(f"Invalid devise.batch_size {self.batch_size}: must be >= 2 (BatchNorm).")
        if not self.eval_k or min(self.eval_k) < 1:
            raise ConfigError(f"Invalid devise.eval_k {list(self.eval_k)}: expected positive integers.")
        if self.conse_top < 1 or self.distill_top < 1:
            raise ConfigError("Invalid devise.conse_top / devise.distill_top: must be >= 1.")
        if self.method not in METHODS:
            raise ConfigError(f"Invalid devise.method {choices_hint(self.method, METHODS)}")
        if self.gallery_conse < 0:
            raise ConfigError(f"Invalid devise.gallery_conse {self.gallery_conse}: must be >= 0 (0 = the head only).")
        if self.hubness_k < 0:
            raise ConfigError(f"Invalid devise.hubness_k {self.hubness_k}: must be >= 0 (0 = plain cosine).")
        if self.data.distill_views < 1:
            raise ConfigError(f"Invalid devise.data.distill_views {self.data.distill_views}: must be >= 1.")
        if not 0.0 <= self.head.dropout < 1.0:
            raise ConfigError(f"Invalid devise.head.dropout {self.head.dropout}: must be in [0, 1).")
