"""Random sampling: rand, randn, randint, randperm, normal, bernoulli, multinomial, poisson,
and the in-place samplers (``uniform_``, ``normal_``, ``random_``, ...).

Values come from a ``Generator`` (the device's default one unless ``generator=`` is
given) through the kernels of ``_random_kernels``, which reproduce PyTorch's CPU
streams. Like PyTorch's serial kernels, a sampler fills a tensor in memory order,
so a transposed tensor receives the same values at the same addresses as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _memory_format as _mf
from .. import dtypes as _dt
from ..random import Generator, default_generator_for
from . import _inplace
from . import _random_kernels as K
from ._dispatch import (
    CPU,
    Tensor,
    _zeros_meta,
    canonical_device,
    grad_state,
    make,
    methods,
    needs_grad,
    record,
)

__all__ = ["rand", "rand_like", "randn", "randn_like", "randint", "randint_like", "randperm",
           "normal", "bernoulli", "multinomial", "poisson"]

_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half",
                "bfloat16": "BFloat16", "int64": "Long", "int32": "Int", "int16": "Short",
                "int8": "Char", "uint8": "Byte", "bool": "Bool", "complex64": "ComplexFloat",
                "complex128": "ComplexDouble"}


# ------------------------------------------------------------------ helpers
def _generator(generator: Generator | None, device: Any) -> Generator:
    if generator is None:
        return default_generator_for(device)
    if not isinstance(generator, Generator):
        raise TypeError(f"expected an ember.Generator, got {type(generator).__name__}")
    return generator


def _size_args(size: tuple, size_kw: Any, op: str = "rand", extra: dict | None = None
               ) -> tuple[int, ...]:
    """The shape from ``*size`` or ``size=``; any other keyword (``names=``) PyTorch's parser
    refuses."""
    from .creation import _size, size_arg

    if extra:
        raise _no_overload(op, size, extra)
    try:
        return _size(size_arg(op, size, size_kw), op)
    except TypeError:  # several sizes, the first not an int: no overload fits them
        from .shape import _is_size
        if len(size) > 1 and not _is_size(size[0]):
            raise _no_overload(op, size, {}) from None
        raise


def _keywords_named(e: TypeError, op: str, size: tuple, **kw: Any) -> TypeError:
    """``e``; when no overload fit the sizes, with the keywords given (those not at their
    defaults: which were spelled out is not known here) in its ``got (...)``."""
    given = {k: v for k, v in kw.items() if v is not None and v is not False}
    if not given or not str(e).startswith(f"{op}() received an invalid combination"):
        return e
    return _no_overload(op, size, given)


def _no_overload(op: str, size: tuple, extra: dict) -> TypeError:
    def name(v: Any) -> str:  # Ember's own types (dtype, device, ...) as ``ember.dtype``
        t = type(v)
        return f"ember.{t.__name__}" if t.__module__.startswith("ember") and \
            not isinstance(v, Tensor) else t.__name__

    got = ", ".join([name(v) for v in size] + [f"{k}={name(v)}" for k, v in extra.items()])
    return TypeError(f"{op}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n * (tuple of ints size, *, ember.Generator "
                     f"generator, {_OPTS})\n * (tuple of ints size, *, {_OPTS})\n")


def _memory_perm(arr: Any) -> tuple[int, ...] | None:
    """The dims from outermost to innermost in memory, or None when that is the logical order."""
    if arr.ndim < 2 or arr.flags.c_contiguous:
        return None
    shape, strides = arr.shape, arr.strides
    perm = tuple(sorted(range(arr.ndim), key=lambda d: (shape[d] != 1, -abs(strides[d]))))
    return None if perm == tuple(range(arr.ndim)) else perm


def _like_perm(arr: Any) -> tuple[int, ...] | None:
    """The memory order of ``empty_like(arr)``: arr's own where it is dense, else logical."""
    perm = _memory_perm(arr)
    if perm is not None and not arr.transpose(perm).flags.c_contiguous:
        return None
    return perm


def _arrange(flat: np.ndarray, shape: tuple, perm: tuple | None) -> np.ndarray:
    """Values generated in memory order ``perm``, placed at their logical positions."""
    if perm is None:
        return flat.reshape(shape)
    inv = np.argsort(perm)
    return flat.reshape([shape[d] for d in perm]).transpose(inv)


def _to_device(arr: np.ndarray, dev: Any) -> Any:
    return arr if dev is CPU else dev._backend.asarray(arr, index=dev.index)


def _float_dtype(dtype: Any, op: str, complex_ok: bool = False) -> _dt.dtype:
    dt = _dt.to_dtype(dtype) if dtype is not None else _dt._default
    if dt.category != _dt._FLOAT and not (complex_ok and dt.category == _dt._COMPLEX):
        raise NotImplementedError(
            f'"{op}" not implemented for \'{_TORCH_NAMES.get(dt.name, dt.name)}\'')
    return dt


def _new(arr: np.ndarray, dev: Any, requires_grad: bool, out: Tensor | None = None) -> Tensor:
    if out is not None:
        out._data = _to_device(arr.astype(out._data.dtype, copy=False), out._device)
        out._vc[0] += 1
        return out
    t = make(_to_device(arr if arr.flags.c_contiguous else arr.copy(), dev), dev)
    if requires_grad:
        t._new_requires_grad()
    return t


def _complex_draw(draw: Any) -> Any:
    """A complex tensor draws as its real view, ``(..., 2)`` floats (PyTorch's order)."""
    def complex_draw(g: Generator, n: int, npd: Any, c: bool) -> np.ndarray:
        real = np.dtype(np.float32 if npd == np.complex64 else np.float64)
        return np.asarray(draw(g, 2 * n, real, c)).astype(real, copy=False).view(npd)

    return complex_draw


