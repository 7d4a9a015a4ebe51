import pytest
import torch

from wordbridge.train.evaluate import evaluate_loss, run_validation


def test_evaluate_loss_weights_by_items_and_handles_empty_data():
    model = torch.nn.Linear(1, 1)

    def batch_loss(m, batch):
        value, n = batch
        return torch.tensor(value), n

    result = evaluate_loss(model, batch_loss, [(1.0, 1), (4.0, 3)], torch.device("cpu"))
    assert result == {"loss": pytest.approx(13 / 4), "n_items": 4.0}
    assert model.training  # the mode is restored
    empty = evaluate_loss(model, batch_loss, [], torch.device("cpu"))
    assert empty["n_items"] == 0.0 and empty["loss"] != empty["loss"]  # NaN


def test_run_validation_prefers_the_task_validate_in_eval_mode():
    model = torch.nn.Linear(1, 1)
    modes = []

    def validate(m):
        modes.append((m.training, torch.is_grad_enabled()))
        return {"bleu": 1.0}

    def batch_loss(m, batch):
        return torch.tensor(2.0), 1

    assert run_validation(model, validate, batch_loss, [(0, 1)], torch.device("cpu")) == {"bleu": 1.0}
    assert modes == [(False, False)] and model.training
    assert run_validation(model, None, batch_loss, [(0, 1)], torch.device("cpu"))["loss"] == 2.0
    assert run_validation(model, None, batch_loss, None, torch.device("cpu")) == {}
