"""v2 containers, type conversions and miscellaneous transforms (normalize, blur, erasing,
bounding-box format, clamping and sanitizing)."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Any

import numpy as np
from PIL import Image as _PIL

import ember
from ember import Tensor, nn

from ... import tv_tensors
from .._transform_args import _rand_below, _setup_size
from . import functional as F
from ._transform import (
    Transform,
    _call_kernel_warning_passthrough,
    _RandomApplyTransform,
    get_bounding_boxes,
    has_any,
    query_chw,
    tree_flatten,
    tree_unflatten,
)

__all__ = ["Compose", "RandomApply", "RandomChoice", "RandomOrder", "ToImage", "ToPureTensor",
           "PILToTensor", "ToPILImage", "ToTensor", "ToDtype", "ConvertImageDtype", "Identity",
           "Lambda", "LinearTransformation", "Normalize", "GaussianBlur", "RandomErasing",
           "SanitizeBoundingBoxes", "ClampBoundingBoxes", "ConvertBoundingBoxFormat"]


# ---------------------------------------------------------------------------- containers
def _check_transforms(transforms: Any, modules: bool = False) -> None:
    """Compose takes a sequence; RandomApply a sequence or an ``nn.ModuleList``."""
    if modules and not isinstance(transforms, (Sequence, nn.ModuleList)):
        raise TypeError("Argument transforms should be a sequence of callables or a "
                        "`nn.ModuleList`")
    if not modules and not isinstance(transforms, Sequence):
        raise TypeError("Argument transforms should be a sequence of callables")
    if not transforms:
        raise ValueError("Pass at least one transform")


def _chain(transforms: Any, inputs: tuple) -> Any:
    unpack = len(inputs) > 1
    outputs = inputs if unpack else inputs[0]
    for t in transforms:
        outputs = t(*inputs)
        inputs = outputs if unpack else (outputs,)
    return outputs


class Compose(Transform):
    """Apply ``transforms`` one after the other to the whole sample."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        super().__init__()
        _check_transforms(transforms)
        self.transforms = transforms

    def forward(self, *inputs: Any) -> Any:
        return _chain(self.transforms, inputs)

    def extra_repr(self) -> str:
        return "\n".join(f"    {t}" for t in self.transforms)


class RandomApply(Transform):
    """Apply all ``transforms`` with probability ``p``."""

    def __init__(self, transforms: Any, p: float = 0.5) -> None:
        super().__init__()
        _check_transforms(transforms, modules=True)
        self.transforms = transforms
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        self.p = p

    def forward(self, *inputs: Any) -> Any:
        if not _rand_below(self.p):
            return inputs if len(inputs) > 1 else inputs[0]
        return _chain(self.transforms, inputs)

    def extra_repr(self) -> str:
        return "\n".join(f"    {t}" for t in self.transforms)


class RandomChoice(Transform):
    """Apply one of ``transforms`` drawn with weights ``p`` (``multinomial``)."""

    def __init__(self, transforms: Sequence[Callable], p: list[float] | None = None) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        if p is None:
            p = [1] * len(transforms)
        elif len(p) != len(transforms):
            raise ValueError(f"Length of p doesn't match the number of transforms: {len(p)} != "
                             f"{len(transforms)}")
        super().__init__()
        self.transforms = transforms
        total = sum(p)
        self.p = [prob / total for prob in p]

    def forward(self, *inputs: Any) -> Any:
        idx = int(ember.multinomial(ember.tensor(self.p), 1))
        return self.transforms[idx](*inputs)


