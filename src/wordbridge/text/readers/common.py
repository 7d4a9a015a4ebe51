"""What every reader in this folder keeps: a pair whose two sides are real, different text; markup removed."""

import html
import re

from wordbridge.text.help_pages import Pair
from wordbridge.text.ui_strings import is_placeholder_only

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def strip_markup(text: str) -> str:
    """Text without HTML/Pango tags (`<br>` becomes a line break) and with entities decoded (`&amp;` -> `&`)."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", text)))


def keep_pair(fr: str, en: str) -> Pair | None:
    """(french, english) with whitespace collapsed, or None when a side is empty, placeholder-only or both are equal."""
    fr, en = " ".join(fr.split()), " ".join(en.split())
    if not fr or not en or fr == en or is_placeholder_only(fr) or is_placeholder_only(en):
        return None
    return fr, en
