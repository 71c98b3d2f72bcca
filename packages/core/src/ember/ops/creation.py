"""Creation ops: tensor, as_tensor, from_numpy, zeros, ones, full, empty, arange, ... and *_like."""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import numpy as np

from .. import _memory_format as _mf
from .. import _tensor as _tensor_module
from .. import dtypes as _dt
from .._layouts import _NEGATIVE_STRIDES, _refuse_negative_strides
from .._runtime import get_num_threads
from .._tensor import c_type_name, preserve_format
from ..backends.registry import default_device as _user_default
from ._arange_kernel import float_arange, float_range
from ._autocast import autocast_op
from ._dispatch import CPU, Tensor, canonical_device, make, methods, quiet, record, renamed
from ._inplace import _type_name as _np_type_name
from ._inplace import write_out, writes_out

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "from_dlpack", "to_dlpack", "zeros",
           "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like", "arange",
           "range", "linspace", "logspace", "eye", "empty_strided", "scalar_tensor", "frombuffer",
           "complex", "polar", "heaviside"]

_isinstance = isinstance
_by_np = _dt._BY_NP.get


def _first_str(data: Any) -> ValueError | None:
    """PyTorch's error when a str is the first element at some depth (it reads sizes there)."""
    first = data
    while _isinstance(first, (list, tuple)) and first:
        first = first[0]
        if _isinstance(first, str):
            return ValueError("too many dimensions 'str'")
    return None


def _first_leaf(data: Any) -> Any:
    """The first element at the deepest level of nested lists (tensors in a list of lists)."""
    while (data.__class__ is list or data.__class__ is tuple) and data:
        data = data[0]
    return data


def _raise_bad_element(data: Any, dtype: Any) -> None:
    """Error path of ``tensor(data, dtype=...)``: raise PyTorch's error for the first element
    that is not a number (or a shape error met before it); return when there is none."""
    err = _first_str(data)
    if err is not None:
        raise err
    if _isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    _raise_ragged(data, dtype)


def _bad_data(data: Any) -> Exception:
    """PyTorch's error for data that holds something other than numbers: its sizes come from
    the first elements (a string among them has "too many dimensions"), then every element
    must be a number (a string: "invalid data type"; anything else: "could not infer")."""
    err = _first_str(data)
    if err is not None:
        return err
    stack = [data]
    while stack:
        x = stack.pop()
        if _isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        elif _isinstance(x, (str, bytes)):
            return TypeError(f"new(): invalid data type '{type(x).__name__}'")
        elif not (_isinstance(x, (numbers.Number, np.generic, np.ndarray))
                  or hasattr(x, "_data")):
            return RuntimeError(f"Could not infer dtype of {type(x).__name__}")
    return TypeError(f"new(): invalid data type '{type(data).__name__}'")


def _infer_dtype(data: Any) -> _dt.dtype | None:
    """PyTorch's dtype for Python data: each element's own type (bool, int64, the default
    float, the default complex; a NumPy scalar's or a tensor's dtype), promoted together."""
    d = _flat_dtype(data)
    if d is not None:
        return d
    result = odd = None
    stack = [data]
    while stack:
        x = stack.pop()
        if _isinstance(x, Tensor):
            d = x.dtype
        elif _isinstance(x, np.generic):  # before the Python types: np.float64 is a float
            d = _dt.from_numpy_dtype(x.dtype)
            if d is _dt.bool or d is _dt.uint64:
                odd = x
        elif _isinstance(x, np.ndarray) and x.dtype.kind in "biufc":
            d = _dt.from_numpy_dtype(x.dtype)  # an array in a list (0-d too) brings its dtype
            _warn_list_of_arrays()
        elif _isinstance(x, bool):
            d = _dt.bool
        elif _isinstance(x, int):
            d = _dt.int64
        elif _isinstance(x, float):
            d = _dt._default
        elif _isinstance(x, builtin_complex):
            d = _dt.default_complex()
        elif _isinstance(x, (list, tuple)):
            stack.extend(reversed(x))  # left to right, as PyTorch promotes (its messages)
            continue
        else:
            return None  # arrays and other objects: NumPy's conversion decides
        result = d if result is None or d is result else _dt.promote_types(result, d)
    if odd is not None and result.category == _dt._INT:
        _refuse_numpy_scalars(data, result)
    return result if result is not None else _dt._default


def _warn_list_of_arrays() -> None:
    """PyTorch's warning (once) when it stores a NumPy array met in a list, element by element."""
    if "list" not in _warned:
        from .._stacklevel import user_stacklevel

        _warn_once("list", "Creating a tensor from a list of numpy.ndarrays is extremely slow. "
                   "Please consider converting the list to a single numpy.ndarray with "
                   "numpy.array() before converting to a tensor. (Triggered internally at "
                   "/__w/pytorch/pytorch/torch/csrc/utils/tensor_new.cpp:252.)",
                   user_stacklevel() + 1)  # (warned from inside _warn_once)


def _refuse_numpy_scalars(data: Any, dtype: _dt.dtype) -> None:
    """PyTorch's refusals of numbers it cannot store in an integer ``dtype``: only Python
    ints and bools go into uint64, and no NumPy bool into another integer dtype."""
    stack = [data]
    while stack:
        x = stack.pop()
        if _isinstance(x, (list, tuple)):
            stack.extend(reversed(x))
        elif dtype is _dt.uint64:
            if x.__class__ is not int and x.__class__ is not bool and \
                    not _isinstance(x, np.ndarray):
                raise TypeError("an integer is required")
        elif _isinstance(x, np.generic) and _leaf_error(x, dtype) is not None:
            raise _not_a_number(x, dtype)


builtin_complex = type(1j)
# NumPy scalars PyTorch cannot store into an integer dtype (no __index__, not a Python float)
_NOT_INDEX = frozenset((np.bool_, np.float16, np.float32, np.complex64, np.complex128))
_warned: set = set()


def _warn_once(key: str, message: str, stacklevel: int = 4) -> None:
    """A UserWarning given once per program, as PyTorch's TORCH_WARN_ONCE."""
    if key not in _warned:
        _warned.add(key)
        import warnings

        warnings.warn(message, UserWarning, stacklevel=stacklevel)


def _warn_if_readonly(arr: np.ndarray) -> None:
    if not arr.flags.writeable:
        _warn_once("readonly", "The given NumPy array is not writable, and PyTorch does not "
                   "support non-writable tensors. This means writing to this tensor will result "
                   "in undefined behavior. You may want to copy the array to protect its data or "
                   "make it writable before converting it to a tensor. This type of warning will "
                   "be suppressed for the rest of this program. (Triggered internally at "
                   "/__w/pytorch/pytorch/torch/csrc/utils/tensor_numpy.cpp:213.)")
_FLOAT_DEFAULT = object()  # stands for the default float dtype, read at call time
_FLAT = {bool: _dt.bool, int: _dt.int64, float: _FLOAT_DEFAULT}


