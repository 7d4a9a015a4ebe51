"""EfficientNet-Lite0 in plain torch, laid out so that an efficientnet_pytorch-style state dict loads strictly.

Lite variants drop squeeze-and-excitation, use ReLU6 and keep the stem (32) and head (1280) widths fixed. Convs use
TensorFlow "SAME" padding (asymmetric for stride 2), BatchNorm eps 1e-3, inputs (x/255 - 0.5)/0.5 at 224 px.
"""

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
BN_MOMENTUM = 0.01  # TF decay 0.99


@dataclasses.dataclass(frozen=True)
class StageArgs:
    repeats: int
    kernel: int
    stride: int
    expand: int
    out_channels: int


# (repeats, kernel, stride, expand ratio, output channels) for the seven stages of EfficientNet-B0/Lite0
LITE0_STAGES = (
    StageArgs(1, 3, 1, 1, 16),
    StageArgs(2, 3, 2, 6, 24),
    StageArgs(2, 5, 2, 6, 40),
    StageArgs(3, 3, 2, 6, 80),
    StageArgs(3, 5, 1, 6, 112),
    StageArgs(4, 5, 2, 6, 192),
    StageArgs(1, 3, 1, 6, 320),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280


class Conv2dSame(nn.Conv2d):
    """Conv2d with TensorFlow "SAME" padding: output = ceil(input / stride), extra padding on the bottom/right."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(in_ch, out_ch, kernel, stride=stride, padding=0, groups=groups, bias=False)
        if stride == 1:  # odd kernel, stride 1: symmetric, can live in the conv itself
            self.padding = (kernel // 2, kernel // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] == 1:
            return super().forward(x)
        h, w = x.shape[-2:]
        pad_h = _same_pad(h, self.kernel_size[0], self.stride[0])
        pad_w = _same_pad(w, self.kernel_size[1], self.stride[1])
        if pad_h or pad_w:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return super().forward(x)


def _same_pad(size: int, kernel: int, stride: int) -> int:
    out = math.ceil(size / stride)
    return max((out - 1) * stride + kernel - size, 0)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


def drop_connect(x: torch.Tensor, rate: float, training: bool) -> torch.Tensor:
    """Stochastic depth on the residual branch (per sample), only while training."""
    if not training or rate <= 0:
        return x
    keep = 1.0 - rate
    mask = torch.empty(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x * mask / keep


class MBConvBlock(nn.Module):
    """Inverted residual: 1x1 expand -> depthwise kxk -> 1x1 project (no SE in Lite), identity skip when shapes match."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int, drop_rate: float = 0.0):
        super().__init__()
        mid = in_ch * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = Conv2dSame(in_ch, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = Conv2dSame(mid, mid, kernel, stride=stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = Conv2dSame(mid, out_ch, 1)
        self._bn2 = _bn(out_ch)
        self.skip = stride == 1 and in_ch == out_ch
        self.drop_rate = drop_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.has_expand:
            out = F.relu6(self._bn0(self._expand_conv(out)))  # (B, in*expand, H, W)
        out = F.relu6(self._bn1(self._depthwise_conv(out)))  # (B, mid, H/stride, W/stride)
        out = self._bn2(self._project_conv(out))  # (B, out, H/stride, W/stride), linear bottleneck
        if self.skip:
            out = drop_connect(out, self.drop_rate, self.training) + x
        return out


class EfficientNetLite(nn.Module):
    """The network itself (attribute names match the weight file); backbones.EfficientNetBackbone wraps it."""

    def __init__(self, stages=LITE0_STAGES, num_classes: int = 1000, dropout: float = 0.2,
                 drop_connect_rate: float = 0.2):
        super().__init__()
        self._conv_stem = Conv2dSame(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = _bn(STEM_CHANNELS)
        specs = []
        in_ch = STEM_CHANNELS
        for stage in stages:
            for i in range(stage.repeats):
                specs.append((in_ch, stage.out_channels, stage.kernel, stage.stride if i == 0 else 1, stage.expand))
                in_ch = stage.out_channels
        self._blocks = nn.ModuleList(
            MBConvBlock(*spec, drop_rate=drop_connect_rate * i / len(specs)) for i, spec in enumerate(specs)
        )
        self._conv_head = Conv2dSame(in_ch, HEAD_CHANNELS, 1)
        self._bn1 = _bn(HEAD_CHANNELS)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(HEAD_CHANNELS, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self._bn0(self._conv_stem(x)))  # x: (B, 32, H/2, W/2)
        for block in self._blocks:
            x = block(x)  # ends at (B, 320, H/32, W/32)
        return F.relu6(self._bn1(self._conv_head(x)))  # (B, 1280, H/32, W/32)

    def classify_features(self, feats: torch.Tensor) -> torch.Tensor:
        pooled = feats.mean(dim=(2, 3))  # (B, 1280)
        return self._fc(self._dropout(pooled))  # (B, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify_features(self.forward_features(x))

    def conv_bn_pairs(self):
        """(parent, conv attribute, bn attribute) for every conv directly followed by its BatchNorm (for fusing)."""
        yield self, "_conv_stem", "_bn0"
        for b in self._blocks:
            if b.has_expand:
                yield b, "_expand_conv", "_bn0"
            yield b, "_depthwise_conv", "_bn1"
            yield b, "_project_conv", "_bn2"
        yield self, "_conv_head", "_bn1"
