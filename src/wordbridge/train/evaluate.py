"""The default validation: the item-weighted mean of a task's batch loss over a data set."""

import contextlib
import math
from typing import Any, Callable, Iterable

import torch

from wordbridge.train.device import to_device


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


def run_validation(model: torch.nn.Module, validate: Callable[[torch.nn.Module], dict] | None,
                   batch_loss: Callable[[torch.nn.Module, Any], tuple[torch.Tensor, Any]], data: Iterable | None,
                   device: torch.device, autocast: Callable[[], Any] | None = None) -> dict:
    """A task's `validate(model)` in eval mode without gradients, else evaluate_loss over `data`, else {}."""
    if validate is not None:
        model.eval()
        with torch.no_grad():
            metrics = dict(validate(model))
        model.train()
        return metrics
    if data is not None:
        return evaluate_loss(model, batch_loss, data, device, autocast)
    return {}
