import dataclasses
from typing import NamedTuple

import pytest
import torch

from wordbridge.errors import ConfigError
from wordbridge.train.config import TrainConfig
from wordbridge.train.runtime import adam, clip_grad_norm, param_groups, resolve_precision, to_device


def _grads(seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Linear(7, 2))
    (model(torch.randn(3, 5)) * 100).sum().backward()
    return model


@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_matches_torch(max_norm):
    ours, ref = _grads(), _grads()
    norm = clip_grad_norm(list(ours.parameters()), max_norm)
    ref_norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), max_norm)
    torch.testing.assert_close(norm, ref_norm)
    for a, b in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(a.grad, b.grad)
    total = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in ours.parameters()]))
    assert float(total) == pytest.approx(min(max_norm, float(norm)), rel=1e-4)


def test_param_groups_and_adam_betas():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    model[0].bias.requires_grad_(False)
    cfg = TrainConfig(lr=1e-2, betas=(0.9, 0.99), weight_decay=0.01)
    groups = param_groups(model, [{"params": model[0].parameters(), "lr_mult": 0.1},
                                  {"params": model[1].parameters(), "lr": 5e-3}], cfg)
    opt = adam(groups, cfg)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([1e-3, 5e-3])
    assert len(opt.param_groups[0]["params"]) == 1  # the frozen bias is left out
    assert opt.param_groups[0]["betas"] == (0.9, 0.99) and opt.param_groups[0]["weight_decay"] == 0.01


def test_precision_choices():
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu).dtype is None
    assert resolve_precision("bf16", cpu).dtype is torch.bfloat16
    with pytest.raises(ConfigError, match="Valid there: auto, bf16, fp32"):
        resolve_precision("fp16", cpu)


class Pair(NamedTuple):
    a: torch.Tensor
    b: list


@dataclasses.dataclass
class Batch:
    src: torch.Tensor
    n: int


def test_to_device_walks_containers():
    meta = torch.device("meta")
    moved = to_device({"x": Pair(torch.zeros(2), [torch.ones(1), 3]), "y": Batch(torch.zeros(1), 4)}, meta)
    assert moved["x"].a.device.type == "meta" and moved["x"].b[0].device.type == "meta" and moved["x"].b[1] == 3
    assert isinstance(moved["x"], Pair) and isinstance(moved["y"], Batch)
    assert moved["y"].src.device.type == "meta" and moved["y"].n == 4


def test_evaluate_loss_weights_by_items_and_handles_empty_data():
    from wordbridge.train.runtime import evaluate_loss

    model = torch.nn.Linear(1, 1)

    def batch_loss(m, batch):
        value, n = batch
        return torch.tensor(value), n

    result = evaluate_loss(model, batch_loss, [(1.0, 1), (4.0, 3)], torch.device("cpu"))
    assert result == {"loss": pytest.approx(13 / 4), "n_items": 4.0}
    assert model.training  # the mode is restored
    empty = evaluate_loss(model, batch_loss, [], torch.device("cpu"))
    assert empty["n_items"] == 0.0 and empty["loss"] != empty["loss"]  # NaN
