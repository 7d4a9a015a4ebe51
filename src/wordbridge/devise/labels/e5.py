"""The e5 label space (`devise.vectors: e5`): label and query vectors from the multilingual sentence encoder.

Every label is embedded as text with a short template ("a photo of a {name}"), then centred by the label mean and
renormalised: the encoder's space is a narrow cone (two unrelated ImageNet class names sit at cosine ~0.85), and a
cosine-regression target collapses toward that mean unless it is removed. The centre is the mean raw vector of the
1,000 ImageNet class labels; a run records it (model.pt `e5_center`) so that queries, in any language, are centred
the same way. Queries are embedded whole, with the encoder's query prefix and a short template when they are short
("un bateau à voile" -> "a photo of un bateau à voile"): one encoder call per query.

The WordNet part is the 1,000 ImageNet classes plus the single-word common nouns of the picturable lexicographer
files (animals, artifacts, body, food, objects, plants: ~13,800 synsets, ~7 minutes of one core once), not all
82,115 nouns (~40 minutes). Texts are embedded once into an EmbeddingCache (WORDBRIDGE_HOME/devise/e5-cache) and the
label set is cached under WORDBRIDGE_HOME/devise/labels/<fingerprint>/, the fingerprint naming the encoder, the
templates and the label lists (so a new asset version builds a new set).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Iterable, Sequence

import numpy as np

from wordbridge import paths
from wordbridge.atomic import atomic_dir
from wordbridge.devise.labels.word_vectors import LabelSet, imagenet_classes, wordnet_synsets
from wordbridge.encoder import Encoder, EmbeddingCache, get_encoder
from wordbridge.errors import DataError
from wordbridge.text import wordnet

log = logging.getLogger(__name__)

E5 = "e5"  # the devise.vectors value
E5_LABELS_VERSION = 1  # bump when templates, centring or the WordNet selection change (cache key)
LABEL_TEMPLATE = "a photo of a {}"  # labels and queries both take e5's "query: " prefix (a symmetric match):
# French stamp captions -> their English labels, 400 stamps, centred: hit@10 81.5% vs 78.2% with "passage: " labels
# and 70.3% without templates (docs/devise-e5.md)
LABEL_KIND = "query"
QUERY_TEMPLATE = "a photo of {}"  # only for queries of at most QUERY_TEMPLATE_WORDS words
QUERY_TEMPLATE_WORDS = 4
MAX_QUERY_CHARS = 1000  # longer queries are refused (the encoder truncates at 512 tokens anyway)
PICTURABLE_LEXFILES = frozenset({5, 6, 8, 13, 17, 20})  # noun.animal, artifact, body, food, object, plant


def cache_folder():
    return paths.home() / "devise" / "e5-cache"


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def check_query(text: str) -> str:
    """The stripped query; DataError (one line) when it is empty or longer than MAX_QUERY_CHARS."""
    text = (text or "").strip()
    if not text:
        raise DataError("Empty text query: give a few words in any language, e.g. --text \"un bateau à voile\".")
    if len(text) > MAX_QUERY_CHARS:
        raise DataError(f"Text query of {len(text):,} characters; at most {MAX_QUERY_CHARS:,} are accepted.")
    return text


class E5Lookup:
    """Label and query vectors in the encoder's space, centred by `center` (dim,) and L2-normalised."""

    encodes_text = True  # search.query_vector embeds whole queries (any language) instead of averaging words
    index: dict = {}  # no word list: spelling hints do not apply

    def __init__(self, encoder: Encoder, center: np.ndarray, cache: EmbeddingCache | None = None):
        self.encoder = encoder
        self.cache = cache if cache is not None else EmbeddingCache(cache_folder(), encoder)
        self.center = np.asarray(center, dtype=np.float32)
        self.dim = int(encoder.dim)

    def raw_labels(self, names: Sequence[str]) -> np.ndarray:
        """(n, dim) uncentred vectors of the templated label texts."""
        return self.cache.embed([LABEL_TEMPLATE.format(n.strip()) for n in names], LABEL_KIND)

    def centred(self, raw: np.ndarray) -> np.ndarray:
        return _unit(raw - self.center)

    def labels(self, names: Sequence[str]) -> list[np.ndarray]:
        """One centred unit vector per label name (every name has one)."""
        return list(self.centred(self.raw_labels(list(names)))) if len(names) else []

    def label(self, name: str) -> np.ndarray:
        return self.labels([name])[0]

    def query(self, text: str) -> np.ndarray:
        """(dim,) centred unit vector of a free-text query in any language (DataError when empty or too long)."""
        text = check_query(text)
        if len(text.split()) <= QUERY_TEMPLATE_WORDS:
            text = QUERY_TEMPLATE.format(text)
        return self.centred(self.encoder.embed([text], "query"))[0]

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) batched `query` through the cache (evaluation of many captions)."""
        texts = [QUERY_TEMPLATE.format(t.strip()) if len(t.split()) <= QUERY_TEMPLATE_WORDS else t.strip()
                 for t in texts]
        return self.centred(self.cache.embed(texts, "query")) if texts else np.zeros((0, self.dim), np.float32)


def picturable_synsets(also: Iterable[str] = (), dict_dir=None) -> list[tuple[str, list[str]]]:
    """(wnid, lemmas) of the WordNet nouns in PICTURABLE_LEXFILES whose first lemma is one lowercase word, plus the
    synsets `also` names (the ImageNet classes)."""
    keep = set(also)
    with open(wordnet.data_file(dict_dir, "noun"), encoding="utf-8") as handle:
        for line in handle:
            fields = line.split(maxsplit=5)
            if line.startswith("  ") or len(fields) < 5:
                continue
            if int(fields[1]) in PICTURABLE_LEXFILES and fields[4].isalpha() and fields[4].islower():
                keep.add(wordnet.synset_id(int(fields[0]), "noun"))
    return [(wnid, lemmas) for wnid, lemmas in wordnet_synsets(dict_dir) if wnid in keep]


def space_fingerprint(encoder: Encoder, synsets, imagenet) -> str:
    """Names the label set: the encoder, the templates, this module's version and both label lists."""
    h = hashlib.blake2b(digest_size=8)
    h.update(f"{encoder.name}\n{LABEL_TEMPLATE}\n{QUERY_TEMPLATE}\n{LABEL_KIND}\nv{E5_LABELS_VERSION}\n".encode())
    for wnid, lemmas in synsets:
        h.update(f"{wnid}:{lemmas[0]}\n".encode("utf-8"))
    for wnid, name in imagenet:
        h.update(f"{wnid}={name}\n".encode("utf-8"))
    return f"e5-{h.hexdigest()}"