def _flat_dtype(data: Any) -> _dt.dtype | None:
    """The dtype of a flat list or tuple of Python numbers all of one type (a batch of
    labels), found in one C-level pass; None for anything else."""
    if (data.__class__ is not list and data.__class__ is not tuple) or not data:
        return None
    d = _FLAT.get(data[0].__class__)
    if d is None or len(set(map(type, data))) != 1:
        return None
    return d if d is not _FLOAT_DEFAULT else _dt._default


def _host_cast(arr: np.ndarray, dtype: _dt.dtype) -> np.ndarray:
    """``arr`` as ``dtype``; double to half through float, as PyTorch rounds it; complex
    to real with PyTorch's warning (not NumPy's ComplexWarning)."""
    if arr.dtype.kind == "c" and dtype.category in (_dt._INT, _dt._FLOAT):
        from .conversion import _warn_discard_imag

        _warn_discard_imag()
        arr = arr.real
    if dtype is _dt.float16 and arr.dtype == np.float64:
        arr = quiet(arr.astype, np.float32)
    return quiet(arr.astype, dtype.np)


def _to_host_array(data: Any, dtype: _dt.dtype | None) -> np.ndarray:
    given = dtype
    if _isinstance(data, Tensor):
        arr = data._host()
        return _host_cast(arr, dtype) if dtype is not None and arr.dtype != dtype.np else arr
    if _isinstance(data, np.ndarray):
        if dtype is None or data.dtype.kind == "O":
            _dt.from_numpy_dtype(data.dtype)  # refuses dtypes Ember has no twin of
            return data
        # PyTorch converts with the strides a copy of the array keeps (NumPy's own "K"
        # order differs for broadcast and size-1 dims)
        return _mf.laid_like(np, _host_cast(data, dtype), data)
    flat = _flat_dtype(data)
    if flat is not None:  # Python numbers only: no tensors among them
        if dtype is None:
            dtype = flat
    elif _isinstance(leaf := _first_leaf(data), np.ndarray) and not leaf.ndim:
        # PyTorch sizes data by its first elements: a 0-d array there has no len()
        raise TypeError("len() of unsized object")
    elif _isinstance(data, (list, tuple)) and (any(_isinstance(x, Tensor) for x in data)
                                               or _isinstance(_first_leaf(data), Tensor)):
        target = dtype if dtype is not None else _infer_dtype(data)
        # the other parts convert to the list's dtype, as PyTorch's (a uint64 NumPy scalar
        # beside a float tensor is a float, not a refused uint64 on its own)
        parts = [_one_number(x, dtype, target) if _isinstance(x, Tensor) else
                 _to_host_array(x, target) for x in data]
        arr = np.stack(parts) if parts else np.zeros((0,))
        if dtype is None:
            d = parts[0].dtype
            for p in parts[1:]:
                d = _dt.promote_types(_dt.from_numpy_dtype(d), _dt.from_numpy_dtype(p.dtype)).np
            arr = arr.astype(d)
        return arr
    if dtype is None:
        dtype = _infer_dtype(data)
        if dtype is None:
            try:
                arr = np.asarray(data)
            except ValueError:  # ragged: PyTorch infers the dtype (every element) first
                err = _bad_data(data)
                if not _isinstance(err, TypeError) or "'str'" in str(err):
                    raise err from None
                _raise_ragged(data)
                empty = _empty_ragged(data, None)
                if empty is None:
                    raise
                return empty
            if arr.dtype == np.float64 and not _isinstance(data, np.generic):
                arr = quiet(arr.astype, _dt._default.np)
            elif arr.dtype.kind in "US" or arr.dtype == object:  # (bytes: "S")
                raise _bad_data(data)
            return arr
    if dtype is _dt.uint64 or flat is None and dtype.category == _dt._INT and (
            data.__class__ in _NOT_INDEX or _isinstance(data, (list, tuple)) and data
            and data[0].__class__ in _NOT_INDEX):  # (a NumPy bool or float first: a cheap look)
        _refuse_numpy_scalars(data, dtype)
    if dtype is _dt.bool and flat is None:  # NumPy takes "a" or an object as True
        _raise_bad_element(data, dtype)
    if given is not None and flat is None and _isinstance(data, (list, tuple)) and any(
            _isinstance(x, np.ndarray) for x in data):  # (inferring a dtype warns as it walks)
        _warn_list_of_arrays()
    try:  # out-of-range floats become inf silently, as in PyTorch
        if dtype is _dt.float16:  # Python floats are doubles: rounded to half through float
            arr = quiet(lambda: np.asarray(data, dtype=np.float32).astype(np.float16))
        else:
            arr = quiet(functools.partial(np.asarray, data, dtype=dtype.np))
        if arr.dtype.kind in "fc" and np.isnan(arr).any():  # NumPy reads None as nan
            _raise_bad_element(data, dtype)
        return arr
    except (ValueError, OverflowError) as e:
        if "inhomogeneous" in str(e) or "sequence" in str(e):
            _raise_ragged(data, dtype)
            empty = _empty_ragged(data, given)
            if empty is not None:
                return empty
            raise ValueError(f"expected sequence of equal-length lists: {e}") from None
        if "bounds" in str(e) or "too large" in str(e) or "cannot convert float" in str(e):
            return _overflowing(data, dtype)
        if "string" in str(e) or "invalid literal" in str(e):  # a str among the data
            raise _str_in_data(data, dtype) from None
        raise RuntimeError(str(e)) from None
    except TypeError as e:
        if str(e) == "expected number, got int":  # bfloat16 refuses ints past int64
            return _overflowing(data, dtype)
        if "not 'complex'" not in str(e):
            _raise_bad_element(data, dtype)  # None or another object among the numbers
            raise
        if dtype.is_floating_point:  # Python's own message, as PyTorch converts each number
            raise TypeError("must be real number, not complex") from None
        raise TypeError("'complex' object cannot be interpreted as an integer") from None


_tensor_module.sequence_to_array = _to_host_array  # Tensor(list) reads lists as tensor()


def _str_in_data(data: Any, dtype: _dt.dtype) -> Exception:
    """PyTorch's error for a str in data converted to ``dtype``: as the data itself or as the
    first element at each depth it is a shape error, elsewhere a number conversion's (or the
    error of a non-number met before it)."""
    _raise_bad_element(data, dtype)
    return _not_a_number("", dtype)


def _one_number(t: Tensor, dtype: _dt.dtype | None, target: _dt.dtype | None) -> np.ndarray:
    """A tensor inside a list is one number to PyTorch: one element, of any shape, read as
    an index where the result is integral (``target``: its dtype)."""
    if t._rg and not _tensor_module._warned_scalar[0]:
        _tensor_module._warn_scalar()
    if target is not None and target.category <= _dt._INT:
        if t.numel() != 1 or t.dtype.category > _dt._INT:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
    elif t.numel() != 1:
        raise ValueError("only one element tensors can be converted to Python scalars")
    return _to_host_array(t, dtype).reshape(())


