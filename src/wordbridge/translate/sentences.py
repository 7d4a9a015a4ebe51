"""Long inputs: a paragraph the model cannot take whole is split into sentences (pysbd, a rule-based sentence
boundary library), each sentence is translated, and the translations are joined back into one Translation, instead
of cutting the input at the model's length limit and losing its end."""

import functools

import pysbd

from wordbridge.results import Translation


@functools.lru_cache(maxsize=4)
def _segmenter(lang: str) -> pysbd.Segmenter:
    try:
        return pysbd.Segmenter(language=lang, clean=False)
    except ValueError:  # a language pysbd has no rules for: the English ones split at . ! ? as well
        return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str, lang: str = "fr") -> list[str]:
    """The sentences of `text` (stripped, none empty; [text] when there is only one)."""
    sentences = [s.strip() for s in _segmenter(lang).segment(text)]
    return [s for s in sentences if s] or [text]


def _halves(words: list[str], too_long) -> list[str]:
    """Word runs that are not `too_long`, by halving (a sentence without a boundary pysbd can find)."""
    text = " ".join(words)
    if len(words) <= 1 or not too_long(text):
        return [text]
    mid = len(words) // 2
    return _halves(words[:mid], too_long) + _halves(words[mid:], too_long)


def pieces(text: str, too_long, lang: str = "fr") -> list[str]:
    """`text` as one piece, or its sentences when `too_long(text)`; a sentence still `too_long` is halved at
    spaces until its halves are not."""
    if not too_long(text):
        return [text]
    return [piece for sentence in split_sentences(text, lang) for piece in _halves(sentence.split(), too_long)]


def join(parts: list[Translation]) -> Translation:
    """One Translation from the translations of consecutive pieces: texts joined with a space, tokens
    concatenated, attention block-diagonal (each piece's output attends to its own source only)."""
    if len(parts) == 1:
        return parts[0]
    attention = None
    if all(p.attention is not None for p in parts):
        width = sum(len(p.src_tokens) for p in parts)
        attention, offset = [], 0
        for p in parts:
            for row in p.attention:
                attention.append([0.0] * offset + list(row) + [0.0] * (width - offset - len(row)))
            offset += len(p.src_tokens)
    return Translation(text=" ".join(p.text for p in parts if p.text), attention=attention,
                       src_tokens=[t for p in parts for t in p.src_tokens], tokens=[t for p in parts for t in p.tokens])
