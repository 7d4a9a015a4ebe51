"""Checkpoint averaging: training keeps the last N weights (train.keep_checkpoints), `wordbridge average` writes
their mean as a new run folder, and refuses too few checkpoints or checkpoints of different shapes."""

import torch

from wordbridge.cli import main
from wordbridge.train.checkpoint import load_checkpoint
from wordbridge.train.runstate import RunFiles, list_snapshots, snapshot_step
from wordbridge.translate.model import KIND, Seq2Seq, load_model
from wordbridge.translate.config import ModelConfig
from wordbridge.translate.translator import Translator

PAIRS = [("le chat est noir .", "the cat is black ."), ("le chien est blanc .", "the dog is white .")]
TINY = {"emb_size_src": 8, "emb_size_tgt": 8, "hidden": 8, "layers": 1}


def _run_with_snapshots(tiny_run, folder, seeds, hidden=8):
    """A run folder whose checkpoints/ holds one random Seq2Seq per seed (steps 10, 20, ...); returns the models."""
    run = tiny_run(folder, PAIRS, model=TINY)
    (folder / "config.yaml").write_text("model: {}\n", encoding="utf-8")
    models = []
    for i, seed in enumerate(seeds):
        torch.manual_seed(seed)
        net = Seq2Seq(ModelConfig(**{**TINY, "hidden": hidden}), len(run.src_vocab), len(run.tgt_vocab))
        files = RunFiles(folder, kind=KIND, model_args=net.model_args(), keep=len(seeds))
        files.save("latest.pt", {"train": [], "valid": []}, model=net, step=10 * (i + 1), epoch=i)
        models.append(net)
    return run, models


def test_keep_checkpoints_keeps_only_the_newest_weights(tmp_path):
    net = Seq2Seq(ModelConfig(**TINY), 12, 12)
    files = RunFiles(tmp_path, kind=KIND, model_args=net.model_args(), keep=2)
    for step in (5, 10, 15):
        files.save("latest.pt", {"train": [], "valid": []}, model=net, step=step)
    kept = list_snapshots(tmp_path)
    assert [snapshot_step(p) for p in kept] == [10, 15]
    ckpt = load_checkpoint(kept[-1], KIND)
    assert ckpt["optimizer"] is None and ckpt["step"] == 15  # weights only


def test_average_is_the_mean_of_the_last_two(tmp_path, tiny_run, capsys):
    run_dir = tmp_path / "run"
    run, (a, b, c) = _run_with_snapshots(tiny_run, run_dir, seeds=(1, 2, 3))
    assert main(["average", str(run_dir), "--last", "2"]) == 0
    out = tmp_path / "run-avg2"
    model, ckpt = load_model(out / "best.pt")
    assert ckpt["extra"]["averaged_steps"] == [20, 30]
    for name, tensor in model.state_dict().items():
        expected = (b.state_dict()[name] + c.state_dict()[name]) / 2
        torch.testing.assert_close(tensor, expected)
    assert not torch.equal(model.state_dict()["encoder.emb.weight"], a.state_dict()["encoder.emb.weight"])
    assert (out / "vocab.src.json").is_file() and (out / "average.json").is_file()
    assert Translator.load(out, device="cpu").translate(["le chat est noir ."])[0].tokens  # usable as a run
    assert "run-avg2" in capsys.readouterr().out


def test_refuses_fewer_checkpoints_than_asked(tmp_path, tiny_run, capsys):
    run_dir = tmp_path / "run"
    _run_with_snapshots(tiny_run, run_dir, seeds=(1, 2))
    assert main(["average", str(run_dir), "--last", "3"]) == 2
    err = capsys.readouterr().err
    assert "fewer than --last 3" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run-avg3").exists()


def test_refuses_checkpoints_of_different_shapes(tmp_path, tiny_run, capsys):
    run_dir = tmp_path / "run"
    run, _ = _run_with_snapshots(tiny_run, run_dir, seeds=(1, 2))
    torch.manual_seed(3)
    wide = Seq2Seq(ModelConfig(**{**TINY, "hidden": 12}), len(run.src_vocab), len(run.tgt_vocab))
    RunFiles(run_dir, kind=KIND, model_args=wide.model_args(), keep=5).save(
        "latest.pt", {"train": [], "valid": []}, model=wide, step=40)
    assert main(["average", str(run_dir), "--last", "2"]) == 2
    err = capsys.readouterr().err
    assert "different" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run-avg2").exists()
