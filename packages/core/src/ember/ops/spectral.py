"""The kernels of ``ember.fft``: discrete Fourier transforms with PyTorch's names, ``norm`` modes and gradients.

The complex transforms are one recorded op each: the adjoint of a DFT is the inverse
transform with the opposite normalisation. A real input's one-sided transform (R2C) is one
op too, so its real bins are exactly real as in PyTorch; the other real-input and
real-output transforms are built from these with differentiable Ember ops (slicing,
conjugate mirroring, ``real``), so their gradients follow from the chain rule.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from .. import dtypes as _dt
from ._autocast import autocast_op
from ._dispatch import Tensor, grad_state, make, quiet, record, renamed, wrap_dim
from ._inplace import _type_name, writes_out
from .shape_join import cat

__all__: list[str] = []  # public through ember.fft

_SWAP = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _norm(norm: str | None) -> str:
    norm = norm or "backward"
    if norm not in _SWAP:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    return norm


def _fft_out(op: str, complex_result: bool, checked: str | None = None) -> Any:
    """``writes_out(op)`` that first refuses, as PyTorch does, an ``out`` of the wrong kind
    (complex for a complex result, floating point for a real one); ``checked``: the name
    PyTorch's message uses (its n-dimensional op for the 2-D ones)."""
    sized = op[-1] in "n2"  # the ops taking a size list ``s``

    def wrap(fn: Any) -> Any:
        inner = writes_out(op)(fn)

        @functools.wraps(fn)
        def with_out(*args: Any, out: Any = None, **kwargs: Any) -> Any:
            if sized:  # PyTorch's parser reads one int ``s`` as a one-element list
                if len(args) > 1:
                    if args[1].__class__ is int:
                        args = (args[0], (args[1],), *args[2:])
                elif kwargs.get("s").__class__ is int:
                    kwargs["s"] = (kwargs["s"],)
            if out is None:
                return fn(*args, **kwargs)
            if (out.dtype.is_complex != complex_result
                    or not (out.dtype.is_complex or out.dtype.is_floating_point)):
                kind = "a complex" if complex_result else "a floating point"
                name = _type_name(out.dtype)
                raise RuntimeError(f"{checked or op} expects {kind} output tensor, but got {name}")
            return inner(*args, out=out, **kwargs)

        return with_out

    return wrap


def _complex(t: Tensor) -> Tensor:
    if t.is_complex():
        return t
    dt = t.dtype
    if dt is _dt.float16 or dt is _dt.bfloat16:
        if t._device.type == "cpu":  # PyTorch's CPU FFT has no half-precision kernel
            raise NotImplementedError(
                f"Unsupported dtype {'Half' if dt is _dt.float16 else 'BFloat16'}")
    return t.to(_dt.complex128 if dt is _dt.float64 else _dt.complex64)


def _resize(t: Tensor, sizes: Sequence[int], dims: Sequence[int]) -> Tensor:
    """Crop or zero-pad ``t`` along ``dims`` to ``sizes`` (the ``n``/``s`` arguments)."""
    for n, d in zip(sizes, dims):
        cur = t.shape[d]
        if n < 1:
            raise RuntimeError(f"Invalid number of data points ({n}) specified")
        if n < cur:
            t = t.narrow(d, 0, n)
        elif n > cur:
            pad_shape = list(t.shape)
            pad_shape[d] = n - cur
            t = cat([t, t.new_zeros(pad_shape)], d)
    return t


def _one_n(n: int | None) -> tuple | None:
    """The ``s`` of a one-dimensional transform's ``n`` (which, unlike ``s``, may not be -1)."""
    if n is None:
        return None
    if n < 1:
        raise RuntimeError(f"Invalid number of data points ({n}) specified")
    return (n,)


def _need_axes(input: Tensor, s: Any, dim: Any, name: str) -> None:
    """The real-to-complex family refuses to transform no axis at all."""
    if (s is not None and len(s) == 0) or (dim is not None and not isinstance(dim, int)
                                           and len(dim) == 0) or \
            (s is None and dim is None and input.ndim == 0):
        raise RuntimeError(f"{name} must transform at least one axis")


