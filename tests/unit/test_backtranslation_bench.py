"""benchmarks/backtranslation.py: the goal verdicts and table cells from evaluate's JSON (no training here)."""

import argparse


def _res(real, tagged, untagged, tux):
    def one(scores, tux_bleu):
        by = {name: {"bleu": b, "chrf": 50.0, "sentences": 10} for name, b in scores.items()}
        return {"test": {"bleu": 20.0, "chrf": 50.0, "by_source": by}, "tux": {"bleu": tux_bleu, "chrf": 30.0}}

    return {"real": one(real, tux[0]), "tagged": one(tagged, tux[1]), "untagged": one(untagged, tux[2])}


def test_goals_need_the_gain_and_no_loss(benchmarks):
    bench = benchmarks("common", "backtranslation").backtranslation
    res = _res({"wesnoth": 10.0, "firefox": 30.0}, {"wesnoth": 12.5, "firefox": 29.5},
               {"wesnoth": 11.0, "firefox": 28.0}, (5.0, 7.5, 6.0))
    text = bench.goals(argparse.Namespace(everyday="wesnoth"), res).splitlines()
    assert text[0].startswith("- real + BT (tagged)") and "everyday sources +2 BLEU: met" in text[0]
    assert "Tux Paint +2.50 BLEU (met)" in text[0] and text[0].endswith("below -1: met")
    assert "everyday sources +2 BLEU: missed" in text[1] and "+1.00 BLEU (missed)" in text[1]
    assert text[1].endswith("missed: firefox")  # a technical source lost 2 BLEU
    cells = bench._cells(res, lambda r: r["test"]["by_source"]["firefox"])
    assert cells == ["30.00 / 50.0", "29.50 / 50.0", "28.00 / 50.0", "-0.50", "-2.00"]
