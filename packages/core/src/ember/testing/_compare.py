"""``assert_close`` with ``torch.testing.assert_close``'s semantics for Ember's own values.

Inputs pair up recursively: mappings by key, sequences (not strings) by position; leaves are
Ember tensors, Python numbers or booleans, or None. A tensor pair checks shape, device,
dtype (unless ``check_dtype=False``, when both are promoted first), optionally strides, then
the values with per-dtype default tolerances; NaNs are equal only with ``equal_nan``. Failures
raise AssertionError with PyTorch's message layout (plus the item's path when nested); inputs
no pair type handles raise TypeError. A leaf pairing an Ember tensor with a PyTorch tensor, a
NumPy array or plain data goes to ``fallback`` (the oracle's lenient cross-library check).
Two NumPy arrays compare as tensors, as in PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

# (rtol, atol) by dtype, as PyTorch's defaults; integers and bools compare exactly
_TOLS = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
         "float64": (1e-7, 1e-7), "complex32": (1e-3, 1e-5), "complex64": (1.3e-6, 1e-5),
         "complex128": (1e-7, 1e-7)}


def _is_seq(x: Any) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, complex, np.number)) and not isinstance(x, bool)


def _is_bool(x: Any) -> bool:
    return isinstance(x, (bool, np.bool_))


def _path(path: tuple) -> str:
    return "".join(f"[{k!r}]" for k in path)


def _fail(message: str, path: tuple, msg: Any, exc: type = AssertionError) -> None:
    if path:
        message += f"\n\nThe failure occurred for item {_path(path)}"
    if msg is not None:
        message = msg(message) if callable(msg) else msg
    raise exc(message)


def compare(actual: Any, expected: Any, *, rtol: float | None, atol: float | None,
            equal_nan: bool, check_device: bool, check_dtype: bool, check_stride: bool,
            msg: str | Callable[[str], str] | None, fallback: Callable[[Any, Any], None],
            path: tuple = (), allow_subclasses: bool = True) -> None:
    """Compare ``actual`` with ``expected`` recursively (``fallback(a, e)`` for the leaves
    this module does not take)."""
    from .._tensor import Tensor

    if not path and (rtol is None) != (atol is None):
        _lone_tolerance(actual, expected, rtol)
    kw = {"rtol": rtol, "atol": atol, "equal_nan": equal_nan, "check_device": check_device,
          "check_dtype": check_dtype, "check_stride": check_stride, "msg": msg,
          "fallback": fallback, "allow_subclasses": allow_subclasses}
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        ka, ke = list(actual.keys()), list(expected.keys())
        if set(ka) != set(ke):
            missing = sorted(set(ke) - set(ka))  # PyTorch's own TypeError for mixed key types
            extra = sorted(set(ka) - set(ke))
            _fail(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: "
                  f"{missing}\nAdditional keys in the actual mapping: {extra}", path, msg)
        for k in ke:
            compare(actual[k], expected[k], path=path + (k,), **kw)
        return
    if _is_seq(actual) and _is_seq(expected) and not isinstance(actual, Tensor) and \
            not isinstance(expected, Tensor):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                  path, msg)
        for i, (a, e) in enumerate(zip(actual, expected)):
            compare(a, e, path=path + (i,), **kw)
        return
    if actual is None and expected is None:
        return
    if actual is None or expected is None:
        _fail(f"None mismatch: {actual} is not {expected}", path, msg)
    if isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
        from .. import as_tensor  # PyTorch compares two NumPy arrays as tensors

        actual, expected = as_tensor(actual), as_tensor(expected)
    if isinstance(actual, Tensor) and isinstance(expected, Tensor) and \
            (allow_subclasses or type(actual) is type(expected)):
        del kw["fallback"], kw["allow_subclasses"]
        _compare_tensors(actual, expected, path=path, **kw)
        return
    if _is_bool(actual) and _is_bool(expected):
        if bool(actual) != bool(expected):
            _fail(f"Booleans mismatch: {actual} is not {expected}", path, msg)
        return
    if _is_number(actual) and _is_number(expected):
        _compare_numbers(actual, expected, rtol, atol, equal_nan, check_dtype, path, msg)
        return
    both = isinstance(actual, Tensor) and isinstance(expected, Tensor)  # subclasses refused
    if (isinstance(actual, Tensor) or isinstance(expected, Tensor)) and not both:
        other = expected if isinstance(actual, Tensor) else actual
        if hasattr(other, "detach") or isinstance(other, np.ndarray) or _is_number(other) or \
                _is_seq(other):
            fallback(actual, expected)  # against PyTorch, NumPy or plain data
            return
    if not both and any(isinstance(x, np.ndarray) or hasattr(x, "detach") for x in (actual, expected)):
        fallback(actual, expected)
        return
    _fail(f"No comparison pair was able to handle inputs of type {type(actual)} and "
          f"{type(expected)}.", path, None, TypeError)


def _leaf_path(actual: Any, expected: Any, path: tuple = ()) -> tuple | None:
    """The path of the first leaf pair PyTorch checks tolerances for (neither side None),
    or None when there is none before a structural mismatch."""
    from .._tensor import Tensor

    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual.keys()) != set(expected.keys()):
            return None
        pairs = [(k, actual[k], expected[k]) for k in expected.keys()]
    elif _is_seq(actual) and _is_seq(expected) and not isinstance(actual, Tensor) and \
            not isinstance(expected, Tensor):
        if len(actual) != len(expected):
            return None
        pairs = [(i, a, e) for i, (a, e) in enumerate(zip(actual, expected))]
    else:  # only the pairs compared here (not the oracle's fallback) take tolerances
        both_tensors = isinstance(actual, Tensor) and isinstance(expected, Tensor)
        numbers = all(_is_number(v) or _is_bool(v) for v in (actual, expected))
        return path if both_tensors or numbers else None
    for k, a, e in pairs:
        found = _leaf_path(a, e, path + (k,))
        if found is not None:
            return found
    return None


def _lone_tolerance(actual: Any, expected: Any, rtol: Any) -> None:
    """PyTorch's ValueError for just one of rtol / atol, raised at the first leaf pair before
    anything is compared (``msg`` does not replace it)."""
    path = _leaf_path(actual, expected)
    if path is not None:
        _fail(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
              f"{'rtol' if rtol is None else 'atol'}.", path, None, ValueError)


def _number_tols(x: Any) -> tuple[float, float]:
    if isinstance(x, (int, np.integer)):
        return 0.0, 0.0
    if isinstance(x, (complex, np.complexfloating)):
        return _TOLS["complex128"]
    return _TOLS["float64"]


def _compare_numbers(a: Any, e: Any, rtol: Any, atol: Any, equal_nan: bool, check_dtype: bool,
                     path: tuple, msg: Any) -> None:
    a, e = (v.item() if isinstance(v, np.number) else v for v in (a, e))  # as PyTorch does
    if check_dtype and type(a) is not type(e):
        _fail(f"The (d)types do not match: {type(a)} != {type(e)}.", path, msg)
    ra, aa = _number_tols(a)
    re_, ae = _number_tols(e)
    rtol, atol = _tols(rtol, atol, max(ra, re_), max(aa, ae))
    _close_scalars(a, e, rtol, atol, equal_nan, path, msg)


def _tols(rtol: Any, atol: Any, r0: float, a0: float) -> tuple[float, float]:
    """The tolerances: both given, or both defaults (PyTorch refuses just one)."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    return (r0, a0) if rtol is None else (rtol, atol)


