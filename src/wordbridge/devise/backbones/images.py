"""Image loading and transforms with Pillow + torch only (no torchvision).

`load_image` turns any file/bytes Pillow can read into an RGB image (grey, RGBA on white, palette, CMYK, 16-bit),
downscales huge images while decoding (JPEG draft mode, then thumbnail) and raises DataError for non-images,
truncated files and decompression bombs. `EvalTransform` / `TrainTransform` map an RGB image to a normalised
(3, size, size) float tensor.
"""

import dataclasses
import io
import os
import random
from pathlib import Path

import numpy as np
import torch
import torch.utils.data
from PIL import Image, ImageOps

from wordbridge.errors import DataError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
MAX_SIDE = 1024  # images are downscaled to fit this on load: 4x the 224 px input leaves room for random crops

ImageSource = str | Path | bytes | Image.Image | np.ndarray


def is_image_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


def _describe(source) -> str:
    if isinstance(source, (str, Path)):
        return str(source)
    if isinstance(source, bytes):
        return f"<{len(source)} bytes>"
    return f"<{type(source).__name__}>"


def load_image(source: ImageSource, max_side: int = MAX_SIDE, min_side: int | None = None) -> Image.Image:
    """An RGB PIL image no larger than max_side on its long side; DataError (one line) when it cannot be read.

    Accepts a path, encoded bytes, a PIL image or a uint8 array (H, W) / (H, W, 3|4). `min_side`: the smallest
    shorter side the caller needs (e.g. 256 for a 224 centre crop); JPEGs are then decoded at the smallest 1/2^k
    scale that keeps it, which makes big photos several times cheaper to decode.
    """
    if isinstance(source, np.ndarray):
        return to_rgb(_from_array(source), max_side)
    if isinstance(source, Image.Image):
        return to_rgb(source, max_side)
    where = _describe(source)
    if source == b"" or (isinstance(source, (str, Path)) and Path(source).is_file() and not os.path.getsize(source)):
        raise DataError(f"{where}: empty file (0 bytes), not an image.")
    try:
        fp = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
        with fp:
            im = Image.open(fp)  # reads the header only; Pillow raises above 2x MAX_IMAGE_PIXELS
            limit = Image.MAX_IMAGE_PIXELS
            if limit and im.size[0] * im.size[1] > limit and im.format != "JPEG":  # Pillow only warns in 1x-2x:
                # refuse too, except JPEGs: draft() below decodes them at 1/8 scale at most, in little memory
                raise Image.DecompressionBombError(im.size)
            if im.format == "JPEG":  # decode at 1/2, 1/4 or 1/8 scale: memory stays small for huge photos
                want = min(min_side, max_side) if min_side else max_side
                im.draft("RGB", (want, want))
            im.load()  # pixels now in memory: the file can close
        return to_rgb(im, max_side)
    except Image.DecompressionBombError:
        raise DataError(f"{where}: image too large (over {Image.MAX_IMAGE_PIXELS or 0:,} pixels); refused.") from None
    except FileNotFoundError:
        raise DataError(f"{where}: no such file.") from None
    except IsADirectoryError:
        raise DataError(f"{where}: is a folder, not an image.") from None
    except Image.UnidentifiedImageError:
        raise DataError(f"{where}: not an image (unknown format).") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt data
        raise DataError(f"{where}: unreadable image ({str(exc).splitlines()[0] if str(exc) else 'corrupt'}).") from None


def _from_array(arr: np.ndarray) -> Image.Image:
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 3, 4)):
        if arr.dtype != np.uint8:
            raise DataError(f"Image array must be uint8, got {arr.dtype}.")
        return Image.fromarray(arr.squeeze(-1) if arr.ndim == 3 and arr.shape[2] == 1 else arr)
    raise DataError(f"Image array must be (H, W) or (H, W, 1|3|4), got {arr.shape}.")


def to_rgb(im: Image.Image, max_side: int = MAX_SIDE) -> Image.Image:
    """Apply EXIF orientation, downscale to max_side, convert any mode to RGB (transparency composited on white).

    Never modifies `im` in place."""
    source_im = im
    if im.mode in ("P", "PA"):  # palette: resample in RGBA, not nearest-neighbour
        im = im.convert("RGBA")
    if max(im.size) > max_side:
        im = im.copy() if im is source_im else im
        im.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    im = ImageOps.exif_transpose(im)
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float32)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(arr)
        im = Image.fromarray(arr.astype(np.uint8))
    if im.mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB") if im.mode != "RGB" else im


def to_tensor(im: Image.Image) -> torch.Tensor:
    """RGB PIL image -> (3, H, W) float32 in [0, 1]."""
    return to_standardized_tensor(im, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))


