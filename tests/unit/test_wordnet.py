"""WordNet data-file reader on a tiny data.noun the test writes."""

import pytest

from wordbridge.errors import AssetError, DataError
from wordbridge.text import wordnet

DATA_NOUN = """  1 This software and database is being provided to you, the LICENSEE, by
  2 Princeton University under the following license.
01440764 05 n 02 tench 0 Tinca_tinca 0 002 @ 01439121 n 0000 #m 01440655 n 0000 | freshwater dace-like game fish of Europe and western Asia noted for ability to survive outside water  
02121808 05 n 04 domestic_cat 0 house_cat 0 Felis_domesticus 0 Felis_catus 0 002 @ 02121620 n 0000 @i 01317541 n 0000 | any domesticated member of the genus Felis; "the cat sat"  
"""


@pytest.fixture
def dict_dir(tmp_path):
    (tmp_path / "data.noun").write_text(DATA_NOUN, encoding="utf-8")
    (tmp_path / "data.adj").write_text("00020103 00 s 02 outback(a) 0 remote 0 000 | inaccessible  \n")
    return tmp_path


def test_iter_synsets_reads_offsets_lemmas_glosses(dict_dir):
    synsets = list(wordnet.iter_synsets(dict_dir))
    assert [s.offset for s in synsets] == [1440764, 2121808]
    offset, lemmas, gloss = synsets[1]
    assert lemmas == ["domestic cat", "house cat", "Felis domesticus", "Felis catus"]
    assert gloss == 'any domesticated member of the genus Felis; "the cat sat"'
    assert wordnet.synset_id(offset) == "n02121808"


def test_load_synsets_and_hypernyms_use_wnids(dict_dir):
    synsets = wordnet.load_synsets(dict_dir)
    assert synsets["n01440764"].lemmas == ["tench", "Tinca tinca"]
    assert wordnet.hypernyms(dict_dir) == {"n01440764": ["n01439121"], "n02121808": ["n02121620", "n01317541"]}
    assert [s.lemmas for s in wordnet.iter_synsets(dict_dir, "adj")] == [["outback", "remote"]]
    assert list(wordnet.load_synsets(dict_dir, "adj")) == ["a00020103"]


def test_bad_input(dict_dir, tmp_path, monkeypatch):
    with pytest.raises(DataError, match="Invalid WordNet part of speech 'nouns'. Valid: adj, adv, noun, verb."):
        list(wordnet.iter_synsets(dict_dir, "nouns"))
    with pytest.raises(DataError, match="WordNet data file not found: .*data.verb"):
        list(wordnet.iter_synsets(dict_dir, "verb"))
    (dict_dir / "data.adv").write_text("00001740 03 r zz broken | gloss\n")
    with pytest.raises(DataError, match=r"data.adv:1: not a WordNet data line"):
        list(wordnet.iter_synsets(dict_dir, "adv"))
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path / "home"))
    with pytest.raises(AssetError, match="wordbridge fetch wordnet"):
        list(wordnet.iter_synsets())