def _fill(self: Tensor, op: str, draw: Any, generator: Generator | None,
          node: str | None = None, p: Tensor | None = None) -> Tensor:
    """Write ``draw(gen, n, npdtype, contiguous)`` into ``self`` in memory order (``p``: a
    probability tensor the graph node also takes)."""
    x = self._data
    if self._rg:  # PyTorch refuses a leaf before drawing: the stream stays where it was
        _inplace.check_inplace(self, op)
    if self._device is CPU and not x.flags.writeable:  # an expanded tensor: refused before
        _inplace.check_overlap(self, op)               # drawing too (CuPy has no such flag)
    gen = _generator(generator, self._device)
    npd = x.dtype
    if npd.kind == "c":
        draw = _complex_draw(draw)
    with gen.lock:
        flat = draw(gen, x.size, npd, bool(x.flags.c_contiguous) if self._device is CPU
                    else True)
    vals = _arrange(K.cast(flat, npd), x.shape,
                    _memory_perm(x) if self._device is CPU else None)
    out = make(_to_device(vals, self._device), self._device)
    if p is not None and needs_grad(self, p):
        record(node, out, (self, p), lambda g: (g * 0, _zeros_meta(p._data.shape, p._data.dtype,
                                                                   p._device)))
    elif grad_state.enabled and self._rg:
        record(node or (op.rstrip("_").capitalize() + "Backward0"), out, (self,),
               lambda g: (g * 0,))
    return _inplace.commit(self, out, op)


def _check_float(self: Tensor, op: str, complex_ok: bool = False,
                 empty_ok: bool = False) -> None:
    if self.dtype.category != _dt._FLOAT and not (complex_ok and self.dtype.is_complex):
        if empty_ok and not self._data.size:  # PyTorch's kernel never runs on no element
            return
        raise NotImplementedError(
            f'"{op}" not implemented for \'{_TORCH_NAMES.get(self.dtype.name, self.dtype.name)}\'')


# ------------------------------------------------------------------ in-place samplers
def uniform_(self: Tensor, from_: float = 0, to: float = 1, *, generator: Generator | None = None,
             **kw: Any) -> Tensor:
    """Fill with values drawn uniformly from ``[from, to)``."""
    from_ = kw.pop("from", from_)
    _check_float(self, "check_uniform_bounds", complex_ok=True)
    lo, hi = float(from_), float(to)
    limit = _FLOAT_MAX[self.dtype.name]
    if not (-limit <= lo <= hi <= limit and hi - lo <= limit):
        _uniform_bounds_error(self.dtype.name, lo, hi, limit)
    x = self._data
    if x.size == 1 and x.dtype == np.float32 and self._device is CPU and not self._rg \
            and self._base is None and x.flags.writeable:
        return _uniform_one_f32(self, lo, hi, generator)
    return _fill(self, "uniform_", lambda g, n, npd, c: K.uniform(g, n, npd, lo, hi), generator)


# the largest finite value of each dtype uniform_ fills (a complex one: its real dtype's)
_FLOAT_MAX = {"float32": float(np.finfo(np.float32).max), "float64": float(np.finfo(np.float64).max),
              "float16": 65504.0, "bfloat16": 3.3895313892515355e38}
_FLOAT_MAX.update(complex64=_FLOAT_MAX["float32"], complex128=_FLOAT_MAX["float64"])
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "complex64": "float", "complex128": "double"}


# C++ type names (typeid) that PyTorch's cauchy_ dtype check prints
_CPP_TYPES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
              "uint8": "unsigned char", "uint16": "short unsigned int", "uint32": "unsigned int",
              "uint64": "long unsigned int", "bool": "bool",
              "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _uniform_bounds_error(name: str, lo: float, hi: float, limit: float) -> None:
    """PyTorch's ``check_uniform_bounds`` failures, in its order."""
    for var, label in ((lo, "from"), (hi, "to")):
        if not -limit <= var <= limit:
            raise RuntimeError(f"{label} is out of bounds for {_CPP_NAMES[name]}")
    if not lo <= hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={lo:g}"
                           f" > to={hi:g}")
    real = "float32" if name == "complex64" else "float64" if name == "complex128" else name
    raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<{_TORCH_NAMES[real]}>"
                       f"::max(), but found to={hi:g} and from={lo:g} which result in to-from "
                       "to exceed the limit")


def _uniform_one_f32(self: Tensor, lo: float, hi: float, generator: Generator | None) -> Tensor:
    """``uniform_`` of one float32 element (crop boxes, augmentation parameters) without the
    array machinery."""
    self._data[...] = uniform_value_f32(lo, hi, generator)
    self._vc[0] += 1
    return self


def uniform_value_f32(lo: float, hi: float, generator: Generator | None = None) -> float:
    """The value of ``empty(1).uniform_(lo, hi).item()`` (float32, CPU generator) with no
    tensor: the same draw and the same float32/float64 arithmetic as the kernel. For the
    per-image parameters of augmentations."""
    if not lo <= hi:  # the kernel's bounds check, before any draw
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={lo:g}"
                           f" > to={hi:g}")
    gen = _generator(generator, CPU)
    with gen.lock:
        r = int(gen._raw32(1)[0]) & 0xFFFFFF
    u = r * 2.0 ** -24  # exact in float32
    if lo == 0.0 and hi == 1.0:
        return u
    flo, fhi = np.float32(lo), np.float32(hi)
    return float(np.float32(u * float(fhi - flo) + float(flo)))  # float64, rounded once


def randint_value(low: int, high: int, generator: Generator | None = None) -> int:
    """The value of ``randint(low, high, (1,)).item()`` (CPU generator) with no tensor."""
    gen = _generator(generator, CPU)
    with gen.lock:
        return int(K.random_from_to(gen, 1, np.dtype(np.int64), high - low, low)[0])


def normal_(self: Tensor, mean: float = 0, std: float = 1, *,
            generator: Generator | None = None) -> Tensor:
    """Fill with values drawn from the normal distribution ``N(mean, std**2)``."""
    _check_float(self, "normal_kernel_cpu", complex_ok=True, empty_ok=True)
    m, s = float(mean), float(std)
    if not s >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(s)}")
    if self.dtype.is_complex:  # each part gets half the variance
        s /= math.sqrt(2.0)
    return _fill(self, "normal_", lambda g, n, npd, c: K.normal(g, n, npd, m, s, c), generator)


def _fmt(v: float) -> str:
    """A double as PyTorch's C++ stream prints it (6 significant digits; nan, inf)."""
    return format(v, "g")


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill with 1 with probability ``p`` (a number or a broadcastable tensor), else 0."""
    _no_complex_bernoulli(self, p)
    if isinstance(p, Tensor):
        _float_p(p)
        try:
            probs = np.broadcast_to(p._host(), self._data.shape)
        except ValueError:  # PyTorch expands p to self's shape: expand's error
            p.expand(self._data.shape)
            raise
        perm = _memory_perm(self._data) if self._device is CPU else None
        pflat = np.ascontiguousarray(probs.transpose(perm) if perm else probs).ravel()
        _check_p(pflat, _generator(generator, self._device))
        return _fill(self, "bernoulli_", lambda g, n, npd, c: _bernoulli_tensor(g, pflat),
                     generator, "BernoulliBackward1", p)
    pv = float(p)
    if not 0.0 <= pv <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(pv)}")
    return _fill(self, "bernoulli_", lambda g, n, npd, c: K.uniform01_f64(g, n) < pv, generator,
                 "BernoulliBackward2")


def _no_complex_bernoulli(t: Tensor, p: Any) -> None:
    """PyTorch's bernoulli kernels have no complex versions."""
    if t.dtype.is_complex:
        kernel = "tensor_{}_self" if p is None or isinstance(p, Tensor) else "scalar_{}"
        raise NotImplementedError(f'"bernoulli_{kernel.format(t._device.type)}_" not implemented '
                                  f"for '{_TORCH_NAMES[t.dtype.name]}'")


