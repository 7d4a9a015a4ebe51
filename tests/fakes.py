"""Test doubles of the models: FakeTranslator and FakeSearcher follow the `Translator` and `Searcher` protocols of
wordbridge.results and return its result types.

Used by the web-app tests (unit and browser); tests get this module from the `fakes` fixture of tests/conftest.py.
They are deterministic and instant (FakeTranslator can also spend a batch-shaped amount of time per call).
"""

import threading
import time
from pathlib import Path

from PIL import Image

from wordbridge.errors import DataError
from wordbridge.results import ImageHit, ImageResult, LabelHit, Translation
from wordbridge.serve.models import ModelSet, RunInfo, ServedModel

FR_EN = {
    "le": "the", "la": "the", "les": "the", "un": "a", "une": "a", "chat": "cat", "chien": "dog", "est": "is",
    "noir": "black", "blanc": "white", "rouge": "red", "bleu": "blue", "vert": "green", "petit": "small",
    "grand": "big", "voiture": "car", "maison": "house", "oiseau": "bird", "arbre": "tree", "et": "and",
    "je": "i", "suis": "am", "il": "he", "elle": "she", "mange": "eats", "pomme": "apple", "fleur": "flower",
    "poisson": "fish", "bateau": "boat", "sur": "on", "dans": "in", "avec": "with", "de": "of",
}  # fmt: skip


class FakeTranslator:
    """Word-by-word French->English with a near-diagonal attention matrix.

    `cost_ms(n) = fixed_ms + per_text_ms * n` is slept per call, as a GRU decoder on CPU costs a fixed amount per
    decoding step plus a little per sentence in the batch. `calls` records the batch size of every call.
    """

    direction = "fr-en"  # as Translator.direction

    def __init__(self, fixed_ms: float = 0.0, per_text_ms: float = 0.0):
        self.fixed_ms = fixed_ms
        self.per_text_ms = per_text_ms
        self.calls: list[int] = []
        self._lock = threading.Lock()

    def translate(self, texts: list[str], beam: int = 1, attention: bool = False) -> list[Translation]:
        with self._lock:
            self.calls.append(len(texts))
        if self.fixed_ms or self.per_text_ms:
            time.sleep((self.fixed_ms + self.per_text_ms * len(texts)) / 1000.0)
        return [self._one(text, attention) for text in texts]

    def _one(self, text: str, attention: bool) -> Translation:
        src = text.lower().replace(".", " .").replace(",", " ,").split()
        out = [FR_EN.get(tok, tok) for tok in src] + ["_eos_"]
        weights = None
        if attention:
            weights = []
            for i in range(len(out)):
                row = [1.0 if j == min(i, len(src) - 1) else 0.1 for j in range(len(src))]
                total = sum(row)
                weights.append([w / total for w in row])
        words = out[:-1]
        return Translation(" ".join(words), src, out, weights)


class UpperTranslator(FakeTranslator):
    """A second fake model: FakeTranslator's output in capitals, so a test can tell which model answered."""

    def translate(self, texts: list[str], beam: int = 1, attention: bool = False) -> list[Translation]:
        return [Translation(t.text.upper(), t.src_tokens, t.tokens, t.attention)
                for t in super().translate(texts, beam, attention)]


def fake_models() -> ModelSet:
    """Two served runs as `serve --run runs/demo --run runs/demo-transformer` gives them: "demo" (the lesson's GRU,
    FakeTranslator, validation BLEU 5.5) and "demo-transformer" (Transformer, UpperTranslator, 12.25: the default)."""
    return ModelSet([
        ServedModel(RunInfo("demo", Path("runs/demo"), "gru", 5.5, "torch", None), FakeTranslator()),
        ServedModel(RunInfo("demo-transformer", Path("runs/demo-transformer/ctranslate2"), "transformer", 12.25,
                            "ctranslate2", "int8"), UpperTranslator()),
    ])


