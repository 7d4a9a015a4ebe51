"""A searchable gallery: images of a folder embedded by a DeViSE run, in a faiss inner-product index.

Embeddings are L2-normalised, so inner product = cosine = angular distance order (the lesson's nmslib
'angulardist'). The index folder holds
    index.faiss       faiss index over the embeddings, ids = image ids; its kind chosen by size (devise/index/ann.py:
                      exact Flat for small galleries, IVF-Flat, IVF-PQ under a RAM cap)
    embeddings.npy    (n, dim) float32, rows in `meta.json` order
    meta.json         model fingerprint, image folder, images [{id, path, size, mtime_ns, label, caption}], skipped
                      files (caption: what the image shows, when its gallery says: devise/index/captions.py), index {kind,
                      factory, nlist, nprobe, recall_at_10, ram_bytes, build_s, ...}
Indexing is incremental: a second run over the same folder embeds only new or changed files and drops removed
ones. An index built by another model is refused (CheckpointError) rather than silently mixed. Under torchrun the
new files are embedded by all processes in chunks (devise/index/sharding.py) and rank 0 writes the index; a killed run
resumes from the chunks already written. Large indexes and embeddings are memory-mapped at load.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path
from typing import Callable

import numpy as np

logging.getLogger("faiss.loader").setLevel(logging.ERROR)  # its CPU-feature probing is noise on the CLI
import faiss  # noqa: E402

from wordbridge.atomic import atomic_dir  # noqa: E402
from wordbridge.devise.index import ann, sharding  # noqa: E402
from wordbridge.devise.index.captions import caption_of  # noqa: E402
from wordbridge.devise.index.sharding import Entry, PathEmbedFn  # noqa: E402
from wordbridge.errors import CheckpointError, DataError  # noqa: E402
from wordbridge.train.distributed import DistInfo, main_first  # noqa: E402

log = logging.getLogger(__name__)

INDEX_FILE, EMB_FILE, META_FILE = "index.faiss", "embeddings.npy", "meta.json"
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".jfif"}
FORMAT = 1
MMAP_BYTES = 256 * 2**20  # index / embedding files at least this large are memory-mapped at load

# (images) -> (n, dim) L2-normalised embeddings; images are whatever `load_image` returns
EmbedFn = Callable[[list], np.ndarray]
LoadFn = Callable[[Path], object]


@dataclasses.dataclass
class Gallery:
    """An indexed image folder: paths relative to `folder`, embeddings and a faiss index over them."""

    folder: Path
    model_fingerprint: str
    images: list[dict]  # {id, path, size, mtime_ns, label}
    embeddings: np.ndarray  # (n, dim) float32, L2-normalised (a read-only memory map when large)
    skipped: list[dict] = dataclasses.field(default_factory=list)  # {path, size, mtime_ns, reason}
    index_info: dict = dataclasses.field(default_factory=dict)  # kind, factory, nprobe, recall_at_10, ram_bytes ...
    _index: faiss.Index | None = None
    _rows: dict[int, int] | None = None

    def __len__(self) -> int:
        return len(self.images)

    @property
    def index(self) -> faiss.Index:
        if self._index is None:
            self.build_index()
        return self._index

    def build_index(self, max_ram: int | None = None, kind: str | None = None) -> dict:
        """(Re)build the faiss index, its kind chosen by size under `max_ram` bytes (or forced); returns its info."""
        dim = self.embeddings.shape[1] if self.embeddings.ndim == 2 else 0
        plan = ann.plan_index(len(self.images), dim, max_ram, kind=kind)
        ids = np.array([im["id"] for im in self.images], dtype=np.int64)
        self._index, self.index_info = ann.build_index(self.embeddings, ids, plan)
        return self.index_info

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

    def describe(self) -> str:
        """One line: the index kind, its settings and the recall@10 measured at build time."""
        info = self.index_info or {"factory": "IDMap2,Flat", "kind": "flat", "recall_at_10": 1.0}
        probe = f", nprobe {info['nprobe']}" if info.get("nprobe") else ""
        ram = f", {info['ram_bytes'] / 2**20:,.1f} MiB" if info.get("ram_bytes") else ""
        return (f"{info['kind']} ({info['factory']}{probe}), {len(self):,} images, recall@10 "
                f"{info.get('recall_at_10', 1.0):.3f} vs exact{ram}")

    def save(self, out_dir: Path, overwrite: bool = True) -> None:
        with atomic_dir(out_dir, overwrite=overwrite) as tmp:
            np.save(tmp / EMB_FILE, self.embeddings)
            faiss.write_index(self.index, str(tmp / INDEX_FILE))
            self.index_info["ram_bytes"] = (tmp / INDEX_FILE).stat().st_size  # what the index takes in memory
            meta = {"format": FORMAT, "model_fingerprint": self.model_fingerprint, "folder": str(self.folder),
                    "dim": int(self.embeddings.shape[1]), "images": self.images, "skipped": self.skipped,
                    "index": self.index_info}
            (tmp / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, index_dir: str | Path, model_fingerprint: str | None = None, mmap: bool | None = None) -> "Gallery":
        """Read an index folder; refuse one built with another model when `model_fingerprint` is given.

        mmap: memory-map the embeddings and (IVF kinds) the faiss index; None = when the file is >= MMAP_BYTES."""
        index_dir = Path(index_dir)
        if not (index_dir / META_FILE).is_file():
            raise DataError(f"{index_dir} is not a DeViSE index (no {META_FILE}); build one with "
                            f"`wordbridge devise index RUN_DIR IMAGE_FOLDER --out {index_dir}`.")
        try:
            meta = json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
            info = meta.get("index") or {"kind": "flat", "factory": "IDMap2,Flat", "recall_at_10": 1.0}
            emb_path, index_path = index_dir / EMB_FILE, index_dir / INDEX_FILE
            big = (lambda path: os.path.getsize(path) >= MMAP_BYTES) if mmap is None else (lambda path: mmap)
            embeddings = np.load(emb_path, mmap_mode="r" if big(emb_path) else None)
            index = ann.read_index(str(index_path), mmap=info["kind"] != "flat" and big(index_path))
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise DataError(f"Index {index_dir} is corrupt ({str(exc).splitlines()[0][:120]}); rebuild it.") from None
        if model_fingerprint is not None and meta.get("model_fingerprint") != model_fingerprint:
            raise CheckpointError(
                f"Index {index_dir} was built with another model ({meta.get('model_fingerprint')}, this run is "
                f"{model_fingerprint}); rebuild it with `wordbridge devise index RUN_DIR FOLDER --out NEW_DIR`.")
        if len(embeddings) != len(meta["images"]) or index.ntotal != len(embeddings):
            raise DataError(f"Index {index_dir} is inconsistent ({len(meta['images'])} images, "
                            f"{len(embeddings)} embeddings, {index.ntotal} in faiss); rebuild it.")
        return cls(Path(meta["folder"]), meta["model_fingerprint"], meta["images"], embeddings,
                   meta.get("skipped", []), info, _index=index)


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


@dataclasses.dataclass
class Scan:
    """What an indexing run has to do: the images kept from the previous index and the files to embed."""

    kept: list[dict]  # previous image entries still current (same size and mtime), in file order
    kept_rows: list[int]  # their rows in the previous embeddings
    skipped: list[dict]  # previously skipped files still unchanged
    todo: list[Entry]  # files to embed, sorted
    ignored: int  # other files
    removed: int  # previous images gone or changed


def scan_folder(folder: Path, previous: Gallery | None) -> Scan:
    """Compare `folder` (resolved) with the previous index: unchanged files are kept, new or changed ones to do."""
    files, ignored = list_files(folder)
    known = {im["path"]: (im, i) for i, im in enumerate(previous.images)} if previous is not None else {}
    known_skipped = {s["path"]: s for s in previous.skipped} if previous is not None else {}
    scan = Scan([], [], [], [], ignored, 0)
    for path in files:
        rel = path.relative_to(folder).as_posix()
        size, mtime = _stat(path)
        old = known.get(rel)
        if old and (old[0]["size"], old[0]["mtime_ns"]) == (size, mtime):
            scan.kept.append(old[0])
            scan.kept_rows.append(old[1])
        elif rel in known_skipped and (known_skipped[rel]["size"], known_skipped[rel]["mtime_ns"]) == (size, mtime):
            scan.skipped.append(known_skipped[rel])
        else:
            scan.todo.append((path, rel, size, mtime))
    scan.removed = len(known) - len(scan.kept_rows)
    return scan


def pil_embedder(embed: EmbedFn, load_image: LoadFn, batch_size: int = 32) -> PathEmbedFn:
    """A PathEmbedFn from an image loader and an embedder of loaded images (unreadable files skipped)."""
    def embed_paths(paths: list[Path]):
        vecs, kept, bad = [], [], []
        for start in range(0, len(paths), batch_size):
            loaded = []
            for i, path in enumerate(paths[start:start + batch_size], start):
                try:
                    loaded.append(load_image(path))
                    kept.append(i)
                except Exception as exc:  # unreadable, truncated, not an image: count it and go on
                    bad.append((i, str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
            if loaded:
                vecs.append(np.asarray(embed(loaded), dtype=np.float32))
        return (np.concatenate(vecs) if vecs else np.zeros((0, 0), np.float32)), kept, bad

    return embed_paths


def merge_chunks(folder: Path, previous: Gallery | None, scan: Scan, model_fingerprint: str, parts: Path,
                 chunk_size: int) -> tuple[Gallery, dict]:
    """The new gallery: kept images first, then the embedded chunks in order, ids continuing the previous ones."""
    next_id = previous.next_id() if previous is not None else 0
    images, skipped = list(scan.kept), list(scan.skipped)
    blocks = [np.asarray(previous.embeddings[scan.kept_rows])] if scan.kept_rows else []
    new = newly_skipped = 0
    for chunk, vecs, kept, bad in sharding.read_chunks(scan.todo, parts, model_fingerprint, chunk_size):
        for pos in kept.tolist():
            _, rel, size, mtime = chunk[pos]
            path = chunk[pos][0]
            images.append({"id": next_id, "path": rel, "size": size, "mtime_ns": mtime,
                           "label": _label_of(Path(rel)), "caption": caption_of(path, folder)})
            next_id += 1
        for pos, reason in bad:
            _, rel, size, mtime = chunk[pos]
            skipped.append({"path": rel, "size": size, "mtime_ns": mtime, "reason": reason[:160]})
            log.debug("skipped %s: %s", rel, reason)
        if len(kept):
            blocks.append(vecs)
        new, newly_skipped = new + len(kept), newly_skipped + len(bad)
    dim = previous.embeddings.shape[1] if previous is not None and previous.embeddings.ndim == 2 else 0
    embeddings = np.concatenate(blocks).astype(np.float32) if blocks else np.zeros((0, dim), np.float32)
    counts = {"images": len(images), "new": new, "kept": len(scan.kept_rows), "removed": scan.removed,
              "skipped": len(skipped), "newly_skipped": newly_skipped, "ignored": scan.ignored}
    return Gallery(folder, model_fingerprint, images, embeddings, skipped), counts


def _previous(folder: Path, out_dir: Path, model_fingerprint: str, overwrite: bool) -> Gallery | None:
    """The index in `out_dir` to update, None to build afresh; refuses another model's or folder's index."""
    if not folder.is_dir():
        raise DataError(f"Image folder {folder} does not exist or is not a folder.")
    if not (out_dir / META_FILE).is_file():
        if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
            raise DataError(f"Output folder {out_dir} exists and is not an index; pass --overwrite to replace it.")
        return None
    try:
        previous = Gallery.load(out_dir, model_fingerprint)
    except (CheckpointError, DataError) as exc:
        if not overwrite:
            raise type(exc)(f"{exc} (or pass --overwrite to replace it)") from None
        return None
    if previous.folder != folder.resolve():
        if not overwrite:
            raise DataError(f"Index {out_dir} holds folder {previous.folder}, not {folder.resolve()}; "
                            f"use another --out or pass --overwrite.")
        return None
    return previous


def index_folder(
    folder: str | Path,
    out_dir: str | Path,
    model_fingerprint: str,
    embed: EmbedFn | PathEmbedFn,
    load_image: LoadFn | None = None,
    batch_size: int = 32,
    overwrite: bool = False,
    *,
    info: DistInfo | None = None,
    max_ram: int | None = None,
    kind: str | None = None,
    chunk_size: int = sharding.CHUNK_SIZE,
    allow_empty: bool = False,
) -> dict | None:
    """Build or update the index of `folder` in `out_dir`; returns counts and the index info (None on ranks > 0).

    `embed` embeds loaded images when `load_image` is given, else it is a sharding.PathEmbedFn (paths in).
    Under torchrun (`info` from distributed.init_from_env) every rank embeds its chunks and rank 0 writes the index.
    Refuses an index of another model or another folder unless overwrite=True, and (DataError, nothing written) a
    folder with no image or none readable unless allow_empty=True."""
    info = info or DistInfo()
    folder, out_dir = Path(folder), Path(out_dir)
    embed_paths = embed if load_image is None else pil_embedder(embed, load_image, batch_size)
    parts = sharding.parts_dir(out_dir)
    state = {}

    def prepare():  # rank 0 checks and scans; the others get the files to embed (or its one-line error)
        state["previous"] = _previous(folder, out_dir, model_fingerprint, overwrite)
        state["scan"] = scan_folder(folder.resolve(), state["previous"])
        _check_not_empty(folder, state["scan"], allow_empty)
        todo = state["scan"].todo
        return todo, sharding.done_chunks(todo, parts, model_fingerprint, chunk_size)

    todo, resumed = main_first(prepare, info)
    if resumed:
        log.info("resuming: %d of %d chunks already embedded", resumed, -(-len(todo) // chunk_size))
    sharding.embed_shards(todo, embed_paths, parts, model_fingerprint, info, chunk_size)
    if not info.is_main:
        return None
    previous, scan = state["previous"], state["scan"]
    gallery, counts = merge_chunks(folder.resolve(), previous, scan, model_fingerprint, parts, chunk_size)
    _check_readable(folder, gallery, parts, allow_empty)
    counts.update(chunks=-(-len(todo) // chunk_size), resumed_chunks=resumed)
    dim = gallery.embeddings.shape[1] if gallery.embeddings.ndim == 2 else 0
    plan = ann.plan_index(len(gallery), dim, max_ram, kind=kind)
    unchanged = previous is not None and not (todo or scan.removed)
    if unchanged and previous.index_info.get("factory", "IDMap2,Flat") == plan.factory:
        gallery = previous  # nothing to re-embed or rebuild
    else:
        if info.enabled:  # the other ranks are done: rank 0 may use every core of its machine
            faiss.omp_set_num_threads(os.cpu_count() or 1)
        gallery.build_index(max_ram, kind)
        gallery.save(out_dir, overwrite=True)
    sharding.remove_parts(parts)
    counts["index"] = dict(gallery.index_info)
    counts["describe"] = gallery.describe()
    return counts


def _check_readable(folder: Path, gallery: "Gallery", parts: Path, allow_empty: bool) -> None:
    if not len(gallery) and not allow_empty:  # no image could be read: chunks removed, nothing written
        sharding.remove_parts(parts)
        raise DataError(f"None of the {len(gallery.skipped)} image file(s) in {folder} could be read (e.g. "
                        f"{gallery.skipped[0]['path']}: {gallery.skipped[0]['reason']}); nothing written. Pass "
                        f"--allow-empty to write an empty index anyway.")


def _check_not_empty(folder: Path, scan: Scan, allow_empty: bool) -> None:
    if not (scan.kept or scan.todo or scan.skipped) and not allow_empty:
        raise DataError(f"No image files in {folder} ({scan.ignored} other file(s) ignored; images: "
                        f"{', '.join(sorted(IMAGE_EXTS))}); nothing written. Pass --allow-empty to write an empty "
                        f"index anyway.")


def top_k(matrix: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top-k of queries (q, dim) against rows of matrix (n, dim) with faiss; (scores, rows)."""
    index = faiss.IndexFlatIP(matrix.shape[1])
    index.add(np.ascontiguousarray(matrix, dtype=np.float32))
    return index.search(np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, matrix.shape[1]),
                        min(k, len(matrix)))
