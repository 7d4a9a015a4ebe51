"""More French-English text (DATA.md "More French-English text"): the fetch steps of seven Debian sources.

Each step `apt-get download`s its packages, unpacks them with `dpkg -x` into a temp folder and keeps only the text it
needs (a few MB), so `prepare` reads small local folders:
firefox/ and thunderbird/{fr,en-US}/<key>.{ftl,properties,dtd}; gimp-help/ and debian-reference/{fr,en}/*.html;
gettext-apps/<domain>.mo; manpages/{fr,en}/manN/* + pairs.tsv (rendered by groff once, here);
freedict/*.{index,dict.dz}. Bad input (a corrupt archive, a package apt cannot get) is one warning line naming it,
counted in info.json; the step fails only when nothing usable is left.
"""

import logging
import shutil
import tempfile
from pathlib import Path

from wordbridge.assets import sources
from wordbridge.assets.registry import Asset, register
from wordbridge.atomic import write_json
from wordbridge.errors import AssetError, DataError
from wordbridge.text import manpages, mozilla

log = logging.getLogger(__name__)

MOZILLA = {  # asset -> (French langpack package, English package)
    "firefox": ("firefox-esr-l10n-fr", "firefox-esr"),
    "thunderbird": ("thunderbird-l10n-fr", "thunderbird"),
}
GETTEXT_PACKAGES = ("gimp-data", "inkscape", "vlc-l10n", "gnome-control-center-data", "kdevelop-l10n", "kile-l10n",
                    "nautilus-data", "gedit-common", "evince-common")


def _mozilla_builder(asset: str):
    french_pkg, english_pkg = MOZILLA[asset]

    def build(out: Path) -> None:
        skips = sources.SkipLog()
        with tempfile.TemporaryDirectory(prefix=f"wb-{asset}-") as tmp:
            if len(sources.apt_each([french_pkg, english_pkg], Path(tmp), skips)) < 2:
                raise AssetError(f"cannot build {asset} without both {french_pkg} and {english_pkg}")
            archives = {"fr": sorted(Path(tmp).rglob("langpack-fr@*.xpi")),
                        "en-US": sorted(p for p in Path(tmp).rglob("omni.ja") if not p.is_symlink())}
            files = {lang: sum(mozilla.extract_locale(a, lang, out / lang, skips) for a in found)
                     for lang, found in archives.items()}
        if not files["fr"] or not files["en-US"]:
            raise AssetError(f"{asset}: no localised strings found (French {files['fr']}, English {files['en-US']})")
        log.info("  %d French and %d English string files", files["fr"], files["en-US"])
        write_json(out / "info.json", {"source": f"Debian {french_pkg} + {english_pkg}", "files": files,
                                       "skipped": skips.files})

    return build


def _copy_html(src: Path, dest: Path, suffix: str = ".html", rename: str = "") -> int:
    dest.mkdir(parents=True, exist_ok=True)
    pages = sorted(src.glob(f"*{suffix}"))
    for page in pages:
        shutil.copy2(page, dest / (page.name.replace(suffix, rename) if rename else page.name))
    return len(pages)


def build_gimp_help(out: Path) -> None:
    skips = sources.SkipLog()
    with tempfile.TemporaryDirectory(prefix="wb-gimp-help-") as tmp:
        if len(sources.apt_each(["gimp-help-fr", "gimp-help-en"], Path(tmp), skips)) < 2:
            raise AssetError("cannot build gimp-help without both gimp-help-fr and gimp-help-en")
        root = Path(tmp, "usr/share/gimp/2.0/help")
        pages = {lang: _copy_html(root / lang, out / lang) for lang in ("fr", "en")}
    if not pages["fr"] or not pages["en"]:
        raise AssetError(f"gimp-help: no HTML pages found ({pages})")
    log.info("  %d French and %d English GIMP help pages", pages["fr"], pages["en"])
    write_json(out / "info.json", {"source": "Debian gimp-help-fr + gimp-help-en", "pages": pages})


def build_debian_reference(out: Path) -> None:
    skips = sources.SkipLog()
    with tempfile.TemporaryDirectory(prefix="wb-debref-") as tmp:
        if len(sources.apt_each(["debian-reference-fr", "debian-reference-en"], Path(tmp), skips)) < 2:
            raise AssetError("cannot build debian-reference without both debian-reference-fr and -en")
        root = Path(tmp, "usr/share/debian-reference")
        pages = {lang: _copy_html(root, out / lang, f".{lang}.html", ".html") for lang in ("fr", "en")}
    if not pages["fr"] or not pages["en"]:
        raise AssetError(f"debian-reference: no HTML pages found ({pages})")
    log.info("  %d French and %d English Debian Reference pages", pages["fr"], pages["en"])
    write_json(out / "info.json", {"source": "Debian debian-reference-fr + debian-reference-en", "pages": pages})


