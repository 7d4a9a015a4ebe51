"""translate/sentences.py: long inputs split into sentences (pysbd) and their translations joined back."""

from wordbridge.results import Translation
from wordbridge.translate import sentences


def _words_over(n):
    return lambda text: len(text.split()) > n


def test_short_text_stays_whole_and_long_text_splits_at_sentence_ends():
    text = "Le chat dort. M. Dupont lit un livre ! Où est la gare ?"
    assert sentences.pieces(text, _words_over(100)) == [text]
    parts = sentences.pieces(text, _words_over(6))
    assert parts == ["Le chat dort.", "M. Dupont lit un livre !", "Où est la gare ?"]  # "M." is no sentence end
    assert " ".join(parts).split() == text.split()  # nothing lost


def test_a_sentence_without_an_end_still_too_long_is_halved_until_it_fits():
    words = [f"mot{i}" for i in range(70)]
    parts = sentences.pieces(" ".join(words), _words_over(20))
    assert all(len(p.split()) <= 20 for p in parts) and len(parts) == 4  # 70 -> 35 + 35 -> 4 x 17-18
    assert " ".join(parts).split() == words


def test_join_concatenates_and_keeps_attention_block_diagonal():
    a = Translation("The cat.", ["le", "chat", "."], ["the", "cat", "."], [[0.9, 0.1, 0.0]] * 3)
    b = Translation("Sleeps.", ["dort", "."], ["sleeps", "."], [[0.8, 0.2], [0.1, 0.9]])
    joined = sentences.join([a, b])
    assert joined.text == "The cat. Sleeps."
    assert joined.src_tokens == a.src_tokens + b.src_tokens and joined.tokens == a.tokens + b.tokens
    assert joined.attention[0] == [0.9, 0.1, 0.0, 0.0, 0.0] and joined.attention[3] == [0.0, 0.0, 0.0, 0.8, 0.2]
    assert sentences.join([a, Translation("x", ["x"], ["x"], None)]).attention is None
    assert sentences.join([a]) is a
