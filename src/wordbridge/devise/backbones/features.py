"""Precomputed backbone features, cached on disk (the lesson's precompute=True).

For a list of images: the concat of average- and max-pooled backbone features (N, 2C) and the ImageNet logits
(N, 1000, for the ConSE baseline), computed in batches under torch.inference_mode with a progress bar. Unreadable
images are skipped and counted, never fatal. Results are cached under WORDBRIDGE_HOME/features/<key>/ as .npy files,
keyed by (backbone weights, image list fingerprint, transform) and written atomically.
"""

import dataclasses
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from wordbridge import paths
from wordbridge.atomic import atomic_dir
from wordbridge.devise.backbones.base import Backbone
from wordbridge.devise.backbones.images import ImageSource, _describe, eval_transform, load_image
from wordbridge.errors import ConfigError, DataError, choices_hint

log = logging.getLogger(__name__)

CACHE_VERSION = 1


@dataclasses.dataclass
class Features:
    """Features of the readable images; row i belongs to input image `kept[i]`."""

    pooled: np.ndarray  # (N_ok, 2C) float32: [average-pooled C | max-pooled C]
    logits: np.ndarray | None  # (N_ok, num_classes) float32 ImageNet logits, None without a classifier
    kept: np.ndarray  # (N_ok,) int64 indices into the input list
    skipped: list[tuple[int, str]]  # (input index, one-line reason) of images that could not be read

    def __len__(self) -> int:
        return len(self.kept)

    @property
    def n_skipped(self) -> int:
        return len(self.skipped)


def concat_pool(fmap: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, 2C): average-pooled then max-pooled (the lesson's AdaptiveConcatPool, avg first)."""
    return torch.cat([fmap.mean(dim=(2, 3)), fmap.amax(dim=(2, 3))], dim=1)


class _ImageDataset(Dataset):
    def __init__(self, images: Sequence[ImageSource], transform):
        self.images = images
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        try:
            image = load_image(self.images[i], min_side=getattr(self.transform, "load_size", None))
            return i, self.transform(image), ""
        except DataError as exc:
            return i, None, str(exc)
        except Exception as exc:  # a broken decoder must not kill a long run: skip and count
            return i, None, f"{_describe(self.images[i])}: {type(exc).__name__}: {exc}"


def _collate(items):
    ok = [(i, x) for i, x, _ in items if x is not None]
    bad = [(i, why) for i, x, why in items if x is None]
    idx = torch.tensor([i for i, _ in ok], dtype=torch.long)
    batch = torch.stack([x for _, x in ok]) if ok else None  # (B_ok, 3, S, S)
    return idx, batch, bad


PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16}


def compute_features(backbone: Backbone, images: Sequence[ImageSource], transform=None, batch_size: int = 32,
                     num_workers: int = 0, with_logits: bool = True, progress: bool = True,
                     desc: str = "image features", precision: str = "fp32",
                     device: torch.device | str = "cpu") -> Features:
    """Run the backbone over `images` (paths, bytes, PIL images or uint8 arrays); no caching (see cached_features).

    precision "bf16" runs the convs in bfloat16 (faster on CPUs with AMX/AVX512-BF16); results are float32 either way.
    """
    if precision not in PRECISIONS:
        raise ConfigError(f"Invalid precision {choices_hint(precision, PRECISIONS)}")
    dtype = PRECISIONS[precision]
    transform = transform or eval_transform(backbone)
    with_logits = with_logits and backbone.has_classifier
    fast = backbone.for_inference(dtype).to(device)
    loader = DataLoader(_ImageDataset(images, transform), batch_size=batch_size, num_workers=num_workers,
                        collate_fn=_collate, shuffle=False)
    pooled, logits, kept, skipped = [], [], [], []
    with torch.inference_mode(), tqdm(total=len(images), desc=desc, unit="img", disable=not progress) as bar:
        for idx, batch, bad in loader:
            skipped.extend(bad)
            for i, why in bad:
                log.debug("skipped image %d: %s", i, why)
            if batch is not None:
                batch = batch.to(device, dtype).contiguous(memory_format=torch.channels_last)  # (B, 3, S, S)
                fmap = fast.forward_features(batch)  # (B, C, S/32, S/32)
                pooled.append(concat_pool(fmap.float()).cpu().numpy())  # (B, 2C), pooled in float32
                if with_logits:
                    logits.append(fast.classify_features(fmap).float().cpu().numpy())  # (B, 1000)
                kept.append(idx.numpy())
            bar.update(len(idx) + len(bad))
            bar.set_postfix(skipped=len(skipped))
    if skipped:
        log.warning("%d of %d images could not be read and were skipped (first: %s)", len(skipped), len(images),
                    skipped[0][1])
    dim = 2 * backbone.num_features
    return Features(
        pooled=np.concatenate(pooled) if pooled else np.zeros((0, dim), np.float32),
        logits=(np.concatenate(logits) if logits else np.zeros((0, backbone.num_classes), np.float32))
        if with_logits else None,
        kept=np.concatenate(kept).astype(np.int64) if kept else np.zeros(0, np.int64),
        skipped=sorted(skipped),
    )


