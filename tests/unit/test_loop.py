import json
import os
import signal

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from wordbridge.errors import CheckpointError, ConfigError
from wordbridge.train.checkpoint import load_checkpoint
from wordbridge.train.config import TrainConfig
from wordbridge.train.distributed import ShardedBatchSampler
from wordbridge.train.hooks import EVENTS, FunctionHook, Hook
from wordbridge.train.loop import Trainer, fit


def _data(n=96, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=gen)
    y = x @ torch.tensor([1.0, -2.0, 3.0, 0.5]) + 0.05 * torch.randn(n, generator=gen)
    return TensorDataset(x, y)


def _loaders(batch=16):
    ds = _data()
    return DataLoader(ds, batch_sampler=ShardedBatchSampler(len(ds), batch)), DataLoader(_data(48, 1), batch_size=24)


def _model(dropout=0.0):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Dropout(dropout), torch.nn.Linear(16, 1))


def batch_loss(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x).squeeze(-1), y), y.shape[0]


def _cfg(**kw):
    base = dict(epochs=4, lr=3e-2, betas=(0.9, 0.99), log_every=2, threads=1)
    base.update(kw)
    return TrainConfig(**base)


def test_loss_falls_and_files_are_written(tmp_path):
    train, valid = _loaders()
    result = fit(_model(), batch_loss, train, valid, _cfg(), run_dir=tmp_path, kind="toy", model_args={"h": 16})
    assert result.stop_reason == "epochs" and result.step == 4 * 6 and result.epoch == 4
    history = json.loads((tmp_path / "history.json").read_text())
    losses = [r["loss"] for r in history["valid"]]
    assert len(losses) == 4 and losses[-1] < losses[0] / 3
    assert all(r["items_per_s"] > 0 for r in history["train"])
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    best = load_checkpoint(tmp_path / "best.pt", kind="toy")
    assert best["best"]["value"] == pytest.approx(min(losses)) and best["model_args"] == {"h": 16}
    assert load_checkpoint(tmp_path / "latest.pt")["step"] == 24


def _interrupt_at(step):
    def after_batch(trainer):
        if trainer.step == step:
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C: handled, stops after this step
    return FunctionHook(after_batch=after_batch)


