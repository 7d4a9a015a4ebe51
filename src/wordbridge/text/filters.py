"""Streaming filters over (french, english) pairs; each counts the pairs it removed (`.removed`) under `.name`.

`questions` is the lesson's: keep pairs whose English matches `^(Wh[^?.!]+\\?)` and French `^([^?.!]+\\?)`, and keep
only the matched text (the lesson's `(e.group(), f.group())`). Then `max_length`, `length_ratio`, `dedup`, and
`similarity` (the multilingual encoder's cosine of the two sides, text/pair_similarity.py; only in the sources it is
configured for: the pipeline calls `for_source(name)` before each source's stream).
"""

import re
from typing import Iterable, Iterator

from wordbridge.errors import ConfigError, choices_hint
from wordbridge.text import pair_similarity

Pair = tuple[str, str]  # (french, english)

RE_EN_QUESTION = re.compile(r"^(Wh[^?.!]+\?)")
RE_FR_QUESTION = re.compile(r"^([^?.!]+\?)")


class Filter:
    """A streaming step: `filter(pairs)` yields the pairs kept and counts the others in `.removed`."""

    name = "filter"
    params: tuple[str, ...] = ()  # keyword parameters this filter accepts

    def __init__(self) -> None:
        self.seen = 0
        self.removed = 0

    def for_source(self, name: str) -> None:
        """Called before the pairs of each source of a multi-source corpus (most filters ignore it)."""

    def keep(self, fr: str, en: str) -> Pair | None:
        raise NotImplementedError

    def __call__(self, pairs: Iterable[Pair]) -> Iterator[Pair]:
        for fr, en in pairs:
            self.seen += 1
            kept = self.keep(fr, en)
            if kept is None:
                self.removed += 1
            else:
                yield kept

    def __repr__(self) -> str:
        return f"{type(self).__name__}(removed={self.removed})"


class Questions(Filter):
    """The lesson's wh-question pairs, reduced to the matched question on each side."""

    name = "questions"

    def keep(self, fr: str, en: str) -> Pair | None:
        e, f = RE_EN_QUESTION.search(en), RE_FR_QUESTION.search(fr)
        return (f.group(), e.group()) if e and f else None


class MaxLength(Filter):
    """Drop pairs with more than `max_words` whitespace-separated words on either side."""

    name = "max_length"
    params = ("max_words",)

    def __init__(self, max_words: int = 30) -> None:
        super().__init__()
        if int(max_words) < 1:
            raise ConfigError(f"max_words must be >= 1, got {max_words}")
        self.max_words = int(max_words)

    def keep(self, fr: str, en: str) -> Pair | None:
        return (fr, en) if len(fr.split()) <= self.max_words and len(en.split()) <= self.max_words else None


class LengthRatio(Filter):
    """Drop pairs whose word counts differ by more than `max_ratio` (longer / shorter; likely misaligned)."""

    name = "length_ratio"
    params = ("max_ratio",)

    def __init__(self, max_ratio: float = 3.0) -> None:
        super().__init__()
        if float(max_ratio) < 1:
            raise ConfigError(f"max_ratio must be >= 1, got {max_ratio}")
        self.max_ratio = float(max_ratio)

    def keep(self, fr: str, en: str) -> Pair | None:
        n_fr, n_en = max(len(fr.split()), 1), max(len(en.split()), 1)
        return (fr, en) if max(n_fr, n_en) / min(n_fr, n_en) <= self.max_ratio else None


class Dedup(Filter):
    """Drop exact repeats of a pair, keeping the first (one 64-bit hash per distinct pair in memory)."""

    name = "dedup"

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[int] = set()

    def keep(self, fr: str, en: str) -> Pair | None:
        key = hash((fr, en))
        if key in self._seen:
            return None
        self._seen.add(key)
        return fr, en


class Similarity(Filter):
    """Drop pairs whose sides' multilingual-encoder cosine is below `min_pair_similarity` (misaligned paragraphs,
    loose dictionary senses), in the sources named by `similarity_sources` only; scored in batches, cached."""

    name = "similarity"
    params = ("min_pair_similarity", "similarity_sources")
    batch = 512  # pairs scored together

    def __init__(self, min_pair_similarity: float = pair_similarity.DEFAULT_MIN_SIMILARITY,
                 similarity_sources: Iterable[str] = pair_similarity.DEFAULT_SOURCES) -> None:
        super().__init__()
        if not -1.0 <= float(min_pair_similarity) <= 1.0:
            raise ConfigError(f"min_pair_similarity must be a cosine in [-1, 1], got {min_pair_similarity}")
        self.threshold = float(min_pair_similarity)
        self.sources = frozenset(similarity_sources)
        self.active = True  # a single-source corpus: every pair is scored
        self.scorer = pair_similarity.PairScorer()
        self.dropped: list[tuple[float, str, str]] = []  # (score, french, english) of the first pairs dropped

    def for_source(self, name: str) -> None:
        self.active = name in self.sources

    def __call__(self, pairs: Iterable[Pair]) -> Iterator[Pair]:
        if not self.active:
            for pair in pairs:
                self.seen += 1
                yield pair
            return
        chunk: list[Pair] = []
        size = 16  # doubling up to `batch`: a source cut short by max_per_source embeds little beyond its cap
        for pair in pairs:
            chunk.append(pair)
            if len(chunk) >= size:
                yield from self._scored(chunk)
                chunk, size = [], min(2 * size, self.batch)
        yield from self._scored(chunk)

    def _scored(self, chunk: list[Pair]) -> Iterator[Pair]:
        self.seen += len(chunk)
        for pair, score in zip(chunk, self.scorer.score(chunk)):
            if score >= self.threshold:
                yield pair
            else:
                self.removed += 1
                if len(self.dropped) < 20:
                    self.dropped.append((round(float(score), 4), *pair))


FILTERS: dict[str, type[Filter]] = {f.name: f for f in (Questions, MaxLength, LengthRatio, Dedup, Similarity)}
FILTER_PARAMS = {p for f in FILTERS.values() for p in f.params}


def make_filters(names: str | Iterable[str] | None, **params) -> list[Filter]:
    """Filters by name, in order ("questions,dedup" or a list); params go to the filters that take them.

    Unknown filter names or parameters raise ConfigError listing the valid ones.
    """
    if names is None:
        return []
    if isinstance(names, str):
        names = [n for n in (part.strip() for part in names.split(",")) if n]
    unknown = [k for k in params if k not in FILTER_PARAMS]
    if unknown:
        raise ConfigError(f"Unknown filter parameter {choices_hint(unknown[0], FILTER_PARAMS)}")
    filters = []
    for name in names:
        if name not in FILTERS:
            raise ConfigError(f"Unknown filter {choices_hint(name, FILTERS)}")
        cls = FILTERS[name]
        filters.append(cls(**{k: v for k, v in params.items() if k in cls.params and v is not None}))
    return filters


def apply_filters(pairs: Iterable[Pair], filters: Iterable[Filter]) -> Iterator[Pair]:
    """Chain the filters lazily; read each filter's `.removed` once the stream is consumed."""
    stream: Iterable[Pair] = pairs
    for f in filters:
        stream = f(stream)
    return iter(stream)


def report(filters: Iterable[Filter]) -> dict[str, int]:
    """{filter name: pairs removed}, e.g. for stats.json."""
    return {f.name: f.removed for f in filters}
