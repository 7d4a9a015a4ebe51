"""LR range test (Leslie Smith / fastai): sweep the LR exponentially, watch the smoothed loss, restore everything.

    result = lr_find(model, batch_loss, train_dl, TrainConfig(betas=(0.8, 0.99)), png="run/lr_find.png")
    print(result.suggestion)   # steepest descent of the smoothed loss (result.min_div10 = LR at min loss / 10)

The model's weights, the optimiser's state and the RNG states are exactly as before the call afterwards (the sweep
works on the same objects, then loads deep copies back). An optimiser passed in is swept and restored too.
"""

import copy
import dataclasses
import logging
import math
from pathlib import Path
from typing import Any, Iterable

import torch

from wordbridge import progress
from wordbridge.errors import DataError
from wordbridge.train.checkpoint import capture_rng, restore_rng
from wordbridge.train.config import TrainConfig
from wordbridge.train.device import to_device
from wordbridge.train.optim import ParamsLike, adam, clip_grad_norm, param_groups
from wordbridge.train.plots import plot_lr_find
from wordbridge.train.precision import resolve_precision
from wordbridge.train.schedule import exponential

log = logging.getLogger(__name__)


@dataclasses.dataclass
class LRFindResult:
    lrs: list[float]
    losses: list[float]  # smoothed (bias-corrected exponential moving average)
    suggestion: float  # LR of the steepest descent of the smoothed loss
    min_div10: float  # LR at the minimum smoothed loss / 10
    diverged: bool  # stopped early because the smoothed loss exceeded div_threshold x its minimum
    png: Path | None


def suggest(lrs: list[float], losses: list[float]) -> tuple[float, float]:
    """(steepest descent, min/10). Steepest = most negative d loss / d log(lr), ignoring the unstable ends."""
    if not lrs:
        raise DataError("The LR finder recorded no losses (is the training data empty?).")
    i_min = min(range(len(losses)), key=losses.__getitem__)
    min_div10 = lrs[i_min] / 10
    if len(lrs) < 5:
        return min_div10, min_div10
    skip_start, skip_end = max(1, len(lrs) // 10), 1
    span = range(skip_start, max(skip_start + 1, min(len(lrs) - skip_end, i_min + 1)))
    slopes = {i: (losses[i + 1] - losses[i - 1]) / (math.log(lrs[i + 1]) - math.log(lrs[i - 1]))
              for i in span if 0 < i < len(lrs) - 1}
    if not slopes:
        return min_div10, min_div10
    steepest = min(slopes, key=slopes.__getitem__)
    return lrs[steepest], min_div10


def _cycle(data: Iterable):
    """Batches of `data` again and again (DataError when it is empty)."""
    while True:
        empty = True
        for batch in data:
            empty = False
            yield batch
        if empty:
            raise DataError("The LR finder got no training batches (is the training data empty?).")


def _sweep(model, batch_loss, batches, optimizer, cfg, device, start_lr, end_lr, num_steps, beta, div_threshold):
    """Run the sweep on `optimizer`; returns (lrs, smoothed losses, diverged)."""
    precision = resolve_precision(cfg.precision, device)
    scaler = precision.scaler()
    peaks = [g["lr"] for g in optimizer.param_groups]
    top = max(peaks)
    lr_at = exponential(start_lr, end_lr)
    lrs, losses, avg, best, diverged = [], [], 0.0, math.inf, False
    params = [p for g in optimizer.param_groups for p in g["params"]]
    model.train()
    for i in progress.bar(range(num_steps), desc="lr find", leave=False):
        lr = lr_at(i / max(num_steps - 1, 1))
        for group, peak in zip(optimizer.param_groups, peaks):
            group["lr"] = lr * peak / top  # per-group LRs keep their ratios
        batch = next(batches)
        batch = to_device(batch, device) if device.type != "cpu" else batch
        with precision.autocast():
            loss, _ = batch_loss(model, batch)
        scaler.scale(loss).backward()
        if cfg.clip_grad is not None:
            scaler.unscale_(optimizer)
            clip_grad_norm(params, cfg.clip_grad)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        value = float(loss.item())  # one sync per step is fine here: the sweep needs every value
        if not math.isfinite(value):
            diverged = True
            break
        avg = beta * avg + (1 - beta) * value
        smoothed = avg / (1 - beta ** (i + 1))
        lrs.append(lr)
        losses.append(smoothed)
        best = min(best, smoothed)
        if i > 0 and smoothed > div_threshold * best:
            diverged = True
            break
    return lrs, losses, diverged


def lr_find(
    model: torch.nn.Module,
    batch_loss: Any,
    train_data: Iterable,
    cfg: TrainConfig = TrainConfig(),
    *,
    optimizer: torch.optim.Optimizer | None = None,
    params: ParamsLike | None = None,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    beta: float = 0.98,
    div_threshold: float = 4.0,
    png: str | Path | None = None,
) -> LRFindResult:
    """Exponential LR sweep start_lr -> end_lr over num_steps batches (cycling the data if needed).

    Stops when the smoothed loss exceeds div_threshold x its minimum (or is not finite). Restores the model, the
    optimiser and the RNG states exactly; writes a log-x PNG when `png` is given.
    """
    if not (0 < start_lr < end_lr) or num_steps < 2:
        raise DataError(f"Invalid LR sweep {start_lr:g} -> {end_lr:g} over {num_steps} steps.")
    device = next(model.parameters()).device
    if optimizer is None:
        optimizer = adam(param_groups(model, params, cfg), cfg)
    saved_model = copy.deepcopy(model.state_dict())
    saved_opt = copy.deepcopy(optimizer.state_dict())
    saved_rng = capture_rng()
    was_training = model.training
    batches = _cycle(train_data)
    try:
        lrs, losses, diverged = _sweep(model, batch_loss, batches, optimizer, cfg, device, start_lr, end_lr,
                                       num_steps, beta, div_threshold)
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_opt)
        optimizer.zero_grad(set_to_none=True)
        restore_rng(saved_rng)
        model.train(was_training)
    steepest, min_div10 = suggest(lrs, losses)
    path = plot_lr_find(lrs, losses, png, steepest, min_div10 * 10) if png is not None else None
    log.info("lr find: %d steps%s; suggestion %.2e (steepest), min/10 %.2e", len(lrs),
             " (stopped: loss diverged)" if diverged else "", steepest, min_div10)
    return LRFindResult(lrs, losses, steepest, min_div10, diverged, path)
