"""Typed configuration of the training engine (the `train:` section, or embedded in a task's own train config).

Every field has a default; `wordbridge.config.from_dict(TrainConfig, raw, "train")` builds it from YAML and rejects
unknown keys. Tasks that keep their own `train` dataclass can embed this one or build it with `TrainConfig(...)`.
"""

import dataclasses
from typing import Literal, get_args

from wordbridge.errors import ConfigError, choices_hint

Schedule = Literal["one_cycle", "clr", "constant"]
Precision = Literal["auto", "fp32", "bf16", "fp16"]
Device = Literal["auto", "cpu", "cuda"]
MetricMode = Literal["min", "max"]
SCHEDULES: tuple[str, ...] = get_args(Schedule)
PRECISIONS: tuple[str, ...] = get_args(Precision)
DEVICES: tuple[str, ...] = get_args(Device)
METRIC_MODES: tuple[str, ...] = get_args(MetricMode)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimiser, schedule, stopping rules, precision and logging of one training run."""

    # --- length: whichever limit comes first stops the run
    epochs: int = 10  # full passes over the training data
    max_steps: int | None = None  # optimiser steps; when set, it (not epochs) sets the schedule length
    max_minutes: float | None = None  # wall-clock budget: stop, validate and save when it runs out
    schedule_time: bool = True  # with max_minutes: the schedule also advances with the budget used (ends with it)
    # --- optimiser: Adam(W)
    lr: float = 3e-3  # peak learning rate (per-group LRs given by the task are scaled by the same schedule)
    betas: tuple[float, float] = (0.8, 0.99)  # the lesson: (0.8, 0.99) for NMT, (0.9, 0.99) for DeViSE
    eps: float = 1e-8
    weight_decay: float = 0.0  # decoupled (AdamW) weight decay
    clip_grad: float | None = 1.0  # max global gradient norm; null = no clipping
    # --- schedule, applied per optimiser step
    schedule: Schedule = "one_cycle"
    pct_start: float = 0.25  # one_cycle: fraction of steps spent warming up
    div: float = 25.0  # one_cycle: start lr = lr / div
    final_div: float = 1e4  # one_cycle: final lr = lr / final_div
    clr: tuple[float, float] = (20.0, 10.0)  # clr (the lesson's use_clr=(20,10)): (lr divisor, 1/fraction rising)
    moms: tuple[float, float] | None = (0.95, 0.85)  # beta1 cycled high -> low -> high opposite the lr; null = fixed
    # --- validation, checkpoints, stopping
    valid_every: int | None = None  # also validate every N steps (always at the end of each epoch)
    metric: str = "loss"  # key of the validation dict that picks best.pt
    metric_mode: MetricMode = "min"
    patience: int | None = None  # early stopping: validations without improvement before stopping
    log_every: int = 50  # steps between loss/tokens-per-s updates (the only host syncs of the loop)
    checkpoint_minutes: float | None = 10.0  # latest.pt at least this often, validation or not; null = only then
    keep_checkpoints: int = 0  # keep the weights of the last N latest.pt saves in checkpoints/ (`wordbridge average`)
    # --- hardware
    device: Device = "auto"
    precision: Precision = "auto"  # auto = fp16 autocast on CUDA, fp32 on CPU
    threads: int | None = None  # torch.set_num_threads; null = leave torch's default
    seed: int = 42
    ddp_find_unused: bool = False  # DistributedDataParallel(find_unused_parameters=...)
    compile: bool = False  # torch.compile the training forward (validation and checkpoints use the plain model)

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"Invalid train.schedule {choices_hint(self.schedule, SCHEDULES)}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"Invalid train.precision {choices_hint(self.precision, PRECISIONS)}")
        if self.device not in DEVICES:
            raise ConfigError(f"Invalid train.device {choices_hint(self.device, DEVICES)}")
        if self.metric_mode not in METRIC_MODES:
            raise ConfigError(f"Invalid train.metric_mode {choices_hint(self.metric_mode, METRIC_MODES)}")
        positive = {"lr": self.lr, "log_every": self.log_every, "div": self.div, "final_div": self.final_div}
        for name, value in positive.items():
            if value <= 0:
                raise ConfigError(f"Invalid train.{name} {value}: must be > 0.")
        for name in ("max_steps", "valid_every", "patience", "threads"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"Invalid train.{name} {value}: must be >= 1 or null.")
        if self.epochs < 1 and self.max_steps is None:
            raise ConfigError(f"Invalid train.epochs {self.epochs}: must be >= 1 (or set train.max_steps).")
        if self.keep_checkpoints < 0:
            raise ConfigError(f"Invalid train.keep_checkpoints {self.keep_checkpoints}: must be >= 0.")
        if self.checkpoint_minutes is not None and self.checkpoint_minutes <= 0:
            raise ConfigError(f"Invalid train.checkpoint_minutes {self.checkpoint_minutes}: must be > 0 or null.")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ConfigError(f"Invalid train.max_minutes {self.max_minutes}: must be > 0 or null.")
        if not 0.0 < self.pct_start < 1.0:
            raise ConfigError(f"Invalid train.pct_start {self.pct_start}: must be in (0, 1).")
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise ConfigError(f"Invalid train.betas {list(self.betas)}: expected two numbers in [0, 1).")
        if self.moms is not None and (len(self.moms) != 2 or not all(0.0 <= m < 1.0 for m in self.moms)):
            raise ConfigError(f"Invalid train.moms {list(self.moms)}: expected two numbers in [0, 1) or null.")
        if len(self.clr) != 2 or self.clr[0] < 1 or self.clr[1] <= 1:
            raise ConfigError(f"Invalid train.clr {list(self.clr)}: expected [div >= 1, cut_div > 1].")
        if self.clip_grad is not None and self.clip_grad <= 0:
            raise ConfigError(f"Invalid train.clip_grad {self.clip_grad}: must be > 0 or null.")
