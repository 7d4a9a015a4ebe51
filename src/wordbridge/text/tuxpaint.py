"""Reader of Tux Paint's stamp descriptions (Debian tuxpaint-stamps-default, asset `tuxpaint-stamps`): each stamp's
.txt holds the English description on its first line and translations as `xx.utf8=...` lines.

The French/English descriptions are short everyday phrases written by Tux Paint's translators. They are a test set
only (`wordbridge evaluate RUN --testset tuxpaint`, text/testsets.py) and DeViSE captions, never training text.
"""

from pathlib import Path

from wordbridge.errors import DataError

Pair = tuple[str, str]  # (french, english)


def parse_stamp_text(text: str, lang: str = "fr") -> tuple[str, str | None]:
    """A stamp's .txt -> (english, translation into `lang` or None)."""
    lines = [ln.strip() for ln in text.splitlines()]
    english = next((ln for ln in lines if ln and "=" not in ln.split(" ", 1)[0]), "")
    prefix = f"{lang}.utf8="
    other = next((ln.split("=", 1)[1].strip() for ln in lines if ln.startswith(prefix)), None)
    return english, other or None


def read_tuxpaint(root: str | Path) -> list[Pair]:
    """Distinct (french, english) descriptions of every stamp under `root` (the asset folder or its stamps/) that has
    both, in path order."""
    root = Path(root)
    if (root / "stamps").is_dir():
        root = root / "stamps"
    if not root.is_dir():
        raise DataError(f"Tux Paint stamps folder {root} does not exist; run `wordbridge fetch tuxpaint-stamps`.")
    pairs: dict[Pair, None] = {}
    for txt in sorted(root.rglob("*.txt")):
        english, french = parse_stamp_text(txt.read_text(encoding="utf-8", errors="replace"))
        if english and french:
            pairs[(" ".join(french.split()), " ".join(english.split()))] = None
    return list(pairs)
