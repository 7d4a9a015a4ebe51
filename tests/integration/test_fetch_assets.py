"""Real fetched assets (CI fetches bible, wordnet, fr-vectors first): read a little of each; fetching again is free."""

import itertools
import json

import numpy as np
import pytest

from wordbridge import asset_paths, cli
from wordbridge.text import corpora, wordnet
from wordbridge.text.named_corpora import open_corpus

pytestmark = pytest.mark.assets


def need(name):
    if not asset_paths.is_cached(name):
        pytest.skip(f"asset {name} not fetched (run `wordbridge fetch {name}`)")
    return asset_paths.path(name)


def test_real_bible_gives_verse_pairs():
    db = asset_paths.path("bible") / "bible.db"
    assert {"4", "l", "k", "3", "o", "5"} <= set(corpora.bible_versions(db))
    first = list(itertools.islice(open_corpus("bible"), 3))
    assert first[0] == ("Au commencement, Dieu créa les cieux et la terre.",
                        "In the beginning God created the heavens and the earth.")
    assert all("`" not in en for _, en in first)
    kjv_ostervald = next(open_corpus("bible", english="k", french="o"))
    assert kjv_ostervald[1] == "In the beginning God created the heaven and the earth."


def test_real_wordnet_resolves_imagenet_ids():
    synsets = wordnet.load_synsets()
    assert len(synsets) == 82115
    assert synsets["n01440764"].lemmas[0] == "tench"
    assert synsets["n02123045"].lemmas[0] == "tabby"
    assert "cat" in synsets["n02121808"].gloss or "Felis" in synsets["n02121808"].gloss


def test_real_fetch_is_idempotent(capsys):
    assert cli.main(["fetch", "bible", "wordnet"]) == 0
    out = capsys.readouterr().out
    assert out.count("cached") == 2 and "fetched" not in out


def test_real_libreoffice_corpora_when_fetched():
    need("libreoffice-help")
    need("libreoffice-ui")
    help_pairs = list(itertools.islice(open_corpus("libreoffice-help"), 200))
    ui_pairs = list(itertools.islice(open_corpus("libreoffice-ui"), 200))
    assert len(help_pairs) == len(ui_pairs) == 200
    assert all(fr != en for fr, en in help_pairs)
    assert not any("~" in en for _, en in ui_pairs)


def test_real_en_vectors_when_fetched():
    folder = need("en-vectors")
    words = (folder / "words.txt").read_text(encoding="utf-8").split("\n")[:-1]
    vectors = np.load(folder / "vectors.npy", mmap_mode="r")
    assert vectors.shape == (len(words), 300) and vectors.dtype == np.float32
    assert "the" in words[:5]  # most frequent first
    info = json.loads((folder / "info.json").read_text())
    assert info["imagenet_coverage"]["all_words_known"] >= 900


def test_glove_rows_past_the_dictionary_pages_are_right():
    need("glove-6b-50d")
    from wordbridge.text.vectors import load_vectors

    wv = load_vectors("glove")
    assert len(wv) == 400_000 and wv.dim == 50
    assert wv.words[:4] == ["the", ",", ".", "of"]
    assert wv.words[95_000] == "cinematographic"  # past the point where the parquet switches to plain pages
    assert "dog" in [w for w, _ in wv.nearest("cat", 3)] and "cappuccino" in [w for w, _ in wv.nearest("espresso", 3)]