def _overflowing(data: Any, dtype: _dt.dtype) -> np.ndarray:
    """Error path of ``tensor(data)``: PyTorch's errors for numbers that do not fit. Its one
    leniency: negative Python ints down to -max wrap into uint8/16/32 (two's complement);
    uint64 refuses every negative one. A float dtype takes any int a double holds."""
    stack = [data]
    ints = True
    real = dtype.is_floating_point or dtype.is_complex
    while stack:
        x = stack.pop()
        if _isinstance(x, (list, tuple)):
            stack.extend(reversed(x))  # (the first offending number is the one named)
        elif _isinstance(x, int) and real:
            float(x)  # Python's OverflowError past the double range
        elif _isinstance(x, int) and dtype.name == "uint64":  # unpacked as unsigned long long
            if not 0 <= x < 2**64:
                raise OverflowError("can't convert negative int to unsigned" if x < 0 else
                                    "int too big to convert")
        elif _isinstance(x, int):
            if not -2**63 <= x < 2**63:
                raise ValueError("Overflow when unpacking long long")
        else:
            ints = False
    if real:
        return _host_cast(np.asarray(data, dtype=np.complex128 if dtype.is_complex else
                                     np.float64), dtype)
    if ints and dtype.name in ("uint8", "uint16", "uint32"):
        arr = np.asarray(data, dtype=np.int64)
        hi = (1 << 8 * dtype.itemsize) - 1
        if arr.size and -hi <= arr.min() and arr.max() <= hi:
            return arr.astype(dtype.np)
    if ints and dtype.name == "uint64" and np.asarray(data, dtype=object).min() < 0:
        raise OverflowError("can't convert negative int to unsigned")
    raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def _is_seq(x: Any) -> bool:
    return _isinstance(x, (list, tuple)) or _isinstance(x, np.ndarray) and x.ndim > 0


def _not_a_number(x: Any, dtype: Any) -> TypeError:
    """PyTorch's error for ``x`` stored as one element of a tensor of ``dtype``."""
    if dtype is not None and (dtype.is_floating_point or dtype.is_complex):
        return TypeError(f"must be real number, not {c_type_name(x)}")
    return TypeError(f"'{c_type_name(x)}' object cannot be interpreted as an integer")


def _first_shape(data: Any) -> list[int]:
    """The sizes PyTorch reads off the first element at each depth (up to an empty one)."""
    shape = []
    x = data
    while _is_seq(x):
        shape.append(len(x))
        if not len(x):
            break
        x = x[0]
    return shape


def _leaf_error(x: Any, dtype: Any) -> TypeError | None:
    """PyTorch's error for the number ``x`` stored into ``dtype`` (None when it converts):
    integer and bool dtypes take only what Python reads as an int (a NumPy float32 or bool
    is refused), float dtypes refuse a Python complex."""
    if dtype is None or dtype.is_complex:
        return None
    if dtype.is_floating_point:
        return _not_a_number(x, dtype) if _isinstance(x, builtin_complex) else None
    if _isinstance(x, (int, float, np.integer, Tensor)) or dtype is _dt.bool and _isinstance(
            x, (builtin_complex, np.bool_)):  # bool reads a complex as nonzero
        return None
    return _not_a_number(x, dtype)


def _raise_ragged(data: Any, dtype: Any = None) -> None:
    """Error path of ``tensor(data)``: PyTorch takes the shape from the first element at each
    depth, then stores depth-first, naming the first sequence whose length differs or the
    first element that is not a number (None, a str, a list too deep, any other object) or
    does not convert to ``dtype``. A shape holding 0 stores nothing: no error."""
    shape = _first_shape(data)
    if 0 in shape:
        return
    number = (numbers.Number, np.generic, Tensor)

    def walk(x: Any, d: int) -> None:
        if d == len(shape):
            if not (_isinstance(x, number) or _isinstance(x, np.ndarray) and not x.ndim):
                raise _not_a_number(x, dtype)
            err = _leaf_error(x, dtype)
            if err is not None:
                raise err
            return
        if not _is_seq(x):
            raise TypeError("not a sequence")
        if len(x) != shape[d]:
            raise ValueError(f"expected sequence of length {shape[d]} at dim {d} (got {len(x)})")
        for y in x:
            walk(y, d + 1)

    walk(data, 0)


def _empty_ragged(data: Any, dtype: Any) -> np.ndarray | None:
    """Ragged data whose first elements give a shape holding 0: PyTorch stores nothing, so
    ``[[], [1]]`` is a (2, 0) tensor; its dtype counts each empty sequence as the default
    float. None for other data."""
    shape = _first_shape(data)
    if 0 not in shape:
        return None
    if dtype is None:
        dtype = _infer_dtype(data) or _dt._default
        stack = [data]
        while stack:
            x = stack.pop()
            if _is_seq(x):
                if not len(x):
                    dtype = _dt.promote_types(dtype, _dt._default)
                    break
                stack.extend(x)
    return np.zeros(shape, dtype.np)


def _place(arr: np.ndarray, device: Any) -> tuple[Any, Any]:
    dev = canonical_device(device)
    if dev is CPU:
        return arr, dev
    return dev._backend.asarray(arr, index=dev.index), dev


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors)."""
    if _isinstance(data, Tensor):
        _warn_copy_construct("ember.tensor(sourceTensor)")
    if dtype is not None and dtype.__class__ is not _dt.dtype:
        _dtype_arg_checked(dtype, "tensor")
    return _tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def _dtype_arg_checked(dtype: Any, op: str) -> None:
    """PyTorch's parser takes a dtype or a Python number type for ``dtype=``; a name
    ("float32") or a NumPy dtype is a TypeError there."""
    if dtype not in (float, int, bool, builtin_complex):
        raise TypeError(f"{op}(): argument 'dtype' must be ember.dtype, not "
                        f"{_py_type_name(dtype)}")


def _warn_copy_construct(call: str) -> None:
    """PyTorch's hint, at the caller's line, when a tensor is copy-constructed from a tensor."""
    import warnings

    warnings.warn("To copy construct from a tensor, it is recommended to use "
                  "sourceTensor.detach().clone() or "
                  f"sourceTensor.detach().clone().requires_grad_(True), rather than {call}.",
                  UserWarning, stacklevel=3)


def _tensor(data: Any, *, dtype: Any = None, device: Any = None,
            requires_grad: bool = False) -> Tensor:
    dt = _dt.to_dtype(dtype) if dtype is not None else None
    if data.__class__ is np.ndarray:
        _refuse_negative_strides(data)
    arr = _to_host_array(data, dt)
    if _isinstance(data, (np.ndarray, Tensor)) or arr is data:
        arr = _dense_copy(arr)
    if device is None and _isinstance(data, Tensor) and _user_default() is None:
        device = data._device
    data_arr, dev = _place(arr, device)
    t = make(data_arr, dev)
    if requires_grad:
        t._new_requires_grad()
    return t


def _dense_copy(arr: np.ndarray) -> np.ndarray:
    """A copy of ``arr`` laid out as PyTorch's copy of it: a dense layout's exact strides
    kept, any other made dense in its dim order (a broadcast one in C order)."""
    return _mf.laid_out(np, arr, _mf.layout_of(preserve_format, arr.shape,
                                               _mf.elem_strides(arr)))


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory where it already is one (or a NumPy array)."""
    dt = _dt.to_dtype(dtype) if dtype is not None else None
    if data.__class__ is np.ndarray:
        _refuse_negative_strides(data)
    if _isinstance(data, Tensor):
        t = data
        if dt is not None and t.dtype is not dt:
            t = t.to(dt)
        if device is None:  # the default device, when ember.set_default_device chose one
            device = _user_default()
        if device is not None and canonical_device(device) is not t._device:
            t = t.to(device)
        return t
    if _isinstance(data, np.ndarray) and (dt is None or data.dtype == dt.np) and \
            canonical_device(device) is CPU:
        _dt.from_numpy_dtype(data.dtype)
        _warn_if_readonly(data)
        return make(_own_storage(data), CPU)
    arr, dev = _place(_to_host_array(data, dt), device)
    return make(arr, dev)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool = False) -> Tensor:
    if copy is False:
        _check_alias(obj, dtype)
    t = _tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype, device)
    if requires_grad:
        t._new_requires_grad()
    return t


