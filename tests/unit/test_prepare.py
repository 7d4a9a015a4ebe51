import json
import logging

import numpy as np
import pytest

from wordbridge.errors import ConfigError, DataError
from wordbridge.text.config import PrepareConfig
from wordbridge.text.pipeline import format_stats, prepare, split_indices, truncate
from wordbridge.text.prepared import PreparedData
from wordbridge.text.vocab import EOS

EN = ["What is light?", "Who are we?", "Where did we come from?", "The cat sat on the mat.", "I don't know.",
      "Which one is yours?", "It's a very long sentence with many many words in it to be truncated later on."]
FR = ["Qu'est-ce que la lumière ?", "Qui sommes-nous ?", "D'où venons-nous ?", "Le chat était assis sur le tapis.",
      "Je ne sais pas.", "Lequel est le vôtre ?",
      "C'est une très longue phrase avec beaucoup beaucoup de mots dedans à couper plus tard."]


def _files(tmp_path, n=200):
    fr = [f"{FR[i % len(FR)]} {i}" for i in range(n)]
    en = [f"{EN[i % len(EN)]} {i}" for i in range(n)]
    (tmp_path / "x.fr").write_text("\n".join(fr) + "\n", encoding="utf-8")
    (tmp_path / "x.en").write_text("\n".join(en) + "\n", encoding="utf-8")
    return fr, en


def _cfg(tmp_path, **kw):
    base = dict(src=str(tmp_path / "x.fr"), tgt=str(tmp_path / "x.en"), processes=1, src_vectors=None,
                tgt_vectors=None, filters=("dedup",), tokenizer="spacy")
    base.update(kw)
    return PrepareConfig(**base)


def test_prepare_writes_the_interface_layout(tmp_path):
    fr, en = _files(tmp_path)
    stats = prepare(_cfg(tmp_path), tmp_path / "out")
    out = tmp_path / "out"
    names = {p.name for p in out.iterdir()}
    for split in ("train", "valid", "test"):
        for side in ("src", "tgt"):
            assert {f"{split}.{side}.ids.npy", f"{split}.{side}.offsets.npy", f"{split}.{side}.txt"} <= names
    assert {"config.yaml", "stats.json", "vocab.src.json", "vocab.tgt.json", "tokenizer.json"} <= names
    assert "emb.src.npy" not in names  # no vectors asked for
    on_disk = json.loads((out / "stats.json").read_text())
    assert on_disk == stats
    for key in ("pairs_read", "pairs_kept", "src_vocab", "tgt_vocab", "src_coverage", "tgt_coverage"):
        assert key in stats
    assert stats["pairs_read"] == stats["pairs_kept"] == 200
    assert sum(stats["splits"].values()) == 200 and 2 <= stats["splits"]["test"] <= 20
    assert 10 <= stats["splits"]["valid"] <= 32  # the fractions (5%, 10%) up to chance: each pair's hash decides
    assert stats["pairs_distinct"] == 200 and stats["sources"] == {"x.fr": {
        "read": 200, "kept": 200, "capped": False, "removed": {"dedup": 0}, "skipped_files": 0,
        **{s: stats["splits"][s] for s in ("train", "valid", "test")}}}
    assert (out / "test.source.txt").read_text().split() == ["x.fr"] * stats["splits"]["test"]
    assert json.loads((out / "tokenizer.json").read_text()) == {
        "kind": "spacy", "lowercase": False, "src_lang": "fr", "tgt_lang": "en"}
    assert "pairs kept" in format_stats(stats)


