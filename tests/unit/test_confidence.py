"""Translation confidence (translate/confidence.py): the encoder's source-translation cosine per sentence, batched;
its Spearman correlation with sentence chrF; the field through `translate --json --confidence` and the API."""

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from wordbridge.cli import main as cli_main
from wordbridge.commands import translate as translate_command
from wordbridge.encoder import use_encoder
from wordbridge.results import Translation
from wordbridge.serve.app import create_app
from wordbridge.translate import confidence as C

FR = ["le chat noir", "la maison rouge", "un oiseau bleu", ""]
GOOD = ["the black cat", "the red house", "a blue bird", ""]
BAD = ["the red house", "a blue bird", "the black cat", "something"]


def test_right_translations_score_above_wrong_ones_and_empty_is_zero(fakes):
    stub = fakes.StubEncoder()
    good, bad = C.confidence(FR, GOOD, stub), C.confidence(FR, BAD, stub)
    assert good.shape == (4,) and np.all(good[:3] > bad[:3]) and good[3] == 0.0 and bad[3] == 0.0
    assert stub.calls == 6 + 6  # two batched passes of the three non-empty pairs per call
    results = C.with_confidence(FR[:2], [Translation(t, [], [], None) for t in GOOD[:2]], stub)
    assert [r.text for r in results] == GOOD[:2] and results[0].confidence == pytest.approx(good[0], abs=1e-4)
    with pytest.raises(ValueError):
        C.confidence(FR, GOOD[:2], stub)


def test_spearman_matches_scipy_with_ties():
    from scipy import stats as scipy_stats  # the reference implementation (scipy ships with scikit-image)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 40).astype(float), rng.normal(size=40)
    assert C.spearman(a, b) == pytest.approx(scipy_stats.spearmanr(a, b).statistic, abs=1e-9)
    assert np.isnan(C.spearman([1, 1], [2, 3]))


def test_report_ranks_good_translations_with_high_chrf(fakes):
    hyps = ["the black cat", "a red house", "the bird", "dog"]
    report = C.confidence_report(FR[:3] + ["un chien"], hyps, ["the black cat", "the red house", "a blue bird",
                                                             "a dog"], encoder=fakes.StubEncoder())
    assert len(report["per_sentence"]) == 4 and report["threshold"] == C.LOW_CONFIDENCE
    assert -1.0 <= report["spearman_chrf"] <= 1.0 and 0.0 <= report["low"] <= 1.0


def test_translate_json_confidence_through_the_cli(fakes, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(translate_command.Translator, "load", classmethod(lambda cls, *a, **k: fakes.FakeTranslator()))
    with use_encoder(fakes.StubEncoder()):
        assert cli_main(["translate", str(tmp_path), "le chat noir", "--json", "--confidence"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["source"] == "le chat noir" and line["text"] == "the cat black" and line["confidence"] > 0.9
    assert cli_main(["translate", str(tmp_path), "le chat noir", "--json"]) == 0
    assert "confidence" not in json.loads(capsys.readouterr().out)  # not computed unless asked


def test_api_returns_confidence_only_when_asked(fakes):
    with use_encoder(fakes.StubEncoder()), TestClient(create_app(fakes.FakeTranslator(), None)) as c:
        r = c.post("/api/translate", json={"text": ["le chat noir .", "le chien"], "confidence": True})
        assert r.status_code == 200
        out = r.json()["translations"]
        assert all(0.5 < t["confidence"] <= 1.0001 for t in out)
        assert [t["low_confidence"] for t in out] == [C.is_low(t["confidence"]) for t in out]
        plain = c.post("/api/translate", json={"text": "le chat noir ."}).json()["translations"][0]
        assert plain["confidence"] is None and plain["low_confidence"] is None
