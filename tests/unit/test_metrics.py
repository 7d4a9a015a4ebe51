import math

import pytest

from wordbridge.translate.metrics import bleu, chrf, perplexity, scores


def test_identical_text_scores_100():
    refs = ["the cat is on the mat .", "what is light ?"]
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert chrf(refs, refs) == pytest.approx(100.0)


def test_lowercase_option_ignores_case():
    hyps, refs = ["The Cat is on the mat ."], ["the cat is on the mat ."]
    assert bleu(hyps, refs) < 100
    assert bleu(hyps, refs, lowercase=True) == pytest.approx(100.0)
    assert chrf(hyps, refs, lowercase=True) == pytest.approx(100.0)


def test_wrong_output_scores_low_and_keys():
    s = scores(["a b c d"], ["the cat is on the mat ."])
    assert set(s) == {"bleu", "chrf"} and s["bleu"] < 5


def test_mismatched_counts_raise():
    with pytest.raises(ValueError):
        bleu(["a"], ["a", "b"])


def test_perplexity():
    assert perplexity(math.log(7.0)) == pytest.approx(7.0)


def test_cased_and_uncased_scores_side_by_side():
    from wordbridge.translate.metrics import cased_and_uncased

    refs = ["Where is the file?", "The cat sleeps on the sofa."]
    out = cased_and_uncased(["where is the file?", "the cat sleeps on the sofa."], refs)
    assert out["bleu_uncased"] == pytest.approx(100.0) and out["chrf_uncased"] == pytest.approx(100.0)
    assert out["bleu"] < 100.0 and out["chrf"] < 100.0  # case-sensitive by default, as sacrebleu
    assert cased_and_uncased(refs, refs)["bleu"] == pytest.approx(100.0)
