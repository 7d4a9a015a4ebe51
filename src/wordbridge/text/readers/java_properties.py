"""Java `.properties` message bundles (FreeCol's `FreeColMessages.properties` and `FreeColMessages_fr.properties`)
-> (french, english) pairs by key, read with translate-toolkit (Java personality: `\\uXXXX` escapes, UTF-8).

Messages with FreeCol's `{{plural:...}}` / `{{tag:...}}` templates are skipped; `%name%` placeholders stay.
"""

from pathlib import Path
from typing import Iterator

from translate.storage import properties

from wordbridge.text.help_pages import Pair
from wordbridge.text.readers.common import keep_pair
from wordbridge.text.skips import OnSkip, warn_skip


def bundle(path: Path) -> dict[str, str]:
    """{key: text} of one .properties file; ValueError (or the toolkit's own error) when it does not parse."""
    store = properties.propfile(personality="java-utf8", encoding="utf-8")
    store.parse(path.read_bytes())
    return {unit.getid(): unit.source for unit in store.units if not unit.isheader() and unit.source}


def _load(path: Path, on_skip: OnSkip) -> dict[str, str] | None:
    try:
        return bundle(path)
    except Exception as exc:  # translate-toolkit raises bare ValueError/IndexError/... on broken files
        on_skip(path, f"not a .properties file ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})")
        return None


def read_properties(root: str | Path, french: str = "fr", on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """Pairs of every `NAME_<french>.properties` below ROOT with its English `NAME.properties`, by key."""
    for fr_file in sorted(Path(root).rglob(f"*_{french}.properties")):
        en_file = fr_file.with_name(fr_file.name.replace(f"_{french}.properties", ".properties"))
        if not en_file.is_file():
            on_skip(fr_file, f"no English {en_file.name} beside it")
            continue
        fr_messages, en_messages = _load(fr_file, on_skip), _load(en_file, on_skip)
        if fr_messages is None or en_messages is None:
            continue
        for key, fr in fr_messages.items():
            en = en_messages.get(key)
            if en is None or "{{" in fr or "{{" in en:
                continue
            if pair := keep_pair(fr, en):
                yield pair
