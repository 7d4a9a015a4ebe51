"""Fixtures shared across test modules."""

import pytest
import torch
from torch import nn

from wordbridge.devise.images import EvalTransform
from wordbridge.devise.model import DeviseHead, RunModel


class PassThrough(nn.Module):
    def forward_features(self, x):
        return x  # (batch, 3, H, W): concat pooling then gives (avg rgb, max rgb)


def _tiny_devise_model(tmp_path) -> RunModel:
    """A hand-wired DeViSE run: identity, then keep the average colour (red -> (1, 0, 0) ...)."""
    head = DeviseHead(6, 3, hidden=6, dropout=0.0)
    with torch.no_grad():
        head.layers[2].weight.copy_(torch.eye(6))
        head.layers[2].bias.zero_()
        head.layers[6].weight.copy_(torch.cat([torch.eye(3), torch.zeros(3, 3)], dim=1))
        head.layers[6].bias.zero_()
    model = RunModel(tmp_path, head, {"fingerprint": "tiny", "vectors": "test"}, {})
    model._backbone = PassThrough()
    model._transform = EvalTransform(size=8)
    return model


@pytest.fixture(scope="session")
def tiny_devise_model():
    """Factory: tiny_devise_model(folder) -> RunModel whose embedding of an image is its mean colour."""
    return _tiny_devise_model
