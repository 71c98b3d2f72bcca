"""``ember.vision.tv_tensors``: tensors that say what they hold (torchvision.tv_tensors).

``Image``, ``Video``, ``Mask`` and ``BoundingBoxes`` are ``ember.Tensor`` subclasses;
the v2 transforms dispatch on them, so that one call moves an image, its boxes and its
masks consistently. As in torchvision, tensor methods and operators on them return plain
tensors (in-place ones too: ``x += 1`` makes ``x`` a plain tensor), except ``clone``, ``to``,
``detach``, ``requires_grad_`` and ``pin_memory``, which keep the type and metadata;
``set_return_type("TVTensor")`` makes every method keep it, and ``wrap(tensor, like=...)``
puts a result back into the type of ``like``.
"""

from __future__ import annotations

import functools
import inspect
from enum import Enum
from typing import Any

import ember
from ember import Tensor

__all__ = ["TVTensor", "Image", "Video", "Mask", "BoundingBoxes", "BoundingBoxFormat", "KeyPoints",
           "is_rotated_bounding_format", "wrap", "set_return_type"]

# ------------------------------------------------------------------ return type of tensor ops
_RETURN_TVTENSOR = False


class _ReturnTypeCM:
    """What ``set_return_type`` returns: as a context manager it restores the old setting."""

    def __init__(self, to_restore: bool) -> None:
        self.to_restore = to_restore

    def __enter__(self) -> _ReturnTypeCM:
        return self

    def __exit__(self, *args: Any) -> None:
        global _RETURN_TVTENSOR
        _RETURN_TVTENSOR = self.to_restore


def set_return_type(return_type: str) -> _ReturnTypeCM:
    """Whether tensor methods and operators on TVTensors return plain tensors ("Tensor", the
    default) or keep the TVTensor type ("TVTensor"), case-insensitive; for the whole program,
    or for a ``with`` block. Transforms always return the types they were given."""
    global _RETURN_TVTENSOR
    to_restore = _RETURN_TVTENSOR
    try:
        _RETURN_TVTENSOR = {"tensor": False, "tvtensor": True}[return_type.lower()]
    except KeyError:
        raise ValueError(f"return_type must be 'TVTensor' or 'Tensor', got {return_type}") from None
    if _RETURN_TVTENSOR:
        _wrap_tensor_methods()  # methods of op families loaded since
    return _ReturnTypeCM(to_restore)


def _must_return_subclass() -> bool:
    return _RETURN_TVTENSOR


# the methods that keep the TVTensor type whatever the return type
_KEEP_TYPE = ("clone", "to", "detach", "requires_grad_", "pin_memory")
# methods that never return a tensor of the same data, or whose result must stay as it is
_PASS = frozenset(("as_subclass", "numpy", "tolist", "item", "size", "dim", "numel", "nelement",
                   "stride", "element_size", "is_contiguous", "is_floating_point", "is_complex",
                   "is_signed", "data_ptr", "backward", "register_hook", "retain_grad",
                   "get_device", "storage_offset", "untyped_storage", "storage", "ndimension",
                   "is_set_to", "is_shared", "is_pinned", "equal", "allclose"))
_OPERATORS = tuple(f"__{op}__" for op in (
    "add radd iadd sub rsub isub mul rmul imul truediv rtruediv itruediv floordiv rfloordiv "
    "ifloordiv mod rmod imod pow rpow ipow matmul rmatmul imatmul and rand iand or ror ior xor "
    "rxor ixor lshift rlshift ilshift rshift rrshift irshift neg pos abs invert getitem eq ne "
    "lt le gt ge").split())


def _tv_method(fn: Any, keep: bool) -> Any:
    """``fn`` (a Tensor method) returning what PyTorch's ``TVTensor.__torch_function__``
    returns: the result wrapped like ``self`` when the type is kept, else plain tensors
    (an in-place method's ``self`` as a plain alias of the same data)."""
    @functools.wraps(fn)
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        out = fn(self, *args, **kwargs)
        cls = type(self)
        if keep or _RETURN_TVTENSOR:
            return cls._wrap_output(out, (self, *args), kwargs)
        if isinstance(out, cls):
            return out.as_subclass(Tensor)
        return out

    method._tv_wrapped = True
    return method


