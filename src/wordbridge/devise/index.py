"""A searchable gallery: images of a folder embedded by a DeViSE run, in a faiss inner-product index.

Embeddings are L2-normalised, so inner product = cosine = angular distance order (the lesson's nmslib
'angulardist'). The index folder holds
    index.faiss       faiss IndexIDMap2(IndexFlatIP) over the embeddings, ids = image ids
    embeddings.npy    (n, dim) float32, rows in `meta.json` order
    meta.json         model fingerprint, image folder, images [{id, path, size, mtime_ns, label, caption}], skipped
                      files (caption: what the image shows, when its gallery says: devise/captions.py)
Indexing is incremental: a second run over the same folder embeds only new or changed files and drops removed
ones. An index built by another model is refused (CheckpointError) rather than silently mixed.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Callable

import numpy as np

logging.getLogger("faiss.loader").setLevel(logging.ERROR)  # its CPU-feature probing is noise on the CLI
import faiss  # noqa: E402
from tqdm import tqdm

from wordbridge.atomic import atomic_dir
from wordbridge.devise.captions import caption_of
from wordbridge.errors import CheckpointError, DataError

log = logging.getLogger(__name__)

INDEX_FILE, EMB_FILE, META_FILE = "index.faiss", "embeddings.npy", "meta.json"
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".jfif"}
FORMAT = 1

# (images) -> (n, dim) L2-normalised embeddings; images are whatever `load_image` returns
EmbedFn = Callable[[list], np.ndarray]
LoadFn = Callable[[Path], object]


@dataclasses.dataclass
class Gallery:
    """An indexed image folder: paths relative to `folder`, embeddings and a faiss index over them."""

    folder: Path
    model_fingerprint: str
    images: list[dict]  # {id, path, size, mtime_ns, label}
    embeddings: np.ndarray  # (n, dim) float32, L2-normalised
    skipped: list[dict] = dataclasses.field(default_factory=list)  # {path, size, mtime_ns, reason}
    _index: faiss.Index | None = None
    _rows: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self.images)

    @property
    def index(self) -> faiss.Index:
        if self._index is None:
            self._index = build_faiss(self.embeddings, np.array([im["id"] for im in self.images], dtype=np.int64))
        return self._index

    def row_of(self, image_id: int) -> int:
        if self._rows is None:
            self._rows = {im["id"]: i for i, im in enumerate(self.images)}
        if image_id not in self._rows:
            raise DataError(f"No image with id {image_id} in this index (ids 0..{self.next_id() - 1}).")
        return self._rows[image_id]

    def next_id(self) -> int:
        return max((im["id"] for im in self.images), default=-1) + 1

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """queries: (q, dim) -> (scores (q, k), ids (q, k)); id -1 where fewer than k images exist."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.embeddings.shape[1])
        if not len(self.images):
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        return self.index.search(queries, min(k, len(self.images)))

    def save(self, out_dir: Path, overwrite: bool = True) -> None:
        meta = {"format": FORMAT, "model_fingerprint": self.model_fingerprint, "folder": str(self.folder),
                "dim": int(self.embeddings.shape[1]), "images": self.images, "skipped": self.skipped}
        with atomic_dir(out_dir, overwrite=overwrite) as tmp:
            np.save(tmp / EMB_FILE, self.embeddings)
            faiss.write_index(self.index, str(tmp / INDEX_FILE))
            (tmp / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, index_dir: str | Path, model_fingerprint: str | None = None) -> "Gallery":
        """Read an index folder; refuse one built with another model when `model_fingerprint` is given."""
        index_dir = Path(index_dir)
        if not (index_dir / META_FILE).is_file():
            raise DataError(f"{index_dir} is not a DeViSE index (no {META_FILE}); build one with "
                            f"`wordbridge devise index RUN_DIR IMAGE_FOLDER --out {index_dir}`.")
        try:
            meta = json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
            embeddings = np.load(index_dir / EMB_FILE)
            index = faiss.read_index(str(index_dir / INDEX_FILE))
        except (OSError, ValueError, RuntimeError) as exc:
            raise DataError(f"Index {index_dir} is corrupt ({str(exc).splitlines()[0][:120]}); rebuild it.") from None
        if model_fingerprint is not None and meta.get("model_fingerprint") != model_fingerprint:
            raise CheckpointError(
                f"Index {index_dir} was built with another model ({meta.get('model_fingerprint')}, this run is "
                f"{model_fingerprint}); rebuild it with `wordbridge devise index RUN_DIR FOLDER --out NEW_DIR`.")
        if len(embeddings) != len(meta["images"]) or index.ntotal != len(embeddings):
            raise DataError(f"Index {index_dir} is inconsistent ({len(meta['images'])} images, "
                            f"{len(embeddings)} embeddings, {index.ntotal} in faiss); rebuild it.")
        return cls(Path(meta["folder"]), meta["model_fingerprint"], meta["images"], embeddings,
                   meta.get("skipped", []), _index=index)


def build_faiss(embeddings: np.ndarray, ids: np.ndarray) -> faiss.Index:
    """Exact inner-product index with explicit ids (stable across incremental updates)."""
    dim = embeddings.shape[1] if embeddings.ndim == 2 else 0
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    if len(embeddings):
        index.add_with_ids(np.ascontiguousarray(embeddings, dtype=np.float32), ids.astype(np.int64))
    return index