def test_ctrl_c_saves_and_resume_matches_an_uninterrupted_run(tmp_path):
    cfg = _cfg(epochs=3, schedule="one_cycle")
    straight = _model(dropout=0.2)  # dropout: the RNG state must be restored too
    train, valid = _loaders()
    full = fit(straight, batch_loss, train, valid, cfg, run_dir=tmp_path / "a", kind="toy")

    model = _model(dropout=0.2)
    train, valid = _loaders()
    first = fit(model, batch_loss, train, valid, cfg, run_dir=tmp_path / "b", kind="toy", hooks=[_interrupt_at(8)])
    assert first.stop_reason == "interrupted" and first.step == 8
    saved = load_checkpoint(tmp_path / "b" / "latest.pt", kind="toy")
    assert saved["step"] == 8 and saved["epoch"] == 1 and saved["batch_in_epoch"] == 2

    model = _model(dropout=0.2)
    torch.nn.init.normal_(model[0].weight)  # different weights: everything must come from the checkpoint
    train, valid = _loaders()
    trainer = Trainer(model, batch_loss, train, valid, cfg, run_dir=tmp_path / "b", kind="toy")
    resumed = trainer.fit(resume=True)
    assert resumed.step == full.step == 18 and resumed.stop_reason == "epochs"
    end = load_checkpoint(tmp_path / "a" / "latest.pt")
    assert trainer.scheduler.lr == pytest.approx(end["optimizer"]["param_groups"][0]["lr"])
    for a, b in zip(straight.parameters(), model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_latest_is_written_on_the_clock_and_a_crash_resumes_exactly(tmp_path):
    """checkpoint_minutes writes latest.pt between validations (the test moves the clock 1 minute per step); after a
    crash (no save, as with kill -9) resume continues from the last one and ends where an uninterrupted run ends."""
    cfg = _cfg(epochs=1, schedule="one_cycle", checkpoint_minutes=2.5)  # 24 steps, validation only at the end
    straight = _model(dropout=0.2)
    train, _ = _loaders(batch=4)
    fit(straight, batch_loss, train, None, cfg, run_dir=tmp_path / "a", kind="toy")

    clock, saved = MovedClock(), []

    def after_batch(trainer):
        clock.now += 60.0
        if trainer.step == 11:
            raise RuntimeError("power cut")  # nothing is saved on the way out

    model = _model(dropout=0.2)
    train, _ = _loaders(batch=4)
    trainer = Trainer(model, batch_loss, train, None, cfg, run_dir=tmp_path / "b", kind="toy", clock=clock,
                      hooks=[FunctionHook(after_batch=after_batch)])
    save = trainer.files.save
    trainer.files.save = lambda name, history, **state: (saved.append((name, state["step"])), save(name, history,
                                                                                                      **state))
    with pytest.raises(RuntimeError, match="power cut"):
        trainer.fit()
    assert saved == [("latest.pt", 3), ("latest.pt", 6), ("latest.pt", 9)]  # every 3 minutes >= 2.5
    latest = load_checkpoint(tmp_path / "b" / "latest.pt", kind="toy")
    assert latest["step"] == 9 and latest["batch_in_epoch"] == 9 and latest["optimizer"] and latest["rng"]

    model = _model(dropout=0.2)
    torch.nn.init.normal_(model[0].weight)  # different weights: everything must come from the checkpoint
    train, _ = _loaders(batch=4)
    resumed = Trainer(model, batch_loss, train, None, cfg, run_dir=tmp_path / "b", kind="toy").fit(resume=True)
    assert resumed.step == 24
    for a, b in zip(straight.parameters(), model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_best_keeps_the_weights_and_latest_what_resume_needs(tmp_path):
    train, valid = _loaders()
    fit(_model(), batch_loss, train, valid, _cfg(epochs=2), run_dir=tmp_path, kind="toy", model_args={"h": 16},
        config={"train": {"lr": 0.03}})
    best, latest = load_checkpoint(tmp_path / "best.pt", "toy"), load_checkpoint(tmp_path / "latest.pt", "toy")
    assert best["optimizer"] is None and best["rng"] is None and best["schedule"] is None
    assert best["model_args"] == {"h": 16} and best["config"] == {"train": {"lr": 0.03}} and best["best"]
    assert latest["optimizer"]["state"] and latest["rng"] and latest["schedule"]
    assert (tmp_path / "best.pt").stat().st_size < (tmp_path / "latest.pt").stat().st_size / 2


def test_resume_refuses_missing_or_foreign_checkpoints(tmp_path):
    train, valid = _loaders()
    with pytest.raises(CheckpointError, match="Nothing to resume"):
        fit(_model(), batch_loss, train, valid, _cfg(), run_dir=tmp_path, kind="toy", resume=True)
    fit(_model(), batch_loss, train, valid, _cfg(max_steps=2), run_dir=tmp_path, kind="toy")
    with pytest.raises(CheckpointError, match="'toy' checkpoint, expected 'other'"):
        fit(_model(), batch_loss, train, valid, _cfg(), run_dir=tmp_path, kind="other", resume=True)
    wide = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.0), torch.nn.Linear(8, 1))
    with pytest.raises(CheckpointError, match="another shape"):
        fit(wide, batch_loss, train, valid, _cfg(), run_dir=tmp_path, kind="toy", resume=True)


def test_hooks_run_in_order_and_can_stop():
    events = []

    class Recorder(Hook):
        pass

    rec = Recorder()
    for name in EVENTS:
        setattr(rec, name, lambda t, name=name: events.append(name))
    stopper = FunctionHook(after_batch=lambda t: setattr(t, "stop_reason", "enough") if t.step == 3 else None)
    train, valid = _loaders()
    result = fit(_model(), batch_loss, train, valid, _cfg(), hooks=[rec, stopper])
    assert result.stop_reason == "enough" and result.step == 3
    assert events[:4] == ["before_fit", "before_epoch", "before_batch", "after_loss"]
    assert events.count("before_batch") == 3 and events[-2:] == ["after_validate", "after_fit"]
    with pytest.raises(ValueError, match="unknown hook event"):
        FunctionHook(after_everything=print)


def test_early_stopping_on_a_max_metric(tmp_path):
    scores = iter([0.5, 0.7, 0.6, 0.65, 0.4, 0.9])
    train, _ = _loaders()
    result = fit(_model(), batch_loss, train, None, _cfg(epochs=6, metric="bleu", metric_mode="max", patience=2),
                 validate=lambda model: {"bleu": next(scores)}, run_dir=tmp_path, kind="toy")
    assert result.stop_reason == "early_stop" and result.epoch == 4
    assert result.best == {"metric": "bleu", "value": 0.7, "step": 12, "epoch": 2}
    assert load_checkpoint(tmp_path / "best.pt")["step"] == 12


