"""The `similarity` filter (text/filters.py + text/pair_similarity.py) with the stub encoder: misaligned pairs of the
configured sources are dropped, other sources pass untouched, scores come from the cache the second time."""

import pytest

from wordbridge import encoder
from wordbridge.errors import ConfigError
from wordbridge.text.config import PrepareConfig
from wordbridge.text.filters import Similarity, apply_filters, make_filters
from wordbridge.text.pipeline import prepare

ALIGNED = [("le chat est noir", "the cat is black"), ("une pomme rouge", "a red apple"),
           ("le petit oiseau", "the small bird"), ("elle mange une fleur", "she eats a flower")]
MISALIGNED = ("le chien est blanc", "open the file menu to print")  # a shifted paragraph


@pytest.fixture
def stub(fakes, tmp_path, monkeypatch):
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path / "home"))  # the embedding cache goes here
    with encoder.use_encoder(fakes.StubEncoder()) as enc:
        yield enc


def test_a_misaligned_pair_is_dropped(stub):
    f = Similarity(min_pair_similarity=0.6, similarity_sources=["debian-reference"])
    f.for_source("debian-reference")
    kept = list(f(ALIGNED[:2] + [MISALIGNED] + ALIGNED[2:]))
    assert kept == ALIGNED
    assert (f.seen, f.removed) == (5, 1)
    assert f.dropped[0][1:] == MISALIGNED and f.dropped[0][0] < 0.6


def test_sources_not_configured_pass_untouched_and_unembedded(stub):
    f = Similarity(min_pair_similarity=0.6, similarity_sources=["debian-reference"])
    f.for_source("bible")
    assert list(f([MISALIGNED] + ALIGNED)) == [MISALIGNED] + ALIGNED
    assert f.removed == 0 and stub.calls == 0


def test_scores_are_cached_between_runs(stub):
    for _ in range(2):
        f = make_filters(["similarity"], min_pair_similarity=0.6, similarity_sources=["x"])[0]
        f.for_source("x")
        assert len(list(apply_filters(ALIGNED + [MISALIGNED], [f]))) == 4
    assert stub.calls == 2 * 5  # both sides of five pairs, embedded once


def test_prepare_drops_the_misaligned_pair(stub, tmp_path):
    pairs = ALIGNED * 5 + [(f"le chat {i} est noir", f"the cat {i} is black") for i in range(20)] + [MISALIGNED]
    (tmp_path / "x.fr").write_text("".join(fr + "\n" for fr, _ in pairs), encoding="utf-8")
    (tmp_path / "x.en").write_text("".join(en + "\n" for _, en in pairs), encoding="utf-8")
    cfg = PrepareConfig(src=str(tmp_path / "x.fr"), tgt=str(tmp_path / "x.en"), processes=1, src_vectors=None,
                        tgt_vectors=None, filters=("dedup", "similarity"), min_pair_similarity=0.6,
                        similarity_sources=("x.fr",))
    stats = prepare(cfg, tmp_path / "out")
    assert stats["removed"] == {"dedup": 16, "similarity": 1}
    assert stats["sources"]["x.fr"]["removed"]["similarity"] == 1
    written = "".join((tmp_path / "out" / f"{split}.tgt.txt").read_text(encoding="utf-8")
                      for split in ("train", "valid", "test"))
    assert MISALIGNED[1] not in written and "the cat is black" in written


def test_threshold_is_a_cosine():
    with pytest.raises(ConfigError, match="min_pair_similarity"):
        make_filters(["similarity"], min_pair_similarity=1.5)