def _fft_dim(d: int, ndim: int) -> int:
    """A transform's dim, wrapped with PyTorch's messages (a 0-d input has no dim at all)."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
    return wrap_dim(d, ndim)


def _real_only(input: Tensor, name: str, what: str = "real") -> None:
    """The real-to-complex transforms refuse a complex input with PyTorch's TypeError."""
    if input.is_complex():
        raise TypeError(f"{name} expects a {what} input tensor, but got "
                        f"{_TYPE_NAMES.get(input.dtype.name, input.dtype.name)}")


def _c2c(x: Tensor, dims: tuple[int, ...], norm: str, forward: bool) -> Tensor:
    xp = x._device._backend.xp
    fn = xp.fft.fftn if forward else xp.fft.ifftn
    r = quiet(lambda: fn(x._data, axes=dims, norm=norm))  # infinities: NaN, no warning
    if r.dtype != x._data.dtype:
        r = r.astype(x._data.dtype)
    out = make(r, x._device)
    if grad_state.enabled and x._rg:
        record("FftC2CBackward0", out, (x,),
               lambda g: (_c2c(g, dims, _SWAP[norm], not forward),))
    return out


def _r2c(x: Tensor, dims: tuple[int, ...], norm: str) -> Tensor:
    """The one-sided DFT of a real ``x`` over ``dims`` (the last halved), one graph node: as
    PyTorch's R2C, the bins that are real come out with an exact zero imaginary part."""
    xp = x._device._backend.xp
    r = quiet(lambda: xp.fft.rfftn(x._data, axes=dims, norm=norm))
    ctype = "complex128" if x._data.dtype == xp.float64 else "complex64"
    out = make(r.astype(ctype, copy=False), x._device)
    if grad_state.enabled and x._rg:
        last, n = dims[-1], x._data.shape[dims[-1]]

        def vjp(g: Tensor) -> tuple:
            # the adjoint: zero-fill the dropped half, then the adjoint complex transform
            full = _resize(g, (n,), (last,))
            return (_c2c(full, dims, _SWAP[norm], False).real,)

        record("FftR2CBackward0", out, (x,), vjp)
    return out


def _real_float(t: Tensor) -> Tensor:
    """A real input as the floating dtype its transform runs in (half refused on the CPU)."""
    if t.dtype in (_dt.float16, _dt.bfloat16):
        _complex(t)  # PyTorch's refusal of half precision on the CPU
    return t if t.dtype.is_floating_point else t.to(_dt.get_default_dtype())


