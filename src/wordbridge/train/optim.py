"""Runtime pieces shared by the loop and the LR finder: seeds, optimiser, precision, moving batches to a device."""

import contextlib
import dataclasses
import logging
import math
import random
import signal
import threading
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch

from wordbridge.errors import ConfigError
from wordbridge.train.config import TrainConfig

log = logging.getLogger(__name__)

ParamsLike = Iterable[torch.nn.Parameter] | list[dict[str, Any]]
OptimizerFactory = Callable[[list[dict[str, Any]], TrainConfig], torch.optim.Optimizer]


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


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


@dataclasses.dataclass(frozen=True)
class Precision:
    """Autocast dtype (None = fp32) and whether a GradScaler is needed (fp16 only)."""

    dtype: torch.dtype | None
    device_type: str

    @property
    def name(self) -> str:
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]

    @property
    def needs_scaler(self) -> bool:
        return self.dtype is torch.float16

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def scaler(self):
        return torch.amp.GradScaler(self.device_type, enabled=self.needs_scaler)


def resolve_precision(choice: str, device: torch.device) -> Precision:
    """auto -> fp16 autocast on CUDA (bf16 where supported is left to an explicit choice), fp32 on CPU."""
    if choice == "auto":
        choice = "fp16" if device.type == "cuda" else "fp32"
    if choice == "fp16" and device.type != "cuda":
        raise ConfigError("Invalid train.precision 'fp16' on the CPU. Valid there: auto, bf16, fp32.")
    dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[choice]
    return Precision(dtype, device.type)


def to_device(batch: Any, device: torch.device) -> Any:
    """Move tensors inside tensors / (named)tuples / lists / dicts / dataclasses / objects with .to() to `device`."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(x, device) for x in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(x, device) for x in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if dataclasses.is_dataclass(batch) and not isinstance(batch, type):
        changes = {f.name: to_device(getattr(batch, f.name), device) for f in dataclasses.fields(batch) if f.init}
        return dataclasses.replace(batch, **changes)
    if hasattr(batch, "to") and callable(batch.to):
        return batch.to(device)
    return batch


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


@torch.no_grad()
def evaluate_loss(model: torch.nn.Module, batch_loss: Callable[[torch.nn.Module, Any], tuple[torch.Tensor, Any]],
                  data: Iterable, device: torch.device, autocast: Callable[[], Any] | None = None) -> dict:
    """Item-weighted mean of batch_loss over `data` in eval mode: {"loss": float, "n_items": float} (NaN if empty)."""
    was_training = model.training
    model.eval()
    total = torch.zeros((), dtype=torch.float64, device=device)
    count: Any = 0.0
    for batch in data:
        batch = to_device(batch, device) if device.type != "cpu" else batch
        with autocast() if autocast else contextlib.nullcontext():
            loss, n = batch_loss(model, batch)
        total += loss.detach().double() * n  # n may be a device tensor: no host sync inside the loop
        count = count + n
    model.train(was_training)
    count = float(count)
    if count == 0:  # no validation items: no loss (NaN), never a best checkpoint
        return {"loss": math.nan, "n_items": 0.0}
    return {"loss": float(total.item()) / count, "n_items": count}


def configure_threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(threads)
        log.debug("torch threads: %d", threads)


@contextlib.contextmanager
def graceful_stop(on_signal: Callable[[], None]) -> Iterator[None]:
    """Route SIGINT (Ctrl-C) and SIGTERM (sent by torchrun/schedulers) to `on_signal` while inside; restore after.

    `on_signal` typically sets a flag the loop checks after each step, and raises KeyboardInterrupt on the second
    signal. Outside the main thread (where handlers cannot be set) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda signum, frame: on_signal())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
