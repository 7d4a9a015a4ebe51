"""The wordbridge side of benchmarks/vs_joeynmt.py against the real CLI: a few seconds of `wordbridge train` under a
budget and Translator decoding on a tiny prepared folder (JoeyNMT itself is not needed)."""

import pytest

PAIRS = [("Le chat mange.", "The cat eats."), ("Le chien dort.", "The dog sleeps."), ("Il pleut.", "It rains."),
         ("Le chat dort.", "The cat sleeps.")]


@pytest.fixture(scope="module")
def side(benchmarks):
    return benchmarks("common", "vs_joeynmt_peer", "vs_joeynmt_wordbridge").vs_joeynmt_wordbridge


@pytest.fixture()
def prepared(tmp_path, tiny_run):
    folder = tiny_run(tmp_path / "prepared", PAIRS, tokenizer="spacy",
                      splits={split: PAIRS for split in ("train", "valid", "test")}).folder
    (folder / "stats.json").write_text('{"pairs_kept": 4}')
    return folder


def test_wordbridge_side_trains_under_budget_and_decodes(side, prepared, tmp_path):
    config = tmp_path / "bench.yaml"
    config.write_text("model:\n  hidden: 32\n  emb_size_src: 16\n  emb_size_tgt: 16\n"
                      "train:\n  epochs: 100000\n  log_every: 1\n  valid_bleu_sentences: 0\n")
    stats = side.train_wordbridge(config, prepared, tmp_path / "wb-run", 0.05, 1, [])
    assert stats.steps and stats.steps >= 2
    assert stats.tokens_per_s and stats.tokens_per_s > 0  # from the history.json windows
    assert stats.peak_rss_bytes > 50 * 2**20
    resolved = side.load_resolved(tmp_path / "wb-run")
    settings = side.peer_settings(config, prepared, [], resolved=resolved)
    assert (settings["hidden"], settings["emb_size_tgt"]) == (32, 16)  # JoeyNMT mirrors the trained model
    src = [a for a, _ in PAIRS]
    for beam in (1, 2):
        dec = side.decode_wordbridge(tmp_path / "wb-run", src, beam, 1, 2, tmp_path / f"wb.beam{beam}.txt")
        assert dec.sentences == len(src) == len(dec.hypotheses) and dec.seconds > 0
    bleu, chrf = side.score(dec.hypotheses, [b for _, b in PAIRS], settings["lowercase"])
    assert 0.0 <= bleu <= 100.0 and 0.0 <= chrf <= 100.0