_WRAPPED: set = set()


def _wrap_tensor_methods() -> None:
    """Put ``_tv_method`` wrappers of Tensor's public methods and operators on ``TVTensor``
    (once each; methods of lazily loaded op families are loaded first)."""
    from ember import _tensor

    while _tensor._load_lazy_methods is not None and _tensor._load_lazy_methods():
        pass
    for name in dir(Tensor):
        if name in _WRAPPED or name in _PASS or name in TVTensor.__dict__:
            continue
        if name.startswith("_") and name not in _OPERATORS:
            continue
        fn = inspect.getattr_static(Tensor, name)
        if not callable(fn) or isinstance(fn, (staticmethod, classmethod, property, type)):
            continue
        _WRAPPED.add(name)
        setattr(TVTensor, name, _tv_method(fn, False))


def _flat(values: Any) -> list:
    """The leaves of nested lists, tuples and dicts."""
    if isinstance(values, (list, tuple)):
        return [leaf for v in values for leaf in _flat(v)]
    if isinstance(values, dict):
        return [leaf for v in values.values() for leaf in _flat(v)]
    return [values]


def _rebuild_sequence(out: Any, parts: list) -> Any:
    try:
        return type(out)(parts)
    except TypeError:  # a namedtuple takes its fields one by one
        return type(out)(*parts)


class TVTensor(Tensor):
    """Base class of the typed tensors."""

    @staticmethod
    def _to_tensor(data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool | None = None) -> Tensor:
        if requires_grad is None:
            requires_grad = data.requires_grad if isinstance(data, Tensor) else False
        if isinstance(data, Tensor):
            data = data.as_subclass(Tensor)
        return ember.as_tensor(data, dtype=dtype, device=device).requires_grad_(requires_grad)

    __hash__ = Tensor.__hash__  # (defining __eq__ below would unset it)

    @classmethod
    def wrap(cls, tensor: Tensor, like: TVTensor, **kwargs: Any) -> TVTensor:
        return tensor.as_subclass(cls)

    @classmethod
    def _wrap_output(cls, output: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        """A method's result as ``cls`` (tensors, and those in a returned tuple or list)."""
        if isinstance(output, Tensor) and not isinstance(output, cls):
            output = output.as_subclass(cls)
        if isinstance(output, (tuple, list)):
            output = _rebuild_sequence(output, [cls._wrap_output(p, args, kwargs)
                                                for p in output])
        return output

    def _rewrap(self, out: Any) -> Any:
        return type(self).wrap(out, like=self) if isinstance(out, Tensor) else out

    def clone(self, *args: Any, **kwargs: Any) -> TVTensor:
        return self._rewrap(Tensor.clone(self, *args, **kwargs))

    def to(self, *args: Any, **kwargs: Any) -> TVTensor:
        return self._rewrap(Tensor.to(self, *args, **kwargs))

    def detach(self) -> TVTensor:
        return self._rewrap(Tensor.detach(self))

    def requires_grad_(self, requires_grad: bool = True) -> TVTensor:
        Tensor.requires_grad_(self, requires_grad)
        return self

    def pin_memory(self, *args: Any, **kwargs: Any) -> TVTensor:
        return self._rewrap(Tensor.pin_memory(self, *args, **kwargs))

    def _make_repr(self, **kwargs: Any) -> str:
        body = Tensor.__repr__(self)  # ``Image(...)``, indented by the class name
        extra = ", ".join(f"{key}={value}" for key, value in kwargs.items())
        return f"{body[:-1]}, {extra})"  # (``Image(..., )`` with none, as torchvision prints)

    def __deepcopy__(self, memo: dict) -> TVTensor:
        return self.detach().clone().requires_grad_(self.requires_grad)

    def __reduce_ex__(self, protocol: int) -> tuple:
        return (_rebuild_tv_tensor, (type(self), self.as_subclass(Tensor).detach().clone(),
                                     dict(getattr(self, "__dict__", {}))))


def _rebuild_tv_tensor(cls: type, tensor: Tensor, state: dict) -> TVTensor:
    out = tensor.as_subclass(cls)
    out.__dict__.update(state)
    return out


class Image(TVTensor):
    """An image tensor (..., C, H, W); a PIL image or a 2-D tensor is converted."""

    def __new__(cls, data: Any, *, dtype: Any = None, device: Any = None,
                requires_grad: bool | None = None) -> Image:
        from PIL import Image as _PIL

        if isinstance(data, _PIL.Image):
            from .transforms.functional import pil_to_tensor

            data = pil_to_tensor(data)
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"Tensor must be 2D or higher, got {tensor.ndim}D tensor.")
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        return tensor.as_subclass(cls)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return self._make_repr()


