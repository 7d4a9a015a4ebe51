"""The wall-clock budget of a run (train.max_minutes) and where it puts the schedule when the schedule follows time;
the checkpoint cadence (train.checkpoint_minutes)."""

import time
from typing import Callable


class TimeBudget:
    """Seconds since (re)start on an injectable `clock`; `pos0` is the schedule position reached by earlier
    (resumed) runs, so a resumed run spends what was left of the schedule over its own budget."""

    def __init__(self, max_minutes: float | None, schedule_time: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit_s = None if max_minutes is None else max_minutes * 60.0
        self.schedule_time, self.clock = schedule_time, clock
        self.start = clock()
        self.pos0 = 0.0
        self.synced = 0.0  # elapsed seconds agreed across processes at the last stop check (DDP)

    def restart(self) -> None:
        self.start = self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.start

    def over(self, elapsed: float) -> bool:
        return self.limit_s is not None and elapsed >= self.limit_s

    def schedule_pos(self, elapsed: float) -> float | None:
        """Fraction of the budget used, mapped onto what was left of the schedule at (re)start; None when the
        schedule follows steps."""
        if self.limit_s is None or not self.schedule_time:
            return None
        frac = min(elapsed / self.limit_s, 1.0)
        return self.pos0 + (1.0 - self.pos0) * frac


class Cadence:
    """Due once `minutes` of the injectable `clock` have passed since the last `reset()` (None: never due).

    The loop writes latest.pt when it is due and resets it whenever latest.pt is written (validation, time, end)."""

    def __init__(self, minutes: float | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.period_s = None if minutes is None else minutes * 60.0
        self.clock = clock
        self.last = clock()

    def reset(self) -> None:
        self.last = self.clock()

    def due(self) -> bool:
        return self.period_s is not None and self.clock() - self.last >= self.period_s
