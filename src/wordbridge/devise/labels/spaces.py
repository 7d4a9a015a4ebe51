"""Which label space a run lives in (`devise.vectors`): word vectors (fasttext, glove, concat, a .bin/.vec path),
whose lookup averages word vectors, or the multilingual encoder (e5), whose lookup embeds whole texts in any
language. Both give a lookup (`label`, `labels`, `dim`) and a LabelSet (WordNet nouns + ImageNet classes)."""

from __future__ import annotations

from wordbridge.devise.labels.e5 import E5, load_e5_space
from wordbridge.devise.labels.word_vectors import VectorLookup, load_labels
from wordbridge.text.vectors import load_vectors


def is_e5(vectors: str | None) -> bool:
    return vectors == E5


def label_space(vectors: str, wv=None):
    """(lookup, labels) for `devise.vectors`; `wv` (word vectors) overrides loading them (tests)."""
    if is_e5(vectors) and wv is None:
        return load_e5_space()
    wv = load_vectors(vectors) if wv is None else wv
    return VectorLookup(wv), load_labels(wv)
