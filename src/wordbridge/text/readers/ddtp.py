"""Debian package descriptions translated by DDTP: apt's `Translation-fr` and `Translation-en` index files
(deb822 stanzas read with python-debian; .xz, .bz2, .gz or plain) -> (french, english) pairs.

Stanzas pair by `Description-md5` (the English description they translate). A description is a short line, then
paragraphs of indented lines separated by ` .`; the short lines pair, and the long paragraphs pair in order when both
sides have as many, each cut into sentence pairs where both cut alike (readers/sentences.py).
"""

import bz2
import gzip
import lzma
from pathlib import Path
from typing import Iterator

from debian.deb822 import Deb822

from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import keep_pair
from wordbridge.text.readers.sentences import aligned_sentences
from wordbridge.text.skips import OnSkip, warn_skip

_OPENERS = {".xz": lzma.open, ".bz2": bz2.open, ".gz": gzip.open}


def description_parts(text: str) -> list[str]:
    """[short description, paragraph, ...] of a Description field, each paragraph's lines joined."""
    lines = text.split("\n")
    parts, current = [lines[0].strip()], []
    for line in lines[1:]:
        if line.strip() == ".":
            parts.append(" ".join(current))
            current = []
        else:
            current.append(line.strip())
    parts.append(" ".join(current))
    return [p for p in parts if p]


def descriptions(path: Path, lang: str) -> dict[str, str]:
    """{Description-md5: Description-<lang>} of one Translation index file."""
    opener = _OPENERS.get(path.suffix, open)
    with opener(path, "rt", encoding="utf-8") as handle:
        return {stanza["Description-md5"]: stanza[f"Description-{lang}"]
                for stanza in Deb822.iter_paragraphs(handle, use_apt_pkg=False)
                if "Description-md5" in stanza and f"Description-{lang}" in stanza}


def _load(path: Path, lang: str, on_skip: OnSkip) -> dict[str, str] | None:
    try:
        return descriptions(path, lang)
    except (OSError, EOFError, UnicodeDecodeError, ValueError, lzma.LZMAError) as exc:
        on_skip(path, f"not a readable Translation index ({type(exc).__name__}: {exc})")
        return None


def read_ddtp(french: str | Path, english: str | Path, on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """Pairs of the package descriptions found in both Translation-fr and Translation-en."""
    fr_all, en_all = _load(Path(french), "fr", on_skip), _load(Path(english), "en", on_skip)
    if fr_all is None or en_all is None:
        return
    for md5, fr_text in fr_all.items():
        if md5 not in en_all:
            continue
        fr_parts, en_parts = description_parts(fr_text), description_parts(en_all[md5])
        if pair := keep_pair(fr_parts[0], en_parts[0]):
            yield pair
        if len(fr_parts) == len(en_parts):
            for fr, en in zip(fr_parts[1:], en_parts[1:]):
                yield from aligned_sentences(fr, en)
