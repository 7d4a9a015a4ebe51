"""UI strings as readable text: accelerator markers removed (`~File`, `_Save`, `&Open`, `sa_ving`), placeholders told
apart from text.

A marker in front of a letter or digit is an accelerator, also mid-word (`Enre_gistrer`), unless the word is a name
that the other language writes identically (`file_name`, `America/Swift_Current`): translators move accelerators to
another letter, but copy identifiers. So a pair is cleaned together (`clean_pair`); `clean_ui` cleans a lone string.
"""

import re

from wordbridge.text.help_pages import LETTER

_PLACEHOLDER = re.compile(r"%\d+\$?[sSdD]?|%[A-Z][A-Z_]*%?|%[-+ #0-9.]*[sdifuxXeEgGcS]|\$\(?[A-Za-z0-9_]+\)?"
                          r"|\{[^{}]*\}|<[^<>]+>|&[a-z]+;")
MARKERS = "~_&"


def _strip_word(word: str, marker: str, other: str) -> str:
    at = word.find(marker)
    if at < 0 or word.count(marker) != 1 or at + 1 >= len(word) or not word[at + 1].isalnum():
        return word
    start, end = at, at + 1
    while start > 0 and word[start - 1].isalnum():
        start -= 1
    while end < len(word) and word[end].isalnum():
        end += 1
    if marker != "~" and start < at and word[start:end] in other:  # `Swift_Current` on both sides: a name
        return word
    return word[:at] + word[at + 1 :]


def strip_accelerators(text: str, markers: str = MARKERS, other: str = "") -> str:
    """Each whitespace word loses a single marker that precedes a letter or digit, unless the marked name
    (`file_name`) also occurs in `other`, the other language's string; whitespace is collapsed. `~` (LibreOffice)
    is never part of a name, so it always goes."""
    words = []
    for word in text.split():
        for marker in markers:
            word = _strip_word(word, marker, other)
        words.append(word)
    return " ".join(words)


def clean_pair(fr: str, en: str, markers: str = MARKERS) -> tuple[str, str]:
    """(french, english) with accelerators removed; names written identically on both sides stay."""
    return strip_accelerators(fr, markers, en), strip_accelerators(en, markers, fr)


def clean_ui(text: str, markers: str = MARKERS) -> str:
    """A lone UI string with its accelerators removed and whitespace collapsed."""
    return strip_accelerators(text, markers)


def is_placeholder_only(text: str) -> bool:
    """True when nothing but placeholders, markup and punctuation remains (`%1`, `$(ARG1)`, `%PRODUCTNAME`)."""
    return not LETTER.search(_PLACEHOLDER.sub("", text))