class Video(TVTensor):
    """A video tensor (..., T, C, H, W)."""

    def __new__(cls, data: Any, *, dtype: Any = None, device: Any = None,
                requires_grad: bool | None = None) -> Video:
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 4:
            raise ValueError(f"Video must have at least 4 dimensions, got {tensor.ndim}.")
        return tensor.as_subclass(cls)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return self._make_repr()


class Mask(TVTensor):
    """A segmentation or detection mask (..., H, W); a PIL image is converted."""

    def __new__(cls, data: Any, *, dtype: Any = None, device: Any = None,
                requires_grad: bool | None = None) -> Mask:
        from PIL import Image as _PIL

        if isinstance(data, _PIL.Image):
            from .transforms.functional import pil_to_tensor

            data = pil_to_tensor(data)
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        return tensor.as_subclass(cls)


class BoundingBoxFormat(Enum):
    """Coordinate formats of bounding boxes."""

    XYXY = "XYXY"
    XYWH = "XYWH"
    CXCYWH = "CXCYWH"
    XYWHR = "XYWHR"
    CXCYWHR = "CXCYWHR"
    XYXYXYXY = "XYXYXYXY"


def is_rotated_bounding_format(format: BoundingBoxFormat | str) -> bool:
    if isinstance(format, BoundingBoxFormat):
        return format in (BoundingBoxFormat.XYWHR, BoundingBoxFormat.CXCYWHR,
                          BoundingBoxFormat.XYXYXYXY)
    if isinstance(format, str):
        return format in ("XYWHR", "CXCYWHR", "XYXYXYXY")
    raise ValueError(f"format should be str or BoundingBoxFormat, got {type(format)}")


