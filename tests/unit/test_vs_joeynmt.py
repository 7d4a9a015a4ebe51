"""benchmarks/vs_joeynmt*.py without JoeyNMT: data export, config mirroring, detokenising, scoring and the table."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from wordbridge.text.ragged import save_ragged
from wordbridge.text.tokenize import make_spacy_tokenizers

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench(benchmarks):
    return benchmarks("common", "vs_joeynmt_peer", "vs_joeynmt_wordbridge", "vs_joeynmt")


PAIRS = {
    "train": [("Le chat mange.", "The cat eats."), ("Le chien dort.", "The dog sleeps."), ("Il pleut.", "It rains.")],
    "valid": [("Le chat dort.", "The cat sleeps.")],
    "test": [("Le chien mange la pomme.", "The dog eats the apple."), ("Le zèbre dort.", "The zebra sleeps."),
             ("Il pleut.", "It rains.")],
}


@pytest.fixture()
def prepared(tmp_path, tiny_run):
    """A tiny prepared folder in wordbridge's layout; test source ids truncated to 2 tokens as a percentile would."""
    run = tiny_run(tmp_path, PAIRS["train"], tokenizer="spacy", splits=PAIRS, extra_tgt_tokens=["a b"])  # a space
    src_tok, _ = make_spacy_tokenizers("fr", "en", lowercase=True)
    save_ragged(tmp_path / "test.src", [run.src_vocab.encode(src_tok.tokenize(a)[:2]) for a, _ in PAIRS["test"]])
    np.save(tmp_path / "emb.tgt.npy", np.arange(len(run.tgt_vocab) * 4, dtype=np.float32).reshape(-1, 4))
    return tmp_path


def test_export_writes_aligned_token_lines(bench, prepared, tmp_path):
    data = bench.vs_joeynmt_peer.export_joeynmt_data(prepared, tmp_path / "joey", test_limit=2, emb_scale=3.0)
    train_fr = (tmp_path / "joey" / "train.fr").read_text(encoding="utf-8").splitlines()
    train_en = (tmp_path / "joey" / "train.en").read_text(encoding="utf-8").splitlines()
    assert train_fr == ["le chat mange .", "le chien dort .", "il pleut ."]
    assert train_en[1] == "the dog sleeps ."
    # test source: the whole tokenised sentence (not the truncated ids), cut to test_limit sentences
    assert (tmp_path / "joey" / "test.fr").read_text(encoding="utf-8").splitlines() == [
        "le chien mange la pomme .", "le zèbre dort ."]
    assert data.test_raw_ref == ["The dog eats the apple.", "The zebra sleeps."]
    assert data.test_raw_src == ["Le chien mange la pomme.", "Le zèbre dort."]
    vocab = (tmp_path / "joey" / "vocab.tgt.txt").read_text(encoding="utf-8").splitlines()
    assert vocab[:4] == ["_bos_", "_pad_", "_eos_", "_unk_"] and "a\u2581b" in vocab
    assert data.src_emb is None and data.tgt_emb is not None


def test_export_with_given_test_pairs_tokenises_both_sides(bench, prepared, tmp_path):
    pairs = (["Le chat dort.", "Il pleut beaucoup.", "Le zèbre mange."], ["The cat sleeps.", "It rains a lot.", "x"])
    data = bench.vs_joeynmt_peer.export_joeynmt_data(prepared, tmp_path / "joey", test_pairs=pairs)
    assert data.test_raw_src == pairs[0] and data.test_raw_ref == pairs[1]
    assert (tmp_path / "joey" / "test.fr").read_text(encoding="utf-8").splitlines() == [
        "le chat dort .", "il pleut beaucoup .", "le zèbre mange ."]
    assert (tmp_path / "joey" / "test.en").read_text(encoding="utf-8").splitlines() == [
        "the cat sleeps .", "it rains a lot .", "x"]


def test_export_vectors_are_scaled_without_pad(bench, prepared, tmp_path):
    data = bench.vs_joeynmt_peer.export_joeynmt_data(prepared, tmp_path / "joey", emb_scale=3.0)
    lines = data.tgt_emb.read_text(encoding="utf-8").splitlines()
    n, dim = map(int, lines[0].split())
    assert dim == 4 and n == len(lines) - 1
    rows = {line.split(" ")[0]: [float(v) for v in line.split(" ")[1:]] for line in lines[1:]}
    assert "_pad_" not in rows
    assert rows["_eos_"] == [24.0, 27.0, 30.0, 33.0]  # row 2 (8, 9, 10, 11) x 3


