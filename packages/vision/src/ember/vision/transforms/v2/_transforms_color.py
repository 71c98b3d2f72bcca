"""v2 color transforms and automatic augmentation policies (images and videos; masks and
bounding boxes pass through color changes)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PIL import Image as _PIL

import ember
from ember import Tensor

from ... import tv_tensors
from .._functional_tensor import _max_value
from ..autoaugment import _POLICIES, AutoAugmentPolicy, _torch_linspace
from . import functional as F
from ._transform import (
    Transform,
    _get_fill,
    _RandomApplyTransform,
    _setup_fill_arg,
    check_type,
    query_chw,
    tree_flatten,
    tree_unflatten,
)

__all__ = ["Grayscale", "RandomGrayscale", "RGB", "ColorJitter", "RandomChannelPermutation",
           "RandomPhotometricDistort", "RandomEqualize", "RandomInvert", "RandomPosterize",
           "RandomSolarize", "RandomAutocontrast", "RandomAdjustSharpness", "AutoAugment",
           "RandAugment", "TrivialAugmentWide", "AugMix"]


class Grayscale(Transform):
    def __init__(self, num_output_channels: int = 1) -> None:
        super().__init__()
        self.num_output_channels = num_output_channels

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.rgb_to_grayscale, inpt,
                                 num_output_channels=self.num_output_channels)


class RandomGrayscale(_RandomApplyTransform):
    def __init__(self, p: float = 0.1) -> None:
        super().__init__(p=p)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return dict(num_input_channels=query_chw(flat_inputs)[0])

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.rgb_to_grayscale, inpt,
                                 num_output_channels=params["num_input_channels"])


class RGB(Transform):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.grayscale_to_rgb, inpt)


def _uniform(low: float, high: float) -> float:
    return float(ember.empty(1).uniform_(low, high).item())


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue, in a random order."""

    def __init__(self, brightness: Any = None, contrast: Any = None, saturation: Any = None,
                 hue: Any = None) -> None:
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5),
                                     clip_first_on_zero=False)

    def _check_input(self, value: Any, name: str, center: float = 1.0,
                     bound: tuple = (0, float("inf")), clip_first_on_zero: bool = True) -> Any:
        if value is None:
            return None
        if isinstance(value, (int, float)):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - value, center + value]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, Sequence) and len(value) == 2:
            value = [float(v) for v in value]
        else:
            raise TypeError(f"{name}={value} should be a single number or a sequence with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound} and increasing, but got "
                             f"{value}.")
        return None if value[0] == value[1] == center else (float(value[0]), float(value[1]))

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        fn_idx = ember.randperm(4)
        b = None if self.brightness is None else _uniform(*self.brightness)
        c = None if self.contrast is None else _uniform(*self.contrast)
        s = None if self.saturation is None else _uniform(*self.saturation)
        h = None if self.hue is None else _uniform(*self.hue)
        return dict(fn_idx=fn_idx, brightness_factor=b, contrast_factor=c, saturation_factor=s,
                    hue_factor=h)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        ops = {0: (F.adjust_brightness, "brightness_factor"), 1: (F.adjust_contrast, "contrast_factor"),
               2: (F.adjust_saturation, "saturation_factor"), 3: (F.adjust_hue, "hue_factor")}
        for fn_id in params["fn_idx"].tolist():
            fn, key = ops[fn_id]
            if params[key] is not None:
                inpt = self._call_kernel(fn, inpt, params[key])
        return inpt


class RandomChannelPermutation(Transform):
    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return dict(permutation=ember.randperm(query_chw(flat_inputs)[0]))

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.permute_channels, inpt, params["permutation"])