def build_gettext_apps(out: Path) -> None:
    skips = sources.SkipLog()
    with tempfile.TemporaryDirectory(prefix="wb-gettext-") as tmp:
        packages = sources.apt_each(list(GETTEXT_PACKAGES), Path(tmp), skips)
        for mo in sorted(Path(tmp).rglob("locale/fr/LC_MESSAGES/*.mo")):  # one domain name per catalog
            shutil.copy2(mo, out / mo.name)
    found = sorted(out.glob("*.mo"))
    if not found:
        raise AssetError("gettext-apps: none of the packages gave a French .mo catalog")
    log.info("  %d French catalogs from %d packages", len(found), len(packages))
    write_json(out / "info.json", {"source": "Debian " + ", ".join(GETTEXT_PACKAGES), "packages": packages,
                                   "catalogs": [f.name for f in found], "skipped": skips.files})


def build_manpages(out: Path) -> None:
    skips = sources.SkipLog()
    try:
        manpages.groff()
    except DataError as exc:
        raise AssetError(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="wb-man-") as tmp:
        if len(sources.apt_each(["manpages-fr", "manpages"], Path(tmp), skips)) < 2:
            raise AssetError("cannot build manpages without both manpages-fr and manpages")
        roots = {"fr": Path(tmp, "usr/share/man/fr"), "en": Path(tmp, "usr/share/man")}
        pages = manpages.shared_pages(roots["fr"], roots["en"])
        for lang, root in roots.items():
            for page in pages:
                (out / lang / page).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / page, out / lang / page)
    log.info("  rendering %d shared man pages with groff", len(pages))
    n_pairs = 0
    with open(out / manpages.PAIRS, "w", encoding="utf-8") as tsv:  # groff's paragraphs are single-line
        for fr, en in manpages.pair_manpages(out / "fr", out / "en", on_skip=skips):
            tsv.write(f"{' '.join(en.split())}\t{' '.join(fr.split())}\n")
            n_pairs += 1
    if not n_pairs:
        raise AssetError("manpages: no paragraph pairs")
    log.info("  %d paragraph pairs (before deduplication)", n_pairs)
    write_json(out / "info.json", {"source": "Debian manpages-fr + manpages", "pages": len(pages), "pairs": n_pairs,
                                   "skipped": skips.files})


def build_freedict(out: Path) -> None:
    skips = sources.SkipLog()
    with tempfile.TemporaryDirectory(prefix="wb-freedict-") as tmp:
        if not sources.apt_each(["dict-freedict-fra-eng", "dict-freedict-eng-fra"], Path(tmp), skips):
            raise AssetError("cannot get dict-freedict-fra-eng or dict-freedict-eng-fra")
        files = sorted(Path(tmp).rglob("usr/share/dictd/freedict-*"))
        for file in files:
            shutil.copy2(file, out / file.name)
    if not list(out.glob("*.index")):
        raise AssetError("freedict: no dictd .index files in the packages")
    write_json(out / "info.json", {"source": "Debian dict-freedict-fra-eng + dict-freedict-eng-fra",
                                   "files": [f.name for f in files], "skipped": skips.files})


for _name in MOZILLA:
    register(Asset(_name, f"{_name.title()} UI strings, French langpack + English omni.ja (Debian, ~80 MB download)",
                   _mozilla_builder(_name)))
register(Asset("gimp-help", "GIMP help pages, fr + en HTML (Debian gimp-help-fr/-en, ~100 MB download)",
               build_gimp_help))
register(Asset("debian-reference", "Debian Reference, fr + en HTML (Debian, 4 MB)", build_debian_reference))
register(Asset("gettext-apps", "French .mo catalogs of 9 applications (GIMP, Inkscape, VLC, ...; Debian, ~50 MB)",
               build_gettext_apps))
register(Asset("manpages", "Linux man pages, fr + en, paragraphs paired with groff (Debian, 3 MB)", build_manpages))
register(Asset("freedict", "FreeDict French<->English dictionaries, dictd (Debian, 0.4 MB)", build_freedict))