class BoundingBoxes(TVTensor):
    """Boxes (N, 4) in ``format`` on an image of ``canvas_size`` (height, width).

    ``clamping_mode`` ("soft", "hard" or None) says whether transforms clamp the boxes to
    the canvas (for axis-aligned boxes soft and hard clamp alike).
    """

    format: BoundingBoxFormat
    canvas_size: tuple[int, int]
    clamping_mode: str | None

    @classmethod
    def _wrap(cls, tensor: Tensor, *, format: BoundingBoxFormat | str,
              canvas_size: tuple[int, int], clamping_mode: str | None = "soft",
              check_dims: bool = True) -> BoundingBoxes:
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.ndim != 2:
                raise ValueError(f"Expected a 1D or 2D tensor, got {tensor.ndim}D")
        if clamping_mode is not None and clamping_mode not in ("hard", "soft"):
            raise ValueError(f"clamping_mode must be None, hard or soft, got {clamping_mode}.")
        if isinstance(format, str):
            format = BoundingBoxFormat[format.upper()]
        boxes = tensor.as_subclass(cls)
        boxes.format = format
        boxes.canvas_size = canvas_size  # as given (a list from F.get_size), as torchvision
        boxes.clamping_mode = clamping_mode
        return boxes

    @classmethod
    def _wrap_output(cls, output: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        """Results as boxes with the metadata of the first boxes among the arguments."""
        first = next(x for x in _flat([args, kwargs or {}]) if isinstance(x, BoundingBoxes))
        meta = dict(format=first.format, canvas_size=first.canvas_size,
                    clamping_mode=first.clamping_mode, check_dims=False)
        if isinstance(output, Tensor) and not isinstance(output, BoundingBoxes):
            output = BoundingBoxes._wrap(output, **meta)
        elif isinstance(output, (tuple, list)):  # chunk(), unbind()
            output = _rebuild_sequence(output, [BoundingBoxes._wrap(p, **meta) for p in output])
        return output

    @classmethod
    def wrap(cls, tensor: Tensor, like: BoundingBoxes, **kwargs: Any) -> BoundingBoxes:
        return cls._wrap(tensor, format=kwargs.get("format", like.format),
                         canvas_size=kwargs.get("canvas_size", like.canvas_size),
                         clamping_mode=kwargs.get("clamping_mode", like.clamping_mode),
                         check_dims=False)

    def __new__(cls, data: Any, *, format: BoundingBoxFormat | str, canvas_size: tuple[int, int],
                clamping_mode: str | None = "soft", dtype: Any = None, device: Any = None,
                requires_grad: bool | None = None) -> BoundingBoxes:
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if not tensor.is_floating_point() and is_rotated_bounding_format(format):
            raise ValueError("Rotated bounding boxes should be floating point tensors, got "
                             f"{tensor.dtype}.")
        return cls._wrap(tensor, format=format, canvas_size=canvas_size,
                         clamping_mode=clamping_mode)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return self._make_repr(format=self.format, canvas_size=self.canvas_size,
                               clamping_mode=self.clamping_mode)


class KeyPoints(TVTensor):
    """Points (..., 2) as (x, y) on an image of ``canvas_size`` (height, width): single points
    (N, 2), polygons or chains (N, P, 2), skeletons (N, B, 2, 2); a 1-D (2,) becomes (1, 2)."""

    canvas_size: tuple[int, int]

    @classmethod
    def _wrap(cls, tensor: Tensor, *, canvas_size: tuple[int, int],
              check_dims: bool = True) -> KeyPoints:
        if check_dims:
            if tensor.ndim == 1:
                tensor = tensor.unsqueeze(0)
            elif tensor.shape[-1] != 2:
                raise ValueError(f"Expected a tensor of shape (..., 2), not {tensor.shape}")
        points = tensor.as_subclass(cls)
        points.canvas_size = canvas_size
        return points

    @classmethod
    def _wrap_output(cls, output: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        """Results as key points on the canvas of the first key points among the arguments."""
        first = next(x for x in _flat([args, kwargs or {}]) if isinstance(x, KeyPoints))
        if isinstance(output, Tensor) and not isinstance(output, KeyPoints):
            output = KeyPoints._wrap(output, canvas_size=first.canvas_size, check_dims=False)
        elif isinstance(output, (tuple, list)):
            output = _rebuild_sequence(output, [
                KeyPoints._wrap(p, canvas_size=first.canvas_size, check_dims=False)
                for p in output])
        return output

    @classmethod
    def wrap(cls, tensor: Tensor, like: KeyPoints, **kwargs: Any) -> KeyPoints:
        return cls._wrap(tensor, canvas_size=kwargs.get("canvas_size", like.canvas_size),
                         check_dims=False)

    def __new__(cls, data: Any, *, canvas_size: tuple[int, int], dtype: Any = None,
                device: Any = None, requires_grad: bool | None = None) -> KeyPoints:
        tensor = cls._to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        return cls._wrap(tensor, canvas_size=canvas_size)

    def __repr__(self, *, tensor_contents: Any = None) -> str:
        return self._make_repr(canvas_size=self.canvas_size)


def wrap(wrappee: Tensor, *, like: TVTensor, **kwargs: Any) -> TVTensor:
    """``wrappee`` as the type of ``like``, with its metadata (``kwargs`` override it)."""
    method = getattr(type(like), "wrap", None)
    if method is not None:
        return method(wrappee, like, **kwargs)
    return wrappee.as_subclass(type(like))


_wrap_tensor_methods()
