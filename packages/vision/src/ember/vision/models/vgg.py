"""VGG ("Very Deep Convolutional Networks for Large-Scale Image Recognition"), configurations
A (11 layers), B (13), D (16) and E (19), with or without BatchNorm."""

from __future__ import annotations

from typing import Any

from ember import Tensor, flatten, nn

from ._api import WeightsEnum, register_model
from ._meta import _NAN, _REF, _imagenet
from ._utils import _apply_weights_config, _load_weights, _verify

__all__ = ["VGG", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights",
           "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights", "vgg11",
           "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]


class VGG(nn.Module):
    """``features`` (3x3 convolutions and max-pools), a 7x7 adaptive average pool and three
    linear layers with dropout."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(flatten(self.avgpool(self.features(x)), 1))


def make_layers(cfg: list[str | int], batch_norm: bool = False) -> nn.Sequential:
    """The feature extractor for a configuration: ints are 3x3 conv widths, "M" a max-pool."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        conv = nn.Conv2d(in_channels, int(v), kernel_size=3, padding=1)
        layers += [conv, nn.BatchNorm2d(int(v)), nn.ReLU(inplace=True)] if batch_norm else [
            conv, nn.ReLU(inplace=True)]
        in_channels = int(v)
    return nn.Sequential(*layers)


cfgs: dict[str, list[str | int]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
          "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512,
          512, 512, "M"],
}


def _vgg(cfg: str, batch_norm: bool, weights: Any, progress: bool, **kwargs: Any) -> VGG:
    if weights is not None:
        kwargs["init_weights"] = False
    _apply_weights_config(weights, kwargs)
    return _load_weights(VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs), weights,
                         progress)


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vgg11-8a719046.pth", crop_size=224,
        num_params=132863336, min_size=(32, 32), acc=(69.02, 88.628), ops=7.609, file_size=506.84,
        recipe=_REF + "#alexnet-and-vgg")
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vgg11_bn-6002323d.pth", crop_size=224,
        num_params=132868840, min_size=(32, 32), acc=(70.37, 89.81), ops=7.609, file_size=506.881,
        recipe=_REF + "#alexnet-and-vgg")
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vgg13-19584684.pth", crop_size=224,
        num_params=133047848, min_size=(32, 32), acc=(69.928, 89.246), ops=11.308,
        file_size=507.545, recipe=_REF + "#alexnet-and-vgg")
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vgg13_bn-abd245e5.pth", crop_size=224,
        num_params=133053736, min_size=(32, 32), acc=(71.586, 90.374), ops=11.308, file_size=507.59,
        recipe=_REF + "#alexnet-and-vgg")
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vgg16-397923af.pth", crop_size=224,
        num_params=138357544, min_size=(32, 32), acc=(71.592, 90.382), ops=15.47, file_size=527.796,
        recipe=_REF + "#alexnet-and-vgg")
    IMAGENET1K_FEATURES = _imagenet(
        "https://download.pytorch.org/models/vgg16_features-amdegroot-88682ab5.pth", crop_size=224,
        mean=(0.48235, 0.45882, 0.40784),
        std=(0.00392156862745098, 0.00392156862745098, 0.00392156862745098), num_params=138357544,
        min_size=(32, 32), acc=(_NAN, _NAN), ops=15.47, file_size=527.802,
        recipe="https://github.com/amdegroot/ssd.pytorch#training-ssd", categories=None)
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vgg16_bn-6c64b313.pth", crop_size=224,
        num_params=138365992, min_size=(32, 32), acc=(73.36, 91.516), ops=15.47, file_size=527.866,
        recipe=_REF + "#alexnet-and-vgg")
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth", crop_size=224,
        num_params=143667240, min_size=(32, 32), acc=(72.376, 90.876), ops=19.632,
        file_size=548.051, recipe=_REF + "#alexnet-and-vgg")
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/vgg19_bn-c79401a0.pth", crop_size=224,
        num_params=143678248, min_size=(32, 32), acc=(74.218, 91.842), ops=19.632,
        file_size=548.143, recipe=_REF + "#alexnet-and-vgg")
    DEFAULT = IMAGENET1K_V1


@register_model()
def vgg11(*, weights: VGG11_Weights | None = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 (configuration "A")."""
    return _vgg("A", False, _verify(VGG11_Weights, weights, kwargs), progress, **kwargs)


@register_model()
def vgg11_bn(*, weights: VGG11_BN_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VGG:
    """VGG-11 with BatchNorm."""
    return _vgg("A", True, _verify(VGG11_BN_Weights, weights, kwargs), progress, **kwargs)


@register_model()
def vgg13(*, weights: VGG13_Weights | None = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 (configuration "B")."""
    return _vgg("B", False, _verify(VGG13_Weights, weights, kwargs), progress, **kwargs)


@register_model()
def vgg13_bn(*, weights: VGG13_BN_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VGG:
    """VGG-13 with BatchNorm."""
    return _vgg("B", True, _verify(VGG13_BN_Weights, weights, kwargs), progress, **kwargs)


@register_model()
def vgg16(*, weights: VGG16_Weights | None = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 (configuration "D")."""
    return _vgg("D", False, _verify(VGG16_Weights, weights, kwargs), progress, **kwargs)


@register_model()
def vgg16_bn(*, weights: VGG16_BN_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VGG:
    """VGG-16 with BatchNorm."""
    return _vgg("D", True, _verify(VGG16_BN_Weights, weights, kwargs), progress, **kwargs)


@register_model()
def vgg19(*, weights: VGG19_Weights | None = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 (configuration "E")."""
    return _vgg("E", False, _verify(VGG19_Weights, weights, kwargs), progress, **kwargs)


@register_model()
def vgg19_bn(*, weights: VGG19_BN_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> VGG:
    """VGG-19 with BatchNorm."""
    return _vgg("E", True, _verify(VGG19_BN_Weights, weights, kwargs), progress, **kwargs)
