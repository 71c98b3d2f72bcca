"""What every op uses: operand promotion, result wrapping, and graph recording.

The hot path of an op is: unwrap the arrays (promoting dtypes only when they
differ), call the namespace, wrap the result, and record a graph node only when
grad mode is on and an input requires grad. Error messages are built on the
error path only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .. import dtypes as _dt
from .._runtime import quiet
from .._tensor import Tensor, make
from ..autograd import grad_mode
from ..autograd.graph import _pack_saved, node_class
from ..autograd.graph import _saved_hooks as _saved_hooks_active
from ..backends.registry import CPU, canonical_device

__all__ = ["Tensor", "make", "grad_state", "needs_grad", "record", "record_multi", "renamed",
           "leave_unchecked",
           "binary",
           "as_array", "result_type", "float_array", "sum_to", "xp_of", "method", "methods",
           "wrap_dim", "wrap_dims", "default_float", "CPU", "canonical_device", "to_device_dtype",
           "device_mismatch", "is_tensor", "kind", "astype", "copy", "reshape", "permute_dims"]

grad_state = grad_mode.state
_node_classes: dict = {}
_isinstance = isinstance
_py_scalars = (int, float, bool, complex)


def is_tensor(x: Any) -> bool:
    return _isinstance(x, Tensor)


def default_float() -> _dt.dtype:
    return _dt._default


def xp_of(t: Tensor) -> Any:
    """The array namespace of a tensor's backend."""
    return t._device._backend.xp


def needs_grad(*ts: Any) -> bool:
    """Whether an op on these inputs must be recorded."""
    if not grad_state.enabled:
        return False
    for t in ts:
        if _isinstance(t, Tensor) and t._rg:
            return True
    return False


_NO_EDGE = (None, 0)


def _edges(inputs: Sequence[Any]) -> tuple:
    edges = []
    append = edges.append
    for t in inputs:
        if _isinstance(t, Tensor):
            fn = t.grad_fn
            if fn is not None and t._base is None:
                append((fn, t._out_nr))
            elif not t._rg:
                append(_NO_EDGE)
            elif fn is None and t._accum is not None:  # a leaf whose accumulator may live
                acc = t._accum()
                append((acc, 0) if acc is not None else t._edge())
            else:  # a new leaf accumulator, or a view (whose base may have changed in place)
                append(t._edge())
        else:
            append(_NO_EDGE)
    return tuple(edges)


def _process_saved(node: Any, saved: Sequence, outs: Sequence[Tensor]) -> None:
    versions = []
    for s in saved:
        if _isinstance(s, Tensor) and s._vc.__class__ is not list:  # made in inference_mode
            raise _inference_saved_error()
        versions.append(s._vc[0] if _isinstance(s, Tensor) else None)
    items = saved
    out_map = None
    for i, s in enumerate(saved):
        if versions[i] is None:
            continue
        for nr, o in enumerate(outs):
            if s is o:  # saving an output: keep a detached alias (no Tensor<->node cycle)
                if out_map is None:
                    items, out_map = list(saved), {}
                alias = make(o._data, o._device)
                alias._vc = o._vc
                items[i] = alias
                out_map[i] = nr
                break
    node._saved = tuple(items)
    node._versions = versions
    node._saved_out = out_map


def record(name: str, out: Tensor, inputs: Sequence[Any], vjp: Callable,
           saved: Sequence[Any] = ()) -> Tensor:
    """Attach a graph node to ``out``: ``vjp(grad, *saved)`` gives one gradient per input."""
    cls = _node_classes.get(name)
    if cls is None:
        cls = _node_classes[name] = node_class(name)
    node = cls(vjp, _edges(inputs))
    node._odt = out._data.dtype
    if saved:
        versions = []
        for s in saved:
            if s is out:  # an output among the saved: the general path
                _process_saved(node, saved, (out,))
                break
            if _isinstance(s, Tensor):
                vc = s._vc
                if vc.__class__ is not list:  # made under inference_mode
                    raise _inference_saved_error()
                versions.append(vc[0])
            else:
                versions.append(None)
        else:
            node._saved = saved if saved.__class__ is tuple else tuple(saved)
            node._versions = versions
        if _saved_hooks_active:  # saved_tensors_hooks active: pack what the node saved
            _pack_saved(node)
    out.grad_fn = node
    out._rg = True
    return out


