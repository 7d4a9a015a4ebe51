"""The Transformer end to end on tiny generated data: prepare -> train (label smoothing, warm-up) -> resume ->
lr-find -> translate with a heatmap -> export to CTranslate2 -> translate / evaluate / the web app on the export,
with the same outputs as torch."""

import json

import pytest
import torch
from fastapi.testclient import TestClient

from wordbridge.cli import main
from wordbridge.serve.app import create_app
from wordbridge.translate.translator import Translator

@pytest.fixture(scope="module")
def work(tmp_path_factory, cli_trained_run):
    return cli_trained_run(
        tmp_path_factory.mktemp("transformer_cli"),
        "  arch: transformer\n  transformer: {d_model: 32, heads: 4, ff_size: 64, enc_layers: 2, "
        "dec_layers: 2, dropout: 0.0, attn_dropout: 0.0}\n",
        "  epochs: 6\n  batch_size: 8\n  lr: 0.003\n  threads: 1\n  log_every: 1\n  schedule: constant\n"
        "  warmup_steps: 5\n  label_smoothing: 0.1\n  valid_bleu_sentences: 4\n")


def test_training_writes_a_transformer_run_with_warmup(work):
    _, _, run = work
    ckpt = torch.load(run / "latest.pt", weights_only=True)
    assert ckpt["model_args"]["config"]["arch"] == "transformer"
    train = json.loads((run / "history.json").read_text())["train"]
    lrs = [r["lr"] for r in train]
    assert lrs[:5] == pytest.approx([0.003 * (i + 1) / 5 for i in range(5)])  # linear warm-up, then constant
    assert lrs[5:] == pytest.approx([0.003] * len(lrs[5:]))
    assert train[-1]["loss"] < train[0]["loss"]


def test_resume_and_lr_find(work, tmp_path, capsys):
    _, config, _ = work
    run = tmp_path / "resumed"
    assert main(["train", str(config), "--run-dir", str(run), "--set", "train.epochs=1"]) == 0
    step1 = torch.load(run / "latest.pt", weights_only=True)["step"]
    assert main(["train", str(config), "--run-dir", str(run), "--resume", "--set", "train.epochs=2"]) == 0
    assert torch.load(run / "latest.pt", weights_only=True)["step"] == 2 * step1
    assert main(["lr-find", str(config), "--png", str(tmp_path / "lr.png"), "--steps", "6"]) == 0
    assert (tmp_path / "lr.png").is_file() and "suggested lr" in capsys.readouterr().out


def test_heatmap_export_and_ctranslate2_outputs_equal_torch(work, tiny_pairs, capsys):
    root, _, run = work
    fr, _ = tiny_pairs
    png = root / "attention.png"
    assert main(["translate", str(run), fr[0], "--plot-attention", str(png)]) == 0
    torch_text = capsys.readouterr().out
    assert png.is_file() and png.stat().st_size > 1000
    assert main(["export", str(run), "--format", "ctranslate2", "--quantization", "float32", "--out",
                 str(root / "ct2")]) == 0
    capsys.readouterr()
    assert main(["translate", str(root / "ct2"), fr[0]]) == 0
    assert capsys.readouterr().out == torch_text
    results = {}
    for engine, folder in (("torch", run), ("ctranslate2", root / "ct2")):  # greedy: the engines' beams differ
        assert main(["evaluate", str(folder), "--src", str(root / "fr.txt"), "--ref", str(root / "en.txt"),
                     "--json", "--beam", "1"]) == 0
        results[engine] = json.loads(capsys.readouterr().out)
    assert results["ctranslate2"]["engine"] == "ctranslate2" and results["torch"]["engine"] == "torch"
    assert results["ctranslate2"]["bleu"] == pytest.approx(results["torch"]["bleu"])
    assert results["ctranslate2"]["loss"] == pytest.approx(results["torch"]["loss"], rel=1e-4)


def test_the_page_api_serves_the_export_with_heatmaps(work, tiny_pairs):
    root, _, run = work
    fr, _ = tiny_pairs
    if not (root / "ct2").is_dir():
        assert main(["export", str(run), "--quantization", "float32", "--out", str(root / "ct2")]) == 0
    with TestClient(create_app(Translator.load(root / "ct2"), None)) as client:
        r = client.post("/api/translate", json={"text": fr[1], "attention": True})
    assert r.status_code == 200
    (t,) = r.json()["translations"]
    assert t["src_tokens"] == fr[1].split() and len(t["attention"]) == len(t["tokens"])
    assert all(len(row) == len(t["src_tokens"]) for row in t["attention"])


def test_shared_pieces_and_tied_embeddings_train_export_and_refuse_two_vocabularies(work, tiny_pairs, tmp_path,
                                                                                      capsys):
    root, config, _ = work
    fr, _ = tiny_pairs
    prep, run = tmp_path / "prep", tmp_path / "tied"
    assert main(["prepare", str(config), "--src", str(root / "fr.txt"), "--tgt", str(root / "en.txt"), "--out",
                 str(prep), "--set", "data.tokenizer=sentencepiece", "--set", "data.shared_pieces=true",
                 "--set", "data.spm_vocab_size=60"]) == 0
    tied = ["--set", "model.tie_embeddings=true", "--set", "train.epochs=2"]
    assert main(["train", str(config), "--run-dir", str(run), "--set", f"data.out={prep}", *tied]) == 0
    state = torch.load(run / "latest.pt", weights_only=True)["model"]
    assert torch.equal(state["src_emb.weight"], state["tgt_emb.weight"])
    assert main(["export", str(run), "--format", "ctranslate2", "--quantization", "float32", "--out",
                 str(tmp_path / "ct2")]) == 0
    capsys.readouterr()
    outputs = []
    for folder in (run, tmp_path / "ct2"):
        assert main(["translate", str(folder), fr[0], "--beam", "1"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert main(["train", str(config), "--run-dir", str(tmp_path / "refused"), *tied]) == 2  # two vocabularies
    err = capsys.readouterr().err.strip()
    assert "data.shared_pieces=true" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "refused").exists()
