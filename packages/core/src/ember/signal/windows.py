"""``ember.signal.windows``: torch.signal.windows' window functions (SciPy's definitions),
each with ``sym`` (symmetric, for filter design) or periodic (``sym=False``, for spectral
analysis) forms, and the factory keywords ``dtype``, ``layout``, ``device``,
``requires_grad``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _window(name: str, M: int, dtype: Any, layout: Any, device: Any, requires_grad: bool,
            values: Callable[[np.ndarray], np.ndarray], checks: Callable[[], None] | None = None,
            one: bool = True) -> Any:
    """Checks as PyTorch orders them, then ``values(n)`` over ``n = 0 .. M-1`` (float64)
    as a tensor; ``M`` of 0 gives an empty window, 1 a single one (unless ``one`` is False:
    the formula then applies, as for an exponential window with its centre given)."""
    from .. import dtypes as _dt
    from .. import ops
    from .._tensor import strided

    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and layout is not strided:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    dt = _dt.get_default_dtype() if dtype is None else _dt.to_dtype(dtype)
    if dt.name not in ("float32", "float64"):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dt}")
    if checks is not None:
        checks()
    if M == 0:
        arr = np.zeros(0)
    elif M == 1 and one:
        arr = np.ones(1)
    else:
        arr = values(np.arange(M, dtype=np.float64))
    return ops.tensor(arr, dtype=dt, device=device, requires_grad=requires_grad)


def _span(M: int, sym: bool) -> int:
    """The denominator of the window's phase: M - 1 points apart, or M when periodic."""
    return M - 1 if sym else M


def general_cosine(M: int, *, a: Iterable, sym: bool = True, dtype: Any = None,
                   layout: Any = None, device: Any = None, requires_grad: bool = False) -> Any:
    """``sum_i (-1)^i a_i cos(2 pi i n / N)``: the family of Hann, Hamming, Blackman,
    Nuttall."""
    if not isinstance(a, (list, tuple)):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    coeffs = [float(c) for c in a]

    def values(n: np.ndarray) -> np.ndarray:
        x = 2 * math.pi * n / _span(M, sym)
        return sum((-1) ** i * c * np.cos(i * x) for i, c in enumerate(coeffs))

    return _window("general_cosine", M, dtype, layout, device, requires_grad, values)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True, dtype: Any = None,
                    layout: Any = None, device: Any = None, requires_grad: bool = False) -> Any:
    """``alpha - (1 - alpha) cos(2 pi n / N)``."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
         device: Any = None, requires_grad: bool = False) -> Any:
    """The Hann window (a raised cosine reaching zero at both ends)."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
            device: Any = None, requires_grad: bool = False) -> Any:
    """The Hamming window (alpha = 0.54)."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False) -> Any:
    """The Blackman window: cosine sum with coefficients 0.42, 0.5, 0.08."""
    def values(n: np.ndarray) -> np.ndarray:
        x = 2 * math.pi * n / _span(M, sym)
        return 0.42 - 0.5 * np.cos(x) + 0.08 * np.cos(2 * x)

    return _window("blackman", M, dtype, layout, device, requires_grad, values)


def nuttall(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
            device: Any = None, requires_grad: bool = False) -> Any:
    """Nuttall's minimum 4-term Blackman-Harris window."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
             device: Any = None, requires_grad: bool = False) -> Any:
    """The triangular window ``1 - |2n / N - 1|`` (zero at the ends)."""
    return _window("bartlett", M, dtype, layout, device, requires_grad,
                   lambda n: 1 - np.abs(2 * n / _span(M, sym) - 1))


def cosine(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None,
           device: Any = None, requires_grad: bool = False) -> Any:
    """The sine window ``sin(pi (n + 1/2) / M)`` (``M + 1`` when periodic)."""
    return _window("cosine", M, dtype, layout, device, requires_grad,
                   lambda n: np.sin(math.pi * (n + 0.5) / (M if sym else M + 1)))


def _center(M: int, sym: bool) -> float:
    return (M if not sym and M > 1 else M - 1) / 2


def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True,
                dtype: Any = None, layout: Any = None, device: Any = None,
                requires_grad: bool = False) -> Any:
    """The Poisson window ``exp(-|n - center| / tau)``; ``center`` only for periodic ones."""
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")

    def checks() -> None:
        if tau <= 0:
            raise ValueError(f"Tau must be positive, got: {tau} instead.")

    c = _center(M, sym) if center is None else center
    return _window("exponential", M, dtype, layout, device, requires_grad,
                   lambda n: np.exp(-np.abs(n - c) / tau), checks, one=center is None)


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype: Any = None,
             layout: Any = None, device: Any = None, requires_grad: bool = False) -> Any:
    """``exp(-(n - center)^2 / (2 std^2))``, centred on the window."""
    def checks() -> None:
        if std <= 0:
            raise ValueError(f"Standard deviation must be positive, got: {std} instead.")

    c = _center(M, sym)
    return _window("gaussian", M, dtype, layout, device, requires_grad,
                   lambda n: np.exp(-((n - c) / std) ** 2 / 2), checks)


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype: Any = None,
           layout: Any = None, device: Any = None, requires_grad: bool = False) -> Any:
    """``I0(beta sqrt(1 - (2n / N - 1)^2)) / I0(beta)``."""
    def checks() -> None:
        if beta < 0:
            raise ValueError(f"beta must be non-negative, got: {beta} instead.")

    def values(n: np.ndarray) -> np.ndarray:
        r = 2 * n / _span(M, sym) - 1
        return np.i0(beta * np.sqrt(np.clip(1 - r * r, 0, None))) / np.i0(beta)

    return _window("kaiser", M, dtype, layout, device, requires_grad, values, checks)