def _check_alias(obj: Any, dtype: Any) -> None:
    """``asarray(copy=False)``: PyTorch refuses what it cannot share without a copy."""
    if _isinstance(obj, Tensor):
        have = obj.dtype
    elif _isinstance(obj, np.ndarray):
        have = _dt.from_numpy_dtype(obj.dtype)
    else:
        if _isinstance(obj, (list, tuple, numbers.Number)):
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        return
    if dtype is not None and _dt.to_dtype(dtype) is not have:
        raise ValueError(f"can't alias tensor with dtype '{_dt._c10_name(have)}' into dtype "
                         f"'{_dt._c10_name(_dt.to_dtype(dtype))}'.")


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with a NumPy array."""
    if not _isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {_py_type_name(ndarray)})")
    if _by_np(ndarray.dtype) is None:
        _dt.from_numpy_dtype(ndarray.dtype)  # refuses dtypes Ember has no twin of
    if any(s < 0 for s in ndarray.strides):
        raise ValueError(_NEGATIVE_STRIDES)
    _warn_if_readonly(ndarray)
    return make(_own_storage(ndarray), CPU)


def _own_storage(arr: np.ndarray) -> np.ndarray:
    """``arr``'s memory seen from a block that starts at its first element and ends at its
    last, as PyTorch's storage of a tensor made from a NumPy view (storage_offset 0)."""
    if arr.base is None or not arr.size:
        return arr
    span = 1 + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides)) // arr.itemsize
    try:
        block = np.lib.stride_tricks.as_strided(arr, (span,), (arr.itemsize,),
                                                writeable=arr.flags.writeable)
        return np.ndarray(arr.shape, arr.dtype, buffer=block, strides=arr.strides)
    except ValueError:  # a negative stride (only then): PyTorch's words for it
        if any(s < 0 for s in arr.strides):
            raise ValueError(_NEGATIVE_STRIDES) from None
        raise


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor sharing memory with any object that speaks DLPack, or with the tensor a
    (legacy) DLPack capsule describes."""
    if _isinstance(ext_tensor, Tensor):
        return ext_tensor
    if type(ext_tensor).__name__ == "PyCapsule":
        ext_tensor = _Capsule(ext_tensor)
    dev_type, dev_id = ext_tensor.__dlpack_device__() if hasattr(
        ext_tensor, "__dlpack_device__") else (1, 0)
    if int(dev_type) == 2:  # kDLCUDA
        dev = canonical_device(f"cuda:{dev_id}")
        return make(dev._backend.from_dlpack(ext_tensor), dev)
    return make(np.from_dlpack(ext_tensor), CPU)


def to_dlpack(tensor: Tensor) -> Any:
    """A DLPack capsule of ``tensor``'s memory, for a library that takes capsules (a
    versioned one where the array library makes them: its consumers may write to it)."""
    try:
        return tensor._data.__dlpack__(max_version=(1, 0))
    except TypeError:  # an array library without versioned capsules
        return tensor._data.__dlpack__()


class _Capsule:
    """A capsule given the ``__dlpack__`` protocol (NumPy takes objects, not capsules); it
    describes host memory, the only kind a capsule can hand to NumPy. NumPy makes an
    unversioned capsule's array read-only: such capsules carry no flag saying otherwise."""

    __slots__ = ("capsule",)

    def __init__(self, capsule: Any) -> None:
        self.capsule = capsule

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self.capsule

    def __dlpack_device__(self) -> tuple[int, int]:
        return (1, 0)


def _size(size: tuple, op: str = "") -> tuple[int, ...]:
    """A factory's sizes as a tuple of ints (``op``: the factory, named by a parser error)."""
    raw = size
    if len(size) == 1 and _isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if _isinstance(s, Tensor):
            if op and (s._data.size != 1 or s._data.dtype.kind not in "iu"):
                from .shape import _size_error  # PyTorch takes only an integer one-element one
                raise _size_error(raw, size, op, "size")
            s = int(s.item())
        elif not _isinstance(s, int):
            if hasattr(s, "__index__"):
                s = s.__index__()
            elif op:
                from .shape import _size_error
                raise _size_error(raw, size, op, "size")
            else:
                raise TypeError(
                    f"expected a sequence of integers or a single integer, got '{s!r}'")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(s)
    return tuple(out)


def size_arg(op: str, shape: tuple, size: Any) -> tuple:
    """A factory's ``*size`` or ``size=`` (exactly one of them), as PyTorch's parser takes it."""
    if size is not None:
        if shape:
            raise TypeError(f"{op}() got multiple values for argument 'size'")
        return (size,)
    if not shape:
        raise TypeError(f'{op}() missing 1 required positional arguments: "size"')
    return shape


def _filled(fill: Any, size: tuple, dtype: Any, device: Any, requires_grad: bool,
            default: _dt.dtype | None = None, layout: tuple | None = None, op: str = "") -> Tensor:
    dt = _dt.to_dtype(dtype) if dtype is not None else (default or _dt._default)
    dev = canonical_device(device)
    xp = dev._backend.xp
    shape = _size(size, op)
    native = dt.np if dev is CPU else dev._backend.native_dtype(dt)
    if layout is not None:  # a memory format other than C order (see ember._memory_format)
        arr = _mf.empty(xp, shape, native, layout)
        arr[...] = fill_value_for(fill, dt, math.prod(shape) == 1)
    elif fill == 0:
        arr = xp.zeros(shape, dtype=native)
    elif fill == 1:
        arr = xp.ones(shape, dtype=native)
    else:
        arr = quiet(xp.full, shape, fill_value_for(fill, dt, math.prod(shape) == 1), native)
    t = make(arr, dev)
    if requires_grad:
        t._new_requires_grad()
    return t


