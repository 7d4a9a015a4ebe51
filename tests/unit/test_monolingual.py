"""English monolingual readers (text/monolingual.py) on tiny files the tests write."""

import pytest

from wordbridge.errors import DataError
from wordbridge.text import monolingual as mono

WORDNET_HEAD = "  1 This software and database is being provided to you, the LICENSEE, by\n"
NOUN = ('00001740 03 n 01 egg 0 000 | animal reproductive body; "most people like eggs"; "an egg"\n'
        '00002000 03 n 01 glass 0 000 | a brittle solid; "The glass cracked when it was heated"; '
        '"most  people like eggs!"\n')
VERB = '00003000 29 v 01 compensate 0 000 | make payment; "she was compensated for the loss of her arm"\n'


def _wordnet(tmp_path):
    (tmp_path / "data.noun").write_text(WORDNET_HEAD + NOUN, encoding="utf-8")
    (tmp_path / "data.verb").write_text(VERB, encoding="utf-8")
    for pos in ("adj", "adv"):
        (tmp_path / f"data.{pos}").write_text(WORDNET_HEAD, encoding="utf-8")
    return tmp_path


def test_wordnet_examples_are_the_quoted_ones_of_four_words_or_more(tmp_path):
    examples = list(mono.wordnet_examples(_wordnet(tmp_path)))
    assert examples == ["most people like eggs", "The glass cracked when it was heated", "most people like eggs!",
                        "she was compensated for the loss of her arm"]
    with pytest.raises(DataError, match="data.noun"):
        list(mono.wordnet_examples(tmp_path / "nowhere"))


def test_fortunes_keep_prose_sentences(tmp_path):
    (tmp_path / "wisdom").write_text(
        "A dream will always triumph over reality. It is given the chance to win.\n\t\t-- Stanislaw Lem\n%\n"
        "A man said to the Universe:\n\t\"Sir, I exist!\"\n%\n"
        "Too short.\n%\n"
        "The glass cracked when it was heated.\n%\n", encoding="utf-8")
    (tmp_path / "wisdom.dat").write_bytes(b"\x00\x02binary index")
    (tmp_path / "ascii-art").write_text("A picture of a cat drawn with letters.\n%\n", encoding="utf-8")
    assert list(mono.fortune_sentences(tmp_path)) == [
        "A dream will always triumph over reality.", "It is given the chance to win.",
        "The glass cracked when it was heated."]


def test_dedup_excludes_held_out_and_repeats():
    held = {mono.normalise("The glass cracked when it was heated.")}
    seen: set[str] = set()
    kept, counts = mono.dedup_excluding(["most people like eggs", "Most people like eggs!",
                                         "the glass  cracked when it was heated"], held, seen)
    assert kept == ["most people like eggs"]
    assert counts == {"read": 3, "duplicates": 1, "held_out": 1, "kept": 1}
    more, _ = mono.dedup_excluding(["MOST people, like eggs.", "a new one here"], held, seen)
    assert more == ["a new one here"]  # seen carries over from one part to the next


def test_read_sentences_refuses_bad_files(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text("  the cat   sat .\n\n\tit slept .\n", encoding="utf-8")
    assert mono.read_sentences(good) == ["the cat sat .", "it slept ."]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine line\ncaf\xe9\n")
    with pytest.raises(DataError, match="not UTF-8 text \\(line 2"):
        mono.read_sentences(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n", encoding="utf-8")
    with pytest.raises(DataError, match="holds no sentence"):
        mono.read_sentences(empty)
    with pytest.raises(DataError, match="does not exist"):
        mono.read_sentences(tmp_path / "none.txt")


def test_count_lines(tmp_path):
    for text, n in (("", 0), ("a\n", 1), ("a\nb", 2), ("a\n\n", 2)):
        (tmp_path / "f").write_text(text, encoding="utf-8")
        assert mono.count_lines(tmp_path / "f") == n