def _float_p(p: Tensor) -> None:
    """PyTorch's tensor-p bernoulli kernel is defined for floating-point ``p`` only."""
    if p.dtype.category != _dt._FLOAT:
        raise NotImplementedError(f'"bernoulli_tensor_{p._device.type}_p_" not implemented for '
                                  f"'{_TORCH_NAMES.get(p.dtype.name, p.dtype.name)}'")


def _check_p(pflat: np.ndarray, gen: Generator) -> None:
    """PyTorch's kernel checks each probability as it draws: the ones before a bad one draw."""
    ok = (pflat >= 0) & (pflat <= 1)
    if pflat.size and not ok.all():
        with gen.lock:
            _bernoulli_tensor(gen, pflat[:int(np.argmin(ok))])
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")


def _bernoulli_tensor(gen: Generator, pflat: np.ndarray) -> np.ndarray:
    if pflat.dtype == np.float64:
        return K.uniform01_f64(gen, pflat.size) < pflat
    return K.uniform01_f32(gen, pflat.size) < pflat.astype(np.float32)


def exponential_(self: Tensor, lambd: float = 1, *, generator: Generator | None = None) -> Tensor:
    """Fill with values drawn from the exponential distribution of rate ``lambd``."""
    if self.dtype.category != _dt._FLOAT and self._data.size:  # (none on no element)
        raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                           "dtype must be a floating point but you specified "
                           f"{_TORCH_NAMES.get(self.dtype.name, self.dtype.name)}")
    lam = float(lambd)
    if not lam > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lam:g}")

    def draw(g: Generator, n: int, npd: Any, c: bool) -> np.ndarray:
        return (-1.0 / lam) * K.libm(np.log1p, math.log1p, -K.uniform01_f64(g, n))

    return _fill(self, "exponential_", draw, generator)


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Fill with the number of Bernoulli(``p``) trials up to the first success."""
    if self.dtype.is_complex or self.dtype is _dt.bool:
        raise NotImplementedError(f'"geometric_cpu" not implemented for '
                                  f"'{_TORCH_NAMES[self.dtype.name]}'")
    pv = float(p)
    if not 0.0 < pv < 1.0:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(pv)}")
    denom = math.log1p(-pv)

    def draw(g: Generator, n: int, npd: Any, c: bool) -> np.ndarray:
        return np.ceil(K.libm(np.log, math.log, K.uniform01_f64(g, n)) / denom)

    return _fill(self, "geometric_", draw, generator)


def cauchy_(self: Tensor, median: float = 0, sigma: float = 1, *,
            generator: Generator | None = None) -> Tensor:
    """Fill with values drawn from the Cauchy distribution."""
    if self.dtype.category != _dt._FLOAT:
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype "
                           f"must be a floating point but you specified "
                           f"{_CPP_TYPES.get(self.dtype.name, self.dtype.name)}")
    med, sig = float(median), float(sigma)
    if not sig > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sig)}")

    def draw(g: Generator, n: int, npd: Any, c: bool) -> np.ndarray:
        return K.fma64(K.libm(np.tan, math.tan, math.pi * (K.uniform01_f64(g, n) - 0.5)), sig,
                       med)

    return _fill(self, "cauchy_", draw, generator)


def log_normal_(self: Tensor, mean: float = 1, std: float = 2, *,
                generator: Generator | None = None) -> Tensor:
    """Fill with ``exp`` of values drawn from ``N(mean, std**2)``."""
    _check_float(self, "log_normal_cpu", empty_ok=True)
    m, s = float(mean), float(std)
    if not s > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(s)}")

    def draw(g: Generator, n: int, npd: Any, c: bool) -> np.ndarray:
        return K.libm(np.exp, math.exp, K.fma64(K.normal_pairs(g, n), s, m))

    return _fill(self, "log_normal_", draw, generator, "LogNormalBackward0")


def random_(self: Tensor, *args: Any, generator: Generator | None = None, **kw: Any) -> Tensor:
    """Fill with integers: ``random_(from, to)`` from ``[from, to)``, ``random_(to)`` from
    ``[0, to)``, ``random_(from, None)`` up to the dtype's largest, ``random_()`` from 0 to it."""
    to_kw, kw0 = "to" in kw, tuple(kw)
    if generator is not None and not args and not kw and not isinstance(generator, Generator):
        raise TypeError(f"random_() received an invalid combination of arguments - got (generator="
                        f"{_py_type_name(generator)}, ), but expected one of:\n * (*, ember."
                        "Generator generator = None)\n * (int from, int to, *, ember.Generator "
                        "generator = None)\n * (int to, *, ember.Generator generator = None)\n")
    frm, to = kw.pop("from", None), kw.pop("to", None)
    if kw:
        raise TypeError(f"random_() got an unexpected keyword argument '{next(iter(kw))}'")
    if len(args) == 2:
        frm, to = args
    elif len(args) == 1:  # random_(to), or random_(from, to=...)
        frm, to = (args[0], to) if to_kw and frm is None else (frm or 0, args[0])
    elif len(args) > 2:
        raise TypeError("random_() takes at most 2 positional arguments")
    if self.dtype.is_complex:
        _complex_random(self, args or frm is not None or to_kw, to)
    if frm is None and to is None:
        draw = _random_default
    else:
        draw = _random_range(self, int(frm or 0), None if to is None else int(to))
    # PyTorch's overloads: random_.from (RandomBackward0), random_.to (1), random_() (2)
    if not args and frm is None:
        node = "RandomBackward1" if to_kw else "RandomBackward2"
    else:
        node = "RandomBackward1" if len(args) == 1 and not to_kw and "from" not in kw0 \
            else "RandomBackward0"
    return _fill(self, "random_", draw, generator, node)


