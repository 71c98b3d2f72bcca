"""Zero-preserving elementwise ops on sparse COO tensors (``abs``, ``sqrt``, ``sin``, ``relu``,
``pow`` with a non-zero exponent, ...): applied to the stored values only, so the result keeps
the layout, as PyTorch's sparse kernels do. Non-linear ops coalesce first (``|a + b|`` is not
``|a| + |b|`` for a duplicated index); the in-place ``zero_``/``mul_``/``div_`` edit the values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import sparse_math as _m  # (a module: it may still be loading when this one is)
from .sparse_coo import SparseTensor, _new_sparse, _values_of

__all__: list[str] = []

# op name -> PyTorch's node name; every one maps 0 to 0
_NONLINEAR = {"abs": "AbsBackward0", "sqrt": "SqrtBackward0", "sin": "SinBackward0",
              "tan": "TanBackward0", "tanh": "TanhBackward0", "sinh": "SinhBackward0",
              "asin": "AsinBackward0", "atan": "AtanBackward0", "asinh": "AsinhBackward0",
              "atanh": "AtanhBackward0", "sign": "SignBackward0", "sgn": "SgnBackward0",
              "ceil": "CeilBackward0", "floor": "FloorBackward0", "round": "RoundBackward0",
              "trunc": "TruncBackward0", "frac": "FracBackward0", "expm1": "Expm1Backward0",
              "log1p": "Log1PBackward0", "square": "PowBackward0", "erf": "ErfBackward0",
              "relu": "ReluBackward0", "deg2rad": "Deg2RadBackward0",
              "rad2deg": "Rad2DegBackward0", "erfinv": "ErfinvBackward0"}


def _unary(name: str, node: str) -> Callable:
    def op(self: SparseTensor) -> SparseTensor:
        c = _m.coalesce(self)
        return _m._with_values(c, getattr(_values_of(c), name)(), node, coal=True)

    op.__name__ = name
    op.__doc__ = f"``{name}`` of the stored values (zero stays zero): a sparse result."
    return op


def pow(self: SparseTensor, exponent: Any) -> SparseTensor:  # noqa: A001 - PyTorch's name
    """``self ** exponent`` for a number exponent other than 0 (which would make it dense)."""
    if isinstance(exponent, SparseTensor) or hasattr(exponent, "_data"):
        raise NotImplementedError("pow: a sparse tensor takes only a number exponent")
    if exponent == 0:
        raise RuntimeError("pow: cannot raise to zeroth power on sparse tensor; it would make "
                           "the result tensor dense")
    c = _m.coalesce(self)
    return _m._with_values(c, _values_of(c) ** exponent, "PowBackward0", coal=True)


def zero_(self: SparseTensor) -> SparseTensor:
    """Drop every stored entry (nnz becomes 0), as PyTorch's sparse ``zero_``."""
    xp = self._device._backend.xp
    empty = _new_sparse(xp.zeros((self._ind.shape[0], 0), dtype=self._ind.dtype),
                        xp.zeros((0,) + self._val.shape[1:], dtype=self._val.dtype),
                        self._data.shape, self._device, True)
    self._ind, self._val, self._coal, self._vt = empty._ind, empty._val, True, None
    self._vc[0] += 1
    return self


def _scale_(name: str) -> Callable:
    def op(self: SparseTensor, other: Any) -> SparseTensor:
        if hasattr(other, "_data") and getattr(other, "ndim", 0) != 0:
            raise NotImplementedError(f"{name}: a sparse tensor is scaled in place only by a "
                                      "number or a 0-d tensor")
        from ._inplace import check_inplace

        check_inplace(self, name)
        v = other.item() if hasattr(other, "_data") else other
        self._val = self._val * v if name == "mul_" else self._val / v
        self._vt = None
        self._vc[0] += 1
        return self

    op.__name__ = name
    return op


UNARY = {name: _unary(name, node) for name, node in _NONLINEAR.items()}
for _name, _fn in UNARY.items():
    setattr(SparseTensor, _name, _fn)
SparseTensor.pow = SparseTensor.__pow__ = pow
SparseTensor.zero_ = zero_
SparseTensor.mul_ = _scale_("mul_")
SparseTensor.div_ = _scale_("div_")
