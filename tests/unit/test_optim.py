import pytest
import torch

from wordbridge.train.config import TrainConfig
from wordbridge.train.optim import OptimizerStep, adam, clip_grad_norm, param_groups


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


def test_optimizer_step_clips_steps_and_clears_gradients():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Linear(7, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    step = OptimizerStep(opt, torch.amp.GradScaler("cpu", enabled=False), clip_grad=0.5)
    assert step.grad_norm is None and not step.scaling and len(step.params) == 4
    before = [p.detach().clone() for p in model.parameters()]
    step((model(torch.randn(3, 5)) * 100).sum())
    assert float(step.grad_norm) > 0.5  # the norm before clipping is reported
    moved = torch.linalg.vector_norm(torch.stack([(b - p.detach()).norm() for b, p in zip(before, model.parameters())]))
    assert float(moved) == pytest.approx(0.1 * 0.5, rel=1e-3)  # SGD moves lr x the clipped norm
    assert all(p.grad is None for p in model.parameters())
