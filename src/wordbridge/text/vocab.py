"""Token <-> id vocabulary with the lesson's special ids, saved as plain JSON (never pickle).

Ids: `_bos_`=0, `_pad_`=1, `_eos_`=2, `_unk_`=3, then tokens by falling frequency (ties: first seen first).
`encode` appends `_eos_`; `decode` stops at the first `_eos_` and drops the specials.
"""

import collections
import json
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from wordbridge.atomic import write_json
from wordbridge.errors import DataError

BOS, PAD, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("_bos_", "_pad_", "_eos_", "_unk_")
DEFAULT_MAX_SIZE = 40_000


class Vocab:
    """An ordered list of tokens (`itos`) and its inverse mapping; unknown tokens map to UNK."""

    def __init__(self, itos: Sequence[str]):
        itos = list(itos)
        if tuple(itos[: len(SPECIALS)]) != SPECIALS:
            raise DataError(f"Vocabulary must start with the specials {', '.join(SPECIALS)}; got {itos[:4]}.")
        if len(set(itos)) != len(itos):
            raise DataError("Vocabulary has duplicate tokens.")
        self.itos: list[str] = itos
        self.stoi: dict[str, int] = {tok: i for i, tok in enumerate(itos)}

    @classmethod
    def build(
        cls, token_lists: Iterable[Sequence[str]], max_size: int = DEFAULT_MAX_SIZE, min_freq: int = 1
    ) -> "Vocab":
        """Most frequent tokens first; keep at most `max_size` tokens (specials not counted) seen >= min_freq times."""
        freq: collections.Counter = collections.Counter()
        for tokens in token_lists:
            freq.update(tokens)
        for special in SPECIALS:
            freq.pop(special, None)
        kept = [tok for tok, count in freq.most_common(max_size) if count >= min_freq]
        return cls(list(SPECIALS) + kept)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, token: str) -> bool:
        return token in self.stoi

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens)"

    def lookup(self, token: str) -> int:
        return self.stoi.get(token, UNK)

    def encode(self, tokens: Sequence[str], add_eos: bool = True) -> np.ndarray:
        """Tokens -> int32 ids (n,) or (n+1,) with `_eos_` appended."""
        get = self.stoi.get
        ids = [get(tok, UNK) for tok in tokens]
        if add_eos:
            ids.append(EOS)
        return np.asarray(ids, dtype=np.int32)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids -> tokens, stopping at the first `_eos_` and dropping `_bos_`/`_pad_` (UNK is kept as `_unk_`)."""
        out = []
        for i in ids:
            i = int(i)
            if i == EOS:
                break
            if i in (BOS, PAD):
                continue
            out.append(self.itos[i] if 0 <= i < len(self.itos) else SPECIALS[UNK])
        return out

    def save(self, path: str | Path) -> None:
        write_json(path, {"itos": self.itos})

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        path = Path(path)
        if not path.is_file():
            raise DataError(f"Vocabulary file {path} does not exist.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            itos = data["itos"]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            raise DataError(f"Vocabulary file {path} is not a wordbridge vocabulary (JSON with 'itos').") from None
        return cls(itos)
