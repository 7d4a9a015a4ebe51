"""French names for labels of the e5 space (`devise search --image --lang fr`): each ImageNet class or WordNet noun
is named by its nearest French label in the encoder's space.

The French label list is the French side of the FreeDict fra-eng / eng-fra dictionaries (the `freedict` asset),
kept where the English side names one of the label set's classes or nouns and the French is a common word or short
phrase (lowercase, at most three words). Each is embedded once as "une photo de {mot}" (cached), centred like the
labels, so an English label and its French name meet in the same cone.
"""

from __future__ import annotations

import logging
from typing import Iterable

import numpy as np

from wordbridge import asset_paths
from wordbridge.devise.labels.e5 import LABEL_KIND, E5Lookup
from wordbridge.devise.labels.word_vectors import LabelSet
from wordbridge.errors import DataError
from wordbridge.text.freedict import read_freedict

log = logging.getLogger(__name__)

FRENCH_TEMPLATE = "une photo de {}"


def french_label_list(english_names: Iterable[str], pairs=None) -> list[str]:
    """Sorted French words whose English side (lowercase) is in `english_names`; `pairs` (french, english) default to
    the freedict asset."""
    wanted = {n.strip().lower() for n in english_names}
    pairs = read_freedict(asset_paths.path("freedict")) if pairs is None else pairs
    keep = set()
    for french, english in pairs:
        french = french.strip()
        if english.strip().lower() in wanted and french[:1].isalpha() and french[:1].islower() \
                and len(french.split()) <= 3:
            keep.add(french)
    return sorted(keep)


class FrenchNamer:
    """Nearest French label of vectors in an e5 label space."""

    def __init__(self, lookup: E5Lookup, labels: LabelSet, pairs=None):
        self.names = french_label_list(list(labels.names) + list(labels.imagenet_names), pairs)
        if not self.names:
            raise DataError("No French labels: the freedict asset names none of this label set's classes.")
        log.info("Embedding %d French labels (cached)", len(self.names))
        raw = lookup.cache.embed([FRENCH_TEMPLATE.format(n) for n in self.names], LABEL_KIND)
        self.vectors = lookup.centred(raw)  # (n_french, dim)

    def name(self, vectors: np.ndarray) -> list[str]:
        """The nearest French label of each row of vectors (n, dim)."""
        if not len(vectors):
            return []
        return [self.names[i] for i in np.argmax(np.asarray(vectors) @ self.vectors.T, axis=1)]