def _complex_random(self: Tensor, ranged: Any, to: Any) -> None:
    """PyTorch's random_ kernels refuse complex tensors, each form with its own error."""
    if not ranged:
        raise NotImplementedError(f'"random_kernel_cpu" not implemented for '
                                  f"'{_TORCH_NAMES[self.dtype.name]}'")
    kernel = "check_random_bounds" if to is not None else "random_from_to_impl"
    raise RuntimeError(f"{kernel} handles only integral, floating-point and boolean types")


def _random_default(g: Generator, n: int, npd: Any, c: bool) -> np.ndarray:
    return K.random_default(g, n, npd)


def _dtype_bounds(npd: np.dtype) -> tuple[int, int]:
    """The integers a dtype holds exactly (PyTorch's check_from_to_in_range)."""
    if npd.kind == "b":
        return 0, 1
    if npd.kind in "iu":
        info = np.iinfo(npd)
        return int(info.min), int(info.max)
    digits = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}[npd.name]
    return -(1 << digits), 1 << digits


def _through(v: int, npd: np.dtype) -> int:
    """``static_cast<int64_t>(static_cast<scalar_t>(v))``: ``v`` rounded to a float dtype
    (16-bit ones through float32, as c10's Half and BFloat16 convert)."""
    x = np.asarray(v, dtype=np.int64)
    x = float(x.astype(np.float32).astype(npd) if npd.itemsize == 2 else x.astype(npd))
    return int(x) if math.isfinite(x) else -(1 << 63)  # x86's conversion of inf and NaN


def _update_from(lo: int, npd: np.dtype) -> int:
    """PyTorch's update_from: a ``from`` the float dtype rounds down is moved up one step."""
    up = _through(lo + 1, npd)
    if up < lo:
        n = max(abs(lo + 1).bit_length() - 1, 0)
        lo = up + (1 << (n - _DIGITS[npd.name] + 1))
    return lo


def _update_to(hi: int, npd: np.dtype) -> int:
    """PyTorch's update_to: a ``to`` whose ``to - 1`` the float dtype rounds up moves down."""
    down = _through(hi - 1, npd)
    if down >= hi:
        n = max(abs(hi - 1).bit_length() - 1, 0)
        hi = down - (1 << (n - _DIGITS[npd.name] + 1))
    return hi


_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _check_in_range(lo: int, top: int, npd: np.dtype, name: str) -> None:
    """PyTorch's check_from_to_in_range: errors outside the dtype, warnings past exactness."""
    cname = _C_NAMES.get(npd.name, name)
    if npd.kind in "biu":
        bmin, bmax = _dtype_bounds(npd)
    else:
        fi = np.finfo(np.float32 if npd.name == "bfloat16" else npd)
        bmax = float(fi.max) if npd.name != "bfloat16" else 3.3895313892515355e38
        bmin = -bmax
    for v, what in ((lo, "from"), (top, "to - 1")):
        if not bmin <= v <= bmax:
            raise RuntimeError(f"{what} is out of bounds for {cname}")
    if npd.kind == "f" or npd.name == "bfloat16":
        d = _DIGITS[npd.name]
        for v, what in ((lo, "from"), (top, "to - 1")):
            if v < -(1 << d) or v > (1 << d):
                import warnings

                warnings.warn(f"{what} is out of bounds [-(2^{d}), 2^{d}]. Due to precision "
                              f"limitations {cname} can support discrete uniform distribution "
                              "only within this range. This warning will become an error in "
                              "version 1.7 release, please fix the code in advance",
                              UserWarning, stacklevel=4)


def _random_range(self: Tensor, lo: int, hi: int | None) -> Any:
    npd = self._data.dtype
    name = _TORCH_NAMES.get(self.dtype.name, self.dtype.name)
    floating = npd.name in _DIGITS
    if hi is None:
        if lo == -(1 << 63):
            if npd.name in ("bool", "float16"):
                raise NotImplementedError('"random_full_64_bits_range_kernel_cpu" not '
                                          f"implemented for '{name}'")
            if npd.name not in ("int64", "float64", "float32", "bfloat16"):
                raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                                   "double, float and bfloat16")
            return lambda g, n, d, c: K.random_full_range(g, n, d)
        if floating:
            top = min(1 << _DIGITS[npd.name], (1 << 63) - 1)
            lo = _update_from(lo, npd)
            if lo >= top:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than or "
                                   f"equal to 'to_inc' casted to dtype, but got from={lo} > "
                                   f"to_inc={top}")
        else:
            top = _dtype_bounds(npd)[1]
        _check_in_range(lo, top, npd, name)
        span = top - lo + 1
    else:
        if lo >= hi:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={lo} "
                               f">= to={hi}")
        if floating:
            lo, hi = _update_from(lo, npd), _update_to(hi, npd)
            if lo >= hi:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than 'to' "
                                   f"casted to dtype, but got from={lo} >= to={hi}")
        span = hi - lo
        top = hi - 1
        _check_in_range(lo, top, npd, name)
    return lambda g, n, d, c: K.random_from_to(g, n, d, span, lo)


_C_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
            "int64": "long", "bool": "bool", "float32": "float", "float64": "double",
            "float16": "c10::Half", "bfloat16": "c10::BFloat16"}


# ------------------------------------------------------------------ factories
def _factory_shape(op: str, size: tuple, size_: Any, kw: dict, **named: Any) -> tuple:
    """``rand``/``randn``'s shape from ``size`` (or ``size=``); a bad one raises PyTorch's
    parser error naming the keywords given too (``named``)."""
    try:
        return _size_args(size, kw.pop("size", size_), op, kw)
    except TypeError as e:
        raise _keywords_named(e, op, size, **named) from None


def rand(*size: Any, size_: Any = None, generator: Generator | None = None,
         out: Tensor | None = None, dtype: Any = None, layout: Any = None, device: Any = None,
         requires_grad: bool = False, pin_memory: bool = False, **kw: Any) -> Tensor:
    """A tensor of values drawn uniformly from ``[0, 1)``."""
    shape = _factory_shape("rand", size, size_, kw, generator=generator, out=out, dtype=dtype,
                           layout=layout, device=device, pin_memory=pin_memory,
                           requires_grad=requires_grad)
    if generator is not None and not isinstance(generator, Generator):
        raise _generator_type_error("rand", size, generator, "tuple of ints size")
    dt = _float_dtype(dtype if dtype is not None or out is None else out.dtype,
                      "check_uniform_bounds", complex_ok=True)
    if _fills_out(out, shape):
        return uniform_(out, generator=generator)
    dev = canonical_device(device)
    gen = _generator(generator, dev)
    n = math.prod(shape)
    draw = lambda g, n, npd, c: K.uniform(g, n, npd, 0.0, 1.0)  # noqa: E731
    with gen.lock:
        arr = (_complex_draw(draw) if dt.is_complex else draw)(gen, n, dt.np, True)
    return _new(arr.astype(dt.np, copy=False).reshape(shape), dev, requires_grad, out)


