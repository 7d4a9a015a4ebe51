"""The everyday/game-help fetch steps (assets/everyday.py, assets/ddtp.py) with fake apt/npm/apt-helper, and the
named corpora they feed (text/everyday_corpora.py, text/named_corpora.py)."""

import bz2
import json
import logging
import lzma
from pathlib import Path

import polib
import pytest

from wordbridge import assets
from wordbridge.assets import everyday, sources
from wordbridge.errors import AssetError
from wordbridge.text import everyday_corpora, named_corpora
from wordbridge.text.named_corpora import open_corpus

OLD_TEN = ("bible", "libreoffice-help", "libreoffice-ui", "firefox", "thunderbird", "gimp-help", "debian-reference",
           "gettext-apps", "manpages", "freedict")
EVERYDAY = {"wesnoth", "fillets", "freedink", "gcompris", "gcompris-words", "emoji-names", "cldr-names"}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path / "home"))
    return tmp_path / "home" / "assets"


def mo_bytes(tmp_path: Path, pairs: list[tuple[str, str]]) -> bytes:
    catalog = polib.POFile()
    for en, fr in pairs:
        catalog.append(polib.POEntry(msgid=en, msgstr=fr))
    catalog.save_as_mofile(str(tmp_path / "x.mo"))
    return (tmp_path / "x.mo").read_bytes()


def fake_apt(monkeypatch, packages: dict[str, dict[str, bytes]]):
    """apt_download_extract that unpacks the given file trees; a package not in `packages` cannot be had."""
    def download_extract(names, dest):
        missing = [n for n in names if n not in packages]
        if missing:
            raise AssetError(f"apt-get failed while fetching {', '.join(names)}: E: Unable to locate package {missing[0]}")
        for name in names:
            for rel, data in packages[name].items():
                (Path(dest) / rel).parent.mkdir(parents=True, exist_ok=True)
                (Path(dest) / rel).write_bytes(data)
        return Path(dest)

    monkeypatch.setattr(sources, "apt_download_extract", download_extract)


def test_default_lists_the_old_ten_then_the_new_sources_with_groups():
    assert named_corpora.DEFAULT_SOURCES[:10] == OLD_TEN
    assert set(named_corpora.DEFAULT_SOURCES[10:]) == {s.name for s in everyday_corpora.SOURCES}
    assert "ddtp" in named_corpora.CORPORA and "ddtp" not in named_corpora.DEFAULT_SOURCES
    assert "tuxpaint" not in " ".join(named_corpora.CORPORA)  # a test set, never training text
    groups = {name: named_corpora.CORPORA[name].group for name in named_corpora.DEFAULT_SOURCES + ("ddtp",)}
    assert {n for n, g in groups.items() if g == "everyday"} == EVERYDAY
    assert {n for n, g in groups.items() if g != "everyday"} == set(groups) - EVERYDAY
    assert all(g == "technical" for n, g in groups.items() if n not in EVERYDAY)
    assert all(s.asset in assets.REGISTRY for s in everyday_corpora.SOURCES)


def test_wesnoth_step_goes_on_without_a_package_apt_cannot_get(home, tmp_path, monkeypatch, caplog):
    mo = "usr/share/games/wesnoth/1.16/locale/fr/LC_MESSAGES/wesnoth-{}.mo"
    fake_apt(monkeypatch, {
        "wesnoth-1.16-did": {mo.format("did"): mo_bytes(tmp_path, [("Run! The dead are here.", "Fuyez ! Les morts sont là.")])},
        "wesnoth-1.16-dm": {mo.format("dm"): mo_bytes(tmp_path, [("female^Mage", "Magicienne")])},
    })
    monkeypatch.setitem(everyday.DEBIAN, "wesnoth", (["wesnoth-1.16-did", "wesnoth-1.16-dm", "wesnoth-1.16-gone"],
                                                     *everyday.DEBIAN["wesnoth"][1:]))
    monkeypatch.setitem(assets.REGISTRY, "wesnoth", assets.Asset("wesnoth", "test", everyday._debian_builder("wesnoth")))
    with caplog.at_level(logging.WARNING):
        assert assets.fetch(["wesnoth"]) == {"wesnoth": "fetched"}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "wesnoth-1.16-gone" in warnings[0] and "\n" not in warnings[0]
    info = json.loads((home / "wesnoth" / "info.json").read_text())
    assert info["pairs"] == 3 and info["missing_packages"] == ["wesnoth-1.16-gone"]
    assert sorted(open_corpus("wesnoth")) == [("Fuyez !", "Run!"), ("Les morts sont là.", "The dead are here."),
                                              ("Magicienne", "Mage")]


