import random

import numpy as np
import pytest
import torch

from wordbridge.errors import CheckpointError
from wordbridge.train.checkpoint import (capture_rng, check_compatible, load_checkpoint, load_model_state,
                                         restore_rng, save_checkpoint)


def _model(hidden=3):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))


def _save(path, model, kind="toy"):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.8, 0.99))
    model(torch.randn(2, 4)).sum().backward()
    opt.step()
    return save_checkpoint(path, kind=kind, model=model, optimizer=opt, model_args={"hidden": 3},
                           config={"train": {"lr": 1e-3}}, step=7, epoch=1, batch_in_epoch=2,
                           schedule={"step": 7, "total_steps": 20, "pos": 0.35}, best={"metric": "loss", "value": 1.5})


def test_roundtrip_restores_everything(tmp_path):
    model = _model()
    path = _save(tmp_path / "latest.pt", model)
    ckpt = load_checkpoint(path, kind="toy")
    assert ckpt["step"] == 7 and ckpt["epoch"] == 1 and ckpt["batch_in_epoch"] == 2
    assert ckpt["model_args"] == {"hidden": 3} and ckpt["config"]["train"]["lr"] == 1e-3
    assert ckpt["schedule"]["total_steps"] == 20 and ckpt["best"]["value"] == 1.5
    fresh = _model()
    with torch.no_grad():
        for p in fresh.parameters():
            p.zero_()
    load_model_state(fresh, ckpt["model"], path)
    for a, b in zip(model.parameters(), fresh.parameters()):
        assert torch.equal(a, b)
    opt = torch.optim.Adam(fresh.parameters(), lr=1e-3)
    opt.load_state_dict(ckpt["optimizer"])
    assert opt.param_groups[0]["betas"] == (0.8, 0.99)
    assert [f.name for f in tmp_path.iterdir()] == ["latest.pt"]  # atomic: no temp file left


def test_rng_roundtrip():
    state = capture_rng()
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    restore_rng(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_rng_state_survives_weights_only(tmp_path):
    model = _model()
    path = _save(tmp_path / "a.pt", model)
    expected = torch.rand(3)  # the first draw after the state was saved
    ckpt = load_checkpoint(path)
    torch.rand(5)
    restore_rng(ckpt["rng"])
    assert torch.equal(torch.rand(3), expected)


def test_wrong_kind(tmp_path):
    path = _save(tmp_path / "a.pt", _model(), kind="devise")
    with pytest.raises(CheckpointError, match="is a 'devise' checkpoint, expected 'translate'"):
        load_checkpoint(path, kind="translate")


def test_missing_corrupt_and_foreign_files(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pt")
    good = _save(tmp_path / "good.pt", _model())
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(truncated)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"this is not a checkpoint at all\n" * 10)
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(garbage)
    plain = tmp_path / "plain.pt"
    torch.save({"weight": torch.zeros(2)}, plain)
    with pytest.raises(CheckpointError, match="not a wordbridge checkpoint"):
        load_checkpoint(plain)
    pickled = tmp_path / "module.pt"
    torch.save(_model(), pickled)  # a whole pickled module: refused by weights_only
    with pytest.raises(CheckpointError, match="not a wordbridge checkpoint"):
        load_checkpoint(pickled)


def test_errors_are_one_line(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00\x01junk")
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(garbage)
    assert "\n" not in str(info.value)


def test_other_shapes_and_names(tmp_path):
    path = _save(tmp_path / "a.pt", _model(hidden=3))
    ckpt = load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"another shape: 0.weight is \(3, 4\) there, \(5, 4\) here"):
        load_model_state(_model(hidden=5), ckpt["model"], path)
    other = torch.nn.Linear(4, 1)
    with pytest.raises(CheckpointError, match="different model: missing weight, bias; unexpected 0.weight"):
        check_compatible(other, ckpt["model"], path)
