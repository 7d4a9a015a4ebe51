"""LibreOffice help pages (HTML) -> paragraphs by id, and a French page paired with its English one by paragraph id."""

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

from wordbridge.errors import DataError

Pair = tuple[str, str]  # (french, english)

LETTER = re.compile(r"[^\W\d_]")  # a letter in any script (text worth keeping)
_PARA_ID = re.compile(r"^(par_id|hd_id)")


class _ParagraphParser(HTMLParser):
    """Collects (id, text) of elements whose id is `par_id...`/`hd_id...`, in document order.

    Hidden per-platform/per-module variants (`<span hidden class="MAC">`) are skipped; the unclassed default kept.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[tuple[str, str]] = []
        self._open: tuple[str, str] | None = None  # (tag, id) of the paragraph being read
        self._depth = 0
        self._parts: list[str] = []
        self._skip: str | None = None  # tag of a hidden variant being skipped
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if self._skip is not None:
            self._skip_depth += tag == self._skip
            return
        if self._open is not None:
            self._depth += tag == self._open[0]
            if "hidden" in attr and attr.get("class"):
                self._skip, self._skip_depth = tag, 1
            elif tag == "br":
                self._parts.append(" ")
            return
        pid = attr.get("id") or ""
        if _PARA_ID.match(pid):
            self._open, self._depth, self._parts = (tag, pid), 1, []

    def handle_endtag(self, tag: str) -> None:
        if self._skip is not None:
            self._skip_depth -= tag == self._skip
            if self._skip_depth == 0:
                self._skip = None
            return
        if self._open is not None and tag == self._open[0]:
            self._depth -= 1
            if self._depth == 0:
                self.paragraphs.append((self._open[1], " ".join("".join(self._parts).split())))
                self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None and self._skip is None:
            self._parts.append(data)


def help_paragraphs(path: Path) -> list[tuple[str, str]]:
    """(paragraph id, text) of one help page, markup stripped."""
    parser = _ParagraphParser()
    try:
        parser.feed(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: invalid UTF-8 ({exc.reason})") from None
    parser.close()
    return [(pid, text) for pid, text in parser.paragraphs if LETTER.search(text)]


def _by_id(paragraphs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for pid, text in paragraphs:
        grouped.setdefault(pid, []).append(text)
    return grouped


def pair_help_page(fr_page: Path, en_page: Path) -> Iterator[Pair]:
    """Paragraphs with the same id; an id repeated in a page pairs in order when both pages repeat it as often.

    Identical French and English (untranslated prose, code, formulas: ~4.6k in LibreOffice 7.4) are skipped.
    """
    french = _by_id(help_paragraphs(fr_page))
    for pid, en_texts in _by_id(help_paragraphs(en_page)).items():
        fr_texts = french.get(pid)
        if fr_texts and len(fr_texts) == len(en_texts):
            yield from ((fr, en) for fr, en in zip(fr_texts, en_texts) if fr != en)
