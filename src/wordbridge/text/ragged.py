"""Ragged int arrays stored as two .npy files: `PREFIX.ids.npy` (int32, all rows concatenated) and
`PREFIX.offsets.npy` (int64, n+1 offsets; row i is ids[offsets[i]:offsets[i+1]]). Loaded memory-mapped."""

from pathlib import Path
from typing import Sequence

import numpy as np

from wordbridge.atomic import atomic_path
from wordbridge.errors import DataError


def _paths(prefix: str | Path) -> tuple[Path, Path]:
    prefix = str(prefix)
    return Path(prefix + ".ids.npy"), Path(prefix + ".offsets.npy")


class Ragged:
    """A read-only sequence of int32 rows backed by a flat array and offsets."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray):
        if offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0 or offsets[-1] != len(ids):
            raise DataError("Ragged arrays are inconsistent: offsets must start at 0 and end at len(ids).")
        self.ids = ids  # (total,) int32
        self.offsets = offsets  # (n+1,) int64
        self.lengths = np.diff(offsets).astype(np.int64)  # (n,)

    @classmethod
    def from_rows(cls, rows: Sequence[np.ndarray]) -> "Ragged":
        lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        ids = np.concatenate([np.asarray(r, dtype=np.int32) for r in rows]) if rows else np.zeros(0, np.int32)
        return cls(ids.astype(np.int32, copy=False), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> np.ndarray:
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return np.asarray(self.ids[self.offsets[i] : self.offsets[i + 1]])

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def save(self, prefix: str | Path) -> None:
        ids_path, off_path = _paths(prefix)
        for path, arr in ((ids_path, self.ids), (off_path, self.offsets)):
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as fh:
                    np.save(fh, np.ascontiguousarray(arr))


def save_ragged(prefix: str | Path, rows: Sequence[np.ndarray]) -> Ragged:
    """Write rows as PREFIX.ids.npy + PREFIX.offsets.npy; returns the in-memory Ragged."""
    ragged = Ragged.from_rows(rows)
    ragged.save(prefix)
    return ragged


def load_ragged(prefix: str | Path, mmap: bool = True) -> Ragged:
    ids_path, off_path = _paths(prefix)
    for path in (ids_path, off_path):
        if not path.is_file():
            raise DataError(f"Prepared data file {path} does not exist; run `wordbridge prepare`.")
    mode = "r" if mmap else None
    ids = np.load(ids_path, mmap_mode=mode, allow_pickle=False)
    offsets = np.load(off_path, allow_pickle=False)
    return Ragged(ids, offsets)
