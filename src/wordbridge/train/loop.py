"""The model-agnostic training loop. It knows nothing about models: a task hands it

    model        any nn.Module (moved to the device here; wrapped in DistributedDataParallel under torchrun)
    batch_loss   fn(model, batch) -> (loss, n_items): loss = MEAN over the batch's n_items (e.g. target tokens);
                 n_items (int or 0-d tensor) weights averages and gives items/s. Call model(...) (forward) inside,
                 so DDP can sync gradients. The batch arrives already moved to the device.
    train_data   iterable of batches with len() (a DataLoader); its sampler/batch_sampler's set_epoch(e) is called
                 each epoch (shuffle seed = seed + e) which also makes mid-epoch resume exact
    valid_data   iterable of batches for the default validation (masked mean loss via batch_loss), or None
    validate     optional fn(model) -> dict of metrics (replaces the default; run on rank 0 only, in eval mode)
    params       optional optimiser parameter groups: [{"params": [...], "lr": 1e-4 | "lr_mult": 0.1}, ...]
    make_optimizer  optional fn(groups, cfg) -> Optimizer (default optim.adam: AdamW, cfg.betas, fused)
    hooks        objects with before_fit / before_epoch / before_batch / after_loss / after_batch / after_validate /
                 after_epoch / after_fit(trainer) methods (train.hooks.Hook, FunctionHook)
    cfg          train.config.TrainConfig (epochs / max_steps / max_minutes, lr, schedule, precision, ...)
    run_dir      folder for latest.pt, best.pt, history.json, loss.png (None: nothing written)
    kind, model_args, config   stored in checkpoints (kind tag, model constructor args, resolved config dict)
    clock        the monotonic clock for the time budget and items/s (default time.monotonic; tests move it)

    result = fit(model, batch_loss, train_dl, valid_dl, cfg, run_dir=run, kind="translate", model_args=...,
                 hooks=[TeacherForcingHook()], resume=args.resume)

`result` (FitResult) has step, epoch, stop_reason ("epochs", "max_steps", "time", "early_stop", "interrupted",
"diverged" or what a hook set), best ({"metric", "value", "step"}), metrics (last validation) and history.
Validation runs after every epoch (and every cfg.valid_every steps) and at the end; best.pt (weights, model args,
config; no optimiser) is written when cfg.metric improves, latest.pt (everything resume needs) at every validation,
at the end and at least every cfg.checkpoint_minutes in between, both atomically. A first Ctrl-C (SIGINT) or
SIGTERM stops after the current step and saves latest.pt; a second Ctrl-C aborts at once. `resume=True` reloads
run_dir/latest.pt: weights, optimiser, scaler, step, epoch, position inside the epoch, schedule, RNG, best value.
Hooks may read trainer.model, .optimizer, .scheduler, .epoch, .step, .batch, .loss, .n_items, .metrics, .device,
.dist (DistInfo), .is_main and set trainer.stop_reason. Only rank 0 logs, validates and writes files.

The loop owns the order of epochs, steps, validations and hooks; its parts live beside it: optim.OptimizerStep
(backward, scaling, clipping), meter.LossMeter (loss, items/s), best.BestTracker (best, patience), budget.TimeBudget
(max_minutes), evaluate.evaluate_loss (default validation, re-exported here), signals (Ctrl-C).
"""

import dataclasses
import itertools
import logging
import math
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import torch
from tqdm.auto import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from wordbridge.config import to_dict
from wordbridge.errors import ConfigError, DataError
from wordbridge.train import distributed as D
from wordbridge.train.best import BestTracker
from wordbridge.train.budget import Cadence, TimeBudget
from wordbridge.train.checkpoint import load_training_state, restore_rng
from wordbridge.train.config import TrainConfig
from wordbridge.train.device import configure_threads, set_seed, to_device
from wordbridge.train.evaluate import evaluate_loss, run_validation
from wordbridge.train.hooks import bind
from wordbridge.train.memory import keep_memory_flat
from wordbridge.train.meter import LossMeter
from wordbridge.train.optim import OptimizerFactory, OptimizerStep, ParamsLike, adam, param_groups
from wordbridge.train.precision import resolve_precision
from wordbridge.train.runstate import RunFiles
from wordbridge.train.schedule import StepScheduler, from_config
from wordbridge.train.signals import Interrupts, graceful_stop

__all__ = ["BatchLoss", "FitResult", "Trainer", "evaluate_loss", "fit"]

log = logging.getLogger(__name__)

BatchLoss = Callable[[torch.nn.Module, Any], tuple[torch.Tensor, Any]]


@dataclasses.dataclass
class FitResult:
    step: int
    epoch: int
    stop_reason: str
    best: dict | None
    metrics: dict
    history: dict
    run_dir: Path | None


