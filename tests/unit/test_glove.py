"""GloVe loader on a tiny generated parquet + npy (dictionary pages that fall back to plain pages, as in the real
file), and the `glove` / `concat` sources of load_vectors."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wordbridge.errors import DataError
from wordbridge.text import glove
from wordbridge.text.vectors import concat_vectors, load_vectors, WordVectors


def write_glove(folder, words, vectors, **parquet_options):
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"index": words}), folder / glove.WORDS_FILE, compression="snappy", **parquet_options)
    np.save(folder / glove.MATRIX_FILE, vectors)
    return folder


def test_words_keep_row_order_across_dictionary_and_plain_pages(tmp_path):
    words = [f"word{i}" for i in range(3000)]
    vectors = np.arange(3000 * 4, dtype=np.float32).reshape(3000, 4)
    # a tiny dictionary page limit makes the writer fall back to plain encoding after a few hundred rows
    folder = write_glove(tmp_path / "g", words, vectors, dictionary_pagesize_limit=256, data_page_size=256)
    encodings = pq.ParquetFile(folder / glove.WORDS_FILE).metadata.row_group(0).column(0).encodings
    assert "PLAIN" in encodings and "RLE_DICTIONARY" in encodings  # both kinds of pages really are there
    got, matrix = glove.read_glove(folder)
    assert got == words and matrix.dtype == np.float32 and matrix.shape == (3000, 4)
    wv = load_vectors(folder)
    assert wv.get("word2999")[0] == 2999 * 4 and wv.get("WORD7")[0] == 7 * 4  # case-insensitive lookup


def test_bad_glove_folders_are_one_line_errors(tmp_path):
    folder = write_glove(tmp_path / "g", ["a", "b", "c"], np.zeros((2, 4), np.float32))
    with pytest.raises(DataError, match="3 words but a matrix of shape"):
        glove.read_glove(folder)
    (folder / glove.MATRIX_FILE).unlink()
    with pytest.raises(DataError, match="lacks glove_6B_50d_emb.npy"):
        glove.read_glove(folder)
    pq.write_table(pa.table({"index": [1, 2]}), tmp_path / "ints.parquet")
    with pytest.raises(DataError, match="one string column"):
        glove.read_words_parquet(tmp_path / "ints.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="cannot read the parquet"):
        glove.read_words_parquet(tmp_path / "junk.parquet")


def test_concat_keeps_shared_words_with_equal_weight():
    a = WordVectors(["cat", "dog", "only_a", "zzz"], np.array([[10, 0], [0, 10], [5, 5], [-10, -10]], np.float32))
    b = WordVectors(["Dog", "cat", "only_b", "zzz"], np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, -1]],
                                                             np.float32))
    wv = concat_vectors([a, b])
    assert wv.words == ["cat", "dog", "zzz"] and wv.dim == 5
    norms = np.linalg.norm(wv.vectors[:, :2], axis=1), np.linalg.norm(wv.vectors[:, 2:], axis=1)
    np.testing.assert_allclose(norms[0], 1, atol=1e-6)  # each part centred then unit length:
    np.testing.assert_allclose(norms[1], 1, atol=1e-6)  # GloVe's large norms do not drown fastText's
