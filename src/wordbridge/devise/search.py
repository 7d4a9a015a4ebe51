"""Search with a trained DeViSE run and an indexed gallery (the lesson's three searches, with faiss).

    s = Searcher.load("runs/devise", "runs/devise/indexes/gallery")
    s.search_image(open("cat.jpg", "rb").read())  # -> ImageResult(labels (ImageNet-1k), zero_shot (WordNet), similar)
    s.search_image(img, method="conse")           # image -> labels by devise | conse | blend (devise/methods.py)
    s.search_text("engine boat")                  # averaged word vectors -> images
    s.similar(image_id)                           # image -> images

All vectors are L2-normalised, so faiss inner product ranks by angle; text -> images then re-ranks faiss's shortlist
by CSLS (hubness reduction, devise/index/hubness.py) unless the run's `devise.hubness_k` is 0. Image -> labels uses
the run's method (`devise.method`) unless told otherwise, with the run's calibrated-stacking margin for that method:
labels the head trained on lose gamma of their cosine. A query word without a vector raises a one-line DataError
naming the closest known spellings; stop words ("a", "the") are left out of queries that have other words.
"""

from __future__ import annotations

import difflib
import logging
import re
from pathlib import Path

import numpy as np
from PIL import Image

from wordbridge.devise.backbones.images import load_image
from wordbridge.devise.index import hubness
from wordbridge.devise.index.gallery import Gallery
from wordbridge.devise.labels.word_vectors import LabelSet, VectorLookup
from wordbridge.devise.methods import calibrate, check_method, method_vectors, seen_labels
from wordbridge.devise.model import RunModel
from wordbridge.devise.evaluation.photos import skimage_photo
from wordbridge.errors import DataError
from wordbridge.results import ImageHit, ImageResult, LabelHit
from wordbridge.devise.labels.french import FrenchNamer
from wordbridge.devise.labels.spaces import is_e5, label_space
from wordbridge.text.vectors import l2_normalize

log = logging.getLogger(__name__)

_QUERY_SPLIT = re.compile(r"[\s,;+&]+")
# function words that carry no picture; dropped from a query that has other words ("a frog" -> "frog")
STOP_WORDS = frozenset("a an the of and or with in on at to for from by is are its it his her their this that "
                       "some one two le la les un une des du de et".split())


def query_words(query: str) -> list[str]:
    """Lowercase words of a query, edge punctuation stripped; stop words dropped when others remain."""
    tokens = [t for t in (re.sub(r"^\W+|\W+$", "", t) for t in _QUERY_SPLIT.split(query.lower())) if t]
    content = [t for t in tokens if t not in STOP_WORDS]
    return content or tokens


