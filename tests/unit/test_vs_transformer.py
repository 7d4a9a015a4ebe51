"""benchmarks/vs_transformer*.py without training anything: arguments, test-set selection, per-source scores, the
FLOP count and the side-by-side table with the goals."""

import json
from pathlib import Path

import pytest

INFO = {"date": "2026-11-30 12:00 UTC", "cpu": "test cpu", "cores": 2, "physical_cores": 2, "ram_gib": 8.0,
        "os": "Linux", "python": "3.11", "load_avg_1m": 0.1}


@pytest.fixture(scope="module")
def bench(benchmarks):
    return benchmarks("common", "flops", "vs_joeynmt_peer", "vs_joeynmt_wordbridge", "vs_transformer_data",
                      "vs_transformer")


def _split(folder: Path, rows: list[tuple[str, str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, suffix in enumerate(("src", "tgt", "source")):
        (folder / f"test.{suffix}.txt").write_text("".join(r[i] + "\n" for r in rows), encoding="utf-8")
    sources = {}
    for _, _, name in rows:
        sources[name] = {"kept": sources.get(name, {}).get("kept", 0) + 1}
    (folder / "stats.json").write_text(json.dumps({"sources": sources}), encoding="utf-8")
    return folder


def test_test_set_appends_the_left_out_source_and_scores_it_apart(bench, tmp_path):
    data = bench.vs_transformer_data
    train = _split(tmp_path / "train", [("un chat", "the black cat sleeps on the sofa", "bible"),
                                        ("une vache", "a brown cow eats the green grass", "gimp-help"),
                                        ("un chien", "a dog", "bible")])
    full = _split(tmp_path / "full", [("un chat", "a cat", "bible"), ("ouvrir", "open", "thunderbird"),
                                      ("fermer", "close", "thunderbird"), ("quitter", "quit", "thunderbird")])
    assert data.select_test(train, full, 0, None, 2).src == ["un chat", "une vache", "un chien"]
    test = data.select_test(train, full, 1, "thunderbird", 2)  # one per source: the second bible pair is not taken
    assert test.src == ["un chat", "une vache", "ouvrir", "fermer"]
    assert test.sources == ["bible", "gimp-help", "thunderbird", "thunderbird"]
    assert test.in_domain() == [0, 1]
    scores = data.scores_of(["The black cat sleeps on the sofa", "a brown cow eats the green grass", "open", "shut"],
                            test, lowercase=True)
    assert scores["all"][2] == 2 and scores["all"][0] == pytest.approx(100.0)
    assert scores["thunderbird"][2] == 2 and scores["thunderbird"][0] < 100.0
    assert list(scores) == ["all", "bible", "gimp-help", "thunderbird"]
    with pytest.raises(RuntimeError, match="no test pairs from debian-reference"):
        data.select_test(train, full, 2, "debian-reference", 2)


def test_leaving_out_a_source_the_folder_lacks_is_one_clear_error(bench, tmp_path):
    full = _split(tmp_path / "full", [("un chat", "a cat", "bible")])
    with pytest.raises(RuntimeError, match=r"--leave-out manpages: not a source of .* \(its sources: bible\)"):
        bench.vs_transformer_data.training_prepared(full, Path("configs/default.yaml"), [], "manpages", tmp_path, 1)
    assert bench.vs_transformer_data.training_prepared(full, Path("x.yaml"), [], None, tmp_path, 1) == full


def test_transformer_flops_grow_with_width_and_vocabulary(bench):
    from wordbridge.translate.config import ModelConfig, TransformerConfig

    small = ModelConfig(arch="transformer", transformer=TransformerConfig(d_model=64, heads=4, ff_size=256))
    wide = ModelConfig(arch="transformer", transformer=TransformerConfig(d_model=128, heads=4, ff_size=512))
    per_token = bench.flops.train_flops_per_target_token
    assert per_token(wide, 1.0, 1000, 10, 10) > 3 * per_token(small, 1.0, 1000, 10, 10)
    assert per_token(small, 1.0, 2000, 10, 10) - per_token(small, 1.0, 1000, 10, 10) == pytest.approx(
        3 * 2 * 64 * 1000)  # the output layer: 2 x d x V per token, x3 for backward
    gru = ModelConfig()
    assert per_token(gru, 1.2, 1000, 10, 10) == pytest.approx(bench.flops.train_flops(gru, 1.2, 1.0, 1000, 10))


def test_table_has_every_engine_per_source_rows_and_goal_verdicts(bench, tmp_path):
    vt, peer, data = bench.vs_transformer, bench.vs_joeynmt_peer, bench.vs_transformer_data
    args = vt.parse_args(["--minutes", "2", "--work", str(tmp_path), "--threads", "1"])
    assert args.out == tmp_path / "table.md" and args.test_per_source == 120 and args.joeynmt
    test = data.TestSet(["a", "b", "c"], ["x", "y", "z"], ["bible", "bible", "thunderbird"], "thunderbird")
    runs = {a: peer.TrainStats(a, tmp_path / a, 120.0, None, 100, 2**30, None, 500.0)
            for a in ("gru", "transformer", "joeynmt")}
    hyps = {"gru": ["a b", "c", "d"], "transformer": ["x y", "z", "q"], "ct2-float32": ["x y", "z", "q"],
            "ct2-int8": ["x y", "w", "q"], "joeynmt": ["a", "b", "c"]}
    bleu = {"gru": 10.0, "transformer": 14.0, "ct2-float32": 14.0, "ct2-int8": 13.9, "joeynmt": 8.0}
    speed = {"gru": 1.0, "transformer": 2.0, "ct2-float32": 4.0, "ct2-int8": 6.0, "joeynmt": 1.0}
    dec = {}
    for beam in (1, args.beam):
        for name, h in hyps.items():
            by_source = {"all": (bleu[name], 30.0, 2), "bible": (bleu[name], 30.0, 2), "thunderbird": (1.5, 9.0, 1)}
            dec[(name, beam)] = peer.DecodeStats(name, beam, 3, 3 / speed[name], h, bleu=bleu[name], chrf=30.0,
                                                 by_source=by_source)
    for q, size in (("float32", 4), ("int8", 1)):
        (tmp_path / f"transformer-ct2-{q}").mkdir()
        (tmp_path / f"transformer-ct2-{q}" / "model.bin").write_bytes(b"0" * size * 2**20)
    folders = {"gru": tmp_path / "gru", "transformer": tmp_path / "transformer",
               "ct2-float32": tmp_path / "transformer-ct2-float32", "ct2-int8": tmp_path / "transformer-ct2-int8"}
    flops = {"gru": 1e6, "transformer": 2e6, "joeynmt": 1e6}
    table = vt.build_table(args, INFO, runs, dec, {"gru": 2e6, "transformer": 3e6}, flops, folders, test)
    lines = table.splitlines()
    assert "JoeyNMT 2.3.0 (GRU)" in table and "`python benchmarks/vs_transformer.py --minutes 2" in table
    row = next(line for line in lines if line.startswith("| outputs identical to torch Transformer, greedy"))
    assert [c.strip() for c in row.split("|")[2:7]] == ["-", "100.0", "100.0", "66.7", "-"]
    ood = next(line for line in lines if "thunderbird (1) **left out of training**" in line)
    assert ood.split("|")[2].strip() == "1.50 / 9.0"
    share = next(line for line in lines if line.startswith("| share of the bf16 ceiling (200 GFLOP/s"))
    assert share.split("|")[3].strip() == "0.5"  # 500 tok/s x 2 MFLOP = 1 GFLOP/s of 200
    assert "Transformer / GRU test BLEU, greedy: 1.40x (goal >= 1.30x): met" in table
    assert "CTranslate2 int8 greedy / JoeyNMT greedy decoding speed: 6.00x (goal >= 5.00x): met" in table
    assert "int8 / float32 CTranslate2 model size: 0.25x (goal <= 0.33x): met" in table


def test_training_rows_survive_a_decode_only_run(bench, tmp_path):
    vt, peer = bench.vs_transformer, bench.vs_joeynmt_peer
    stats = peer.TrainStats("joeynmt", tmp_path / "joeynmt", 1500.1, 337949, 487, 2**30, tmp_path / "j.log", 226.0)
    assert vt.stats_from_json(vt.stats_to_json(stats)) == stats
    assert vt.stats_from_json(vt.stats_to_json(None)) is None
    saved = tmp_path / "train_stats.json"
    vt.training_rows(saved, {"gru": None, "joeynmt": stats}, decode_only=False)
    assert vt.training_rows(saved, {"gru": None, "joeynmt": None}, decode_only=True)["joeynmt"] == stats