class RandomPhotometricDistort(Transform):
    """SSD's photometric distortion: each adjustment with probability ``p``."""

    def __init__(self, brightness: tuple[float, float] = (0.875, 1.125),
                 contrast: tuple[float, float] = (0.5, 1.5),
                 saturation: tuple[float, float] = (0.5, 1.5),
                 hue: tuple[float, float] = (-0.05, 0.05), p: float = 0.5) -> None:
        super().__init__()
        self.brightness = brightness
        self.contrast = contrast
        self.hue = hue
        self.saturation = saturation
        self.p = p

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        num_channels = query_chw(flat_inputs)[0]
        params: dict[str, Any] = {}
        for key, rng in (("brightness_factor", self.brightness), ("contrast_factor", self.contrast),
                         ("saturation_factor", self.saturation), ("hue_factor", self.hue)):
            params[key] = _uniform(rng[0], rng[1]) if ember.rand(1) < self.p else None
        params["contrast_before"] = bool(ember.rand(()) < 0.5)
        params["channel_permutation"] = (ember.randperm(num_channels)
                                         if ember.rand(1) < self.p else None)
        return params

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if params["brightness_factor"] is not None:
            inpt = self._call_kernel(F.adjust_brightness, inpt, params["brightness_factor"])
        if params["contrast_factor"] is not None and params["contrast_before"]:
            inpt = self._call_kernel(F.adjust_contrast, inpt, params["contrast_factor"])
        if params["saturation_factor"] is not None:
            inpt = self._call_kernel(F.adjust_saturation, inpt, params["saturation_factor"])
        if params["hue_factor"] is not None:
            inpt = self._call_kernel(F.adjust_hue, inpt, params["hue_factor"])
        if params["contrast_factor"] is not None and not params["contrast_before"]:
            inpt = self._call_kernel(F.adjust_contrast, inpt, params["contrast_factor"])
        if params["channel_permutation"] is not None:
            inpt = self._call_kernel(F.permute_channels, inpt, params["channel_permutation"])
        return inpt


class RandomEqualize(_RandomApplyTransform):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.equalize, inpt)


class RandomInvert(_RandomApplyTransform):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.invert, inpt)


class RandomAutocontrast(_RandomApplyTransform):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.autocontrast, inpt)


class RandomPosterize(_RandomApplyTransform):
    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.bits = bits

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.posterize, inpt, bits=self.bits)


class RandomSolarize(_RandomApplyTransform):
    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.threshold = threshold

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.solarize, inpt, threshold=self.threshold)


class RandomAdjustSharpness(_RandomApplyTransform):
    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(p=p)
        self.sharpness_factor = sharpness_factor

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.adjust_sharpness, inpt, sharpness_factor=self.sharpness_factor)


# ---------------------------------------------------------------------------- auto augment
def _space(*, wide: bool, width: float, height: float, identity: bool) -> dict[str, tuple]:
    """name -> (magnitudes(num_bins) or None, signed), as torchvision v2 defines them."""
    top = 0.99 if wide else 0.9
    shear = 0.99 if wide else 0.3
    space: dict[str, tuple] = {"Identity": (None, False)} if identity else {}
    space.update({
        "ShearX": (lambda n: _torch_linspace(0.0, shear, n), True),
        "ShearY": (lambda n: _torch_linspace(0.0, shear, n), True),
        "TranslateX": (lambda n: _torch_linspace(0.0, 32.0 if wide else 150.0 / 331.0 * width, n),
                       True),
        "TranslateY": (lambda n: _torch_linspace(0.0, 32.0 if wide else 150.0 / 331.0 * height, n),
                       True),
        "Rotate": (lambda n: _torch_linspace(0.0, 135.0 if wide else 30.0, n), True),
        "Brightness": (lambda n: _torch_linspace(0.0, top, n), True),
        "Color": (lambda n: _torch_linspace(0.0, top, n), True),
        "Contrast": (lambda n: _torch_linspace(0.0, top, n), True),
        "Sharpness": (lambda n: _torch_linspace(0.0, top, n), True),
        "Posterize": (lambda n: (8 - (ember.arange(n) / ((n - 1) / (6 if wide else 4)))).round().int(),
                      False),
        "Solarize": (lambda n: _torch_linspace(1.0, 0.0, n), False),
        "AutoContrast": (None, False), "Equalize": (None, False),
    })
    return space