def query_vector(lookup: VectorLookup, query: str, strict: bool = True) -> np.ndarray | None:
    """Average of the (normalised) vectors of the query's words, as the lesson's (engine + boat) / 2.

    strict: a word without a vector raises DataError naming the closest known words; otherwise such words are left
    out (None when no word is left). In the e5 space (a lookup that `encodes_text`) the whole query, in any language,
    is one encoder call."""
    if getattr(lookup, "encodes_text", False):
        if not strict and not query.strip():
            return None
        return lookup.query(query)
    tokens = query_words(query)
    if not tokens:
        if not strict:
            return None
        raise DataError("Empty text query: give one or more words, e.g. --text \"engine boat\".")
    vecs = []
    for token in tokens:
        vec = lookup.word(token)
        if vec is None:
            vec = lookup.lemma(token)[0]  # hyphenated: average of its parts
        if vec is None and strict:
            near = closest_words(token, lookup.index)
            hint = f" Closest known words: {', '.join(near)}." if near else ""
            raise DataError(f"No word vector for '{token}'.{hint}")
        if vec is not None:
            vecs.append(vec)
    return l2_normalize(np.mean(vecs, axis=0)) if vecs else None


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

    def __init__(self, model: RunModel, gallery: Gallery | None, lookup: VectorLookup, labels: LabelSet | None,
                 method: str | None = None):
        self.model, self.gallery, self.lookup, self.labels = model, gallery, lookup, labels
        run_cfg = (model.config or {}).get("devise") or {}
        self.method = check_method(method or run_cfg.get("method", "devise"))  # the run's default
        self.conse_top = int(run_cfg.get("conse_top", 10))
        self.margins: dict[str, float] = dict(model.extra.get("calibration") or {})
        self._seen: tuple[np.ndarray, np.ndarray] | None = None  # (ImageNet, WordNet) labels the head trained on
        self._french = None  # FrenchNamer, built on the first --lang fr
        self.hubness_k = int(run_cfg.get("hubness_k", hubness.HUBNESS_K))  # 0 = text -> images by plain cosine
        self._penalty: np.ndarray | None = None  # the gallery images' hubness, computed or read once

    @classmethod
    def load(cls, devise_run: str | Path, index_dir: str | Path | None = None) -> "Searcher":
        model = RunModel.load(devise_run)
        gallery = Gallery.load(index_dir, model.gallery_fingerprint) if index_dir is not None else None
        if gallery is not None and not len(gallery):
            log.warning("index %s holds no images (%d files skipped): image searches return nothing", index_dir,
                        len(gallery.skipped))
        lookup, labels = label_space(model.extra["vectors"])
        model.check_vectors(labels.fingerprint)
        if model.extra.get("e5_center") is not None:  # queries centred exactly as the run's labels were
            lookup.center = np.asarray(model.extra["e5_center"], dtype=np.float32)
        return cls(model, gallery, lookup, labels)

    # --- queries -> vectors
    @property
    def space(self) -> str:
        """The run's label space: 'e5' (any-language queries) or the word vectors' name."""
        return str(self.model.extra.get("vectors", ""))

    @property
    def multilingual(self) -> bool:
        """True when text queries in any language search directly (the run's space is e5)."""
        return is_e5(self.space)

    def in_french(self, hits: list[LabelHit]) -> list[str]:
        """The nearest French label of each label hit (ImageNet class or WordNet noun); DataError for a run outside
        the e5 space, whose word vectors hold English only."""
        if not self.multilingual or self.labels is None:
            raise DataError(f"Run {self.model.run_dir} lives in the '{self.space}' word-vector space, which holds "
                            "English only; French labels need a run trained with devise.vectors=e5.")
        if self._french is None:
            self._french = FrenchNamer(self.lookup, self.labels)
        rows = {w: v for w, v in zip(self.labels.imagenet_wnids, self.labels.imagenet_vectors)}
        rows.update(zip(self.labels.wnids, self.labels.vectors))
        return self._french.name(np.stack([rows[h.wnid] for h in hits])) if hits else []

    def text_vector(self, query: str) -> np.ndarray:
        """Average of the (normalised) vectors of the query's words (query_vector, strict); in the e5 space the
        encoder's vector of the whole query."""
        return query_vector(self.lookup, query)

    def image_vector(self, image: bytes | Image.Image | str | Path) -> np.ndarray:
        return self.model.embed_gallery_images([load_image(image)])[0]

    def image_vectors(self, image, method: str | None = None) -> tuple[np.ndarray, np.ndarray, str]:
        """(the gallery embedding (dim,) for image -> images, the method's vector (dim,) for labels, the method)."""
        pooled, logits = self.model.features([load_image(image)])
        devise = self.model.embed_features(pooled)  # (1, dim)
        embedding = self.model.with_conse(devise, logits)[0]
        chosen = check_method(method) if method else self.method
        if logits is None and not method:
            chosen = "devise"  # a backbone without an ImageNet classifier: the run's default falls back
        labels = self.labels.imagenet_vectors if self.labels is not None else np.zeros((0, devise.shape[1]))
        return embedding, method_vectors(chosen, devise, logits, labels, self.conse_top)[0], chosen

    # --- searches
    def search_vector(self, vector: np.ndarray, k: int = 9, exclude: int | None = None) -> list[ImageHit]:
        gallery = self._need_gallery()
        if not len(gallery):  # an empty gallery (every file skipped): no hits rather than a shape error
            return []
        scores, ids = gallery.search(vector[None], k + (exclude is not None))
        hits = []
        for score, image_id in zip(scores[0], ids[0]):
            if image_id < 0 or image_id == exclude:
                continue
            image = gallery.images[gallery.row_of(int(image_id))]
            hits.append(ImageHit(int(image_id), image["path"], float(score), image.get("label"), image.get("caption")))
        return hits[:k]

    def search_text(self, query: str, k: int = 9) -> list[ImageHit]:
        """Images for a text query: faiss's cosine shortlist re-ranked by CSLS (hubness.py) when hubness_k > 0; each
        hit's score stays its cosine."""
        vector = self.text_vector(query)
        gallery = self._need_gallery()
        if self.hubness_k <= 0 or not len(gallery):
            return self.search_vector(vector, k)
        hits = self.search_vector(vector, hubness.shortlist(k, len(gallery)))
        penalty = self.hub_penalty()
        order = np.argsort([-hubness.csls(h.score, penalty[gallery.row_of(h.id)]) for h in hits], kind="stable")
        return [hits[i] for i in order[:k]]

    def hub_penalty(self) -> np.ndarray:
        """(n,) hubness of the gallery's images against the run's label vectors, computed once and kept."""
        gallery = self._need_gallery()
        if self._penalty is None or len(self._penalty) != len(gallery):
            self._penalty = hubness.neighbour_mean(gallery.embeddings, self.reference_vectors(), self.hubness_k)
        return self._penalty

    def reference_vectors(self) -> np.ndarray:
        """The run's label vectors that define an image's hubness (its classes, WordNet, ImageNet)."""
        classes = self.model.extra.get("class_vectors")
        return hubness.reference_vectors(self.labels, None if classes is None else np.asarray(classes))

    def search_image(self, image: bytes | Image.Image | str | Path, k: int = 9,
                     method: str | None = None) -> ImageResult:
        """Labels by `method` (default: the run's), calibrated by its margin; similar images by the head's vector."""
        embedding, vector, chosen = self.image_vectors(image, method)
        labels, zero_shot = self.label_hits(vector, k, self.margins.get(chosen, 0.0))
        similar = self.search_vector(embedding, k) if self.gallery is not None else []
        return ImageResult(labels, zero_shot, similar)

    def similar(self, image_id: int, k: int = 9) -> list[ImageHit]:
        gallery = self._need_gallery()
        vector = gallery.embeddings[gallery.row_of(int(image_id))]
        return self.search_vector(vector, k, exclude=int(image_id))

    def image_path(self, image_id: int) -> Path:
        """The image's file, symlinks resolved; DataError when it lies outside the gallery folder (an edited
        meta.json, an absolute or `..` path, a symlink leaving the folder): the web app serves only these."""
        gallery = self._need_gallery()
        root = gallery.folder.resolve()
        rel = gallery.images[gallery.row_of(int(image_id))]["path"]
        path = (root / rel).resolve()
        if not path.is_relative_to(root):
            raise DataError(f"Image {image_id} ({rel}) lies outside the gallery folder {root}; refused.")
        return path

    def _seen_masks(self) -> tuple[np.ndarray, np.ndarray]:
        if self._seen is None:
            classes = self.model.extra.get("classes", [])
            self._seen = (seen_labels(self.labels.imagenet_names, classes), seen_labels(self.labels.names, classes))
        return self._seen

    def label_hits(self, vector: np.ndarray, k: int, gamma: float = 0.0) -> tuple[list[LabelHit], list[LabelHit]]:
        """Top-k ImageNet-1k classes and top-k WordNet nouns (names deduplicated) for one vector; labels the head
        trained on lose `gamma` (calibrated stacking). Scores are the (calibrated) cosines."""
        if self.labels is None:
            return [], []
        seen_1k, seen_wn = self._seen_masks()
        found = self.labels.imagenet_found
        scores = calibrate((self.labels.imagenet_vectors @ vector)[None], seen_1k, gamma)[0]  # (1000,)
        scores[~found] = -np.inf
        labels = [LabelHit(self.labels.imagenet_wnids[i], self.labels.imagenet_names[i], float(scores[i]))
                  for i in np.argsort(-scores, kind="stable")[:min(k, int(found.sum()))]]
        scores = calibrate((self.labels.vectors @ vector)[None], seen_wn, gamma)[0]  # (n_wordnet,)
        top = min(len(scores), 3 * k)
        idx = np.argpartition(-scores, top - 1)[:top] if top else np.zeros(0, np.int64)
        zero_shot, names = [], set()
        for i in idx[np.argsort(-scores[idx], kind="stable")]:
            name = self.labels.names[i]
            if name.lower() not in names:
                names.add(name.lower())
                zero_shot.append(LabelHit(self.labels.wnids[i], name, float(scores[i])))
        return labels, zero_shot[:k]

    def _need_gallery(self) -> Gallery:
        if self.gallery is None:
            raise DataError("No image index loaded; build one with `wordbridge devise index RUN_DIR FOLDER`.")
        return self.gallery


def demo_report(searcher: Searcher, photos=("chelsea", "coffee", "rocket"), queries=("cat", "boat"),
                k: int = 5, method: str | None = None) -> str:
    """Text block for the README demo: labels of a few real photos, then the top images for word queries."""
    lines = []
    for name in photos:
        result = searcher.search_image(skimage_photo(name), k, method)
        lines.append(f"{name}: ImageNet classes: " + ", ".join(f"{h.name} ({h.score:.2f})" for h in result.labels))
        lines.append(f"{' ' * len(name)}  WordNet nouns:    " +
                     ", ".join(f"{h.name} ({h.score:.2f})" for h in result.zero_shot))
    for query in queries if searcher.gallery is not None else ():
        hits = searcher.search_text(query, k)
        lines.append(f"'{query}' -> " + ", ".join(f"{h.caption or h.path} ({h.score:.2f})" for h in hits))
    return "\n".join(lines)
