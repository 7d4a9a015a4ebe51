"""Mozilla UI strings (Firefox, Thunderbird): French langpack vs English `omni.ja`, paired by (file, message id).

The asset steps copy every `.ftl`, `.properties` and `.dtd` file out of the French langpack (`.xpi`) and the English
`omni.ja` archives (both zips) into ROOT/fr/<key> and ROOT/en-US/<key>, where the key is the path below the last
locale folder (`chrome/fr/locale/fr/global/x.properties` -> `global/x.properties`), the same for both languages.
`read_mozilla(ROOT)` then pairs the messages of files with the same key by id (`id` or `id.attribute` for Fluent).
Formats are read with their own libraries: Fluent with `fluent.syntax`, `.properties`/`.dtd` with translate-toolkit.
Fluent messages with a select expression (plurals, gender) are skipped; `{ $var }` placeholders stay; access keys
and single-letter strings are skipped; `&` accelerators are removed and HTML entities decoded.
"""

import html
import logging
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import lxml.etree
import lxml.html
from fluent.syntax import ast as fluent_ast
from fluent.syntax import parse as parse_fluent
from fluent.syntax.serializer import serialize_pattern
from translate.storage import dtd, properties

from wordbridge.errors import DataError
from wordbridge.text.help_pages import Pair
from wordbridge.text.skips import OnSkip, language_dirs, skip_reason, warn_skip
from wordbridge.text.ui_strings import clean_pair, is_placeholder_only

log = logging.getLogger(__name__)

SUFFIXES = (".ftl", ".properties", ".dtd")
_KEY_SUFFIXES = (".accesskey", ".commandkey", ".key", "AccessKey", ".modifiers")


def locale_key(member: str, locale: str) -> str | None:
    """Path below the last `locale` folder of an archive member, or None when the member is not localised text."""
    path = PurePosixPath(member)
    if path.suffix not in SUFFIXES or locale not in path.parts[:-1]:
        return None
    last = max(i for i, part in enumerate(path.parts[:-1]) if part == locale)
    return "/".join(path.parts[last + 1 :])


def extract_locale(archive: Path, locale: str, out: Path, on_skip: OnSkip = warn_skip) -> int:
    """Copy the localised text files of one zip (`.xpi` / `omni.ja`) to out/<key>; returns how many."""
    count = 0
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                key = locale_key(member, locale)
                if key is None:
                    continue
                target = out / key
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(member))
                count += 1
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        on_skip(archive, f"not a readable zip archive ({exc})")
        return 0
    return count


def _has_select(pattern: fluent_ast.Pattern) -> bool:
    return any(isinstance(el, fluent_ast.Placeable) and isinstance(el.expression, fluent_ast.SelectExpression)
               for el in pattern.elements)


def fluent_messages(text: str) -> dict[str, str]:
    """{id or id.attribute: text} of a Fluent resource; junk (unparsable entries) and select messages skipped."""
    out: dict[str, str] = {}
    for entry in parse_fluent(text).body:
        if not isinstance(entry, fluent_ast.Message):
            continue
        items = [(entry.id.name, entry.value)]
        items += [(f"{entry.id.name}.{attr.id.name}", attr.value) for attr in entry.attributes]
        for key, pattern in items:
            if pattern is not None and not _has_select(pattern):
                out[key] = serialize_pattern(pattern)
    return out


def store_messages(data: bytes, suffix: str) -> dict[str, str]:
    """{key: text} of a Mozilla `.properties` (UTF-8) or `.dtd` file, read by translate-toolkit."""
    if suffix == ".properties":
        store = properties.propfile(personality="mozilla", encoding="utf-8")
    else:
        store = dtd.dtdfile()
    store.parse(data)
    return {unit.getid(): unit.source for unit in store.units if not unit.isheader() and unit.source}


def file_messages(path: Path) -> dict[str, str]:
    """Messages of one `.ftl`/`.properties`/`.dtd` file; DataError when it cannot be read."""
    data = path.read_bytes()
    try:
        if path.suffix == ".ftl":
            return fluent_messages(data.decode("utf-8"))
        return store_messages(data, path.suffix)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: invalid UTF-8 ({exc.reason})") from None
    except Exception as exc:  # translate-toolkit raises bare ValueError/IndexError/... on broken files
        raise DataError(f"{path}: cannot parse ({type(exc).__name__}: {exc})") from None


def strip_markup(text: str) -> str:
    """The text of a string holding HTML markup (`Subject<span data-l10n-name="sep">:</span>` -> `Subject:`)."""
    if "<" not in text:
        return text
    try:
        return lxml.html.fragment_fromstring(text, create_parent="div").text_content()
    except (lxml.etree.LxmlError, ValueError):
        return text


def plain_text(text: str) -> str:
    """A Mozilla string as plain text: markup dropped, entities decoded (`&lt;` -> `<`)."""
    return html.unescape(strip_markup(text))


def _keep(key: str, fr: str, en: str) -> bool:
    if key.endswith(_KEY_SUFFIXES) or len(fr) < 2 or len(en) < 2 or fr == en:
        return False
    return not (is_placeholder_only(fr) or is_placeholder_only(en))


def read_mozilla(root: str | Path, french: str = "fr", english: str = "en-US",
                 on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """(french, english) message pairs of ROOT/fr/** and ROOT/en-US/** files with the same path."""
    fr_dir, en_dir = language_dirs(root, french, english, "Mozilla strings")
    keys = sorted(p.relative_to(en_dir) for p in en_dir.rglob("*") if p.suffix in SUFFIXES)
    return _pairs(fr_dir, en_dir, [k for k in keys if (fr_dir / k).is_file()], on_skip)


def _pairs(fr_dir: Path, en_dir: Path, keys: list[Path], on_skip: Callable[[Path, str], None]) -> Iterator[Pair]:
    for key in keys:
        try:
            fr_msgs, en_msgs = file_messages(fr_dir / key), file_messages(en_dir / key)
        except DataError as exc:
            on_skip(fr_dir / key, skip_reason(exc))
            continue
        for msg_id, en_raw in en_msgs.items():
            if msg_id not in fr_msgs:
                continue
            fr, en = clean_pair(plain_text(fr_msgs[msg_id]), plain_text(en_raw), markers="&")
            if _keep(msg_id, fr, en):
                yield fr, en