def _close_scalars(a: Any, e: Any, rtol: float, atol: float, equal_nan: bool, path: tuple,
                   msg: Any) -> None:
    """Two Python numbers (or 0-d tensors' items): PyTorch's ``Scalars are not close!``."""
    if a == e or (equal_nan and _isnan(a) and _isnan(e)):
        return
    diff = abs(a - e)
    if math.isfinite(diff) and diff <= atol + rtol * abs(e):
        return
    with np.errstate(all="ignore"):
        rel = diff / abs(e) if e != 0 else math.inf
    equality = rtol == 0 and atol == 0
    lines = [f"Scalars are not {'equal' if equality else 'close'}!", "",
             f"Expected {e} but got {a}.",
             f"Absolute difference: {diff}" + ("" if equality else f" (up to {atol} allowed)"),
             f"Relative difference: {rel}" + ("" if equality else f" (up to {rtol} allowed)")]
    _fail("\n".join(lines), path, msg)


def _isnan(x: Any) -> bool:
    return isinstance(x, (float, complex, np.inexact)) and bool(np.isnan(x))


def _attr_fail(name: str, a: Any, e: Any, path: tuple, msg: Any) -> None:
    _fail(f"The values for attribute '{name}' do not match: {a} != {e}.", path, msg)


def _compare_tensors(a: Any, e: Any, *, rtol: Any, atol: Any, equal_nan: bool,
                     check_device: bool, check_dtype: bool, check_stride: bool, msg: Any,
                     path: tuple) -> None:
    from .. import dtypes as _dt

    if a.shape != e.shape:
        _attr_fail("shape", a.shape, e.shape, path, msg)
    if check_device and a.device != e.device:
        _attr_fail("device", a.device, e.device, path, msg)
    if a.dtype != e.dtype:
        if check_dtype:
            _attr_fail("dtype", a.dtype, e.dtype, path, msg)
        common = _dt.promote_types(a.dtype, e.dtype)
        ra, aa = _TOLS.get(a.dtype.name, (0.0, 0.0))
        re_, ae = _TOLS.get(e.dtype.name, (0.0, 0.0))
        a, e = a.to(common), e.to(common)
    else:
        ra, aa = re_, ae = _TOLS.get(a.dtype.name, (0.0, 0.0))
    if check_stride and a.stride() != e.stride():
        _attr_fail("stride()", a.stride(), e.stride(), path, msg)
    if a.device.type == "meta":  # no values to compare
        return
    rtol, atol = _tols(rtol, atol, max(ra, re_), max(aa, ae))
    a, e = a.detach().resolve_conj(), e.detach().resolve_conj()
    if a.device != e.device:  # check_device=False: PyTorch compares both on the CPU
        a, e = a.cpu(), e.cpu()
    ok = _isclose(a, e, rtol, atol, equal_nan)
    if bool(np.all(ok)):
        return
    x, y = a._host(), e._host()
    if x.ndim == 0:  # PyTorch reports 0-d tensors as scalars
        _close_scalars(a.item(), e.item(), rtol, atol, False, path, msg)
    _fail(_tensor_message(x, y, ok, rtol, atol), path, msg)