def also_saves(out: Tensor, *extra: Any) -> Tensor:
    """``out``, its node (just made by an op composed of others) also saving ``extra``: the
    tensors PyTorch's single node saves, so a later in-place change to one fails the backward
    as there. Its vjp still gets only its own saved values."""
    node = out.grad_fn
    if node is None or node._multi or node._saved.__class__ not in (tuple, type(None)):
        return out
    own = node._saved or ()
    n = len(own)
    for s in extra:
        if _isinstance(s, Tensor) and s._vc.__class__ is not list:
            raise _inference_saved_error()
    items = list(own)
    out_map = dict(node._saved_out or {})
    for s in extra:
        if s is out:  # the result itself: a detached alias (no Tensor<->node cycle)
            alias = make(out._data, out._device)
            alias._vc = out._vc
            out_map[len(items)] = out._out_nr
            s = alias
        items.append(s)
    vjp = node._vjp
    node._vjp = lambda g, *saved: vjp(g, *saved[:n])
    node._saved = tuple(items)
    node._versions = list(node._versions or ()) + [
        s._vc[0] if _isinstance(s, Tensor) else None for s in extra]
    node._saved_out = out_map or None
    return out


def leave_unchecked(node: Any, indices: Iterable[int]) -> None:
    """Leave ``node``'s saved tensors at ``indices`` out of the in-place version check:
    PyTorch's node does not save them, so a later in-place change of one fails no backward."""
    if node._versions.__class__ is list:  # (not packed by saved_tensors_hooks)
        versions = list(node._versions)
        for i in indices:
            versions[i] = None
        node._versions = versions


def renamed(out: Tensor, name: str) -> Tensor:
    """``out``, its graph node shown under PyTorch's name for the op that made it (an op
    composed of others would otherwise show its last step's). Only for a node the op itself
    just made, with one output."""
    node = out.grad_fn
    if node is not None and not node._multi:
        cls = _node_classes.get(name)
        if cls is None:
            cls = _node_classes[name] = node_class(name)
        node.__class__ = cls
    return out


def _inference_saved_error() -> RuntimeError:
    return RuntimeError(
        "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
        "inference mode in computation tracked by autograd. To work around this, you can make a "
        "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead "
        "of `torch.inference_mode()`.")


def record_multi(name: str, outs: Sequence[Tensor], inputs: Sequence[Any], vjp: Callable,
                 saved: Sequence[Any] = ()) -> Sequence[Tensor]:
    """Like ``record`` for several differentiable outputs: ``vjp(grads_tuple, *saved)``."""
    key = name + "#multi"
    cls = _node_classes.get(key)
    if cls is None:
        cls = _node_classes[key] = node_class(name, multi=True)
    node = cls(vjp, _edges(inputs))
    node._meta = [functools.partial(_zeros_meta, o._data.shape, o._data.dtype, o._device)
                  for o in outs]
    if saved:
        _process_saved(node, saved, outs)
        if _saved_hooks_active:
            _pack_saved(node)
    for nr, o in enumerate(outs):
        o.grad_fn = node
        o._out_nr = nr
        o._rg = True
    return outs


def _zeros_meta(shape: tuple, dtype: Any, device: Any) -> Tensor:
    return make(device._backend.xp.zeros(shape, dtype=dtype), device)


# ------------------------------------------------------------------- dtype promotion
def result_type(*operands: Any) -> _dt.dtype:
    """PyTorch's result type: dimensioned tensors, then 0-d tensors, then Python scalars."""
    cats = [None, None, None]  # dtype per priority class
    for x in operands:
        if _isinstance(x, Tensor):
            d = x.dtype
            k = 0 if x._data.ndim else 1
        elif _isinstance(x, _dt.dtype):
            d, k = x, 0
        else:
            d, k = _scalar_dtype(x), 2
        cats[k] = d if cats[k] is None else _dt.promote_types(cats[k], d)
    return _combine(cats[0], _combine(cats[1], cats[2]))


