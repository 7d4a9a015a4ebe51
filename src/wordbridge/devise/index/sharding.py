"""Embedding a gallery's new files in chunks, split across torchrun processes, each chunk written atomically.

The files to embed (sorted) are cut into chunks of `chunk_size`; chunk j goes to rank j % world_size, so the split
depends only on the file list and 1 or N processes write the same chunks. A chunk is one .npz (embeddings of the
readable files, their positions in the chunk, reasons for the unreadable ones) named by its number and a digest of
its files (path, size, mtime) and the model, in a parts folder beside the index. A killed run restarted with the same
command finds the chunks already written and skips them; rank 0 then reads them all back, in order.
Several machines (`torchrun --nnodes`) need the image folder and the parts folder on a filesystem they all see.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from wordbridge import progress
from wordbridge.atomic import atomic_path
from wordbridge.devise.backbones.features import compute_features
from wordbridge.devise.index.choices import CHUNK_SIZE
from wordbridge.train.distributed import DistInfo, barrier

log = logging.getLogger(__name__)

Entry = tuple[Path, str, int, int]  # (absolute path, path relative to the gallery, size, mtime_ns)
# paths -> (embeddings (n_ok, dim) of the readable ones, their positions in `paths`, [(position, reason)] of the rest)
PathEmbedFn = Callable[[list[Path]], tuple[np.ndarray, list[int], list[tuple[int, str]]]]


def parts_dir(out_dir: Path) -> Path:
    """Where an index's chunks are written while it is being built (beside it, hidden)."""
    return out_dir.parent / f".{out_dir.name}.parts"


def chunks_of(todo: Sequence[Entry], chunk_size: int) -> list[Sequence[Entry]]:
    return [todo[i:i + chunk_size] for i in range(0, len(todo), chunk_size)]


def chunk_file(parts: Path, j: int, chunk: Sequence[Entry], model_fingerprint: str) -> Path:
    h = hashlib.sha1(model_fingerprint.encode())
    for _, rel, size, mtime in chunk:
        h.update(f"{rel}|{size}|{mtime}\n".encode())
    return parts / f"chunk-{j:06d}-{h.hexdigest()[:16]}.npz"


def done_chunks(todo: Sequence[Entry], parts: Path, model_fingerprint: str, chunk_size: int) -> int:
    """How many of the chunks of `todo` a previous (killed) run already wrote."""
    return sum(chunk_file(parts, j, c, model_fingerprint).is_file() for j, c in enumerate(chunks_of(todo, chunk_size)))


def embed_shards(todo: Sequence[Entry], embed: PathEmbedFn, parts: Path, model_fingerprint: str, info: DistInfo,
                 chunk_size: int = CHUNK_SIZE) -> None:
    """Embed this rank's chunks of `todo` that are not written yet; every rank returns once all chunks exist."""
    chunks = chunks_of(todo, chunk_size)
    mine = [j for j in range(len(chunks)) if j % info.world_size == info.rank]
    parts.mkdir(parents=True, exist_ok=True)
    desc = "embedding images" + (f" (rank {info.rank}/{info.world_size})" if info.enabled else "")
    with progress.bar(total=sum(len(chunks[j]) for j in mine), desc=desc, unit="img", disable=not todo,
              position=info.rank if info.enabled else None) as bar:
        for j in mine:
            target = chunk_file(parts, j, chunks[j], model_fingerprint)
            if not target.is_file():
                vectors, kept, bad = embed([path for path, *_ in chunks[j]])
                write_chunk(target, vectors, kept, bad)
            bar.update(len(chunks[j]))
    barrier(info)


def write_chunk(target: Path, vectors: np.ndarray, kept: Sequence[int], bad: Sequence[tuple[int, str]]) -> None:
    with atomic_path(target) as tmp, open(tmp, "wb") as f:
        np.savez(f, vectors=np.asarray(vectors, dtype=np.float32), kept=np.asarray(kept, dtype=np.int64),
                 bad=np.array(json.dumps([list(b) for b in bad], ensure_ascii=False)))


def read_chunks(todo: Sequence[Entry], parts: Path, model_fingerprint: str, chunk_size: int = CHUNK_SIZE
                ) -> Iterator[tuple[Sequence[Entry], np.ndarray, np.ndarray, list[tuple[int, str]]]]:
    """(chunk entries, embeddings, positions of the embedded entries, [(position, reason)]) for each chunk, in order."""
    for j, chunk in enumerate(chunks_of(todo, chunk_size)):
        with np.load(chunk_file(parts, j, chunk, model_fingerprint), allow_pickle=False) as z:
            yield chunk, z["vectors"], z["kept"], [(int(i), str(r)) for i, r in json.loads(str(z["bad"]))]


def remove_parts(parts: Path) -> None:
    shutil.rmtree(parts, ignore_errors=True)


def model_embedder(model, batch_size: int = 32, num_workers: int = 1, device: str = "auto") -> PathEmbedFn:
    """A PathEmbedFn for a DeViSE run: a DataLoader whose workers decode and resize the images, the backbone on
    `device` (cuda when "auto" and present), then the head (and ConSE when the run's gallery embeddings use it)."""
    dev = torch.device("cuda" if device == "auto" and torch.cuda.is_available() else
                       ("cpu" if device == "auto" else device))

    def embed(paths: list[Path]):
        feats = compute_features(model.backbone, paths, model.transform, batch_size=batch_size,
                                 num_workers=num_workers, with_logits=model.gallery_conse > 0, device=dev,
                                 desc="  images of this chunk")  # per-image bar inside the per-chunk one
        return model.gallery_vectors(feats.pooled, feats.logits), feats.kept.tolist(), feats.skipped

    return embed
