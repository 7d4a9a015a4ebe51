"""Progress bars that suit where the output goes. On a terminal: a tqdm bar redrawn in place. In a log file or CI:
one plain line at most every `defaults.PROGRESS_SECONDS` (tqdm's `mininterval`), instead of the hundreds of
carriage-return redraws per minute that made a log file unreadable. Every loop with a bar calls `bar(...)`."""

import re
import sys
from typing import Any, Iterable, TextIO

from tqdm import tqdm

from wordbridge.defaults import PROGRESS_SECONDS

_CURSOR = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")  # terminal cursor moves (stacked bars) mean nothing in a file


class LineWriter:
    """A file for tqdm that turns each redraw (`\\r` + status) into one whole line and drops the blank clears."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        line = _CURSOR.sub("", text.replace("\r", "")).strip()
        if line:
            self.stream.write(line + "\n")

    def flush(self) -> None:
        self.stream.flush()


class _FileBar(tqdm):
    """A bar writing to a file: `set_postfix` waits for the next timed line instead of writing one per call (tqdm
    redraws on every set_postfix by default, which put a line per batch in the demo's log)."""

    def set_postfix(self, ordered_dict=None, refresh: bool = False, **kwargs: Any) -> None:
        super().set_postfix(ordered_dict, refresh=refresh, **kwargs)


def on_terminal(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def bar(iterable: Iterable | None = None, *, disable: bool = False, every: float | None = None,
        file: TextIO | None = None, **kwargs: Any) -> tqdm:
    """tqdm(iterable, **kwargs) writing to `file` (default stderr): a live bar on a terminal, else one line every
    `every` seconds (default defaults.PROGRESS_SECONDS) after the first `every` seconds, plus the final state when
    the bar is left (`leave`)."""
    stream = file if file is not None else sys.stderr
    if on_terminal(stream):
        kwargs.setdefault("dynamic_ncols", True)
        return tqdm(iterable, file=stream, disable=disable, **kwargs)
    every = PROGRESS_SECONDS if every is None else every
    for key in ("dynamic_ncols", "mininterval", "maxinterval", "ncols", "position"):
        kwargs.pop(key, None)
    kwargs.setdefault("delay", every)  # a loop shorter than `every` seconds writes nothing
    return _FileBar(iterable, file=LineWriter(stream), disable=disable, mininterval=every,
                    maxinterval=max(every, 1.0), ascii=True, **kwargs)
