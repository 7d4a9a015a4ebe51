"""Train loss and throughput over a window of steps, summed on the device so reading it is the only host sync."""

import time
from typing import Any, Callable

import torch


class LossMeter:
    """Item-weighted mean loss and items/s since the last read. `clock` is injectable (tests move it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, world_size: int = 1) -> None:
        self.clock, self.world_size = clock, world_size
        self.start = clock()
        self.loss_sum: torch.Tensor | None = None
        self.n_items: Any = 0.0

    def restart(self) -> None:
        self.start, self.loss_sum, self.n_items = self.clock(), None, 0.0

    def add(self, loss: torch.Tensor, n_items: Any) -> None:
        """loss: the batch's mean over n_items (int, float or 0-d tensor); in place, no host sync."""
        if self.loss_sum is None:
            self.loss_sum = torch.zeros((), dtype=torch.float32, device=loss.device)
        if isinstance(n_items, (int, float)):
            self.loss_sum.add_(loss.detach(), alpha=n_items)
        else:
            self.loss_sum.add_(loss.detach() * n_items)
        self.n_items = self.n_items + n_items

    def skip_time(self, seconds: float) -> None:
        """Leave `seconds` (e.g. a validation) out of the window's items/s."""
        self.start += seconds

    @property
    def empty(self) -> bool:
        return self.loss_sum is None

    def read(self) -> tuple[float, float]:
        """(mean loss, items/s over all processes) of the window, then start a new one. Call only when not empty."""
        assert self.loss_sum is not None, "LossMeter.read() on an empty window"
        n = float(self.n_items)
        loss = float(self.loss_sum.item()) / max(n, 1e-12)
        now = self.clock()
        rate = n * self.world_size / max(now - self.start, 1e-9)
        self.restart()
        return loss, rate
