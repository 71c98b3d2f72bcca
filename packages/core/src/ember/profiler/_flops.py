"""Floating-point operation counts of the ops PyTorch's profiler counts (``with_flops``):
matrix products and convolutions (two per multiply-add), elementwise add and mul (one per
output element)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["FLOPS"]


def _shape(x: Any) -> tuple:
    return tuple(x.shape) if hasattr(x, "shape") else ()


def _matmul(args: tuple, kwargs: dict, out: Any) -> int:
    a, b = _shape(args[0]), _shape(args[1]) if len(args) > 1 else _shape(kwargs.get("other"))
    if not a or not b:
        return 0
    k = a[-1]
    return 2 * math.prod(_shape(out)) * k


def _addmm(args: tuple, kwargs: dict, out: Any) -> int:
    a = _shape(args[1]) if len(args) > 1 else _shape(kwargs.get("mat1"))
    return 2 * math.prod(_shape(out)) * (a[-1] if a else 0)


def _linear(args: tuple, kwargs: dict, out: Any) -> int:
    x = _shape(args[0]) if args else _shape(kwargs.get("input"))
    return 2 * math.prod(_shape(out)) * (x[-1] if x else 0)


def _conv(args: tuple, kwargs: dict, out: Any) -> int:
    w = _shape(args[1]) if len(args) > 1 else _shape(kwargs.get("weight"))
    if len(w) < 3:
        return 0
    # weight (C_out, C_in / groups, *kernel): each output element takes C_in/groups * kernel MACs
    return 2 * math.prod(_shape(out)) * math.prod(w[1:])


def _elementwise(args: tuple, kwargs: dict, out: Any) -> int:
    return math.prod(_shape(out))


FLOPS: dict[str, Callable[[tuple, dict, Any], int]] = {
    "aten::mm": _matmul, "aten::matmul": _matmul, "aten::bmm": _matmul,
    "aten::addmm": _addmm, "aten::baddbmm": _addmm, "aten::linear": _linear,
    "aten::conv1d": _conv, "aten::conv2d": _conv, "aten::conv3d": _conv,
    "aten::add": _elementwise, "aten::mul": _elementwise,
}
