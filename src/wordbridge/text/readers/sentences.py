"""Story paragraphs and multi-sentence lines cut into sentence pairs, where both sides cut into the same number.

A paragraph is cut at line breaks and after `.`, `!`, `?` or `…` (and any closing quote or bracket, French-spaced or not) followed by a
space and a capital letter, digit or opening quote/dash. When French and English give the same number of pieces,
the pieces pair in order; otherwise the pair stays whole if both sides are at most `cap` characters, and is dropped
when longer (a long paragraph that cannot be cut is no training pair).
"""

import re
from typing import Iterator

from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import keep_pair

CAP = 400  # characters per side of a pair that cannot be cut into sentences
_BOUNDARY = re.compile(r"(?<=[.!?…])(?:[ \u00a0\u202f]?[\"'»”’)\]])*\s+(?=[\"«“‘(\[—–-]?\s?[A-ZÀ-ÖØ-Þ0-9])|\s*\n\s*")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph (line breaks always cut), whitespace collapsed, empty pieces dropped."""
    pieces = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        pieces.append(text[start : match.start()] + match.group().rstrip())  # closing quotes stay with their sentence
        start = match.end()
    pieces.append(text[start:])
    return [" ".join(p.split()) for p in pieces if p.strip()]


def aligned_sentences(fr: str, en: str, cap: int = CAP) -> Iterator[Pair]:
    """Sentence pairs of one (french, english) paragraph pair; see the module docstring."""
    fr_parts, en_parts = split_sentences(fr), split_sentences(en)
    if len(fr_parts) == len(en_parts) > 1:
        for fr_part, en_part in zip(fr_parts, en_parts):
            if pair := keep_pair(fr_part, en_part):
                yield pair
    elif len(fr) <= cap and len(en) <= cap and (pair := keep_pair(fr, en)):
        yield pair
