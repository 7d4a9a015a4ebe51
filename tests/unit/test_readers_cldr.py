"""CLDR names: emoji annotations JSON (text/readers/cldr_json.py) on tiny files, and babel's names (cldr_babel.py)."""

import json

import pytest

from wordbridge.errors import DataError
from wordbridge.text.readers import cldr_babel, cldr_json


class Skips(list):
    def __call__(self, path, why):
        self.append((path.parent.name + "/" + path.name, why))


def write_annotations(root, lang: str, names: dict[str, str], version: str | None = None, top="annotations"):
    identity = {"language": lang} | ({"version": {"_cldrVersion": version}} if version else {})
    table = {emoji: {"default": [name, "keyword"], "tts": [name]} for emoji, name in names.items()}
    (root / lang).mkdir(parents=True, exist_ok=True)
    (root / lang / "annotations.json").write_text(json.dumps({top: {"identity": identity, "annotations": table}}),
                                                   encoding="utf-8")


def test_emoji_names_pair_tts_names_and_drop_skin_tones(tmp_path):
    (tmp_path / "cldr-annotations-full").mkdir()
    (tmp_path / "cldr-annotations-full" / "package.json").write_text('{"version": "48.2.0"}')
    root = tmp_path / "cldr-annotations-full" / "annotations"
    write_annotations(root, "fr", {"🍎": "pomme rouge", "👋🏻": "main qui salue : peau claire", "🐈": "chat", "x": "x"})
    write_annotations(root, "en", {"🍎": "red apple", "👋🏻": "waving hand: light skin tone", "🐈": "cat", "x": "x"})
    assert sorted(cldr_json.read_emoji_names(tmp_path)) == [("chat", "cat"), ("pomme rouge", "red apple")]


def test_emoji_names_of_another_cldr_version_or_broken_are_skipped(tmp_path):
    old = tmp_path / "old" / "annotations"
    write_annotations(old, "fr", {"🍎": "pomme rouge"}, version="36")
    write_annotations(old, "en", {"🍎": "red apple"}, version="36")
    good = tmp_path / "new" / "annotationsDerived"
    write_annotations(good, "fr", {"🐈": "chat"}, version="48.1", top="annotationsDerived")
    write_annotations(good, "en", {"🐈": "cat"}, version="48.1", top="annotationsDerived")
    (tmp_path / "broken" / "fr").mkdir(parents=True)
    (tmp_path / "broken" / "fr" / "annotations.json").write_text("{not json")
    (tmp_path / "broken" / "en").mkdir()
    (tmp_path / "broken" / "en" / "annotations.json").write_text("{}")
    skips = Skips()
    assert list(cldr_json.read_emoji_names(tmp_path, on_skip=skips)) == [("chat", "cat")]
    assert [name for name, _ in skips] == ["fr/annotations.json", "en/annotations.json"] * 2  # broken/, then old/
    assert "not a CLDR annotations file" in skips[0][1] and "CLDR version 36, expected 48" in skips[2][1]


def test_cldr_names_from_babel():
    pairs = set(cldr_babel.read_cldr_names())
    assert {("Allemagne", "Germany"), ("janvier", "January"), ("mercredi", "Wednesday")} <= pairs
    assert ("3 kilomètres", "3 kilometers") in pairs and not any("{0}" in fr for fr, _ in pairs)
    assert all(fr != en for fr, en in pairs)


def test_cldr_names_unknown_locale_is_a_data_error():
    with pytest.raises(DataError, match="babel has no CLDR locale"):
        list(cldr_babel.read_cldr_names(french="xx_NOPE"))
