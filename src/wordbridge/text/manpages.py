"""Man pages: the French translation (`manpages-fr`) vs the English original (`manpages`), paragraphs by position.

roff is rendered by groff itself (`groff -man -Tutf8` with a very long line, so every filled paragraph comes out as
one line and every roff escape, font change and hyphenation is resolved the same way on both sides). Sections are
the unindented heading lines; the French page's appended TRADUCTION section (translator credits) is cut. Two pages
pair when they have as many sections; inside a section, paragraphs pair by position when both sides have as many.
Lines of examples and tables pair the same way (identical lines are dropped).
"""

import gzip
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

from wordbridge.errors import DataError
from wordbridge.text.help_pages import LETTER, Pair
from wordbridge.text.skips import OnSkip, skip_reason, warn_skip

log = logging.getLogger(__name__)

SECTIONS = tuple(f"man{i}" for i in range(1, 9))
FRENCH_CREDITS = "TRADUCTION"
PAIRS = "pairs.tsv"  # English<TAB>French paragraph pairs, rendered once by the manpages asset step
_LINE_LENGTH = "5000n"  # longer than any paragraph: one paragraph per output line


def groff() -> str:
    """Path of groff, or DataError (groff-base is what renders roff; Debian installs it with man-db)."""
    found = shutil.which("groff")
    if not found:
        raise DataError("groff not found: cannot read the man pages (install groff-base); going on without them")
    return found


def read_roff(path: Path) -> str:
    """A man page's roff source (`.gz` or plain); DataError when it is a `.so` link or unreadable."""
    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: unreadable man page ({exc})") from None
    if text.lstrip().startswith(".so "):
        raise DataError(f"{path}: a .so link to another page")
    return text


def render(roff: str, path: Path, groff_bin: str) -> list[str]:
    """groff's UTF-8 rendering of a page, header and footer lines dropped."""
    cmd = [groff_bin, "-man", "-Tutf8", "-Kutf8", f"-rLL={_LINE_LENGTH}", "-rcR=1", "-rHY=0", "-P-cbou"]
    try:
        done = subprocess.run(cmd, input=roff.encode("utf-8"), capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        raise DataError(f"{path}: groff timed out") from None
    if done.returncode != 0:
        raise DataError(f"{path}: groff failed ({done.stderr.decode('utf-8', 'replace').strip()[:200]})")
    lines = done.stdout.decode("utf-8", "replace").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines[1:-1]  # the first line is the page header, the last the footer


def page_sections(lines: list[str]) -> list[tuple[str, list[str]]]:
    """(heading, lines) per section: each filled paragraph is one line, and so is each tag of a tagged list."""
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.strip() and not line.startswith(" "):
            out.append((line.strip(), []))
        elif out and LETTER.search(line):
            out[-1][1].append(" ".join(line.split()))
    return out


def pair_rendered(fr_lines: list[str], en_lines: list[str]) -> Iterator[Pair]:
    """Paragraph pairs of two rendered pages (see the module doc)."""
    french = page_sections(fr_lines)
    cut = [i for i, (heading, _) in enumerate(french) if heading == FRENCH_CREDITS]
    french = french[: cut[-1]] if cut else french
    english = page_sections(en_lines)
    if len(french) != len(english):
        return
    for (_, fr_paras), (_, en_paras) in zip(french, english):
        if len(fr_paras) == len(en_paras):
            yield from ((fr, en) for fr, en in zip(fr_paras, en_paras) if fr != en)


def shared_pages(fr_root: Path, en_root: Path) -> list[str]:
    """Relative paths (man1/ls.1.gz ...) present in both trees."""
    pages = []
    for section in SECTIONS:
        if (en_root / section).is_dir():
            pages += sorted(f"{section}/{p.name}" for p in (en_root / section).iterdir()
                            if (fr_root / section / p.name).is_file())
    return pages


def pair_manpages(fr_root: str | Path, en_root: str | Path, on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """(french, english) paragraph pairs of the pages shared by two man trees (ROOT/man1 ... ROOT/man8)."""
    fr_root, en_root = Path(fr_root), Path(en_root)
    groff_bin = groff()
    for page in shared_pages(fr_root, en_root):
        try:
            fr_roff, en_roff = read_roff(fr_root / page), read_roff(en_root / page)
        except DataError as exc:
            if "a .so link" not in str(exc):
                on_skip(fr_root / page, skip_reason(exc))
            continue
        try:
            fr_lines = render(fr_roff, fr_root / page, groff_bin)
            en_lines = render(en_roff, en_root / page, groff_bin)
        except DataError as exc:
            on_skip(fr_root / page, skip_reason(exc))
            continue
        yield from pair_rendered(fr_lines, en_lines)
