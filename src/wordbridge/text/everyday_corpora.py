"""The sources of issue 21 (DATA.md "Everyday and narrative"): for each, the fetched asset it reads, its group, and
its reader over the asset's folder. text/named_corpora.py turns them into named corpora; the asset steps
(assets/everyday.py) run the same readers to count pairs when they fetch.

Groups: "everyday" (dialogue, narration, everyday names) and "technical" (game help and UI, package descriptions).
Every reader calls `on_skip(file, why)` for a file it cannot use and goes on (text/skips.py).
"""

import dataclasses
from pathlib import Path
from typing import Callable, Iterator

from wordbridge.text.help_pages import Pair
from wordbridge.text.readers import (cldr_babel, cldr_json, ddtp, gettext_catalogs, java_properties, lua_dialogs,
                                     openttd_lng, qt_qm, qt_rcc, wesnoth)
from wordbridge.text.skips import OnSkip

Reader = Callable[[Path, OnSkip], Iterator[Pair]]  # (asset folder, on_skip) -> pairs


@dataclasses.dataclass(frozen=True)
class Source:
    name: str
    asset: str  # the `wordbridge fetch` name of the folder it reads
    group: str  # "everyday" or "technical"
    description: str
    read: Reader


def _catalogs(clean: gettext_catalogs.Clean = gettext_catalogs.game_clean) -> Reader:
    return lambda root, skip: gettext_catalogs.read_catalogs(gettext_catalogs.catalogs_under(root), skip, clean)


def _wesnoth(root: Path, skip: OnSkip) -> Iterator[Pair]:
    return wesnoth.read_wesnoth(gettext_catalogs.catalogs_under(root, ("*.mo", "*.po")), skip)


def _gcompris(root: Path, skip: OnSkip) -> Iterator[Pair]:
    for path in sorted(root.glob("*_fr.qm")):
        yield from qt_qm.read_qm(path, on_skip=skip)


def _cldr_names(root: Path, skip: OnSkip) -> Iterator[Pair]:
    return cldr_babel.read_cldr_names()


SOURCES: tuple[Source, ...] = (
    Source("wesnoth", "wesnoth", "everyday", "Battle for Wesnoth campaigns: dialogue and story, cut into sentences",
           _wesnoth),
    Source("fillets", "fillets", "everyday", "Fish Fillets NG dialogue (Lua dialog scripts)",
           lambda root, skip: lua_dialogs.read_fillets(root, on_skip=skip)),
    Source("freedink", "freedink", "everyday", "FreeDink (Dink Smallwood) dialogue, .po",
           _catalogs(gettext_catalogs.sentence_clean)),
    Source("gcompris", "gcompris", "everyday", "GCompris children's activities and instructions (Qt .qm)", _gcompris),
    Source("gcompris-words", "gcompris-words", "everyday", "GCompris vocabulary: everyday nouns (lang.rcc word lists)",
           lambda root, skip: qt_rcc.read_gcompris_words(root / "lang.rcc", on_skip=skip)),
    Source("emoji-names", "emoji-names", "everyday", "CLDR emoji names (npm cldr-annotations-full, tts names)",
           lambda root, skip: cldr_json.read_emoji_names(root, on_skip=skip)),
    Source("cldr-names", "cldr-names", "everyday", "CLDR names through babel: countries, languages, months, units",
           _cldr_names),
    Source("freeciv", "freeciv", "technical", "Freeciv help and UI (freeciv-core, freeciv-nations .mo)", _catalogs()),
    Source("freecol", "freecol", "technical", "FreeCol help and UI (.properties by key)",
           lambda root, skip: java_properties.read_properties(root, on_skip=skip)),
    Source("openttd", "openttd", "technical", "OpenTTD help and UI (compiled .lng, parameter-free strings)",
           lambda root, skip: openttd_lng.read_openttd(root / "french.lng", root / "english.lng", on_skip=skip)),
    Source("supertux", "supertux", "technical", "SuperTux UI and level texts (.po)", _catalogs()),
    Source("flare", "flare", "technical", "Flare (Empyrean campaign) quests and items (.po)", _catalogs()),
    Source("pingus", "pingus", "technical", "Pingus story and UI (.po)", _catalogs()),
    Source("frozen-bubble", "frozen-bubble", "technical", "Frozen Bubble UI (.po)", _catalogs()),
)
DDTP = Source("ddtp", "ddtp", "technical", "Debian package descriptions (DDTP), paired by Description-md5",
              lambda root, skip: ddtp.read_ddtp(_one(root, "Translation-fr"), _one(root, "Translation-en"), on_skip=skip))
READERS: dict[str, Reader] = {s.name: s.read for s in (*SOURCES, DDTP)}


def _one(root: Path, stem: str) -> Path:
    """ROOT/STEM with whatever compression suffix it was fetched with (a missing file is the reader's to report)."""
    found = sorted(root.glob(f"{stem}*"))
    return found[0] if found else root / stem
