"""Bad input that a reader skips: one warning line naming the file, and a count the caller can report."""

import logging
from collections import Counter
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)

OnSkip = Callable[[Path, str], None]  # (file, why) of an input a reader could not use


def warn_skip(path: Path, why: str) -> None:
    """The default: one warning line naming the file; the reader goes on with the rest."""
    log.warning("warning: skipped %s: %s", path, why)


class SkipCounter:
    """An OnSkip that warns and counts skipped files per source (prepare's stats.json `skipped`)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def for_source(self, source: str) -> OnSkip:
        def on_skip(path: Path, why: str) -> None:
            warn_skip(path, why)
            self.counts[source] += 1

        return on_skip
