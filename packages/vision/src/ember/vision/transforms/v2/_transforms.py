"""v2 geometric transforms (torchvision.transforms.v2): images, videos, masks and bounding
boxes of one sample move together, with parameters drawn as torchvision v2 draws them."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from PIL import Image as _PIL

import ember
from ember import Tensor

from ... import tv_tensors
from .._transform_args import _check_sequence_input, _setup_angle, _setup_size
from ..functional import _get_perspective_coeffs
from ..transforms import _random_resized_crop_box
from . import functional as F
from ._bounding_boxes import box_iou
from ._transform import (
    Transform,
    _call_kernel_warning_passthrough,
    _get_fill,
    _RandomApplyTransform,
    _setup_fill_arg,
    get_bounding_boxes,
    has_all,
    has_any,
    query_size,
)

__all__ = ["RandomHorizontalFlip", "RandomVerticalFlip", "Resize", "CenterCrop",
           "RandomResizedCrop", "FiveCrop", "TenCrop", "Pad", "RandomZoomOut", "RandomRotation",
           "RandomAffine", "RandomCrop", "RandomPerspective", "ElasticTransform", "RandomIoUCrop",
           "ScaleJitter", "RandomShortestSize", "RandomResize"]

_SIZE_MSG = "Please provide only two dimensions (h, w) for size."


class RandomHorizontalFlip(_RandomApplyTransform):
    """Flip horizontally with probability ``p``."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.horizontal_flip, inpt)


