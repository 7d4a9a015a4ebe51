"""Hooks: the only way a task customises the training loop (fastai v2 style callbacks, without the magic).

A hook is any object with some of the methods below, each taking the Trainer; subclass `Hook` (all no-ops) or pass
functions with `FunctionHook(before_epoch=fn, ...)`. Hooks run in the order given, on every rank (write files or
print only when `trainer.is_main`). Set `trainer.stop_reason = "why"` to stop after the current step.

Events, in order:
    before_fit       after setup/resume, before the first epoch
    before_epoch     trainer.epoch is the 0-based epoch about to run (e.g. set the teacher-forcing probability)
    before_batch     trainer.batch may be replaced (already on trainer.device)
    after_loss       trainer.loss / trainer.n_items may be changed before backward
    after_batch      after the optimiser step; trainer.step counts steps done
    after_validate   trainer.metrics holds the latest validation dict (e.g. print example translations)
    after_epoch      after the epoch's validation and checkpoint
    after_fit        at the end, whatever stopped the run (trainer.stop_reason says what)
"""

from typing import Any, Callable

EVENTS = (
    "before_fit",
    "before_epoch",
    "before_batch",
    "after_loss",
    "after_batch",
    "after_validate",
    "after_epoch",
    "after_fit",
)


class Hook:
    """Base class: override the events you need."""

    def before_fit(self, trainer: Any) -> None: ...
    def before_epoch(self, trainer: Any) -> None: ...
    def before_batch(self, trainer: Any) -> None: ...
    def after_loss(self, trainer: Any) -> None: ...
    def after_batch(self, trainer: Any) -> None: ...
    def after_validate(self, trainer: Any) -> None: ...
    def after_epoch(self, trainer: Any) -> None: ...
    def after_fit(self, trainer: Any) -> None: ...


class FunctionHook(Hook):
    """A hook from plain functions: FunctionHook(before_epoch=lambda t: ...)."""

    def __init__(self, **fns: Callable[[Any], None]) -> None:
        unknown = [name for name in fns if name not in EVENTS]
        if unknown:
            raise ValueError(f"unknown hook event {unknown[0]!r}; valid: {', '.join(EVENTS)}")
        for name, fn in fns.items():
            setattr(self, name, fn)


def bind(hooks: list[Any]) -> dict[str, list[Callable[[Any], None]]]:
    """event -> the hooks' methods that do something (no-op base methods skipped: no per-step cost for them)."""
    table: dict[str, list[Callable[[Any], None]]] = {name: [] for name in EVENTS}
    for hook in hooks:
        for name in EVENTS:
            fn = getattr(hook, name, None)
            if fn is None:
                continue
            if getattr(fn, "__func__", None) is getattr(Hook, name):
                continue
            table[name].append(fn)
    return table
