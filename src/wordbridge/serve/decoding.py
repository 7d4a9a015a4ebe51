"""Uploaded images, decoded off the event loop: a few at a time, in their own threads, and never bigger than needed.

`decode_upload` checks the bytes (empty, format, size by the header), decodes JPEGs straight at 1/2, 1/4 or 1/8
scale (Pillow's draft mode), refuses other formats whose decoded pixels would pass `max_decode_pixels`, and shrinks
the result to `DECODE_SIDE` (Image.reduce, then a thumbnail) so that the search thread gets a small image.
`UploadDecoder` runs it in a pool of `max_decodes` threads (Pillow's decoders release the GIL): the event loop
keeps answering other requests while images decode, and memory is bounded by max_decodes x max_decode_pixels x 3
bytes (48 MB per decode at the defaults), whatever number of uploads arrive at once.
"""

import asyncio
import io
import warnings
from concurrent.futures import ThreadPoolExecutor

from fastapi import HTTPException
from PIL import Image, UnidentifiedImageError

from wordbridge.serve.config import ServeSettings

IMAGE_FORMATS = ("BMP", "GIF", "JPEG", "PNG", "WEBP")
DECODE_SIDE = 1024  # the long side handed to the search (it downsizes to the backbone's 224 px anyway)
MAX_WAITING = 8  # uploads waiting for a decode thread; beyond, 503


class BadImage(ValueError):
    """The upload is not an image we read (answer 400)."""


def decode_upload(data: bytes, max_pixels: int, max_decode_pixels: int, side: int = DECODE_SIDE) -> Image.Image:
    """Decode uploaded bytes into an RGB image at most `side` px on its long side; BadImage (one line) when they are
    not a supported, sane image."""
    valid = ", ".join(IMAGE_FORMATS)
    if not data:
        raise BadImage(f"the upload is an empty file (0 bytes); send an image ({valid})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in IMAGE_FORMATS:
                raise BadImage(f"unsupported image format {image.format}; valid: {valid}")
            width, height = image.size
            if width * height > max_pixels:
                raise BadImage(f"image is {width}x{height} pixels; at most {max_pixels} pixels are accepted")
            if image.format != "JPEG":  # these decode at full size: refuse by the header, before reading on
                _check_decoded(image, max_pixels, max_decode_pixels)
            image.verify()  # structure check; the object is unusable afterwards
            image = Image.open(io.BytesIO(data))
            if image.format == "JPEG":  # decode at the smallest 1/2^k scale whose long side is still >= side
                scale = side / max(width, height)
                image.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
            _check_decoded(image, max_pixels, max_decode_pixels)  # after draft: what will actually be decoded
            image.load()
            return _shrink(image, side).convert("RGB")
    except BadImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning):
        raise BadImage(f"the upload is not a readable image; valid formats: {valid}") from None


def _check_decoded(image: Image.Image, max_pixels: int, max_decode_pixels: int) -> None:
    width, height = image.size
    if width * height > max_decode_pixels:
        raise BadImage(f"image is {width}x{height} pixels; at most {max_decode_pixels} pixels are decoded "
                       f"(JPEG photos up to {max_pixels} pixels shrink while decoding)")


def _shrink(image: Image.Image, side: int) -> Image.Image:
    """At most `side` px on the long side: a cheap integer reduce first, then a filtered thumbnail."""
    factor = max(image.size) // side
    if factor >= 2 and image.mode in ("RGB", "RGBA", "L", "LA", "RGBX"):
        image = image.reduce(factor)
    if max(image.size) > side:
        image = image.copy()
        image.thumbnail((side, side), Image.Resampling.BILINEAR)
    return image


class UploadDecoder:
    """decode_upload in a bounded thread pool: `await decode(data)` -> RGB image, 400 for bad images, 503 when
    more than max_decodes + MAX_WAITING uploads are already in line."""

    def __init__(self, settings: ServeSettings):
        self.settings = settings
        self.pool: ThreadPoolExecutor | None = None
        self.in_line = 0

    def open(self) -> None:
        if self.pool is None:
            self.pool = ThreadPoolExecutor(self.settings.max_decodes, thread_name_prefix="wordbridge-decode")

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    async def decode(self, data: bytes) -> Image.Image:
        if self.in_line >= self.settings.max_decodes + MAX_WAITING:
            raise HTTPException(503, "too many images are being decoded; try again in a moment")
        self.open()
        s = self.settings
        self.in_line += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self.pool, lambda: decode_upload(data, s.max_image_pixels, s.max_decode_pixels))
        except BadImage as exc:
            raise HTTPException(400, str(exc)) from None
        finally:
            self.in_line -= 1