def test_a_step_whose_package_is_gone_or_empty_fails_in_one_line_and_others_go_on(home, tmp_path, monkeypatch):
    fake_apt(monkeypatch, {"pingus-data": {"usr/share/games/pingus/data/po/fr.po": b"garbage"},
                           "freedink-data": {"usr/share/games/dink/dink/l10n/fr.po": mo_bytes(tmp_path, [])}})
    (tmp_path / "ok.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                                    'msgid "Exit"\nmsgstr "Sortie"\n', encoding="utf-8")
    status = assets.fetch(["pingus", "frozen-bubble", "openttd"])
    assert status["pingus"].startswith("failed: pingus: no sentence pairs")
    assert status["frozen-bubble"].startswith("failed: frozen-bubble: apt could get none of frozen-bubble-data")
    assert not (home / "pingus").exists() and not (home / "frozen-bubble").exists()
    fake_apt(monkeypatch, {"pingus-data": {"usr/share/games/pingus/data/po/fr.po": (tmp_path / "ok.po").read_bytes()}})
    assert assets.fetch(["pingus"]) == {"pingus": "fetched"} and list(open_corpus("pingus")) == [("Sortie", "Exit")]


def test_emoji_names_step_keeps_fr_and_en_of_each_npm_package(home, monkeypatch):
    def npm(spec, dest):
        if "derived" in spec:
            raise AssetError(f"npm failed while fetching {spec}: 404")
        for lang, name in (("fr", "chat"), ("en", "cat"), ("de", "Katze")):
            (dest / "annotations" / lang).mkdir(parents=True)
            doc = {"annotations": {"identity": {"language": lang}, "annotations": {"🐈": {"tts": [name]}}}}
            (dest / "annotations" / lang / "annotations.json").write_text(json.dumps(doc), encoding="utf-8")
        (dest / "package.json").write_text('{"version": "48.2.0"}')

    monkeypatch.setattr(sources, "npm_pack_extract", npm)
    assert assets.fetch(["emoji-names"]) == {"emoji-names": "fetched"}
    assert not list((home / "emoji-names").rglob("de"))
    assert list(open_corpus("emoji-names")) == [("chat", "cat")]
    assert json.loads((home / "emoji-names" / "info.json").read_text())["skipped"][0].startswith("cldr-annotations-derived")


def test_cldr_names_step_records_babel_and_counts(home):
    assert assets.fetch(["cldr-names"]) == {"cldr-names": "fetched"}
    info = json.loads((home / "cldr-names" / "info.json").read_text())
    assert info["pairs"] > 1000 and info["cldr_version"]
    assert ("janvier", "January") in set(open_corpus("cldr-names"))


def test_ddtp_step_downloads_both_translation_files_from_apts_mirror(home, monkeypatch):
    calls = []

    def run_tool(cmd, what, cwd=None, timeout=0):
        calls.append(cmd)
        if cmd[1] == "indextargets":
            return "http://mirror.test/debian/ bookworm-updates main\nhttp://mirror.test/debian/ bookworm main\n"
        url, target = cmd[2], Path(cmd[3])
        if not url.endswith((".xz", ".bz2")) or url.endswith("Translation-fr.xz"):
            raise AssetError(f"apt-helper failed while fetching {url}: 404 Not Found")
        lang = "fr" if "Translation-fr" in url else "en"
        text = f"Package: p\nDescription-md5: aa\nDescription-{lang}: {'jeu de cartes' if lang == 'fr' else 'card game'}\n"
        opener = lzma.open if url.endswith(".xz") else bz2.open
        with opener(target, "wt", encoding="utf-8") as handle:
            handle.write(text)
        return ""

    monkeypatch.setattr(sources, "require_tool", lambda tool, what: tool)
    monkeypatch.setattr(sources, "run_tool", run_tool)
    assert assets.fetch(["ddtp"]) == {"ddtp": "fetched"}
    assert sorted(p.name for p in (home / "ddtp").glob("Translation-*")) == ["Translation-en.xz", "Translation-fr.bz2"]
    assert any(c[2] == "http://mirror.test/debian/dists/bookworm/main/i18n/Translation-fr.bz2" for c in calls[1:])
    assert list(open_corpus("ddtp")) == [("jeu de cartes", "card game")]


def test_without_apt_a_debian_step_fails_in_one_line(home, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PATH", str(tmp_path))  # no apt-get, no dpkg
    with caplog.at_level(logging.WARNING):
        status = assets.fetch(["wesnoth"])
    assert status["wesnoth"].startswith("failed: apt-get not found")
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1  # not one per campaign package
