"""ShuffleNetV2 ("ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design"),
widths x0.5, x1.0, x1.5 and x2.0."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ember
from ember import Tensor, nn

from ._api import WeightsEnum, register_model
from ._meta import _TV, _imagenet
from ._utils import _apply_weights_config, _load_weights, _verify

__all__ = ["ShuffleNetV2", "ShuffleNet_V2_X0_5_Weights", "ShuffleNet_V2_X1_0_Weights",
           "ShuffleNet_V2_X1_5_Weights", "ShuffleNet_V2_X2_0_Weights", "shufflenet_v2_x0_5",
           "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` equal groups: ``(N, g*k, H, W)`` read as
    ``(N, g, k, H, W)``, transposed to ``(N, k, g, H, W)``, flattened back."""
    # size/view/transpose as torchvision writes it, so that traced graphs agree
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = ember.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, num_channels, height, width)


class InvertedResidual(nn.Module):
    """A ShuffleNetV2 unit: with stride 1 the channels split in half and one half runs
    through ``branch2``; with stride > 1 both branches see the whole input. The two halves are
    concatenated and shuffled."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not (1 <= stride <= 3):
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if stride == 1 and inp != branch_features << 1:
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} "
                             "values. If stride == 1 then inp should be equal to oup // 2 << 1.")
        if stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch_features, branch_features, kernel_size=1,
                      stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3, stride=stride,
                                padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0,
                      bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True))

    @staticmethod
    def depthwise_conv(i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0,
                       bias: bool = False) -> nn.Conv2d:
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = ember.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = ember.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """A stride-2 stem and max pooling, three stages of shuffle units (``stages_repeats``), a
    1x1 convolution, global average pooling and a linear classifier."""

    def __init__(self, stages_repeats: list[int], stages_out_channels: list[int],
                 num_classes: int = 1000,
                 inverted_residual: Callable[..., nn.Module] = InvertedResidual) -> None:
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        width = stages_out_channels[0]
        self.conv1 = nn.Sequential(nn.Conv2d(3, width, 3, 2, 1, bias=False),
                                   nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.stage2: nn.Sequential
        self.stage3: nn.Sequential
        self.stage4: nn.Sequential
        for i, repeats, out in zip((2, 3, 4), stages_repeats, stages_out_channels[1:]):
            units = [inverted_residual(width, out, 2)]
            units += [inverted_residual(out, out, 1) for _ in range(repeats - 1)]
            setattr(self, f"stage{i}", nn.Sequential(*units))
            width = out
        last = stages_out_channels[-1]
        self.conv5 = nn.Sequential(nn.Conv2d(width, last, 1, 1, 0, bias=False),
                                   nn.BatchNorm2d(last), nn.ReLU(inplace=True))
        self.fc = nn.Linear(last, num_classes)

    def _forward_impl(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean([2, 3]))

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _shufflenetv2(weights: Any, progress: bool, *args: Any, **kwargs: Any) -> ShuffleNetV2:
    _apply_weights_config(weights, kwargs)
    return _load_weights(ShuffleNetV2(*args, **kwargs), weights, progress)


_DOCS_1 = ("These weights were trained from scratch to reproduce closely the results of the paper.")
_DOCS_2 = ("These weights were trained from scratch by using TorchVision's `new training recipe "
    "<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-"
    "primitives/>`_.")

class ShuffleNet_V2_X0_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/shufflenetv2_x0.5-f707e7126e.pth", crop_size=224,
        num_params=1366792, min_size=(1, 1), acc=(60.552, 81.746), ops=0.04, file_size=5.282,
        recipe="https://github.com/ericsun99/Shufflenet-v2-Pytorch", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/shufflenetv2_x1-5666bf0f80.pth", crop_size=224,
        num_params=2278604, min_size=(1, 1), acc=(69.362, 88.316), ops=0.145, file_size=8.791,
        recipe="https://github.com/ericsun99/Shufflenet-v2-Pytorch", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/shufflenetv2_x1_5-3c479a10.pth", crop_size=224,
        resize_size=232, num_params=3503624, min_size=(1, 1), acc=(72.996, 91.086), ops=0.296,
        file_size=13.557, recipe=_TV + "pull/5906", docs=_DOCS_2)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X2_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/shufflenetv2_x2_0-8be3c8ee.pth", crop_size=224,
        resize_size=232, num_params=7393996, min_size=(1, 1), acc=(76.23, 93.006), ops=0.583,
        file_size=28.433, recipe=_TV + "pull/5906", docs=_DOCS_2)
    DEFAULT = IMAGENET1K_V1


@register_model()
def shufflenet_v2_x0_5(*, weights: ShuffleNet_V2_X0_5_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNetV2 with 0.5x output channels."""
    weights = _verify(ShuffleNet_V2_X0_5_Weights, weights, kwargs)
    return _shufflenetv2(weights, progress, [4, 8, 4], [24, 48, 96, 192, 1024], **kwargs)


@register_model()
def shufflenet_v2_x1_0(*, weights: ShuffleNet_V2_X1_0_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNetV2 with 1.0x output channels."""
    weights = _verify(ShuffleNet_V2_X1_0_Weights, weights, kwargs)
    return _shufflenetv2(weights, progress, [4, 8, 4], [24, 116, 232, 464, 1024], **kwargs)


@register_model()
def shufflenet_v2_x1_5(*, weights: ShuffleNet_V2_X1_5_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNetV2 with 1.5x output channels."""
    weights = _verify(ShuffleNet_V2_X1_5_Weights, weights, kwargs)
    return _shufflenetv2(weights, progress, [4, 8, 4], [24, 176, 352, 704, 1024], **kwargs)


@register_model()
def shufflenet_v2_x2_0(*, weights: ShuffleNet_V2_X2_0_Weights | None = None,
                       progress: bool = True, **kwargs: Any) -> ShuffleNetV2:
    """ShuffleNetV2 with 2.0x output channels."""
    weights = _verify(ShuffleNet_V2_X2_0_Weights, weights, kwargs)
    return _shufflenetv2(weights, progress, [4, 8, 4], [24, 244, 488, 976, 2048], **kwargs)
