"""The DeViSE head's shapes, the cosine loss, concat pooling and per-group learning rates."""

import math

import torch
from torch import nn

from wordbridge.devise.model import DeviseHead, DeviseNet, concat_pool, cosine_loss, embed_features


def test_head_shapes_and_layers():
    head = DeviseHead(in_features=16, out_dim=5, hidden=32)
    out = head(torch.randn(4, 16))
    assert out.shape == (4, 5)
    kinds = [type(m).__name__ for m in head.layers]
    assert kinds == ["BatchNorm1d", "Dropout", "Linear", "ReLU", "BatchNorm1d", "Dropout", "Linear"]
    assert head.layers[1].p == 0.2 and head.layers[2].out_features == 32
    rebuilt = DeviseHead(**head.model_args())
    rebuilt.load_state_dict(head.state_dict())


def test_cosine_loss_values():
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    assert cosine_loss(a, a * 3).item() < 1e-6  # scale does not matter
    assert math.isclose(cosine_loss(a, -a).item(), 2.0, abs_tol=1e-6)
    assert math.isclose(cosine_loss(a, a.flip(1)).item(), 1.0, abs_tol=1e-6)  # orthogonal


def test_concat_pool_and_embed_features():
    fmap = torch.arange(8.0).reshape(1, 2, 2, 2)
    assert concat_pool(fmap).tolist() == [[1.5, 5.5, 3.0, 7.0]]
    head = DeviseHead(4, 3, hidden=8)
    emb = embed_features(head, torch.randn(10, 4), batch_size=3)
    assert emb.shape == (10, 3) and torch.allclose(emb.norm(dim=1), torch.ones(10), atol=1e-5)
    assert head.training  # restored


class TinyBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3)
        self.b = nn.Conv2d(4, 6, 3)

    def forward_features(self, x):
        return self.b(self.a(x))

    def layer_groups(self):
        return [nn.ModuleList([self.a]), nn.ModuleList([self.b])]


def test_devise_net_param_groups_smaller_lr_early():
    net = DeviseNet(TinyBackbone(), DeviseHead(12, 5, hidden=8))
    assert net(torch.randn(2, 3, 9, 9)).shape == (2, 5)
    groups = net.param_groups(lr=1.0, ratios=(1e-3, 1e-2))
    assert [g["lr"] for g in groups] == [1e-3, 1e-2, 1.0]
    assert groups[0]["params"][0] is net.backbone.a.weight


def test_run_model_refuses_other_word_vectors(tmp_path):
    import pytest

    from wordbridge.devise.model import RunModel
    from wordbridge.errors import CheckpointError

    model = RunModel(tmp_path, DeviseHead(4, 3, hidden=8), {"fingerprint": "m", "vectors": "en",
                                                           "vectors_fingerprint": "aaa"}, {})
    model.check_vectors("aaa")
    with pytest.raises(CheckpointError, match="trained with word vectors aaa"):
        model.check_vectors("bbb")