def _isclose(a: Any, e: Any, rtol: float, atol: float, equal_nan: bool) -> np.ndarray:
    """``torch.isclose`` as PyTorch's check uses it (integers too take the tolerances)."""
    from ..ops.comparison import isclose

    return np.asarray(isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)._host())


def _tensor_message(x: np.ndarray, y: np.ndarray, ok: np.ndarray, rtol: float,
                    atol: float) -> str:
    total = ok.size
    bad = total - int(np.count_nonzero(ok))
    xf, yf, okf = x.reshape(-1), y.reshape(-1), np.asarray(ok).reshape(-1)
    exact = xf.dtype.kind not in "fcV"
    if exact:  # integers and bools: differences in int64, their ratio in float32
        xf, yf = xf.astype(np.int64), yf.astype(np.int64)
    with np.errstate(all="ignore"):
        absd, den = _abs(xf - yf), _abs(yf)  # in the tensors' dtype (bfloat16 rounds)
        absd[okf] = 0
        reld = absd.astype(np.float32) / den.astype(np.float32) if exact else absd / den
        reld[okf] = 0
    if absd.dtype.kind == "V":  # bfloat16: report through float32
        absd, reld = absd.astype(np.float32), reld.astype(np.float32)
    ia, ir = _first_max(absd), _first_max(reld)

    def idx(i: int) -> tuple:
        return tuple(int(k) for k in np.unravel_index(i, x.shape)) if x.ndim else ()

    equality = rtol == 0 and atol == 0
    lines = [f"Tensor-likes are not {'equal' if equality else 'close'}!", "",
             f"Mismatched elements: {bad} / {total} ({bad / total:.1%})",
             f"Greatest absolute difference: {absd[ia].item()} at index {idx(ia)}"
             + ("" if equality else f" (up to {atol} allowed)"),
             f"Greatest relative difference: {reld[ir].item()} at index {idx(ir)}"
             + ("" if equality else f" (up to {rtol} allowed)")]
    return "\n".join(lines)


def _abs(v: np.ndarray) -> np.ndarray:
    """``torch.abs``: a complex modulus by ``hypot`` (as PyTorch rounds it)."""
    return np.hypot(v.real, v.imag) if v.dtype.kind == "c" else np.abs(v)


def _first_max(v: np.ndarray) -> int:
    """The index of the largest value, NaN counting as the largest (first one on ties)."""
    nan = np.isnan(v) if v.dtype.kind == "f" else np.zeros(v.shape, bool)
    if nan.any():
        return int(np.argmax(nan))
    return int(np.argmax(v))