def _combine(hi: _dt.dtype | None, lo: _dt.dtype | None) -> _dt.dtype | None:
    """PyTorch's combination of a higher-priority class's dtype with a lower one's: the lower
    class only counts when it is of a higher category (complex keeps the float's size)."""
    if lo is None:
        return hi
    if hi is None:
        return lo
    hc, lc = hi.category, lo.category
    if hc == _dt._COMPLEX:
        return hi
    if lc == _dt._COMPLEX:
        return hi.to_complex() if hc == _dt._FLOAT else lo
    if hc == _dt._FLOAT:
        return hi
    if hc == _dt._BOOL or lc == _dt._FLOAT:
        return _dt.promote_types(hi, lo)
    return hi


def _scalar_dtype(x: Any) -> _dt.dtype:
    if _isinstance(x, bool):
        return _dt.bool
    if _isinstance(x, int):
        return _dt.int64
    if _isinstance(x, float):
        return _dt._default
    if _isinstance(x, complex):
        return _dt.default_complex()
    if _isinstance(x, np.generic):  # a NumPy scalar counts as the Python number it reads as
        return _scalar_dtype(np_number(x))
    if hasattr(x, "dtype"):
        return _dt.from_numpy_dtype(x.dtype)
    raise unsupported_operand(f"expected a Tensor or a number, got {type(x).__name__}")


def unsupported_operand(message: str) -> TypeError:
    """The TypeError for an operand that is neither a tensor nor a number, marked so that
    Tensor's operators answer NotImplemented instead (Python then tries the other operand's
    reflected method, as with PyTorch)."""
    err = TypeError(message)
    err._ember_operand = True
    return err


def device_mismatch(op: str, a: Tensor, b: Tensor) -> RuntimeError:
    """The error for operands on two devices; with a meta tensor, PyTorch's meta kernels'
    words (the second operand is not on the first one's device)."""
    if "meta" in (a._device.type, b._device.type):
        return RuntimeError(f"Tensor on device {b._device} is not on the expected device "
                            f"{a._device}!")
    return RuntimeError(
        f"{op}: Expected all tensors to be on the same device, but found at least two devices, "
        f"{a._device} and {b._device}!")


def binary(a: Any, b: Any, op: str = "op") -> tuple[Any, Any, Any]:
    """The arrays of two operands after PyTorch's promotion, and their device.

    One of ``a`` and ``b`` is a Tensor; the other may be a Python number, or a NumPy array
    (then NumPy's promotion decides the dtype: PyTorch hands such an operation to NumPy).
    """
    if b.__class__ is np.ndarray and _isinstance(a, Tensor):
        a, b = _with_array(a, b)
    elif a.__class__ is np.ndarray and _isinstance(b, Tensor):
        b, a = _with_array(b, a)
    if _isinstance(a, Tensor):
        xa, dev = a._data, a._device
        if _isinstance(b, Tensor):
            xb = b._data
            if b._device is not dev:
                if b._data.ndim == 0 and b._device is CPU:
                    xb = dev._backend.asarray(b._data, index=dev.index)
                elif a._data.ndim == 0 and dev is CPU:
                    xa, dev = b._device._backend.asarray(xa, index=b._device.index), b._device
                else:
                    raise device_mismatch(op, a, b)
            if xa.dtype != xb.dtype:
                dt = result_type(a, b)
                be = dev._backend
                if a.dtype is not dt:
                    xa = be.astype(xa, dt)
                if b.dtype is not dt:
                    xb = be.astype(xb, dt)
        else:
            try:
                xa, xb = _with_scalar(xa, b, a)
            except TypeError as e:  # a string, list, None...: PyTorch's parser's words
                raise _operand_error(e, op, b, 2, "other") from None
        if xa.dtype.kind == "u" and op in _SHELL_UINT_KERNELS:
            refuse_shell_uint(_SHELL_UINT_KERNELS[op], xa)
        return xa, xb, dev
    if _isinstance(b, Tensor):
        try:
            xb, xa = _with_scalar(b._data, a, b)
        except TypeError as e:
            raise _operand_error(e, op, a, 1, "input") from None
        if xb.dtype.kind == "u" and op in _SHELL_UINT_KERNELS:
            refuse_shell_uint(_SHELL_UINT_KERNELS[op], xb)
        return xa, xb, b._device
    if op in _NUMBER_PAIR_OPS and type(a) in _NUMBERS and type(b) in _NUMBERS:
        from .creation import tensor  # torch.add(2, 3): the first number becomes a 0-dim tensor

        return binary(tensor(a), b, op)
    raise TypeError(f"{op}: expected a Tensor, got {type(a).__name__} and {type(b).__name__}")


