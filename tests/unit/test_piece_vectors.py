"""Piece vectors: a piece that is a word takes its vector, else the mean of the words it starts or occurs in."""

import numpy as np

from wordbridge.text.piece_vectors import corpus_words, piece_matrix
from wordbridge.text.vectors import WordVectors
from wordbridge.text.vocab import PAD, Vocab

SPLITS = {"maison": ["▁maison"], "maisons": ["▁maison", "s"], "chats": ["▁chat", "s"], "lent": ["▁len", "t"],
          "lentement": ["▁len", "te", "ment"]}


def pieces_of(words):
    return [SPLITS[w] for w in words]


def test_pieces_get_word_or_mean_vectors():
    wv = WordVectors(["maison", "maisons", "chats", "lent", "lentement"],
                     np.array([[1, 0], [0, 1], [2, 2], [4, 0], [0, 4]], dtype=np.float32), source="test")
    words = corpus_words(["Maison, maisons !", "chats lent lentement lentement lentement"], lowercase=True)
    assert words["lentement"] == 3 and words["maison"] == 1
    vocab = Vocab(["_bos_", "_pad_", "_eos_", "_unk_", "▁maison", "s", "▁chat", "▁len", "te", "ment", "▁zzz"])
    matrix, report = piece_matrix(vocab, wv, pieces_of, words, seed=0)
    rows = {tok: matrix[i] for i, tok in enumerate(vocab.itos)}
    assert np.allclose(rows["▁maison"], [1, 0])  # the word itself
    assert np.allclose(rows["▁len"], [1, 3])  # mean of lent (x1) and lentement (x3): the words it starts
    assert np.allclose(rows["▁chat"], [2, 2])
    assert np.allclose(rows["s"], [1, 1.5])  # occurs inside maisons and chats
    assert np.allclose(rows["ment"], [0, 4])
    assert np.allclose(matrix[PAD], 0)
    assert report["init"] == {"word": 1, "mean_started": 2, "mean_inside": 3, "random": 1}
    assert report["found"] == 6 and report["words"] == 7
