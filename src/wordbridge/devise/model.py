"""The DeViSE head (the lesson's custom head) and the cosine loss.

Backbone features (average- and max-pooled, concatenated) are regressed onto the word vector of the image's label:
    concat(avg, max) -> BN -> dropout -> Linear(hidden) -> ReLU -> BN -> dropout -> Linear(word-vector dim)
trained with 1 - cos(prediction, target), so only the direction of the output matters.

`DeviseNet` wraps a backbone (with `forward_features`, `layer_groups`) and the head for fine-tuning with the backbone
in the loop (the lesson's precompute=False); `param_groups` gives smaller learning rates to earlier layer groups.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from wordbridge.devise.backbones.base import load_backbone
from wordbridge.devise.backbones.features import concat_pool
from wordbridge.devise.backbones.images import eval_transform
from wordbridge.devise.methods import conse_vectors
from wordbridge.errors import CheckpointError
from wordbridge.text.vectors import l2_normalize
from wordbridge.train.checkpoint import load_checkpoint, load_model_state


class DeviseHead(nn.Module):
    """Pooled features (batch, in_features) -> embedding (batch, out_dim) in word-vector space."""

    def __init__(self, in_features: int, out_dim: int = 300, hidden: int = 1024, dropout: float = 0.2):
        super().__init__()
        self.in_features, self.out_dim, self.hidden, self.dropout = in_features, out_dim, hidden, dropout
        self.layers = nn.Sequential(
            nn.BatchNorm1d(in_features),
            nn.Dropout(dropout),
            nn.Linear(in_features, hidden),
            nn.ReLU(inplace=True),
            nn.BatchNorm1d(hidden),
            nn.Dropout(dropout),
            nn.Linear(hidden, out_dim),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        # features: (batch, in_features) -> (batch, out_dim)
        return self.layers(features)

    def model_args(self) -> dict:
        """Everything needed to rebuild the head from a checkpoint."""
        return {"in_features": self.in_features, "out_dim": self.out_dim, "hidden": self.hidden,
                "dropout": self.dropout}


def cosine_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of 1 - cos(pred, target) over the batch; pred, target: (batch, dim)."""
    return 1.0 - F.cosine_similarity(pred, target, dim=1, eps=1e-8).mean()


class DeviseNet(nn.Module):
    """Backbone + head, for fine-tuning the backbone (precompute off) or embedding raw images."""

    def __init__(self, backbone: nn.Module, head: DeviseHead):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # images: (batch, 3, H, W) -> feature map (batch, C, h, w) -> pooled (batch, 2C) -> (batch, out_dim)
        return self.head(concat_pool(self.backbone.forward_features(images)))

    def param_groups(self, lr: float, ratios: tuple[float, ...] = (1e-3, 1e-2)) -> list[dict]:
        """Optimizer groups: the backbone's layer groups get lr * ratios (earliest smallest), the head gets lr.

        With fewer ratios than backbone groups the earliest groups share the first ratio (the lesson's
        lrs = [lr/1000, lr/100, lr]).
        """
        groups = list(self.backbone.layer_groups())
        out = []
        for i, group in enumerate(groups):
            params = [p for p in _params(group) if p.requires_grad]
            ratio = ratios[max(0, len(ratios) - len(groups) + i)] if ratios else 1.0
            if params:
                out.append({"params": params, "lr": lr * ratio})
        out.append({"params": list(self.head.parameters()), "lr": lr})
        return out


def _params(group) -> list[nn.Parameter]:
    if isinstance(group, nn.Module):
        return list(group.parameters())
    return [p for m in group for p in (m.parameters() if isinstance(m, nn.Module) else [m])]