def test_prepared_data_api(tmp_path):
    fr, en = _files(tmp_path)
    prepare(_cfg(tmp_path), tmp_path / "out")
    data = PreparedData.load(tmp_path / "out")
    src, tgt = data.split("train")
    raw_src, raw_tgt = data.raw("train")
    assert len(src) == len(tgt) == len(raw_src) == len(raw_tgt) == data.stats["splits"]["train"]
    assert all(row[-1] == EOS for row in src)
    i = raw_tgt.index("What is light? 0") if "What is light? 0" in raw_tgt else 0
    src_tok, tgt_tok = data.tokenizers()
    assert data.tgt_vocab.decode(tgt[i]) == tgt_tok.tokenize(raw_tgt[i])
    assert data.src_vocab.decode(src[i]) == src_tok.tokenize(raw_src[i])[: len(src[i]) - 1]
    assert data.embeddings() == (None, None)
    all_en = [line for s in ("train", "valid", "test") for line in data.raw(s)[1]]
    assert sorted(all_en) == sorted(en)  # every pair in exactly one split
    with pytest.raises(DataError, match="Valid: test, train, valid"):
        data.split("dev")


def test_split_is_deterministic_disjoint_and_the_same_for_a_pair_in_any_corpus():
    pairs = [(f"fr {i}", f"en {i}") for i in range(1000)]
    a = split_indices(pairs, 0.1, 0.05, 42)
    b = split_indices(pairs, 0.1, 0.05, 42)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert sorted(np.concatenate(list(a.values())).tolist()) == list(range(1000))
    assert 25 <= len(a["test"]) <= 75 and 70 <= len(a["valid"]) <= 130
    assert not np.array_equal(a["test"], split_indices(pairs, 0.1, 0.05, 7)["test"])
    # half the pairs, shuffled: every pair that is still there is in the same split as before
    subset = pairs[::2][::-1]
    c = split_indices(subset, 0.1, 0.05, 42)
    for name in ("train", "valid", "test"):
        assert {subset[i] for i in c[name]} == {pairs[i] for i in a[name]} & set(subset)
    tiny = split_indices(pairs[:3] + pairs[:3], 0.1, 0.05, 42)  # 3 pairs, twice: still one in test and valid
    assert [len(tiny[s]) for s in ("train", "valid", "test")] == [2, 2, 2]
    with pytest.raises(DataError, match="too few"):
        split_indices(pairs[:2], 0.5, 0.49, 42)


def test_truncate_to_percentile_keeps_room_for_eos():
    tokens = [["w"] * n for n in range(1, 101)]  # lengths with eos: 2..101
    cut, info = truncate(tokens, 90)
    assert info["max_len"] == int(np.percentile(np.arange(2, 102), 90))
    assert max(len(t) + 1 for t in cut) == info["max_len"]
    assert info["truncated"] == sum(1 for n in range(2, 102) if n > info["max_len"])


def test_vocab_built_from_train_only_and_limits(tmp_path):
    _files(tmp_path)
    stats = prepare(_cfg(tmp_path, max_vocab=10, test_fraction=0.0, valid_fraction=0.0), tmp_path / "out")
    assert stats["src_vocab"] == stats["tgt_vocab"] == 14  # 10 + 4 specials


def test_vectors_from_a_vec_file(tmp_path):
    _files(tmp_path)
    (tmp_path / "en.vec").write_text("3 4\nwhat 1 0 0 0\nlight 0 1 0 0\ncat 0 0 1 0\n", encoding="utf-8")
    stats = prepare(_cfg(tmp_path, tgt_vectors=str(tmp_path / "en.vec")), tmp_path / "out")
    src_emb, tgt_emb = PreparedData.load(tmp_path / "out").embeddings()
    assert src_emb is None and tgt_emb.shape == (stats["tgt_vocab"], 4) and tgt_emb.dtype == np.float32
    assert stats["vectors"]["tgt"]["found"] == 3 and 0 < stats["tgt_coverage"] < 1


def test_missing_vectors_give_one_warning_and_zero_coverage(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path / "home"))  # nothing fetched there
    _files(tmp_path)
    with caplog.at_level(logging.WARNING):
        stats = prepare(_cfg(tmp_path, tgt_vectors="en"), tmp_path / "out")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "wordbridge fetch en-vectors" in warnings[0].getMessage()
    assert stats["tgt_coverage"] == 0.0