class RandomOrder(Transform):
    """Apply ``transforms`` in a random order (``randperm``)."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence of callables")
        if not transforms:
            raise ValueError("Pass at least one transform")
        super().__init__()
        self.transforms = transforms

    def forward(self, *inputs: Any) -> Any:
        order = ember.randperm(len(self.transforms)).tolist()
        return _chain([self.transforms[i] for i in order], inputs)


# ---------------------------------------------------------------------------- conversion
class ToImage(Transform):
    """PIL images, ndarrays and plain tensors to ``Image``."""

    _transformed_types = (F.is_pure_tensor, _PIL.Image, np.ndarray)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.to_image(inpt)


class ToPureTensor(Transform):
    """Typed tensors to plain tensors."""

    _transformed_types = (tv_tensors.TVTensor,)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return inpt.as_subclass(Tensor)


class PILToTensor(Transform):
    """PIL images to plain uint8 tensors (C, H, W)."""

    _transformed_types = (_PIL.Image,)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.pil_to_tensor(inpt)


class ToPILImage(Transform):
    """Tensors and ndarrays to PIL images."""

    _transformed_types = (F.is_pure_tensor, tv_tensors.Image, np.ndarray)

    def __init__(self, mode: str | None = None) -> None:
        super().__init__()
        self.mode = mode

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.to_pil_image(inpt, mode=self.mode)


class ToTensor(Transform):
    """Deprecated: PIL images and ndarrays to float tensors in [0, 1] (use ToImage + ToDtype)."""

    _transformed_types = (_PIL.Image, np.ndarray)

    def __init__(self) -> None:
        warnings.warn("The transform `ToTensor()` is deprecated and will be removed in a future "
                      "release. Instead, please use `v2.Compose([v2.ToImage(), "
                      "v2.ToDtype(torch.float32, scale=True)])`.Output is equivalent up to float "
                      "precision.", stacklevel=2)
        super().__init__()

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        from .. import functional as F1

        return F1.to_tensor(inpt)


class ToDtype(Transform):
    """Convert dtypes (a dtype, or {type: dtype}); ``scale`` rescales image values."""

    _transformed_types = (Tensor,)

    def __init__(self, dtype: Any, scale: bool = False) -> None:
        super().__init__()
        if not isinstance(dtype, (dict, ember.dtype)):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        if (isinstance(dtype, dict) and Tensor in dtype
                and any(cls in dtype for cls in (tv_tensors.Image, tv_tensors.Video))):
            warnings.warn("Got `dtype` values for `torch.Tensor` and either `tv_tensors.Image` or "
                          "`tv_tensors.Video`. Note that a plain `torch.Tensor` will *not* be "
                          "transformed by this (or any other transformation) in case a "
                          "`tv_tensors.Image` or `tv_tensors.Video` is present in the input.",
                          stacklevel=2)
        self.dtype = dtype
        self.scale = scale

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        is_image = F.is_pure_tensor(inpt) or isinstance(inpt, (tv_tensors.Image, tv_tensors.Video))
        if isinstance(self.dtype, ember.dtype):
            if not is_image:
                return inpt
            dtype = self.dtype
        elif type(inpt) in self.dtype:
            dtype = self.dtype[type(inpt)]
        elif "others" in self.dtype:
            dtype = self.dtype["others"]
        else:
            raise ValueError(f"No dtype was specified for type {type(inpt)}. If you only need to "
                             "convert the dtype of images or videos, you can just pass e.g. "
                             "dtype=torch.float32. If you're passing a dict as dtype, you can use "
                             '"others" as a catch-all key e.g. dtype={tv_tensors.Mask: '
                             'torch.int64, "others": None} to pass-through the rest of the '
                             "inputs.")
        if dtype is None:
            if self.scale and is_image:
                warnings.warn("scale was set to True but no dtype was specified for images or "
                              "videos: no scaling will be done.", stacklevel=2)
            return inpt
        return self._call_kernel(F.to_dtype, inpt, dtype=dtype, scale=self.scale)


class ConvertImageDtype(Transform):
    """Convert images to ``dtype`` with rescaling (``ToDtype(dtype, scale=True)``)."""

    def __init__(self, dtype: Any = ember.float32) -> None:
        super().__init__()
        self.dtype = dtype

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.to_dtype, inpt, dtype=self.dtype, scale=True)


# ---------------------------------------------------------------------------- misc
class Identity(Transform):
    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return inpt


class Lambda(Transform):
    """Apply ``lambd`` to inputs of ``types`` (all by default)."""

    _transformed_types = (object,)

    def __init__(self, lambd: Callable[[Any], Any], *types: type) -> None:
        super().__init__()
        self.lambd = lambd
        self.types = types or self._transformed_types

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self.lambd(inpt) if isinstance(inpt, self.types) else inpt

    def extra_repr(self) -> str:
        name = getattr(self.lambd, "__name__", None)
        extras = [name] if name else []
        extras.append(f"types={[t.__name__ for t in self.types]}")
        return ", ".join(extras)


class LinearTransformation(Transform):
    """Flatten, subtract ``mean_vector``, multiply by ``transformation_matrix``."""

    _transformed_types = (F.is_pure_tensor, tv_tensors.Image, tv_tensors.Video)

    def __init__(self, transformation_matrix: Tensor, mean_vector: Tensor) -> None:
        from .._transforms_color import LinearTransformation as _V1

        super().__init__()
        # v1 checks the arguments and does the work; kept off the module tree (no child in
        # the repr, children() or state_dict, as in torchvision)
        object.__setattr__(self, "_v1", _V1(transformation_matrix, mean_vector))
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def check_inputs(self, sample: Any) -> Any:
        if has_any(sample, _PIL.Image):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        out = self._v1(inpt.as_subclass(Tensor))
        return tv_tensors.wrap(out, like=inpt) if isinstance(inpt, tv_tensors.TVTensor) else out


class Normalize(Transform):
    """``(input - mean) / std`` per channel of float images and videos."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        super().__init__()
        self.mean = list(mean)
        self.std = list(std)
        self.inplace = inplace

    def check_inputs(self, sample: Any) -> Any:
        if has_any(sample, _PIL.Image):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.normalize, inpt, mean=self.mean, std=self.std,
                                 inplace=self.inplace)


