"""Learning-rate and momentum schedules as plain functions of training progress, applied per optimiser step.

A schedule is `fn(pos) -> multiplier`, pos in [0, 1] the fraction of steps done; the multiplier scales each
parameter group's peak LR (so per-group LRs keep their ratios). A momentum schedule is `fn(pos) -> beta1`.
`StepScheduler` applies both to an optimiser at a given step; its whole state is the step number, so resuming
from a checkpoint restores the exact schedule position.
"""

import math
from typing import Callable

import torch

from wordbridge.train.config import TrainConfig

ScheduleFn = Callable[[float], float]


def cos_anneal(start: float, end: float, pos: float) -> float:
    """Cosine from `start` (pos=0) to `end` (pos=1)."""
    return end + (start - end) / 2 * (1 + math.cos(math.pi * pos))


def lin_anneal(start: float, end: float, pos: float) -> float:
    """Straight line from `start` (pos=0) to `end` (pos=1)."""
    return start + (end - start) * pos


def combine(pct: float, first: ScheduleFn, second: ScheduleFn) -> ScheduleFn:
    """`first` over [0, pct) then `second` over [pct, 1], each seeing its own local position in [0, 1]."""

    def fn(pos: float) -> float:
        if pos < pct:
            return first(pos / pct)
        return second(min((pos - pct) / (1 - pct), 1.0))

    return fn


def one_cycle(pct_start: float = 0.25, div: float = 25.0, final_div: float = 1e4) -> ScheduleFn:
    """Standard one-cycle: cosine warm-up lr/div -> lr over pct_start, then cosine down to lr/final_div."""
    return combine(
        pct_start,
        lambda p: cos_anneal(1 / div, 1.0, p),
        lambda p: cos_anneal(1.0, 1 / final_div, p),
    )


def cyclical(div: float = 20.0, cut_div: float = 10.0) -> ScheduleFn:
    """The lesson's `use_clr=(div, cut_div)`: linear rise lr/div -> lr over 1/cut_div of the run, linear fall back."""
    return combine(
        1 / cut_div,
        lambda p: lin_anneal(1 / div, 1.0, p),
        lambda p: lin_anneal(1.0, 1 / div, p),
    )


def constant() -> ScheduleFn:
    return lambda pos: 1.0


def momentum_cycle(pct_start: float, high: float = 0.95, low: float = 0.85, linear: bool = False) -> ScheduleFn:
    """beta1 moving opposite the LR: high -> low while the LR rises, low -> high while it falls."""
    anneal = lin_anneal if linear else cos_anneal
    return combine(pct_start, lambda p: anneal(high, low, p), lambda p: anneal(low, high, p))


def exponential(start: float, end: float) -> ScheduleFn:
    """start * (end/start)**pos: the LR finder's sweep (absolute values, not multipliers)."""
    ratio = end / start
    return lambda pos: start * ratio**pos


def from_config(cfg: TrainConfig) -> tuple[ScheduleFn, ScheduleFn | None]:
    """(lr multiplier schedule, beta1 schedule or None) named by cfg.schedule."""
    if cfg.schedule == "one_cycle":
        lr_fn, pct, linear = one_cycle(cfg.pct_start, cfg.div, cfg.final_div), cfg.pct_start, False
    elif cfg.schedule == "clr":
        lr_fn, pct, linear = cyclical(*cfg.clr), 1 / cfg.clr[1], True
    else:
        return constant(), None
    mom_fn = momentum_cycle(pct, cfg.moms[0], cfg.moms[1], linear) if cfg.moms else None
    return lr_fn, mom_fn


class StepScheduler:
    """Sets every group's lr (peak * lr_fn(pos)) and beta1 (mom_fn(pos)) for step `step` of `total_steps`.

    The peak LR of each group is read once from group["lr"] at construction and kept in group["peak_lr"].
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        total_steps: int,
        lr_fn: ScheduleFn,
        mom_fn: ScheduleFn | None = None,
    ) -> None:
        self.optimizer = optimizer
        self.total_steps = max(int(total_steps), 1)
        self.lr_fn, self.mom_fn = lr_fn, mom_fn
        for group in optimizer.param_groups:
            group.setdefault("peak_lr", group["lr"])
        self.step_num, self.pos = 0, 0.0

    def set_step(self, step: int, min_pos: float | None = None) -> None:
        """Apply the schedule's values for optimiser step `step` (0-based: the step about to be taken).

        `min_pos` (e.g. the fraction of a wall-clock budget used) moves the position further when it is ahead.
        """
        self.step_num = step
        pos = min(step / self.total_steps, 1.0)
        if min_pos is not None and min_pos > pos:
            pos = min(min_pos, 1.0)
        self.pos = pos
        mult = self.lr_fn(pos)
        beta1 = self.mom_fn(pos) if self.mom_fn is not None else None
        for group in self.optimizer.param_groups:
            group["lr"] = group["peak_lr"] * mult
            if beta1 is not None and "betas" in group:
                group["betas"] = (beta1, group["betas"][1])

    @property
    def lr(self) -> float:
        """Current LR of the first parameter group."""
        return self.optimizer.param_groups[0]["lr"]

    def state_dict(self) -> dict:
        return {"step": self.step_num, "total_steps": self.total_steps, "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        self.set_step(int(state["step"]))
