"""DDP on CPU: 2 gloo processes launched by torchrun (127.0.0.1, a free port) against 1 process, tiny model."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from wordbridge.train.checkpoint import load_checkpoint

WORKER = textwrap.dedent('''
    import logging
    import sys
    import torch
    from torch.utils.data import DataLoader, TensorDataset
    from wordbridge.train import distributed
    from wordbridge.train.config import TrainConfig
    from wordbridge.train.distributed import ShardedBatchSampler
    from wordbridge.train.hooks import FunctionHook
    from wordbridge.train.loop import fit

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    run_dir, steps, resume, dump_at = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", int(sys.argv[4])
    info = distributed.init_from_env("cpu")
    assert distributed.main_first(lambda: info.rank, info) == 0  # rank 0's result on every rank
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(256, 6, generator=gen)
    y = torch.sin(x @ torch.randn(6, 1, generator=gen)).squeeze(-1)
    sampler = ShardedBatchSampler(256, 32, seed=1, num_replicas=info.world_size, rank=info.rank)
    train = DataLoader(TensorDataset(x, y), batch_sampler=sampler)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))

    def batch_loss(m, batch):
        xb, yb = batch
        return torch.nn.functional.mse_loss(m(xb).squeeze(-1), yb), yb.shape[0]

    def dump(trainer):
        if trainer.step == dump_at and trainer.is_main:
            torch.save(trainer.model.state_dict(), f"{run_dir}/step{dump_at}.pt")

    cfg = TrainConfig(max_steps=steps, lr=1e-2, schedule="constant", log_every=1, threads=1, clip_grad=None)
    fit(model, batch_loss, train, None, cfg, run_dir=run_dir, kind="toy", resume=resume,
        hooks=[FunctionHook(after_batch=dump)])
    distributed.cleanup()
''')


def _run(tmp_path, run_dir, steps, nproc, resume=False, dump_at=0, master_port=None):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    args = [str(script), str(run_dir), str(steps), "1" if resume else "0", str(dump_at)]
    if nproc > 1:
        assert master_port is not None, "several processes need a free master_port"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", f"--nproc_per_node={nproc}",
               "--master_addr=127.0.0.1", f"--master_port={master_port}", *args]
    else:
        cmd = [sys.executable, *args]
    env = dict(os.environ, OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1")
    if os.path.exists("/sys/class/net/lo"):
        env["GLOO_SOCKET_IFNAME"] = "lo"
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _assert_close(a: dict, b: dict):
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-5)


def test_two_processes_match_one_and_resume(tmp_path, free_port):
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    _run(tmp_path, single, steps=8, nproc=1, dump_at=4)
    out = _run(tmp_path, ddp, steps=4, nproc=2, master_port=free_port())
    assert out.stderr.count("training toy:") == 1  # only rank 0 logs

    # 2 processes x 16 items == 1 process x 32 items, step for step
    at4 = load_checkpoint(ddp / "latest.pt", kind="toy")
    assert at4["step"] == 4
    _assert_close(at4["model"], torch.load(single / "step4.pt", weights_only=True))

    _run(tmp_path, ddp, steps=8, nproc=2, resume=True, master_port=free_port())
    at8 = load_checkpoint(ddp / "latest.pt", kind="toy")
    assert at8["step"] == 8
    _assert_close(at8["model"], load_checkpoint(single / "latest.pt")["model"])

    losses = [r["loss"] for r in json.loads((ddp / "history.json").read_text())["train"]]
    assert len(losses) == 8 and losses[-1] < losses[0]
    assert sorted(p.name for p in ddp.iterdir()) == ["history.json", "latest.pt", "loss.png"]


TRANSLATE_FR = ["le chat est noir .", "le chien est blanc .", "la maison est grande .", "je mange une pomme .",
                "où est la gare ?", "nous aimons la musique .", "elle lit un livre .", "le ciel est bleu ."]
TRANSLATE_EN = ["the cat is black .", "the dog is white .", "the house is big .", "i eat an apple .",
                "where is the station ?", "we love music .", "she reads a book .", "the sky is blue ."]
TRANSLATE_MODELS = {
    "gru": "model:\n  emb_size_src: 16\n  emb_size_tgt: 16\n  hidden: 16\n  layers: 1\n",
    "transformer": "model:\n  arch: transformer\n  transformer: {d_model: 16, heads: 2, ff_size: 32, enc_layers: 1, "
                   "dec_layers: 1}\n",
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    from wordbridge.cli import main

    root = tmp_path_factory.mktemp("ddp_translate")
    (root / "fr.txt").write_text("\n".join(TRANSLATE_FR * 6) + "\n", encoding="utf-8")
    (root / "en.txt").write_text("\n".join(TRANSLATE_EN * 6) + "\n", encoding="utf-8")
    config = root / "prep.yaml"
    config.write_text(f"data:\n  out: {root / 'prep'}\n  src_vectors: null\n  tgt_vectors: null\n  filters: []\n"
                      "  tokenizer: spacy\n  processes: 1\n", encoding="utf-8")
    assert main(["prepare", str(config), "--src", str(root / "fr.txt"), "--tgt", str(root / "en.txt")]) == 0
    return root / "prep"


@pytest.mark.parametrize("arch", ["gru", "transformer"])
def test_wordbridge_train_under_torchrun_for_both_archs(tmp_path, prepared, arch, free_port):
    """`wordbridge train` under torchrun (2 gloo processes): rank 0 alone logs and writes; --resume continues."""
    config = tmp_path / "train.yaml"
    config.write_text(f"data:\n  out: {prepared}\n{TRANSLATE_MODELS[arch]}"
                      "train:\n  epochs: 1\n  batch_size: 4\n  lr: 0.003\n  threads: 1\n  log_every: 1\n"
                      "  valid_bleu_sentences: 2\n  label_smoothing: 0.1\n  warmup_steps: 2\n", encoding="utf-8")
    script = tmp_path / "cli.py"
    script.write_text("import sys\nfrom wordbridge.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    run = tmp_path / "run"

    def torchrun(*args):
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
               "--master_addr=127.0.0.1", f"--master_port={free_port()}", str(script), "train", str(config),
               "--run-dir", str(run), *args]
        env = dict(os.environ, OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1")
        if os.path.exists("/sys/class/net/lo"):
            env["GLOO_SOCKET_IFNAME"] = "lo"
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    out = torchrun()
    assert out.stdout.count("stopped (") == 1 and out.stderr.count("training translate:") == 1  # rank 0 only
    first = load_checkpoint(run / "latest.pt", kind="translate")
    assert first["model_args"]["config"]["arch"] == arch and first["epoch"] == 1 and first["step"] > 0
    out = torchrun("--resume", "--set", "train.epochs=2")
    again = load_checkpoint(run / "latest.pt", kind="translate")
    assert again["epoch"] == 2 and again["step"] == 2 * first["step"]
    assert "resumed from" in (run / "log.txt").read_text()
