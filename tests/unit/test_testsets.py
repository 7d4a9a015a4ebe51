"""Named test-only sets (text/testsets.py): the Tux Paint reader on tiny stamp files, `evaluate --testset`, and
Tux Paint kept out of every training corpus."""

import contextlib
import json

import pytest

from wordbridge import asset_paths
from wordbridge.cli import main
from wordbridge.errors import AssetError, ConfigError
from wordbridge.text import named_corpora
from wordbridge.text.testsets import TESTSETS, read_testset
from wordbridge.text.tuxpaint import parse_stamp_text, read_tuxpaint

STAMPS = {  # relative path -> .txt content, as tuxpaint-stamps-default ships them
    "animals/cat.txt": "A black cat.\nde.utf8=Eine schwarze Katze.\nfr.utf8=Un  chat noir.\n",
    "animals/cat_copy.txt": "A black cat.\nfr.utf8=Un chat noir.\n",  # the same pair twice: kept once
    "food/apple.txt": "A red apple.\nfr.utf8=Une pomme rouge.\n",
    "food/no_french.txt": "A pear.\nde.utf8=Eine Birne.\n",  # no French: left out
    "food/empty.txt": "",
}


def _stamps(root):
    for rel, text in STAMPS.items():
        (root / "stamps" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "stamps" / rel).write_text(text, encoding="utf-8")
    return root


def test_parse_stamp_text():
    assert parse_stamp_text(STAMPS["animals/cat.txt"]) == ("A black cat.", "Un  chat noir.")
    assert parse_stamp_text(STAMPS["food/no_french.txt"]) == ("A pear.", None)


def test_read_tuxpaint_gives_distinct_french_english_pairs(tmp_path):
    pairs = read_tuxpaint(_stamps(tmp_path))
    assert pairs == [("Un chat noir.", "A black cat."), ("Une pomme rouge.", "A red apple.")]


def test_unknown_or_missing_testset_is_one_line(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="Valid: tuxpaint"):
        read_testset("tatoeba")
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path / "home"))
    with pytest.raises(AssetError, match="wordbridge fetch tuxpaint-stamps"):
        read_testset("tuxpaint")


def test_no_training_corpus_reads_a_test_set(monkeypatch):
    asked = []

    def path(name):
        asked.append(name)
        raise AssetError(f"{name} is not fetched")

    monkeypatch.setattr(asset_paths, "path", path)
    for corpus in named_corpora.CORPORA.values():
        with contextlib.suppress(AssetError, ConfigError):
            next(iter(corpus.open()), None)
    assert asked and "tuxpaint-stamps" not in asked
    assert not set(TESTSETS) & set(named_corpora.CORPORA)


def test_evaluate_testset_tuxpaint(tmp_path, monkeypatch, capsys, tiny_run):
    home = tmp_path / "home"
    _stamps(home / "assets" / "tuxpaint-stamps")
    monkeypatch.setenv("WORDBRIDGE_HOME", str(home))
    run = tiny_run(tmp_path / "run", [("un chat noir .", "a black cat ."), ("une pomme rouge .", "a red apple .")],
                   tokenizer="spacy", model={"emb_size_src": 8, "emb_size_tgt": 8, "hidden": 8})
    assert main(["evaluate", str(run.folder), "--testset", "tuxpaint", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sentences"] == 2 and out["source"] == "test set tuxpaint"
    assert {"bleu", "chrf", "bleu_uncased", "chrf_uncased"} <= set(out) and out["bleu"] <= out["bleu_uncased"]
    assert main(["evaluate", str(run.folder), "--testset", "tuxpaint"]) == 0
    assert "uncased" in capsys.readouterr().out
    assert main(["evaluate", str(run.folder), "--testset", "tuxpaint", "--prepared", str(tmp_path)]) == 2
