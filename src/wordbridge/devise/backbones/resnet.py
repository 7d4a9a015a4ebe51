"""ResNet-50 (the lesson's backbone) in plain torch, with torchvision's attribute names so that a torchvision-format
state dict (conv1, bn1, layer1.0.conv1, ..., layer4.2.bn3, fc) loads strictly. No weights ship offline: users give a
file. Inputs are ImageNet mean/std normalised at 224 px."""

import torch
from torch import nn

RESNET50_LAYERS = (3, 4, 6, 3)
EXPANSION = 4


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (stride here, as torchvision v1.5) -> 1x1 expand, plus identity or projected shortcut."""

    def __init__(self, in_ch: int, width: int, stride: int = 1):
        super().__init__()
        out_ch = width * EXPANSION
        self.conv1 = nn.Conv2d(in_ch, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_ch, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)  # (B, out, H/stride, W/stride)
        out = self.relu(self.bn1(self.conv1(x)))  # (B, width, H, W)
        out = self.relu(self.bn2(self.conv2(out)))  # (B, width, H/stride, W/stride)
        out = self.bn3(self.conv3(out))  # (B, out, H/stride, W/stride)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision-compatible ResNet with bottleneck blocks; `fc` is optional (a features-only weight file)."""

    def __init__(self, layers=RESNET50_LAYERS, num_classes: int | None = 1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        in_ch = 64
        for i, (blocks, width) in enumerate(zip(layers, (64, 128, 256, 512))):
            stride = 1 if i == 0 else 2
            stage = [Bottleneck(in_ch, width, stride)]
            in_ch = width * EXPANSION
            stage += [Bottleneck(in_ch, width) for _ in range(blocks - 1)]
            setattr(self, f"layer{i + 1}", nn.Sequential(*stage))
        self.num_features = in_ch  # 2048
        self.fc = nn.Linear(in_ch, num_classes) if num_classes else None

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (B, 64, H/4, W/4)
        x = self.layer2(self.layer1(x))  # (B, 512, H/8, W/8)
        return self.layer4(self.layer3(x))  # (B, 2048, H/32, W/32)

    def classify_features(self, feats: torch.Tensor) -> torch.Tensor:
        if self.fc is None:
            raise RuntimeError("this ResNet has no classifier weights (fc)")
        return self.fc(feats.mean(dim=(2, 3)))  # (B, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify_features(self.forward_features(x))

    def conv_bn_pairs(self):
        """(parent, conv attribute, bn attribute) for every conv directly followed by its BatchNorm (for fusing)."""
        yield self, "conv1", "bn1"
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            for block in layer:
                yield from ((block, f"conv{i}", f"bn{i}") for i in (1, 2, 3))
                if block.downsample is not None:
                    yield block.downsample, "0", "1"
