"""Progress of fastText training, which only writes `\\rProgress: 42.1% words/sec/thread: ... ETA: 0h 2m` to the C
stderr, and only when that is a terminal (on a pipe it prints nothing). While it trains, file descriptor 2 goes to a
pseudo-terminal; a thread reads the percentages and drives a tqdm bar (or logs a line every 10% when the real stderr
is not a terminal); anything else written to stderr meanwhile is passed on."""

import contextlib
import io
import logging
import os
import pty
import sys
import threading
from typing import Iterator

from tqdm import tqdm

log = logging.getLogger(__name__)

_MARK = "Progress:"


def parse_progress(chunk: str) -> float | None:
    """The last percentage in a piece of fastText output (`Progress:  42.1% words/sec...` -> 42.1), else None."""
    at = chunk.rfind(_MARK)
    if at < 0:
        return None
    words = chunk[at + len(_MARK):].split()
    try:
        return float(words[0].rstrip("%")) if words else None
    except ValueError:
        return None


def _pump(read_fd: int, out: io.TextIOBase, bar: tqdm | None, label: str) -> None:
    last_logged = -10.0
    buffer = ""
    while True:
        try:
            chunk = os.read(read_fd, 1024).decode("utf-8", "replace")
        except OSError:  # EIO: the terminal's other end was closed
            break
        if not chunk:
            break
        buffer += chunk
        *parts, buffer = buffer.replace("\r", "\n").split("\n")
        for part in parts:
            value = parse_progress(part)
            if value is None:
                if part.strip() and "words/sec" not in part:
                    out.write(part + "\n")
                    out.flush()
            elif bar is not None:
                bar.update(value - bar.n)
            elif value - last_logged >= 10 or value >= 100 > last_logged:
                last_logged = value
                log.info("  %s: %.0f%%", label, value)


@contextlib.contextmanager
def fasttext_progress(label: str = "fastText training") -> Iterator[int]:
    """Yields the `verbose` level to pass to fastText (2) while its progress is captured and shown."""
    sys.stderr.flush()
    saved = os.dup(2)
    read_fd, write_fd = pty.openpty()
    out = os.fdopen(os.dup(saved), "w", encoding="utf-8", buffering=1)
    bar = tqdm(total=100, desc=f"  {label}", unit="%", file=out, bar_format="{desc}: {percentage:3.0f}%|{bar}| "
               "[{elapsed}<{remaining}]") if out.isatty() else None
    pump = threading.Thread(target=_pump, args=(read_fd, out, bar, label), daemon=True)
    os.dup2(write_fd, 2)
    os.close(write_fd)
    pump.start()
    try:
        yield 2
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end: the pump sees end-of-file
        os.close(saved)
        pump.join(timeout=10)
        os.close(read_fd)
        if bar is not None:
            bar.close()
        out.close()