def to_standardized_tensor(im: Image.Image, mean, std) -> torch.Tensor:
    """RGB PIL image -> (3, H, W) float32 (x/255 - mean) / std, in numpy: per-image torch ops cost ~10x more
    (thread start-up per tiny op), which dominated the data pipeline."""
    scale = 1.0 / (255.0 * np.asarray(std, dtype=np.float32))  # (3,)
    shift = np.asarray(mean, dtype=np.float32) / np.asarray(std, dtype=np.float32)  # (3,)
    arr = np.asarray(im, dtype=np.float32) * scale - shift  # (H, W, 3)
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))  # (3, H, W)


def standardize(x: torch.Tensor, mean, std) -> torch.Tensor:
    mean_t = torch.tensor(mean, dtype=x.dtype).view(-1, 1, 1)
    std_t = torch.tensor(std, dtype=x.dtype).view(-1, 1, 1)
    return (x - mean_t) / std_t  # (3, H, W)


def unstandardize(x: torch.Tensor, mean, std) -> torch.Tensor:
    """Inverse of standardize, clamped to [0, 1]: for showing a transformed image."""
    shape = (-1, 1, 1)
    return (x * torch.tensor(std).view(shape) + torch.tensor(mean).view(shape)).clamp(0, 1)


def resize_shorter(im: Image.Image, size: int) -> Image.Image:
    w, h = im.size
    scale = size / min(w, h)
    new = (max(size, round(w * scale)), max(size, round(h * scale)))
    return im if new == im.size else im.resize(new, Image.Resampling.BILINEAR, reducing_gap=3.0)


def center_crop(im: Image.Image, size: int) -> Image.Image:
    w, h = im.size
    left, top = (w - size) // 2, (h - size) // 2
    return im.crop((left, top, left + size, top + size))


@dataclasses.dataclass(frozen=True)
class EvalTransform:
    """Resize the shorter side to size/crop_ratio, centre crop `size`, to tensor, normalise -> (3, size, size)."""

    size: int = 224
    crop_ratio: float = 0.875
    mean: tuple = (0.5, 0.5, 0.5)
    std: tuple = (0.5, 0.5, 0.5)

    @property
    def load_size(self) -> int:
        """Shorter side the transform resizes to: images need not be decoded larger (load_image min_side)."""
        return round(self.size / self.crop_ratio)

    @property
    def key(self) -> str:
        """Identifies the transform in feature-cache keys."""
        return f"eval{self.size}-r{self.crop_ratio:g}-m{'_'.join(f'{m:g}' for m in self.mean)}" \
               f"-s{'_'.join(f'{s:g}' for s in self.std)}"

    def __call__(self, im: Image.Image) -> torch.Tensor:
        im = center_crop(resize_shorter(im, self.load_size), self.size)
        return to_standardized_tensor(im, self.mean, self.std)


@dataclasses.dataclass
class TrainTransform:
    """Random resized crop (area `scale`, aspect `ratio`) + horizontal flip, to tensor, normalise."""

    size: int = 224
    scale: tuple = (0.35, 1.0)
    ratio: tuple = (3 / 4, 4 / 3)
    flip: bool = True
    mean: tuple = (0.5, 0.5, 0.5)
    std: tuple = (0.5, 0.5, 0.5)
    seed: int | None = None

    def __post_init__(self):
        self.rng = random.Random(self.seed)

    @property
    def key(self) -> str:
        return f"train{self.size}-sc{self.scale[0]:g}_{self.scale[1]:g}-f{int(self.flip)}"

    def crop_box(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) of a random crop; falls back to the centred full square."""
        area = width * height
        for _ in range(10):
            target = area * self.rng.uniform(*self.scale)
            aspect = np.exp(self.rng.uniform(np.log(self.ratio[0]), np.log(self.ratio[1])))
            w, h = round((target * aspect) ** 0.5), round((target / aspect) ** 0.5)
            if 0 < w <= width and 0 < h <= height:
                left, top = self.rng.randint(0, width - w), self.rng.randint(0, height - h)
                return left, top, left + w, top + h
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        return left, top, left + side, top + side

    def _reseed_in_worker(self) -> None:
        """DataLoader workers get copies of this object: give each its own stream (from the loader's seed)."""
        info = torch.utils.data.get_worker_info()
        if info is not None and getattr(self, "_worker_seed", None) != info.seed:
            self._worker_seed = info.seed
            self.rng = random.Random(info.seed)

    def __call__(self, im: Image.Image) -> torch.Tensor:
        self._reseed_in_worker()
        box = self.crop_box(*im.size)
        im = im.resize((self.size, self.size), Image.Resampling.BILINEAR, box=box)
        if self.flip and self.rng.random() < 0.5:
            im = im.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return to_standardized_tensor(im, self.mean, self.std)


def eval_transform(backbone) -> EvalTransform:
    """The eval transform matching a backbone's input size and normalisation."""
    return EvalTransform(size=backbone.input_size, mean=backbone.mean, std=backbone.std)


def train_transform(backbone, seed: int | None = None) -> TrainTransform:
    return TrainTransform(size=backbone.input_size, mean=backbone.mean, std=backbone.std, seed=seed)