def _dims(x: Tensor, s: Sequence[int] | None, dim: Any, default_all: bool) -> tuple[tuple, tuple]:
    if dim is None:
        if s is not None:
            dims = tuple(range(x.ndim - len(s), x.ndim))
        else:
            dims = tuple(range(x.ndim)) if default_all else (x.ndim - 2, x.ndim - 1)
    elif isinstance(dim, int):
        dims = (dim,)
    else:
        dims = tuple(dim)
    if dim is None and s is not None and len(s) > x.ndim:
        raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has {x.ndim} "
                           "dimensions.")
    dims = tuple(_fft_dim(d, x.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("FFT dims must be unique")
    if s is not None and len(s) != len(dims):
        raise RuntimeError("When given, dim and shape arguments must have the same length")
    sizes = tuple(s) if s is not None else tuple(x.shape[d] for d in dims)
    sizes = tuple(x.shape[d] if n == -1 else n for n, d in zip(sizes, dims))
    return dims, sizes


@autocast_op("fft_fftn")
@_fft_out("fftn", True)
def fftn(input: Tensor, s: Sequence[int] | None = None, dim: Any = None,
         norm: str | None = None) -> Tensor:
    """The N-dimensional DFT over ``dim`` (all dims by default)."""
    dims, sizes = _dims(input, s, dim, True)
    return _c2c(_resize(_complex(input), sizes, dims), dims, _norm(norm), True)


@autocast_op("fft_ifftn")
@_fft_out("ifftn", True)
def ifftn(input: Tensor, s: Sequence[int] | None = None, dim: Any = None,
          norm: str | None = None) -> Tensor:
    dims, sizes = _dims(input, s, dim, True)
    return _c2c(_resize(_complex(input), sizes, dims), dims, _norm(norm), False)


@autocast_op("fft_fft")
@_fft_out("fft", True)
def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The one-dimensional DFT along ``dim``."""
    if input.is_complex():
        return fftn(input, _one_n(n), (dim,), norm)
    # a real input: PyTorch's two-sided R2C, the half transform mirrored (exact conjugates)
    d = _fft_dim(dim, input.ndim)
    size = _one_n(n)[0] if n is not None else input.shape[d]
    half = _r2c(_resize(_real_float(input), (size,), (d,)), (d,), _norm(norm))
    return renamed(_hermitian_full(half, d, size), "FftR2CBackward0")


@autocast_op("fft_ifft")
@_fft_out("ifft", True)
def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    if not input.is_complex():  # as PyTorch: the conjugate of the forward transform (-0j at 0)
        return fft(input, n, dim, _SWAP[_norm(norm)]).conj()
    return ifftn(input, _one_n(n), (dim,), norm)


@autocast_op("fft_fft2")
@_fft_out("fft2", True, "fftn")
def fft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
         norm: str | None = None) -> Tensor:
    return fftn(input, s, dim, norm)


@autocast_op("fft_ifft2")
@_fft_out("ifft2", True, "ifftn")
def ifft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Tensor:
    return ifftn(input, s, dim, norm)


@autocast_op("fft_rfftn")
@_fft_out("rfftn", True)
def rfftn(input: Tensor, s: Sequence[int] | None = None, dim: Any = None,
          norm: str | None = None) -> Tensor:
    """The DFT of a real input, keeping the non-redundant half of the last dim."""
    _real_only(input, "rfftn", "real-valued")
    _need_axes(input, s, dim, "rfftn")
    dims, sizes = _dims(input, s, dim, True)
    return _r2c(_resize(_real_float(input), sizes, dims), dims, _norm(norm))


@autocast_op("fft_rfft")
@_fft_out("rfft", True)
def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    _real_only(input, "rfft")
    return rfftn(input, _one_n(n), (dim,), norm)


@autocast_op("fft_rfft2")
@_fft_out("rfft2", True, "rfftn")
def rfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Tensor:
    return rfftn(input, s, dim, norm)


def _hermitian_full(x: Tensor, last: int, n: int) -> Tensor:
    """The full spectrum of a real signal of length ``n`` from its first n//2+1 terms."""
    half = n // 2 + 1
    x = _resize(x, (half,), (last,))
    # the middle terms mirrored and conjugated: X[n-k] = conj(X[k]) for k = 1..n-half
    tail = x.narrow(last, 1, n - half).flip(last).conj()
    return cat([x, tail], last)


@autocast_op("fft_irfftn")
@_fft_out("irfftn", False)
def irfftn(input: Tensor, s: Sequence[int] | None = None, dim: Any = None,
           norm: str | None = None) -> Tensor:
    """The inverse of ``rfftn``: a real output from a half spectrum."""
    _need_axes(input, s, dim, "irfftn")
    dims, sizes = _dims(input, s, dim, True)
    last = dims[-1]
    if s is None or s[-1] == -1:  # the default output length: 2 (m - 1)
        sizes = sizes[:-1] + (_one_n(2 * (input.shape[last] - 1))[0],)
    x = _resize(_complex(input), sizes[:-1], dims[:-1])
    x = ifftn(x, None, dims[:-1], norm) if len(dims) > 1 else x
    full = _hermitian_full(x, last, sizes[-1])
    return renamed(ifftn(full, None, (last,), norm).real, "FftC2RBackward0")


@autocast_op("fft_irfft")
@_fft_out("irfft", False)
def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    return irfftn(input, _one_n(n), (dim,), norm)


@autocast_op("fft_irfft2")
@_fft_out("irfft2", False, "irfftn")
def irfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
           norm: str | None = None) -> Tensor:
    return irfftn(input, s, dim, norm)


@autocast_op("fft_hfft")
@_fft_out("hfft", False)
def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The DFT of a Hermitian-symmetric signal given by its first half: a real output."""
    last = _fft_dim(dim, input.ndim)
    n = _one_n(2 * (input.shape[last] - 1) if n is None else n)[0]
    full = _hermitian_full(_complex(input), last, n)
    return renamed(fftn(full, None, (last,), norm).real, "FftC2RBackward0")


@autocast_op("fft_ihfft")
@_fft_out("ihfft", True)
def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """The inverse of ``hfft``: half of the inverse DFT of a real signal."""
    _real_only(input, "ihfft")
    _fft_dim(dim, input.ndim)
    # as PyTorch: the conjugate of the forward real transform (so -0j where that is real)
    return rfft(input, n, dim, _SWAP[_norm(norm)]).conj()


@writes_out("fftfreq")
def fftfreq(n: int, d: float = 1.0, *, dtype: Any = None, device: Any = None,
            requires_grad: bool = False, **_: Any) -> Tensor:
    """The sample frequencies of an n-point DFT."""
    import numpy as np

    from .creation import tensor

    dt = dtype or _dt.get_default_dtype()
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError("fftfreq requires a floating point or complex dtype")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    with np.errstate(divide="ignore", invalid="ignore"):  # n = 0: PyTorch's empty / [nan]
        f = np.fft.fftfreq(n, d) if n else np.full(int("fftfreq" == "rfftfreq"), np.nan)
    return tensor(f, dtype=dt, device=device, requires_grad=requires_grad)


def _rfft_bins(n: int, d: float) -> Any:
    """PyTorch's ``arange(n / 2 + 1) / (n * d)`` with C++'s truncating division (so a negative
    ``n`` gives its odd results or error, as PyTorch)."""
    import numpy as np

    count = int(n / 2) + 1
    if count < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {count}: [{count}]")
    return np.arange(count) / (n * d)


@writes_out("rfftfreq")
def rfftfreq(n: int, d: float = 1.0, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, **_: Any) -> Tensor:
    import numpy as np

    from .creation import tensor

    dt = dtype or _dt.get_default_dtype()
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError("rfftfreq requires a floating point or complex dtype")
    with np.errstate(divide="ignore", invalid="ignore"):  # n = 0: PyTorch's empty / [nan]
        f = _rfft_bins(n, d) if n else np.full(int("rfftfreq" == "rfftfreq"), np.nan)
    return tensor(f, dtype=dt, device=device, requires_grad=requires_grad)


def fftshift(input: Tensor, dim: Any = None) -> Tensor:
    """Move the zero frequency to the centre (a roll by n//2 along each dim)."""
    dims = tuple(range(input.ndim)) if dim is None else ((dim,) if isinstance(dim, int)
                                                          else tuple(dim))
    dims = tuple(_fft_dim(d, input.ndim) for d in dims)
    return input.roll(tuple(input.shape[d] // 2 for d in dims), dims)


def ifftshift(input: Tensor, dim: Any = None) -> Tensor:
    dims = tuple(range(input.ndim)) if dim is None else ((dim,) if isinstance(dim, int)
                                                          else tuple(dim))
    dims = tuple(_fft_dim(d, input.ndim) for d in dims)
    return input.roll(tuple(-(input.shape[d] // 2) for d in dims), dims)


# ------------------------------------------------------------------ Hermitian n-d transforms
@_fft_out("hfftn", False)
def hfftn(input: Tensor, s: Sequence[int] | None = None, dim: Any = None,
          norm: str | None = None) -> Tensor:
    """The N-dimensional DFT of a Hermitian-symmetric signal given by its half along the last
    of ``dim``: a real output (``irfftn`` of the conjugate, the normalisation swapped)."""
    _need_axes(input, s, dim, "hfftn")
    return irfftn(_complex(input).conj(), s, dim, _SWAP[_norm(norm)])


@_fft_out("hfft2", False, "hfftn")
def hfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
          norm: str | None = None) -> Tensor:
    return hfftn(input, s, dim, norm)


@_fft_out("ihfftn", True)
def ihfftn(input: Tensor, s: Sequence[int] | None = None, dim: Any = None,
           norm: str | None = None) -> Tensor:
    """The inverse of ``hfftn``: the half (along the last of ``dim``) of the inverse DFT of a
    real signal."""
    if input.is_complex():
        raise TypeError(f"Only supports floating-point dtypes, but found: "
                        f"{_TYPE_NAMES.get(input.dtype.name, input.dtype.name)}")
    _need_axes(input, s, dim, "ihfftn")
    # conj_physical: PyTorch resolves the conjugate here (ihfft alone returns a conj view)
    return renamed(rfftn(input, s, dim, _SWAP[_norm(norm)]).conj_physical(), "FftC2CBackward0")


@_fft_out("ihfft2", True, "ihfftn")
def ihfft2(input: Tensor, s: Sequence[int] | None = None, dim: Sequence[int] = (-2, -1),
           norm: str | None = None) -> Tensor:
    return ihfftn(input, s, dim, norm)


_TYPE_NAMES = {"complex64": "ComplexFloat", "complex128": "ComplexDouble",
               "complex32": "ComplexHalf"}