def build_e5_labels(synsets: Iterable[tuple[str, Sequence[str]]], imagenet: Sequence[tuple[str, str]],
                    encoder: Encoder, cache: EmbeddingCache | None = None,
                    fingerprint: str = "") -> tuple[LabelSet, np.ndarray]:
    """(label set, centre): ImageNet classes and WordNet synsets (first lemma) embedded, centred, renormalised."""
    synsets = [(w, list(l)) for w, l in synsets if l]
    lookup = E5Lookup(encoder, np.zeros(encoder.dim, np.float32), cache)
    imagenet_raw = lookup.raw_labels([n for _, n in imagenet])  # (1000, dim)
    if not len(imagenet_raw):
        raise DataError("No ImageNet class names to centre the e5 label space on.")
    lookup.center = imagenet_raw.mean(axis=0).astype(np.float32)
    log.info("Embedding %d WordNet nouns with %s (cached; once per label list)", len(synsets), encoder.name)
    wordnet_vecs = lookup.centred(lookup.raw_labels([l[0] for _, l in synsets])) if synsets else \
        np.zeros((0, encoder.dim), np.float32)
    coverage = {"synsets": len(synsets), "exact_first_lemma": len(synsets), "exact": len(synsets), "lemmas": 0,
                "head": 0, "none": 0, "covered": len(synsets), "imagenet": len(imagenet),
                "imagenet_found": len(imagenet)}
    labels = LabelSet(wnids=[w for w, _ in synsets], names=[l[0] for _, l in synsets], vectors=wordnet_vecs,
                      imagenet_wnids=[w for w, _ in imagenet], imagenet_names=[n for _, n in imagenet],
                      imagenet_vectors=lookup.centred(imagenet_raw), coverage=coverage, fingerprint=fingerprint)
    return labels, lookup.center


def load_e5_space(encoder: Encoder | None = None, synsets=None, imagenet=None,
                  cache: bool = True) -> tuple[E5Lookup, LabelSet]:
    """(lookup, label set) of the e5 space, built once per encoder + label lists and cached; the lookup is centred
    like the labels. AssetError (one line) when the encoder is not installed."""
    encoder = get_encoder() if encoder is None else encoder
    imagenet = imagenet_classes() if imagenet is None else list(imagenet)
    synsets = picturable_synsets(w for w, _ in imagenet) if synsets is None else list(synsets)
    fingerprint = space_fingerprint(encoder, synsets, imagenet)
    folder = paths.home() / "devise" / "labels" / fingerprint
    embeddings = EmbeddingCache(cache_folder(), encoder)
    if cache and (folder / "labels.json").is_file() and (folder / "center.npy").is_file():
        return E5Lookup(encoder, np.load(folder / "center.npy"), embeddings), LabelSet.load(folder)
    labels, center = build_e5_labels(synsets, imagenet, encoder, embeddings, fingerprint)
    if cache:
        with atomic_dir(folder, overwrite=True) as tmp:
            labels.save(tmp)
            np.save(tmp / "center.npy", center)
    return E5Lookup(encoder, center, embeddings), labels