def embed_features(head: DeviseHead, features: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Eval-mode embedding of pooled features (n, in_features) -> L2-normalised (n, out_dim), without gradients."""
    was_training = head.training
    head.eval()
    outs = []
    with torch.no_grad():
        for start in range(0, len(features), batch_size):
            outs.append(F.normalize(head(features[start:start + batch_size].float()), dim=1))
    head.train(was_training)
    if not outs:
        return torch.zeros(0, head.out_dim)
    return torch.cat(outs)


# --- a trained run's model, rebuilt from its checkpoint alone -------------------------------------------------------

CHECKPOINT_NAME = "model.pt"
KIND = "devise"


def state_fingerprint(*state_dicts) -> str:
    """Short hash of tensors (names, shapes, values): identifies a trained model in index metadata."""
    h = hashlib.blake2b(digest_size=8)
    for state in state_dicts:
        for name in sorted(state or {}):
            tensor = state[name].detach().cpu().contiguous()
            h.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
            h.update(tensor.view(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return h.hexdigest()


class RunModel:
    """The head (and, on demand, the backbone) of a DeViSE run folder; embeds images or pooled features."""

    def __init__(self, run_dir: Path, head: DeviseHead, extra: dict, config: dict):
        self.run_dir, self.head, self.extra, self.config = run_dir, head.eval(), extra, config
        self.fingerprint: str = extra["fingerprint"]
        self._backbone = None
        self._fast = None
        self._transform = None

    @classmethod
    def load(cls, run_dir: str | Path) -> "RunModel":
        run_dir = Path(run_dir)
        if not run_dir.is_dir():
            raise CheckpointError(f"Run folder {run_dir} does not exist.")
        payload = load_checkpoint(run_dir / CHECKPOINT_NAME, kind=KIND)
        head = DeviseHead(**payload["model_args"])
        load_model_state(head, payload["model"], run_dir / CHECKPOINT_NAME)
        return cls(run_dir, head, payload["extra"], payload["config"])

    def check_vectors(self, fingerprint: str) -> None:
        """CheckpointError when the word vectors now loaded are not the ones the run was trained against."""
        if fingerprint != self.extra["vectors_fingerprint"]:
            raise CheckpointError(
                f"Run {self.run_dir} was trained with word vectors {self.extra['vectors_fingerprint']}, but "
                f"'{self.extra['vectors']}' now gives {fingerprint}; retrain with `wordbridge devise train`.")

    @property
    def backbone(self):
        """The backbone the features were computed with (fine-tuned weights when the run fine-tuned it)."""
        if self._backbone is None:
            backbone = load_backbone(self.extra["backbone"], self.extra.get("backbone_weights"))
            if self.extra.get("backbone_state"):
                backbone.net.load_state_dict(self.extra["backbone_state"])
            backbone.weights_id = self.extra.get("backbone_weights_id", backbone.weights_id)
            backbone.input_size = self.extra.get("image_size", backbone.input_size)
            self._backbone = backbone.eval()
        return self._backbone

    @property
    def transform(self):
        if self._transform is None:
            self._transform = eval_transform(self.backbone)
        return self._transform

    def embed_features(self, features: np.ndarray | torch.Tensor) -> np.ndarray:
        """Pooled features (n, in_features) -> L2-normalised embeddings (n, dim)."""
        return embed_features(self.head, torch.as_tensor(features)).numpy()

    def _feature_map(self, images: list) -> torch.Tensor:
        if self._fast is None:  # BatchNorm folded, channels_last: ~2x faster on CPU (backbones.for_inference)
            fold = getattr(self.backbone, "for_inference", None)
            self._fast = fold() if fold is not None else self.backbone
        batch = torch.stack([self.transform(im) for im in images])  # (n, 3, size, size)
        with torch.inference_mode():
            return self._fast.forward_features(batch.contiguous(memory_format=torch.channels_last))  # (n, C, h, w)

    def pooled_features(self, images: list) -> torch.Tensor:
        """RGB PIL images -> (n, 2C) concat-pooled backbone features."""
        return concat_pool(self._feature_map(images)).float()

    def features(self, images: list) -> tuple[np.ndarray, np.ndarray | None]:
        """RGB PIL images -> (pooled (n, 2C), ImageNet logits (n, 1000) or None without a classifier)."""
        fmap = self._feature_map(images)  # (n, C, h, w)
        pooled = concat_pool(fmap).float().numpy()
        if not getattr(self.backbone, "has_classifier", False):
            return pooled, None
        with torch.inference_mode():
            return pooled, self._fast.classify_features(fmap).float().numpy()

    def embed_images(self, images: list) -> np.ndarray:
        """RGB PIL images -> L2-normalised embeddings (n, dim)."""
        return self.embed_features(self.pooled_features(images))

    # --- gallery embeddings (what `devise index` stores and text queries search)
    @property
    def settings(self) -> dict:
        """The run's `devise` config section as saved ({} for a run saved without one)."""
        return (self.config or {}).get("devise") or {}

    @property
    def gallery_conse(self) -> float:
        """Weight w of the classifier's ConSE vector in gallery embeddings (`devise.gallery_conse`; 0 = the head's)."""
        return float(self.settings.get("gallery_conse") or 0.0)

    @property
    def gallery_fingerprint(self) -> str:
        """Names the gallery embedding: the model's fingerprint, plus the ConSE weight when there is one (an index
        of other embeddings is refused by Gallery.load)."""
        w = self.gallery_conse
        return self.fingerprint if w <= 0 else f"{self.fingerprint}+conse{w:g}"

    def gallery_vectors(self, pooled: np.ndarray | torch.Tensor, logits: np.ndarray | None) -> np.ndarray:
        """Pooled features (n, 2C) and ImageNet logits (n, 1000) or None -> gallery embeddings (n, dim)."""
        return self.with_conse(self.embed_features(pooled), logits)

    def with_conse(self, devise: np.ndarray, logits: np.ndarray | None) -> np.ndarray:
        """The head's unit embeddings (n, dim) -> gallery embeddings: plus w times the ConSE unit vector of the
        logits, renormalised (the head's as they are when w = 0 or there are no logits)."""
        w = self.gallery_conse
        if w <= 0 or logits is None:
            return devise
        imagenet = self.extra.get("imagenet_vectors")
        if imagenet is None:
            raise CheckpointError(f"Run {self.run_dir} has devise.gallery_conse {w:g} but no ImageNet label vectors "
                                  f"in {CHECKPOINT_NAME}; retrain it with `wordbridge devise train`.")
        top = int(self.settings.get("conse_top", 10))
        conse = conse_vectors(np.asarray(logits), np.asarray(imagenet, dtype=np.float32), top)
        return l2_normalize(devise + np.float32(w) * conse).astype(np.float32)

    def embed_gallery_images(self, images: list) -> np.ndarray:
        """RGB PIL images -> gallery embeddings (n, dim) (gallery_vectors)."""
        return self.gallery_vectors(*self.features(images))
