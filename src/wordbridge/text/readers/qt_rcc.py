"""Qt resource files (`.rcc`) -> their files, with a small parser; GCompris's `lang.rcc` vocabulary -> word pairs.

No Python library on PyPI reads .rcc, so this follows Qt's loader (qtbase qresource.cpp). Header: `qres`, then
big-endian u32 version, tree offset, data offset, names offset (and, from version 3, flags). The tree is an array of
nodes of 14 bytes (version 1) or 22 bytes (version 2+, a trailing u64 modification time): u32 name offset, u16
flags, then for a directory (flag 2) u32 child count and u32 first child index, else u16 territory, u16 language and
u32 data offset. A name is u16 length, u32 hash, UTF-16BE text; data is u32 length then the bytes, zlib-compressed
behind a u32 size when flag 1 is set (flag 4, zstd, is not read here).

GCompris's `lang.rcc` holds `words/.../content-<lang>.json` (voice file -> word); French and English pair by key.
"""

import json
import struct
import zlib
from pathlib import Path, PurePosixPath
from typing import Iterator

from wordbridge.errors import DataError
from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import keep_pair
from wordbridge.text.skips import OnSkip, skip_reason, warn_skip

_COMPRESSED, _DIRECTORY, _ZSTD = 1, 2, 4


def _unpack(fmt: str, data: bytes, at: int) -> tuple:
    if at < 0 or at + struct.calcsize(fmt) > len(data):
        raise DataError("truncated .rcc data")
    return struct.unpack_from(fmt, data, at)


class _Resource:
    def __init__(self, data: bytes) -> None:
        if data[:4] != b"qres":
            raise DataError("not a Qt .rcc file (no 'qres' header)")
        self.data = data
        self.version, self.tree, self.payload, self.names = _unpack(">IIII", data, 4)
        if self.version not in (1, 2, 3):
            raise DataError(f"unsupported .rcc version {self.version}")
        self.node_size = 14 if self.version == 1 else 22

    def name(self, node: int) -> str:
        (offset,) = _unpack(">I", self.data, self.tree + node * self.node_size)
        (length,) = _unpack(">H", self.data, self.names + offset)
        start = self.names + offset + 6
        return self.data[start : start + 2 * length].decode("utf-16-be", errors="replace")

    def content(self, node: int, flags: int) -> bytes:
        (offset,) = _unpack(">I", self.data, self.tree + node * self.node_size + 10)
        (size,) = _unpack(">I", self.data, self.payload + offset)
        raw = self.data[self.payload + offset + 4 : self.payload + offset + 4 + size]
        if flags & _ZSTD:
            raise DataError("zstd-compressed .rcc entries are not supported")
        if flags & _COMPRESSED:
            try:
                return zlib.decompress(raw[4:])  # behind the u32 uncompressed size
            except zlib.error as exc:
                raise DataError(f"corrupt compressed .rcc entry ({exc})") from None
        return raw

    def walk(self, node: int = 0, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, int, int]]:
        """(path, node, flags) of every file below a directory node."""
        if depth > 64:
            raise DataError("the .rcc tree is too deep (a loop?)")
        _, flags, count, first = _unpack(">IHII", self.data, self.tree + node * self.node_size)
        if not flags & _DIRECTORY:
            raise DataError("the .rcc root is not a directory")
        for child in range(first, first + count):
            (_, child_flags) = _unpack(">IH", self.data, self.tree + child * self.node_size)
            path = f"{prefix}/{self.name(child)}" if prefix else self.name(child)
            if child_flags & _DIRECTORY:
                yield from self.walk(child, path, depth + 1)
            else:
                yield path, child, child_flags


def rcc_files(data: bytes, suffix: str = "") -> dict[str, bytes]:
    """{path: content} of the files in an .rcc file's bytes (those whose path ends with `suffix`)."""
    resource = _Resource(data)
    return {path: resource.content(node, flags) for path, node, flags in resource.walk() if path.endswith(suffix)}


def _words(raw: bytes) -> dict[str, str]:
    table = json.loads(raw.decode("utf-8"))
    if not isinstance(table, dict):
        raise ValueError("not a JSON object")
    return {str(k): v.strip() for k, v in table.items() if isinstance(v, str)}


def read_gcompris_words(path: str | Path, french: str = "fr", english: str = "en",
                        on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """(french word, english word) from `content-fr.json` and `content-en.json` of each folder of a lang.rcc."""
    path = Path(path)
    try:
        files = rcc_files(path.read_bytes(), ".json")
    except (OSError, DataError) as exc:
        on_skip(path, skip_reason(exc) if isinstance(exc, DataError) else str(exc))
        return
    for name in sorted(files):
        member = PurePosixPath(name)
        if member.name != f"content-{french}.json" or str(member.with_name(f"content-{english}.json")) not in files:
            continue
        try:
            fr_words = _words(files[name])
            en_words = _words(files[str(member.with_name(f"content-{english}.json"))])
        except (UnicodeDecodeError, ValueError) as exc:
            on_skip(path, f"{member.parent}: unreadable word list ({exc})")
            continue
        for key, fr in fr_words.items():
            if key in en_words and (pair := keep_pair(fr, en_words[key])):
                yield pair