def _length(data: Iterable) -> int | None:
    try:
        return len(data)  # type: ignore[arg-type]
    except TypeError:  # an iterable (or a DataLoader over an IterableDataset) without a length
        return None


class Trainer:
    """One training run; see the module docstring. Create, then call .fit(resume=...)."""

    def __init__(self, model: torch.nn.Module, batch_loss: BatchLoss, train_data: Iterable,
                 valid_data: Iterable | None = None, cfg: TrainConfig = TrainConfig(), *,
                 run_dir: str | Path | None = None, params: ParamsLike | None = None,
                 make_optimizer: OptimizerFactory | None = None, hooks: Sequence[Any] = (),
                 validate: Callable[[torch.nn.Module], dict] | None = None, kind: str = "model",
                 model_args: dict | None = None, config: dict | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg, self.batch_loss, self.kind = cfg, batch_loss, kind
        self.train_data, self.valid_data, self.validate_fn = train_data, valid_data, validate
        self.dist = D.init_from_env(cfg.device)
        self.is_main = self.dist.is_main
        self.device = D.device_for(self.dist, cfg.device)
        configure_threads(cfg.threads)
        if self.device.type == "cpu":
            keep_memory_flat()  # train/memory.py: RSS stays flat over long CPU runs
        self.precision = resolve_precision(cfg.precision, self.device)
        self.model = model.to(self.device)
        self.train_model = D.wrap_model(self.model, self.dist, self.device, cfg.ddp_find_unused)
        if cfg.compile:
            self.train_model = torch.compile(self.train_model)
        self.optimizer = (make_optimizer or adam)(param_groups(self.model, params, cfg), cfg)
        self.update = OptimizerStep(self.optimizer, self.precision.scaler(), cfg.clip_grad)
        self.steps_per_epoch = _length(train_data)
        if cfg.max_steps is None and self.steps_per_epoch is None:
            raise ConfigError("train.max_steps must be set when the training data has no length.")
        if self.steps_per_epoch == 0:
            raise DataError("The training data gives no batches (too few examples for one batch per process?).")
        self.total_steps = cfg.max_steps or cfg.epochs * self.steps_per_epoch
        self.scheduler = StepScheduler(self.optimizer, self.total_steps, *from_config(cfg))
        self.files = (RunFiles(run_dir, cfg.metric, kind, model_args, config or {"train": to_dict(cfg)},
                               cfg.keep_checkpoints) if run_dir is not None and self.is_main else None)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self._fns = bind(list(hooks))
        self.step = self.epoch = self.batch_in_epoch = 0
        self.batch = self.loss = self.n_items = None
        self.metrics: dict = {}
        self.stop_reason: str | None = None
        self.history: dict = {"train": [], "valid": []}
        self.tracker = BestTracker(cfg.metric, cfg.metric_mode, cfg.patience)
        self.budget = TimeBudget(cfg.max_minutes, cfg.schedule_time, clock)
        self.cadence = Cadence(cfg.checkpoint_minutes, clock)  # latest.pt on a clock, independent of validation
        self.meter = LossMeter(clock, self.dist.world_size)
        self.interrupts = Interrupts(self.is_main)
        self._pending_rng: dict | None = None  # restored once the epoch's iterator exists (resume)
        self._last_valid_step = -1
        self._bar: tqdm | None = None

    def _call(self, event: str) -> None:
        for fn in self._fns[event]:
            fn(self)

    def fit(self, resume: bool = False) -> FitResult:
        if resume:
            self._resume()
        else:
            set_seed(self.cfg.seed + self.dist.rank)
        self.budget.restart()
        self.cadence.reset()
        self.interrupts.count = 0
        with graceful_stop(self.interrupts), logging_redirect_tqdm():
            self._call("before_fit")
            self._log_start()
            while self.stop_reason is None:
                if self.step >= self.total_steps or (self.cfg.max_steps is None and self.epoch >= self.cfg.epochs):
                    self.stop_reason = "max_steps" if self.cfg.max_steps else "epochs"
                    break
                self._run_epoch()
            self._finish()
        return FitResult(self.step, self.epoch, self.stop_reason or "epochs", self.tracker.best, self.metrics,
                         self.history, self.run_dir)

    def _log_start(self) -> None:
        if self.is_main:
            n_params = sum(p.numel() for p in self.update.params)
            log.info("training %s: %s params, %d steps (%s/epoch), device %s, %s, %d process(es)%s",
                     self.kind, f"{n_params:,}", self.total_steps, self.steps_per_epoch, self.device,
                     self.precision.name, self.dist.world_size, f", from step {self.step}" if self.step else "")

    def _run_epoch(self) -> None:
        D.set_epoch(self.train_data, self.epoch)
        self._call("before_epoch")
        self.model.train()
        batches = iter(self.train_data)
        if self.batch_in_epoch:  # resumed mid-epoch: the sampler replays the epoch's order; skip what was done
            batches = itertools.islice(batches, self.batch_in_epoch, None)
        if self._pending_rng is not None:
            restore_rng(self._pending_rng)
            self._pending_rng = None
        bar = self._bar = tqdm(total=self.steps_per_epoch, initial=self.batch_in_epoch, leave=False,
                               desc=f"epoch {self.epoch + 1}", disable=not self.is_main, dynamic_ncols=True)
        self.meter.restart()
        exhausted, start_step = True, self.step
        for batch in batches:
            self._train_step(batch)
            bar.update(1)
            self._check_stop()
            if self.cfg.valid_every and self.step % self.cfg.valid_every == 0 and self.stop_reason is None:
                self._validate()
            elif self.cadence.due() and self.stop_reason is None:
                self._save("latest.pt")  # a kill -9 or a power cut loses at most checkpoint_minutes of training
            if self.stop_reason is None and self.step >= self.total_steps:
                self.stop_reason = "max_steps" if self.cfg.max_steps else "epochs"
            if self.stop_reason is not None:
                exhausted = self.steps_per_epoch is not None and self.batch_in_epoch >= self.steps_per_epoch
                break
        bar.close()
        if self.step == start_step and self.stop_reason is None:
            raise DataError("The training data gave no batches this epoch.")
        if exhausted:
            self.epoch += 1
            self.batch_in_epoch = 0
            if self._last_valid_step != self.step and self.stop_reason not in ("interrupted", "diverged"):
                self._validate()
            self._call("after_epoch")

    def _train_step(self, batch: Any) -> None:
        self.batch = to_device(batch, self.device) if self.device.type != "cpu" else batch
        self._call("before_batch")
        elapsed = self.budget.synced if self.dist.enabled else self.budget.elapsed()
        self.scheduler.set_step(self.step, self.budget.schedule_pos(elapsed))
        with self.precision.autocast():
            self.loss, self.n_items = self.batch_loss(self.train_model, self.batch)
        self._call("after_loss")
        self.update(self.loss)
        self.step += 1
        self.batch_in_epoch += 1
        self.meter.add(self.loss, self.n_items)  # on the device; read every log_every steps
        self._call("after_batch")

    def _check_stop(self) -> None:
        """Log every log_every steps; agree on stopping (Ctrl-C, time budget, divergence) across ranks.

        Single process: checked every step (no sync). DDP: every 10 steps and at log points (one tiny all_reduce).
        """
        log_now = self.step % self.cfg.log_every == 0 or self.step >= self.total_steps
        if log_now:
            self._log_window()
        if self.dist.enabled and not (log_now or self.step % 10 == 0):
            return
        elapsed = self.budget.elapsed()
        over_time = self.budget.over(elapsed)
        local = self.interrupts.count > 0 or over_time or self.stop_reason == "diverged"
        stop, self.budget.synced = D.sync_stop_and_time(local, elapsed, self.dist)
        if stop and self.stop_reason is None:
            self.stop_reason = "interrupted" if self.interrupts.count else "time" if over_time else "diverged"
            if not log_now:
                self._log_window()

    def _log_window(self) -> None:
        if self.meter.empty:
            return
        loss, rate = self.meter.read()  # the loop's one host sync per log_every steps
        if not math.isfinite(loss):
            log.error("training diverged at step %d (loss %s): lower train.lr or set train.clip_grad", self.step, loss)
            self.stop_reason = "diverged"
        record = {"step": self.step, "epoch": self.epoch, "loss": loss, "lr": self.scheduler.lr,
                  "items_per_s": round(rate, 1)}
        if self.update.grad_norm is not None:
            record["grad_norm"] = float(self.update.grad_norm)
        self.history["train"].append(record)
        if self._bar is not None:
            self._bar.set_postfix(loss=f"{loss:.3f}", lr=f"{self.scheduler.lr:.1e}", tok_s=f"{rate:,.0f}",
                                  refresh=False)

    # ------------------------------------------------------------ validation
    def _validate(self) -> None:
        metrics = None
        started = self.budget.clock()
        self._log_window()  # the train loss of the record below covers the steps up to now
        if self.is_main:
            metrics = run_validation(self.model, self.validate_fn, self.batch_loss, self.valid_data, self.device,
                                     self.precision.autocast)
            metrics["valid_s"] = round(self.budget.clock() - started, 3)
        self.metrics = D.broadcast_object(metrics, self.dist)
        self._last_valid_step = self.step
        train = self.history["train"][-1]["loss"] if self.history["train"] else None
        record = {"step": self.step, "epoch": self.epoch, "train_loss": train,
                  "elapsed_s": round(self.budget.elapsed(), 1), **self.metrics}
        self.history["valid"].append(record)
        self._update_best()
        self._call("after_validate")
        if self.is_main:
            shown = ", ".join(f"{k} {v:.4g}" for k, v in self.metrics.items()
                              if isinstance(v, float) and k not in BestTracker.IGNORED)
            log.info("step %d (epoch %d): train loss %s, valid %s", self.step, self.epoch,
                     f"{train:.4f}" if train is not None else "-", shown or "-")
        self._save("latest.pt")
        self.meter.skip_time(self.budget.clock() - started)  # items/s counts training time only

    def _update_best(self) -> None:
        if self.tracker.missing(self.metrics):
            self._save("latest.pt")
            raise ConfigError(f"Invalid train.metric '{self.cfg.metric}': validation reports "
                              f"{', '.join(sorted(self.metrics))}. latest.pt is saved: fix it and --resume.")
        if self.tracker.update(self.metrics, self.step, self.epoch):
            self._save("best.pt")
        elif self.tracker.out_of_patience and self.stop_reason is None:
            self.stop_reason = "early_stop"
            if self.is_main:
                log.info("early stopping: %s has not improved for %d validations", self.cfg.metric, self.cfg.patience)

    # ---------------------------------------------------------- checkpoints
    def _save(self, name: str) -> None:
        """latest.pt: everything resume needs; best.pt: the weights (+ model args, config, position, best value)."""
        if self.files is None or self.stop_reason == "diverged":  # never overwrite good weights with NaNs
            return
        state = dict(model=self.model, step=self.step, epoch=self.epoch, best=self.tracker.best, rng=False)
        if name == "latest.pt":
            state.update(optimizer=self.optimizer, scaler=self.update.scaler, batch_in_epoch=self.batch_in_epoch,
                         schedule=self.scheduler.state_dict(), rng=True, extra={
                             "bad_validations": self.tracker.bad_validations, "time_pos": self.scheduler.pos})
            self.cadence.reset()
        self.files.save(name, self.history, **state)

    def _resume(self) -> None:
        if self.run_dir is None:
            raise ConfigError("resume needs a run folder (run_dir).")
        path = self.run_dir / "latest.pt"
        # rank 0 reads (only it has self.files); other machines need no copy of the run folder
        ckpt = D.main_first(self.files.read_latest if self.files is not None else dict, self.dist)
        load_training_state(ckpt, path, self.model, self.optimizer, self.update.scaler)
        self.step, self.epoch, self.batch_in_epoch = ckpt["step"], ckpt["epoch"], ckpt.get("batch_in_epoch", 0)
        extra = ckpt.get("extra") or {}
        self.tracker.restore(ckpt.get("best"), extra.get("bad_validations", 0))
        self.budget.pos0 = float(extra.get("time_pos", 0.0)) if self.cfg.max_minutes else 0.0
        self.scheduler.set_step(self.step, self.budget.pos0 or None)
        # RNG states are restored once the epoch's iterator exists (creating a DataLoader iterator draws a seed)
        self._pending_rng = ckpt.get("rng") if self.dist.is_main else None
        if self._pending_rng is None:
            set_seed(self.cfg.seed + self.dist.rank + self.step)
        if self.files is not None:
            self.history = self.files.load_history(self.step)
            self.files.saved_step = self.step
        self._last_valid_step = self.step
        if self.is_main:
            log.info("resumed from %s: step %d, epoch %d (+%d batches), lr %.3g", path, self.step, self.epoch,
                     self.batch_in_epoch, self.scheduler.lr)

    def _finish(self) -> None:
        if self.stop_reason not in ("interrupted", "diverged") and self._last_valid_step != self.step:
            self._validate()
        if self.stop_reason != "diverged" and self.files is not None and self.files.saved_step != self.step:
            self._save("latest.pt")
        self._call("after_fit")
        if self.is_main:
            b = self.tracker.best
            best = b and f", best {b['metric']} {b['value']:.4g} at step {b['step']}"
            where = f"; checkpoints in {self.run_dir}" if self.files is not None else ""
            log.info("stopped (%s) at step %d, epoch %d%s%s", self.stop_reason, self.step, self.epoch, best or "", where)


def fit(model: torch.nn.Module, batch_loss: BatchLoss, train_data: Iterable, valid_data: Iterable | None = None,
        cfg: TrainConfig = TrainConfig(), *, resume: bool = False, **kwargs: Any) -> FitResult:
    """Trainer(model, batch_loss, train_data, valid_data, cfg, **kwargs).fit(resume): see the module docstring."""
    return Trainer(model, batch_loss, train_data, valid_data, cfg, **kwargs).fit(resume=resume)
