"""Moving and casting: to, cpu, cuda, float/double/..., clone, contiguous, type_as, copy_."""

from __future__ import annotations

from typing import Any

import numpy as _np

from .. import _memory_format as _mf
from .. import dtypes as _dt
from .._device import device as _device_cls
from .._layouts import memory_format as _memory_format
from .._tensor import contiguous_format, preserve_format
from . import _inplace
from ._dispatch import CPU, Tensor, canonical_device, grad_state, make, methods, record, sum_to

__all__ = ["clone", "contiguous"]

_isinstance = isinstance
_np_generic, _np_integer, _np_str = _np.generic, _np.integer, (_np.str_, _np.bytes_, _np.void)


_COMPLEX, _FLOAT = _dt._COMPLEX, _dt._FLOAT


def _strides_differ(a: Any, r: Any) -> bool:
    """Whether ``r`` (a cast of ``a``) has other element strides than ``a``."""
    ia, ir = a.itemsize, r.itemsize
    for sa, sr in zip(a.strides, r.strides):
        if sa * ir != sr * ia:
            return True
    return False


def _cast(t: Tensor, dt: _dt.dtype, copy: bool = False, memory_format: Any = None) -> Tensor:
    src = t.dtype
    if src is dt and not copy:
        return t
    be = t._device._backend
    if src.category == _COMPLEX and dt is _dt.bool:
        r = be.xp.asarray(t._data != 0)  # nonzero in either part (a 0-d array, not a scalar)
    elif src.category == _COMPLEX and dt.category != _COMPLEX:
        if t._data.size:  # PyTorch's kernel (and so its warning) runs only on elements
            _warn_discard_imag()
        r = be.astype(be.xp.real(t._data), dt)  # PyTorch drops the imaginary part
    elif dt.name == "float8_e4m3fn":  # no infinities: PyTorch saturates to +-448 (NaN stays)
        r = be.astype(be.xp.clip(t._data, -448.0, 448.0), dt)
    else:
        r = be.astype(t._data, dt)  # NumPy's order='K' keeps a dense input's layout
    # size-1 dims: NumPy's C-contiguous flag ignores their strides, PyTorch keeps them
    if memory_format is not None or not _c_order(r) or (1 in r.shape
                                                       and _strides_differ(t._data, r)):
        r = _mf.laid_like(be.xp, r, t._data, memory_format)
    res = make(r, t._device)
    if t._rg and grad_state.enabled and dt.category >= _FLOAT:
        record("ToCopyBackward0", res, (t,), _cast_vjp(src))
    return res


_warned_imag = [False]


def _warn_discard_imag() -> None:
    if not _warned_imag[0]:  # once per process, as PyTorch
        _warned_imag[0] = True
        import warnings

        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning,
                      stacklevel=4)


def _cast_vjp(src: _dt.dtype) -> Any:
    # made here: a closure inside ``_cast`` would make ``src`` a cell every cast pays for
    def vjp(g: Tensor) -> tuple:
        if src.category != _COMPLEX and g.is_complex():
            g = g.real
        return (g.to(src),)

    return vjp


def _move(t: Tensor, dev: Any, copy: bool = False, memory_format: Any = None) -> Tensor:
    if dev is t._device and not copy:
        return t
    src = t._device
    if dev is src:
        r = _copy_as(t, memory_format)
    elif dev is CPU:
        r = src._backend.to_numpy(t._data)
        if r is t._data:
            r = r.copy()
    else:
        host = src._backend.to_numpy(t._data) if src is not CPU else t._data
        r = dev._backend.asarray(host, index=dev.index)
    if dev is not src and (memory_format is not None or not _c_order(t._data)):
        r = _mf.laid_like(dev._backend.xp, r, t._data, memory_format)
    res = make(r, dev)
    if grad_state.enabled and t._rg:
        record("ToCopyBackward0", res, (t,), lambda g: (g.to(src),))
    return res


_TO_FORMS = (
    ("device", "dtype", "non_blocking", "copy"),
    ("dtype", "non_blocking", "copy"),
    ("tensor", "non_blocking", "copy"),  # PyTorch's keyword for the tensor form
)
_TO_SIGS = (
    "(ember.device device = None, ember.dtype dtype = None, bool non_blocking = False, "
    "bool copy = False, *, ember.memory_format memory_format = None)",
    "(ember.dtype dtype, bool non_blocking = False, bool copy = False, "
    "*, ember.memory_format memory_format = None)",
    "(Tensor {other}, bool non_blocking = False, bool copy = False, "
    "*, ember.memory_format memory_format = None)",
)