class RandomVerticalFlip(_RandomApplyTransform):
    """Flip vertically with probability ``p``."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.vertical_flip, inpt)


class Resize(Transform):
    """Resize to ``size`` (h, w), or the smaller edge to ``size``, or the longer to ``max_size``."""

    def __init__(self, size: Any, interpolation: Any = "bilinear",
                 max_size: int | None = None, antialias: bool | None = True) -> None:
        super().__init__()
        if isinstance(size, int):
            size = [size]
        elif isinstance(size, Sequence) and len(size) in (1, 2):
            size = list(size)
        elif size is None:
            if not isinstance(max_size, int):
                raise ValueError(f"max_size must be an integer when size is None, but got {max_size} "
                                 "instead.")
        else:
            raise ValueError("size can be an integer, a sequence of one or two integers, or None, "
                             f"but got {size} instead.")
        self.size = size
        self.interpolation = interpolation
        self.max_size = max_size
        self.antialias = antialias

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.resize, inpt, self.size, interpolation=self.interpolation,
                                 max_size=self.max_size, antialias=self.antialias)


class CenterCrop(Transform):
    """Crop the center ``size``."""

    def __init__(self, size: Any) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.center_crop, inpt, output_size=self.size)


class RandomResizedCrop(Transform):
    """Crop a random area and aspect ratio, then resize to ``size``."""

    def __init__(self, size: Any, scale: tuple[float, float] = (0.08, 1.0),
                 ratio: tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0),
                 interpolation: Any = "bilinear",
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)
        if not isinstance(scale, Sequence) or len(scale) != 2:
            raise TypeError("Scale should be a sequence of two floats.")
        if not isinstance(ratio, Sequence) or len(ratio) != 2:
            raise TypeError("Ratio should be a sequence of two floats.")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        self.scale = scale
        self.ratio = ratio
        self.interpolation = interpolation
        self.antialias = antialias
        self._log_ratio = ember.log(ember.tensor(self.ratio))

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        i, j, h, w = _random_resized_crop_box(height, width, self.scale, self.ratio, self._log_ratio)
        return dict(top=i, left=j, height=h, width=w)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.resized_crop, inpt, **params, size=self.size,
                                 interpolation=self.interpolation, antialias=self.antialias)


class _MultiCrop(Transform):
    _call_kernel = _call_kernel_warning_passthrough

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        if has_any(flat_inputs, tv_tensors.BoundingBoxes, tv_tensors.Mask):
            raise TypeError(f"BoundingBoxes'es and Mask's are not supported by {type(self).__name__}()")


class FiveCrop(_MultiCrop):
    """The four corner crops and the center crop."""

    def __init__(self, size: Any) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.five_crop, inpt, self.size)


class TenCrop(_MultiCrop):
    """``FiveCrop`` of the image and of its flipped copy."""

    def __init__(self, size: Any, vertical_flip: bool = False) -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)
        self.vertical_flip = vertical_flip

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.ten_crop, inpt, self.size, vertical_flip=self.vertical_flip)


def _check_padding(padding: Any) -> None:
    msg = f"Padding must be an int or a 1, 2, or 4 element of tuple or list, got {padding}."
    if isinstance(padding, (tuple, list)):
        if len(padding) not in (1, 2, 4) or not all(isinstance(p, int) for p in padding):
            raise ValueError(msg)
    elif not isinstance(padding, int):
        raise ValueError(msg)


def _check_padding_mode(padding_mode: str) -> None:
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")


class Pad(Transform):
    """Pad every border."""

    def __init__(self, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> None:
        super().__init__()
        _check_padding(padding)
        _check_padding_mode(padding_mode)
        self.padding = padding if isinstance(padding, int) else list(padding)
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        self.padding_mode = padding_mode

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.pad, inpt, padding=self.padding,
                                 fill=_get_fill(self._fill, type(inpt)),
                                 padding_mode=self.padding_mode)


class RandomZoomOut(_RandomApplyTransform):
    """Place the image at a random position on a canvas ``side_range`` times larger."""

    def __init__(self, fill: Any = 0, side_range: Sequence[float] = (1.0, 4.0),
                 p: float = 0.5) -> None:
        super().__init__(p=p)
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        _check_sequence_input(side_range, "side_range", req_sizes=(2,))
        self.side_range = side_range
        if side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        orig_h, orig_w = query_size(flat_inputs)
        r = self.side_range[0] + ember.rand(1) * (self.side_range[1] - self.side_range[0])
        canvas_w, canvas_h = int(orig_w * r), int(orig_h * r)
        r = ember.rand(2)
        left = int((canvas_w - orig_w) * r[0])
        top = int((canvas_h - orig_h) * r[1])
        return dict(padding=[left, top, canvas_w - (left + orig_w), canvas_h - (top + orig_h)])

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.pad, inpt, **params, fill=_get_fill(self._fill, type(inpt)))


class RandomRotation(Transform):
    """Rotate by a random angle in ``degrees``."""

    def __init__(self, degrees: Any, interpolation: Any = "nearest",
                 expand: bool = False, center: list[float] | None = None, fill: Any = 0) -> None:
        super().__init__()
        self.degrees = _setup_angle(degrees, name="degrees", req_sizes=(2,))
        self.interpolation = interpolation
        self.expand = expand
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return dict(angle=ember.empty(1).uniform_(self.degrees[0], self.degrees[1]).item())

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.rotate, inpt, **params, interpolation=self.interpolation,
                                 expand=self.expand, center=self.center,
                                 fill=_get_fill(self._fill, type(inpt)))


class RandomAffine(Transform):
    """Random affine map keeping the center fixed."""

    def __init__(self, degrees: Any, translate: Sequence[float] | None = None,
                 scale: Sequence[float] | None = None, shear: Any = None,
                 interpolation: Any = "nearest", fill: Any = 0,
                 center: list[float] | None = None) -> None:
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
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        if center is not None:
            _check_sequence_input(center, "center", req_sizes=(2,))
        self.center = center

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        angle = ember.empty(1).uniform_(self.degrees[0], self.degrees[1]).item()
        translate = (0, 0)
        if self.translate is not None:
            max_dx, max_dy = float(self.translate[0] * width), float(self.translate[1] * height)
            tx = int(round(float(ember.empty(1).uniform_(-max_dx, max_dx).item())))
            ty = int(round(float(ember.empty(1).uniform_(-max_dy, max_dy).item())))
            translate = (tx, ty)
        scale = 1.0
        if self.scale is not None:
            scale = ember.empty(1).uniform_(self.scale[0], self.scale[1]).item()
        shear_x = shear_y = 0.0
        if self.shear is not None:
            shear_x = float(ember.empty(1).uniform_(self.shear[0], self.shear[1]).item())
            if len(self.shear) == 4:
                shear_y = float(ember.empty(1).uniform_(self.shear[2], self.shear[3]).item())
        return dict(angle=angle, translate=translate, scale=scale, shear=(shear_x, shear_y))

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.affine, inpt, **params, interpolation=self.interpolation,
                                 fill=_get_fill(self._fill, type(inpt)), center=self.center)


class RandomCrop(Transform):
    """Crop ``size`` at a random place, optionally padding first."""

    def __init__(self, size: Any, padding: Any = None, pad_if_needed: bool = False,
                 fill: Any = 0, padding_mode: str = "constant") -> None:
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_MSG)
        if pad_if_needed or padding is not None:
            if padding is not None:
                _check_padding(padding)
            _check_padding_mode(padding_mode)
        self.padding = F._parse_pad_padding(padding) if padding else None
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        self.padding_mode = padding_mode

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        padded_h, padded_w = query_size(flat_inputs)
        if self.padding is not None:
            pad_left, pad_right, pad_top, pad_bottom = self.padding
            padded_h += pad_top + pad_bottom
            padded_w += pad_left + pad_right
        else:
            pad_left = pad_right = pad_top = pad_bottom = 0
        crop_h, crop_w = self.size
        if self.pad_if_needed:
            if padded_h < crop_h:
                diff = crop_h - padded_h
                pad_top, pad_bottom, padded_h = pad_top + diff, pad_bottom + diff, padded_h + 2 * diff
            if padded_w < crop_w:
                diff = crop_w - padded_w
                pad_left, pad_right, padded_w = pad_left + diff, pad_right + diff, padded_w + 2 * diff
        if padded_h < crop_h or padded_w < crop_w:
            raise ValueError(f"Required crop size {(crop_h, crop_w)} is larger than "
                             f"{'padded ' if self.padding is not None else ''}input image size "
                             f"{(padded_h, padded_w)}.")
        padding = [pad_left, pad_top, pad_right, pad_bottom]
        top = int(ember.randint(0, padded_h - crop_h + 1, size=())) if padded_h > crop_h else 0
        left = int(ember.randint(0, padded_w - crop_w + 1, size=())) if padded_w > crop_w else 0
        return dict(needs_crop=padded_h > crop_h or padded_w > crop_w, top=top, left=left,
                    height=crop_h, width=crop_w, needs_pad=any(padding), padding=padding)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if params["needs_pad"]:
            inpt = self._call_kernel(F.pad, inpt, padding=params["padding"],
                                     fill=_get_fill(self._fill, type(inpt)),
                                     padding_mode=self.padding_mode)
        if params["needs_crop"]:
            inpt = self._call_kernel(F.crop, inpt, top=params["top"], left=params["left"],
                                     height=params["height"], width=params["width"])
        return inpt


class RandomPerspective(_RandomApplyTransform):
    """Random perspective warp with probability ``p``."""

    def __init__(self, distortion_scale: float = 0.5, p: float = 0.5,
                 interpolation: Any = "bilinear", fill: Any = 0) -> None:
        super().__init__(p=p)
        if not 0 <= distortion_scale <= 1:
            raise ValueError("Argument distortion_scale value should be between 0 and 1")
        self.distortion_scale = distortion_scale
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        height, width = query_size(flat_inputs)
        bh = int(self.distortion_scale * (height // 2)) + 1
        bw = int(self.distortion_scale * (width // 2)) + 1

        def draw(low: int, high: int) -> int:
            return int(ember.randint(low, high, size=(1,)))

        topleft = [draw(0, bw), draw(0, bh)]
        topright = [draw(width - bw, width), draw(0, bh)]
        botright = [draw(width - bw, width), draw(height - bh, height)]
        botleft = [draw(0, bw), draw(height - bh, height)]
        start = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        end = [topleft, topright, botright, botleft]
        return dict(coefficients=_get_perspective_coeffs(start, end))

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.perspective, inpt, startpoints=None, endpoints=None,
                                 fill=_get_fill(self._fill, type(inpt)),
                                 interpolation=self.interpolation, **params)


def _number_or_pair(arg: Any, name: str) -> list[float]:
    if not isinstance(arg, (int, float, Sequence)):
        raise TypeError(f"{name} should be a number or a sequence of numbers. Got {type(arg)}")
    if isinstance(arg, Sequence):
        if len(arg) not in (1, 2):
            raise ValueError(f"If {name} is a sequence its length should be 1 or 2. Got {len(arg)}")
        for element in arg:
            if not isinstance(element, (int, float)):
                raise ValueError(f"{name} should be a sequence of numbers. Got {type(element)}")
        return [float(arg[0]), float(arg[-1])]
    return [float(arg), float(arg)]


class ElasticTransform(Transform):
    """Random elastic displacement of images, masks and boxes."""

    def __init__(self, alpha: Any = 50.0, sigma: Any = 5.0,
                 interpolation: Any = "bilinear", fill: Any = 0) -> None:
        super().__init__()
        self.alpha = _number_or_pair(alpha, "alpha")
        self.sigma = _number_or_pair(sigma, "sigma")
        self.interpolation = interpolation
        self.fill = fill
        self._fill = _setup_fill_arg(fill)

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        size = list(query_size(flat_inputs))
        parts = []
        for k, extent in ((0, size[1]), (1, size[0])):
            d = ember.rand(1, 1, *size) * 2 - 1
            if self.sigma[k] > 0.0:
                ks = int(8 * self.sigma[k] + 1)
                ks += ks % 2 == 0
                d = F.gaussian_blur(d, [ks, ks], list(self.sigma))
            parts.append(d * self.alpha[k] / extent)
        return dict(displacement=ember.concat(parts, 1).permute([0, 2, 3, 1]))

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.elastic, inpt, **params, fill=_get_fill(self._fill, type(inpt)),
                                 interpolation=self.interpolation)


class RandomIoUCrop(Transform):
    """SSD's random crop: a crop whose IoU with some box exceeds a random threshold."""

    def __init__(self, min_scale: float = 0.3, max_scale: float = 1.0,
                 min_aspect_ratio: float = 0.5, max_aspect_ratio: float = 2.0,
                 sampler_options: list[float] | None = None, trials: int = 40) -> None:
        super().__init__()
        self.min_scale = min_scale
        self.max_scale = max_scale
        self.min_aspect_ratio = min_aspect_ratio
        self.max_aspect_ratio = max_aspect_ratio
        self.options = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0] if sampler_options is None else sampler_options
        self.trials = trials

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        if not (has_all(flat_inputs, tv_tensors.BoundingBoxes) and has_any(
                flat_inputs, _PIL.Image, tv_tensors.Image, F.is_pure_tensor)):
            raise TypeError(f"{type(self).__name__}() requires input sample to contain tensor or PIL "
                            "images and bounding boxes. Sample can also contain masks.")

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        orig_h, orig_w = query_size(flat_inputs)
        boxes = get_bounding_boxes(flat_inputs)
        while True:
            min_iou = self.options[int(ember.randint(low=0, high=len(self.options), size=(1,)))]
            if min_iou >= 1.0:
                return dict()
            for _ in range(self.trials):
                r = self.min_scale + (self.max_scale - self.min_scale) * ember.rand(2)
                new_w, new_h = int(orig_w * r[0]), int(orig_h * r[1])
                if new_h == 0:  # torchvision divides by the zero crop height here
                    raise ZeroDivisionError(f"RandomIoUCrop: division by zero (crop height 0 for an "
                                            f"image of height {orig_h})")
                if not self.min_aspect_ratio <= new_w / new_h <= self.max_aspect_ratio:
                    continue
                r = ember.rand(2)
                left, top = int((orig_w - new_w) * r[0]), int((orig_h - new_h) * r[1])
                right, bottom = left + new_w, top + new_h
                if left == right or top == bottom:
                    continue
                xyxy = F.convert_bounding_box_format(boxes.as_subclass(Tensor), boxes.format,
                                                     tv_tensors.BoundingBoxFormat.XYXY)
                cx = 0.5 * (xyxy[..., 0] + xyxy[..., 2])
                cy = 0.5 * (xyxy[..., 1] + xyxy[..., 3])
                inside = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
                if not inside.any():
                    continue
                crop_box = ember.tensor([[left, top, right, bottom]], dtype=xyxy.dtype,
                                        device=xyxy.device)
                if box_iou(xyxy[inside], crop_box).max() < min_iou:
                    continue
                return dict(top=top, left=left, height=new_h, width=new_w, is_within_crop_area=inside)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if len(params) < 1:
            return inpt
        out = self._call_kernel(F.crop, inpt, top=params["top"], left=params["left"],
                                height=params["height"], width=params["width"])
        if isinstance(out, tv_tensors.BoundingBoxes):
            keep = params["is_within_crop_area"].unsqueeze(-1).to(out.dtype)
            out = tv_tensors.wrap(out.as_subclass(Tensor) * keep, like=out)
        return out