def _operand_error(e: TypeError, op: str, x: Any, pos: int, arg: str) -> TypeError:
    """``e`` (an operand neither tensor nor number); for the ops whose only overload then left
    takes a Tensor, in PyTorch's words (still marked, so that operators give NotImplemented)."""
    if not getattr(e, "_ember_operand", False) or op not in _NUMBER_PAIR_OPS:
        return e
    from .pointwise_unary import not_tensor
    err = not_tensor(op, x, pos, arg)
    err._ember_operand = True
    return err


def tie_first(fn: Callable, a: Any, b: Any, **kw: Any) -> Any:
    """``fn(a, b, **kw)`` (NumPy's maximum or minimum) keeping ``a`` on a tie, as PyTorch does
    (``maximum(0., -0.)`` is ``0.``): NumPy's keeps the second operand, except in float16."""
    return fn(a, b, **kw) if getattr(a, "dtype", None) == np.float16 else fn(b, a, **kw)


# the ops whose torch.* functions take two Python numbers (add, sub, mul and the divisions)
_NUMBER_PAIR_OPS = frozenset(("add", "sub", "mul", "div"))
_NUMBERS = (bool, int, float, complex)


# PyTorch's CPU kernels that uint16/32/64 lack (it stores, casts, multiplies and compares
# them for equality), by the Ember op names ``binary`` is called with
_SHELL_UINT_KERNELS = {"add": "add_stub", "sub": "add_stub", "lt": "lt_cpu", "le": "le_cpu",
                       "gt": "gt_cpu", "ge": "ge_cpu", "maximum": "maximum_cpu",
                       "minimum": "minimum_cpu", "pow": "pow", "remainder": "remainder_cpu",
                       "fmod": "fmod_cpu", "bitwise_left_shift": "lshift_cpu",
                       "bitwise_right_shift": "rshift_cpu", "logical_and": "logical_and_cpu",
                       "logical_or": "logical_or_cpu", "logical_xor": "logical_xor_cpu",
                       "isin": "isin_default_cpu"}


def refuse_shell_uint(kernel: str, x: Any) -> None:
    """PyTorch's NotImplementedError naming its CPU ``kernel``, where array ``x`` is
    uint16/32/64 (dtypes PyTorch stores and casts but computes little with)."""
    npd = getattr(x, "dtype", None)
    if getattr(npd, "kind", None) == "u" and npd.itemsize > 1:
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_dt._c10_name(_dt.from_numpy_dtype(npd))}'")


def _with_array(t: Tensor, arr: np.ndarray) -> tuple[Tensor, Tensor]:
    """A tensor and a NumPy array as two tensors of NumPy's common dtype."""
    dev = t._device
    npd = np.result_type(t._data.dtype, arr.dtype) if dev.type == "cpu" else arr.dtype
    other = make(dev._backend.asarray(np.array(arr, dtype=npd), index=dev.index), dev)
    return (t if t._data.dtype == npd else t.to(other.dtype)), other


def _with_scalar(x: Any, s: Any, t: Tensor) -> tuple[Any, Any]:
    npd = x.dtype
    try:
        kind = npd.kind
    except AttributeError:  # a namespace with dtype objects of its own (the Array API's)
        npd = _dt.from_foreign_dtype(npd).np
        kind = npd.kind
    cls = s.__class__
    if cls is float:
        if kind in "biu":
            x = t._device._backend.astype(x, _dt._default)
            if _dt._default is not _dt.bfloat16:
                return x, s
            npd, kind = x.dtype, "V"
        elif npd.itemsize != 2:
            return x, s
        with np.errstate(over="ignore"):  # PyTorch rounds a double to half through float
            s32 = np.float32(s)
        if kind != "V":
            return x, float(s32)
        # bfloat16 (ml_dtypes) would widen to float32 with a Python float
        return x, t._device._backend.xp.asarray(s32, dtype=npd)
    if cls is int:
        if not -_2_63 <= s < _2_64:  # PyTorch unpacks a Python int as int64 or uint64
            raise OverflowError("can't convert negative int to unsigned" if s < 0 else
                                "int too big to convert")
        if kind == "b":
            x = t._device._backend.astype(x, _dt.int64)
        elif kind in "iu":
            info = _iinfo(npd)
            if not info[0] <= s <= info[1]:  # PyTorch wraps where NumPy 2 refuses
                s = s & info[2] if kind == "u" else ((s - info[0]) & info[2]) + info[0]
        return x, s
    if cls is bool:
        if kind != "b" and not t._device._backend.numpy_like:
            s = int(s)  # the Array API mixes Python bools with bool arrays only
        return x, s
    if cls is complex:
        if kind != "c":
            x = t._device._backend.astype(  # a float tensor keeps its precision
                x, _dt.default_complex() if t.dtype.category < _dt._FLOAT else
                _dt.complex128 if t.dtype is _dt.float64 else _dt.complex64)
        return x, s
    if _isinstance(s, Tensor):  # shouldn't happen: binary() handles tensor pairs
        raise TypeError("internal: tensor passed as scalar")
    if hasattr(s, "item") and getattr(s, "ndim", 1) == 0:  # NumPy scalars act as Python numbers
        return _with_scalar(x, np_number(s), t)
    if _isinstance(s, _py_scalars):
        return _with_scalar(x, cls.__mro__[-2](s), t)
    raise unsupported_operand(
        f"unsupported operand type: expected a Tensor or a number, got {type(s).__name__}")


