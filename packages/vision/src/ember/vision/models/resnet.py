"""ResNet ("Deep Residual Learning for Image Recognition"), ResNeXt and Wide ResNet, with
torchvision's layer names, initialisation and pre-trained weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember import Tensor, flatten, nn

from ._api import WeightsEnum, register_model
from ._meta import _REF, _TV, _imagenet
from ._utils import _apply_weights_config, _load_weights, _ovewrite_named_param, _verify

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "ResNet18_Weights", "ResNet34_Weights",
           "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights",
           "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights",
           "Wide_ResNet50_2_Weights", "Wide_ResNet101_2_Weights", "resnet18", "resnet34",
           "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
           "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding, without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution without bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34)."""

    expansion: int = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:  # after bn2, as torchvision (traced node order)
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (grouped, strided here as in ResNet V1.5), 1x1 expand by 4, with a
    residual connection (ResNet-50 and deeper, ResNeXt, Wide ResNet)."""

    expansion: int = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:  # after bn3, as torchvision (traced node order)
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    """A stem (7x7 conv, BN, ReLU, max-pool), four stages of ``block``s, global average pooling
    and a linear classifier."""

    def __init__(self, block: type[BasicBlock | Bottleneck], layers: list[int],
                 num_classes: int = 1000, zero_init_residual: bool = False, groups: int = 1,
                 width_per_group: int = 64,
                 replace_stride_with_dilation: list[bool] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element tuple, "
                             f"got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:  # each block starts as the identity
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block: type[BasicBlock | Bottleneck], planes: int, blocks: int,
                    stride: int = 1, dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def _forward_impl(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(flatten(self.avgpool(x), 1))

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _resnet(block: type[BasicBlock | Bottleneck], layers: list[int], weights: Any,
            progress: bool, **kwargs: Any) -> ResNet:
    _apply_weights_config(weights, kwargs)
    return _load_weights(ResNet(block, layers, **kwargs), weights, progress)


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/resnet18-f37072fd.pth", crop_size=224,
        num_params=11689512, min_size=(1, 1), acc=(69.758, 89.078), ops=1.814, file_size=44.661,
        recipe=_REF + "#resnet")
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/resnet34-b627a593.pth", crop_size=224,
        num_params=21797672, min_size=(1, 1), acc=(73.314, 91.42), ops=3.664, file_size=83.275,
        recipe=_REF + "#resnet")
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/resnet50-0676ba61.pth", crop_size=224,
        num_params=25557032, min_size=(1, 1), acc=(76.13, 92.862), ops=4.089, file_size=97.781,
        recipe=_REF + "#resnet")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/resnet50-11ad3fa6.pth", crop_size=224, resize_size=232,
        num_params=25557032, min_size=(1, 1), acc=(80.858, 95.434), ops=4.089, file_size=97.79,
        recipe=_TV + "issues/3995#issuecomment-1013906621")
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/resnet101-63fe2227.pth", crop_size=224,
        num_params=44549160, min_size=(1, 1), acc=(77.374, 93.546), ops=7.801, file_size=170.511,
        recipe=_REF + "#resnet")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/resnet101-cd907fc2.pth", crop_size=224,
        resize_size=232, num_params=44549160, min_size=(1, 1), acc=(81.886, 95.78), ops=7.801,
        file_size=170.53, recipe=_TV + "issues/3995#new-recipe")
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/resnet152-394f9c45.pth", crop_size=224,
        num_params=60192808, min_size=(1, 1), acc=(78.312, 94.046), ops=11.514, file_size=230.434,
        recipe=_REF + "#resnet")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/resnet152-f82ba261.pth", crop_size=224,
        resize_size=232, num_params=60192808, min_size=(1, 1), acc=(82.284, 96.002), ops=11.514,
        file_size=230.474, recipe=_TV + "issues/3995#new-recipe")
    DEFAULT = IMAGENET1K_V2


class ResNeXt50_32X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/resnext50_32x4d-7cdf4587.pth", crop_size=224,
        num_params=25028904, min_size=(1, 1), acc=(77.618, 93.698), ops=4.23, file_size=95.789,
        recipe=_REF + "#resnext")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/resnext50_32x4d-1a0047aa.pth", crop_size=224,
        resize_size=232, num_params=25028904, min_size=(1, 1), acc=(81.198, 95.34), ops=4.23,
        file_size=95.833, recipe=_TV + "issues/3995#new-recipe")
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/resnext101_32x8d-8ba56ff5.pth", crop_size=224,
        num_params=88791336, min_size=(1, 1), acc=(79.312, 94.526), ops=16.414, file_size=339.586,
        recipe=_REF + "#resnext")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/resnext101_32x8d-110c445d.pth", crop_size=224,
        resize_size=232, num_params=88791336, min_size=(1, 1), acc=(82.834, 96.228), ops=16.414,
        file_size=339.673, recipe=_TV + "issues/3995#new-recipe-with-fixres")
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_64X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/resnext101_64x4d-173b62eb.pth", crop_size=224,
        resize_size=232, num_params=83455272, min_size=(1, 1), acc=(83.246, 96.454), ops=15.46,
        file_size=319.318, recipe=_TV + "pull/5935")
    DEFAULT = IMAGENET1K_V1


class Wide_ResNet50_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/wide_resnet50_2-95faca4d.pth", crop_size=224,
        num_params=68883240, min_size=(1, 1), acc=(78.468, 94.086), ops=11.398, file_size=131.82,
        recipe=_TV + "pull/912#issue-445437439")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/wide_resnet50_2-9ba9bcbe.pth", crop_size=224,
        resize_size=232, num_params=68883240, min_size=(1, 1), acc=(81.602, 95.758), ops=11.398,
        file_size=263.124, recipe=_TV + "issues/3995#new-recipe-with-fixres")
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet101_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/wide_resnet101_2-32ee1156.pth", crop_size=224,
        num_params=126886696, min_size=(1, 1), acc=(78.848, 94.284), ops=22.753, file_size=242.896,
        recipe=_TV + "pull/912#issue-445437439")
    IMAGENET1K_V2 = _imagenet(
        "https://download.pytorch.org/models/wide_resnet101_2-d733dc28.pth", crop_size=224,
        resize_size=232, num_params=126886696, min_size=(1, 1), acc=(82.51, 96.02), ops=22.753,
        file_size=484.747, recipe=_TV + "issues/3995#new-recipe")
    DEFAULT = IMAGENET1K_V2


@register_model()
def resnet18(*, weights: ResNet18_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-18 from "Deep Residual Learning for Image Recognition"."""
    weights = _verify(ResNet18_Weights, weights, kwargs)
    return _resnet(BasicBlock, [2, 2, 2, 2], weights, progress, **kwargs)


