"""Stopping a run cleanly: SIGINT (Ctrl-C) and SIGTERM routed to a callback instead of killing the process."""

import contextlib
import logging
import signal
import threading
from typing import Callable, Iterator

log = logging.getLogger(__name__)


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


class Interrupts:
    """Counts stop signals for the loop: the first asks it to stop after the current step (logged on the main
    process), the second raises KeyboardInterrupt at once. Use as `with graceful_stop(interrupts): ...`."""

    def __init__(self, is_main: bool = True) -> None:
        self.is_main = is_main
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        if self.count > 1:
            raise KeyboardInterrupt
        if self.is_main:
            log.warning("stopping after this step and saving latest.pt (Ctrl-C again to abort)")
