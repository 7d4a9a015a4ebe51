"""Filters: the lesson's wh-question regexes (same pairs and groups as the lesson's code), length, ratio, dedup."""

import pickle
import re

import pytest

from wordbridge.errors import ConfigError
from wordbridge.text.corpora import read_pairs
from wordbridge.text.filters import (FILTERS, Dedup, LengthRatio, MaxLength, Questions, apply_filters, make_filters,
                                     report)

ENGLISH = [
    "What is light?",
    "Where is the station? It is near.",
    "what is lowercase?",                       # no capital Wh
    "Who are you. Really?",                     # a '.' before the '?'
    "Wh?",                                      # needs at least one char between Wh and ?
    "  Why so?",                                # leading spaces: ^ does not match
    "Which one is it ?",
    "The question: What time is it?",           # Wh not at the start
    "Whose bag is this?",
    "Why not?",
    "How are you?",
    "What did you say?",
]
FRENCH = [
    "Qu'est-ce que la lumière ?",
    "Où est la gare ? Elle est proche.",
    "Qu'est-ce qui est en minuscules ?",
    "Qui êtes-vous ?",
    "Quand ?",
    "Pourquoi ?",
    "Laquelle est-ce ?",
    "La question : quelle heure est-il ?",
    "À qui est ce sac. Le mien ?",              # French has a '.' before the '?'
    "Pourquoi pas",                             # no '?' in French
    "Comment allez-vous ?",
    "Qu'avez-vous dit ?\tavec une tabulation",
]


def lesson_questions(en_fname, fr_fname):
    """The lesson's code, verbatim apart from the file names."""
    re_eq = re.compile(r'^(Wh[^?.!]+\?)')
    re_fq = re.compile(r'^([^?.!]+\?)')
    lines = ((re_eq.search(eq), re_fq.search(fq))
             for eq, fq in zip(open(en_fname, encoding='utf-8'), open(fr_fname, encoding='utf-8')))
    return [(e.group(), f.group()) for e, f in lines if e and f]


def test_questions_keep_exactly_the_lessons_pairs_and_groups(tmp_path):
    en, fr = tmp_path / "giga.en", tmp_path / "giga.fr"
    en.write_text("\n".join(ENGLISH) + "\n", encoding="utf-8")
    fr.write_text("\n".join(FRENCH) + "\n", encoding="utf-8")
    expected = lesson_questions(en, fr)
    assert len(expected) == 4  # the fixture exercises both keeps and drops
    questions = Questions()
    ours = list(apply_filters(read_pairs(fr, en), [questions]))
    assert [(e, f) for f, e in ours] == expected
    assert ("Où est la gare ?", "Where is the station?") in ours  # the matched group, not the whole line
    assert questions.removed == len(ENGLISH) - len(expected)
    pickle.dumps(ours)  # plain tuples of str, like the lesson's qs


def test_max_length_and_ratio_count_removed():
    pairs = [("un deux trois", "one two three"), ("un", "one two three four"), ("a b c d e f", "x")]
    max_len, ratio = MaxLength(max_words=4), LengthRatio(max_ratio=3)
    kept = list(apply_filters(pairs, [max_len, ratio]))
    assert kept == [("un deux trois", "one two three")]
    assert (max_len.removed, ratio.removed) == (1, 1)
    assert (max_len.seen, ratio.seen) == (3, 2)


def test_dedup_keeps_first_and_counts():
    dedup = Dedup()
    pairs = [("a", "x"), ("b", "y"), ("a", "x"), ("a", "z"), ("b", "y")]
    assert list(dedup(pairs)) == [("a", "x"), ("b", "y"), ("a", "z")]
    assert dedup.removed == 2


def test_filters_are_streaming():
    def endless():
        i = 0
        while True:
            yield (f"f{i % 3}", f"e{i % 3}")
            i += 1

    stream = apply_filters(endless(), make_filters(["dedup"]))
    assert [next(stream) for _ in range(3)] == [("f0", "e0"), ("f1", "e1"), ("f2", "e2")]


def test_make_filters_by_name_with_params():
    filters = make_filters("questions, max_length,dedup", max_words=12, max_ratio=2.0)
    assert [f.name for f in filters] == ["questions", "max_length", "dedup"]
    assert filters[1].max_words == 12
    assert report(filters) == {"questions": 0, "max_length": 0, "dedup": 0}
    assert make_filters(None) == [] and make_filters("") == []
    assert set(FILTERS) == {"questions", "max_length", "length_ratio", "dedup", "similarity"}


@pytest.mark.parametrize("names, params, message", [
    ("questions,qestions", {}, r"Unknown filter 'qestions'. Valid: dedup, length_ratio, max_length, questions, similarity."),
    ("dedup", {"max_lenght": 3}, r"Unknown filter parameter 'max_lenght'. Valid: max_ratio, max_words, min_pair_similarity, "
                         r"similarity_sources."),
    ("max_length", {"max_words": 0}, r"max_words must be >= 1"),
    ("length_ratio", {"max_ratio": 0.5}, r"max_ratio must be >= 1"),
])
def test_make_filters_errors(names, params, message):
    with pytest.raises(ConfigError, match=message):
        make_filters(names, **params)