# C++ names PyTorch's conversion errors give ("value cannot be converted to type ...")
_C_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
            "int64": "int64_t", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "float32": "float", "float64": "double", "bool": "bool",
            "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def fill_value_for(fill: Any, dt: _dt.dtype, lenient_half: bool = False) -> Any:
    """A Python number as PyTorch converts it to ``dt``: negative integers wrap into unsigned
    types, and a value out of range (or with an imaginary part for a real type) is refused;
    with ``lenient_half``, float16/bfloat16 take a real number through double and round it to
    inf, as PyTorch's fill of a one-element tensor and its setitem do (its other fills refuse
    it)."""
    cls = fill.__class__
    cat = dt.category
    if cls is int and not -(1 << 63) <= fill < 1 << 64:  # PyTorch unpacks int64 or uint64
        raise OverflowError("can't convert negative int to unsigned" if fill < 0 else
                            "int too big to convert")
    if cat == _dt._BOOL or cat == _dt._COMPLEX or cls is bool:
        return fill
    if dt is _dt.float16 and cls is float and abs(fill) < 3e38:
        fill = float(np.float32(fill))  # PyTorch rounds a double to half through float
    if lenient_half and dt.name in ("float16", "bfloat16") and (cls is int or cls is float):
        return fill
    if cls is builtin_complex:
        if fill.imag != 0:
            raise _overflow(dt)
        fill, cls = fill.real, float
    elif cls is not int and cls is not float:
        return fill
    lo, hi = _bounds(dt.name)
    if lo <= fill <= hi or (cls is float and cat == _dt._INT and lo <= fill < hi + 1):
        return fill  # a float truncates toward zero: 255.7 fits uint8
    if cls is int and cat == _dt._INT and not dt.is_signed and -hi <= fill < 0:
        return fill & hi  # PyTorch wraps a negative integer into an unsigned type
    if cls is float and cat == _dt._FLOAT and not math.isfinite(fill):
        return fill
    raise _overflow(dt)


def _overflow(dt: _dt.dtype) -> RuntimeError:
    return RuntimeError(
        f"value cannot be converted to type {_C_NAMES.get(dt.name, dt.name)} without overflow")


@functools.cache
def _bounds(name: str) -> tuple:
    if name == "bfloat16":
        return -3.3895313892515355e38, 3.3895313892515355e38
    if name.startswith("float8"):  # NumPy's finfo does not know ml_dtypes' types
        info = _dt.finfo(_dt.to_dtype(name))
        return info.min, info.max
    d = _dt.to_dtype(name).np
    info = np.iinfo(d) if d.kind in "iu" else np.finfo(d)
    return (int(info.min), int(info.max)) if d.kind in "iu" else (float(info.min),
                                                                   float(info.max))


@writes_out("zeros", warn=False)  # PyTorch resizes its out= silently
def zeros(*shape: Any, size: Any = None, out: Tensor | None = None, dtype: Any = None, layout: Any = None,
          device: Any = None, requires_grad: bool = False, pin_memory: bool = False,
          memory_format: Any = None) -> Tensor:
    return _filled(0, size_arg("zeros", shape, size), dtype, device, requires_grad, op="zeros")


@writes_out("ones", warn=False)
def ones(*shape: Any, size: Any = None, out: Tensor | None = None, dtype: Any = None, layout: Any = None,
         device: Any = None, requires_grad: bool = False, pin_memory: bool = False,
         memory_format: Any = None) -> Tensor:
    return _filled(1, size_arg("ones", shape, size), dtype, device, requires_grad, op="ones")


@writes_out("empty", warn=False)
def empty(*shape: Any, size: Any = None, out: Tensor | None = None, dtype: Any = None, layout: Any = None,
          device: Any = None, requires_grad: bool = False, pin_memory: bool = False,
          memory_format: Any = None) -> Tensor:
    size = size_arg("empty", shape, size)
    layout = None
    if memory_format is not None:
        if memory_format is preserve_format:
            raise RuntimeError("unsupported memory format Preserve")
        shape = _size(size, "empty")
        _mf.check_format(memory_format, len(shape))
        layout = _mf.layout_of(memory_format, shape, None)
    return _filled(0, size, dtype, device, requires_grad, None, layout, "empty")


def empty_strided(size: Any, stride: Any, *, dtype: Any = None, layout: Any = None,
                  device: Any = None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialised (here zeroed) tensor whose ``.stride()`` is ``stride``, over a fresh
    buffer just large enough for it, as ``torch.empty_strided``."""
    size, stride = _size((size,)), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality "
                           f"of strides ({len(stride)})")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    need = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride))
    buf = _filled(0, ((need,),), dtype, device, False)
    if not buf._device._backend.numpy_like:  # no strided views there: a dense tensor
        t = _filled(0, (size,), dtype, device, False)
    else:
        from .shape_views import strided
        t = make(strided(buf, size, stride, 0), buf._device)
    if requires_grad:
        t._new_requires_grad()
    return t


def _fill_dtype(fill_value: Any) -> _dt.dtype:
    if _isinstance(fill_value, bool):
        return _dt.bool
    if _isinstance(fill_value, int):
        return _dt.int64
    if _isinstance(fill_value, builtin_complex):
        return _dt.default_complex()
    if _isinstance(fill_value, Tensor):
        return fill_value.dtype
    return _dt._default


def _py_type_name(x: Any) -> str:
    """The type name PyTorch's argument parser prints (``numpy.int64``, ``Tensor``)."""
    cls = type(x)
    if _isinstance(x, Tensor):
        return "Tensor"
    return cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"


@writes_out("full", warn=False)
def full(size: Any, fill_value: Any, *, out: Tensor | None = None, dtype: Any = None,
         layout: Any = None, device: Any = None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    if not _isinstance(size, (tuple, list)):  # PyTorch's parser takes no bare number here
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{_py_type_name(size)}")
    if _isinstance(fill_value, np.bool_):  # a number to PyTorch's argument parser
        fill_value = float(fill_value)
    elif _isinstance(fill_value, (Tensor, np.generic)) and not fill_value.ndim:
        fill_value = fill_value.item()  # NumPy's scalars and 0-d tensors as Python's
    elif not _isinstance(fill_value, numbers.Number):  # None, a 1-element tensor
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not "
                        f"{_py_type_name(fill_value)}")
    return _filled(fill_value, (size,), dtype, device, requires_grad, _fill_dtype(fill_value),
                   op="full")


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    return _filled(s, ((),), dtype, device, requires_grad)


def like_input(op: str, input: Any) -> None:
    """PyTorch's TypeError for a ``*_like`` given something other than a tensor."""
    if not _isinstance(input, Tensor):
        from .pointwise_unary import not_tensor

        raise not_tensor(op, input)


def _like(input: Tensor, fill: Any, dtype: Any, device: Any, requires_grad: bool,
          memory_format: Any = preserve_format, op: str = "empty_like") -> Tensor:
    like_input(op, input)
    dt = dtype if dtype is not None else input.dtype
    dev = device if device is not None else input._device
    x = input._data
    flags = getattr(x, "flags", None)
    # NumPy calls an array with size-1 dims C-contiguous whatever their strides; PyTorch
    # copies a dense input's strides exactly, so those go through like_layout
    layout = (None if memory_format is preserve_format and (
        flags is None or flags.c_contiguous and 1 not in x.shape)
        else like_layout(input, memory_format))
    return _filled(fill, ((x.shape),), dt, dev, requires_grad, None, layout)


def like_layout(input: Tensor, memory_format: Any) -> tuple | None:
    """The layout of a ``*_like`` result: ``input``'s own for ``preserve_format`` (PyTorch's
    default), else the one asked for; None means C order."""
    x = input._data
    if memory_format is preserve_format or memory_format is None:
        flags = getattr(x, "flags", None)
        if flags is None or flags.c_contiguous and 1 not in x.shape:
            return None
        return _mf.layout_of(preserve_format, x.shape, input.stride())
    _mf.check_format(memory_format, x.ndim)
    return _mf.layout_of(memory_format, x.shape, None)


def zeros_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = preserve_format) -> Tensor:
    return _like(input, 0, dtype, device, requires_grad, memory_format, "zeros_like")


