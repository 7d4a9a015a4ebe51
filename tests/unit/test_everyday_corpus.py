"""benchmarks/everyday_corpus.py: each variant's settings and the table of scored rows (no training here)."""

import pytest

from wordbridge.text.config import PrepareConfig
from wordbridge.translate.config import ModelConfig, TranslateTrainConfig


@pytest.fixture(scope="module")
def bench(benchmarks):
    return benchmarks("common", "corpus_vocab", "everyday_corpus").everyday_corpus


def test_variants_differ_only_where_they_should(bench, tmp_path):
    base = {"data": PrepareConfig(), "model": ModelConfig(), "train": TranslateTrainConfig()}
    v = {name: bench.variant_sections(base, name, tmp_path, 3.0) for name in bench.VARIANTS}
    assert v["new-unweighted"]["train"].source_weights == {} and v["new-unweighted"]["data"].lowercase is False
    assert v["new-weighted"]["train"].source_weights == {"everyday": 3.0}
    assert v["old"]["data"].lowercase is True and v["old"]["data"].sources == bench.OLD_SOURCES
    assert v["old"]["train"].source_weights == {} == v["new-filtered"]["train"].source_weights
    assert v["new-weighted"]["data"].out == v["new-unweighted"]["data"].out != v["new-filtered"]["data"].out
    assert "similarity" in v["new-filtered"]["data"].filters and "similarity" not in v["new-weighted"]["data"].filters
    configured = dict(base, train=TranslateTrainConfig(source_weights={"fillets": 5.0}))  # explicit weights win
    assert bench.variant_sections(configured, "new-unweighted", tmp_path, 3.0)["train"].source_weights == {}
    assert bench.variant_sections(base, "old", tmp_path, 3.0, threads=1)["train"].threads == 1  # side by side


def test_table_shows_groups_sources_tuxpaint_and_demo_lines(bench):
    fig = {"bleu": 10.0, "chrf": 30.0, "bleu_uncased": 12.0, "chrf_uncased": 31.0, "sentences": 5}
    rows = [{"variant": name, "pairs": 100, "steps": 7, "removed": {"similarity": 2}, "valid_mean": 10.0,
             "valid_groups": {"technical": fig, "everyday": fig}, "test": fig, "by_source": {"bible": fig},
             "tuxpaint": fig if name != "old" else {"error": "not fetched"},
             "demo": {"Où est le fichier ?": "Where is the file?" if name == "new-unweighted" else "a | b"}}
            for name in ("new-unweighted", "old")]
    text = bench.table(rows, "header")
    assert "validation everyday (5)" in text and "test bible (5)" in text and "not fetched" in text
    assert "10.00 / 30.0 (12.00 / 31.0)" in text and "| Où est le fichier ? | Where is the file? | a \\| b" in text