def np_number(s: Any) -> Any:
    """A NumPy scalar as PyTorch's argument parser reads it: integers as ints, np.float64
    and np.complex128 (Python float / complex subclasses) as themselves, and every other one
    (np.bool_, np.float32, np.complex64, ...) as a float (a complex64 loses its imaginary
    part, with NumPy's ComplexWarning)."""
    v = s.item()
    if v.__class__ is int or isinstance(s, (float, complex)) or \
            not isinstance(s, (np.number, np.bool_)):
        return v
    return float(s)


_2_63, _2_64 = 1 << 63, 1 << 64


@functools.cache
def _iinfo(npd: Any) -> tuple[int, int, int]:
    info = np.iinfo(npd)
    return int(info.min), int(info.max), (1 << info.bits) - 1


def as_array(x: Any, like: Tensor) -> Any:
    """A tensor's array, or a Python number as an array on ``like``'s device and dtype."""
    if _isinstance(x, Tensor):
        return x._data
    return like._device._backend.xp.asarray(x, dtype=like._data.dtype)


def float_array(t: Tensor) -> Any:
    """The array of ``t``, integers and bools promoted to the default float dtype."""
    x = t._data
    if kind(x) in "biu":
        return t._device._backend.astype(x, _dt._default)
    return x


def astype(xp: Any, x: Any, native: Any) -> Any:
    """``x`` as the namespace's dtype ``native``: the array method where arrays have one
    (NumPy, CuPy: faster), else the Array API's function."""
    return x.astype(native) if hasattr(x, "astype") else xp.astype(x, native)


def copy(xp: Any, x: Any) -> Any:
    """A copy of array ``x`` with its own memory."""
    return x.copy() if hasattr(x, "copy") else xp.asarray(x, copy=True)


def reshape(xp: Any, x: Any, shape: tuple) -> Any:
    """Array ``x`` in a new shape (a view where the layout allows)."""
    return x.reshape(shape) if hasattr(x, "reshape") else xp.reshape(x, shape)


def permute_dims(xp: Any, x: Any, perm: tuple) -> Any:
    """Array ``x`` with its axes reordered (a view)."""
    return x.transpose(perm) if hasattr(x, "transpose") else xp.permute_dims(x, perm)


def kind(x: Any) -> str:
    """NumPy's kind letter ("b", "i", "u", "f", "c") of any backend array's dtype."""
    d = x.dtype
    try:
        return d.kind
    except AttributeError:  # a namespace with dtype objects of its own (the Array API's)
        return _dt.from_foreign_dtype(d).kind


def sum_to(g: Tensor, shape: tuple) -> Tensor:
    """Reduce a broadcast gradient back to ``shape`` (with Ember ops: differentiable)."""
    gs = g._data.shape
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and gs[i + lead] != 1)
    if dims:
        g = g.sum(dims, keepdim=True)
    if lead:
        g = g.reshape(shape)
    elif g._data.shape != shape:
        g = g.reshape(shape)
    return g