def list_files(folder: Path) -> tuple[list[Path], int]:
    """(image-like files under folder, sorted; count of other files ignored). Hidden files and folders are left out."""
    images, others = [], 0
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower() in IMAGE_EXTS:
            images.append(path)
        else:
            others += 1
    return images, others


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _label_of(rel: Path) -> str | None:
    """An image's label is the name of the folder it sits in (None at the gallery's top level)."""
    return rel.parent.name if len(rel.parts) > 1 else None


def update_gallery(
    folder: Path,
    previous: Gallery | None,
    model_fingerprint: str,
    embed: EmbedFn,
    load_image: LoadFn,
    batch_size: int = 32,
) -> tuple[Gallery, dict]:
    """Embed the images of `folder` not already in `previous` (same size and mtime); returns (gallery, counts)."""
    folder = folder.resolve()
    files, ignored = list_files(folder)
    known = {}
    if previous is not None:
        known = {im["path"]: (im, i) for i, im in enumerate(previous.images)}
        known_skipped = {s["path"]: s for s in previous.skipped}
    else:
        known_skipped = {}
    kept_rows, images, skipped, todo = [], [], [], []
    for path in files:
        rel = path.relative_to(folder).as_posix()
        size, mtime = _stat(path)
        old = known.get(rel)
        if old and (old[0]["size"], old[0]["mtime_ns"]) == (size, mtime):
            images.append(old[0])
            kept_rows.append(old[1])
        elif rel in known_skipped and (known_skipped[rel]["size"], known_skipped[rel]["mtime_ns"]) == (size, mtime):
            skipped.append(known_skipped[rel])
        else:
            todo.append((path, rel, size, mtime))
    next_id = previous.next_id() if previous is not None else 0
    dim = previous.embeddings.shape[1] if previous is not None else None
    kept = previous.embeddings[kept_rows] if previous is not None and kept_rows else None
    new_images, new_vecs, new_skipped = _embed_files(todo, embed, load_image, batch_size, next_id)
    images += new_images
    skipped += new_skipped
    parts = [a for a in (kept, new_vecs) if a is not None and len(a)]
    if parts:
        embeddings = np.concatenate(parts).astype(np.float32)
    else:
        embeddings = np.zeros((0, dim or 0), np.float32)
    removed = len(known) - len(kept_rows)
    counts = {"images": len(images), "new": len(new_images), "kept": len(kept_rows), "removed": removed,
              "skipped": len(skipped), "newly_skipped": len(new_skipped), "ignored": ignored}
    return Gallery(folder, model_fingerprint, images, embeddings, skipped), counts


def _embed_files(todo, embed: EmbedFn, load_image: LoadFn, batch_size: int, next_id: int):
    images, vecs, skipped = [], [], []
    bar = tqdm(total=len(todo), desc="embedding images", unit="img", disable=not todo)
    for start in range(0, len(todo), batch_size):
        loaded, entries = [], []
        for path, rel, size, mtime in todo[start:start + batch_size]:
            try:
                loaded.append(load_image(path))
            except Exception as exc:  # unreadable, truncated, not an image: count it and go on
                reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
                skipped.append({"path": rel, "size": size, "mtime_ns": mtime, "reason": reason})
                log.debug("skipped %s: %s", rel, reason)
                continue
            entries.append({"id": next_id, "path": rel, "size": size, "mtime_ns": mtime,
                            "label": _label_of(Path(rel)),
                            "caption": caption_of(path, path.parents[len(Path(rel).parts) - 1])})
            next_id += 1
        if loaded:
            vecs.append(np.asarray(embed(loaded), dtype=np.float32))
            images += entries
        bar.update(len(todo[start:start + batch_size]))
    bar.close()
    return images, (np.concatenate(vecs) if vecs else None), skipped


def index_folder(
    folder: str | Path,
    out_dir: str | Path,
    model_fingerprint: str,
    embed: EmbedFn,
    load_image: LoadFn,
    batch_size: int = 32,
    overwrite: bool = False,
) -> dict:
    """Build or update the index of `folder` in `out_dir`; returns counts. Refuses an index of another model or
    another folder unless overwrite=True."""
    folder, out_dir = Path(folder), Path(out_dir)
    if not folder.is_dir():
        raise DataError(f"Image folder {folder} does not exist or is not a folder.")
    previous = None
    if (out_dir / META_FILE).is_file():
        try:
            previous = Gallery.load(out_dir, model_fingerprint)
        except (CheckpointError, DataError) as exc:
            if not overwrite:
                raise type(exc)(f"{exc} (or pass --overwrite to replace it)") from None
        if previous is not None and previous.folder != folder.resolve():
            if not overwrite:
                raise DataError(f"Index {out_dir} holds folder {previous.folder}, not {folder.resolve()}; "
                                f"use another --out or pass --overwrite.")
            previous = None
    elif out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise DataError(f"Output folder {out_dir} exists and is not an index; pass --overwrite to replace it.")
    gallery, counts = update_gallery(folder, previous, model_fingerprint, embed, load_image, batch_size)
    gallery.save(out_dir, overwrite=True)
    return counts


def top_k(matrix: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top-k of queries (q, dim) against rows of matrix (n, dim) with faiss; (scores, rows)."""
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(np.ascontiguousarray(matrix, dtype=np.float32))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, matrix.shape[1]),
                        min(k, len(matrix)))
