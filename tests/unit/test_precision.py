import pytest
import torch

from wordbridge.errors import ConfigError
from wordbridge.train.precision import resolve_precision


def test_precision_choices():
    cpu = torch.device("cpu")
    assert resolve_precision("auto", cpu).dtype is None
    assert resolve_precision("bf16", cpu).dtype is torch.bfloat16
    with pytest.raises(ConfigError, match="Valid there: auto, bf16, fp32"):
        resolve_precision("fp16", cpu)
    assert resolve_precision("bf16", cpu).name == "bf16" and not resolve_precision("bf16", cpu).needs_scaler
    assert not resolve_precision("fp32", cpu).scaler().is_enabled()
