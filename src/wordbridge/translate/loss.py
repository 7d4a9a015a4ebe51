"""Cross-entropy over target tokens with padding masked out.

The model already returns logits only at non-pad positions, so the loss is a plain mean over real tokens. (The
lesson's seq2seq_loss averaged over every position including padding, which the model learns to predict almost
for free: those numbers are lower than a masked loss and depend on how much padding each batch had.)
"""

import torch
from torch.nn import functional as F

from wordbridge.translate.encoder import PAD


def target_tokens(tgt: torch.Tensor) -> torch.Tensor:
    """tgt: (batch, tgt_len) -> the non-pad ids in row-major order (n_tokens,), matching Seq2Seq.forward."""
    return tgt[tgt != PAD]


def masked_cross_entropy(logits: torch.Tensor, tgt: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """logits: (n_tokens, vocab) from Seq2Seq.forward; tgt: (batch, tgt_len) padded -> mean (or sum) loss."""
    targets = target_tokens(tgt)  # (n_tokens,)
    if logits.size(0) != targets.size(0):
        raise ValueError(f"{logits.size(0)} logits for {targets.size(0)} target tokens")
    return F.cross_entropy(logits.float(), targets, reduction=reduction)
