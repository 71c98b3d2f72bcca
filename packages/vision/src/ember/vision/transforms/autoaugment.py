"""Learned and random augmentation policies (torchvision.transforms.autoaugment):
AutoAugment, RandAugment, TrivialAugmentWide and AugMix."""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

import numpy as np

import ember
from ember import Tensor, nn

from . import functional as F
from .functional import InterpolationMode

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _apply_op(img: Any, op_name: str, magnitude: float, interpolation: InterpolationMode,
              fill: list[float] | None) -> Any:
    if op_name == "ShearX":
        # the shear angle is atan(magnitude), about the top-left corner
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[math.degrees(math.atan(magnitude)), 0.0],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[0.0, math.degrees(math.atan(magnitude))],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    if op_name == "Brightness":
        return F.adjust_brightness(img, 1.0 + magnitude)
    if op_name == "Color":
        return F.adjust_saturation(img, 1.0 + magnitude)
    if op_name == "Contrast":
        return F.adjust_contrast(img, 1.0 + magnitude)
    if op_name == "Sharpness":
        return F.adjust_sharpness(img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return F.solarize(img, magnitude)
    if op_name == "AutoContrast":
        return F.autocontrast(img)
    if op_name == "Equalize":
        return F.equalize(img)
    if op_name == "Invert":
        return F.invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


class AutoAugmentPolicy(Enum):
    """The policies learned on ImageNet, CIFAR10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


def _pairs(spec: str) -> list[tuple[tuple[str, float, int | None], ...]]:
    """Parse 'Op p m, Op p m; ...' (m '-' for none) into the policy tuples."""
    policy = []
    for sub in spec.split(";"):
        ops = []
        for op in sub.split(","):
            name, p, m = op.split()
            ops.append((name, float(p), None if m == "-" else int(m)))
        policy.append(tuple(ops))
    return policy


_POLICIES = {
    AutoAugmentPolicy.IMAGENET: _pairs(
        "Posterize .4 8, Rotate .6 9; Solarize .6 5, AutoContrast .6 -; Equalize .8 -, Equalize .6 -;"
        "Posterize .6 7, Posterize .6 6; Equalize .4 -, Solarize .2 4; Equalize .4 -, Rotate .8 8;"
        "Solarize .6 3, Equalize .6 -; Posterize .8 5, Equalize 1 -; Rotate .2 3, Solarize .6 8;"
        "Equalize .6 -, Posterize .4 6; Rotate .8 8, Color .4 0; Rotate .4 9, Equalize .6 -;"
        "Equalize 0 -, Equalize .8 -; Invert .6 -, Equalize 1 -; Color .6 4, Contrast 1 8;"
        "Rotate .8 8, Color 1 2; Color .8 8, Solarize .8 7; Sharpness .4 7, Invert .6 -;"
        "ShearX .6 5, Equalize 1 -; Color .4 0, Equalize .6 -; Equalize .4 -, Solarize .2 4;"
        "Solarize .6 5, AutoContrast .6 -; Invert .6 -, Equalize 1 -; Color .6 4, Contrast 1 8;"
        "Equalize .8 -, Equalize .6 -"),
    AutoAugmentPolicy.CIFAR10: _pairs(
        "Invert .1 -, Contrast .2 6; Rotate .7 2, TranslateX .3 9; Sharpness .8 1, Sharpness .9 3;"
        "ShearY .5 8, TranslateY .7 9; AutoContrast .5 -, Equalize .9 -; ShearY .2 7, Posterize .3 7;"
        "Color .4 3, Brightness .6 7; Sharpness .3 9, Brightness .7 9; Equalize .6 -, Equalize .5 -;"
        "Contrast .6 7, Sharpness .6 5; Color .7 7, TranslateX .5 8; Equalize .3 -, AutoContrast .4 -;"
        "TranslateY .4 3, Sharpness .2 6; Brightness .9 6, Color .2 8; Solarize .5 2, Invert 0 -;"
        "Equalize .2 -, AutoContrast .6 -; Equalize .2 -, Equalize .6 -; Color .9 9, Equalize .6 -;"
        "AutoContrast .8 -, Solarize .2 8; Brightness .1 3, Color .7 0;"
        "Solarize .4 5, AutoContrast .9 -; TranslateY .9 9, TranslateY .7 9;"
        "AutoContrast .9 -, Solarize .8 3; Equalize .8 -, Invert .1 -;"
        "TranslateY .7 9, AutoContrast .9 -"),
    AutoAugmentPolicy.SVHN: _pairs(
        "ShearX .9 4, Invert .2 -; ShearY .9 8, Invert .7 -; Equalize .6 -, Solarize .6 6;"
        "Invert .9 -, Equalize .6 -; Equalize .6 -, Rotate .9 3; ShearX .9 4, AutoContrast .8 -;"
        "ShearY .9 8, Invert .4 -; ShearY .9 5, Solarize .2 6; Invert .9 -, AutoContrast .8 -;"
        "Equalize .6 -, Rotate .9 3; ShearX .9 4, Solarize .3 3; ShearY .8 8, Invert .7 -;"
        "Equalize .9 -, TranslateY .6 6; Invert .9 -, Equalize .6 -; Contrast .3 3, Rotate .8 4;"
        "Invert .8 -, TranslateY 0 2; ShearY .7 6, Solarize .4 8; Invert .6 -, Rotate .8 4;"
        "ShearY .3 7, TranslateX .9 3; ShearX .1 6, Invert .6 -; Solarize .7 2, TranslateY .6 7;"
        "ShearY .8 4, Invert .8 -; ShearX .7 9, TranslateY .8 3; ShearY .8 5, AutoContrast .7 -;"
        "ShearX .7 2, Invert .1 -"),
}


def _torch_linspace(start: float, end: float, steps: int) -> Tensor:
    """float32 ``linspace`` rounded as PyTorch's CPU kernel rounds it (float32 step, one
    rounding of ``start + step * i`` for the first half and ``end - step * (steps - 1 - i)``
    for the second), so that magnitudes equal torchvision's bit for bit."""
    f32 = np.float32
    if steps == 1:
        return ember.tensor([float(f32(start))])
    s, e = f32(start), f32(end)
    step = np.float64((e - s) / f32(steps - 1))
    i = np.arange(steps)
    values = np.where(i < steps // 2, np.float64(s) + step * i, np.float64(e) - step * (steps - 1 - i))
    return ember.from_numpy(values.astype(f32))


def _linspace(end: float, num_bins: int) -> tuple[Tensor, bool]:
    return _torch_linspace(0.0, end, num_bins), True


def _posterize_bins(start: int, num_bins: int, span: int) -> tuple[Tensor, bool]:
    return start - (ember.arange(num_bins) / ((num_bins - 1) / span)).round().int(), False


def _none() -> tuple[Tensor, bool]:
    return ember.tensor(0.0), False


def _tensor_fill(img: Any, fill: Any, channels: int) -> Any:
    if isinstance(img, Tensor):
        if isinstance(fill, (int, float)):
            return [float(fill)] * channels
        if fill is not None:
            return [float(f) for f in fill]
    return fill


def _magnitude(magnitudes: Tensor, index: Any) -> float:
    return float(magnitudes[index].item()) if magnitudes.ndim > 0 else 0.0


class AutoAugment(nn.Module):
    """AutoAugment: apply one random sub-policy (two ops with probabilities) of ``policy``."""

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST,
                 fill: list[float] | None = None) -> None:
        super().__init__()
        self.policy = policy
        self.interpolation = interpolation
        self.fill = fill
        self.policies = self._get_policies(policy)

    def _get_policies(self, policy: AutoAugmentPolicy) -> list:
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        return list(_POLICIES[policy])

    def _augmentation_space(self, num_bins: int, image_size: tuple[int, int]) -> dict[str, tuple]:
        return {
            "ShearX": _linspace(0.3, num_bins), "ShearY": _linspace(0.3, num_bins),
            "TranslateX": _linspace(150.0 / 331.0 * image_size[1], num_bins),
            "TranslateY": _linspace(150.0 / 331.0 * image_size[0], num_bins),
            "Rotate": _linspace(30.0, num_bins), "Brightness": _linspace(0.9, num_bins),
            "Color": _linspace(0.9, num_bins), "Contrast": _linspace(0.9, num_bins),
            "Sharpness": _linspace(0.9, num_bins), "Posterize": _posterize_bins(8, num_bins, 4),
            "Solarize": (_torch_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": _none(), "Equalize": _none(), "Invert": _none(),
        }

    @staticmethod
    def get_params(transform_num: int) -> tuple[int, Tensor, Tensor]:
        """(sub-policy index, probabilities of its two ops, signs of their magnitudes)."""
        policy_id = int(ember.randint(transform_num, (1,)).item())
        probs = ember.rand((2,))
        signs = ember.randint(2, (2,))
        return policy_id, probs, signs

    def forward(self, img: Any) -> Any:
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(img, self.fill, channels)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, signed = op_meta[op_name]
                magnitude = _magnitude(magnitudes, magnitude_id) if magnitude_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment(nn.Module):
    """RandAugment: ``num_ops`` random ops, all at the same ``magnitude``."""

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST,
                 fill: list[float] | None = None) -> None:
        super().__init__()
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int, image_size: tuple[int, int]) -> dict[str, tuple]:
        return {
            "Identity": _none(), "ShearX": _linspace(0.3, num_bins),
            "ShearY": _linspace(0.3, num_bins),
            "TranslateX": _linspace(150.0 / 331.0 * image_size[1], num_bins),
            "TranslateY": _linspace(150.0 / 331.0 * image_size[0], num_bins),
            "Rotate": _linspace(30.0, num_bins), "Brightness": _linspace(0.9, num_bins),
            "Color": _linspace(0.9, num_bins), "Contrast": _linspace(0.9, num_bins),
            "Sharpness": _linspace(0.9, num_bins), "Posterize": _posterize_bins(8, num_bins, 4),
            "Solarize": (_torch_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": _none(), "Equalize": _none(),
        }

    def forward(self, img: Any) -> Any:
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(img, self.fill, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        names = list(op_meta)
        for _ in range(self.num_ops):
            op_name = names[int(ember.randint(len(op_meta), (1,)).item())]
            magnitudes, signed = op_meta[op_name]
            magnitude = _magnitude(magnitudes, self.magnitude)
            if signed and ember.randint(2, (1,)):
                magnitude *= -1.0
            img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class TrivialAugmentWide(nn.Module):
    """TrivialAugment Wide: one random op at a random magnitude."""

    def __init__(self, num_magnitude_bins: int = 31,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST,
                 fill: list[float] | None = None) -> None:
        super().__init__()
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int) -> dict[str, tuple]:
        return {
            "Identity": _none(), "ShearX": _linspace(0.99, num_bins),
            "ShearY": _linspace(0.99, num_bins), "TranslateX": _linspace(32.0, num_bins),
            "TranslateY": _linspace(32.0, num_bins), "Rotate": _linspace(135.0, num_bins),
            "Brightness": _linspace(0.99, num_bins), "Color": _linspace(0.99, num_bins),
            "Contrast": _linspace(0.99, num_bins), "Sharpness": _linspace(0.99, num_bins),
            "Posterize": _posterize_bins(8, num_bins, 6),
            "Solarize": (_torch_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": _none(), "Equalize": _none(),
        }

    def forward(self, img: Any) -> Any:
        channels, _, _ = F.get_dimensions(img)
        fill = _tensor_fill(img, self.fill, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        op_name = list(op_meta)[int(ember.randint(len(op_meta), (1,)).item())]
        magnitudes, signed = op_meta[op_name]
        magnitude = 0.0
        if magnitudes.ndim > 0:
            magnitude = _magnitude(magnitudes, ember.randint(len(magnitudes), (1,), dtype=ember.long))
        if signed and ember.randint(2, (1,)):
            magnitude *= -1.0
        return _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class AugMix(nn.Module):
    """AugMix: a Dirichlet-weighted mix of ``mixture_width`` random augmentation chains,
    blended with the original by a Beta weight.

    The mixing weights come from ``ember._sample_dirichlet``, which follows PyTorch's
    stream, so a seeded AugMix draws the same weights and ops as torchvision's.
    """

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True,
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 fill: list[float] | None = None) -> None:
        super().__init__()
        self._PARAMETER_MAX = 10
        if not 1 <= severity <= self._PARAMETER_MAX:
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got "
                             f"{severity} instead.")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins: int, image_size: tuple[int, int]) -> dict[str, tuple]:
        s = {
            "ShearX": _linspace(0.3, num_bins), "ShearY": _linspace(0.3, num_bins),
            "TranslateX": _linspace(image_size[1] / 3.0, num_bins),
            "TranslateY": _linspace(image_size[0] / 3.0, num_bins),
            "Rotate": _linspace(30.0, num_bins), "Posterize": _posterize_bins(4, num_bins, 4),
            "Solarize": (_torch_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": _none(), "Equalize": _none(),
        }
        if self.all_ops:
            s.update({"Brightness": _linspace(0.9, num_bins), "Color": _linspace(0.9, num_bins),
                      "Contrast": _linspace(0.9, num_bins), "Sharpness": _linspace(0.9, num_bins)})
        return s

    def _sample_dirichlet(self, params: Tensor) -> Tensor:
        # a method of its own so that tests can override it, as in torchvision
        return ember._sample_dirichlet(params)

    def forward(self, orig_img: Any) -> Any:
        channels, height, width = F.get_dimensions(orig_img)
        is_tensor = isinstance(orig_img, Tensor)
        img = orig_img if is_tensor else F.pil_to_tensor(orig_img)
        fill = _tensor_fill(img, self.fill, channels)
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        names = list(op_meta)
        orig_dims = list(img.shape)
        batch = img.view([1] * max(4 - img.ndim, 0) + orig_dims)
        n = batch.size(0)
        batch_dims = [n] + [1] * (batch.ndim - 1)
        m = self._sample_dirichlet(ember.tensor([self.alpha, self.alpha],
                                                device=batch.device).expand(n, -1))
        weights = self._sample_dirichlet(ember.tensor([self.alpha] * self.mixture_width,
                                                      device=batch.device).expand(n, -1))
        weights = weights * m[:, 1].view([n, -1])
        mix = m[:, 0].view(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth if self.chain_depth > 0 else int(
                ember.randint(low=1, high=4, size=(1,)).item())
            for _ in range(depth):
                op_name = names[int(ember.randint(len(op_meta), (1,)).item())]
                magnitudes, signed = op_meta[op_name]
                magnitude = 0.0
                if magnitudes.ndim > 0:
                    magnitude = _magnitude(magnitudes,
                                           ember.randint(self.severity, (1,), dtype=ember.long))
                if signed and ember.randint(2, (1,)):
                    magnitude *= -1.0
                aug = _apply_op(aug, op_name, magnitude, interpolation=self.interpolation, fill=fill)
            mix = mix + weights[:, i].view(batch_dims) * aug
        mix = mix.view(orig_dims).to(dtype=img.dtype)
        return mix if is_tensor else F.to_pil_image(mix)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(severity={self.severity}, mixture_width="
                f"{self.mixture_width}, chain_depth={self.chain_depth}, alpha={self.alpha}, "
                f"all_ops={self.all_ops}, interpolation={self.interpolation}, fill={self.fill})")
