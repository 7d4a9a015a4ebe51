"""CLDR emoji names from the npm packages `cldr-annotations-full` and `cldr-annotations-derived-full` (JSON).

Each package holds `<folder>/<lang>/annotations.json`: {top: {"identity": {...}, "annotations": {emoji: {"default":
[keywords], "tts": [name]}}}}. The spoken name `tts[0]` is one name per emoji in both languages; the keyword lists
are not one to one, so they are not used. French and English pair by emoji; skin-tone variants (the same name plus
"peau claire" / "light skin tone") are left out. A file of a CLDR version other than CLDR_MAJOR (from its
`identity.version._cldrVersion`, else the package.json beside it) is skipped with one warning: names and keys change
between versions.
"""

import json
import re
from pathlib import Path
from typing import Iterator

from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import keep_pair
from wordbridge.text.skips import OnSkip, warn_skip

CLDR_MAJOR = "48"  # the version the emoji-names asset fetches (cldr-annotations-full@48.2.0)
_SKIN_TONE = re.compile("[\U0001F3FB-\U0001F3FF]")


def _package_version(path: Path) -> str | None:
    for folder in path.parents:
        if (folder / "package.json").is_file():
            try:
                return str(json.loads((folder / "package.json").read_text(encoding="utf-8")).get("version"))
            except (OSError, ValueError):
                return None
    return None


def load_names(path: Path, on_skip: OnSkip = warn_skip) -> dict[str, str] | None:
    """{emoji: tts name} of one annotations.json, or None (after one on_skip line) when it cannot be used."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        (top,) = doc.values()
        table, identity = top["annotations"], top.get("identity", {})
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        on_skip(path, f"not a CLDR annotations file ({type(exc).__name__}: {exc})")
        return None
    version = (identity.get("version") or {}).get("_cldrVersion") or _package_version(path)
    if version is not None and version.split(".")[0] != CLDR_MAJOR:
        on_skip(path, f"CLDR version {version}, expected {CLDR_MAJOR}")
        return None
    return {emoji: entry["tts"][0] for emoji, entry in table.items()
            if isinstance(entry, dict) and entry.get("tts") and not _SKIN_TONE.search(emoji)}


def read_emoji_names(root: str | Path, french: str = "fr", english: str = "en",
                     on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """(french name, english name) for every emoji of every ROOT/**/<french>/annotations.json with its English."""
    for fr_file in sorted(Path(root).rglob(f"{french}/annotations.json")):
        en_file = fr_file.parent.parent / english / "annotations.json"
        if not en_file.is_file():
            on_skip(fr_file, f"no {english}/annotations.json beside it")
            continue
        fr_names, en_names = load_names(fr_file, on_skip), load_names(en_file, on_skip)
        if fr_names is None or en_names is None:
            continue
        for emoji, fr in fr_names.items():
            if emoji in en_names and (pair := keep_pair(fr, en_names[emoji])):
                yield pair