def ones_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = preserve_format) -> Tensor:
    return _like(input, 1, dtype, device, requires_grad, memory_format, "ones_like")


def empty_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = preserve_format) -> Tensor:
    return _like(input, 0, dtype, device, requires_grad, memory_format, "empty_like")


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, layout: Any = None,
              device: Any = None, requires_grad: bool = False,
              memory_format: Any = preserve_format) -> Tensor:
    if _isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _like(input, fill_value, dtype, device, requires_grad, memory_format, "full_like")


def _arange_out(fn: Any) -> Any:
    """arange's ``out=``: PyTorch warns in its own words when the element count differs."""
    @functools.wraps(fn)
    def with_out(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
        if out is not None and out.dtype.category in (_dt._BOOL, _dt._COMPLEX):
            raise NotImplementedError(
                f"\"arange_cpu\" not implemented for '{_np_type_name(out._data.dtype)}'")
        res = fn(*args, **kwargs)
        if out is None:
            return res
        n, m = out._data.size, res._data.size
        if n and n != m:
            import warnings

            warnings.warn(
                f"The number of elements in the out tensor of shape {list(out.shape)} is {n} "
                f"which does not match the computed number of elements {m}. Note that this may "
                "occur as a result of rounding error. The out tensor will be resized to a tensor "
                f"of shape ({m},).", UserWarning, stacklevel=2)
        if n == m and out._data.shape != res._data.shape:  # the same count: out keeps its shape
            res = make(res._data.reshape(out._data.shape), res._device)
        return write_out(res, out, "arange", warn=False)

    return with_out


def _no_steps_error(op: str, args: tuple, kwargs: dict, out: Any) -> TypeError:
    """PyTorch's parser error for a linspace/logspace call without ``steps`` (no default
    since PyTorch 1.11; old code calling ``linspace(0, 1)`` meets it) or with too many."""
    if out is not None:
        kwargs = {**kwargs, "out": out}
    got = ", ".join([_py_type_name(v) for v in args]
                    + [f"{k}={_py_type_name(v)}" for k, v in kwargs.items()])
    base = "float base = 10.0, " if op == "logspace" else ""
    tail = (f"int steps, {base}*, Tensor out = None, ember.dtype dtype = None, ember.layout "
            "layout = None, ember.device device = None, bool pin_memory = False, "
            "bool requires_grad = False)")
    sigs = "".join(f" * ({a} start, {b} end, {tail}\n" for a, b in
                   (("Tensor", "Tensor"), ("Number", "Tensor"), ("Tensor", "Number"),
                    ("Number", "Number")))
    return TypeError(f"{op}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{sigs}")


def _shaped_out(op: str) -> Any:
    """The ``out=`` of a 1-D factory (linspace, logspace, range): written in place keeping its
    shape when it has the result's element count, else resized silently, as PyTorch's."""
    def wrap(fn: Any) -> Any:
        @functools.wraps(fn)
        def with_out(*args: Any, out: Tensor | None = None, **kwargs: Any) -> Any:
            if out is not None and op == "range" and kwargs.get("dtype") is None:
                kwargs["dtype"] = out.dtype  # computed in the out's dtype
            try:
                res = fn(*args, **kwargs)
            except TypeError:
                if op != "range" and (len(args) < 3 and "steps" not in kwargs
                                      or len(args) > (4 if op == "logspace" else 3)):
                    raise _no_steps_error(op, args, kwargs, out) from None
                raise
            if out is not None and (out.dtype is _dt.bool or op == "range" and
                                    out.dtype.category == _dt._COMPLEX):
                raise NotImplementedError(
                    f"\"{op}_cpu\" not implemented for '{_np_type_name(out._data.dtype)}'")
            if out is None:
                return res
            if out._data.size == res._data.size and out._data.shape != res._data.shape:
                res = make(res._data.reshape(out._data.shape), res._device)
            return write_out(res, out, op, warn=False)

        return with_out

    return wrap


def _arange_item(v: Any, start: Any, end: Any, step: Any) -> Any:
    """A bound given as a NumPy scalar or tensor, as a number: PyTorch's parser takes only a
    0-d tensor as a Number."""
    if _isinstance(v, Tensor) and v._data.ndim:
        raise _arange_error(v, start, end, step)
    return v.item()


def _arange_error(bad: Any, start: Any, end: Any, step: Any) -> TypeError:
    """The parser's refusal of a bound that is no Number; ``arange(end)`` (read here as a 0
    start and a step of 1) names the argument, other calls list the overloads."""
    from .pointwise_unary import bad_arg
    if bad is end and start.__class__ is int and start == 0 and step.__class__ is int \
            and step == 1:
        return bad_arg("arange", "end", end, "Number", 1)
    given = (start, end) if step.__class__ is int and step == 1 else (start, end, step)
    got = ", ".join(type(v).__name__ for v in given)
    rest = ("torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
            "bool pin_memory = False, bool requires_grad = False)")
    return TypeError(f"arange() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n * (Number end, *, Tensor out = None, {rest}\n"
                     f" * (Number start, Number end, *, {rest}\n"
                     f" * (Number start, Number end, Number step = 1, *, Tensor out = None, "
                     f"{rest}\n")


def _check_range(start: Any, end: Any, step: Any) -> None:
    """PyTorch's argument checks for arange/range, with its messages."""
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start:g} -> {end:g}")
    if (end - start) / step < 0 and end != start:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")