@register_model()
def resnet34(*, weights: ResNet34_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-34 from "Deep Residual Learning for Image Recognition"."""
    weights = _verify(ResNet34_Weights, weights, kwargs)
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
def resnet50(*, weights: ResNet50_Weights | None = None, progress: bool = True,
             **kwargs: Any) -> ResNet:
    """ResNet-50 (V1.5: stride in the 3x3 convolution)."""
    weights = _verify(ResNet50_Weights, weights, kwargs)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
def resnet101(*, weights: ResNet101_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> ResNet:
    """ResNet-101 (V1.5)."""
    weights = _verify(ResNet101_Weights, weights, kwargs)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


@register_model()
def resnet152(*, weights: ResNet152_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> ResNet:
    """ResNet-152 (V1.5)."""
    weights = _verify(ResNet152_Weights, weights, kwargs)
    return _resnet(Bottleneck, [3, 8, 36, 3], weights, progress, **kwargs)


@register_model()
def resnext50_32x4d(*, weights: ResNeXt50_32X4D_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> ResNet:
    """ResNeXt-50 32x4d from "Aggregated Residual Transformation for Deep Neural Networks"."""
    weights = _verify(ResNeXt50_32X4D_Weights, weights, kwargs)
    _ovewrite_named_param(kwargs, "groups", 32)
    _ovewrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
def resnext101_32x8d(*, weights: ResNeXt101_32X8D_Weights | None = None,
                     progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNeXt-101 32x8d."""
    weights = _verify(ResNeXt101_32X8D_Weights, weights, kwargs)
    _ovewrite_named_param(kwargs, "groups", 32)
    _ovewrite_named_param(kwargs, "width_per_group", 8)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


@register_model()
def resnext101_64x4d(*, weights: ResNeXt101_64X4D_Weights | None = None,
                     progress: bool = True, **kwargs: Any) -> ResNet:
    """ResNeXt-101 64x4d."""
    weights = _verify(ResNeXt101_64X4D_Weights, weights, kwargs)
    _ovewrite_named_param(kwargs, "groups", 64)
    _ovewrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)


@register_model()
def wide_resnet50_2(*, weights: Wide_ResNet50_2_Weights | None = None, progress: bool = True,
                    **kwargs: Any) -> ResNet:
    """Wide ResNet-50-2 from "Wide Residual Networks": bottlenecks twice as wide."""
    weights = _verify(Wide_ResNet50_2_Weights, weights, kwargs)
    _ovewrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, **kwargs)


@register_model()
def wide_resnet101_2(*, weights: Wide_ResNet101_2_Weights | None = None,
                     progress: bool = True, **kwargs: Any) -> ResNet:
    """Wide ResNet-101-2."""
    weights = _verify(Wide_ResNet101_2_Weights, weights, kwargs)
    _ovewrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, progress, **kwargs)