def test_ids_to_line_never_empty_and_escapes(bench):
    peer = bench.vs_joeynmt_peer
    itos = ["_bos_", "_pad_", "_eos_", "_unk_", "a b", "c"]
    assert peer.ids_to_line([2], itos) == "_unk_"  # JoeyNMT would drop an empty line and misalign the corpus
    assert peer.ids_to_line([4, 5, 3, 2], itos) == "a\u2581b c _unk_"
    assert peer.detokenize_lines(["a\u2581b c"], lambda toks: "|".join(toks)) == ["a b|c"]


def _settings(bench, prepared, **changes):
    cfg = BENCH.parent / "configs" / "default.yaml"
    settings = bench.vs_joeynmt_wordbridge.peer_settings(cfg if cfg.is_file() else None, prepared, [])
    settings.update(changes)
    return settings


def test_config_mirrors_wordbridge_model(bench, prepared, tmp_path):
    peer = bench.vs_joeynmt_peer
    data = peer.export_joeynmt_data(prepared, tmp_path / "joey")
    settings = _settings(bench, prepared, hidden=128, layers=3, emb_dropout=0.2, batch_size=32, out_dropout=0.3)
    cfg = peer.build_joeynmt_config(data, tmp_path / "run", settings, beam=5, decode_batch=16)
    enc, dec = cfg["model"]["encoder"], cfg["model"]["decoder"]
    assert (enc["rnn_type"], enc["hidden_size"], enc["num_layers"], enc["bidirectional"]) == ("gru", 128, 3, True)
    assert enc["embeddings"]["embedding_dim"] == settings["emb_size_src"] and enc["embeddings"]["dropout"] == 0.2
    assert dec["hidden_size"] == settings["emb_size_tgt"] and dec["attention"] == settings["attention"]
    assert dec["hidden_dropout"] == 0.3 and dec["dropout"] == settings["dec_dropout"]
    assert dec["embeddings"]["load_pretrained"] == str(data.tgt_emb) and "load_pretrained" not in enc["embeddings"]
    assert cfg["training"]["batch_size"] == 32 and cfg["testing"]["beam_size"] == 5
    assert cfg["testing"]["batch_size"] == 16
    assert cfg["data"]["src"]["voc_file"] == str(data.src_vocab) and cfg["data"]["src"]["level"] == "word"
    # the known JoeyNMT 2.3 pitfalls on torch 2.13
    assert cfg["training"]["scheduling"] != "plateau" and cfg["fp16"] is False and cfg["use_cuda"] is False
    assert cfg["training"]["validation_freq"] % cfg["training"]["logging_freq"] == 0
    dec_cfg = peer.build_joeynmt_config(data, tmp_path / "run", settings, checkpoint=tmp_path / "x.ckpt",
                                        test_only=True)
    assert "train" not in dec_cfg["data"] and "dev" not in dec_cfg["data"]
    assert dec_cfg["testing"]["load_model"] == str(tmp_path / "x.ckpt")
    path = peer.write_yaml(cfg, tmp_path / "cfg.yaml")
    assert yaml.safe_load(path.read_text())["model_dir"] == str(tmp_path / "run")


def test_peer_settings_reads_tokenizer_casing(bench, prepared):
    settings = _settings(bench, prepared)
    assert settings["lowercase"] is True
    assert settings["detokenize"](["the", "cat", "eats", "."]) == "the cat eats."
    assert settings["batch_size"] >= 1 and settings["attention"] in ("bahdanau", "luong")


def test_score_is_case_insensitive_when_lowercased(bench):
    score = bench.vs_joeynmt_wordbridge.score
    refs = ["The cat eats the apple.", "It rains today."]
    bleu_lc, chrf_lc = score(["the cat eats the apple.", "it rains today."], refs, lowercase=True)
    bleu_cs, _ = score(["the cat eats the apple.", "it rains today."], refs, lowercase=False)
    assert bleu_lc == pytest.approx(100.0) and chrf_lc == pytest.approx(100.0) and bleu_cs < 100.0
    with pytest.raises(RuntimeError):
        score(["one"], refs, lowercase=True)


def test_history_rate_skips_warmup_window(bench, tmp_path):
    history = {"train": [{"step": 50, "items_per_s": 10.0}, {"step": 100, "items_per_s": 1000.0},
                         {"step": 150, "items_per_s": 1200.0}, {"step": 170, "items_per_s": 1100.0}]}
    (tmp_path / "history.json").write_text(json.dumps(history))
    rate, steps = bench.vs_joeynmt_wordbridge._history_rate(tmp_path)
    assert rate == 1100.0 and steps == 170


