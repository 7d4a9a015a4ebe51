"""benchmarks/sweep.py: how a --variant NAME:KEY=VALUE,... splits into config overrides."""

import argparse

import pytest


@pytest.fixture(scope="module")
def sweep(benchmarks):
    return benchmarks("common", "corpus_vocab", "sweep").sweep


def test_a_variant_splits_on_commas_between_overrides(sweep):
    assert sweep.parse_variant("nodrop:model.emb_dropout=0,model.out_dropout=0") == (
        "nodrop", ["model.emb_dropout=0", "model.out_dropout=0"])
    assert sweep.parse_variant("base") == ("base", [])


def test_a_bracketed_list_stays_one_value(sweep):
    assert sweep.parse_variant("b999:train.betas=[0.9,0.999],train.lr=0.002") == (
        "b999", ["train.betas=[0.9,0.999]", "train.lr=0.002"])


@pytest.mark.parametrize("text", [":train.lr=1", "a/b:train.lr=1"])
def test_a_bad_name_is_refused(sweep, text):
    with pytest.raises(argparse.ArgumentTypeError):
        sweep.parse_variant(text)
