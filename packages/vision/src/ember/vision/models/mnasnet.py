"""MNASNet ("MnasNet: Platform-Aware Neural Architecture Search for Mobile"), the B1 variant
with depth multipliers 0.5, 0.75, 1.0 and 1.3."""

from __future__ import annotations

import warnings
from typing import Any

from ember import Tensor, nn

from ._api import WeightsEnum, register_model
from ._meta import _TV, _imagenet
from ._utils import _apply_weights_config, _load_weights, _verify

__all__ = ["MNASNet", "MNASNet0_5_Weights", "MNASNet0_75_Weights", "MNASNet1_0_Weights",
           "MNASNet1_3_Weights", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]

# the paper's TensorFlow momentum 0.9997, in PyTorch's convention
_BN_MOMENTUM = 1 - 0.9997


class _InvertedResidual(nn.Module):
    """Pointwise expansion, depthwise kxk, linear pointwise projection; residual when the
    shape is kept."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int,
                 expansion_factor: int, bn_momentum: float = 0.1) -> None:
        super().__init__()
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in [3, 5]:
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid, 1, bias=False),
            nn.BatchNorm2d(mid, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, kernel_size, padding=kernel_size // 2, stride=stride, groups=mid,
                      bias=False),
            nn.BatchNorm2d(mid, momentum=bn_momentum),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch, momentum=bn_momentum))

    def forward(self, input: Tensor) -> Tensor:
        if self.apply_residual:
            return self.layers(input) + input
        return self.layers(input)


def _stack(in_ch: int, out_ch: int, kernel_size: int, stride: int, exp_factor: int,
           repeats: int, bn_momentum: float) -> nn.Sequential:
    """``repeats`` inverted residuals; only the first changes width or stride."""
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    first = _InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor,
                              bn_momentum=bn_momentum)
    rest = [_InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor,
                              bn_momentum=bn_momentum) for _ in range(1, repeats)]
    return nn.Sequential(first, *rest)


def _round_to_multiple_of(val: float, divisor: int, round_up_bias: float = 0.9) -> int:
    """Round ``val`` to a multiple of ``divisor``, up unless that lands within 10% above the
    lower multiple (so (83, 8) -> 80 and (84, 8) -> 88)."""
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError(f"round_up_bias should be greater than 0.0 and smaller than 1.0 "
                         f"instead of {round_up_bias}")
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha: float) -> list[int]:
    """The stage widths scaled by ``alpha``."""
    return [_round_to_multiple_of(d * alpha, 8) for d in (32, 16, 24, 40, 80, 96, 192, 320)]


def _stem(d0: int, d1: int) -> list[nn.Module]:
    return [nn.Conv2d(3, d0, 3, padding=1, stride=2, bias=False),
            nn.BatchNorm2d(d0, momentum=_BN_MOMENTUM), nn.ReLU(inplace=True),
            nn.Conv2d(d0, d0, 3, padding=1, stride=1, groups=d0, bias=False),
            nn.BatchNorm2d(d0, momentum=_BN_MOMENTUM), nn.ReLU(inplace=True),
            nn.Conv2d(d0, d1, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(d1, momentum=_BN_MOMENTUM)]


class MNASNet(nn.Module):
    """MNASNet-B1 with widths scaled by ``alpha``: a separable-convolution stem, six stacks of
    inverted residuals, a 1x1 convolution to 1280 channels, global average pooling and a
    dropout + linear classifier."""

    # version 2 scales the stem's widths with alpha too; version 1 checkpoints still load
    _version = 2

    def __init__(self, alpha: float, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        d = _get_depths(alpha)
        m = _BN_MOMENTUM
        layers = _stem(d[0], d[1]) + [
            _stack(d[1], d[2], 3, 2, 3, 3, m), _stack(d[2], d[3], 5, 2, 3, 3, m),
            _stack(d[3], d[4], 5, 2, 6, 3, m), _stack(d[4], d[5], 3, 1, 6, 2, m),
            _stack(d[5], d[6], 5, 2, 6, 4, m), _stack(d[6], d[7], 3, 1, 6, 1, m),
            nn.Conv2d(d[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=m), nn.ReLU(inplace=True)]
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(1280, num_classes))
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
                if mod.bias is not None:
                    nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.BatchNorm2d):
                nn.init.ones_(mod.weight)
                nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.Linear):
                nn.init.kaiming_uniform_(mod.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(mod.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.layers(x).mean([2, 3]))

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:
        version = local_metadata.get("version", None)
        if version not in [1, 2]:
            raise ValueError(f"version should be set to 1 or 2 instead of {version}")
        if version == 1 and not self.alpha == 1.0:
            # version 1 had a fixed-width stem: rebuild it so the old checkpoint fits
            d = _get_depths(self.alpha)
            for idx, layer in enumerate(_stem(32, 16) + [_stack(16, d[2], 3, 2, 3, 3,
                                                                _BN_MOMENTUM)]):
                self.layers[idx] = layer
            self._version = 1
            warnings.warn("A new version of MNASNet model has been implemented. Your checkpoint "
                          "was saved using the previous version. This checkpoint will load and "
                          "work as before, but you may want to upgrade by training a newer model "
                          "or transfer learning from an updated ImageNet checkpoint.",
                          UserWarning, stacklevel=2)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


def _mnasnet(alpha: float, weights: Any, progress: bool, **kwargs: Any) -> MNASNet:
    _apply_weights_config(weights, kwargs)
    return _load_weights(MNASNet(alpha, **kwargs), weights, progress)


_DOCS_1 = ("These weights reproduce closely the results of the paper.")
_DOCS_2 = ("These weights were trained from scratch by using TorchVision's `new training recipe "
    "<https://pytorch.org/blog/how-to-train-state-of-the-art-models-using-torchvision-latest-"
    "primitives/>`_.")

class MNASNet0_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/mnasnet0.5_top1_67.823-3ffadce67e.pth",
        crop_size=224, num_params=2218512, min_size=(1, 1), acc=(67.734, 87.49), ops=0.104,
        file_size=8.591, recipe="https://github.com/1e100/mnasnet_trainer", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class MNASNet0_75_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/mnasnet0_75-7090bc5f.pth", crop_size=224,
        resize_size=232, num_params=3170208, min_size=(1, 1), acc=(71.18, 90.496), ops=0.215,
        file_size=12.303, recipe=_TV + "pull/6019", docs=_DOCS_2)
    DEFAULT = IMAGENET1K_V1


class MNASNet1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/mnasnet1.0_top1_73.512-f206786ef8.pth",
        crop_size=224, num_params=4383312, min_size=(1, 1), acc=(73.456, 91.51), ops=0.314,
        file_size=16.915, recipe="https://github.com/1e100/mnasnet_trainer", docs=_DOCS_1)
    DEFAULT = IMAGENET1K_V1


class MNASNet1_3_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet(
        "https://download.pytorch.org/models/mnasnet1_3-a4c69d6f.pth", crop_size=224,
        resize_size=232, num_params=6282256, min_size=(1, 1), acc=(76.506, 93.522), ops=0.526,
        file_size=24.246, recipe=_TV + "pull/6019", docs=_DOCS_2)
    DEFAULT = IMAGENET1K_V1




@register_model()
def mnasnet0_5(*, weights: MNASNet0_5_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 0.5."""
    weights = _verify(MNASNet0_5_Weights, weights, kwargs)
    return _mnasnet(0.5, weights, progress, **kwargs)


@register_model()
def mnasnet0_75(*, weights: MNASNet0_75_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 0.75."""
    weights = _verify(MNASNet0_75_Weights, weights, kwargs)
    return _mnasnet(0.75, weights, progress, **kwargs)


@register_model()
def mnasnet1_0(*, weights: MNASNet1_0_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 1.0."""
    weights = _verify(MNASNet1_0_Weights, weights, kwargs)
    return _mnasnet(1.0, weights, progress, **kwargs)


@register_model()
def mnasnet1_3(*, weights: MNASNet1_3_Weights | None = None, progress: bool = True,
              **kwargs: Any) -> MNASNet:
    """MNASNet with depth multiplier 1.3."""
    weights = _verify(MNASNet1_3_Weights, weights, kwargs)
    return _mnasnet(1.3, weights, progress, **kwargs)
