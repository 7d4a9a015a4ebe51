"""kill -9 in the middle of `wordbridge train` (tiny model, latest.pt every few hundred ms by train.checkpoint_minutes),
then `--resume`: the run continues from the step latest.pt holds and no checkpoint or history file is left corrupt.
(That resume reproduces an uninterrupted run exactly is tested with a moved clock in tests/unit/test_loop.py.)"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from wordbridge.cli import main
from wordbridge.errors import CheckpointError
from wordbridge.train.checkpoint import load_checkpoint

FR = ["le chat est noir .", "le chien est blanc .", "où est la gare ?", "la maison est grande .",
      "je mange une pomme .", "nous aimons la musique .", "elle lit un livre .", "le ciel est bleu ."]
EN = ["the cat is black .", "the dog is white .", "where is the station ?", "the house is big .",
      "i eat an apple .", "we love music .", "she reads a book .", "the sky is blue ."]
MORE_STEPS = 10  # the resumed run stops this many steps after the one it continues from
TIMEOUT = 300


@pytest.fixture()
def work(tmp_path):
    (tmp_path / "fr.txt").write_text("\n".join(FR * 40) + "\n", encoding="utf-8")  # 64 batches per epoch
    (tmp_path / "en.txt").write_text("\n".join(EN * 40) + "\n", encoding="utf-8")
    config = tmp_path / "tiny.yaml"
    config.write_text(
        f"data:\n  out: {tmp_path / 'prep'}\n  src_vectors: null\n  tgt_vectors: null\n  filters: []\n"
        "  tokenizer: spacy\n"
        "  processes: 1\n  valid_fraction: 0.1\n  test_fraction: 0.1\n"
        "model:\n  emb_size_src: 8\n  emb_size_tgt: 8\n  hidden: 8\n"
        "train:\n  max_steps: 100000\n  batch_size: 4\n  threads: 1\n  log_every: 5\n"  # runs until killed
        "  valid_bleu_sentences: 0\n  checkpoint_minutes: 0.004\n",  # latest.pt every 240 ms of training
        encoding="utf-8")
    assert main(["prepare", str(config), "--src", str(tmp_path / "fr.txt"), "--tgt", str(tmp_path / "en.txt")]) == 0
    return tmp_path, config


def _train(config, run, *extra):
    cmd = [sys.executable, "-m", "wordbridge", "train", str(config), "--run-dir", str(run), *extra]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _saved_step(path) -> int | None:
    try:
        return load_checkpoint(path, "translate")["step"]
    except CheckpointError:  # not written yet
        return None


def test_sigkill_mid_run_then_resume_continues_from_latest(work):
    root, config = work
    run = root / "run"
    proc = _train(config, run)
    deadline = time.monotonic() + TIMEOUT
    try:
        while (_saved_step(run / "latest.pt") or 0) < 10:  # a few clock checkpoints written
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "no latest.pt after a few minutes"
            time.sleep(0.05)
        time.sleep(random.uniform(0.0, 0.3))  # anywhere, a checkpoint write included
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    latest = load_checkpoint(run / "latest.pt", "translate")  # a whole checkpoint, never a torn one
    step = latest["step"]
    assert step >= 10 and latest["optimizer"] and latest["rng"]
    if (run / "best.pt").exists():
        load_checkpoint(run / "best.pt", "translate")
    json.loads((run / "history.json").read_text(encoding="utf-8"))

    resumed = _train(config, run, "--resume", "--set", f"train.max_steps={step + MORE_STEPS}")
    _, err = resumed.communicate(timeout=TIMEOUT)
    assert resumed.returncode == 0, err
    assert f"resumed from {run / 'latest.pt'}: step {step}," in (run / "log.txt").read_text(encoding="utf-8")
    assert load_checkpoint(run / "latest.pt", "translate")["step"] == step + MORE_STEPS
    assert not list(run.glob(".*.tmp"))  # what the kill left half-written is gone
