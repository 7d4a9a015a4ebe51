import pytest

from wordbridge.errors import DataError
from wordbridge.text.tokenize import SentencePieceTokenizer, SpacyTokenizer, load_tokenizers, save_tokenizer_config

def test_french_elision_and_inversion():
    fr = SpacyTokenizer("fr")
    assert fr.tokenize("qu'est-ce que la lumière ?") == ["qu'", "est", "-ce", "que", "la", "lumière", "?"]
    assert fr.tokenize("D'où venons-nous?") == ["D'", "où", "venons", "-nous", "?"]


def test_whitespace_tokens_dropped_and_lowercase():
    en = SpacyTokenizer("en", lowercase=True)
    assert en.tokenize("  Who?   Me.\n") == ["who", "?", "me", "."]


def test_tokenize_many_in_two_processes_matches_one(monkeypatch):
    from wordbridge.text import tokenize

    calls = []
    real = tokenize._pool_tokenize
    monkeypatch.setattr(tokenize, "_MIN_CHUNK", 10)
    monkeypatch.setattr(tokenize, "_pool_tokenize", lambda *a: calls.append(1) or real(*a))
    texts = [f"Where is item {i}? It's here, (isn't it) {i * 7}." for i in range(300)] + ["", "  "]
    one = SpacyTokenizer("en").tokenize_many(texts, processes=1)
    two = SpacyTokenizer("en").tokenize_many(texts, processes=2)
    assert calls, "the process pool was not used"
    assert one == two
    assert one[7] == ["Where", "is", "item", "7", "?", "It", "'s", "here", ",", "(", "is", "n't", "it", ")", "49", "."]
    assert one[-2:] == [[], []]


def test_memo_gives_the_same_tokens_as_plain_spacy():
    en = SpacyTokenizer("en")
    texts = ["Hello  world\tfoo", "U.S. and e.g. (really)!", "Go!\n", "e-mail: foo@bar.com", "light? cannot, Mr.",
             "etc. 123 1,000 ²³ don't; gonna! 3) i.e.) vs.", "a) b, c: dr. St. lol:)"]
    plain = [[t.text for t in en.spacy_tokenizer(x) if not t.is_space] for x in texts]
    assert en.tokenize_many(texts) == plain
    assert en.tokenize_many(texts) == plain  # second time from the memo
    fr = SpacyTokenizer("fr")
    texts = ["Aujourd'hui, l'homme a-t-il raison ? Oui! etc. M. Dupont: 12h30.", "c.-à-d., lumière; quoi?"]
    assert fr.tokenize_many(texts) == [[t.text for t in fr.spacy_tokenizer(x) if not t.is_space] for x in texts]


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


@pytest.mark.parametrize("kind", ["spacy", "sentencepiece"])
def test_cased_tokenizers_give_capitals_back(tmp_path, kind):
    texts = ["Where is the file?", "The Cat sleeps on the SOFA.", "I think Paris is big.", "Open the File menu."]
    if kind == "spacy":
        tok = SpacyTokenizer("en", lowercase=False)
    else:
        tok = SentencePieceTokenizer.train(texts * 50, tmp_path / "spm.tgt.model", vocab_size=40, lowercase=False)
    for text in texts:
        assert tok.detokenize(tok.tokenize(text)) == text
    lower = SpacyTokenizer("en", lowercase=True)
    assert lower.detokenize(lower.tokenize(texts[0])) == "where is the file?"
