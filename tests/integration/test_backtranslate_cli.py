"""End to end on tiny data: an en-fr run (data.direction), `wordbridge backtranslate` (resume after an interruption,
bad input) and `prepare` taking the synthetic corpus as a tagged train-only source."""

import json

import pytest
import yaml

from wordbridge.cli import main as cli_main
from wordbridge.errors import DataError
from wordbridge.serve.server import load_models
from wordbridge.text.extra_sources import BT_TAG, SYNTHETIC_EN, SYNTHETIC_FR
from wordbridge.text.prepared import PreparedData
from wordbridge.translate.backtranslate import CHUNKS, DONE

ENGLISH = [f"the {a} is {b} ." for a in ("cat", "dog", "house", "sky", "book") for b in ("black", "white", "big",
                                                                                       "blue", "red")]


@pytest.fixture(scope="module")
def reverse(tmp_path_factory, cli_trained_run):
    """An en-fr run of the tiny pairs: ROOT/prep, ROOT/run, config ROOT/tiny.yaml; English input ROOT/english.txt."""
    root, _, _ = cli_trained_run(tmp_path_factory.mktemp("backtranslate"),
                                 "  emb_size_src: 16\n  emb_size_tgt: 16\n  hidden: 16\n",
                                 "  epochs: 2\n  batch_size: 8\n  lr: 0.01\n  threads: 1\n  log_every: 1\n"
                                 "  valid_bleu_sentences: 4\n", data_yaml="  direction: en-fr\n")
    (root / "english.txt").write_text("\n".join(ENGLISH) + "\n\n", encoding="utf-8")
    return root


def test_the_reverse_run_records_its_direction(reverse, capsys):
    run = reverse / "run"
    assert json.loads((run / "tokenizer.json").read_text())["src_lang"] == "en"
    assert yaml.safe_load((run / "config.yaml").read_text())["data"]["direction"] == "en-fr"
    assert json.loads((reverse / "prep" / "stats.json").read_text())["direction"] == "en-fr"
    assert cli_main(["translate", str(run), "the cat is black .", "--direction", "fr-en"]) == 2
    assert "translates en-fr, not --direction fr-en" in capsys.readouterr().err


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("decoding", [[], ["--sampling", "--topk", "5", "--seed", "3"]])
def test_backtranslate_resumes_after_an_interruption(reverse, decoding, capsys):
    args = ["backtranslate", str(reverse / "run"), "--input", str(reverse / "english.txt"), "--chunk-lines", "10",
            *decoding]
    tag = "s" if decoding else "g"
    whole, cut = reverse / f"whole-{tag}", reverse / f"cut-{tag}"
    assert cli_main([*args, "--out", str(whole)]) == 0
    assert cli_main([*args, "--out", str(cut), "--max-chunks", "1"]) == 0  # interrupted after one chunk
    assert "run the same command again" in capsys.readouterr().out
    assert sorted(p.name for p in (cut / CHUNKS).iterdir()) == ["000000.tsv"]
    assert not (cut / SYNTHETIC_FR).exists() and not (cut / DONE).exists()
    (cut / CHUNKS / ".000001.tsv.x1y2.tmp").write_text("half a chunk\t", encoding="utf-8")  # a kill mid-write
    first = (cut / CHUNKS / "000000.tsv").stat().st_mtime_ns
    assert cli_main([*args, "--out", str(cut)]) == 0
    assert (cut / CHUNKS / "000000.tsv").stat().st_mtime_ns == first  # the finished chunk was kept
    assert _lines(cut / SYNTHETIC_EN) == ENGLISH == _lines(whole / SYNTHETIC_EN)
    assert _lines(cut / SYNTHETIC_FR) == _lines(whole / SYNTHETIC_FR)  # as if never interrupted
    assert len(_lines(cut / SYNTHETIC_FR)) == len(ENGLISH)
    assert json.loads((cut / DONE).read_text())["lines"] == len(ENGLISH)
    (cut / SYNTHETIC_FR).write_text("cut short\n", encoding="utf-8")  # a crash while assembling
    assert cli_main([*args, "--out", str(cut)]) == 0  # rebuilt from the chunks
    assert _lines(cut / SYNTHETIC_FR) == _lines(whole / SYNTHETIC_FR)