def randn(*size: Any, size_: Any = None, generator: Generator | None = None,
          out: Tensor | None = None, dtype: Any = None, layout: Any = None, device: Any = None,
          requires_grad: bool = False, pin_memory: bool = False, **kw: Any) -> Tensor:
    """A tensor of values drawn from the standard normal distribution."""
    shape = _factory_shape("randn", size, size_, kw, generator=generator, out=out, dtype=dtype,
                           layout=layout, device=device, pin_memory=pin_memory,
                           requires_grad=requires_grad)
    if generator is not None and not isinstance(generator, Generator):
        raise _generator_type_error("randn", size, generator, "tuple of ints size")
    dt = _float_dtype(dtype if dtype is not None or out is None else out.dtype,
                      "normal_kernel_cpu", complex_ok=True)
    if _fills_out(out, shape):
        return normal_(out, generator=generator)
    dev = canonical_device(device)
    gen = _generator(generator, dev)
    n = math.prod(shape)
    with gen.lock:
        if dt.is_complex:
            arr = _complex_draw(_normal_draw(0.0, 1.0 / math.sqrt(2.0)))(gen, n, dt.np, True)
        else:
            arr = K.normal(gen, n, dt.np, 0.0, 1.0, True)
    return _new(arr.reshape(shape), dev, requires_grad, out)


def _fills_out(out: Tensor | None, shape: tuple) -> bool:
    """Whether a factory's ``out=`` is filled in place: PyTorch resizes ``out`` (a no-op at
    the right shape) and runs the in-place sampler on it, in its own memory order."""
    return out is not None and out._device is CPU and tuple(out._data.shape) == tuple(shape)


def _normal_draw(mean: float, std: float) -> Any:
    return lambda g, n, npd, c: K.normal(g, n, npd, mean, std, c)


def _is_contiguous(shape: tuple, strides: tuple) -> bool:
    """PyTorch's ``is_contiguous``: C order, ignoring the strides of size-1 dims, so a
    ``*_like`` result of shape (2, 17, 1) takes the vectorised normal path as in PyTorch."""
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1 and stride != expected:
            return size == 0 or 0 in shape
        expected *= size
    return True


def _like_fill(input: Tensor, dtype: Any, device: Any, requires_grad: bool, op: str,
               draw: Any, generator: Generator | None = None,
               memory_format: Any = None) -> Tensor:
    from .creation import like_layout

    dt = _dt.to_dtype(dtype) if dtype is not None else input.dtype
    dev = canonical_device(device) if device is not None else input._device
    x = input._data
    layout = like_layout(input, memory_format)  # PyTorch draws in the result's memory order
    perm = layout[0] if layout is not None and input._device is CPU else None
    gen = _generator(generator, dev)
    contiguous = perm is None or _is_contiguous(x.shape, layout[1])
    with gen.lock:
        flat = draw(gen, x.size, dt.np, contiguous)
    arr = _arrange(K.cast(flat, dt.np), x.shape, perm)
    if layout is None:
        return _new(arr, dev, requires_grad)
    if perm is None or dev is not CPU:
        arr = _mf.laid_out(dev._backend.xp, _to_device(arr, dev), layout)
    t = make(_mf.restride(np, arr, layout[1]) if dev is CPU else arr, dev)
    return t._new_requires_grad() if requires_grad else t


def rand_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
              requires_grad: bool = False, memory_format: Any = None,
              generator: Generator | None = None) -> Tensor:
    """``rand`` with the shape (and by default dtype and device) of ``input``."""
    from .creation import like_input

    like_input("rand_like", input)
    dt = _float_dtype(dtype if dtype is not None else input.dtype, "check_uniform_bounds",
                      complex_ok=True)
    draw = lambda g, n, npd, c: K.uniform(g, n, npd, 0.0, 1.0)  # noqa: E731
    return _like_fill(input, dt, device, requires_grad, "rand_like",
                      _complex_draw(draw) if dt.is_complex else draw, generator, memory_format)


def randn_like(input: Tensor, *, dtype: Any = None, layout: Any = None, device: Any = None,
               requires_grad: bool = False, memory_format: Any = None,
               generator: Generator | None = None) -> Tensor:
    """``randn`` with the shape (and by default dtype and device) of ``input``."""
    from .creation import like_input

    like_input("randn_like", input)
    dt = _float_dtype(dtype if dtype is not None else input.dtype, "normal_kernel_cpu",
                      complex_ok=True)
    draw = (_complex_draw(_normal_draw(0.0, 1.0 / math.sqrt(2.0))) if dt.is_complex
            else _normal_draw(0.0, 1.0))
    return _like_fill(input, dt, device, requires_grad, "randn_like", draw, generator,
                      memory_format)


_OPTS = ("Tensor out = None, ember.dtype dtype = None, ember.layout layout = None, ember.device "
         "device = None, bool pin_memory = False, bool requires_grad = False")
_RANDINT_SIGS = "".join(
    f" * ({head}tuple of ints size, *, {gen}{_OPTS})\n"
    for head in ("int high, ", "int low, int high, ") for gen in ("ember.Generator generator, ", ""))


def _py_type_name(v: Any) -> str:
    """A value's type as PyTorch's argument parser names it (``float``, ``numpy.float64``)."""
    if isinstance(v, Tensor):
        return "Tensor"
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _int_like(v: Any) -> bool:
    """Whether PyTorch's parser takes ``v`` for an ``int`` argument."""
    if isinstance(v, Tensor):
        return v.numel() == 1 and v.dtype.category not in (_dt._FLOAT, _dt._COMPLEX) \
            and v.dtype is not _dt.bool
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _randint_type_error(args: tuple, kw: dict) -> TypeError:
    """PyTorch's parser error for a randint call no overload takes."""
    kw = {k: v for k, v in kw.items() if v is not None and v is not False}
    if len(args) == 2 and not {"low", "high", "size"} & kw.keys():
        if not _int_like(args[0]):
            return TypeError("randint(): argument 'high' (position 1) must be int, not "
                             f"{_py_type_name(args[0])}")
        if not isinstance(args[1], (tuple, list)) and not hasattr(args[1], "__len__"):
            return TypeError("randint(): argument 'size' (position 2) must be tuple of ints, "
                             f"not {_py_type_name(args[1])}")
    if not args and "high" in kw and "size" in kw and "low" not in kw \
            and not _int_like(kw["high"]):
        return TypeError(f"randint(): argument 'high' must be int, not "
                         f"{_py_type_name(kw['high'])}")
    got = ", ".join([_py_type_name(v) for v in args]
                    + [f"{k}={_py_type_name(v)}" for k, v in kw.items()])
    return TypeError(f"randint() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{_RANDINT_SIGS}")


