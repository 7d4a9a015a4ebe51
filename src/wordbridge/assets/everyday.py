"""Everyday, narrative and game-help text (DATA.md "Everyday and narrative"; issue 21): the fetch steps.

Each Debian step `apt-get download`s its packages, unpacks them with `dpkg -x` into a temp folder and keeps only the
text files its reader needs, under their paths below a base folder of the package tree (a few MB at most):
wesnoth/1.16/locale/fr/LC_MESSAGES/wesnoth-*.mo, fillets/<level>/*dialogs_fr.lua, freedink/fr.po,
gcompris/gcompris_fr.qm, gcompris-words/lang.rcc, freeciv/freeciv-{core,nations}.mo, freecol/FreeColMessages{,_fr}
.properties, openttd/{english,french}.lng, supertux/**/fr.po, flare/<mod>/languages/data.fr.po, pingus/fr.po,
frozen-bubble/fr.po. emoji-names holds two npm packages' fr/en annotations.json; cldr-names checks babel.
Then the source's reader (text/everyday_corpora.py) counts its pairs into info.json, with one warning line per
package apt cannot get or file that does not parse; the step fails only when no pair is left.
"""

import logging
import shutil
import tempfile
from pathlib import Path

import babel

from wordbridge.assets import sources
from wordbridge.assets.registry import Asset, register
from wordbridge.atomic import write_json
from wordbridge.errors import AssetError
from wordbridge.text import everyday_corpora

log = logging.getLogger(__name__)

WESNOTH_CAMPAIGNS = ("did", "dm", "dw", "ei", "httt", "l", "low", "nr", "sof", "sota", "sotbe", "thot", "trow", "tsg",
                     "ttb", "utbs")
EMOJI_PACKAGES = ("cldr-annotations-full@48.2.0", "cldr-annotations-derived-full@48.2.0")
DEBIAN = {  # asset -> (packages, base folder in the package tree, file patterns below it, download)
    "wesnoth": ([f"wesnoth-1.16-{c}" for c in WESNOTH_CAMPAIGNS], "usr/share/games/wesnoth",
                ["*/locale/fr/LC_MESSAGES/wesnoth-*.mo"], "16 packages, 132 MB"),
    "fillets": (["fillets-ng-data"], "usr/share/games/fillets-ng/script", ["*/*dialogs_fr.lua"], "71 MB"),
    "freedink": (["freedink-data"], "usr/share/games/dink/dink/l10n", ["fr.po"], "29 MB"),
    "gcompris": (["gcompris-qt-data"], "usr/share/gcompris-qt/translations", ["gcompris_fr.qm"], "44 MB"),
    "gcompris-words": (["gcompris-qt-data"], "usr/share/gcompris-qt/rcc", ["lang.rcc"], "44 MB"),
    "freeciv": (["freeciv-data"], "usr/share/locale/fr/LC_MESSAGES", ["freeciv-core.mo", "freeciv-nations.mo"],
                "20 MB"),
    "freecol": (["freecol"], "usr/share/games/freecol/strings",
                ["FreeColMessages.properties", "FreeColMessages_fr.properties"], "139 MB"),
    "openttd": (["openttd-data"], "usr/share/games/openttd/lang", ["english.lng", "french.lng"], "3 MB"),
    "supertux": (["supertux-data"], "usr/share/games/supertux2", ["locale/fr.po", "levels/*/fr.po"], "158 MB"),
    "flare": (["flare-game"], "usr/share/games/flare/mods", ["*/languages/data.fr.po"], "120 MB"),
    "pingus": (["pingus-data"], "usr/share/games/pingus/data/po", ["fr.po"], "11 MB"),
    "frozen-bubble": (["frozen-bubble-data"], "usr/share/games/frozen-bubble/locale", ["fr.po"], "21 MB"),
}


def count_pairs(name: str, folder: Path, skips: sources.SkipLog, info: dict) -> None:
    """Read the fetched folder with the source's reader; log and record its counts in info.json."""
    pairs = list(everyday_corpora.READERS[name](folder, skips))
    if not pairs:
        raise AssetError(f"{name}: no sentence pairs in the fetched files ({len(skips.files)} skipped)")
    log.info("  %s: %d pairs (%d distinct), %d files skipped", name, len(pairs), len(set(pairs)), len(skips.files))
    write_json(folder / "info.json", {**info, "pairs": len(pairs), "distinct_pairs": len(set(pairs)),
                                      "skipped": skips.files})


def keep_files(tree: Path, base: str, patterns: list[str], out: Path) -> list[Path]:
    """Copy the files matching the patterns below TREE/BASE to OUT, under the same relative paths."""
    root = tree / base
    kept = sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()})
    for path in kept:
        target = out / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return kept


def _debian_builder(name: str):
    packages, base, patterns, _ = DEBIAN[name]

    def build(out: Path) -> None:
        skips = sources.SkipLog()
        with tempfile.TemporaryDirectory(prefix=f"wb-{name}-") as tmp:
            got = sources.apt_each(list(packages), Path(tmp), skips)
            if not got:
                raise AssetError(f"{name}: apt could get none of {', '.join(packages)}")
            kept = keep_files(Path(tmp), base, patterns, out)
        if not kept:
            raise AssetError(f"{name}: no {' or '.join(patterns)} under {base} in {', '.join(got)}")
        log.info("  kept %d files from %d packages", len(kept), len(got))
        count_pairs(name, out, skips, {"source": "Debian " + ", ".join(got), "files": len(kept),
                                       "missing_packages": sorted(set(packages) - set(got))})

    return build


def build_emoji_names(out: Path) -> None:
    skips = sources.SkipLog()
    got = []
    for spec in EMOJI_PACKAGES:
        package = spec.split("@")[0]
        with tempfile.TemporaryDirectory(prefix="wb-emoji-") as tmp:
            try:
                sources.npm_pack_extract(spec, Path(tmp))
            except AssetError as exc:
                skips(Path(spec), str(exc))
                continue
            if keep_files(Path(tmp), ".", ["package.json", "*/fr/annotations.json", "*/en/annotations.json"],
                          out / package):
                got.append(spec)
    if not got:
        raise AssetError(f"emoji-names: npm could get none of {', '.join(EMOJI_PACKAGES)}")
    count_pairs("emoji-names", out, skips, {"source": "npm " + ", ".join(got)})


def build_cldr_names(out: Path) -> None:
    """babel ships CLDR's data: nothing to download (it is a dependency); record which CLDR version it holds."""
    count_pairs("cldr-names", out, sources.SkipLog(), {"source": f"PyPI babel {babel.__version__}",
                                                       "cldr_version": babel.core.get_cldr_version()})


for _name, (_packages, _, _, _size) in DEBIAN.items():
    _source = next(s for s in everyday_corpora.SOURCES if s.name == _name)
    register(Asset(_name, f"{_source.description} (Debian {_packages[0] if len(_packages) == 1 else 'wesnoth-1.16-*'}"
                          f", {_size})", _debian_builder(_name)))
register(Asset("emoji-names", "CLDR emoji names, fr + en (npm cldr-annotations-full + -derived-full 48.2.0, 11 MB)",
               build_emoji_names))
register(Asset("cldr-names", "CLDR names of countries, languages, months, units (PyPI babel, installed)",
               build_cldr_names))
