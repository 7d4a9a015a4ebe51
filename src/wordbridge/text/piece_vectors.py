"""Pretrained word vectors for sentencepiece vocabularies: a piece takes the vector of the word it is, else the
frequency-weighted mean vector of the corpus words it starts (`▁maison` of "maisons", "maisonnette"), else of the
words it occurs in (continuation pieces like `ment`). The lesson's initialisation stays meaningful for pieces.
"""

import logging
import string
from collections import Counter
from typing import Iterable

import numpy as np

from wordbridge.text.vectors import WordVectors
from wordbridge.text.vocab import PAD, SPECIALS, Vocab

log = logging.getLogger(__name__)

WORD_START = "▁"  # sentencepiece's mark of a piece that starts a word
_STRIP = string.punctuation + "«»“”‘’…"


def corpus_words(texts: Iterable[str], lowercase: bool) -> Counter[str]:
    """Whitespace words of the texts with surrounding punctuation stripped, counted."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w.strip(_STRIP) for w in (text.lower() if lowercase else text).split())
    counts.pop("", None)
    return counts


def piece_matrix(vocab: Vocab, wv: WordVectors, pieces_of, words: Counter[str], seed: int = 42,
                 name: str = "") -> tuple[np.ndarray, dict]:
    """(matrix (len(vocab), wv.dim) float32, report). `pieces_of(list_of_words) -> list of piece lists`."""
    known = [w for w in words if w in wv]
    sums = np.zeros((len(vocab), wv.dim), dtype=np.float64)  # (vocab, dim) weighted sums, words started
    weights = np.zeros(len(vocab))
    inner_sums = np.zeros((len(vocab), wv.dim), dtype=np.float64)  # (vocab, dim) words a piece occurs inside
    inner_weights = np.zeros(len(vocab))
    for word, pieces in zip(known, pieces_of(known)):
        vec, count = wv.get(word), words[word]
        ids = [vocab.lookup(p) for p in pieces]
        if ids:
            sums[ids[0]] += count * vec
            weights[ids[0]] += count
        for i in ids[1:]:
            inner_sums[i] += count * vec
            inner_weights[i] += count
    std = float(wv.vectors.std()) if len(wv) else 1.0
    matrix = np.random.default_rng(seed).normal(0.0, std, size=(len(vocab), wv.dim)).astype(np.float32)
    counts = Counter()
    for i, piece in enumerate(vocab.itos):
        if i < len(SPECIALS):
            continue
        exact = wv.get(piece[1:] if piece.startswith(WORD_START) and len(piece) > 1 else piece)
        if exact is not None and piece.startswith(WORD_START):
            matrix[i], how = exact, "word"
        elif weights[i] > 0:
            matrix[i], how = sums[i] / weights[i], "mean_started"
        elif inner_weights[i] > 0:
            matrix[i], how = inner_sums[i] / inner_weights[i], "mean_inside"
        elif exact is not None:
            matrix[i], how = exact, "word"
        else:
            how = "random"
        counts[how] += 1
    matrix[PAD] = 0.0
    pieces = len(vocab) - len(SPECIALS)
    found = pieces - counts["random"]
    report = {"source": wv.source, "dim": wv.dim, "words": pieces, "found": found, "missing": counts["random"],
              "coverage": round(found / pieces, 4) if pieces else 0.0, "init": dict(counts)}
    log.info("%spiece vectors %s: %d of %d pieces get a vector (%s)", f"{name} " if name else "", wv.source, found,
             pieces, ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return matrix, report
