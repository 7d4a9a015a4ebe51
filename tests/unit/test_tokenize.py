import pytest

from wordbridge.errors import DataError
from wordbridge.text.tokenize import (
    SentencePieceTokenizer, SpacyTokenizer, capitalize, detokenize, load_tokenizers, save_tokenizer_config,
)

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
]


def test_french_elision_and_inversion():
    fr = SpacyTokenizer("fr")
    assert fr.tokenize("qu'est-ce que la lumière ?") == ["qu'", "est", "-ce", "que", "la", "lumière", "?"]
    assert fr.tokenize("D'où venons-nous?") == ["D'", "où", "venons", "-nous", "?"]


def test_whitespace_tokens_dropped_and_lowercase():
    en = SpacyTokenizer("en", lowercase=True)
    assert en.tokenize("  Who?   Me.\n") == ["who", "?", "me", "."]


@pytest.mark.parametrize("sentence", ENGLISH)
def test_detokenize_restores_english(sentence):
    en = SpacyTokenizer("en")
    assert en.detokenize(en.tokenize(sentence)) == sentence


def test_detokenize_french_joins_elisions_and_suffixes():
    assert detokenize(["qu'", "est", "-ce", "que", "c'", "est", "?"], "fr") == "qu'est-ce que c'est?"


def test_capitalize():
    assert capitalize("what do i know?") == "What do I know?"


def test_tokenize_many_matches_single_and_uses_processes():
    en = SpacyTokenizer("en")
    texts = [f"Where is item {i}? It's here." for i in range(4500)]
    one = en.tokenize_many(texts, processes=1)
    two = en.tokenize_many(texts, processes=2)
    assert one == two
    assert one[7] == en.tokenize(texts[7])
    assert en.tokenize_many([""], processes=1) == [[]]


def test_sentencepiece_round_trip(tmp_path):
    texts = [f"the quick brown fox number {i} jumps over the lazy dog." for i in range(300)]
    tok = SentencePieceTokenizer.train(texts, tmp_path / "spm.src.model", vocab_size=60)
    pieces = tok.tokenize("the lazy fox jumps.")
    assert len(pieces) > 1
    assert tok.detokenize(pieces) == "the lazy fox jumps."
    assert tok.tokenize_many(["the dog", "a fox"], processes=2)[0] == tok.tokenize("the dog")


def test_load_tokenizers(tmp_path):
    save_tokenizer_config(tmp_path, "spacy", True, "fr", "en")
    src, tgt = load_tokenizers(tmp_path)
    assert (src.lang, tgt.lang, src.lowercase) == ("fr", "en", True)
    assert tgt.tokenize("What?") == ["what", "?"]
    with pytest.raises(DataError):
        load_tokenizers(tmp_path / "nothing")