def _generator_type_error(op: str, args: tuple, generator: Any, head: str) -> TypeError:
    """PyTorch's parser error for a ``generator=`` that is not a Generator."""
    got = ", ".join([_py_type_name(v) for v in args] + [f"generator={_py_type_name(generator)}"])
    return TypeError(f"{op}() received an invalid combination of arguments - got ({got}), but "
                     f"expected one of:\n * ({head}, *, ember.Generator generator, {_OPTS})\n"
                     f" * ({head}, *, {_OPTS})\n")


class _NoOverload(Exception):
    """A randint call none of PyTorch's overloads takes (its TypeError is built by the caller,
    which has every argument)."""


def _plain_randint_call(args: tuple, low: Any, high: Any, size: Any, generator: Any) -> bool:
    """``randint(high, size)`` or ``randint(low, high, size)`` with Python ints and a
    tuple/list size: the common call, taken as is."""
    return (low is None and high is None and size is None and generator is None
            and 1 < len(args) < 4 and args[-1].__class__ in (tuple, list)
            and all(v.__class__ is int for v in args[:-1]))


def _randint_args(args: tuple, low: Any, high: Any, size: Any, generator: Any = None
                  ) -> tuple[int, int, Any]:
    if not _plain_randint_call(args, low, high, size, generator):
        ints = args if size is not None else args[:-1]
        if not all(map(_int_like, [*ints, *(v for v in (low, high) if v is not None)])) \
                or len(args) > 3 or (size is None and (not args or isinstance(args[-1], int))) \
                or (low is not None and args) \
                or (generator is not None and not isinstance(generator, Generator)):
            raise _NoOverload
    args = list(args)
    if size is None:
        if isinstance(args[-1], (tuple, list)) or hasattr(args[-1], "__len__"):
            size = args.pop()
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif len(args) > 2:
        raise TypeError("randint() takes at most 3 positional arguments")
    if high is None:
        raise TypeError("randint() missing required argument 'high'")
    low, high = int(0 if low is None else low), int(high)
    if not (-(1 << 63) <= low < (1 << 63) and -(1 << 63) <= high < (1 << 63)):
        raise ValueError("Overflow when unpacking long long")  # PyTorch's int64 arg parser
    return low, high, size


def _default_device_is_cpu() -> bool:
    return canonical_device(None) is CPU


def randint(*args: Any, low: Any = None, high: Any = None, size: Any = None,
            generator: Generator | None = None, out: Tensor | None = None, dtype: Any = None,
            layout: Any = None, device: Any = None, requires_grad: bool = False,
            pin_memory: bool = False) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``: ``randint(high, size)`` or
    ``randint(low, high, size)``; int64 unless ``dtype`` says otherwise."""
    try:
        lo, hi, size = _randint_args(args, low, high, size, generator)
    except _NoOverload:
        raise _randint_type_error(args, {
            "low": low, "high": high, "size": size, "generator": generator, "out": out,
            "dtype": dtype, "layout": layout, "device": device, "pin_memory": pin_memory,
            "requires_grad": requires_grad}) from None
    if (size.__class__ is tuple and len(size) == 1 and size[0].__class__ is int
            and 0 < size[0] <= 64 and dtype is None and out is None and device is None
            and not requires_grad and lo < hi and -(1 << 63) <= lo and hi - 1 < (1 << 63)
            and _default_device_is_cpu()):
        # a few int64 draws (augmentation parameters): the kernel without the general setup
        gen = _generator(generator, CPU)
        with gen.lock:
            arr = K.random_from_to(gen, size[0], np.dtype(np.int64), hi - lo, lo)
        return make(np.asarray(arr, dtype=np.int64).reshape(size), CPU)
    from .creation import _size

    shape = _size((size,), "randint")
    if dtype is None and _fills_out(out, shape):
        return random_(out, lo, hi, generator=generator)
    dt = _dt.to_dtype(dtype) if dtype is not None else (out.dtype if out is not None
                                                        else _dt.int64)
    if dt.category == _dt._COMPLEX:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and "
                           "boolean types")
    dev = canonical_device(device)
    probe = make(np.empty(0, dtype=dt.np), CPU)
    draw = _random_range(probe, lo, hi)
    gen = _generator(generator, dev)
    with gen.lock:
        arr = draw(gen, math.prod(shape), dt.np, True)
    return _new(np.asarray(arr).astype(dt.np, copy=False).reshape(shape), dev, requires_grad, out)


def randint_like(input: Tensor, low: Any = 0, high: Any = None, *, dtype: Any = None,
                 layout: Any = None, device: Any = None, requires_grad: bool = False,
                 memory_format: Any = None, generator: Generator | None = None) -> Tensor:
    """``randint`` with the shape (and by default dtype and device) of ``input``."""
    from .creation import like_input

    like_input("randint_like", input)
    if high is None:
        low, high = 0, low
    dt = _dt.to_dtype(dtype) if dtype is not None else input.dtype
    probe = make(np.empty(0, dtype=dt.np), CPU)
    draw = _random_range(probe, int(low), int(high))
    return _like_fill(input, dt, device, requires_grad, "randint_like", draw, generator,
                      memory_format)


def randperm(n: int, *, generator: Generator | None = None, out: Tensor | None = None,
             dtype: Any = None, layout: Any = None, device: Any = None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` says otherwise)."""
    if generator is not None and not isinstance(generator, Generator):
        raise _generator_type_error("randperm", (n,), generator, "int n")
    if type(n) is not int:
        n = _randperm_n(n, dict(generator=generator, out=out, dtype=dtype, layout=layout,
                                device=device, requires_grad=requires_grad, pin_memory=pin_memory))
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = _dt.to_dtype(dtype) if dtype is not None else (out.dtype if out is not None
                                                        else _dt.int64)
    _check_randperm(n, dt)
    if n >= 0xFFFF_FFFF // 20:
        raise RuntimeError(f"randperm: n={n} is too large for Ember's CPU generator")
    dev = canonical_device(device)
    gen = _generator(generator, dev)
    with gen.lock:
        arr = K.randperm(gen, n)
    return _new(K._cast_int(arr, dt.np), dev, requires_grad, out)


