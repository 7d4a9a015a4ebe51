"""gettext catalogs (.po/.mo, read with polib) of games: msgid = English, msgstr = French.

Unlike corpora.read_gettext (which stops at a bad catalog), a catalog that does not parse is skipped with one
`on_skip` line and the others are read. Plural, fuzzy, obsolete and untranslated entries are skipped. `clean`
turns a raw (french, english) into the pair to keep (default: UI accelerators removed, text/ui_strings.py).
"""

from pathlib import Path
from typing import Callable, Iterable, Iterator

import polib

from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import keep_pair
from wordbridge.text.skips import OnSkip, warn_skip
from wordbridge.text.ui_strings import clean_pair

Clean = Callable[[str, str], Iterable[Pair]]  # (msgstr, msgid) -> the pairs to keep (none, one or several)


def ui_clean(fr: str, en: str) -> Iterator[Pair]:
    """Accelerators (`_Save`, `&Open`) removed, then the usual checks (readers/common.keep_pair)."""
    if pair := keep_pair(*clean_pair(fr, en)):
        yield pair


def plain_clean(fr: str, en: str) -> Iterator[Pair]:
    """Text kept as written (dialogue has no accelerators; FreeDink's `&var` placeholders stay)."""
    if pair := keep_pair(fr, en):
        yield pair


def load_catalog(path: Path, on_skip: OnSkip = warn_skip) -> list[polib._BaseEntry] | None:
    """The entries of one .po/.mo file, or None (after one on_skip line) when it does not parse."""
    try:
        return list(polib.mofile(str(path)) if path.suffix == ".mo" else polib.pofile(str(path), encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        on_skip(path, f"not a valid gettext catalog ({' '.join(str(exc).split())[:200]})")
        return None


def read_catalogs(files: Iterable[Path], on_skip: OnSkip = warn_skip, clean: Clean = ui_clean) -> Iterator[Pair]:
    """(french, english) pairs of every catalog in `files`, in order."""
    for path in files:
        for entry in load_catalog(Path(path), on_skip) or []:
            if entry.msgid_plural or entry.obsolete or "fuzzy" in entry.flags or not entry.msgstr:
                continue
            yield from clean(entry.msgstr, entry.msgid)


def catalogs_under(root: Path, patterns: Iterable[str] = ("*.po", "*.mo")) -> list[Path]:
    """Every catalog below ROOT matching one of the patterns, sorted by path."""
    return sorted({p for pattern in patterns for p in Path(root).rglob(pattern) if p.is_file()})
