"""Transform classes (torchvision.transforms.transforms): conversion, containers, geometry.

Random transforms draw from ember's default generator in the same order and with the
same calls as torchvision draws from torch's, so ``ember.manual_seed(s)`` picks the
parameters ``torch.manual_seed(s)`` picks. Color, blur and erasing transforms live in
``_transforms_color`` and are re-exported here.
"""

from __future__ import annotations

import math
import numbers
import random
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

import ember
from ember import Tensor, nn
from ember.ops.sampling import randint_value, uniform_value_f32

from . import functional as F
from ._transform_args import (
    _check_fill,
    _check_sequence_input,
    _rand_below,
    _setup_angle,
    _setup_size,
    _tensor_fill,
)
from ._transforms_color import (
    ColorJitter,
    ElasticTransform,
    GaussianBlur,
    Grayscale,
    LinearTransformation,
    RandomAdjustSharpness,
    RandomAutocontrast,
    RandomEqualize,
    RandomErasing,
    RandomGrayscale,
    RandomInvert,
    RandomPosterize,
    RandomSolarize,
)
from .functional import InterpolationMode, _interpolation_modes_from_int

__all__ = [
    "Compose", "ToTensor", "PILToTensor", "ConvertImageDtype", "ToPILImage", "Normalize",
    "Resize", "CenterCrop", "Pad", "Lambda", "RandomApply", "RandomChoice", "RandomOrder",
    "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomResizedCrop", "FiveCrop",
    "TenCrop", "LinearTransformation", "ColorJitter", "RandomRotation", "RandomAffine",
    "Grayscale", "RandomGrayscale", "RandomPerspective", "RandomErasing", "GaussianBlur",
    "InterpolationMode", "RandomInvert", "RandomPosterize", "RandomSolarize",
    "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize", "ElasticTransform",
]

_SIZE_MSG = "Please provide only two dimensions (h, w) for size."


def _listing(name: str, transforms: Sequence[Any], head: str = "") -> str:
    lines = [f"{name}(", head] if head else [f"{name}("]
    lines += [f"    {t}" for t in transforms]
    return "\n".join(lines) + "\n)"


def _interp(interpolation: Any) -> Any:
    return _interpolation_modes_from_int(interpolation) if isinstance(interpolation, int) else interpolation


# ---------------------------------------------------------------------------- containers
class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms: Sequence[Any]) -> None:
        self.transforms = transforms

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(self.__class__.__name__, self.transforms)


class Lambda:
    """Apply a user function."""

    def __init__(self, lambd: Any) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class RandomTransforms:
    """Base of the containers that pick among ``transforms`` at random."""

    def __init__(self, transforms: Sequence[Any]) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms = transforms

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError()

    def __repr__(self) -> str:
        return _listing(self.__class__.__name__, self.transforms)


class RandomApply(nn.Module):
    """Apply all ``transforms`` with probability ``p``."""

    def __init__(self, transforms: Any, p: float = 0.5) -> None:
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, img: Any) -> Any:
        if float(np.float32(self.p)) < uniform_value_f32(0.0, 1.0):  # p < rand(1), in float32
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(self.__class__.__name__, self.transforms, f"    p={self.p}")