def _randperm_n(n: Any, kw: dict) -> int:
    """``n`` as PyTorch's parser takes it: an int or an integer-valued object (NumPy int,
    integer tensor); floats, bools and strings are refused before any draw. With a keyword
    given, both of PyTorch's overloads fit the argument count, so it names neither."""
    from .creation import _py_type_name

    if not isinstance(n, bool) and hasattr(type(n), "__index__"):
        try:
            return int(n.__index__())
        except (TypeError, RuntimeError):
            pass
    given = [f"{k}={'ember._C.Generator' if isinstance(v, Generator) else _py_type_name(v)}"
             for k, v in kw.items() if v is not None and v is not False]
    if given:
        got = ", ".join([_py_type_name(n), *given])
        raise TypeError(f"randperm() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n * (int n, *, ember.Generator generator, {_OPTS})"
                        f"\n * (int n, *, {_OPTS})\n")
    raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not {_py_type_name(n)}")


_C_INT = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int"}


def _check_randperm(n: int, dt: _dt.dtype) -> None:
    """PyTorch's limits on ``n`` for a dtype (bfloat16 has none: its values just round)."""
    name = dt.name
    if name == "bool" or dt.is_complex:
        raise NotImplementedError(f"\"randperm\" not implemented for '{_TORCH_NAMES[name]}'")
    if name in _C_INT and n > _dtype_bounds(dt.np)[1] + 1:
        raise RuntimeError(f"value cannot be converted to type {_C_INT[name]} without overflow")
    if name in ("float16", "float32", "float64"):
        digits = _DIGITS[name]
        if n > (1 << digits) + 1:
            shown = (1 << digits) + 1 if name == "float16" else f"2^{digits}+1"
            raise RuntimeError(f"n cannot be greater than {shown} for "
                               f"{_TORCH_NAMES[name]} type.")


_NORMAL_SIGS = (
    " * (Tensor mean, Tensor std, *, ember.Generator generator = None, Tensor out = None)\n"
    " * (Tensor mean, float std = 1, *, ember.Generator generator = None, Tensor out = None)\n"
    " * (float mean, Tensor std, *, ember.Generator generator = None, Tensor out = None)\n"
    " * (float mean, float std, tuple of ints size, *, ember.Generator generator = None, "
    f"{_OPTS})\n")


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: Generator | None = None, out: Tensor | None = None, dtype: Any = None,
           layout: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """Normal samples with tensor or float ``mean`` and ``std`` (the four overloads of
    ``torch.normal``); gradients flow to tensor ``mean`` and ``std``."""
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None or not hasattr(size, "__len__"):
            got = ", ".join(map(_py_type_name, (mean, std) + (() if size is None else (size,))))
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({got}), but expected one of:\n{_NORMAL_SIGS}")
        from .creation import _size

        shape = _size((size,))
        dt = _float_dtype(dtype if dtype is not None or out is None else out.dtype,
                          "normal_kernel_cpu")
        if _fills_out(out, shape):
            return normal_(out, float(mean), float(std), generator=generator)
        t = make(np.empty(shape, dtype=dt.np), CPU)
        normal_(t, float(mean), float(std), generator=generator)
        # not a factory for the default device in PyTorch: the CPU unless device= says
        return _new(t._data, canonical_device(device) if device is not None else CPU,
                    requires_grad, out)
    if ts:
        sv = std.detach()._host()
        if sv.size and not (sv >= 0).all():
            raise RuntimeError("normal expects all elements of std >= 0.0")
    # PyTorch draws into the result (``out``'s dtype where given), then ``mul_(std)`` and
    # ``add_(mean)`` in place: each step rounded to the result's dtype
    m = mean.detach() if tm else mean
    sd = std.detach() if ts else std
    if tm and not ts:
        sv = float(std)
        if not sv >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(sv)}")
        rdt = out.dtype if out is not None else mean.dtype
        # with out=, its shape broadcasts with the mean's (PyTorch's infer_size)
        shape = mean._data.shape if out is None else _normal_shape(mean, out)
        res = _as_dtype(_standard(mean, shape, rdt, 0.0, sv, generator) + m, rdt)
    else:
        like = mean if tm else std  # PyTorch's result takes the mean's dtype (else the std's)
        rdt = out.dtype if out is not None else like.dtype
        shape = _normal_shape(mean, std) if tm else std._data.shape
        eps = _standard(like, shape, rdt, 0.0, 1.0, generator)
        shift = m if tm else make(like._device._backend.xp.asarray(
            float(mean), dtype=rdt.np), like._device)
        res = _as_dtype(_as_dtype(eps * sd, rdt) + shift, rdt)
    inputs = tuple(t for t in (mean, std) if isinstance(t, Tensor))
    if needs_grad(*inputs):  # PyTorch's derivative of a sample is zero (derivatives.yaml)
        record("NormalBackward1" if not ts else "NormalBackward3" if tm else "NormalBackward2",
               res, inputs, lambda g: tuple(
                   make(t._device._backend.xp.zeros(t._data.shape, dtype=t._data.dtype),
                        t._device) for t in inputs))
    if out is not None:
        _inplace.write(out, res._data) if out._data.shape == res._data.shape else setattr(
            out, "_data", res._data)
        return out
    return res


def _normal_shape(a: Tensor, b: Tensor) -> tuple:
    """The broadcast shape of two tensors, or PyTorch's error naming a and b."""
    try:
        return np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        from .math_misc import broadcast_error

        raise broadcast_error(a, b) from None


def _as_dtype(t: Tensor, dt: _dt.dtype) -> Tensor:
    return t if t.dtype is dt else t.to(dt)


def _standard(like: Tensor, shape: tuple, dt: _dt.dtype, mean: float, std: float,
              generator: Generator | None) -> Tensor:
    if dt.category != _dt._FLOAT:
        raise NotImplementedError(f'"normal_kernel_cpu" not implemented for '
                           f"'{_TORCH_NAMES.get(dt.name, dt.name)}'")
    t = make(np.empty(shape, dtype=dt.np), CPU)
    normal_(t, mean, std, generator=generator)
    return make(_to_device(t._data, like._device), like._device)


