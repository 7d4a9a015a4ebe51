"""Fixtures shared across test modules."""

import importlib.util
import socket
from pathlib import Path

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def free_port():
    """free_port() -> a TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    return _free_port


@pytest.fixture(scope="session")
def fakes():
    """tests/fakes.py (FakeTranslator, FakeSearcher, make_gallery): test doubles of the models for the web-app tests.

    Loaded from its file: with --import-mode=importlib no test folder is on sys.path, so tests cannot import it.
    """
    spec = importlib.util.spec_from_file_location("wordbridge_test_fakes", Path(__file__).with_name("fakes.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
