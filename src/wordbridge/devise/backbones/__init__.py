"""Backbones and their inputs: the pretrained CNNs (EfficientNet-Lite0, ResNet-50), image loading and transforms, cached pooled features."""
