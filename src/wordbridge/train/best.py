"""Which validation was best so far, and early stopping once `patience` validations in a row did not improve it."""

import math


class BestTracker:
    """Tracks cfg.metric ("min" or "max" mode) over validations: `best` is {"metric", "value", "step", "epoch"}
    of the best one (None before any), `bad_validations` counts validations since it."""

    IGNORED = frozenset({"valid_s", "n_items"})  # bookkeeping keys every validation reports

    def __init__(self, metric: str, mode: str = "min", patience: int | None = None) -> None:
        self.metric, self.mode, self.patience = metric, mode, patience
        self.best: dict | None = None
        self.bad_validations = 0

    def missing(self, metrics: dict) -> bool:
        """True when a validation reported metrics but not this one (a misspelt train.metric)."""
        return metrics.get(self.metric) is None and bool(metrics.keys() - self.IGNORED)

    def update(self, metrics: dict, step: int, epoch: int) -> bool:
        """Record one validation; True when it is the new best (write best.pt). Absent or NaN values are skipped."""
        value = metrics.get(self.metric)
        if value is None or not math.isfinite(float(value)):
            return False
        value = float(value)
        best = self.best["value"] if self.best else None
        if best is None or (value < best if self.mode == "min" else value > best):
            self.best = {"metric": self.metric, "value": value, "step": step, "epoch": epoch}
            self.bad_validations = 0
            return True
        self.bad_validations += 1
        return False

    @property
    def out_of_patience(self) -> bool:
        return bool(self.patience) and self.bad_validations >= self.patience

    def restore(self, best: dict | None, bad_validations: int) -> None:
        """The state saved in a checkpoint (its "best" and extra["bad_validations"])."""
        self.best, self.bad_validations = best, int(bad_validations)
