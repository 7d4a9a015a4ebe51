"""OpenTTD compiled language files (`english.lng`, `french.lng`) -> (french, english) pairs, with a small parser.

No Python library reads them, so this follows OpenTTD's loader (src/strings.cpp, LanguagePackHeader): `LANG`, u32
version, name[32], own name[32], ISO code[16], then at byte 88 `offsets[32]` (little-endian u16: how many strings
each of the 32 tabs holds), and the strings from byte 545 on, tab after tab, each a length (one byte; two when the
first is >= 0xC0: ((b & 0x3F) << 8) | next) then UTF-8 text. Strings pair by (tab, index) when both files have the
same counts. Control codes live in U+E000..U+E0FF: colours and font sizes (U+E03B..U+E04D) are dropped, and a string
holding any other code (a parameter: `{STRING}`, `{NUM}`, plural lists) is skipped: its text is not whole.
"""

import re
import struct
from pathlib import Path
from typing import Iterator

from wordbridge.errors import DataError
from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import keep_pair
from wordbridge.text.skips import OnSkip, skip_reason, warn_skip

HEADER_SIZE = 545
TABS = 32
_STYLE = re.compile("[\ue03b-\ue04d]")  # colour and font-size switches
_CONTROL = re.compile("[\ue000-\uf8ff\x00-\x09\x0b-\x1f]")


def lng_strings(data: bytes) -> list[list[str]]:
    """The strings of a compiled .lng file's bytes, one list per tab; DataError when it is not one."""
    if data[:4] != b"LANG" or len(data) < HEADER_SIZE:
        raise DataError("not an OpenTTD .lng file (no LANG header)")
    counts = struct.unpack_from(f"<{TABS}H", data, 88)
    tabs, at = [], HEADER_SIZE
    for count in counts:
        strings = []
        for _ in range(count):
            if at >= len(data):
                raise DataError("truncated .lng file")
            length = data[at]
            if length >= 0xC0:
                if at + 1 >= len(data):
                    raise DataError("truncated .lng file")
                length, at = ((length & 0x3F) << 8) | data[at + 1], at + 2
            else:
                at += 1
            if at + length > len(data):
                raise DataError("truncated .lng file")
            strings.append(data[at : at + length].decode("utf-8", errors="replace"))
            at += length
        tabs.append(strings)
    return tabs


def plain_text(text: str) -> str | None:
    """A string without its colour/font codes, or None when it holds a parameter or other control code."""
    text = _STYLE.sub("", text)
    return None if _CONTROL.search(text) else text


def _load(path: Path, on_skip: OnSkip) -> list[list[str]] | None:
    try:
        return lng_strings(path.read_bytes())
    except (OSError, DataError) as exc:
        on_skip(path, skip_reason(exc) if isinstance(exc, DataError) else str(exc))
        return None


def read_openttd(french: str | Path, english: str | Path, on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """Pairs of two compiled .lng files (e.g. french.lng and english.lng of one OpenTTD version)."""
    french, english = Path(french), Path(english)
    fr_tabs, en_tabs = _load(french, on_skip), _load(english, on_skip)
    if fr_tabs is None or en_tabs is None:
        return
    if [len(t) for t in fr_tabs] != [len(t) for t in en_tabs]:
        on_skip(french, f"its string tables do not match {english.name}'s (another OpenTTD version?)")
        return
    for fr_tab, en_tab in zip(fr_tabs, en_tabs):
        for fr, en in zip(fr_tab, en_tab):
            fr, en = plain_text(fr), plain_text(en)
            if fr is not None and en is not None and (pair := keep_pair(fr, en)):
                yield pair
