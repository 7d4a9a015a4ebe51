"""Translated DocBook HTML manuals (GIMP help, Debian Reference): text blocks paired by position inside sections.

A page is read with lxml into a stream of named anchors (`id`, `<a name>`) and text blocks (the innermost p, h1-h6,
li, td, th, dt, dd, title elements; navigation headers/footers and `pre` skipped). The anchors present in BOTH
languages cut the two pages into sections; inside a section the blocks pair by position, and only when both sides
have the same sequence of block tags (a paragraph added on one side would shift every later pair). Generated ids
(`idm12345`, different per language for the same content) never cut a section.
"""

import logging
from pathlib import Path
from typing import Callable, Iterator

import lxml.etree
import lxml.html

from wordbridge.errors import DataError
from wordbridge.text.help_pages import LETTER, Pair
from wordbridge.text.skips import OnSkip, language_dirs, skip_reason, warn_skip

log = logging.getLogger(__name__)

BLOCK_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "dt", "dd", "title"})
_SKIP_TAGS = frozenset({"script", "style", "pre"})
_SKIP_CLASSES = frozenset({"navheader", "navfooter"})
Event = tuple[str, str, str]  # ("id", name, "") or ("block", tag, text)
_PARSER = lxml.html.HTMLParser(encoding="utf-8")  # both manuals are UTF-8; a page without a meta charset too


def is_generated_id(name: str) -> bool:
    """DocBook's per-build ids (`idm140234`, `id-1.2.3`): never the same content in two languages."""
    return (name.startswith("idm") and name[3:].isdigit()) or name.startswith("id-")


def _anchor(el: lxml.html.HtmlElement) -> str | None:
    name = el.get("id") or (el.get("name") if el.tag == "a" else None)
    return name if name and not is_generated_id(name) else None


def page_events(path: Path) -> list[Event]:
    """Anchors and text blocks of one page in document order; DataError when the page does not parse."""
    try:
        root = lxml.html.parse(str(path), parser=_PARSER).getroot()
    except (lxml.etree.LxmlError, OSError, ValueError) as exc:
        raise DataError(f"{path}: not parsable HTML ({exc})") from None
    if root is None:
        raise DataError(f"{path}: empty HTML document")
    events: list[Event] = []
    _walk(root, events)
    return events


def _walk(el, events: list[Event]) -> None:
    if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS or _SKIP_CLASSES & set((el.get("class") or "").split()):
        return
    name = _anchor(el)
    if name:
        events.append(("id", name, ""))
    if el.tag in BLOCK_TAGS and not any(isinstance(d.tag, str) and d.tag in BLOCK_TAGS for d in el.iterdescendants()):
        events.extend(("id", n, "") for n in (_anchor(d) for d in el.iterdescendants() if isinstance(d.tag, str)) if n)
        events.append(("block", el.tag, " ".join(el.text_content().split())))
        return
    for child in el:
        _walk(child, events)


def sections(events: list[Event], shared: set[str]) -> dict[str, list[tuple[str, str]]]:
    """Blocks grouped by the last shared anchor before them ("" = before the first one)."""
    out: dict[str, list[tuple[str, str]]] = {"": []}
    current = ""
    for kind, value, text in events:
        if kind == "id":
            if value in shared:
                current = value
                out.setdefault(current, [])
        else:
            out[current].append((value, text))
    return out


def pair_pages(fr_page: Path, en_page: Path, counts: dict[str, int] | None = None) -> Iterator[Pair]:
    """Block pairs of a French page and its English original (see the module doc); counts gets blocks/paired."""
    fr_events, en_events = page_events(fr_page), page_events(en_page)
    shared = {v for k, v, _ in fr_events if k == "id"} & {v for k, v, _ in en_events if k == "id"}
    fr_sections, en_sections = sections(fr_events, shared), sections(en_events, shared)
    for name, en_blocks in en_sections.items():
        fr_blocks = fr_sections.get(name, [])
        if counts is not None:
            counts["blocks"] = counts.get("blocks", 0) + len(en_blocks)
        if [tag for tag, _ in fr_blocks] != [tag for tag, _ in en_blocks]:
            continue
        if counts is not None:
            counts["paired"] = counts.get("paired", 0) + len(en_blocks)
        for (_, fr), (_, en) in zip(fr_blocks, en_blocks):
            if fr != en and LETTER.search(fr) and LETTER.search(en):
                yield fr, en


def read_manual(root: str | Path, french: str = "fr", english: str = "en",
                on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """ROOT/fr/*.html and ROOT/en/*.html (same file names) -> (french, english) block pairs."""
    fr_dir, en_dir = language_dirs(root, french, english, "Manual")
    pages = sorted(p.name for p in en_dir.glob("*.html") if (fr_dir / p.name).is_file())
    return _manual(fr_dir, en_dir, pages, on_skip)


def _manual(fr_dir: Path, en_dir: Path, pages: list[str], on_skip: Callable[[Path, str], None]) -> Iterator[Pair]:
    for page in pages:
        try:
            pairs = list(pair_pages(fr_dir / page, en_dir / page))
        except DataError as exc:
            on_skip(fr_dir / page, skip_reason(exc))
            continue
        yield from pairs


def manual_text(folder: str | Path) -> Iterator[str]:
    """Every text block of one language's pages, paired or not (English text for the word vectors)."""
    for page in sorted(Path(folder).glob("*.html")):
        try:
            events = page_events(page)
        except DataError:
            continue
        yield from (text for kind, _, text in events if kind == "block" and LETTER.search(text))
