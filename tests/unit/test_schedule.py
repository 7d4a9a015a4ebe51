import math

import pytest
import torch

from wordbridge.config import from_dict
from wordbridge.errors import ConfigError
from wordbridge.train.config import TrainConfig
from wordbridge.train.schedule import (StepScheduler, constant, cyclical, exponential, from_config,
                                       momentum_cycle, one_cycle)


def test_one_cycle_shape():
    fn = one_cycle(pct_start=0.25, div=25.0, final_div=1e4)
    assert fn(0.0) == pytest.approx(1 / 25)
    assert fn(0.25) == pytest.approx(1.0)
    assert fn(1.0) == pytest.approx(1e-4)
    ups = [fn(i / 100) for i in range(26)]
    downs = [fn(i / 100) for i in range(25, 101)]
    assert ups == sorted(ups) and downs == sorted(downs, reverse=True)


def test_cyclical_is_the_lessons_use_clr():
    fn = cyclical(div=20.0, cut_div=10.0)  # use_clr=(20, 10)
    assert fn(0.0) == pytest.approx(1 / 20)
    assert fn(0.1) == pytest.approx(1.0)
    assert fn(0.05) == pytest.approx((1 / 20 + 1) / 2)  # linear rise
    assert fn(0.55) == pytest.approx((1 + 1 / 20) / 2)  # linear fall
    assert fn(1.0) == pytest.approx(1 / 20)


def test_momentum_moves_opposite_the_lr():
    mom = momentum_cycle(0.25, 0.95, 0.85)
    assert mom(0.0) == pytest.approx(0.95)
    assert mom(0.25) == pytest.approx(0.85)
    assert mom(1.0) == pytest.approx(0.95)


def test_exponential_and_constant():
    fn = exponential(1e-7, 10.0)
    assert fn(0.0) == pytest.approx(1e-7)
    assert fn(1.0) == pytest.approx(10.0)
    assert fn(0.5) == pytest.approx(math.sqrt(1e-7 * 10.0))
    assert constant()(0.3) == 1.0


def _opt():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    return torch.optim.Adam([{"params": [a], "lr": 1e-2}, {"params": [b], "lr": 1e-3}], betas=(0.9, 0.99))


def test_step_scheduler_keeps_group_ratios_and_sets_beta1():
    opt = _opt()
    sched = StepScheduler(opt, 100, *from_config(TrainConfig(schedule="one_cycle", pct_start=0.25)))
    sched.set_step(25)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-2)
    assert opt.param_groups[1]["lr"] == pytest.approx(1e-3)
    assert opt.param_groups[0]["betas"] == pytest.approx((0.85, 0.99))
    sched.set_step(0)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-2 / 25)
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.95)


def test_step_scheduler_state_restores_position_and_min_pos():
    opt = _opt()
    sched = StepScheduler(opt, 50, *from_config(TrainConfig(schedule="clr")))
    sched.set_step(17)
    lr = sched.lr
    other = StepScheduler(_opt(), 50, *from_config(TrainConfig(schedule="clr")))
    other.load_state_dict(sched.state_dict())
    assert other.lr == pytest.approx(lr)
    other.set_step(1, min_pos=1.0)  # a wall-clock budget that is used up ends the schedule
    assert other.lr == pytest.approx(1e-2 / 20)


def test_constant_schedule_leaves_betas():
    opt = _opt()
    sched = StepScheduler(opt, 10, *from_config(TrainConfig(schedule="constant")))
    sched.set_step(5)
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-2)
    assert opt.param_groups[0]["betas"] == (0.9, 0.99)


def test_config_errors_are_one_line_with_choices():
    with pytest.raises(ConfigError, match="Valid: .*one_cycle"):
        from_dict(TrainConfig, {"schedule": "cosine"}, "train")
    with pytest.raises(ConfigError, match="Unknown config key 'train.lrr'"):
        from_dict(TrainConfig, {"lrr": 1}, "train")
    with pytest.raises(ConfigError, match="betas"):
        from_dict(TrainConfig, {"betas": [0.9, 1.5]}, "train")
    cfg = from_dict(TrainConfig, {"betas": [0.9, 0.99], "clr": [20, 10], "max_minutes": 1}, "train")
    assert cfg.betas == (0.9, 0.99) and cfg.max_minutes == 1.0
