"""The op-sample database: ops, sample inputs and dtypes, shared by the PyTorch oracle
tests and the backend conformance suite.

Each entry's ``fn(m, *tensors)`` is written against the PyTorch API, so the same
function runs on ``ember`` and on ``torch``. Samples are NumPy arrays made from a
fixed seed; a backend test turns them into tensors on its device.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["OpInfo", "OPS", "samples", "TIERS"]

FLOATS = ("float32", "float64")
INTS = ("int64",)
TIERS = ("creation", "elementwise", "comparison", "reduction", "matmul", "shape", "indexing")


@dataclass(frozen=True)
class OpInfo:
    name: str
    fn: Callable[..., Any]
    shapes: tuple  # tuples of input shapes, one tuple per sample
    dtypes: tuple = FLOATS
    tier: str = "elementwise"
    differentiable: bool = True
    domain: tuple = (-2.0, 2.0)
    extra: dict = field(default_factory=dict)


def _u(*shapes: tuple) -> tuple:
    return tuple(shapes)


UNARY = _u(((),), ((5,),), ((3, 4),), ((0, 3),), ((2, 3, 4),))
BINARY = _u(((), ()), ((5,), (5,)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((0, 3), (3,)))
POS = (0.2, 2.0)

OPS: tuple[OpInfo, ...] = (
    # elementwise arithmetic
    OpInfo("add", lambda m, a, b: m.add(a, b), BINARY, FLOATS + INTS),
    OpInfo("add_alpha", lambda m, a, b: m.add(a, b, alpha=2), BINARY, FLOATS),
    OpInfo("sub", lambda m, a, b: a - b, BINARY, FLOATS + INTS),
    OpInfo("mul", lambda m, a, b: a * b, BINARY, FLOATS + INTS),
    OpInfo("div", lambda m, a, b: a / b, BINARY, FLOATS, domain=POS),
    OpInfo("div_floor", lambda m, a, b: m.div(a, b, rounding_mode="floor"), BINARY, FLOATS,
           differentiable=False, domain=POS),
    OpInfo("neg", lambda m, a: -a, UNARY, FLOATS + INTS),
    OpInfo("pow_scalar", lambda m, a: a ** 2, UNARY, FLOATS),
    OpInfo("pow_tensor", lambda m, a, b: a ** b, BINARY, FLOATS, domain=POS),
    OpInfo("rsub_scalar", lambda m, a: 3 - a, UNARY, FLOATS + INTS),
    OpInfo("scalar_promotion", lambda m, a: a * 2.5, UNARY, INTS, differentiable=False),
    # pointwise math
    OpInfo("exp", lambda m, a: m.exp(a), UNARY),
    OpInfo("log", lambda m, a: m.log(a), UNARY, domain=POS),
    OpInfo("sqrt", lambda m, a: m.sqrt(a), UNARY, domain=POS),
    OpInfo("tanh", lambda m, a: m.tanh(a), UNARY),
    OpInfo("sigmoid", lambda m, a: m.sigmoid(a), UNARY),
    OpInfo("sin", lambda m, a: m.sin(a), UNARY),
    OpInfo("abs", lambda m, a: m.abs(a), UNARY, FLOATS + INTS, domain=(0.1, 2.0)),
    OpInfo("clamp", lambda m, a: m.clamp(a, -0.5, 0.5), UNARY),
    OpInfo("where", lambda m, a, b: m.where(a > 0, a, b), BINARY),
    # comparisons
    OpInfo("lt", lambda m, a, b: a < b, BINARY, FLOATS + INTS, "comparison", False),
    OpInfo("eq", lambda m, a, b: a == b, BINARY, FLOATS + INTS, "comparison", False),
    OpInfo("maximum", lambda m, a, b: m.maximum(a, b), BINARY, FLOATS, "comparison"),
    # reductions
    OpInfo("sum", lambda m, a: a.sum(), UNARY, FLOATS + INTS, "reduction"),
    OpInfo("sum_dim", lambda m, a: a.sum(-1, keepdim=True), UNARY[1:], FLOATS, "reduction"),
    OpInfo("mean", lambda m, a: a.mean(), UNARY[:3], FLOATS, "reduction"),
    OpInfo("mean_dim", lambda m, a: a.mean(0), UNARY[1:3], FLOATS, "reduction"),
    OpInfo("amax", lambda m, a: a.amax(-1), UNARY[1:3], FLOATS, "reduction"),
    OpInfo("var", lambda m, a: a.var(-1), (((5,),), ((3, 4),)), FLOATS, "reduction"),
    OpInfo("prod", lambda m, a: a.prod(-1), UNARY[1:3], FLOATS, "reduction"),
    OpInfo("cumsum", lambda m, a: a.cumsum(-1), UNARY[1:3], FLOATS, "reduction"),
    # matmul
    OpInfo("matmul", lambda m, a, b: a @ b, (((3, 4), (4, 2)), ((2, 3, 4), (4, 5)),
                                              ((4,), (4,)), ((2, 1, 3, 4), (5, 4, 2))),
           FLOATS, "matmul"),
    OpInfo("mm", lambda m, a, b: m.mm(a, b), (((3, 4), (4, 2)),), FLOATS, "matmul"),
    # shape and views
    OpInfo("reshape", lambda m, a: a.reshape(-1), UNARY, FLOATS + INTS, "shape"),
    OpInfo("transpose", lambda m, a: a.transpose(0, -1) * 1, UNARY[1:], FLOATS, "shape"),
    OpInfo("permute", lambda m, a: a.permute(2, 0, 1) * 1, (((2, 3, 4),),), FLOATS, "shape"),
    OpInfo("unsqueeze", lambda m, a: a.unsqueeze(0), UNARY, FLOATS, "shape"),
    OpInfo("expand", lambda m, a: a.unsqueeze(0).expand(3, *a.shape) * 1, UNARY[:3], FLOATS,
           "shape"),
    OpInfo("cat", lambda m, a, b: m.cat([a, b], 0), (((2, 3), (4, 3)), ((0, 3), (1, 3))),
           FLOATS, "shape"),
    OpInfo("stack", lambda m, a, b: m.stack([a, b], 1), (((2, 3), (2, 3)),), FLOATS, "shape"),
    OpInfo("flatten", lambda m, a: a.flatten(1), (((2, 3, 4),),), FLOATS, "shape"),
    # indexing
    OpInfo("getitem_slice", lambda m, a: a[1:, ::2], (((4, 5),),), FLOATS + INTS, "indexing"),
    OpInfo("getitem_int", lambda m, a: a[1], (((4, 5),),), FLOATS, "indexing"),
    OpInfo("getitem_mask", lambda m, a: a[a > 0], (((4, 5),),), FLOATS, "indexing"),
    OpInfo("index_select", lambda m, a: a.index_select(0, m.tensor([2, 0, 2], device=a.device)),
           (((4, 5),),),
           FLOATS, "indexing"),
    OpInfo("gather", lambda m, a: a.gather(1, m.tensor([[0, 1], [2, 2], [1, 0], [4, 3]],
                                                        device=a.device)),
           (((4, 5),),), FLOATS, "indexing"),
)


def full_profile() -> bool:
    """Whether to run every dtype and shape (``EMBER_FULL_OPDB=1``) or CI's sampled profile."""
    return os.environ.get("EMBER_FULL_OPDB") == "1"


def samples(op: OpInfo, dtype: str, seed: int = 0) -> list[tuple[np.ndarray, ...]]:
    """The sample inputs of ``op`` in ``dtype``, as NumPy arrays."""
    rng = np.random.default_rng(seed)
    lo, hi = op.domain
    out = []
    for shapes in op.shapes:
        arrays = []
        for shape in shapes:
            if dtype in ("int64", "int32"):
                arr = rng.integers(1 if lo > 0 else -5, 6, size=shape).astype(dtype)
            else:
                arr = rng.uniform(lo, hi, size=shape).astype(dtype)
            arrays.append(arr)
        out.append(tuple(arrays))
    return out