def fingerprint(images: Sequence[ImageSource]) -> str:
    """sha1 over the image list: path + size + mtime for files, content for in-memory images."""
    h = hashlib.sha1()
    for src in images:
        if isinstance(src, (str, Path)):
            try:
                st = os.stat(src)
                h.update(f"f|{Path(src).resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
            except OSError:
                h.update(f"f|{src}|missing\n".encode())
        elif isinstance(src, bytes):
            h.update(b"b|" + hashlib.sha1(src).digest())
        elif isinstance(src, np.ndarray):
            h.update(f"a|{src.shape}|{src.dtype}|".encode() + hashlib.sha1(np.ascontiguousarray(src)).digest())
        elif isinstance(src, Image.Image):
            h.update(f"i|{src.mode}|{src.size}|".encode() + hashlib.sha1(src.tobytes()).digest())
        else:
            raise DataError(f"Unsupported image source {type(src).__name__}: expected a path, bytes, PIL image or array.")
    return h.hexdigest()


def cache_key(backbone: Backbone, images: Sequence[ImageSource], transform, with_logits: bool,
              precision: str = "fp32") -> str:
    """Folder name of a cache entry: backbone, transform, and a digest of weights + images + options."""
    tkey = getattr(transform, "key", None) or repr(transform)
    options = f"{int(with_logits)}" + ("" if precision == "fp32" else f"|{precision}")
    digest = hashlib.sha1(
        f"v{CACHE_VERSION}|{backbone.weights_id}|{tkey}|{options}|{fingerprint(images)}".encode()
    ).hexdigest()[:16]
    return f"{backbone.name}-{tkey}-{digest}"


def cached_features(backbone: Backbone, images: Sequence[ImageSource], transform=None,
                    cache_dir: str | Path | None = None, **kwargs) -> Features:
    """compute_features with an on-disk cache (default WORDBRIDGE_HOME/features); a hit loads the .npy files."""
    transform = transform or eval_transform(backbone)
    with_logits = kwargs.get("with_logits", True) and backbone.has_classifier
    root = Path(cache_dir) if cache_dir is not None else paths.home() / "features"
    folder = root / cache_key(backbone, images, transform, with_logits, kwargs.get("precision", "fp32"))
    if (folder / "meta.json").is_file():
        log.info("features: cache hit %s", folder.name)
        return load_features(folder)
    feats = compute_features(backbone, images, transform, **kwargs)
    save_features(folder, feats, meta={"backbone": backbone.weights_id, "n_images": len(images),
                                       "transform": getattr(transform, "key", repr(transform))})
    return feats


def save_features(folder: Path, feats: Features, meta: dict | None = None) -> None:
    """Write pooled.npy, logits.npy (when present), kept.npy, skipped.json and meta.json in one atomic rename."""
    with atomic_dir(folder, overwrite=True) as tmp:
        np.save(tmp / "pooled.npy", feats.pooled)
        if feats.logits is not None:
            np.save(tmp / "logits.npy", feats.logits)
        np.save(tmp / "kept.npy", feats.kept)
        (tmp / "skipped.json").write_text(json.dumps(feats.skipped, ensure_ascii=False), encoding="utf-8")
        (tmp / "meta.json").write_text(json.dumps({"version": CACHE_VERSION, **(meta or {})}), encoding="utf-8")


def load_features(folder: Path) -> Features:
    try:
        logits_path = folder / "logits.npy"
        return Features(
            pooled=np.load(folder / "pooled.npy"),
            logits=np.load(logits_path) if logits_path.is_file() else None,
            kept=np.load(folder / "kept.npy"),
            skipped=[tuple(s) for s in json.loads((folder / "skipped.json").read_text(encoding="utf-8"))],
        )
    except (OSError, ValueError) as exc:
        raise DataError(f"Feature cache {folder} is unreadable ({exc}); delete it to recompute.") from None
