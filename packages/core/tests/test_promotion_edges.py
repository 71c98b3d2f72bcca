"""Edges of PyTorch's dtype rules that the dtype sweep reaches only in part: integer powers with
negative exponents, Python numbers out of an unsigned type's range, bool operands of
subtraction and rounded division, 0-d complex operands, and conversions of complex tensors."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

import ember
from ember.testing.sweep import Case, T, run_cases


def _neg_exponents(dt: str) -> T:
    return T(dt, (3, 3), "sym", 2)


CASES = [
    # integer ** integer tensor with negative exponents: 1 / base truncated (no error)
    Case("pow(int64 sym, int64 sym)", lambda m, a, b: m.pow(a, b),
         (T("int64", (3, 3), "sym"), _neg_exponents("int64"))),
    Case("pow(int32 sym, int64 0-d -1)", lambda m, a: a ** m.tensor(-1),
         (T("int32", (3, 3), "sym"),)),
    Case("pow(uint8, int64 0-d negative)", lambda m, a: a ** m.tensor(-3),
         (T("uint8", (3, 3), "pos"),)),
    Case("pow(-2, int64 sym)", lambda m, a: m.pow(-2, a), (_neg_exponents("int64"),)),
    Case("pow(int64, -1)", lambda m, a: a ** -1, (T("int64", (3, 3)),)),
    Case("pow(bool, False)", lambda m, a: a ** False, (T("bool", (3, 3)),)),
    Case("pow(True, bool)", lambda m, a: True ** a, (T("bool", (3, 3)),)),
    Case("pow_(bool, True)", lambda m, a: a.pow_(True), (T("bool", (3, 3)),)),
    # Python numbers with unsigned tensors
    Case("uint8 / -3", lambda m, a: a / -3, (T("uint8", (2, 3)),)),
    Case("uint8 / int64 0-d -3", lambda m, a: a / m.tensor(-3), (T("uint8", (2, 3)),)),
    Case("uint8.sub_(-3)", lambda m, a: a.sub_(-3), (T("uint8", (2, 3)),)),
    Case("uint8.mul_(-3)", lambda m, a: a.mul_(-3), (T("uint8", (2, 3)),)),
    Case("full(uint8, -255)", lambda m: m.full((2,), -255, dtype=m.uint8), ()),
    Case("full(uint8, -256)", lambda m: m.full((2,), -256, dtype=m.uint8), ()),
    Case("full(int32, 2**40)", lambda m: m.full((2,), 2 ** 40, dtype=m.int32), ()),
    Case("full(float16, 1e6)", lambda m: m.full((2,), 1e6, dtype=m.float16), ()),
    Case("full(float16, inf)", lambda m: m.full((2,), float("inf"), dtype=m.float16), ()),
    Case("full(uint8, 2.5)", lambda m: m.full((2,), 2.5, dtype=m.uint8), ()),
    Case("full(float32, 1+0j)", lambda m: m.full((2,), 1 + 0j, dtype=m.float32), ()),
    Case("new_full(int64, 1.5j)", lambda m, a: a.new_full((2,), 1.5j), (T("int64", (2,)),)),
    # bool operands
    Case("int64 - True", lambda m, a: a - True, (T("int64", (2, 3)),)),
    Case("True - float32", lambda m, a: True - a, (T("float32", (2, 3)),)),
    Case("rsub(bool, 1, alpha=2)", lambda m, a: m.rsub(a, 1, alpha=2), (T("bool", (2, 3)),)),
    Case("int64.sub_(bool)", lambda m, a, b: a.sub_(b), (T("int64", (2, 3)), T("bool", (3,)))),
    Case("bool // bool 0-d", lambda m, a, b: a // b, (T("bool", (2, 3)), T("bool", ()))),
    Case("int64 // True", lambda m, a: a // True, (T("int64", (2, 3)),)),
    Case("floor_divide(True, int64)", lambda m, a: m.floor_divide(True, a),
         (T("int64", (2, 3), "pos"),)),
    Case("div(complex64, 2, trunc)", lambda m, a: m.div(a, 2, rounding_mode="trunc"),
         (T("complex64", (2, 3)),)),
    # a 0-d complex operand keeps the size of a dimensioned float operand
    Case("float64 * complex64 0-d", lambda m, a, b: a * b,
         (T("float64", (2, 3)), T("complex64", ()))),
    Case("float32 0-d + 1j", lambda m, a: a + 1j, (T("float64", ()),)),
    Case("int32 * complex64 0-d", lambda m, a, b: a * b,
         (T("int32", (2, 3)), T("complex64", ()))),
    Case("result_type(float64, complex64 0-d)", lambda m, a, b: m.result_type(a, b),
         (T("float64", (2, 3)), T("complex64", ()))),
    # bfloat16 with Python numbers
    Case("bfloat16 * 2.5", lambda m, a: a * 2.5, (T("bfloat16", (2, 3)),)),
    Case("2.5 - bfloat16", lambda m, a: 2.5 - a, (T("bfloat16", (2, 3)),)),
    # dims
    Case("sum(dim=(1, 0, -2))", lambda m, a: a.sum((1, 0, -2)), (T("float32", (2, 3, 4)),)),
    Case("size(-1) of 0-d", lambda m, a: a.size(-1), (T("float32", ()),)),
    Case("softmax(dim=3)", lambda m, a: a.softmax(3), (T("float32", (2, 3)),)),
    # complex arguments
    Case("complex(float32, float64)", lambda m, a, b: m.complex(a, b),
         (T("float32", (2,)), T("float64", (2,)))),
    Case("polar(int64, int64)", lambda m, a, b: m.polar(a, b), (T("int64", (2,)), T("int64", (2,)))),
    Case("lerp(float32, float32, 2+0j)", lambda m, a, b: m.lerp(a, b, 2 + 0j),
         (T("float32", (2,)), T("float32", (2,), seed=1))),
    Case("lerp(float64, float64, 1j)", lambda m, a, b: m.lerp(a, b, 1j),
         (T("float64", (2,)), T("float64", (2,), seed=1))),
    Case("ldexp(float32, bool)", lambda m, a, b: m.ldexp(a, b), (T("float32", (2,)), T("bool", (2,)))),
    Case("dist(int64, bool)", lambda m, a, b: m.dist(a, b), (T("int64", (2,)), T("bool", (2,)))),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_pytorch(case: Case, torch: Any) -> None:
    bad = run_cases([case], torch, ember)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("fn", ["int", "float", "complex", "bool"])
@pytest.mark.parametrize("value", [1.5 + 0.5j, 2 - 0j])
def test_python_conversions_of_complex(torch: Any, fn: str, value: complex) -> None:
    case = Case(f"{fn}({value})", lambda m, v: getattr(builtins, fn)(m.tensor(v)), (value,))
    bad = run_cases([case], torch, ember)
    assert not bad, "\n".join(bad)
