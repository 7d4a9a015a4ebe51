"""What the models hand their callers: the result types and the `Translator` / `Searcher` protocols.

Declared once here; `translate/translator.py` and `devise/search.py` return these types, and the web app
(`serve/app.py`) is typed against the protocols, so it takes the real models or the test doubles alike.
Torch-free on purpose (a test checks it): importing this module loads no model code.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal, Protocol, get_args, runtime_checkable

from PIL import Image


# image -> labels: the DeViSE head, ConSE (the ImageNet classifier's label vectors) or both (devise/methods.py)
ImageMethod = Literal["devise", "conse", "blend"]
IMAGE_METHODS: tuple[str, ...] = get_args(ImageMethod)


@dataclasses.dataclass(frozen=True)
class Translation:
    text: str  # detokenised output
    src_tokens: list[str]  # source tokens as the model saw them (after truncation)
    tokens: list[str]  # output tokens, _unk_ replaced by attended source words where possible
    attention: list[list[float]] | None  # rows = output tokens, columns = source tokens
    confidence: float | None = None  # source-translation cosine in the multilingual encoder (translate/confidence.py);
    # None unless asked for


@dataclasses.dataclass(frozen=True)
class ImageHit:
    id: int
    path: str  # relative to the indexed folder (Searcher.image_path gives the full path)
    score: float  # cosine similarity (text -> images are ordered by CSLS: devise/index/hubness.py)
    label: str | None  # the folder the image sits in, if any
    caption: str | None = None  # what the image shows, when its gallery says (Tux Paint text, emoji name, captions.json)


@dataclasses.dataclass(frozen=True)
class LabelHit:
    wnid: str
    name: str
    score: float


@dataclasses.dataclass(frozen=True)
class ImageResult:
    labels: list[LabelHit]  # among the 1,000 ImageNet classes
    zero_shot: list[LabelHit]  # among all WordNet nouns with a vector
    similar: list[ImageHit]  # gallery images


@runtime_checkable
class Translator(Protocol):
    """French -> English; one Translation per text, in order (an empty text gives an empty Translation)."""

    def translate(self, texts: list[str], beam: int = 1, attention: bool = False) -> list[Translation]: ...


@runtime_checkable
class Searcher(Protocol):
    """DeViSE image search over one indexed gallery; an unknown image id raises LookupError or a WordbridgeError."""

    def search_text(self, query: str, k: int = 9) -> list[ImageHit]: ...

    def search_image(self, image: Image.Image, k: int = 9, method: ImageMethod | None = None) -> ImageResult: ...

    def similar(self, image_id: int, k: int = 9) -> list[ImageHit]: ...

    def image_path(self, image_id: int) -> Path: ...
