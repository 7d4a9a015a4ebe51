"""How well the two sides of a pair say the same thing: the cosine of their multilingual-encoder vectors
(wordbridge.encoder, multilingual-e5-small). The `similarity` filter (text/filters.py) drops pairs below
`data.min_pair_similarity` in the position-aligned sources, where a shifted paragraph pairs two unrelated texts.

Both sides are embedded as e5 "query:" texts (e5's convention for symmetric tasks such as bitext mining), in batches,
through an EmbeddingCache under WORDBRIDGE_HOME/embeddings, so a second `prepare` of the same corpus embeds nothing
again (~30 ms a sentence on one core the first time).
"""

import logging
from pathlib import Path
from typing import Sequence

import numpy as np

from wordbridge import encoder as encoder_mod
from wordbridge import paths
from wordbridge.progress import bar as progress_bar

log = logging.getLogger(__name__)

# e5's space is a narrow cone: on Debian Reference (3,745 pairs, 2026-12-06) unrelated pairs score median 0.80, 95th
# percentile 0.84, true pairs 1st percentile 0.85; 0.84 drops 19 pairs there (0.5%) and 94.5% of shuffled pairs
DEFAULT_MIN_SIMILARITY = 0.84
# sources whose pairs come from position alignment (help pages, man pages, manuals) or loose dictionary senses
DEFAULT_SOURCES: tuple[str, ...] = ("libreoffice-help", "gimp-help", "debian-reference", "manpages", "freedict")


def cache_folder() -> Path:
    return paths.home() / "embeddings"


class PairScorer:
    """Scores batches of (french, english) pairs; the encoder and its cache load on first use."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else None
        self._cache: encoder_mod.EmbeddingCache | None = None
        self._bar = None  # a progress.bar, made with the cache

    @property
    def cache(self) -> encoder_mod.EmbeddingCache:
        if self._cache is None:
            enc = encoder_mod.get_encoder()
            self._bar = progress_bar(desc="embedding pairs", unit=" texts", leave=False, mininterval=1)
            self._cache = encoder_mod.EmbeddingCache(self.folder or cache_folder(), enc, progress=self._bar.update)
            log.info("pair similarity: encoder %s, %d cached embeddings in %s", enc.name, len(self._cache),
                     self._cache.folder)
        return self._cache

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """(len(pairs),) float32 cosines of the French and English sides."""
        if not pairs:
            return np.zeros(0, np.float32)
        cache = self.cache
        return encoder_mod.cosines(cache.encoder, [fr for fr, _ in pairs], [en for _, en in pairs], kind="query",
                                   cache=cache)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