class MovedClock:
    """The trainer's clock, moved by the test only: no real time is measured, so a busy machine changes nothing."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_time_budget_stops_validates_and_saves(tmp_path):
    clock = MovedClock()

    def slow_loss(model, batch):
        clock.now += 0.02  # each step "takes" 20 ms of the 0.3 s budget
        return batch_loss(model, batch)

    train, valid = _loaders()
    trainer = Trainer(_model(), slow_loss, train, valid, _cfg(epochs=100, max_minutes=0.3 / 60), run_dir=tmp_path,
                      kind="toy", clock=clock)
    result = trainer.fit()
    assert result.stop_reason == "time" and 3 <= result.step < 100
    assert trainer.scheduler.pos > 0.5  # schedule_time: the one-cycle follows the budget, not the 600 planned steps
    assert "loss" in result.metrics  # validated at the stop
    assert load_checkpoint(tmp_path / "latest.pt")["step"] == result.step


def test_max_steps_param_groups_and_clipping():
    model = _model()
    groups = [{"params": model[0].parameters(), "lr_mult": 0.1}, {"params": model[2].parameters()}]
    train, _ = _loaders()
    trainer = Trainer(model, batch_loss, train, None, _cfg(max_steps=5, schedule="constant", clip_grad=0.5),
                      params=groups)
    result = trainer.fit()
    assert result.step == 5 and result.stop_reason == "max_steps"
    lrs = [g["lr"] for g in trainer.optimizer.param_groups]
    assert lrs == pytest.approx([3e-3, 3e-2])


def test_diverged_run_stops_without_overwriting_latest(tmp_path):
    def nan_after_3(model, batch):
        loss, n = batch_loss(model, batch)
        return (loss * float("nan") if trainer.step >= 3 else loss), n

    train, valid = _loaders()
    trainer = Trainer(_model(), nan_after_3, train, valid, _cfg(valid_every=2), run_dir=tmp_path, kind="toy")
    result = trainer.fit()
    assert result.stop_reason == "diverged" and result.step == 4
    assert load_checkpoint(tmp_path / "latest.pt")["step"] == 2


def test_bf16_on_cpu_trains_and_fp16_is_refused():
    train, valid = _loaders()
    result = fit(_model(), batch_loss, train, valid, _cfg(precision="bf16"))
    assert result.metrics["loss"] < 5.0
    with pytest.raises(ConfigError, match="fp16"):
        Trainer(_model(), batch_loss, train, valid, _cfg(precision="fp16"))


def test_unknown_metric_is_a_config_error_after_saving(tmp_path):
    train, valid = _loaders()
    with pytest.raises(ConfigError, match="Invalid train.metric 'bleu': validation reports .*loss"):
        fit(_model(), batch_loss, train, valid, _cfg(metric="bleu"), run_dir=tmp_path, kind="toy")
    assert load_checkpoint(tmp_path / "latest.pt")["step"] == 6


def test_main_first_single_process():
    from wordbridge.train.distributed import DistInfo, main_first

    assert main_first(lambda: 41 + 1, DistInfo()) == 42
    with pytest.raises(CheckpointError, match="boom"):
        main_first(lambda: (_ for _ in ()).throw(CheckpointError("boom")), DistInfo())


def test_items_per_s_leaves_validation_time_out():
    """Validation moves the trainer's clock on by 100 s, each step by 1 s (no real time is measured)."""
    clock = MovedClock()

    def slow_validate(model):
        clock.now += 100.0
        return {"loss": 1.0}

    def one_second_loss(model, batch):
        clock.now += 1.0
        return batch_loss(model, batch)

    train, _ = _loaders()
    trainer = Trainer(_model(), one_second_loss, train, None, _cfg(epochs=2, valid_every=2, log_every=4),
                      validate=slow_validate, clock=clock)
    trainer.fit()
    rates = [r["items_per_s"] for r in trainer.history["train"]]
    # a window is 4 steps x 16 items; with a validation's 100 s counted it would be under 0.64 items/s
    assert clock.now >= 1200.0 and len(rates) >= 3 and min(rates) > 6.4
    assert set(rates) == {16.0}  # exactly 16 items per moved second: validation time is left out


def test_empty_training_data_is_a_data_error():
    from wordbridge.errors import DataError

    with pytest.raises(DataError, match="no batches"):
        Trainer(_model(), batch_loss, [], None, _cfg())
    with pytest.raises(DataError, match="no batches this epoch"):
        fit(_model(), batch_loss, iter([]), None, _cfg(max_steps=5))


def test_keep_checkpoints_keeps_the_weights_of_the_last_saves(tmp_path):
    train, valid = _loaders()
    fit(_model(), batch_loss, train, valid, _cfg(keep_checkpoints=2), run_dir=tmp_path, kind="toy")
    kept = sorted((tmp_path / "checkpoints").glob("step-*.pt"))
    assert [load_checkpoint(p, kind="toy")["step"] for p in kept] == [18, 24]  # epochs 3 and 4 of 6 steps each
    last = load_checkpoint(kept[-1], kind="toy")
    assert all(torch.equal(t, load_checkpoint(tmp_path / "latest.pt")["model"][k]) for k, t in last["model"].items())