def _is_dtype_like(a: Any) -> bool:
    if _isinstance(a, _dt.dtype) or a in (float, int, bool, complex):
        return True
    if _isinstance(a, (str, Tensor, _device_cls, int)) or a is None:
        return False
    try:
        _dt.to_dtype(a)  # a NumPy dtype or scalar type
    except (TypeError, KeyError, ValueError, AttributeError):
        return False
    return True


def _slot_ok(slot: str, a: Any) -> bool:
    """Whether ``a`` fits the parameter ``slot`` of one of ``Tensor.to``'s forms."""
    if slot == "device":
        return a is None or (_isinstance(a, (str, _device_cls, int)) and not _isinstance(a, bool))
    if slot == "dtype":
        return a is None or _is_dtype_like(a)
    if slot == "tensor":
        return _isinstance(a, Tensor)
    return _isinstance(a, bool)


def _match_to_form(form: tuple, args: tuple, kwargs: dict) -> dict | None:
    """The bound arguments if ``args``/``kwargs`` fit ``form``, else None."""
    if len(args) > len(form):
        return None
    bound = dict(zip(form, args))
    for k, v in kwargs.items():
        if k == "memory_format":
            if v is not None and not _isinstance(v, _memory_format):
                return None
            continue
        if k not in form or k in bound:
            return None
        bound[k] = v
    required = form[0] if form[0] != "device" else None
    if required is not None and required not in bound:
        return None
    if all(_slot_ok(k, v) for k, v in bound.items()):
        return bound
    return None


def _type_label(a: Any) -> str:
    if _isinstance(a, Tensor):
        return "Tensor"
    if _isinstance(a, _dt.dtype):
        return "ember.dtype"
    if _isinstance(a, _device_cls):
        return "ember.device"
    return type(a).__name__


def _leading_scalar(a: Any) -> Any:
    """PyTorch's parser reads a leading positional scalar as a dtype (``to(5.0)`` is float64,
    ``to(True)`` bool, ``to(1j)`` complex128, any NumPy non-integer scalar float64) and a NumPy
    integer as a device index; anything else passes through."""
    if a.__class__ is bool:
        return _dt.bool
    if _isinstance(a, complex):
        return _dt.complex128
    if _isinstance(a, float):
        return _dt.float64
    if _isinstance(a, _np_generic) and not _isinstance(a, _np_str):
        return int(a) if _isinstance(a, _np_integer) else _dt.float64
    return a


def parse_to(args: tuple, kwargs: dict, other: str = "tensor") -> dict:
    """Bind ``Tensor.to``'s (and ``Module.to``'s) arguments to one of PyTorch's three call forms,
    or raise its TypeError (whose third form names the tensor parameter ``other``)."""
    if len(args) == 1 and not kwargs:  # the common to(dtype) / to("cpu")
        a = args[0]
        if a.__class__ is _dt.dtype:
            return {"dtype": a}
        if a.__class__ is str or a.__class__ is _device_cls:
            return {"device": a}
    call = (_leading_scalar(args[0]),) + args[1:] if args else args
    for form in _TO_FORMS:
        bound = _match_to_form(form, call, kwargs)
        if bound is not None:
            return bound
    got = [_type_label(a) for a in args] + [f"{k}={_type_label(v)}" for k, v in kwargs.items()]
    got_s = ", ".join(got) + (", " if kwargs and not args else "")
    sigs = "\n".join(f" * {s}".format(other=other) for s in _TO_SIGS)
    raise TypeError(f"to() received an invalid combination of arguments - got ({got_s}), "
                    f"but expected one of:\n{sigs}\n")


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(device, dtype)``, ``to(dtype)``, ``to(other)`` (+ non_blocking, copy, memory_format).

    Arguments bind as PyTorch's parser binds them; any other combination is a TypeError."""
    bound = parse_to(args, kwargs)
    other = bound.get("tensor")
    if other is not None:
        dev, dtype = other._device, other.dtype
    else:
        dev, dtype = bound.get("device"), bound.get("dtype")
    copy = bool(bound.get("copy", False))
    fmt = kwargs.get("memory_format")
    if fmt is not None:
        _mf.check_format(fmt, self._data.ndim)
        if fmt is preserve_format:
            fmt = None
        elif not copy and _mf.suggest_format(self._data.shape, self.stride()) is not fmt:
            copy = True  # PyTorch's to() aliases only when the strides already suggest fmt
    out = self
    if dtype is not None:
        out = _cast(out, _dt.to_dtype(dtype), copy, fmt)
        copy = copy and out is self
    if dev is not None:
        out = _move(out, canonical_device(dev), copy, fmt)
    elif copy and out is self:
        out = _to_copy(self, fmt)
    return out