def test_refuses_to_overwrite_and_leaves_nothing_on_failure(tmp_path):
    _files(tmp_path)
    prepare(_cfg(tmp_path), tmp_path / "out")
    with pytest.raises(DataError, match="--overwrite"):
        prepare(_cfg(tmp_path), tmp_path / "out")
    prepare(_cfg(tmp_path, lowercase=True), tmp_path / "out", overwrite=True)
    assert json.loads((tmp_path / "out" / "tokenizer.json").read_text())["lowercase"] is True
    (tmp_path / "x.en").write_text("only one line\n", encoding="utf-8")
    with pytest.raises(DataError, match="differ in length"):
        prepare(_cfg(tmp_path), tmp_path / "new")
    assert not (tmp_path / "new").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_config_checks(tmp_path):
    with pytest.raises(ConfigError, match="src and data.tgt go together"):
        prepare(PrepareConfig(src="a.fr"), tmp_path / "o")
    with pytest.raises(ConfigError, match="Unknown filter 'nope'"):
        prepare(PrepareConfig(filters=("nope",)), tmp_path / "o")
    with pytest.raises(ConfigError, match="valid_fraction"):
        prepare(PrepareConfig(valid_fraction=0.7, test_fraction=0.5), tmp_path / "o")


def test_sentencepiece_option(tmp_path):
    _files(tmp_path)
    stats = prepare(_cfg(tmp_path, tokenizer="sentencepiece", spm_vocab_size=60), tmp_path / "out")
    assert (tmp_path / "out" / "spm.src.model").is_file() and (tmp_path / "out" / "spm.tgt.model").is_file()
    data = PreparedData.load(tmp_path / "out")
    src_tok, tgt_tok = data.tokenizers()
    raw = data.raw("test")[1][0]
    assert tgt_tok.detokenize(tgt_tok.tokenize(raw)) == raw  # cased by default: the text comes back exactly, capitals kept
    assert stats["tokenizer"] == "sentencepiece"


def test_shared_pieces_give_one_model_and_one_vocabulary(tmp_path):
    _files(tmp_path)
    stats = prepare(_cfg(tmp_path, tokenizer="sentencepiece", spm_vocab_size=80, shared_pieces=True), tmp_path / "out")
    out = tmp_path / "out"
    assert (out / "spm.src.model").read_bytes() == (out / "spm.tgt.model").read_bytes()
    data = PreparedData.load(out)
    assert data.src_vocab == data.tgt_vocab and stats["shared_pieces"] is True
    src_tok, tgt_tok = data.tokenizers()
    fr, en = data.raw("test")[0][0], data.raw("test")[1][0]
    assert tgt_tok.detokenize(tgt_tok.tokenize(en)) == en and src_tok.detokenize(src_tok.tokenize(fr)) == fr
    ids = {int(i) for side in data.split("train") for row in side for i in row}
    assert len(ids) > 0.8 * len(data.src_vocab)  # both languages' pieces live in the one vocabulary
    with pytest.raises(ConfigError, match="shared_pieces needs data.tokenizer: sentencepiece"):
        prepare(_cfg(tmp_path, shared_pieces=True), tmp_path / "o2")
    assert not (tmp_path / "o2").exists()


def test_sentencepiece_pieces_start_from_word_vectors(tmp_path):
    _files(tmp_path)
    words = sorted({w.strip("?.!'").lower() for line in EN for w in line.split()} - {""})
    rng = np.random.default_rng(0)
    vec = tmp_path / "en.vec"
    vec.write_text(f"{len(words)} 4\n" + "".join(f"{w} {' '.join(f'{x:.3f}' for x in rng.normal(size=4))}\n"
                                                 for w in words), encoding="utf-8")
    stats = prepare(_cfg(tmp_path, tokenizer="sentencepiece", spm_vocab_size=60, tgt_vectors=str(vec)),
                    tmp_path / "out")
    report = stats["vectors"]["tgt"]
    assert report["init"].get("word", 0) + report["init"].get("mean_started", 0) > 0  # piece vectors, not random
    assert report["found"] == report["words"] - report["init"].get("random", 0)
    emb = np.load(tmp_path / "out" / "emb.tgt.npy")
    assert emb.shape == (stats["tgt_vocab"], 4)
