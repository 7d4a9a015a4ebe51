"""Read a prepared data folder (written by `wordbridge prepare`; layout in docs/architecture.md)."""

import json
from pathlib import Path

import numpy as np

from wordbridge.errors import DataError, choices_hint
from wordbridge.text.ragged import Ragged, load_ragged
from wordbridge.text.tokenize import Tokenizer, load_tokenizers
from wordbridge.text.vocab import Vocab

SPLITS = ("train", "valid", "test")


class PreparedData:
    """Vocabularies, stats and lazily loaded splits of one prepared folder."""

    def __init__(self, folder: Path, stats: dict, src_vocab: Vocab, tgt_vocab: Vocab):
        self.dir, self.stats = folder, stats
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab

    @classmethod
    def load(cls, folder: str | Path) -> "PreparedData":
        folder = Path(folder)
        stats_file = folder / "stats.json"
        if not stats_file.is_file():
            raise DataError(f"{folder} is not a prepared data folder (no stats.json); run `wordbridge prepare`.")
        try:
            stats = json.loads(stats_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise DataError(f"{stats_file} is corrupt; prepare the data again.") from None
        return cls(folder, stats, Vocab.load(folder / "vocab.src.json"), Vocab.load(folder / "vocab.tgt.json"))

    def _check(self, name: str) -> None:
        if name not in SPLITS:
            raise DataError(f"Unknown split {choices_hint(name, SPLITS)}")

    def split(self, name: str) -> tuple[Ragged, Ragged]:
        """(src, tgt) ids of a split; each row ends with _eos_."""
        self._check(name)
        return load_ragged(self.dir / f"{name}.src"), load_ragged(self.dir / f"{name}.tgt")

    def raw(self, name: str) -> tuple[list[str], list[str]]:
        """(src_lines, tgt_lines): the untokenised text of a split (references for BLEU)."""
        self._check(name)
        out = []
        for side in ("src", "tgt"):
            path = self.dir / f"{name}.{side}.txt"
            if not path.is_file():
                raise DataError(f"Prepared data file {path} does not exist; run `wordbridge prepare`.")
            lines = path.read_text(encoding="utf-8").split("\n")
            out.append(lines[:-1] if lines and lines[-1] == "" else lines)
        return out[0], out[1]

    def sources(self, name: str) -> list[str] | None:
        """The source corpus of each pair of a split (`default` mixes several), or None for folders prepared before
        sources were recorded."""
        self._check(name)
        path = self.dir / f"{name}.source.txt"
        if not path.is_file():
            return None
        lines = path.read_text(encoding="utf-8").split("\n")
        return lines[:-1] if lines and lines[-1] == "" else lines

    def embeddings(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(src, tgt) float32 (vocab, dim) matrices, None for a side prepared without vectors."""
        out = []
        for side in ("src", "tgt"):
            path = self.dir / f"emb.{side}.npy"
            out.append(np.load(path, allow_pickle=False) if path.is_file() else None)
        return out[0], out[1]

    def tokenizers(self) -> tuple[Tokenizer, Tokenizer]:
        return load_tokenizers(self.dir)

    def __repr__(self) -> str:
        splits, vocab = self.stats.get("splits"), f"{len(self.src_vocab)}/{len(self.tgt_vocab)}"
        return f"PreparedData({self.dir}: {splits}, vocab {vocab})"
