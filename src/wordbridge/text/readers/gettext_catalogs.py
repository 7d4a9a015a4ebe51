"""gettext catalogs (.po/.mo, read with polib) of games: msgid = English, msgstr = French.

Unlike corpora.read_gettext (which stops at a bad catalog), a catalog that does not parse is skipped with one
`on_skip` line and the others are read. Plural, fuzzy, obsolete and untranslated entries are skipped. `clean`
turns a raw (french, english) into the pairs to keep: `game_clean` (the default: Freeciv's `?qualifier:` and
SuperTux's line markers dropped, accelerators removed as in text/ui_strings.py) or `sentence_clean` (dialogue), both
cut into aligned sentences (readers/sentences.py).
"""

import re
from pathlib import Path
from typing import Callable, Iterable, Iterator

import polib

from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import keep_pair
from wordbridge.text.readers.sentences import aligned_sentences
from wordbridge.text.skips import OnSkip, warn_skip
from wordbridge.text.ui_strings import clean_pair

_QUALIFIER = re.compile(r"^\?[\w .-]{1,40}:")  # Freeciv's `?plural:Hittites`, `?stat:Styles`
_LINE_MARKER = re.compile(r"^[#*!]+(?=\S)")  # SuperTux's `#centred` / `*bold` text lines

Clean = Callable[[str, str], Iterable[Pair]]  # (msgstr, msgid) -> the pairs to keep (none, one or several)


def sentence_clean(fr: str, en: str) -> Iterator[Pair]:
    """Dialogue as written (no accelerators; FreeDink's `&var` placeholders stay), cut into aligned sentences."""
    yield from aligned_sentences(fr, en)


def game_clean(fr: str, en: str) -> Iterator[Pair]:
    """Game help and UI: qualifiers and line markers gone, accelerators removed, cut into aligned sentences."""
    fr, en = (_LINE_MARKER.sub("", _QUALIFIER.sub("", text, count=1)) for text in (fr, en))
    yield from aligned_sentences(*clean_pair(fr, en))


def load_catalog(path: Path, on_skip: OnSkip = warn_skip) -> list[polib._BaseEntry] | None:
    """The entries of one .po/.mo file, or None (after one on_skip line) when it does not parse."""
    try:
        return list(polib.mofile(str(path)) if path.suffix == ".mo" else polib.pofile(str(path), encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        on_skip(path, f"not a valid gettext catalog ({' '.join(str(exc).split())[:200]})")
        return None


def read_catalogs(files: Iterable[Path], on_skip: OnSkip = warn_skip, clean: Clean = game_clean) -> Iterator[Pair]:
    """(french, english) pairs of every catalog in `files`, in order."""
    for path in files:
        for entry in load_catalog(Path(path), on_skip) or []:
            if entry.msgid_plural or entry.obsolete or "fuzzy" in entry.flags or not entry.msgstr:
                continue
            yield from clean(entry.msgstr, entry.msgid)


def catalogs_under(root: Path, patterns: Iterable[str] = ("*.po", "*.mo")) -> list[Path]:
    """Every catalog below ROOT matching one of the patterns, sorted by path."""
    return sorted({p for pattern in patterns for p in Path(root).rglob(pattern) if p.is_file()})