def bernoulli(input: Tensor, p: Any = None, *, generator: Generator | None = None,
              out: Tensor | None = None) -> Tensor:
    """0/1 samples: with probabilities ``input`` (or the number ``p``), in ``input``'s dtype."""
    _no_complex_bernoulli(input, p)
    x = input._data  # PyTorch draws into a contiguous result: in logical order
    gen = _generator(generator, input._device)
    if p is None:
        _float_p(input)
        probs = input.detach()._host()
        pflat = np.ascontiguousarray(probs).ravel()
        _check_p(pflat, gen)
        with gen.lock:
            flat = _bernoulli_tensor(gen, pflat)
    else:
        if isinstance(p, Tensor) and p._data.ndim:  # only a 0-dim tensor parses as a float
            raise TypeError("bernoulli() received an invalid combination of arguments - got "
                            "(Tensor, p=Tensor), but expected one of:\n * (Tensor input, *, "
                            "torch.Generator generator = None, Tensor out = None)\n * (Tensor "
                            "input, float p, *, torch.Generator generator = None)\n")
        pv = float(p)
        if not 0.0 <= pv <= 1.0:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(pv)}")
        with gen.lock:
            flat = K.uniform01_f64(gen, x.size) < pv
    res = _new(flat.astype(x.dtype).reshape(x.shape), input._device, False, out)
    if p is None and out is None and needs_grad(input):  # PyTorch's zero gradient
        record("BernoulliBackward0", res, (input,), lambda g: (g * 0,))
    return res


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None, out: Tensor | None = None) -> Tensor:
    """Indices of categories drawn from the rows of ``input`` (unnormalised probabilities)."""
    x = input.detach()._host()
    n = int(num_samples)
    if x.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if x.dtype.kind != "f" and input.dtype is not _dt.bfloat16:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_TORCH_NAMES.get(input.dtype.name, input.dtype.name)}")
    if out is not None and out.dtype is not _dt.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: "
                           f"{_TORCH_NAMES.get(out.dtype.name, out.dtype.name)}")
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    k = x.shape[-1]
    if not replacement and n > k:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if k > 1 << 24:  # PyTorch's index arithmetic is in float32
        raise RuntimeError("number of categories cannot exceed 2^24")
    if k == 0:
        if not replacement or n == 1:  # PyTorch checks with aminmax, which refuses empty rows
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        # its with-replacement kernel just finds the (empty) sum not positive
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = x.reshape(-1, k)
    gen = _generator(generator, input._device)
    if not replacement or n == 1:
        if rows.size and not (np.isfinite(rows).all() and (rows >= 0).all()):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (rows.sum(axis=1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        # Gumbel-max as PyTorch does it: argmax/topk of p / q with q ~ Exp(1), q drawn into
        # empty_like(input) (the input's memory order where it is dense)
        with gen.lock:
            u = K.uniform01_f64(gen, rows.size)
        q = K.cast(-K.libm(np.log1p, math.log1p, -u), rows.dtype)
        q = _arrange(q, x.shape, _like_perm(x) if input._device is CPU else None)
        q = q.reshape(rows.shape)
        score = rows / q
        if n == 1:
            idx = np.argmax(score, axis=1)[:, None]
        else:
            from .sorting import topk  # PyTorch's topk: its order among tied scores

            idx = topk(make(np.ascontiguousarray(score), CPU), n)[1]._data
    else:
        idx = _multinomial_replacement(gen, rows, n)
    res = idx.astype(np.int64).reshape(x.shape[:-1] + (n,))
    return _new(res, input._device, False, out)


def _refuse_entry(rows: np.ndarray) -> None:
    """PyTorch's kernel checks entry by entry, row by row: ``p >= 0`` first (NaN fails it:
    "< 0"), then ``isfinite`` (infinity); the first bad entry names the error."""
    flat = rows.reshape(-1)
    with np.errstate(invalid="ignore"):  # NaN compares (bfloat16 warns of them)
        first = int(np.argmax(~(flat >= 0) | np.isinf(flat)))
        what = "< 0" if not flat[first] >= 0 else "= infinity or NaN"
    raise RuntimeError(f"invalid multinomial distribution (encountering probability entry {what})")


def _multinomial_replacement(gen: Generator, rows: np.ndarray, n: int) -> np.ndarray:
    acc = rows.astype(np.float32) if rows.dtype.itemsize < 4 else rows
    with np.errstate(invalid="ignore", over="ignore"):
        cum = np.add.accumulate(acc, axis=1)
        total = cum[:, -1:]
        bad = ~(np.isfinite(rows) & (rows >= 0)).all(axis=1)
        fail = bad | (total[:, 0] <= 0)
    if fail.any():  # PyTorch checks row by row, having sampled the rows before the bad one
        f = int(np.argmax(fail))
        with gen.lock:
            K.uniform01_f64(gen, f * n)
        if bad[f]:
            _refuse_entry(rows[f])
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    cum = cum / total
    cum[:, -1] = 1
    r, k = cum.shape
    with gen.lock:
        u = K.uniform01_f64(gen, r * n)
    # for every draw, count the bins of its row whose cumulative value is below it
    vals = np.concatenate([cum.astype(np.float64).ravel(), u])
    row = np.concatenate([np.repeat(np.arange(r), k), np.repeat(np.arange(r), n)])
    is_cum = np.concatenate([np.ones(r * k, dtype=np.int64), np.zeros(r * n, dtype=np.int64)])
    order = np.lexsort((is_cum, vals, row))
    below = np.cumsum(is_cum[order]) - is_cum[order]
    draws = order >= r * k
    res = np.empty(r * n, dtype=np.int64)
    res[order[draws] - r * k] = below[draws] - row[order[draws]] * k
    return res.reshape(r, n)


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Samples of Poisson distributions with rates ``input`` (PyTorch's CPU stream)."""
    from .sampling_gamma import poisson_values

    return poisson_values(input, generator)


# ------------------------------------------------------------------ methods
def _bernoulli_method(self: Tensor, p: Any = None, *, generator: Generator | None = None) -> Tensor:
    return bernoulli(self, p, generator=generator)


methods(uniform_=uniform_, normal_=normal_, bernoulli_=bernoulli_, exponential_=exponential_,
        geometric_=geometric_, cauchy_=cauchy_, log_normal_=log_normal_, random_=random_,
        bernoulli=_bernoulli_method, multinomial=multinomial, poisson=poisson)