GALLERY = {
    "cat": (40, 40, 40), "dog": (150, 100, 50), "car": (200, 30, 30), "house": (200, 180, 140),
    "bird": (60, 120, 200), "tree": (30, 140, 40), "apple": (220, 20, 60), "flower": (240, 200, 40),
    "fish": (250, 130, 60), "boat": (240, 240, 250), "sky": (120, 180, 250), "grass": (90, 200, 90),
}  # fmt: skip


def make_gallery(folder: str | Path, copies: int = 2, size: int = 64) -> list[tuple[Path, str]]:
    """Write small PNGs (a coloured square per label, a few shades each); returns [(path, label)]."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    items = []
    for label, (r, g, b) in GALLERY.items():
        for c in range(copies):
            shade = 1.0 - 0.08 * c
            path = folder / f"{label}_{c}.png"
            colour = (int(r * shade), int(g * shade), int(b * shade))
            Image.new("RGB", (size, size), colour).save(path)
            items.append((path, label))
    return items


class FakeSearcher:
    """Image search over make_gallery()'s squares: words match labels, images match by mean colour."""

    def __init__(self, items: list[tuple[Path, str]]):
        self.items = items
        self.last_method = None  # what search_image was last asked for
        self.colours = [Image.open(p).convert("RGB").resize((1, 1)).getpixel((0, 0)) for p, _ in items]

    def _hits(self, scores: list[float], k: int, skip: int | None = None) -> list[ImageHit]:
        order = sorted((i for i in range(len(scores)) if i != skip), key=lambda i: -scores[i])[:k]
        return [ImageHit(i, str(self.items[i][0]), round(scores[i], 4), self.items[i][1], f"a {self.items[i][1]} square")
                for i in order]

    def _by_colour(self, colour) -> list[float]:
        return [1.0 - sum(abs(a - b) for a, b in zip(colour, c)) / 765.0 for c in self.colours]

    def search_text(self, query: str, k: int = 9) -> list[ImageHit]:
        words = query.lower().split()
        labels = {label for _, label in self.items}
        known = [w for w in words if w in labels]
        if not known:
            raise DataError(f"No known word in {query!r}. Closest known words: {', '.join(sorted(labels)[:5])}.")
        scores = [sum(w == label for w in known) / len(known) + 0.01 * (len(self.items) - i) / len(self.items)
                  for i, (_, label) in enumerate(self.items)]  # fmt: skip
        return self._hits(scores, k)

    def search_image(self, image, k: int = 9, method=None) -> ImageResult:
        self.last_method = method
        colour = image.convert("RGB").resize((1, 1)).getpixel((0, 0))
        similar = self._hits(self._by_colour(colour), k)
        labels = [LabelHit(f"n{i:08d}", hit.label or "", hit.score) for i, hit in enumerate(similar[:5])]
        return ImageResult(labels, labels[:3], similar)

    def similar(self, image_id: int, k: int = 9) -> list[ImageHit]:
        if not 0 <= image_id < len(self.items):
            raise KeyError(image_id)
        return self._hits(self._by_colour(self.colours[image_id]), k, skip=image_id)

    def image_path(self, image_id: int) -> Path:
        if not 0 <= image_id < len(self.items):
            raise KeyError(image_id)
        return Path(self.items[image_id][0])


class StubEncoder:
    """A deterministic stand-in for wordbridge.encoder's multilingual encoder: a bag of words hashed into `dim`
    buckets, with a small French -> English lexicon (FR_EN) mapped first so a sentence and its word-by-word
    translation land on the same vector. `calls` counts the texts embedded."""

    name = "stub-encoder"

    def __init__(self, dim: int = 64):
        self.dim = dim
        self.calls = 0

    def embed(self, texts, kind="passage"):
        import hashlib

        import numpy as np

        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().replace(".", " ").replace("?", " ").split():
                word = FR_EN.get(word, word)
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            out[row, 0] += 0.1  # no zero rows
        self.calls += len(texts)
        return out / np.linalg.norm(out, axis=1, keepdims=True)
