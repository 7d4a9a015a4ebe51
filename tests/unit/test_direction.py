"""data.direction (text/direction.py) and train-only extra sources with the <bt> tag (text/extra_sources.py)."""

import json

import pytest
import yaml

from wordbridge.config import load_sections
from wordbridge.errors import ConfigError, DataError
from wordbridge.text import direction
from wordbridge.text.config import PrepareConfig
from wordbridge.text.extra_sources import BT_TAG, SYNTHETIC_EN, SYNTHETIC_FR, ExtraSource
from wordbridge.text.pipeline import prepare
from wordbridge.text.prepared import PreparedData

FR = ["le chat est noir", "le chien est blanc", "la maison est grande", "je mange une pomme", "elle lit un livre"]
EN = ["the cat is black", "the dog is white", "the house is big", "i eat an apple", "she reads a book"]


def _corpus(tmp_path, n=120):
    fr = [f"{FR[i % 5]} {i}" for i in range(n)]
    en = [f"{EN[i % 5]} {i}" for i in range(n)]
    (tmp_path / "x.fr").write_text("\n".join(fr) + "\n", encoding="utf-8")
    (tmp_path / "x.en").write_text("\n".join(en) + "\n", encoding="utf-8")
    return fr, en


def _cfg(tmp_path, **kw):
    return PrepareConfig(**{**dict(src=str(tmp_path / "x.fr"), tgt=str(tmp_path / "x.en"), processes=1,
                                   src_vectors="fr", tgt_vectors=None, filters=("dedup",)), **kw})


def _synthetic(folder, fr, en):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SYNTHETIC_FR).write_text("".join(s + "\n" for s in fr), encoding="utf-8")
    (folder / SYNTHETIC_EN).write_text("".join(s + "\n" for s in en), encoding="utf-8")
    return folder


def test_en_fr_swaps_sides_languages_and_vectors_and_keeps_the_split(tmp_path):
    _corpus(tmp_path)
    prepare(_cfg(tmp_path, tgt_vectors=None), tmp_path / "fwd")
    stats = prepare(_cfg(tmp_path, direction="en-fr"), tmp_path / "rev")
    fwd, rev = PreparedData.load(tmp_path / "fwd"), PreparedData.load(tmp_path / "rev")
    for split in ("train", "valid", "test"):
        assert rev.raw(split) == fwd.raw(split)[::-1]  # same pairs held out, sides swapped
    assert json.loads((tmp_path / "rev" / "tokenizer.json").read_text())["src_lang"] == "en"
    assert direction.folder_direction(tmp_path / "rev") == "en-fr"
    assert direction.folder_direction(tmp_path / "fwd") == "fr-en"
    assert stats["direction"] == "en-fr"
    assert stats["vectors"]["tgt"]["source"] == "fr" and stats["vectors"]["src"]["source"] is None  # swapped
    saved = yaml.safe_load((tmp_path / "rev" / "config.yaml").read_text())["data"]
    assert saved["direction"] == "en-fr" and saved["src_lang"] == "fr"  # the user's keys, as given
    assert "cat" in rev.src_vocab and "chat" in rev.tgt_vocab


def test_direction_is_checked(tmp_path):
    with pytest.raises(ConfigError, match="data.direction"):
        load_sections(None, {"data": PrepareConfig}, overrides=["data.direction=de-en"])
    _corpus(tmp_path)
    prepare(_cfg(tmp_path), tmp_path / "fwd")
    with pytest.raises(DataError, match="translates fr-en, but backtranslate needs a en-fr model"):
        direction.require(tmp_path / "fwd", "en-fr", "backtranslate")


def test_tagged_extra_source_goes_to_train_only(tmp_path):
    fr, en = _corpus(tmp_path)
    base = prepare(_cfg(tmp_path), tmp_path / "real")
    held = PreparedData.load(tmp_path / "real").raw("test")[1][0]  # a test English sentence
    syn = _synthetic(tmp_path / "bt", ["un chat synthétique", "une phrase fausse", "encore une", "fuite"],
                     ["a synthetic cat", "a fake sentence", "one more", held.upper()])
    cfg = _cfg(tmp_path, extra_sources=(ExtraSource(str(syn), "backtranslated", True),))
    stats = prepare(cfg, tmp_path / "mix")
    data = PreparedData.load(tmp_path / "mix")
    assert stats["splits"]["valid"] == base["splits"]["valid"] and stats["splits"]["test"] == base["splits"]["test"]
    assert stats["splits"]["train"] == base["splits"]["train"] + 3  # the held-out English is removed
    assert stats["sources"]["backtranslated"]["removed"]["held_out"] == 1
    sources = data.sources("train")
    assert sources.count("backtranslated") == 3 and "backtranslated" not in data.sources("test") + data.sources("valid")
    src, _ = data.split("train")
    tag = data.src_vocab.lookup(BT_TAG)
    assert tag > 3  # a real vocabulary entry, not _unk_
    first = [int(src[i][0]) for i in range(len(src))]
    assert [f == tag for f in first] == [s == "backtranslated" for s in sources]
    assert BT_TAG not in PreparedData.load(tmp_path / "real").src_vocab


def test_untagged_extra_source_and_a_corpus_cut_short(tmp_path):
    _corpus(tmp_path)
    syn = _synthetic(tmp_path / "bt", ["un chat synthétique"], ["a synthetic cat"])
    prepare(_cfg(tmp_path, extra_sources=(ExtraSource(str(syn), "bt", False),)), tmp_path / "mix")
    assert BT_TAG not in PreparedData.load(tmp_path / "mix").src_vocab
    (syn / SYNTHETIC_FR).write_text("un\ndeux\n", encoding="utf-8")
    with pytest.raises(DataError, match="has 2 lines but .* has 1"):
        prepare(_cfg(tmp_path, extra_sources=(ExtraSource(str(syn)),)), tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    with pytest.raises(DataError, match="no finished back-translation"):
        prepare(_cfg(tmp_path, extra_sources=(ExtraSource(str(tmp_path / "nowhere")),)), tmp_path / "bad")


def test_extra_sources_from_yaml(tmp_path):
    cfg = load_sections(None, {"data": PrepareConfig},
                        overrides=["data.extra_sources=[{path: runs/bt, tag: false}]"])["data"]
    assert cfg.extra_sources == (ExtraSource("runs/bt", "backtranslated", False),)
