"""A reader's input: the two language folders it needs (a clear error when one is missing), and bad files it skips
(one warning line naming the file, and a count the caller can report)."""

import logging
from collections import Counter
from pathlib import Path
from typing import Callable

from wordbridge.errors import DataError

log = logging.getLogger(__name__)

OnSkip = Callable[[Path, str], None]  # (file, why) of an input a reader could not use


def language_dirs(root: str | Path, french: str, english: str, what: str) -> tuple[Path, Path]:
    """ROOT/FRENCH and ROOT/ENGLISH, or a DataError "WHAT folder not found: ..." naming the first that is missing."""
    root = Path(root)
    for lang in (french, english):
        if not (root / lang).is_dir():
            raise DataError(f"{what} folder not found: {root / lang}")
    return root / french, root / english


def skip_reason(exc: DataError) -> str:
    """A reader's error message without its leading "FILE: " (the skip line names the file already)."""
    return str(exc).split(": ", 1)[-1]


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