def wrap_dim(dim: int, ndim: int, op: str = "op") -> int:
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if dim.__class__ is not int:
        dim = _int_dim(dim, op)
    if not lo <= dim <= hi:  # PyTorch's text, after the op's name where the caller gave it
        raise IndexError(("" if op == "op" else f"{op}: ") + "Dimension out of range (expected "
                         f"to be in range of [{lo}, {hi}], but got {dim})")
    return dim % ndim if ndim else 0


def _int_dim(dim: Any, op: str) -> int:
    """A dim given as a NumPy integer or 0-d integer tensor, as an int; PyTorch's argument
    parser refuses bools, floats and strings (TypeError) where int() would take them."""
    if _isinstance(dim, (bool, float, str)) or not hasattr(dim, "__index__"):
        raise TypeError(f"{'' if op == 'op' else op + '(): '}argument 'dim' must be int, not "
                        f"{type(dim).__name__}")
    return dim.__index__()


def wrap_dims(dim: Any, ndim: int, op: str = "op") -> tuple[int, ...]:
    """Normalise ``dim`` (None, int, or a sequence) to a sorted tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if _isinstance(dim, (int,)) or (hasattr(dim, "__index__") and not _isinstance(dim, (list, tuple))):
        return (wrap_dim(dim, ndim, op),)
    out = tuple(wrap_dim(d, ndim, op) for d in dim)
    if len(set(out)) != len(out):
        seen: set[int] = set()
        rep = next(d for d in out if d in seen or seen.add(d))
        raise RuntimeError(f"dim {rep} appears multiple times in the list of dims")
    return out


def to_device_dtype(device: Any, dtype: Any) -> tuple[Any, Any]:
    """Canonical device and Ember dtype (or None) from user arguments."""
    return canonical_device(device), (_dt.to_dtype(dtype) if dtype is not None else None)



# NumPy's floating-point warnings must not reach users: ``quiet`` (in ``_runtime``, where
# the autograd engine can reach it too) runs a kernel with NumPy's error state "ignore".
def conj_operand(x: Any) -> Any:
    """The conjugate of a complex operand (tensor or Python number), others as they are: a
    product's gradient takes the other factor's conjugate (PyTorch's complex autograd)."""
    if isinstance(x, Tensor) and kind(x._data) == "c":
        return x.conj()
    if isinstance(x, complex):
        return x.conjugate()
    return x


def quietly(fn: Callable) -> Callable:
    """``fn`` run with NumPy's floating-point warnings off (see ``quiet``)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return quiet(lambda: fn(*args, **kwargs))

    return wrapper


# ------------------------------------------------------------------- attaching methods
def method(fn: Callable, name: str | None = None) -> Callable:
    """Attach ``fn`` to Tensor as a method (``fn(self, ...)``)."""
    setattr(Tensor, name or fn.__name__, fn)
    return fn


def methods(**fns: Callable) -> None:
    """Attach several functions to Tensor under the given names."""
    for name, fn in fns.items():
        setattr(Tensor, name, _operator(fn) if name in _OPERATORS else numpy_aliases(fn))


_OPERATORS = frozenset(f"__{p}{n}__" for n in (
    "add", "sub", "mul", "truediv", "div", "floordiv", "mod", "pow", "matmul", "and", "or",
    "xor", "lshift", "rshift") for p in ("", "r", "i")) | {
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"}


def _operator(fn: Callable) -> Callable:
    """A binary operator that answers NotImplemented for an operand it cannot take."""
    @functools.wraps(fn)
    def operator(self: Tensor, other: Any) -> Any:
        try:
            return fn(self, other)
        except TypeError as err:
            if getattr(err, "_ember_operand", False):
                return NotImplemented
            raise

    return operator


def numpy_aliases(fn: Any) -> Any:
    """``fn``, also taking NumPy's ``axis=`` and ``keepdims=`` for its ``dim``/``keepdim``
    parameters, as PyTorch's argument parser does for its native functions."""
    inner = fn
    while hasattr(inner, "__wrapped__"):  # decorated ops: the parameters of the op itself
        inner = inner.__wrapped__
    code = getattr(inner, "__code__", None)
    if code is None or getattr(fn, "_numpy_aliases", False):
        return fn
    params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    if "dim" not in params and "keepdim" not in params:
        return fn

    @functools.wraps(fn)
    def with_aliases(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            if "axis" in kwargs:
                kwargs["dim"] = kwargs.pop("axis")
            if "keepdims" in kwargs:
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)

    with_aliases._numpy_aliases = True
    return with_aliases