class _AutoAugmentBase(Transform):
    def __init__(self, *, interpolation: Any = "nearest", fill: Any = None) -> None:
        super().__init__()
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)

    def _get_random_item(self, dct: dict) -> tuple[str, Any]:
        keys = tuple(dct)
        key = keys[int(ember.randint(len(keys), ()))]
        return key, dct[key]

    def _extract_image(self, inputs: tuple) -> tuple[tuple, Any]:
        flat, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        needs = self._needs_transform_list(flat)
        found = []
        for idx, (inpt, need) in enumerate(zip(flat, needs)):
            if need and check_type(inpt, (tv_tensors.Image, _PIL.Image, F.is_pure_tensor,
                                          tv_tensors.Video)):
                found.append((idx, inpt))
            elif isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask,
                                   tv_tensors.KeyPoints)):
                raise TypeError(f"Inputs of type {type(inpt).__name__} are not supported by "
                                f"{type(self).__name__}()")
        if not found:
            raise TypeError("Found no image in the sample.")
        if len(found) > 1:
            raise TypeError("Auto augment transformations are only properly defined for a single "
                            f"image or video, but found {len(found)}.")
        return (flat, spec, found[0][0]), found[0][1]

    @staticmethod
    def _insert(where: tuple, image: Any) -> Any:
        flat, spec, idx = where
        flat[idx] = image
        return tree_unflatten(flat, spec)

    def _draw_magnitude(self, magnitudes: Tensor | None, index: Any, signed: bool) -> float:
        if magnitudes is None:
            return 0.0
        magnitude = float(magnitudes[index])
        if signed and ember.rand(()) <= 0.5:
            magnitude *= -1
        return magnitude

    def _apply_op(self, image: Any, op: str, magnitude: float) -> Any:
        fill = _get_fill(self._fill, type(image))
        interp = self.interpolation
        if op == "Identity":
            return image
        if op in ("ShearX", "ShearY"):
            angle = math.degrees(math.atan(magnitude))
            shear = [angle, 0.0] if op == "ShearX" else [0.0, angle]
            return F.affine(image, angle=0.0, translate=[0, 0], scale=1.0, shear=shear,
                            interpolation=interp, fill=fill, center=[0, 0])
        if op in ("TranslateX", "TranslateY"):
            translate = [int(magnitude), 0] if op == "TranslateX" else [0, int(magnitude)]
            return F.affine(image, angle=0.0, translate=translate, scale=1.0, shear=[0.0, 0.0],
                            interpolation=interp, fill=fill)
        if op == "Rotate":
            return F.rotate(image, angle=magnitude, interpolation=interp, fill=fill)
        adjust = {"Brightness": F.adjust_brightness, "Color": F.adjust_saturation,
                  "Contrast": F.adjust_contrast, "Sharpness": F.adjust_sharpness}
        if op in adjust:
            return adjust[op](image, 1.0 + magnitude)
        if op == "Posterize":
            return F.posterize(image, int(magnitude))
        if op == "Solarize":
            bound = _max_value(image.dtype) if isinstance(image, Tensor) else 255.0
            return F.solarize(image, bound * magnitude)
        return {"AutoContrast": F.autocontrast, "Equalize": F.equalize, "Invert": F.invert}[op](image)


class AutoAugment(_AutoAugmentBase):
    """AutoAugment with torchvision v2's draws (policy, then per op: apply?, sign?)."""

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation: Any = "nearest", fill: Any = None) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        self.policy = policy
        self._policies = list(_POLICIES[policy])

    def forward(self, *inputs: Any) -> Any:
        where, image = self._extract_image(inputs)
        height, width = F.get_size(image)
        space = _space(wide=False, width=width, height=height, identity=False)
        space["Invert"] = (None, False)
        policy = self._policies[int(ember.randint(len(self._policies), ()))]
        for op, probability, magnitude_idx in policy:
            if not ember.rand(()) <= probability:
                continue
            fn, signed = space[op]
            image = self._apply_op(image, op, self._draw_magnitude(
                fn(10) if fn else None, magnitude_idx, signed))
        return self._insert(where, image)


class RandAugment(_AutoAugmentBase):
    """RandAugment with torchvision v2's draws."""

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: Any = "nearest", fill: Any = None) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        if not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"num_ops should be a non-negative integer, but got {num_ops} instead.")
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins

    def forward(self, *inputs: Any) -> Any:
        where, image = self._extract_image(inputs)
        height, width = F.get_size(image)
        space = _space(wide=False, width=width, height=height, identity=True)
        for _ in range(self.num_ops):
            op, (fn, signed) = self._get_random_item(space)
            mags = fn(self.num_magnitude_bins) if fn else None
            image = self._apply_op(image, op, self._draw_magnitude(mags, self.magnitude, signed))
        return self._insert(where, image)


