"""Qt `.qm` translation catalogs (GCompris's `gcompris_fr.qm`) -> (french, english) pairs, with a small parser.

No Python library on PyPI reads .qm, so this follows Qt's own loader (qtbase translator.cpp). A .qm file is a
16-byte magic number, then blocks of (tag byte, 4-byte big-endian length, payload). The messages block (tag 0x69)
is a run of messages, each a run of items (tag byte, then a payload) ending with tag 1: tag 3 = a translation
(length, UTF-16BE; length 0xFFFFFFFF = none; several = plural forms), tag 6 = the source text (length, UTF-8),
tags 7 and 8 = context and comment (length, UTF-8), tag 5 = 4 bytes to skip.
"""

import struct
from pathlib import Path
from typing import Iterator

from wordbridge.errors import DataError
from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import strip_markup
from wordbridge.text.readers.sentences import aligned_sentences
from wordbridge.text.skips import OnSkip, skip_reason, warn_skip

MAGIC = bytes.fromhex("3cb86418caef9c95cd211cbf60a1bddd")
MESSAGES = 0x69
_END, _SOURCE16, _TRANSLATION, _CONTEXT16, _OBSOLETE1, _SOURCE, _CONTEXT, _COMMENT, _OBSOLETE2 = range(1, 10)
_NO_TEXT = 0xFFFFFFFF


def _u32(data: bytes, at: int) -> int:
    if at + 4 > len(data):
        raise DataError("truncated .qm data")
    return struct.unpack_from(">I", data, at)[0]


def blocks(data: bytes) -> dict[int, bytes]:
    """{tag: payload} of a .qm file's blocks; DataError when it is not a .qm file or a block runs past the end."""
    if data[:16] != MAGIC:
        raise DataError("not a Qt .qm file (bad magic number)")
    found, at = {}, 16
    while at < len(data):
        tag, size = data[at], _u32(data, at + 1)
        if at + 5 + size > len(data):
            raise DataError(f"truncated .qm block 0x{tag:02x}")
        found[tag] = data[at + 5 : at + 5 + size]
        at += 5 + size
    return found


def messages(data: bytes) -> Iterator[tuple[str, list[str]]]:
    """(source text, translations) of every message of a .qm file's bytes, in file order."""
    block = blocks(data).get(MESSAGES)
    if block is None:
        raise DataError("no messages block in the .qm file")
    at, source, translations = 0, "", []
    while at < len(block):
        tag = block[at]
        at += 1
        if tag == _END:
            yield source, translations
            source, translations = "", []
        elif tag == _OBSOLETE1:
            at += 4
        elif tag in (_TRANSLATION, _SOURCE16, _CONTEXT16, _SOURCE, _CONTEXT, _COMMENT):
            size = _u32(block, at)
            at += 4
            if size == _NO_TEXT:
                continue
            raw = block[at : at + size]
            at += size
            if tag == _TRANSLATION:
                translations.append(raw.decode("utf-16-be", errors="replace"))
            elif tag == _SOURCE:
                source = raw.decode("utf-8", errors="replace")
        elif tag != _OBSOLETE2:
            raise DataError(f"unknown .qm message item tag {tag} at byte {at - 1} of the messages block")


def read_qm(path: str | Path, on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """Pairs of one .qm catalog: source text = English, its single translation = French (plurals skipped); markup
    removed, cut into aligned sentences (readers/sentences.py)."""
    path = Path(path)
    try:
        items = list(messages(path.read_bytes()))
    except (OSError, DataError) as exc:
        on_skip(path, skip_reason(exc) if isinstance(exc, DataError) else str(exc))
        return
    for en, translations in items:
        if len(translations) == 1:
            yield from aligned_sentences(strip_markup(translations[0]), strip_markup(en))