@_arange_out
def arange(start: Any, end: Any = None, step: Any = 1, *, out: Tensor | None = None,
           dtype: Any = None, layout: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` up to (not including) ``end``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    vals = [_arange_item(v, start, end, step) if _isinstance(v, (Tensor, np.generic)) else v
            for v in (start, end, step)]
    start, end, step = vals
    if dtype is None:
        dt = _dt.int64 if all(_isinstance(v, int) for v in vals) else _dt._default
    else:
        dt = _dt.to_dtype(dtype)
    if dt.category == _dt._COMPLEX or dt is _dt.bool or dt in _dt._SHELL_UINTS:  # no kernel
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{_dt._c10_name(dt)}'")
    if builtin_complex in map(type, vals):  # PyTorch reads the bounds as doubles
        raise RuntimeError("value cannot be converted to type double without overflow")
    try:
        _check_range(start, end, step)  # inside the kernel: after the dtype's refusal
    except TypeError:  # a string bound: PyTorch's parser refuses it first
        bad = [v for v in vals if not _isinstance(v, (int, float))]
        if not bad:
            raise
        raise _arange_error(bad[0], *vals) from None
    n = max(0, math.ceil((end - start) / step))
    # PyTorch computes in double then casts; for ints, exact integer arithmetic
    if dt.category == _dt._INT and all(_isinstance(v, int) for v in vals):
        try:
            arr = np.arange(start, start + n * step, step, dtype=dt.np)[:n]
        except OverflowError:  # a bound outside the type: PyTorch's values wrap around
            arr = (start + np.arange(n, dtype=np.int64) * step).astype(dt.np)
    elif dt.category == _dt._INT:  # PyTorch steps in the integer type: start and step truncated
        arr = (int(start) + np.arange(n, dtype=np.int64) * int(step)).astype(dt.np)
    else:
        arr = float_arange(start, step, n, dt.np, get_num_threads())
    data, dev = _place(arr, device)
    t = make(data, dev)
    if requires_grad:
        t._new_requires_grad()
    return t


@_shaped_out("range")
def range(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None,  # noqa: A001
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Deprecated in PyTorch: like arange but including ``end``; default float dtype."""
    import warnings

    warnings.warn("torch.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning, stacklevel=3)
    if end is None:  # range has no one-argument form
        raise TypeError('range() missing 1 required positional arguments: "end"')
    dt = _dt.to_dtype(dtype) if dtype is not None else _dt._default
    if dt.category == _dt._COMPLEX or dt is _dt.bool or dt in _dt._SHELL_UINTS:  # no kernel
        raise NotImplementedError(f"\"range_cpu\" not implemented for '{_dt._c10_name(dt)}'")
    _check_range(start, end, step)
    n = int(math.floor((end - start) / step)) + 1
    if dt.category == _dt._FLOAT:
        arr = float_range(start, step, n, dt.np)
    else:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    data, dev = _place(arr, device if device is not None else "cpu")  # as PyTorch's
    return _made(make(data, dev), requires_grad)


def _halves(start: Any, end: Any, steps: int) -> np.ndarray:
    """PyTorch fills the first half forward from start and the second half back from end,
    in plain double arithmetic."""
    step = (end - start) / (steps - 1)
    idx = np.arange(steps, dtype=np.float64)
    return np.where(idx < steps // 2, start + step * idx, end - step * (steps - 1 - idx))


def _refuse_complex_ends(op: str, dt: _dt.dtype, start: Any, end: Any) -> None:
    """PyTorch's refusal of complex ends with a real ``dtype=`` (linspace, logspace)."""
    if dt.category != _dt._COMPLEX and (_isinstance(start, builtin_complex) or
                                        _isinstance(end, builtin_complex)):
        inferred = "double" if _dt.default_complex() is _dt.complex128 else "float"
        raise RuntimeError(f"torch.{op}(): inferred dtype c10::complex<{inferred}> can't be "
                           f"safely cast to passed dtype {_dt._c10_name(dt)}")


def _int_ends(dt: _dt.dtype, start: Any, end: Any) -> tuple:
    """PyTorch converts real ends to an integer output dtype first (truncating)."""
    if dt.category == _dt._INT and not _isinstance(start, builtin_complex) and \
            not _isinstance(end, builtin_complex):
        # Scalar.to<int type>: refused out of range, a negative int wrapped into unsigned
        return int(fill_value_for(start, dt)), int(fill_value_for(end, dt))
    return start, end


@_shaped_out("linspace")
def linspace(start: Any, end: Any, steps: int, *, out: Tensor | None = None, dtype: Any = None,
             layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` values evenly spaced from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    start = start.item() if _isinstance(start, Tensor) else start
    end = end.item() if _isinstance(end, Tensor) else end
    dt = _dt.to_dtype(dtype) if dtype is not None else (
        _dt.default_complex() if _isinstance(start, builtin_complex) or
        _isinstance(end, builtin_complex) else _dt._default)
    if dtype is not None:
        _refuse_complex_ends("linspace", dt, start, end)
    if dt is _dt.bool and steps > 1:  # steps 0 and 1 only fill; the kernel has no bool
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    start, end = _int_ends(dt, start, end)
    if steps == 1:
        arr = np.asarray([start], dtype=np.float64 if dt.category < 3 else np.complex128)
    elif dt.category == _dt._FLOAT:
        # PyTorch's CPU kernel: the step in the output precision, then one rounding of
        # start + step*i (first half) or end - step*(steps-1-i) (second half), as a fused
        # multiply-add gives; a wider type holds the product exactly before that rounding
        f = dt.np.type
        s, e = f(start), f(end)
        idx = np.arange(steps)
        if dt is _dt.bfloat16:  # every operation rounded to bfloat16, the counts too
            step = (e - s) / f(steps - 1)
            arr = np.where(idx < steps // 2, s + step * idx.astype(dt.np),
                           e - step * (steps - 1 - idx).astype(dt.np))
        elif dt.itemsize == 2:  # half: plain arithmetic in half precision
            step = (e - s) / f(steps - 1)
            i = idx.astype(dt.np)
            arr = np.where(idx < steps // 2, s + step * i, e - step * (f(steps - 1) - i))
        else:
            wide = np.float64 if dt.itemsize < 8 else np.longdouble
            step = wide((e - s) / f(steps - 1))
            arr = np.where(idx < steps // 2, wide(s) + step * idx,
                           wide(e) - step * (steps - 1 - idx))
    else:
        arr = _halves(start, end, steps)
    if dt.category == _dt._INT:
        arr = np.trunc(arr) if np.isrealobj(arr) else arr
    data, dev = _place(arr.astype(dt.np), device)
    t = make(data, dev)
    if requires_grad:
        t._new_requires_grad()
    return t


@_shaped_out("logspace")
def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, out: Tensor | None = None,
             dtype: Any = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``; complex ends give a complex result."""
    start = start.item() if _isinstance(start, Tensor) else start
    end = end.item() if _isinstance(end, Tensor) else end
    cplx = _isinstance(start, builtin_complex) or _isinstance(end, builtin_complex)
    if dtype is not None:
        dt = _dt.to_dtype(dtype)
        _refuse_complex_ends("logspace", dt, start, end)
    else:
        dt = _dt.default_complex() if cplx else _dt._default
    if dt is _dt.bool and steps > 1:  # steps 0 and 1 only fill; the kernel has no bool
        raise NotImplementedError("\"logspace_cpu\" not implemented for 'Bool'")
    if dt.category == _dt._INT and steps > 1:  # the ends in the integer type first
        start, end = _int_ends(dt, start, end)
        lin = _halves(start, end, steps)
    elif dt.category == _dt._INT and steps in (0, 1):  # base ** start in double, truncated
        lin = np.asarray([start], dtype=np.float64)[:steps]
    else:
        lin = linspace(start, end, steps, dtype=_dt.complex128 if dt.category == _dt._COMPLEX
                       else _dt.float64)._data
    arr = np.power(base, lin).astype(dt.np)
    data, dev = _place(arr, device)
    return _made(make(data, dev), requires_grad)


@writes_out("eye", warn=False)
def eye(n: int, m: int | None = None, *, out: Tensor | None = None, dtype: Any = None,
        layout: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The ``n x m`` identity matrix."""
    if n < 0 or (m is not None and m < 0):
        raise RuntimeError(f"eye: n must be greater or equal to 0, got {n if n < 0 else m}")
    dt = _dt.to_dtype(dtype) if dtype is not None else _dt._default
    dev = canonical_device(device)
    try:
        arr = dev._backend.xp.eye(n, n if m is None else m, dtype=dev._backend.native_dtype(dt))
    except TypeError:  # a float n or m: PyTorch's argument parser's words
        raise _eye_error(n, m) from None
    return _made(make(arr, dev), requires_grad)


def _eye_error(n: Any, m: Any) -> TypeError:
    from .pointwise_unary import _arg_type_name, bad_arg
    if m is None or not hasattr(n, "__index__"):
        return bad_arg("eye", "n", n, "int", 1)
    rest = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
            "torch.device device = None, bool pin_memory = False, bool requires_grad = False)")
    return TypeError("eye() received an invalid combination of arguments - got "
                     f"({_arg_type_name(n)}, {_arg_type_name(m)}), but expected one of:\n"
                     f" * (int n, *, {rest}\n * (int n, int m, *, {rest}\n")


def _made(t: Tensor, requires_grad: bool) -> Tensor:
    """A factory's new tensor ``t``, requiring grad when asked (an integer one refuses)."""
    return t._new_requires_grad() if requires_grad else t


def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    dt = _dt.to_dtype(dtype)
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    if view.readonly:
        _warn_once("readonly_buffer", "The given buffer is not writable, and PyTorch does not "
                   "support non-writable tensors. This means you can write to the underlying "
                   "(supposedly non-writable) buffer using the tensor. You may want to copy the "
                   "buffer to protect its data or make it writable before converting it to a "
                   "tensor. This type of warning will be suppressed for the rest of this "
                   "program.", 3)
    _check_buffer(view.nbytes, dt.itemsize, count, offset)
    return make(np.frombuffer(buffer, dtype=dt.np, count=count, offset=offset), CPU,
                requires_grad)


def _check_buffer(length: int, size: int, count: int, offset: int) -> None:
    """PyTorch's ValueErrors of ``frombuffer`` for a count or offset the buffer cannot hold."""
    if length <= 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({length} bytes) minus 1")
    if count < 0 and (length - offset) % size:
        raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} "
                         f"bytes) must be a multiple of element size ({size})")
    if count > 0 and count * size > length - offset:
        raise ValueError(f"requested buffer length ({count} * {size} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({length} bytes)")


