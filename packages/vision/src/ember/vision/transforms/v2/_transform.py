"""The v2 ``Transform`` base class: flatten the sample, draw parameters once, transform
every input with the kernel of its type, and rebuild the sample."""

from __future__ import annotations

import enum
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any

from PIL import Image as _PIL

from ember import Tensor, nn

from ... import tv_tensors
from .._transform_args import _rand_below
from .functional import _get_kernel, get_dimensions, get_size, is_pure_tensor

# ---------------------------------------------------------------------------- sample trees
_Spec = Any


def tree_flatten(tree: Any) -> tuple[list[Any], _Spec]:
    """The leaves of nested tuples, lists and dicts, and a spec to rebuild the structure."""
    leaves: list[Any] = []

    def walk(node: Any) -> _Spec:
        kind = type(node)
        if kind in (list, tuple) or (isinstance(node, tuple) and hasattr(node, "_fields")):
            return (kind, [walk(x) for x in node])
        if kind in (dict, OrderedDict, defaultdict):
            keys = list(node)
            return (kind, (keys, [walk(node[k]) for k in keys],
                           node.default_factory if kind is defaultdict else None))
        leaves.append(node)
        return None

    return leaves, walk(tree)


def tree_unflatten(leaves: list[Any], spec: _Spec) -> Any:
    it = iter(leaves)

    def build(s: _Spec) -> Any:
        if s is None:
            return next(it)
        kind, children = s
        if kind in (dict, OrderedDict, defaultdict):
            keys, specs, factory = children
            items = [(k, build(c)) for k, c in zip(keys, specs)]
            return defaultdict(factory, items) if kind is defaultdict else kind(items)
        values = [build(c) for c in children]
        if kind is list:
            return values
        if kind is tuple:
            return tuple(values)
        return kind(*values)  # namedtuple

    return build(spec)


# ---------------------------------------------------------------------------- input queries
def check_type(obj: Any, types_or_checks: tuple) -> bool:
    for t in types_or_checks:
        if isinstance(obj, t) if isinstance(t, type) else t(obj):
            return True
    return False


def has_any(flat_inputs: list[Any], *types_or_checks: Any) -> bool:
    return any(check_type(x, types_or_checks) for x in flat_inputs)


def has_all(flat_inputs: list[Any], *types_or_checks: Any) -> bool:
    return all(has_any(flat_inputs, t) for t in types_or_checks)


def _sorted_str(items: set) -> str:
    """The sorted items quoted and comma-separated, as torchvision's ``sequence_to_str``."""
    return ", ".join(f"'{x}'" for x in sorted(items))


def query_chw(flat_inputs: list[Any]) -> tuple[int, int, int]:
    """(C, H, W) shared by the images and videos of a sample."""
    chws = {tuple(get_dimensions(x)) for x in flat_inputs
            if check_type(x, (is_pure_tensor, tv_tensors.Image, _PIL.Image, tv_tensors.Video))}
    if not chws:
        raise TypeError("No image or video was found in the sample")
    if len(chws) > 1:
        raise ValueError(f"Found multiple CxHxW dimensions in the sample: {_sorted_str(chws)}")
    return chws.pop()


def query_size(flat_inputs: list[Any]) -> tuple[int, int]:
    """(H, W) shared by the images, videos, masks and box canvases of a sample."""
    sizes = {tuple(get_size(x)) for x in flat_inputs
             if check_type(x, (is_pure_tensor, tv_tensors.Image, _PIL.Image, tv_tensors.Video,
                               tv_tensors.Mask, tv_tensors.BoundingBoxes,
                               tv_tensors.KeyPoints))}
    if not sizes:
        raise TypeError("No image, video, mask, bounding box of keypoint was found in the sample")
    if len(sizes) > 1:
        raise ValueError(f"Found multiple HxW dimensions in the sample: {_sorted_str(sizes)}")
    return sizes.pop()


def get_bounding_boxes(flat_inputs: list[Any]) -> tv_tensors.BoundingBoxes:
    for x in flat_inputs:
        if isinstance(x, tv_tensors.BoundingBoxes):
            return x
    raise ValueError("No bounding boxes were found in the sample")


