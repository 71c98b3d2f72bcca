"""Pointwise ops: one module that gathers the family's files.

- ``pointwise_unary``: roots, exponentials, logarithms, trigonometry, rounding, sign;
- ``pointwise_binary``: remainders, atan2, min/max, clamp, lerp, addcmul, where;
- ``pointwise_complex``: real, imag, conj, angle, view_as_real / view_as_complex;
- ``special_ops``: erf, gamma and Bessel functions (``ember.special`` has the rest);
- ``softmax``: softmax, log_softmax.
"""

from __future__ import annotations

from . import pointwise_binary, pointwise_complex, pointwise_unary, softmax, special_ops

__all__: list[str] = []
for _m in (pointwise_unary, pointwise_binary, pointwise_complex, special_ops, softmax):
    for _name in _m.__all__:
        globals()[_name] = getattr(_m, _name)
    __all__ += list(_m.__all__)
del _m, _name
