from pathlib import Path

import numpy as np
import pytest

from wordbridge.errors import DataError
from wordbridge.text.vectors import (
    WordVectors, embedding_matrix, load_fasttext_bin, load_vec_text, load_vectors, load_vectors_dir, save_vectors_dir,
)
from wordbridge.text.vocab import PAD, Vocab


def _wv():
    words = ["the", "King", "queen", "cat"]
    vecs = np.array([[1, 0, 0], [0, 1, 0.1], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    return WordVectors(words, vecs, aliases={"kings": 1}, source="test")


def test_lookup_exact_alias_and_case_insensitive():
    wv = _wv()
    assert wv.dim == 3 and len(wv) == 4
    assert wv.get("queen").tolist() == [0, 1, 0]
    assert wv.get("king").tolist() == wv.get("King").tolist()  # lower-case fallback
    assert wv.get("THE").tolist() == [1, 0, 0]
    assert wv.get("Kings") is not None and "kings" in wv
    assert wv.get("dog") is None and "dog" not in wv


def test_nearest_leaves_the_query_out():
    wv = _wv()
    assert wv.nearest("queen", 1)[0][0] == "King"
    assert wv.nearest(np.array([0, 0, 2.0]), 1)[0] == ("cat", pytest.approx(1.0))


def test_vec_text_and_folder_round_trip(tmp_path):
    (tmp_path / "w.vec").write_text("3 2\nhello 0.5 -1\nworld 1 2\nqu' 0 1\n", encoding="utf-8")
    wv = load_vectors(tmp_path / "w.vec")
    assert wv.words == ["hello", "world", "qu'"] and wv.vectors.dtype == np.float32
    assert wv.get("World").tolist() == [1, 2]
    assert len(load_vec_text(tmp_path / "w.vec", max_words=2)) == 2
    save_vectors_dir(wv, tmp_path / "d")
    back = load_vectors_dir(tmp_path / "d")
    assert back.words == wv.words and np.array_equal(back.vectors, wv.vectors)


def test_vec_text_errors_name_the_line(tmp_path):
    (tmp_path / "bad.vec").write_text("2 3\nhello 1 2 3\nworld 1 2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.vec:3: expected 3 numbers"):
        load_vectors(tmp_path / "bad.vec")
    (tmp_path / "nohead.vec").write_text("hello 1 2\n", encoding="utf-8")
    with pytest.raises(DataError, match="header"):
        load_vectors(tmp_path / "nohead.vec")
    with pytest.raises(DataError, match="Valid: fr, en"):
        load_vectors(tmp_path / "missing.bin")


def test_fasttext_bin(tmp_path):
    """A real fastText .bin (tests/data/tiny_fasttext.bin: cbow, dim 8, 50 words, 10 buckets, written by the fasttext-numpy2
    wheel and shipped, since training fastText on a corpus this tiny fails at random with 'Encountered NaN')."""
    import fasttext

    path = Path(__file__).resolve().parent.parent / "data" / "tiny_fasttext.bin"
    model = fasttext.load_model(str(path))
    wv = load_fasttext_bin(path)
    assert set(wv.words) >= {"the", "cat", "mat"} and wv.dim == 8
    for word in ("cat", "w7", "house"):
        assert np.allclose(wv.get(word), model.get_word_vector(word))
    (tmp_path / "junk.bin").write_bytes(b"not a model")
    with pytest.raises(DataError):
        load_vectors(tmp_path / "junk.bin")


def test_embedding_matrix_coverage_and_random_rows():
    wv = _wv()
    vocab = Vocab.build([["the", "king", "dog", "the"]])
    matrix, report = embedding_matrix(vocab, wv, seed=0)
    assert matrix.shape == (len(vocab), 3) and matrix.dtype == np.float32
    assert matrix[vocab.lookup("the")].tolist() == [1, 0, 0]
    assert np.allclose(matrix[vocab.lookup("king")], wv.get("King"))
    assert not np.allclose(matrix[vocab.lookup("dog")], 0)  # random, not zero
    assert np.all(matrix[PAD] == 0)
    assert (report["found"], report["missing"], report["words"]) == (2, 1, 3)
    assert report["coverage"] == pytest.approx(2 / 3, abs=1e-3)
    assert report["missing_examples"] == ["dog"]
    assert report["std"] == pytest.approx(float(wv.vectors.std()), abs=1e-3)


@pytest.mark.assets
def test_french_spacy_vectors():
    wv = load_vectors("fr")
    assert wv.dim == 300 and len(wv) == 20000
    assert len(wv.aliases) > 400_000  # pruned keys map to kept rows
    assert wv.words[:2] == [",", "de"]
    assert "lumière" in wv and "Lumière" in wv
    assert "princesse" in [w.lower() for w, _ in wv.nearest("reine", 5)]
    again = load_vectors("fr")  # from the cache written by the first load
    assert again.words == wv.words and again.aliases == wv.aliases and np.array_equal(again.vectors, wv.vectors)