def _to_copy(t: Tensor, fmt: Any) -> Tensor:
    """``to(copy=True)`` / ``to(memory_format=...)`` on the same device and dtype."""
    res = make(_copy_as(t, fmt), t._device)
    if grad_state.enabled and t._rg:
        record("ToCopyBackward0", res, (t,), lambda g: (g,))
    return res


def cpu(self: Tensor, memory_format: Any = preserve_format) -> Tensor:
    if memory_format is not preserve_format:
        return to(self, CPU, memory_format=memory_format)
    return _move(self, CPU)


def cuda(self: Tensor, device: Any = None, non_blocking: bool = False,
         memory_format: Any = preserve_format) -> Tensor:
    if _isinstance(device, int):
        device = f"cuda:{device}"
    dev = canonical_device(device or "cuda")
    if memory_format is not preserve_format:
        return to(self, dev, memory_format=memory_format)
    return _move(self, dev)


def _c_order(x: Any) -> bool:
    flags = getattr(x, "flags", None)
    return flags is None or flags.c_contiguous


def _copy_as(t: Tensor, fmt: Any) -> Any:
    """A copy of ``t``'s array in ``fmt`` (None: preserve); C-ordered input copies plainly."""
    x = t._data
    if fmt is None and _c_order(x) and 1 not in x.shape:  # size-1 dims: strides kept below
        return t._device._backend.copy(x)
    st = _mf.elem_strides(x)
    if st is None:
        return t._device._backend.copy(x)
    return _mf.laid_out(t._device._backend.xp, x, _mf.layout_of(fmt or preserve_format,
                                                                 x.shape, st))


def _caster(dt: _dt.dtype) -> Any:
    def cast(self: Tensor, memory_format: Any = preserve_format) -> Tensor:
        if memory_format is not preserve_format:
            return to(self, dt, memory_format=memory_format)
        return _cast(self, dt)

    cast.__name__ = dt.name
    return cast


def type_as(self: Tensor, other: Tensor) -> Tensor:
    if not isinstance(other, Tensor):
        from .pointwise_unary import not_tensor

        raise not_tensor("type_as", other, 1, "other")
    return to(self, other.dtype)


