"""`_unk_` replacement: each unknown output word becomes the source word it attended to most."""

from typing import Sequence

import numpy as np

from wordbridge.text.vocab import SPECIALS, UNK

UNK_TOKEN = SPECIALS[UNK]


def replace_unk(tokens: Sequence[str], src_tokens: Sequence[str], attention: np.ndarray | None,
                unk: str = UNK_TOKEN) -> list[str]:
    """tokens: output words; attention: (len(tokens), >= len(src_tokens)) or None (then nothing is replaced)."""
    out = list(tokens)
    if attention is None or not src_tokens:
        return out
    for i, tok in enumerate(out):
        if tok == unk and i < attention.shape[0]:
            j = int(np.argmax(attention[i, : len(src_tokens)]))
            out[i] = src_tokens[j]
    return out