# ---------------------------------------------------------------------------- fill arguments
def _convert_fill_arg(fill: Any) -> Any:
    if fill is None or isinstance(fill, (int, float)):
        return fill
    return [float(v) for v in list(fill)]


def _setup_fill_arg(fill: Any) -> dict:
    """``fill`` as {type or "others": value}."""
    if isinstance(fill, dict):
        for value in fill.values():
            _check_fill_value(value)
        return {k: _convert_fill_arg(v) for k, v in fill.items()}
    _check_fill_value(fill)
    return {"others": _convert_fill_arg(fill)}


def _check_fill_value(fill: Any) -> None:
    if fill is not None and not isinstance(fill, (int, float, tuple, list)):
        raise TypeError("Got inappropriate fill arg, only Numbers, tuples, lists and dicts are "
                        "allowed.")


def _get_fill(fill_dict: dict, inpt_type: type) -> Any:
    if inpt_type in fill_dict:
        return fill_dict[inpt_type]
    return fill_dict.get("others")


# ---------------------------------------------------------------------------- base classes
def _call_kernel_warning_passthrough(transform: Transform, functional: Callable, inpt: Any,
                                     *args: Any, **kwargs: Any) -> Any:
    """``Transform._call_kernel`` for the transforms that leave boxes, key points and masks
    as they are, warning as torchvision does (RandomErasing, FiveCrop, TenCrop)."""
    if isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.KeyPoints, tv_tensors.Mask)):
        warnings.warn(f"{type(transform).__name__}() is currently passing through inputs of type "
                      f"tv_tensors.{type(inpt).__name__}. This will likely change in the future.",
                      stacklevel=1)  # where torchvision warns from
    return Transform._call_kernel(transform, functional, inpt, *args, **kwargs)


class Transform(nn.Module):
    """Base class of the v2 transforms.

    Subclasses implement ``make_params(flat_inputs)`` (random draws, once per call) and
    ``transform(inpt, params)`` (one input). Plain tensors count as images only when the
    sample has no ``Image``, ``Video`` or PIL image, and then only the first one.
    """

    _transformed_types: tuple = (Tensor, _PIL.Image)

    def check_inputs(self, flat_inputs: list[Any]) -> None:
        pass

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        return {}

    def _call_kernel(self, functional: Callable, inpt: Any, *args: Any, **kwargs: Any) -> Any:
        return _get_kernel(functional, type(inpt), allow_passthrough=True)(inpt, *args, **kwargs)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _needs_transform_list(self, flat_inputs: list[Any]) -> list[bool]:
        transform_pure = not has_any(flat_inputs, tv_tensors.Image, tv_tensors.Video, _PIL.Image)
        needs = []
        for inpt in flat_inputs:
            need = check_type(inpt, self._transformed_types)
            if need and is_pure_tensor(inpt):
                need, transform_pure = transform_pure, False
            needs.append(need)
        return needs

    def _transform_flat(self, flat_inputs: list[Any], spec: _Spec) -> Any:
        needs = self._needs_transform_list(flat_inputs)
        params = self.make_params([x for x, n in zip(flat_inputs, needs) if n])
        out = [self.transform(x, params) if n else x for x, n in zip(flat_inputs, needs)]
        return tree_unflatten(out, spec)

    def forward(self, *inputs: Any) -> Any:
        flat_inputs, spec = tree_flatten(inputs if len(inputs) > 1 else inputs[0])
        self.check_inputs(flat_inputs)
        return self._transform_flat(flat_inputs, spec)

    def extra_repr(self) -> str:
        extra = []
        for name, value in self.__dict__.items():
            if name.startswith("_") or name == "training":
                continue
            if isinstance(value, (bool, int, float, str, tuple, list, enum.Enum)):
                extra.append(f"{name}={value}")
        return ", ".join(extra)


class _RandomApplyTransform(Transform):
    """A transform applied with probability ``p`` (one ``rand(1)`` draw first)."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__()
        self.p = p

    def forward(self, *inputs: Any) -> Any:
        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(inputs)
        self.check_inputs(flat_inputs)
        if not _rand_below(self.p):
            return inputs
        return self._transform_flat(flat_inputs, spec)
