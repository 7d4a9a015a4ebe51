"""Search with a trained DeViSE run and an indexed gallery (the lesson's three searches, with faiss).

    s = Searcher.load("runs/devise", "runs/devise/indexes/gallery")
    s.search_image(open("cat.jpg", "rb").read())  # -> ImageResult(labels (ImageNet-1k), zero_shot (WordNet), similar)
    s.search_text("engine boat")                  # averaged word vectors -> images
    s.similar(image_id)                           # image -> images

All vectors are L2-normalised, so faiss inner product ranks by angle. A query word without a vector raises a
one-line DataError naming the closest known spellings.
"""

from __future__ import annotations

import difflib
import logging
import re
from pathlib import Path

import numpy as np
from PIL import Image

from wordbridge.devise.images import load_image
from wordbridge.devise.index import Gallery, faiss, top_k
from wordbridge.devise.labels import LabelSet, VectorLookup, load_labels, vectors_fingerprint
from wordbridge.devise.model import RunModel
from wordbridge.errors import DataError
from wordbridge.results import ImageHit, ImageResult, LabelHit
from wordbridge.text.vectors import l2_normalize, load_vectors

log = logging.getLogger(__name__)

_QUERY_SPLIT = re.compile(r"[\s,;+&]+")


def closest_words(word: str, vocabulary, n: int = 5) -> list[str]:
    """Known words spelled most like `word` (same first letter, similar length, difflib ratio)."""
    word = word.lower()
    pool = [w for w in vocabulary if w[:1] == word[:1] and abs(len(w) - len(word)) <= 2 and w.isalpha()]
    hits = difflib.get_close_matches(word, pool, n=n, cutoff=0.6)
    if len(hits) < n:
        pool = [w for w in vocabulary if abs(len(w) - len(word)) <= 2 and w.isalpha()]
        hits += [w for w in difflib.get_close_matches(word, pool, n=n, cutoff=0.6) if w not in hits]
    return hits[:n]


