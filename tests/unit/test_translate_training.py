"""Translation-specific training pieces: the LR warm-up hook and label smoothing in the batch loss."""

import types

import pytest
import torch

from wordbridge.errors import ConfigError
from wordbridge.text.batching import Batch
from wordbridge.translate.config import ModelConfig, TransformerConfig, TranslateTrainConfig
from wordbridge.translate.loss import make_batch_loss
from wordbridge.translate.model import build_model
from wordbridge.translate.training import WarmupHook


def test_warmup_scales_the_scheduled_lr_linearly_then_leaves_it():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    hook = WarmupHook(4)
    seen = []
    for step in range(6):
        opt.param_groups[0]["lr"] = 0.5  # what the engine's schedule set for this step
        hook.after_loss(types.SimpleNamespace(step=step, optimizer=opt))
        seen.append(opt.param_groups[0]["lr"])
    assert seen == pytest.approx([0.125, 0.25, 0.375, 0.5, 0.5, 0.5])


def test_label_smoothing_applies_to_training_only():
    torch.manual_seed(0)
    t = TransformerConfig(d_model=16, heads=2, ff_size=32, enc_layers=1, dec_layers=1, dropout=0.0, attn_dropout=0.0)
    model = build_model(ModelConfig(arch="transformer", transformer=t), 20, 20)
    batch = Batch(torch.tensor([[5, 6, 2]]), torch.tensor([3]), torch.tensor([[7, 8, 2]]), torch.tensor([3]))
    plain, smooth = make_batch_loss(None), make_batch_loss(None, label_smoothing=0.2)
    value = lambda fn: float(fn(model, batch)[0].detach())  # noqa: E731
    model.train()
    assert value(smooth) != pytest.approx(value(plain))
    model.eval()
    assert value(smooth) == pytest.approx(value(plain))  # validation: plain NLL


def test_train_config_checks():
    with pytest.raises(ConfigError, match="label_smoothing"):
        TranslateTrainConfig(label_smoothing=1.0)
    with pytest.raises(ConfigError, match="warmup_steps"):
        TranslateTrainConfig(warmup_steps=-1)