def _complex_parts(op: str, names: tuple[str, str], a: Any, b: Any) -> None:
    """PyTorch's checks of ``complex``/``polar``: two Half, Float or Double tensors alike."""
    for pos, (x, name) in enumerate(zip((a, b), names), 1):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{type(x).__name__}")
    da, db = a.dtype, b.dtype
    if da not in (_dt.float16, _dt.float32, _dt.float64) or \
            db not in (_dt.float16, _dt.float32, _dt.float64):
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_type_name(da)} and {_type_name(db)}")
    if da is not db:
        raise RuntimeError(f"Expected object of scalar type {_type_name(da)} but got scalar type "
                           f"{_type_name(db)} for second argument")


def _type_name(d: _dt.dtype) -> str:
    from ._inplace import _type_name as name

    return name(d.name)


@writes_out("complex")
def complex(real: Tensor, imag: Tensor) -> Tensor:  # noqa: A001
    """``real + 1j * imag`` from two float tensors of the same dtype."""
    _complex_parts("complex", ("real", "imag"), real, imag)
    res = renamed(real + imag * 1j, "ComplexBackward0")
    d = res._data
    if d.__class__ is np.ndarray:  # the parts as given: ``imag * 1j`` loses a -0 and makes
        d.real[...], d.imag[...] = real._data, imag._data  # inf * 1j nan+infj
    return res


@writes_out("polar")
@autocast_op("polar")
def polar(abs: Tensor, angle: Tensor) -> Tensor:  # noqa: A002
    """``abs * (cos(angle) + 1j * sin(angle))``."""
    _complex_parts("polar", ("abs", "angle"), abs, angle)
    from ..autograd.grad_mode import no_grad
    from ._dispatch import grad_state

    with no_grad():
        res = complex(abs * angle.cos(), abs * angle.sin())
    if grad_state.enabled and (abs._rg or angle._rg):
        need = (abs._rg, angle._rg)

        def vjp(g: Tensor, r: Tensor) -> tuple:  # PyTorch's polar_backward
            gc = g.conj()
            return ((gc * r.sgn()).real if need[0] else None,
                    (gc * r * 1j).real if need[1] else None)

        # one node saving only the result, as PyTorch's: the inputs may change in place after
        record("PolarBackward0", res, (abs, angle), vjp, (res,))
    return res


def heaviside(input: Tensor, values: Tensor, *, out: Tensor | None = None) -> Tensor:
    """The Heaviside step function (defined with the other pointwise ops in math_misc)."""
    from .math_misc import heaviside as _heaviside

    return _heaviside(input, values, out=out)


# ------------------------------------------------------------------ Tensor.new_* methods
def _new_tensor(self: Tensor, data: Any, *, dtype: Any = None, device: Any = None,
                requires_grad: bool = False, **_: Any) -> Tensor:
    if _isinstance(data, Tensor):
        _warn_copy_construct("tensor.new_tensor(sourceTensor)")
    return _tensor(data, dtype=dtype or self.dtype, device=device or self._device,
                   requires_grad=requires_grad)


def _new_filled(fill: Any, name: str) -> Any:
    def new(self: Tensor, *size: Any, dtype: Any = None, device: Any = None,
            requires_grad: bool = False, **kw: Any) -> Tensor:
        if not size and "size" in kw:  # ``x.new_ones(size=(2, 3))``
            size = (kw["size"],)
        if not size:
            raise TypeError(f"{name}() missing 1 required positional arguments: \"size\"")
        return _filled(fill, size, dtype or self.dtype, device or self._device, requires_grad,
                       op=name)

    return new


def _new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False, **_: Any) -> Tensor:
    if isinstance(size, int):  # PyTorch takes only a sequence here, unlike new_ones(2)
        raise TypeError("new_full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return _filled(fill_value, (size,), dtype or self.dtype, device or self._device, requires_grad)


methods(new_tensor=_new_tensor, new_zeros=_new_filled(0, "new_zeros"),
        new_ones=_new_filled(1, "new_ones"), new_empty=_new_filled(0, "new_empty"), new_full=_new_full)
