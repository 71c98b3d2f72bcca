"""ConvNeXt ("A ConvNet for the 2020s"): Tiny, Small, Base and Large."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import ember
from ember import Tensor, nn

from ..ops.misc import Conv2dNormActivation, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import WeightsEnum, register_model
from ._meta import _REF, _imagenet
from ._utils import _apply_weights_config, _load_weights, _verify

__all__ = ["ConvNeXt", "ConvNeXt_Tiny_Weights", "ConvNeXt_Small_Weights",
           "ConvNeXt_Base_Weights", "ConvNeXt_Large_Weights", "convnext_tiny", "convnext_small",
           "convnext_base", "convnext_large"]


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an ``(N, C, H, W)`` input."""

    def forward(self, x: Tensor) -> Tensor:
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """Depthwise 7x7, LayerNorm over channels, an inverted MLP (GELU), a learned per-channel
    scale and a stochastic-depth residual."""

    def __init__(self, dim: int, layer_scale: float, stochastic_depth_prob: float,
                 norm_layer: Callable[..., nn.Module] | None = None) -> None:
        super().__init__()
        norm_layer = norm_layer or partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]),
            norm_layer(dim),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True),
            nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True),
            Permute([0, 3, 1, 2]))
        self.layer_scale = nn.Parameter(ember.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input: Tensor) -> Tensor:
        result = self.stochastic_depth(self.layer_scale * self.block(input))
        result += input
        return result


class CNBlockConfig:
    """A stage: its width, the width after its downsampling layer (None: the last stage) and
    its number of blocks."""

    def __init__(self, input_channels: int, out_channels: int | None, num_layers: int) -> None:
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(input_channels={self.input_channels}, "
                f"out_channels={self.out_channels}, num_layers={self.num_layers})")


class ConvNeXt(nn.Module):
    """A 4x4 stride-4 patchify stem, stages of CNBlocks separated by LayerNorm + 2x2 stride-2
    downsampling, global average pooling and a LayerNorm + linear classifier. The
    stochastic-depth rate grows linearly from 0 to ``stochastic_depth_prob``."""

    def __init__(self, block_setting: list[CNBlockConfig], stochastic_depth_prob: float = 0.0,
                 layer_scale: float = 1e-6, num_classes: int = 1000,
                 block: Callable[..., nn.Module] | None = None,
                 norm_layer: Callable[..., nn.Module] | None = None, **kwargs: Any) -> None:
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not (isinstance(block_setting, Sequence)
                and all(isinstance(s, CNBlockConfig) for s in block_setting)):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        block = block or CNBlock
        norm_layer = norm_layer or partial(LayerNorm2d, eps=1e-6)
        layers: list[nn.Module] = [Conv2dNormActivation(
            3, block_setting[0].input_channels, kernel_size=4, stride=4, padding=0,
            norm_layer=norm_layer, activation_layer=None, bias=True)]
        total = sum(cnf.num_layers for cnf in block_setting)
        block_id = 0
        for cnf in block_setting:
            stage: list[nn.Module] = []
            for _ in range(cnf.num_layers):
                sd_prob = stochastic_depth_prob * block_id / (total - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(nn.Sequential(
                    norm_layer(cnf.input_channels),
                    nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last = block_setting[-1]
        width = last.out_channels if last.out_channels is not None else last.input_channels
        self.classifier = nn.Sequential(norm_layer(width), nn.Flatten(1),
                                        nn.Linear(width, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def _forward_impl(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)))

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def _convnext(block_setting: list[CNBlockConfig], stochastic_depth_prob: float, weights: Any,
              progress: bool, **kwargs: Any) -> ConvNeXt:
    _apply_weights_config(weights, kwargs)
    model = ConvNeXt(block_setting, stochastic_depth_prob=stochastic_depth_prob, **kwargs)
    return _load_weights(model, weights, progress)


_DOCS_1 = ("These weights improve upon the results of the original paper by using a modified version "
    "of TorchVision's `new training recipe <https://pytorch.org/blog/how-to-train-state-of-the-"
    "art-models-using-torchvision-latest-primitives/>`_.")

class ConvNeXt_Tiny_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/convnext_tiny-983f1562.pth", crop_size=224,
        resize_size=236, num_params=28589128, min_size=(32, 32), acc=(82.52, 96.146), ops=4.456,
        file_size=109.119, recipe=_REF + "#convnext", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/convnext_small-0c510722.pth", crop_size=224,
        resize_size=230, num_params=50223688, min_size=(32, 32), acc=(83.616, 96.65), ops=8.684,
        file_size=191.703, recipe=_REF + "#convnext", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Base_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/convnext_base-6075fbad.pth", crop_size=224,
        resize_size=232, num_params=88591464, min_size=(32, 32), acc=(84.062, 96.87), ops=15.355,
        file_size=338.064, recipe=_REF + "#convnext", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Large_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/convnext_large-ea097f82.pth", crop_size=224,
        resize_size=232, num_params=197767336, min_size=(32, 32), acc=(84.414, 96.976),
        ops=34.361, file_size=754.537, recipe=_REF + "#convnext", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


def _builder(arch: str, enum: type[WeightsEnum], widths: tuple[int, int, int, int],
             depths: tuple[int, int, int, int], sd_prob: float) -> Callable[..., ConvNeXt]:
    def build(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> ConvNeXt:
        weights = _verify(enum, weights, kwargs)
        outs = (*widths[1:], None)
        setting = [CNBlockConfig(w, o, d) for w, o, d in zip(widths, outs, depths)]
        stochastic_depth_prob = kwargs.pop("stochastic_depth_prob", sd_prob)
        return _convnext(setting, stochastic_depth_prob, weights, progress, **kwargs)

    build.__name__ = build.__qualname__ = arch
    build.__doc__ = f"ConvNeXt {arch.split('_')[1].capitalize()} from \"A ConvNet for the 2020s\"."
    build.__annotations__ = {"weights": enum | None, "progress": bool, "kwargs": Any,
                             "return": ConvNeXt}
    build.__module__ = __name__
    return register_model()(build)


convnext_tiny = _builder("convnext_tiny", ConvNeXt_Tiny_Weights, (96, 192, 384, 768),
                         (3, 3, 9, 3), 0.1)
convnext_small = _builder("convnext_small", ConvNeXt_Small_Weights, (96, 192, 384, 768),
                          (3, 3, 27, 3), 0.4)
convnext_base = _builder("convnext_base", ConvNeXt_Base_Weights, (128, 256, 512, 1024),
                         (3, 3, 27, 3), 0.5)
convnext_large = _builder("convnext_large", ConvNeXt_Large_Weights, (192, 384, 768, 1536),
                          (3, 3, 27, 3), 0.5)
