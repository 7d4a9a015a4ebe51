import math

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from wordbridge.errors import DataError
from wordbridge.train.config import TrainConfig
from wordbridge.train.lr_find import lr_find, suggest


def _setup():
    torch.manual_seed(0)
    x = torch.randn(128, 8)
    y = (x @ torch.randn(8, 3)).argmax(-1)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(32, 3))
    return model, DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)


def batch_loss(model, batch):
    x, y = batch
    return torch.nn.functional.cross_entropy(model(x), y), y.shape[0]


def test_restores_weights_optimizer_and_rng_exactly(tmp_path):
    model, data = _setup()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.8, 0.99))
    for step, batch in enumerate(data):  # some real training first, so the optimiser has state
        loss, _ = batch_loss(model, batch)
        loss.backward()
        opt.step()
        opt.zero_grad()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    opt_state = {i: {k: v.clone() for k, v in s.items()} for i, s in enumerate(opt.state.values())}
    lr_before = opt.param_groups[0]["lr"]
    expected_draw = torch.get_rng_state().clone()
    result = lr_find(model, batch_loss, data, TrainConfig(betas=(0.8, 0.99)), optimizer=opt, num_steps=30,
                     png=tmp_path / "lr.png")
    assert len(result.lrs) > 5
    for k, v in model.state_dict().items():
        assert torch.equal(v, weights[k]), k
    for i, s in enumerate(opt.state.values()):
        for k, v in s.items():
            assert torch.equal(v, opt_state[i][k])
    assert opt.param_groups[0]["lr"] == lr_before
    assert torch.equal(torch.get_rng_state(), expected_draw)
    assert model.training
    assert (tmp_path / "lr.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_is_exponential_stops_on_divergence_and_suggests_inside(tmp_path):
    model, data = _setup()
    result = lr_find(model, batch_loss, data, TrainConfig(clip_grad=None), start_lr=1e-6, end_lr=1e3,
                     num_steps=120)
    assert result.diverged and len(result.lrs) < 120
    assert result.lrs[0] == pytest.approx(1e-6)
    ratios = [b / a for a, b in zip(result.lrs, result.lrs[1:])]
    assert max(ratios) == pytest.approx(min(ratios))  # a geometric sweep
    assert result.lrs[0] < result.suggestion < result.lrs[-1]
    i_min = min(range(len(result.losses)), key=result.losses.__getitem__)
    assert result.min_div10 == pytest.approx(result.lrs[i_min] / 10)
    assert result.suggestion <= result.lrs[i_min]


def test_suggest_finds_the_steepest_descent():
    lrs = [10 ** (-6 + i * 0.1) for i in range(60)]
    # loss falls fastest around lr=1e-3 (i=30), bottoms out at i=45, then climbs
    losses = [2.0 - math.tanh((i - 30) / 4) if i <= 45 else 1.0 + 0.3 * (i - 45) for i in range(60)]
    steepest, min_div10 = suggest(lrs, losses)
    assert steepest == pytest.approx(lrs[30])
    i_min = min(range(60), key=losses.__getitem__)
    assert min_div10 == pytest.approx(lrs[i_min] / 10)


def test_bad_sweeps_and_empty_data():
    model, data = _setup()
    with pytest.raises(DataError, match="Invalid LR sweep"):
        lr_find(model, batch_loss, data, start_lr=1.0, end_lr=1e-3)
    with pytest.raises(DataError, match="no training batches"):
        lr_find(model, batch_loss, [], num_steps=10)
