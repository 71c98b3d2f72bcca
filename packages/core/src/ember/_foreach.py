"""PyTorch's ``torch._foreach_*`` list ops (used by EMA helpers such as timm's ``ModelEmaV3``
and lucidrains' ``ema-pytorch``): each applies one tensor op to every tensor of a list, the
other operands given as one scalar, one tensor, or a list matched element by element.
Out-of-place ops return a tuple; in-place ones return the list they updated.
``ember/__init__`` reaches these names lazily."""

from __future__ import annotations

from typing import Any

_UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1",
          "floor", "frac", "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal",
          "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "sqrt", "tan", "tanh", "trunc")
# foreach name -> tensor method applying it (maximum/minimum take scalars too, as clamps do)
_BINARY = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow",
           "clamp_min": "clamp_min", "clamp_max": "clamp_max", "maximum": "clamp_min",
           "minimum": "clamp_max"}
_TERNARY = ("addcmul", "addcdiv", "lerp")

__all__: list[str] = []


def _check(self: Any, *others: Any) -> None:
    """PyTorch's list checks: a non-empty list, and other lists of the same length."""
    if len(self) == 0:
        raise RuntimeError("Tensor list must have at least one tensor.")
    for o in others:
        if isinstance(o, (list, tuple)) and len(o) != len(self):
            raise RuntimeError("Tensor lists must have the same number of tensors, "
                               f"got {len(self)} and {len(o)}")


def _nth(o: Any, i: int) -> Any:
    """The ``i``-th operand: an element of a list, else the one scalar or tensor itself."""
    return o[i] if isinstance(o, (list, tuple)) else o


def _apply(method: str, self: Any, others: tuple, kwargs: dict, inplace: bool) -> Any:
    """``t.method(*others_i, **kwargs)`` for each tensor ``t`` of ``self``."""
    _check(self, *others)
    outs = tuple(getattr(t, method)(*(_nth(o, i) for o in others), **kwargs)
                 for i, t in enumerate(self))
    return self if inplace else outs


# PyTorch's keyword names of the operands after ``self``, position by position
_OPERAND_NAMES = {"lerp": (("tensors1",), ("weight", "weights")),
                  "addcmul": (("tensor1",), ("tensor2",), ("value", "scalars")),
                  "addcdiv": (("tensor1",), ("tensor2",), ("value", "scalars"))}
_BINARY_NAMES = (("other", "scalar", "scalars", "exponent"),)


def _operands(name: str, others: tuple, kwargs: dict) -> tuple:
    """The operands after ``self`` in order, those given by keyword moved into place."""
    names = _OPERAND_NAMES.get(name, _BINARY_NAMES if name in _BINARY else ())
    others = list(others)
    for aliases in names[len(others):]:
        given = [a for a in aliases if a in kwargs]
        if given:
            others.append(kwargs.pop(given[0]))
    return tuple(others)


def _make(name: str, method: str, inplace: bool) -> Any:
    """The ``_foreach_<name>`` function (``_`` suffixed when in place)."""
    def op(self: Any, *others: Any, **kwargs: Any) -> Any:
        others = _operands(name, others, kwargs)
        if name == "pow" and not isinstance(self, (list, tuple)):  # scalar ** each tensor
            _check(others[0])
            return tuple(t.__rpow__(self) for t in others[0])
        m = method + "_" if inplace else method
        if name in ("addcmul", "addcdiv") and len(others) == 3:  # value(s) as keyword
            vals = others[2]
            _check(self, *others)
            res = tuple(getattr(t, m)(others[0][i], others[1][i], value=_nth(vals, i))
                        for i, t in enumerate(self))
            return self if inplace else res
        return _apply(m, self, others, kwargs, inplace)
    op.__name__ = op.__qualname__ = f"_foreach_{name}" + ("_" if inplace else "")
    op.__doc__ = f"``{method}`` applied to each tensor of a list (``torch.{op.__name__}``)."
    return op


for _n in _UNARY + _TERNARY:
    for _ip in (False, True):
        _f = _make(_n, _n, _ip)
        globals()[_f.__name__] = _f
        __all__.append(_f.__name__)
for _n, _m in _BINARY.items():
    for _ip in (False, True):
        _f = _make(_n, _m, _ip)
        globals()[_f.__name__] = _f
        __all__.append(_f.__name__)


def _foreach_zero_(self: Any) -> Any:
    """Zeroes each tensor of a list in place."""
    _check(self)
    for t in self:
        t.zero_()
    return self


def _foreach_copy_(self: Any, src: Any, non_blocking: bool = False) -> Any:
    """Copies each tensor of ``src`` into the matching tensor of ``self``."""
    _check(self, src)
    for t, s in zip(self, src):
        t.copy_(s)
    return self


def _foreach_clone(self: Any) -> tuple:
    """A copy of each tensor of a list."""
    _check(self)
    return tuple(t.clone() for t in self)


def _foreach_norm(self: Any, ord: float = 2, dtype: Any = None) -> tuple:
    """The vector ``ord``-norm of each tensor of a list, as 0-d tensors."""
    _check(self)
    from . import linalg

    return tuple(linalg.vector_norm(t, ord, dtype=dtype) for t in self)


def _foreach_max(self: Any) -> tuple:
    """The largest element of each tensor of a list."""
    _check(self)
    return tuple(t.max() for t in self)


__all__ += ["_foreach_zero_", "_foreach_copy_", "_foreach_clone", "_foreach_norm",
            "_foreach_max"]
