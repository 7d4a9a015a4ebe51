import pytest

from wordbridge.text.detokenize import capitalize, detokenize
from wordbridge.text.tokenize import SpacyTokenizer

ENGLISH = [
    "What is light?",
    "Don't do that, I'm \"serious\" (really)!",
    "It's the students' books.",
    "He said, 'hello' to me.",
    "Can't you see? We'll go, won't we?",
    "A well-known e-mail costs $5.00 -- 50%.",
    "Choose Tools - Options - LibreOffice.",
    "And God said, Let there be light: and there was light.",
    "Where did we come from?",
    "I cannot query Yes/No fields in %PRODUCTNAME (optional): see below.",
    "=SUM(A1) returns 3.",
    "An error results if Number is between -1 and 1, e.g. 50% of it.",
    "He said to them, \"Go and tell that fox.\" Then he left.",
    "and the third day he will be raised up.\"",  # closes a quote opened in an earlier verse
    "She said, \"Don't call me Naomi.",  # opens a quote closed in a later verse
]


@pytest.mark.parametrize("sentence", ENGLISH)
def test_detokenize_restores_english(sentence):
    en = SpacyTokenizer("en")
    assert en.detokenize(en.tokenize(sentence)) == sentence


def test_detokenize_french_joins_elisions_and_suffixes():
    assert detokenize(["qu'", "est", "-ce", "que", "c'", "est", "?"], "fr") == "qu'est-ce que c'est?"


def test_capitalize():
    assert capitalize("what do i know?") == "What do I know?"
