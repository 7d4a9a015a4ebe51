"""The optimiser side of a training step: parameter groups, AdamW, gradient clipping, and one optimiser step
(backward, optional fp16 loss scaling, clipping, step, zero_grad)."""

from typing import Any, Callable, Iterable

import torch

from wordbridge.errors import ConfigError
from wordbridge.train.config import TrainConfig

ParamsLike = Iterable[torch.nn.Parameter] | list[dict[str, Any]]
OptimizerFactory = Callable[[list[dict[str, Any]], TrainConfig], torch.optim.Optimizer]


def param_groups(model: torch.nn.Module, params: ParamsLike | None, cfg: TrainConfig) -> list[dict[str, Any]]:
    """Normalise to optimiser groups with an absolute "lr": a group's "lr" wins, else cfg.lr * "lr_mult" (1)."""
    if params is None:
        params = model.parameters()
    params = list(params)
    if not params:
        raise ConfigError("The model has no trainable parameters.")
    if not isinstance(params[0], dict):
        params = [{"params": params}]
    groups = []
    for group in params:
        group = dict(group)
        group["params"] = [p for p in group["params"] if p.requires_grad]
        if "lr" not in group:
            group["lr"] = cfg.lr * float(group.get("lr_mult", 1.0))
        groups.append(group)
    return groups


def adam(groups: list[dict[str, Any]], cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW(betas, eps, decoupled weight decay); the fused kernel where torch has one, else foreach."""
    kwargs = dict(lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, weight_decay=cfg.weight_decay)
    try:
        return torch.optim.AdamW(groups, fused=True, **kwargs)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.AdamW(groups, foreach=True, **kwargs)


def clip_grad_norm(params: list[torch.nn.Parameter], max_norm: float) -> torch.Tensor:
    """Scale gradients so their global L2 norm is at most max_norm; returns the norm before clipping (no sync).

    Same maths as torch.nn.utils.clip_grad_norm_ with half its per-call Python overhead (this runs every step).
    """
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros(())
    norms = torch._foreach_norm(grads)  # one kernel for all tensors, as clip_grad_norm_(foreach=True) does
    total = torch.linalg.vector_norm(torch.stack([n.to(grads[0].device) for n in norms]))
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    torch._foreach_mul_(grads, coef)
    return total


class OptimizerStep:
    """backward -> (unscale) -> clip -> step -> zero_grad for one loss; `grad_norm` is the last norm before
    clipping (None until a step clips). The GradScaler is a no-op unless fp16 on CUDA."""

    def __init__(self, optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler, clip_grad: float | None):
        self.optimizer, self.scaler, self.clip_grad = optimizer, scaler, clip_grad
        self.params = [p for g in optimizer.param_groups for p in g["params"]]
        self.scaling = scaler.is_enabled()
        self.grad_norm: torch.Tensor | None = None

    def __call__(self, loss: torch.Tensor) -> None:
        if self.scaling:  # fp16 on CUDA
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
            self._clip()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self._clip()
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def _clip(self) -> None:
        if self.clip_grad is not None:
            self.grad_norm = clip_grad_norm(self.params, self.clip_grad)