class RandomOrder(RandomTransforms):
    """Apply ``transforms`` in a random order (Python's ``random``, as torchvision)."""

    def __call__(self, img: Any) -> Any:
        order = list(range(len(self.transforms)))
        random.shuffle(order)
        for i in order:
            img = self.transforms[i](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one of ``transforms``, chosen with weights ``p`` (Python's ``random``)."""

    def __init__(self, transforms: Sequence[Any], p: Sequence[float] | None = None) -> None:
        super().__init__(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args: Any) -> Any:
        t = random.choices(self.transforms, weights=self.p)[0]
        return t(*args)

    def __repr__(self) -> str:
        return f"{super().__repr__()}(p={self.p})"


# ---------------------------------------------------------------------------- conversion
class ToTensor:
    """PIL image or ndarray (H x W x C, uint8 in [0, 255]) to a float tensor C x H x W in [0, 1]."""

    def __call__(self, pic: Any) -> Tensor:
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class PILToTensor:
    """PIL image to a tensor C x H x W of the same dtype."""

    def __call__(self, pic: Any) -> Tensor:
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"


class ToPILImage:
    """Tensor or ndarray to a PIL image (``mode`` inferred when None)."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def __call__(self, pic: Any) -> Any:
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        mode = f"mode={self.mode}" if self.mode is not None else ""
        return f"{self.__class__.__name__}({mode})"


class ConvertImageDtype(nn.Module):
    """Convert a tensor image to ``dtype`` and rescale its values."""

    def __init__(self, dtype: Any) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image: Tensor) -> Tensor:
        return F.convert_image_dtype(image, self.dtype)


class Normalize(nn.Module):
    """``(input - mean) / std`` per channel of a float tensor image."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        super().__init__()
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def forward(self, tensor: Tensor) -> Tensor:
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


# ---------------------------------------------------------------------------- geometry
class Resize(nn.Module):
    """Resize to ``size`` (h, w) or make the smaller edge ``size``."""

    def __init__(self, size: int | Sequence[int], interpolation: Any = InterpolationMode.BILINEAR,
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size = size
        self.max_size = max_size
        self.interpolation = _interp(interpolation)
        self.antialias = antialias

    def forward(self, img: Any) -> Any:
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, interpolation="
                f"{self.interpolation.value}, max_size={self.max_size}, antialias={self.antialias})")


class CenterCrop(nn.Module):
    """Crop the center ``size`` (h, w)."""

    def __init__(self, size: int | Sequence[int]) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)

    def forward(self, img: Any) -> Any:
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class Pad(nn.Module):
    """Pad every border by ``padding``."""

    def __init__(self, padding: int | Sequence[int], fill: Any = 0,
                 padding_mode: str = "constant") -> None:
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding = padding
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img: Any) -> Any:
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class RandomCrop(nn.Module):
    """Crop ``size`` at a random place, optionally padding first."""

    @staticmethod
    def get_params(img: Any, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        i = ember.randint(0, h - th + 1, size=(1,)).item()
        j = ember.randint(0, w - tw + 1, size=(1,)).item()
        return i, j, th, tw

    def __init__(self, size: int | Sequence[int], padding: Any = None, pad_if_needed: bool = False,
                 fill: Any = 0, padding_mode: str = "constant") -> None:
        super().__init__()
        self.size = tuple(_setup_size(size, error_msg=_SIZE_MSG))
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    def forward(self, img: Any) -> Any:
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size)
        return F.crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class _RandomFlip(nn.Module):
    _flip: Any = None

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = p

    def forward(self, img: Any) -> Any:
        if _rand_below(self.p):
            return type(self)._flip(img)
        return img

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Flip horizontally with probability ``p``."""

    _flip = staticmethod(F.hflip)


class RandomVerticalFlip(_RandomFlip):
    """Flip vertically with probability ``p``."""

    _flip = staticmethod(F.vflip)


class RandomPerspective(nn.Module):
    """Random perspective warp with probability ``p``."""

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5,
                 interpolation: Any = InterpolationMode.BILINEAR, fill: Any = 0) -> None:
        super().__init__()
        self.p = p
        self.interpolation = _interp(interpolation)
        self.distortion_scale = distortion_scale
        self.fill = _check_fill(fill)

    def forward(self, img: Any) -> Any:
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, channels) if isinstance(img, Tensor) else self.fill
        if _rand_below(self.p):
            startpoints, endpoints = self.get_params(width, height, self.distortion_scale)
            return F.perspective(img, startpoints, endpoints, self.interpolation, fill)
        return img

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float
                   ) -> tuple[list[list[int]], list[list[int]]]:
        dw = int(distortion_scale * (width // 2))
        dh = int(distortion_scale * (height // 2))

        def draw(low: int, high: int) -> int:
            return int(ember.randint(low, high, size=(1,)).item())

        topleft = [draw(0, dw + 1), draw(0, dh + 1)]
        topright = [draw(width - dw - 1, width), draw(0, dh + 1)]
        botright = [draw(width - dw - 1, width), draw(height - dh - 1, height)]
        botleft = [draw(0, dw + 1), draw(height - dh - 1, height)]
        startpoints = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return startpoints, [topleft, topright, botright, botleft]

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(p={self.p})"


class RandomResizedCrop(nn.Module):
    """Crop a random area and aspect ratio, then resize it to ``size``."""

    def __init__(self, size: int | Sequence[int], scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.interpolation = _interp(interpolation)
        self.antialias = antialias
        self.scale = scale
        self.ratio = ratio

    @staticmethod
    def get_params(img: Any, scale: Sequence[float], ratio: Sequence[float]
                   ) -> tuple[int, int, int, int]:
        _, height, width = F.get_dimensions(img)
        return _random_resized_crop_box(height, width, scale, ratio,
                                        np.log(np.asarray(ratio, dtype=np.float32)))

    def forward(self, img: Any) -> Any:
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation,
                              antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(size={self.size}, "
                f"scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


def _random_resized_crop_box(height: int, width: int, scale: Sequence[float],
                             ratio: Sequence[float], log_ratio: Any) -> tuple[int, int, int, int]:
    """Up to 10 tries of a random area and log-uniform aspect ratio, else a center crop.

    torchvision's draws (two float32 uniforms, two int64 randints per try) taken straight
    from the generator: the same numbers without a tensor per draw."""
    area = height * width
    lo, hi = float(log_ratio[0]), float(log_ratio[1])
    for _ in range(10):
        target_area = area * uniform_value_f32(scale[0], scale[1])
        log_aspect = np.array([uniform_value_f32(lo, hi)], dtype=np.float32)
        aspect_ratio = float(np.exp(log_aspect)[0])  # float32 exp, as on a tensor
        w = int(round(math.sqrt(target_area * aspect_ratio)))
        h = int(round(math.sqrt(target_area / aspect_ratio)))
        if 0 < w <= width and 0 < h <= height:
            i = randint_value(0, height - h + 1)
            j = randint_value(0, width - w + 1)
            return i, j, h, w
    in_ratio = float(width) / float(height)
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


class FiveCrop(nn.Module):
    """The four corner crops and the center crop of ``size``."""

    def __init__(self, size: int | Sequence[int]) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)

    def forward(self, img: Any) -> tuple:
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size})"


class TenCrop(nn.Module):
    """``FiveCrop`` of the image and of its flipped copy."""

    def __init__(self, size: int | Sequence[int], vertical_flip: bool = False) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)
        self.vertical_flip = vertical_flip

    def forward(self, img: Any) -> tuple:
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class RandomRotation(nn.Module):
    """Rotate by a random angle in ``degrees``."""

    def __init__(self, degrees: Any, interpolation: Any = InterpolationMode.NEAREST,
                 expand: bool = False, center: Sequence[int] | None = None, fill: Any = 0) -> None:
        super().__init__()
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center
        self.interpolation = _interp(interpolation)
        self.expand = expand
        self.fill = _check_fill(fill)

    @staticmethod
    def get_params(degrees: list[float]) -> float:
        return float(ember.empty(1).uniform_(float(degrees[0]), float(degrees[1])).item())

    def forward(self, img: Any) -> Any:
        channels, _, _ = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, channels) if isinstance(img, Tensor) else self.fill
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        s = (f"{self.__class__.__name__}(degrees={self.degrees}, interpolation="
             f"{self.interpolation.value}, expand={self.expand}")
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomAffine(nn.Module):
    """Random affine map (rotation, translation, scale, shear) keeping the center fixed."""

    def __init__(self, degrees: Any, translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None, shear: Any = None,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = 0,
                 center: Sequence[int] | None = None) -> None:
        super().__init__()
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            _check_sequence_input(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not 0.0 <= t <= 1.0:
                    raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            _check_sequence_input(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = _setup_angle(shear, name="shear", req_sizes=(2, 4)) if shear is not None else None
        self.interpolation = _interp(interpolation)
        self.fill = _check_fill(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    @staticmethod
    def get_params(degrees: list[float], translate: list[float] | None,
                   scale_ranges: list[float] | None, shears: list[float] | None,
                   img_size: list[int]) -> tuple[float, tuple[int, int], float, tuple[float, float]]:
        """(angle, (tx, ty), scale, (shear_x, shear_y)); ``img_size`` is (width, height)."""
        angle = float(ember.empty(1).uniform_(float(degrees[0]), float(degrees[1])).item())
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            tx = int(round(ember.empty(1).uniform_(-max_dx, max_dx).item()))
            ty = int(round(ember.empty(1).uniform_(-max_dy, max_dy).item()))
            translations = (tx, ty)
        else:
            translations = (0, 0)
        scale = 1.0
        if scale_ranges is not None:
            scale = float(ember.empty(1).uniform_(scale_ranges[0], scale_ranges[1]).item())
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = float(ember.empty(1).uniform_(shears[0], shears[1]).item())
            if len(shears) == 4:
                shear_y = float(ember.empty(1).uniform_(shears[2], shears[3]).item())
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img: Any) -> Any:
        channels, height, width = F.get_dimensions(img)
        fill = _tensor_fill(self.fill, channels) if isinstance(img, Tensor) else self.fill
        ret = self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])
        return F.affine(img, *ret, interpolation=self.interpolation, fill=fill, center=self.center)

    def __repr__(self) -> str:
        s = f"{self.__class__.__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        if self.interpolation != InterpolationMode.NEAREST:
            s += f", interpolation={self.interpolation.value}"
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"