def test_table_has_both_columns_and_ratios(bench, tmp_path):
    peer, main = bench.vs_joeynmt_peer, bench.vs_joeynmt
    runs = {"wordbridge": [peer.TrainStats("wordbridge", tmp_path, 600.0, 1_200_000, 900, 800 * 2**20)],
            "joeynmt": [peer.TrainStats("joeynmt", tmp_path, 600.0, 600_000, 500, 1000 * 2**20)]}
    dec = {}
    for beam, (wb, jy) in {1: (30.0, 10.0), 5: (10.0, 2.0)}.items():
        dec[("wordbridge", beam)] = peer.DecodeStats("wordbridge", beam, 300, 300 / wb, [], 25.0, 50.0)
        dec[("joeynmt", beam)] = peer.DecodeStats("joeynmt", beam, 300, 300 / jy, [], 22.5, 47.0)
    args = main.parse_args(["--minutes", "10", "--work", str(tmp_path)])
    missed = main._row("x", 1.5, 1.0, 1, goal="throughput")
    assert missed[3:] == ["1.50x", ">= 2x: missed"]
    info = bench.common.machine_info()
    table = main.build_table(args, runs, dec, info, 300)
    squeezed = re.sub(r" +", " ", table)
    assert "| training throughput (target tokens/s) | 2,000 | 1,000 | 2.00x | >= 2x: met |" in squeezed
    assert "| decoding, greedy (sentences/s) | 30.0 | 10.0 | 3.00x | >= 3x: met |" in squeezed
    assert "| decoding, beam 5 (sentences/s) | 10.0 | 2.0 | 5.00x | >= 3x: met |" in squeezed
    assert "| test BLEU, greedy | 25.00 | 22.50 | +2.50 BLEU | >= +2: met |" in squeezed
    assert "0.80x" in table  # RAM ratio
    assert info["cpu"] in table and "JoeyNMT 2.3.0" in table
    assert f"Command: `python benchmarks/vs_joeynmt.py --minutes 10 --work {tmp_path}`" in table


def test_int8_rows_compare_with_joeynmt_and_with_fp32(bench, tmp_path):
    peer, main = bench.vs_joeynmt_peer, bench.vs_joeynmt
    args = main.parse_args(["--decode-only", "--work", str(tmp_path)])
    runs = {tk: [peer.TrainStats(tk, tmp_path, 0.0, None, None, 0)] for tk in ("wordbridge", "joeynmt")}
    dec = {}
    for beam in (1, 5):
        dec[("wordbridge", beam)] = peer.DecodeStats("wordbridge", beam, 300, 10.0, [], 8.00, 30.0)
        dec[("wordbridge-int8", beam)] = peer.DecodeStats("wordbridge", beam, 300, 5.0, [], 7.9 - beam / 10, 30.0)
        dec[("joeynmt", beam)] = peer.DecodeStats("joeynmt", beam, 300, 20.0, [], 6.00, 28.0)
    squeezed = re.sub(r" +", " ", main.build_table(args, runs, dec, bench.common.machine_info(), 300))
    assert "| decoding, greedy, int8 (sentences/s) | 60.0 | 15.0 | 4.00x | >= 3x: met |" in squeezed
    assert "| decoding, greedy (sentences/s) | 30.0 | 15.0 | 2.00x | >= 3x: missed |" in squeezed
    assert "| test BLEU, greedy, int8 | 7.80 | 6.00 | +1.80 BLEU | vs fp32 -0.20: within 0.3 |" in squeezed
    assert "| test BLEU, beam 5, int8 | 7.40 | 6.00 | +1.40 BLEU | vs fp32 -0.60: beyond 0.3 |" in squeezed


def test_quick_flag_shrinks_the_run(bench, tmp_path):
    args = bench.vs_joeynmt.parse_args(["--quick", "--work", str(tmp_path)])
    assert args.minutes <= 1.0 and args.test_sentences == 200 and args.out == tmp_path / "table.md"
    with pytest.raises(SystemExit):
        bench.vs_joeynmt.parse_args(["--minutes", "0"])


def test_decode_only_table_and_missing_runs(bench, tmp_path):
    peer, main = bench.vs_joeynmt_peer, bench.vs_joeynmt
    args = main.parse_args(["--decode-only", "--work", str(tmp_path)])
    with pytest.raises(RuntimeError, match="--decode-only needs trained models"):
        main.reuse_runs(args, tmp_path, {})
    (tmp_path / "wordbridge-run0").mkdir()
    (tmp_path / "wordbridge-run0" / "latest.pt").write_bytes(b"x")
    (tmp_path / "joeynmt-run0").mkdir()
    (tmp_path / "joeynmt-run0" / "latest.ckpt").write_bytes(b"x")
    runs = main.reuse_runs(args, tmp_path, {})
    assert runs["wordbridge"][0].run_dir == tmp_path / "wordbridge-run0"
    dec = {(tk, beam): peer.DecodeStats(tk, beam, 100, 1.0, [], 5.0, 20.0)
           for tk in ("wordbridge", "joeynmt") for beam in (1, 5)}
    table = main.build_table(args, runs, dec, bench.common.machine_info(), 100)
    assert "decoding only" in table and "decoding, beam 5" in table
    assert "training throughput" not in table and "peak RAM" not in table
