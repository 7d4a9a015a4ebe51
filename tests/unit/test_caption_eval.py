"""Captions -> images on tiny data: English captions search the gallery directly, French ones go through a
translator first; each gallery item's caption comes from its gallery's own files."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from wordbridge.devise.evaluation.captions import caption_hits, caption_markdown, search_captions
from wordbridge.devise.index.captions import caption_of
from wordbridge.devise.labels.word_vectors import VectorLookup
from wordbridge.devise.search import query_words

WORDS = ["frog", "cat", "boat", "red", "void"]
VECS = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.7, 0.7, 0], [-1.7, -1.7, -1]], np.float32)  # mean 0


def test_english_and_translated_french_captions():
    lookup = VectorLookup(SimpleNamespace(words=WORDS, vectors=VECS))
    gallery = np.array([[0, 0.9, 0.1], [0.95, 0.05, 0], [0.1, 0, 0.99], [0.6, 0.8, 0]], np.float32)
    gallery /= np.linalg.norm(gallery, axis=1, keepdims=True)
    truth = np.array([1, 0, 2])  # gallery rows of the captioned images: a frog, a cat, a boat
    english = ["A frog.", "the cat", "boat"]
    french = ["Une grenouille.", "le chat", "bateau"]
    translations = {"Une grenouille.": "a frog", "le chat": "the dog", "bateau": "boat"}  # one word is lost

    rows = search_captions(lookup, gallery, truth, english, french, lambda xs: [translations[x] for x in xs], (1, 2))
    assert rows[0] == {"query": "English caption", "queries": 3, "no vector": 0, "hit@1": 1.0, "hit@2": 1.0}
    fr = rows[1]
    assert fr["query"] == "French caption -> translation" and fr["no vector"] == 1  # "dog" has no vector: a miss
    assert fr["hit@1"] == pytest.approx(2 / 3) and fr["hit@2"] == pytest.approx(2 / 3)
    assert fr["examples"][1] == ("le chat", "the dog")
    table = caption_markdown([dict(r, gallery=4) for r in rows], (1, 2))
    assert "| English caption | 3 | 0 | 100.0% | 100.0% |" in table and "| 3 | 1 | 66.7% | 66.7% |" in table
    assert search_captions(lookup, gallery, truth, english, french, None, (1,))[0]["hit@1"] == 1.0  # no translator


def test_e5_space_adds_the_direct_french_row(fakes, monkeypatch, tmp_path):
    from wordbridge.devise.labels.e5 import load_e5_space
    from wordbridge.devise.evaluation.captions import DIRECT

    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path))
    stub = fakes.StubEncoder()
    lookup, _ = load_e5_space(stub, [("n1", ["cat"])], [("n1", "cat"), ("n2", "boat"), ("n3", "fish")])
    gallery = lookup.centred(stub.embed(["a photo of a cat", "a photo of a boat", "a photo of a fish"]))
    truth = np.array([0, 1, 2])
    rows = search_captions(lookup, gallery, truth, ["a cat", "a boat", "a fish"], ["un chat", "un bateau", ""],
                           None, (1,))
    assert [r["query"] for r in rows] == ["English caption", DIRECT]
    assert rows[0]["hit@1"] == 1.0
    assert rows[1]["no vector"] == 1 and rows[1]["hit@1"] == pytest.approx(2 / 3)  # the empty caption is a miss
    calls = stub.calls
    search_captions(lookup, gallery, truth, ["a cat"], ["un chat"], None, (1,))
    assert stub.calls == calls  # captions are embedded once (cached)


def test_rank_counts_images_scoring_strictly_higher():
    gallery = np.eye(3, dtype=np.float32)
    hits = caption_hits([np.array([0.6, 0.8, 0], np.float32), None], gallery, np.array([0, 2]), (1, 2))
    assert hits == {"queries": 2, "no vector": 1, "hit@1": 0.0, "hit@2": 0.5}


def test_stop_words_leave_queries_with_other_words():
    assert query_words("A frog.") == ["frog"] and query_words("the") == ["the"] and query_words(" , ") == []


def test_caption_of_reads_each_gallery_kind(tmp_path):
    stamps = tmp_path / "gallery" / "stamps" / "animals"
    stamps.mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(stamps / "frog.png")
    (stamps / "frog.txt").write_text("A green frog.\nfr.utf8=Une grenouille verte.\n", encoding="utf-8")
    emoji = tmp_path / "gallery" / "emoji"
    (emoji / "img" / "64").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(emoji / "img" / "64" / "1f600.png")
    (emoji / "emoji.json").write_text(json.dumps([{"name": "GRINNING FACE", "image": "1f600.png"}]))
    photos = tmp_path / "gallery" / "photos"
    (photos / "mate").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(photos / "mate" / "LadyBird.jpg")
    Image.new("RGB", (4, 4)).save(photos / "mate" / "nameless.jpg")
    (photos / "captions.json").write_text(json.dumps({"mate/LadyBird.jpg": "lady bird"}))
    root = tmp_path / "gallery"
    assert caption_of(stamps / "frog.png", root) == "green frog"
    assert caption_of(emoji / "img" / "64" / "1f600.png", root) == "grinning face"
    assert caption_of(photos / "mate" / "LadyBird.jpg", root) == "lady bird"
    assert caption_of(photos / "mate" / "nameless.jpg", root) is None  # no caption: the card shows the file name
