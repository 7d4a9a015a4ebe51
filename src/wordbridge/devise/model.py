"""The DeViSE head (the lesson's custom head) and the cosine loss.

Backbone features (average- and max-pooled, concatenated) are regressed onto the word vector of the image's label:
    concat(avg, max) -> BN -> dropout -> Linear(hidden) -> ReLU -> BN -> dropout -> Linear(word-vector dim)
trained with 1 - cos(prediction, target), so only the direction of the output matters.

`DeviseNet` wraps a backbone (with `forward_features`, `layer_groups`) and the head for fine-tuning with the backbone
in the loop (the lesson's precompute=False); `param_groups` gives smaller learning rates to earlier layer groups.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


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


def concat_pool(feature_map: torch.Tensor) -> torch.Tensor:
    """(batch, C, H, W) -> (batch, 2*C): average-pooled then max-pooled channels, as the lesson's AdaptiveConcatPool."""
    avg = feature_map.mean(dim=(2, 3))  # (batch, C)
    mx = feature_map.amax(dim=(2, 3))  # (batch, C)
    return torch.cat([avg, mx], dim=1)


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
