"""digamma and trigamma as PyTorch's CPU kernels evaluate them, in the input's own dtype.

PyTorch computes these in float32 for float32 input (Cephes' recurrence to ``x >= 10``
and asymptotic series for digamma; six recurrence steps and a short series for
trigamma, with the reflection ``pi**2 / sin(pi x)**2`` for ``x < 0.5``), so its values,
including the huge finite ones next to the poles, follow from the same steps in the
same precision. Vectorised: the recurrences run a fixed number of masked steps.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["digamma", "trigamma"]

_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2,
              7.57575757575757575758E-3, -4.16666666666666666667E-3,
              3.96825396825396825397E-3, -8.33333333333333333333E-3,
              8.33333333333333333333E-2)


def _digamma_pos(xp: Any, x: Any) -> Any:
    """digamma on x > 0 (nan and inf pass through): recurrence to 10, then the series."""
    t = x.dtype.type
    acc = xp.zeros_like(x)
    for _ in range(11):  # x > 0 reaches 10 within 11 steps even when x + 1 rounds to 1
        low = x < 10
        acc = xp.where(low, acc - t(1) / x, acc)
        x = xp.where(low, x + t(1), x)
    z = t(1) / (x * x)
    p = xp.zeros_like(x)
    for a in _DIGAMMA_A:
        p = p * z + t(a)
    y = xp.where(x < t(1e17), z * p, t(0))
    out = acc + xp.log(x) - t(0.5) / x - y
    return xp.where(x == 10, acc + t(_PSI_10), out)


def digamma(xp: Any, x: Any) -> Any:
    """PyTorch's calc_digamma: nan at negative integers, -inf/+inf at +0/-0."""
    t = x.dtype.type
    neg = x < 0
    pos = _digamma_pos(xp, xp.where(neg, t(1) - x, xp.where(x == 0, t(1), x)))
    r = xp.fmod(x.astype("float64"), 1.0)  # modf's fraction, in double as PyTorch
    corr = (math.pi / xp.tan(math.pi * r)).astype(x.dtype)
    out = xp.where(neg, pos - corr, pos)
    out = xp.where(neg & (x == xp.trunc(x)), t(math.nan), out)
    return xp.where(x == 0, xp.copysign(t(math.inf), -x), out)


def trigamma(xp: Any, x: Any) -> Any:
    """PyTorch's trigamma: finite (huge) next to the poles, as its sin(pi x) is not 0."""
    t = x.dtype.type
    pi = t(math.pi)
    refl = x < t(0.5)
    s = xp.sin(pi * x)
    acc = xp.where(refl, -(pi * pi) / (s * s), t(0))
    z = xp.where(refl, t(1) - x, x)
    for _ in range(6):
        acc = acc + t(1) / (z * z)
        z = z + t(1)
    ixx = t(1) / (z * z)
    series = t(1) + t(1) / (t(2) * z) + ixx * (t(1 / 6) - ixx * (t(1 / 30) - ixx * t(1 / 42)))
    acc = acc + series / z
    return xp.where(refl, -acc, acc)