class _RandomSize(Transform):
    def __init__(self, interpolation: Any, antialias: bool | None) -> None:
        super().__init__()
        self.interpolation = interpolation
        self.antialias = antialias

    def _resampling_last(self) -> None:
        """Put interpolation and antialias after the subclass's own arguments in the repr."""
        for name in ("interpolation", "antialias"):
            self.__dict__[name] = self.__dict__.pop(name)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.resize, inpt, size=params["size"],
                                 interpolation=self.interpolation, antialias=self.antialias)


class ScaleJitter(_RandomSize):
    """Resize by a random factor of the scale that fits ``target_size``."""

    def __init__(self, target_size: tuple[int, int], scale_range: tuple[float, float] = (0.1, 2.0),
                 interpolation: Any = "bilinear", antialias: bool | None = True):
        super().__init__(interpolation, antialias)
        self.target_size = target_size
        self.scale_range = scale_range
        self._resampling_last()

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        h, w = query_size(flat_inputs)
        scale = self.scale_range[0] + ember.rand(1) * (self.scale_range[1] - self.scale_range[0])
        r = min(self.target_size[1] / h, self.target_size[0] / w) * scale
        return dict(size=(int(h * r), int(w * r)))


class RandomShortestSize(_RandomSize):
    """Resize the shorter edge to a random choice of ``min_size`` (longer edge <= max_size)."""

    def __init__(self, min_size: Any, max_size: int | None = None,
                 interpolation: Any = "bilinear", antialias: bool | None = True):
        super().__init__(interpolation, antialias)
        self.min_size = [min_size] if isinstance(min_size, int) else list(min_size)
        self.max_size = max_size
        self._resampling_last()

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        h, w = query_size(flat_inputs)
        min_size = self.min_size[int(ember.randint(len(self.min_size), ()))]
        r = min_size / min(h, w)
        if self.max_size is not None:
            r = min(r, self.max_size / max(h, w))
        return dict(size=(int(h * r), int(w * r)))


class RandomResize(_RandomSize):
    """Resize the shorter edge to a random size in [min_size, max_size)."""

    def __init__(self, min_size: int, max_size: int,
                 interpolation: Any = "bilinear", antialias: bool | None = True):
        super().__init__(interpolation, antialias)
        self.min_size = min_size
        self.max_size = max_size
        self._resampling_last()

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return dict(size=[int(ember.randint(self.min_size, self.max_size, ()))])