class GaussianBlur(Transform):
    """Gaussian blur with ``sigma`` drawn from a range."""

    def __init__(self, kernel_size: Any, sigma: Any = (0.1, 2.0)) -> None:
        super().__init__()
        self.kernel_size = _setup_size(kernel_size, "Kernel size should be a tuple/list of two integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, (int, float)):
            sigma = [float(sigma), float(sigma)]
        elif isinstance(sigma, Sequence) and len(sigma) in (1, 2):
            sigma = [float(sigma[0]), float(sigma[-1])]
        else:
            raise TypeError(f"sigma should be a number or a sequence of numbers. Got {type(sigma)}")
        self.sigma = sigma
        if not 0.0 < self.sigma[0] <= self.sigma[1]:
            raise ValueError("sigma values should be positive and of the form (min, max). Got "
                             f"{self.sigma}")

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        sigma = ember.empty(1).uniform_(self.sigma[0], self.sigma[1]).item()
        return dict(sigma=[sigma, sigma])

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return self._call_kernel(F.gaussian_blur, inpt, self.kernel_size, **params)


class RandomErasing(_RandomApplyTransform):
    """Erase a random rectangle of images and videos (masks and boxes pass through)."""

    def __init__(self, p: float = 0.5, scale: Sequence[float] = (0.02, 0.33),
                 ratio: Sequence[float] = (0.3, 3.3), value: Any = 0.0, inplace: bool = False):
        super().__init__(p=p)
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        self.scale = scale
        self.ratio = ratio
        if isinstance(value, (int, float)):
            self.value = [float(value)]
        elif isinstance(value, str):
            self.value = None
        else:
            self.value = [float(v) for v in value]
        self.inplace = inplace
        self._log_ratio = ember.log(ember.tensor(self.ratio))

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        img_c, img_h, img_w = query_chw(flat_inputs)
        if self.value is not None and len(self.value) not in (1, img_c):
            raise ValueError("If value is a sequence, it should have either a single value or "
                             f"{img_c} (number of inpt channels)")
        area = img_h * img_w
        for _ in range(10):
            erase_area = area * ember.empty(1).uniform_(self.scale[0], self.scale[1]).item()
            aspect = ember.exp(ember.empty(1).uniform_(self._log_ratio[0], self._log_ratio[1])).item()
            h = int(round(math.sqrt(erase_area * aspect)))
            w = int(round(math.sqrt(erase_area / aspect)))
            if not (h < img_h and w < img_w):
                continue
            if self.value is None:
                v = ember.empty([img_c, h, w], dtype=ember.float32).normal_()
            else:
                v = ember.tensor(self.value)[:, None, None]
            i = ember.randint(0, img_h - h + 1, size=(1,)).item()
            j = ember.randint(0, img_w - w + 1, size=(1,)).item()
            return dict(i=i, j=j, h=h, w=w, v=v)
        return dict(i=0, j=0, h=img_h, w=img_w, v=None)

    _call_kernel = _call_kernel_warning_passthrough

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if params["v"] is not None:
            inpt = self._call_kernel(F.erase, inpt, **params, inplace=self.inplace)
        return inpt


# ---------------------------------------------------------------------------- bounding boxes
class ConvertBoundingBoxFormat(Transform):
    """Convert bounding boxes to ``format``."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, format: Any) -> None:
        super().__init__()
        self.format = format

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.convert_bounding_box_format(inpt, new_format=self.format)


class ClampBoundingBoxes(Transform):
    """Clamp bounding boxes to their canvas."""

    _transformed_types = (tv_tensors.BoundingBoxes,)

    def __init__(self, clamping_mode: Any = "auto") -> None:
        super().__init__()
        self.clamping_mode = clamping_mode

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return F.clamp_bounding_boxes(inpt, clamping_mode=self.clamping_mode)


def _default_labels(inputs: Any) -> Any:
    """The labels of a (image, target) sample: a plain tensor, or the 'labels'-like key."""
    if isinstance(inputs, (tuple, list)):
        inputs = inputs[1]
    if F.is_pure_tensor(inputs):
        return inputs
    if not isinstance(inputs, dict):
        raise ValueError("When using the default labels_getter, the input passed to forward must "
                         "be a dictionary or a two-tuple whose second item is a dictionary or a "
                         f"tensor, but got {inputs} instead.")
    key = None
    with suppress(StopIteration):
        key = next(k for k in inputs if k.lower() == "labels")
    if key is None:
        with suppress(StopIteration):
            key = next(k for k in inputs if "label" in k.lower())
    if key is None:
        raise ValueError("Could not infer where the labels are in the sample. Try passing a callable "
                         "as the labels_getter parameter?If there are no labels in the sample by "
                         "design, pass labels_getter=None.")
    return inputs[key]


def parse_labels_getter(labels_getter: Any) -> Callable[[Any], Any]:
    """``labels_getter`` ("default", a callable or None) as a callable on the sample."""
    if labels_getter == "default":
        return _default_labels
    if callable(labels_getter):
        return labels_getter
    if labels_getter is None:
        return lambda _: None
    raise ValueError("labels_getter should either be 'default', a callable, or None, but "
                     f"got {labels_getter}.")


class SanitizeBoundingBoxes(Transform):
    """Drop degenerate boxes (and the matching labels and masks)."""

    def __init__(self, min_size: float = 1.0, min_area: float = 1.0,
                 labels_getter: Any = "default") -> None:
        super().__init__()
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        self.min_size = min_size
        self.min_area = min_area
        self.labels_getter = labels_getter
        self._labels_getter = parse_labels_getter(labels_getter)

    def forward(self, *inputs: Any) -> Any:
        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = self._labels_getter(inputs)
        if labels is not None:
            labels = (labels,) if isinstance(labels, Tensor) else tuple(labels)
        flat_inputs, spec = tree_flatten(inputs)
        boxes = get_bounding_boxes(flat_inputs)
        for label in labels or ():
            if boxes.shape[0] != label.shape[0]:
                raise ValueError(f"Number of boxes (shape={boxes.shape}) and must match the number of "
                                 f"labels.Found labels with shape={label.shape}).")
        _, valid = F.sanitize_bounding_boxes(boxes, min_size=self.min_size, min_area=self.min_area)
        params = dict(valid=valid, labels=labels)
        return tree_unflatten([self.transform(x, params) for x in flat_inputs], spec)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        is_label = params["labels"] is not None and any(inpt is lab for lab in params["labels"])
        if not (is_label or isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask))):
            return inpt
        try:
            out = inpt.as_subclass(Tensor)[params["valid"]]
        except IndexError:
            return inpt
        return out if is_label else tv_tensors.wrap(out, like=inpt)
