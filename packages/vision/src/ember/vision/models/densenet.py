"""DenseNet ("Densely Connected Convolutional Networks"): 121, 161, 169 and 201."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

import ember
from ember import Tensor, flatten, nn

from ._api import WeightsEnum, register_model
from ._meta import _TV, _imagenet
from ._utils import _apply_weights_config, _verify

__all__ = ["DenseNet", "DenseNet121_Weights", "DenseNet161_Weights", "DenseNet169_Weights",
           "DenseNet201_Weights", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv (bottleneck) then BN-ReLU-3x3 conv over the concatenation of every
    earlier feature map of the block; produces ``growth_rate`` new channels."""

    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int,
                 drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient  # accepted for compatibility; no recompute

    def bn_function(self, inputs: list[Tensor]) -> Tensor:
        return self.conv1(self.relu1(self.norm1(ember.cat(inputs, 1))))

    def forward(self, input: Tensor | list[Tensor]) -> Tensor:
        prev = [input] if isinstance(input, Tensor) else input
        new = self.conv2(self.relu2(self.norm2(self.bn_function(prev))))
        if self.drop_rate > 0:
            new = nn.functional.dropout(new, p=self.drop_rate, training=self.training)
        return new


class _DenseBlock(nn.ModuleDict):
    _version = 2

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int,
                 growth_rate: int, drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(
                num_input_features + i * growth_rate, growth_rate=growth_rate, bn_size=bn_size,
                drop_rate=drop_rate, memory_efficient=memory_efficient))

    def forward(self, init_features: Tensor) -> Tensor:
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return ember.cat(features, 1)


class _Transition(nn.Sequential):
    """BN-ReLU-1x1 conv and 2x2 average pooling between dense blocks."""

    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """A 7x7 stem, dense blocks joined by transitions, a final BatchNorm, ReLU, global average
    pooling and a linear classifier."""

    def __init__(self, growth_rate: int = 32, block_config: tuple[int, ...] = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0,
                 num_classes: int = 1000, memory_efficient: bool = False) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(
                num_layers=num_layers, num_input_features=num_features, bn_size=bn_size,
                growth_rate=growth_rate, drop_rate=drop_rate, memory_efficient=memory_efficient))
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        out = nn.functional.relu(self.features(x), inplace=True)
        out = nn.functional.adaptive_avg_pool2d(out, (1, 1))
        return self.classifier(flatten(out, 1))


# old checkpoints name layers "denselayer1.norm.1.weight"; today's modules say "norm1"
_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|"
                      r"running_mean|running_var))$")


def _load_state_dict(model: nn.Module, weights: Any, progress: bool) -> None:
    state_dict = weights.get_state_dict(progress=progress, check_hash=True)
    for key in list(state_dict.keys()):
        m = _OLD_KEY.match(key)
        if m:
            state_dict[m.group(1) + m.group(2)] = state_dict.pop(key)
    model.load_state_dict(state_dict)


def _densenet(growth_rate: int, block_config: tuple[int, int, int, int],
              num_init_features: int, weights: Any, progress: bool,
              **kwargs: Any) -> DenseNet:
    _apply_weights_config(weights, kwargs)
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    if weights is not None:
        _load_state_dict(model, weights, progress)
    return model


class DenseNet121_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/densenet121-a639ec97.pth", crop_size=224,
        num_params=7978856, min_size=(29, 29), acc=(74.434, 91.972), ops=2.834, file_size=30.845,
        recipe=_TV + "pull/116")
    DEFAULT = IMAGENET1K_V1


class DenseNet161_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/densenet161-8d451a50.pth", crop_size=224,
        num_params=28681000, min_size=(29, 29), acc=(77.138, 93.56), ops=7.728, file_size=110.369,
        recipe=_TV + "pull/116")
    DEFAULT = IMAGENET1K_V1


class DenseNet169_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/densenet169-b2777c0a.pth", crop_size=224,
        num_params=14149480, min_size=(29, 29), acc=(75.6, 92.806), ops=3.36, file_size=54.708,
        recipe=_TV + "pull/116")
    DEFAULT = IMAGENET1K_V1


class DenseNet201_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/densenet201-c1103571.pth", crop_size=224,
        num_params=20013928, min_size=(29, 29), acc=(76.896, 93.37), ops=4.291, file_size=77.373,
        recipe=_TV + "pull/116")
    DEFAULT = IMAGENET1K_V1


@register_model()
def densenet121(*, weights: DenseNet121_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-121 from "Densely Connected Convolutional Networks"."""
    weights = _verify(DenseNet121_Weights, weights, kwargs)
    return _densenet(32, (6, 12, 24, 16), 64, weights, progress, **kwargs)


@register_model()
def densenet161(*, weights: DenseNet161_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-161 (growth rate 48)."""
    weights = _verify(DenseNet161_Weights, weights, kwargs)
    return _densenet(48, (6, 12, 36, 24), 96, weights, progress, **kwargs)


@register_model()
def densenet169(*, weights: DenseNet169_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-169."""
    weights = _verify(DenseNet169_Weights, weights, kwargs)
    return _densenet(32, (6, 12, 32, 32), 64, weights, progress, **kwargs)


@register_model()
def densenet201(*, weights: DenseNet201_Weights | None = None, progress: bool = True,
                **kwargs: Any) -> DenseNet:
    """DenseNet-201."""
    weights = _verify(DenseNet201_Weights, weights, kwargs)
    return _densenet(32, (6, 12, 48, 32), 64, weights, progress, **kwargs)