def test_prepare_takes_the_synthetic_corpus_as_a_tagged_source(reverse, tiny_pairs):
    bt = reverse / "bt"
    assert cli_main(["backtranslate", str(reverse / "run"), "--input", str(reverse / "english.txt"), "--out",
                     str(bt)]) == 0
    extra = f"data.extra_sources=[{{path: {bt}, name: backtranslated, tag: true}}]"
    common = ["--src", str(reverse / "fr.txt"), "--tgt", str(reverse / "en.txt"), "--set", "data.src_vectors=null",
              "--set", "data.tgt_vectors=null", "--set", "data.tokenizer=spacy", "--set", "data.processes=1"]
    assert cli_main(["prepare", *common, "--set", extra, "--out", str(reverse / "prep-bt")]) == 0
    data = PreparedData.load(reverse / "prep-bt")
    assert data.sources("train").count("backtranslated") > 0
    assert "backtranslated" not in data.sources("valid") + data.sources("test")
    assert BT_TAG in data.src_vocab
    src, _ = data.split("train")
    tagged = [int(src[i][0]) == data.src_vocab.lookup(BT_TAG) for i in range(len(src))]
    assert tagged == [s == "backtranslated" for s in data.sources("train")]


def test_bad_input_is_one_line_and_writes_nothing(reverse, tiny_run, tmp_path, capsys):
    forward = tiny_run(tmp_path / "fwd", list(zip(*tiny_pairs_list())), model={"emb_size_src": 8, "emb_size_tgt": 8,
                                                                                "hidden": 8}).folder
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("the café is open .\n".encode("latin-1"))
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n", encoding="utf-8")
    cases = [(forward, reverse / "english.txt", "translates fr-en, but backtranslate needs a en-fr model"),
             (reverse / "run", latin1, "is not UTF-8 text (line 1"),
             (reverse / "run", blank, "holds no sentence")]
    for run, source, message in cases:
        out = tmp_path / "out"
        assert cli_main(["backtranslate", str(run), "--input", str(source), "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1
        assert not out.exists()
    other = reverse / "other"
    assert cli_main(["backtranslate", str(reverse / "run"), "--input", str(reverse / "english.txt"), "--out",
                     str(other), "--max-chunks", "0"]) == 0
    assert cli_main(["backtranslate", str(reverse / "run"), "--input", str(reverse / "english.txt"), "--out",
                     str(other), "--beam", "2"]) == 2
    assert "holds another back-translation" in capsys.readouterr().err


def tiny_pairs_list():
    return ["le chat est noir .", "le chien est blanc ."], ["the cat is black .", "the dog is white ."]


def test_serve_refuses_a_reverse_run(reverse):
    with pytest.raises(DataError, match="translates en-fr, but serve"):
        load_models([reverse / "run"])


def test_an_exported_reverse_transformer_back_translates_with_ctranslate2(reverse, capsys):
    config = reverse / "rev-tf.yaml"
    config.write_text((reverse / "tiny.yaml").read_text(encoding="utf-8").replace(
        "model:\n  emb_size_src: 16\n  emb_size_tgt: 16\n  hidden: 16\n",
        "model:\n  arch: transformer\n  transformer: {d_model: 16, heads: 2, ff_size: 32, enc_layers: 1, "
        "dec_layers: 1, dropout: 0.0, attn_dropout: 0.0}\n"), encoding="utf-8")
    run = reverse / "rev-tf"
    assert cli_main(["train", str(config), "--run-dir", str(run)]) == 0
    assert cli_main(["export", str(run), "--quantization", "int8"]) == 0
    for decoding in (["--sampling", "--topk", "3"], ["--beam", "2"]):
        out = reverse / f"bt-ct2-{decoding[0]}"
        args = ["backtranslate", str(run), "--input", str(reverse / "english.txt"), "--out", str(out),
                "--chunk-lines", "10", *decoding]
        assert cli_main(args) == 0
        assert "ctranslate2" in capsys.readouterr().out
        assert _lines(out / SYNTHETIC_EN) == ENGLISH and len(_lines(out / SYNTHETIC_FR)) == len(ENGLISH)
    first = _lines(reverse / "bt-ct2---sampling" / SYNTHETIC_FR)
    (reverse / "bt-ct2---sampling" / CHUNKS / "000001.tsv").unlink()  # redo one chunk: same seed, same draws
    assert cli_main(["backtranslate", str(run), "--input", str(reverse / "english.txt"), "--out",
                     str(reverse / "bt-ct2---sampling"), "--chunk-lines", "10", "--sampling", "--topk", "3"]) == 0
    assert _lines(reverse / "bt-ct2---sampling" / SYNTHETIC_FR) == first