class Searcher:
    """Image -> labels, text -> images, image -> images over one run and one gallery index."""

    def __init__(self, model: RunModel, gallery: Gallery | None, lookup: VectorLookup, labels: LabelSet | None):
        self.model, self.gallery, self.lookup, self.labels = model, gallery, lookup, labels
        self._wordnet_index = None
        self._imagenet_rows = None

    @classmethod
    def load(cls, devise_run: str | Path, index_dir: str | Path | None = None) -> "Searcher":
        model = RunModel.load(devise_run)
        gallery = Gallery.load(index_dir, model.fingerprint) if index_dir is not None else None
        wv = load_vectors(model.extra["vectors"])
        model.check_vectors(vectors_fingerprint(wv))
        return cls(model, gallery, VectorLookup(wv), load_labels(wv))

    # --- queries -> vectors
    def text_vector(self, query: str) -> np.ndarray:
        """Average of the (normalised) vectors of the query's words, as the lesson's (engine + boat) / 2."""
        tokens = [t for t in (re.sub(r"^\W+|\W+$", "", t) for t in _QUERY_SPLIT.split(query.lower())) if t]
        if not tokens:
            raise DataError("Empty text query: give one or more words, e.g. --text \"engine boat\".")
        vecs = []
        for token in tokens:
            vec = self.lookup.word(token)
            if vec is None:
                vec = self.lookup.lemma(token)[0]  # hyphenated: average of its parts
            if vec is None:
                near = closest_words(token, self.lookup.index)
                hint = f" Closest known words: {', '.join(near)}." if near else ""
                raise DataError(f"No word vector for '{token}'.{hint}")
            vecs.append(vec)
        return l2_normalize(np.mean(vecs, axis=0))

    def image_vector(self, image: bytes | Image.Image | str | Path) -> np.ndarray:
        return self.model.embed_images([load_image(image)])[0]

    # --- searches
    def search_vector(self, vector: np.ndarray, k: int = 9, exclude: int | None = None) -> list[ImageHit]:
        gallery = self._need_gallery()
        scores, ids = gallery.search(vector[None], k + (exclude is not None))
        hits = []
        for score, image_id in zip(scores[0], ids[0]):
            if image_id < 0 or image_id == exclude:
                continue
            image = gallery.images[gallery.row_of(int(image_id))]
            hits.append(ImageHit(int(image_id), image["path"], float(score), image.get("label")))
        return hits[:k]

    def search_text(self, query: str, k: int = 9) -> list[ImageHit]:
        return self.search_vector(self.text_vector(query), k)

    def search_image(self, image: bytes | Image.Image | str | Path, k: int = 9) -> ImageResult:
        vector = self.image_vector(image)
        labels, zero_shot = self.label_hits(vector, k)
        similar = self.search_vector(vector, k) if self.gallery is not None else []
        return ImageResult(labels, zero_shot, similar)

    def similar(self, image_id: int, k: int = 9) -> list[ImageHit]:
        gallery = self._need_gallery()
        vector = gallery.embeddings[gallery.row_of(int(image_id))]
        return self.search_vector(vector, k, exclude=int(image_id))

    def image_path(self, image_id: int) -> Path:
        gallery = self._need_gallery()
        return gallery.folder / gallery.images[gallery.row_of(int(image_id))]["path"]

    def label_hits(self, vector: np.ndarray, k: int) -> tuple[list[LabelHit], list[LabelHit]]:
        """Top-k ImageNet-1k classes and top-k WordNet nouns (names deduplicated) for one embedding."""
        if self.labels is None:
            return [], []
        if self._imagenet_rows is None:
            self._imagenet_rows = np.flatnonzero(self.labels.imagenet_found)
            self._wordnet_index = faiss.IndexFlatIP(self.labels.vectors.shape[1])
            self._wordnet_index.add(np.ascontiguousarray(self.labels.vectors))
        rows = self._imagenet_rows
        scores, idx = top_k(self.labels.imagenet_vectors[rows], vector[None], k)
        labels = [LabelHit(self.labels.imagenet_wnids[rows[i]], self.labels.imagenet_names[rows[i]], float(s))
                  for s, i in zip(scores[0], idx[0]) if i >= 0]
        scores, idx = self._wordnet_index.search(np.ascontiguousarray(vector[None], dtype=np.float32), 3 * k)
        zero_shot, seen = [], set()
        for s, i in zip(scores[0], idx[0]):
            name = self.labels.names[i] if i >= 0 else None
            if name is None or name.lower() in seen:
                continue
            seen.add(name.lower())
            zero_shot.append(LabelHit(self.labels.wnids[i], name, float(s)))
        return labels, zero_shot[:k]

    def _need_gallery(self) -> Gallery:
        if self.gallery is None:
            raise DataError("No image index loaded; build one with `wordbridge devise index RUN_DIR FOLDER`.")
        return self.gallery


def skimage_photo(name: str) -> Image.Image:
    """One of scikit-image's bundled photos ("chelsea" the cat, "coffee", "rocket", "astronaut", ...) as RGB."""
    from skimage import data as skdata

    loader = getattr(skdata, name, None)
    if loader is None:
        raise DataError(f"scikit-image has no photo '{name}' (try chelsea, coffee, rocket, astronaut).")
    return Image.fromarray(loader()).convert("RGB")


def demo_report(searcher: Searcher, photos=("chelsea", "coffee", "rocket"), queries=("cat", "boat"),
                k: int = 5) -> str:
    """Text block for the README demo: labels of a few real photos, then the top images for word queries."""
    lines = []
    for name in photos:
        result = searcher.search_image(skimage_photo(name), k)
        lines.append(f"{name}: ImageNet classes: " + ", ".join(f"{h.name} ({h.score:.2f})" for h in result.labels))
        lines.append(f"{' ' * len(name)}  WordNet nouns:    " +
                     ", ".join(f"{h.name} ({h.score:.2f})" for h in result.zero_shot))
    for query in queries if searcher.gallery is not None else ():
        hits = searcher.search_text(query, k)
        lines.append(f"'{query}' -> " + ", ".join(f"{h.path} ({h.score:.2f})" for h in hits))
    return "\n".join(lines)