def clone(input: Tensor, *, memory_format: Any = preserve_format) -> Tensor:
    """A copy with its own memory, in the graph; ``preserve_format`` keeps a dense input's
    strides (else the format they suggest), as PyTorch does."""
    x = input._data
    if memory_format is preserve_format or memory_format is None:
        flags = getattr(x, "flags", None)
        # size-1 dims: NumPy's C-contiguous flag ignores their strides, PyTorch keeps them
        r = (input._device._backend.copy(x) if flags is None or (
            flags.c_contiguous and 1 not in x.shape) else _copy_as(input, None))
    else:
        _mf.check_format(memory_format, x.ndim)
        r = _copy_as(input, memory_format)
    res = make(r, input._device)
    if grad_state.enabled and input._rg:
        record("CloneBackward0", res, (input,), lambda g: (g,))
    return res


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """``input`` itself if contiguous in ``memory_format`` (C order by default), else a copy
    laid out so."""
    x = input._data
    if memory_format is None or memory_format is contiguous_format or (
            memory_format is preserve_format):
        flags = getattr(x, "flags", None)
        if flags is None or flags.c_contiguous:
            return input
        if memory_format is preserve_format:
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        r = input._device._backend.xp.ascontiguousarray(x)
    else:
        if input.is_contiguous(memory_format):
            return input
        _mf.check_format(memory_format, x.ndim)
        r = _mf.laid_out(input._device._backend.xp, x, _mf.layout_of(memory_format, x.shape, None))
    res = make(r, input._device)
    if grad_state.enabled and input._rg:
        record("CloneBackward0", res, (input,), lambda g: (g,))
    return res


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy ``src`` (broadcast, cast, moved) into ``self``."""
    if not _isinstance(src, Tensor):
        from .creation import tensor

        src = tensor(src)
    if src._device is not self._device:
        src = _move(src, self._device)
    _inplace.refuse_partial_overlap(self._data, src._data)
    xp = self._device._backend.xp
    try:
        r = xp.broadcast_to(src._data, self._data.shape)
    except ValueError:
        a, b = tuple(self._data.shape), tuple(src._data.shape)
        n = max(len(a), len(b))
        a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        for i in range(n - 1, -1, -1):  # PyTorch's infer_size, from the last dim
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor "
                                   f"b ({b[i]}) at non-singleton dimension {i}") from None
        # broadcastable, but to a shape bigger than self's (PyTorch's TensorIterator check)
        raise RuntimeError(
            f"output with shape {list(self.shape)} doesn't match the broadcast shape "
            f"{[max(x, y) if x and y else 0 for x, y in zip(a, b)]}") from None
    if self.dtype is _dt.float16 and src.dtype is _dt.float64:
        r = r.astype("float32")  # PyTorch rounds double to half through float
    elif r.dtype.kind == "c" and self._data.dtype.kind not in "cb":
        if r.size:  # PyTorch's UserWarning, where NumPy's cast gives a ComplexWarning
            _warn_discard_imag()
        r = xp.real(r)
    if not (grad_state.enabled and (src._rg or self._rg)):
        _inplace.check_inplace(self, "copy_")
        _inplace.write(self, r)
        return self
    shape, src_dtype = src._data.shape, src.dtype
    res = make(self._device._backend.astype(r, self.dtype), self._device)

    def vjp(g: Tensor) -> tuple:
        gs = sum_to(g, shape)
        return _zero_grad(g), gs.to(src_dtype) if gs.dtype is not src_dtype else gs

    record("CopyBackwards", res, (self, src), vjp)
    return _inplace.commit(self, res, "copy_")


def fill_(self: Tensor, value: Any) -> Tensor:
    """Set every element to ``value`` (a number or a 0-d tensor, which keeps the graph)."""
    return _fill(self, value, "fill_", "FillBackward2")


def _fill(self: Tensor, value: Any, op: str, name: str) -> Tensor:
    """``fill_``/``zero_``: under autograd the old values get a zero gradient (their graph stays connected, as in
    PyTorch, so a saved tensor changed here is still caught) and a view's base is rebased.
    """
    if _isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions.")
        _inplace.check_overlap(self, "copy_")  # a tensor value is copied: no shared writes
        if grad_state.enabled and (value._rg or self._rg):
            res = make(self._device._backend.astype(
                self._device._backend.xp.broadcast_to(value._data, self._data.shape),
                self.dtype), self._device)
            record("FillBackward3", res, (self, value),
                   lambda g: (_zero_grad(g), g.sum().to(value.dtype)))
            return _inplace.commit(self, res, "fill_")
        v = value._data if value._device is self._device else \
            _move(value, self._device)._data
        if v.dtype.kind == "c" and self._data.dtype.kind not in "cb":
            _warn_discard_imag()  # copied as by copy_: the real part, with PyTorch's warning
        value = _copy_cast(self, v)
    if value.__class__ is int or value.__class__ is float or value.__class__ is complex:
        from .creation import fill_value_for

        # -1 into uint8 wraps; 300 is refused; a one-element half tensor takes 1e6 as inf
        value = fill_value_for(value, self.dtype, self._data.size == 1)
    if grad_state.enabled and self._rg:
        xp = self._device._backend.xp
        res = make(xp.full(self._data.shape, value, dtype=self._data.dtype), self._device)
        record(name, res, (self,), lambda g: (_zero_grad(g),))
        return _inplace.commit(self, res, op)
    _inplace.check_inplace(self, op)
    x = self._data
    if self._device._backend.numpy_like:
        try:
            x.fill(value)
        except ValueError:  # read-only: an expanded tensor, which PyTorch fills all the same
            _inplace.writable(x, False).fill(value)
        self._vc[0] += 1
    else:
        _inplace.write(self, self._device._backend.xp.full(x.shape, value, dtype=x.dtype), op)
    return self


def _copy_cast(self: Tensor, v: Any) -> Any:
    """A 0-d array ``v`` in ``self``'s dtype as ``copy_`` converts it (out-of-range values
    wrap, a complex value gives its real part), unlike a number's range-checked fill."""
    if self.dtype is _dt.float16 and v.dtype == _np.float64:
        v = v.astype("float32")  # PyTorch rounds double to half through float
    elif v.dtype.kind == "c" and self._data.dtype.kind not in "cb":
        v = self._device._backend.xp.real(v)
    return self._device._backend.astype(v, self.dtype).item()  # in range: a number


def _zero_grad(g: Tensor) -> Tensor:
    """The gradient of values that were overwritten: zeros shaped like ``g``."""
    return g.new_zeros(()).expand(g.shape)


def zero_(self: Tensor) -> Tensor:
    """Set every element to zero."""
    return _fill(self, 0, "zero_", "ZeroBackward0")


methods(fill_=fill_, zero_=zero_, to=to, cpu=cpu, cuda=cuda, type_as=type_as, clone=clone, contiguous=contiguous,
        copy_=copy_, float=_caster(_dt.float32), double=_caster(_dt.float64),
        half=_caster(_dt.float16), bfloat16=_caster(_dt.bfloat16), long=_caster(_dt.int64),
        int=_caster(_dt.int32), short=_caster(_dt.int16), char=_caster(_dt.int8),
        byte=_caster(_dt.uint8), bool=_caster(_dt.bool), cfloat=_caster(_dt.complex64),
        cdouble=_caster(_dt.complex128))
