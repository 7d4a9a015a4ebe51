"""Corpus-level metrics with sacrebleu (BLEU, chrF) on detokenised text against raw references, and perplexity."""

import math
from typing import Sequence

import sacrebleu


def bleu(hypotheses: Sequence[str], references: Sequence[str], lowercase: bool = False) -> float:
    """sacrebleu corpus BLEU (13a tokenisation), 0-100."""
    _check(hypotheses, references)
    return float(sacrebleu.corpus_bleu(list(hypotheses), [list(references)], lowercase=lowercase).score)


def chrf(hypotheses: Sequence[str], references: Sequence[str], lowercase: bool = False) -> float:
    """sacrebleu corpus chrF, 0-100 (case-insensitive by lowercasing both sides when asked)."""
    _check(hypotheses, references)
    hyps, refs = list(hypotheses), list(references)
    if lowercase:
        hyps, refs = [h.lower() for h in hyps], [r.lower() for r in refs]
    return float(sacrebleu.corpus_chrf(hyps, [refs]).score)


def sentence_chrf(hypotheses: Sequence[str], references: Sequence[str], lowercase: bool = False) -> list[float]:
    """sacrebleu sentence-level chrF (0-100) of each hypothesis against its reference."""
    _check(hypotheses, references)
    fold = (lambda t: t.lower()) if lowercase else (lambda t: t)
    return [float(sacrebleu.sentence_chrf(fold(h), [fold(r)]).score) for h, r in zip(hypotheses, references)]


def perplexity(loss: float) -> float:
    return math.exp(min(loss, 700.0))


def scores(hypotheses: Sequence[str], references: Sequence[str], lowercase: bool = False) -> dict[str, float]:
    return {"bleu": bleu(hypotheses, references, lowercase), "chrf": chrf(hypotheses, references, lowercase)}


def cased_and_uncased(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """{"bleu", "chrf"} case-sensitive (sacrebleu's default: "where" is not "Where") and {"bleu_uncased",
    "chrf_uncased"} with case ignored, the figure a lowercasing model can be compared on."""
    uncased = scores(hypotheses, references, lowercase=True)
    return {**scores(hypotheses, references), "bleu_uncased": uncased["bleu"], "chrf_uncased": uncased["chrf"]}


def _check(hypotheses: Sequence[str], references: Sequence[str]) -> None:
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
