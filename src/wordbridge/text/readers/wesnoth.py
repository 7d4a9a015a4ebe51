"""Battle for Wesnoth campaign catalogs (`wesnoth-<campaign>.mo`): dialogue and story text, cleaned.

Wesnoth's msgids carry a disambiguation prefix (`female^Battle Princess`, `race^Elves`), written on either side or
both; it goes. Pango markup (`<i>`, `<span color='...'>`, `<small>`) and its entities are removed. Story paragraphs
and multi-sentence lines are cut into sentence pairs where both sides cut alike (readers/sentences.py).
"""

import re
from pathlib import Path
from typing import Iterable, Iterator

from wordbridge.text.help_pages import Pair
from wordbridge.text.readers import gettext_catalogs
from wordbridge.text.readers.common import strip_markup
from wordbridge.text.readers.sentences import CAP, aligned_sentences
from wordbridge.text.skips import OnSkip, warn_skip

_PREFIX = re.compile(r"^[\w +-]{1,40}\^")


def clean_text(text: str) -> str:
    """`female^<i>Lady</i> &amp; lord` -> `Lady & lord`: prefix, Pango tags and entities gone; line breaks stay."""
    return strip_markup(_PREFIX.sub("", text, count=1))


def clean_message(fr: str, en: str, cap: int = CAP) -> Iterator[Pair]:
    """A gettext_catalogs Clean: markup and prefixes removed, then cut into aligned sentences."""
    yield from aligned_sentences(clean_text(fr), clean_text(en), cap)


def read_wesnoth(files: Iterable[Path], on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """(french, english) sentence pairs of Wesnoth campaign catalogs (.mo or .po)."""
    return gettext_catalogs.read_catalogs(files, on_skip, clean=clean_message)