class TrivialAugmentWide(_AutoAugmentBase):
    """TrivialAugment Wide with torchvision v2's draws."""

    def __init__(self, num_magnitude_bins: int = 31,
                 interpolation: Any = "nearest", fill: Any = None) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        self.num_magnitude_bins = num_magnitude_bins

    def forward(self, *inputs: Any) -> Any:
        where, image = self._extract_image(inputs)
        height, width = F.get_size(image)
        op, (fn, signed) = self._get_random_item(
            _space(wide=True, width=width, height=height, identity=True))
        magnitude = 0.0
        if fn is not None:
            mags = fn(self.num_magnitude_bins)
            magnitude = self._draw_magnitude(mags, int(ember.randint(self.num_magnitude_bins, ())),
                                             signed)
        return self._insert(where, self._apply_op(image, op, magnitude))


def _augmix_space(all_ops: bool) -> dict[str, tuple]:
    """name -> (magnitudes(num_bins, height, width) or None, signed), v2's AugMix table."""
    space: dict[str, tuple] = {
        "ShearX": (lambda n, h, w: _torch_linspace(0.0, 0.3, n), True),
        "ShearY": (lambda n, h, w: _torch_linspace(0.0, 0.3, n), True),
        "TranslateX": (lambda n, h, w: _torch_linspace(0.0, w / 3.0, n), True),
        "TranslateY": (lambda n, h, w: _torch_linspace(0.0, h / 3.0, n), True),
        "Rotate": (lambda n, h, w: _torch_linspace(0.0, 30.0, n), True),
        "Posterize": (lambda n, h, w: (4 - (ember.arange(n) / ((n - 1) / 4))).round().int(), False),
        "Solarize": (lambda n, h, w: _torch_linspace(1.0, 0.0, n), False),
        "AutoContrast": (None, False), "Equalize": (None, False),
    }
    if all_ops:
        for name in ("Brightness", "Color", "Contrast", "Sharpness"):
            space[name] = (lambda n, h, w: _torch_linspace(0.0, 0.9, n), True)
    return space


class AugMix(_AutoAugmentBase):
    """AugMix with torchvision v2's draws (``randint(severity, ())`` for the magnitude,
    ``rand(()) <= 0.5`` for its sign); tv_tensors come back wrapped, PIL images as PIL."""

    _PARAMETER_MAX = 10

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True, interpolation: Any = "bilinear",
                 fill: Any = None) -> None:
        super().__init__(interpolation=interpolation, fill=fill)
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. "
                             f"Got {severity} instead.")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops

    def _sample_dirichlet(self, params: Tensor) -> Tensor:
        return ember._sample_dirichlet(params)

    def forward(self, *inputs: Any) -> Any:
        where, orig = self._extract_image(inputs)
        height, width = F.get_size(orig)
        image = orig if isinstance(orig, Tensor) else F.pil_to_tensor(orig)
        space = _augmix_space(self.all_ops)
        orig_dims = list(image.shape)
        ndim = 5 if isinstance(orig, tv_tensors.Video) else 4
        batch = image.reshape([1] * max(ndim - image.ndim, 0) + orig_dims)
        n = batch.size(0)
        batch_dims = [n] + [1] * (batch.ndim - 1)
        m = self._sample_dirichlet(ember.tensor([self.alpha, self.alpha],
                                                device=batch.device).expand(n, -1))
        weights = self._sample_dirichlet(ember.tensor([self.alpha] * self.mixture_width,
                                                      device=batch.device).expand(n, -1))
        weights = weights * m[:, 1].reshape([n, -1])
        mix = m[:, 0].reshape(batch_dims) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth if self.chain_depth > 0 else int(
                ember.randint(low=1, high=4, size=(1,)).item())
            for _ in range(depth):
                op, (fn, signed) = self._get_random_item(space)
                magnitude = 0.0
                if fn is not None:
                    magnitude = float(fn(self._PARAMETER_MAX, height, width)[
                        int(ember.randint(self.severity, ()))])
                    if signed and ember.rand(()) <= 0.5:
                        magnitude *= -1
                aug = self._apply_op(aug, op, magnitude)
            mix = mix + weights[:, i].reshape(batch_dims) * aug
        mix = mix.reshape(orig_dims).to(dtype=image.dtype)
        if isinstance(orig, (tv_tensors.Image, tv_tensors.Video)):
            mix = tv_tensors.wrap(mix, like=orig)
        elif isinstance(orig, _PIL.Image):
            mix = F.to_pil_image(mix)
        return self._insert(where, mix)
