"""FreeDict dictionaries in dictd format (`NAME.index` + gzipped `NAME.dict.dz`) -> short (french, english) pairs.

The `.index` file has one line per headword: word<TAB>offset<TAB>length, the numbers in dictd's base-64 digits,
locating the entry in the uncompressed `.dict` text. An entry is the headword line (word, /pronunciation/, <part of
speech>) then one sense per line, optionally numbered (`1. cher, coûteux`); a sense lists synonyms separated by
commas outside brackets. Each headword pairs with each synonym. `00database...` entries are metadata.
"""

import gzip
import logging
import zlib
from pathlib import Path
from typing import Iterator

from wordbridge.errors import DataError
from wordbridge.text.help_pages import LETTER, Pair

log = logging.getLogger(__name__)

_DIGITS = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_OPEN, _CLOSE = "([{", ")]}"


def b64_number(text: str) -> int:
    """dictd's base-64 number (`BgXs` -> 394,732)."""
    value = 0
    for char in text:
        if char not in _DIGITS:
            raise ValueError(f"not a dictd number: {text!r}")
        value = value * 64 + _DIGITS[char]
    return value


def split_synonyms(sense: str) -> list[str]:
    """`wax, polish (a floor, car)` -> ['wax', 'polish (a floor, car)']: commas inside brackets do not split."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(sense):
        depth += (char in _OPEN) - (char in _CLOSE)
        if char == "," and depth <= 0:
            parts.append(sense[start:i])
            start = i + 1
    parts.append(sense[start:])
    return [" ".join(p.split()) for p in parts if p.strip()]


def entry_senses(body: str) -> list[str]:
    """Sense lines of one entry (headword line dropped, `1.` numbering removed)."""
    senses = []
    for line in body.split("\n")[1:]:
        line = line.strip()
        number, _, rest = line.partition(". ")
        senses.append(rest if number.isdigit() else line)
    return [s for s in senses if s]


def read_dictd(index: str | Path, headword_is_french: bool) -> Iterator[Pair]:
    """(french, english) pairs of one dictd dictionary; `headword_is_french` for fra-eng, False for eng-fra."""
    index = Path(index)
    data_file = index.with_name(index.name.removesuffix(".index") + ".dict.dz")
    for path in (index, data_file):
        if not path.is_file():
            raise DataError(f"File not found: {path}")
    try:
        data = gzip.decompress(data_file.read_bytes())  # dictzip is gzip with a random-access table
        lines = index.read_text(encoding="utf-8").splitlines()
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise DataError(f"{data_file}: not a readable dictd dictionary ({exc})") from None
    return _entries(index, lines, data, headword_is_french)


def _entries(index: Path, lines: list[str], data: bytes, headword_is_french: bool) -> Iterator[Pair]:
    for lineno, line in enumerate(lines, 1):
        cols = line.split("\t")
        if len(cols) < 3 or cols[0].startswith("00database"):
            continue
        try:
            start, length = b64_number(cols[1]), b64_number(cols[2])
            body = data[start : start + length].decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(f"{index}:{lineno}: bad entry ({exc})") from None
        head = " ".join(cols[0].split())
        for sense in entry_senses(body):
            for word in split_synonyms(sense):
                if LETTER.search(word) and word != head:
                    yield (head, word) if headword_is_french else (word, head)


def read_freedict(root: str | Path) -> Iterator[Pair]:
    """ROOT/*.index of FreeDict's fra-eng and eng-fra dictionaries -> (french, english), both directions."""
    root = Path(root)
    indexes = sorted(root.glob("*.index"))
    if not indexes:
        raise DataError(f"No dictd .index files under {root}")
    for index in indexes:
        if "fra-eng" not in index.name and "eng-fra" not in index.name:
            raise DataError(f"{index}: not a French-English FreeDict dictionary (fra-eng / eng-fra)")
    return (pair for index in indexes for pair in read_dictd(index, "fra-eng" in index.name))
