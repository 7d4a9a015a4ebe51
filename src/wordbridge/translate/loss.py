"""Cross-entropy over target tokens with padding masked out, and the batch loss that training and evaluation share.

The model already returns logits only at non-pad positions, so the loss is a plain mean over real tokens. (The
lesson's seq2seq_loss averaged over every position including padding, which the model learns to predict almost
for free: those numbers are lower than a masked loss and depend on how much padding each batch had.)
"""

from typing import Callable, Protocol

import torch
from torch.nn import functional as F

from wordbridge.text.vocab import PAD


def target_tokens(tgt: torch.Tensor) -> torch.Tensor:
    """tgt: (batch, tgt_len) -> the non-pad ids in row-major order (n_tokens,), matching Seq2Seq.forward."""
    return tgt[tgt != PAD]


def masked_cross_entropy(logits: torch.Tensor, tgt: torch.Tensor, reduction: str = "mean",
                         label_smoothing: float = 0.0) -> torch.Tensor:
    """logits: (n_tokens, vocab) from the model's forward; tgt: (batch, tgt_len) padded -> mean (or sum) loss.

    label_smoothing > 0: the target is (1 - eps) one-hot + eps uniform over the vocabulary (a training loss)."""
    targets = target_tokens(tgt)  # (n_tokens,)
    if logits.size(0) != targets.size(0):
        raise ValueError(f"{logits.size(0)} logits for {targets.size(0)} target tokens")
    if logits.dtype == torch.bfloat16 and logits.device.type == "cpu":
        # bf16 logits (CPU autocast): log-softmax in bf16 is ~2x faster than autocast's fp32 upcast; the per-token
        # losses are summed in fp32 so the reported value keeps fp32-level accuracy on average.
        with torch.autocast("cpu", enabled=False):
            per_token = F.cross_entropy(logits, targets, reduction="none",
                                        label_smoothing=label_smoothing).float()  # (n_tokens,)
        return per_token.mean() if reduction == "mean" else per_token.sum() if reduction == "sum" else per_token
    return F.cross_entropy(logits.float(), targets, reduction=reduction, label_smoothing=label_smoothing)


EVAL_CHUNK = 1024  # target tokens per output-layer call when no gradient is needed (validation, evaluate)


def chunked_cross_entropy(project: Callable[[torch.Tensor], torch.Tensor], states: torch.Tensor,
                          targets: torch.Tensor, chunk: int = EVAL_CHUNK) -> torch.Tensor:
    """Summed cross-entropy of project(states) (n_tokens, vocab) against targets (n_tokens,), `chunk` tokens at a time:
    never more than (chunk, vocab) logits at once (a 128-sentence validation batch in one piece is ~0.7 GB of fp32
    logits and log-probabilities on the default vocabulary). For evaluation: no gradient flows through the chunks."""
    total = torch.zeros((), dtype=torch.float32, device=states.device)
    for start in range(0, states.size(0), chunk):
        logits = project(states[start:start + chunk]).float()  # (chunk, vocab)
        total += F.cross_entropy(logits, targets[start:start + chunk], reduction="sum")
    return total


class ForcingSchedule(Protocol):
    """What the batch loss needs of the teacher-forcing schedule (translate/training.TeacherForcingHook)."""

    def draw(self) -> float: ...  # probability of feeding reference tokens for this batch


BatchLoss = Callable[[torch.nn.Module, object], tuple[torch.Tensor, torch.Tensor]]


def make_batch_loss(forcing: ForcingSchedule | None, label_smoothing: float = 0.0) -> BatchLoss:
    """fn(model, batch) -> (masked mean loss, target tokens); teacher-forced in eval mode (validation loss).

    Label smoothing applies in training mode only: validation loss and perplexity stay the plain NLL. Without
    gradients (validation, evaluate) the output layer runs in chunks (chunked_cross_entropy)."""

    def batch_loss(model: torch.nn.Module, batch) -> tuple[torch.Tensor, torch.Tensor]:
        if not torch.is_grad_enabled():  # evaluation (teacher-forced): the output layer in chunks
            targets = target_tokens(batch.tgt)  # (n_tokens,)
            states = model.target_states(batch.src, batch.src_len, batch.tgt)  # (n_tokens, dim)
            n = targets.numel()
            return chunked_cross_entropy(model.project, states, targets) / max(n, 1), batch.tgt_len.sum()
        pr = forcing.draw() if (model.training and forcing is not None) else 1.0
        logits = model(batch.src, batch.src_len, batch.tgt, pr)  # (n_tokens, vocab)
        smoothing = label_smoothing if model.training else 0.0
        loss = masked_cross_entropy(logits, batch.tgt, label_smoothing=smoothing)
        return loss, batch.tgt_len.sum()  # 0-d tensor: no host sync on CUDA

    return batch_loss
