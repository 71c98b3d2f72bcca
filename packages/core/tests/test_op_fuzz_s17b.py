"""Differences a second differential-fuzzing round (ember vs torch, same inputs) found in
core ops: strict ``out=`` dtypes (max/min/sort/topk/argmax/gather/nonzero/where/index_select/
matmul/cat...), index_select's bounds errors, scatter_reduce('mean') on bool, integer
``dtype=`` results refusing autograd, function forms refusing a number for a tensor, complex
addcdiv by zero, mask writes out of a dtype's range, factories' ``out=`` keeping its shape,
and ``mode`` on slices with NaN. Each case runs on PyTorch and on Ember and compares results,
exceptions (type, and message where PyTorch's is not an argument-parser one) and outs."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest
from _fuzz_cases import check_cases as _check
from _fuzz_cases import warnings_of

import ember
from ember.testing.sweep import Case, T


def _e(m: Any, dtype: str = "float32", shape: tuple = (0,)) -> Any:
    return m.empty(shape, dtype=getattr(m, dtype))


# ------------------------------------------------------------------ out= dtypes
F32, F64, I64, I32 = T("float32", (2, 3), "sym"), T("float64", (2, 3), "sym"), \
    T("int64", (2, 3), "sym"), T("int32", (2, 3))
OUT_DTYPES = [
    Case("max(dim) values out float64", lambda m, a: m.max(a, 0, out=(_e(m, "float64"),
                                                                     _e(m, "int64"))), (F32,)),
    Case("max(dim) indices out int32", lambda m, a: m.max(a, 1, out=(_e(m), _e(m, "int32"))),
         (F32,)),
    Case("min(dim) values out, shape 7", lambda m, a: m.min(a, 0, out=(
        _e(m, "float64", (7,)), _e(m, "int64"))), (F32,)),
    Case("min(dim) out ok", lambda m, a: (lambda o: (m.min(a, 0, out=o), o))(
        (_e(m, "int64", (3,)), _e(m, "int64", (3,)))), (I64,)),
    Case("sort values out", lambda m, a: m.sort(a, out=(_e(m, "float64"), _e(m, "int64"))),
         (F32,)),
    Case("sort indices out", lambda m, a: m.sort(a, out=(_e(m), _e(m, "int32", (5,)))), (F32,)),
    Case("sort out ok", lambda m, a: (lambda o: (m.sort(a, 0, out=o), o))(
        (_e(m), _e(m, "int64"))), (F32,)),
    Case("argsort(stable) out float", lambda m, a: m.argsort(a, stable=True, out=_e(m)), (F32,)),
    Case("msort out float64", lambda m, a: m.msort(a, out=_e(m, "float64")), (F32,)),
    Case("msort out ok", lambda m, a: (lambda o: (m.msort(a, out=o), o))(_e(m)), (F32,)),
    Case("topk values out", lambda m, a: m.topk(a, 2, out=(_e(m, "float64"), _e(m, "int64"))),
         (F32,)),
    Case("topk indices out", lambda m, a: m.topk(a, 2, out=(_e(m), _e(m, "int32"))), (F32,)),
    Case("kthvalue values out", lambda m, a: m.kthvalue(a, 1, out=(_e(m, "float64"),
                                                                  _e(m, "int64"))), (F32,)),
    Case("kthvalue indices out", lambda m, a: m.kthvalue(a, 1, out=(_e(m), _e(m, "int32"))),
         (F32,)),
    Case("mode values out", lambda m, a: m.mode(a, out=(_e(m, "float64"), _e(m, "int64"))),
         (F32,)),
    Case("mode indices out", lambda m, a: m.mode(a, out=(_e(m), _e(m, "int32"))), (F32,)),
    Case("median(dim) both outs wrong: indices first", lambda m, a: m.median(
        a, 0, out=(_e(m, "float64"), _e(m, "int32"))), (F32,)),
    Case("median(dim) values out", lambda m, a: m.median(a, 0, out=(_e(m, "float64"),
                                                                   _e(m, "int64"))), (F32,)),
    Case("nanmedian(dim) values out", lambda m, a: m.nanmedian(a, 0, out=(
        _e(m, "int64"), _e(m, "int64"))), (F32,)),
    Case("amax out float64", lambda m, a: m.amax(a, 0, out=_e(m, "float64", (7,))), (F32,)),
    Case("amin out of int64 input", lambda m, a: m.amin(a, 0, out=_e(m, "float64")), (I64,)),
    Case("amax out ok", lambda m, a: (lambda o: (m.amax(a, 1, out=o), o))(_e(m)), (F32,)),
    Case("argmax out float", lambda m, a: m.argmax(a, out=_e(m)), (F32,)),
    Case("argmin(dim) out int32", lambda m, a: m.argmin(a, 0, out=_e(m, "int32", (7,))), (F32,)),
    Case("argmax out ok", lambda m, a: (lambda o: (m.argmax(a, 1, out=o), o))(_e(m, "int64")),
         (F32,)),
    Case("aminmax out", lambda m, a: m.aminmax(a, out=(_e(m, "float64"), _e(m))), (F32,)),
    Case("gather out float64", lambda m, a: m.gather(a, 0, m.zeros(2, 3, dtype=m.int64),
                                                      out=_e(m, "float64")), (F32,)),
    Case("gather out ok, resized", lambda m, a: (lambda o: (m.gather(
        a, 1, m.zeros(2, 2, dtype=m.int64), out=o), o))(_e(m, "float32", (7,))), (F32,)),
    Case("nonzero out float", lambda m, a: m.nonzero(a, out=_e(m)), (F32,)),
    Case("nonzero out int32", lambda m, a: m.nonzero(a, out=_e(m, "int32", (3,))), (F32,)),
    Case("nonzero out ok", lambda m, a: (lambda o: (m.nonzero(a, out=o), o))(
        _e(m, "int64", (7,))), (F32,)),
    Case("where out float64", lambda m, a: m.where(a > 0, a, a, out=_e(m, "float64")), (F32,)),
    Case("where promoted out", lambda m, a, b: m.where(a > 0, a, b, out=_e(m)), (F32, F64)),
    Case("where(number) with out", lambda m, a: m.where(a > 0, a, 2.0, out=_e(m)), (F32,)),
    Case("where out ok", lambda m, a: (lambda o: (m.where(a > 0, a, -a, out=o), o))(_e(m)),
         (F32,)),
    Case("index_select out float64", lambda m, a: m.index_select(
        a, 0, m.tensor([0, 0]), out=_e(m, "float64")), (F32,)),
    Case("index_select out resized from 0-d", lambda m, a: (lambda o: (m.index_select(
        a, 1, m.tensor([2, 0]), out=o), o))(_e(m, "float32", ())), (F32,)),
    Case("index_select out resized from (7,)", lambda m, a: (lambda o: (m.index_select(
        a, 0, m.tensor([1]), out=o), o))(_e(m, "float32", (7,))), (F32,)),
    Case("mm out float64", lambda m, a: m.mm(a, a.mT, out=_e(m, "float64")), (F32,)),
    Case("mm mixed, out of input's dtype", lambda m, a, b: m.mm(a, b.mT, out=_e(m)), (F32, F64)),
    Case("mm mixed, out of other's dtype", lambda m, a, b: m.mm(a, b.mT, out=_e(m, "float64")),
         (F32, F64)),
    Case("mm bad shapes before the out dtype", lambda m, a: m.mm(a, a, out=_e(m, "float64")),
         (F32,)),
    Case("matmul vector out", lambda m, a: m.matmul(a[0], a[1], out=_e(m, "float64")), (F32,)),
    Case("matmul vector mixed", lambda m, a, b: m.matmul(a[0], b[1], out=_e(m, "float64")),
         (F32, F64)),
    Case("matmul matrix-vector out", lambda m, a: m.matmul(a, a[0], out=_e(m, "float64")),
         (F32,)),
    Case("matmul batched out: the second operand's dtype", lambda m, a, b: m.matmul(
        a[None], b.mT[None], out=_e(m)), (F32, F64)),
    Case("matmul batched mixed, out of the second's dtype", lambda m, a, b: m.matmul(
        a[None], b.mT[None], out=_e(m, "float64")), (F32, F64)),
    Case("bmm out: the second operand's dtype", lambda m, a, b: m.bmm(
        a[None], b.mT[None], out=_e(m)), (F32, F64)),
    Case("bmm mixed without out", lambda m, a, b: m.bmm(a[None], b.mT[None]), (F32, F64)),
    Case("matmul 3-D by 2-D bad shapes", lambda m, a: m.matmul(a[None], a), (F32,)),
    Case("matmul out ok", lambda m, a: (lambda o: (m.matmul(a, a.mT, out=o), o))(_e(m)), (F32,)),
    Case("cat float into int64 out", lambda m, a: m.cat([a, a], out=_e(m, "int64")), (F32,)),
    Case("cat int into bool out", lambda m, a: m.cat([a, a], out=_e(m, "bool")), (I64,)),
    Case("cat complex into float out", lambda m, a: m.cat([a], out=_e(m, "float64")),
         (T("complex64", (2, 3)),)),
    Case("stack float into int64 out (7,)", lambda m, a: m.stack([a, a], out=_e(
        m, "int64", (7,))), (F32,)),
    Case("cat int into float out ok", lambda m, a: (lambda o: (m.cat([a, a], 1, out=o), o))(
        _e(m, "float16")), (I64,)),
    Case("hstack float into int out", lambda m, a: m.hstack([a, a], out=_e(m, "int64")), (F32,)),
]


@pytest.mark.parametrize("case", OUT_DTYPES, ids=[c.id for c in OUT_DTYPES])
def test_out_dtype_checks(torch: Any, case: Case) -> None:
    _check(torch, case)


def _rg(m: Any, a: Any) -> Any:
    return a.clone().requires_grad_()


OUT_GRAD = [
    Case("sort out, input requires grad", lambda m, a: m.sort(_rg(m, a), out=(
        _e(m, "float64"), _e(m, "int64"))), (F64,)),
    Case("max(dim) out, input requires grad", lambda m, a: m.max(_rg(m, a), 0, out=(
        _e(m), _e(m, "int64"))), (F64,)),
    Case("amax out, input requires grad", lambda m, a: m.amax(_rg(m, a), 0, out=_e(m)), (F64,)),
    Case("argmax out, input requires grad: dtype first", lambda m, a: m.argmax(
        _rg(m, a), out=_e(m, "float64")), (F64,)),
    Case("gather out, input requires grad", lambda m, a: m.gather(
        _rg(m, a), 0, m.zeros(1, 3, dtype=m.int64), out=_e(m, "int64")), (F64,)),
    Case("index_select out, input requires grad", lambda m, a: m.index_select(
        _rg(m, a), 0, m.tensor([0]), out=_e(m, "float64")), (F64,)),
    Case("where out, input requires grad", lambda m, a: m.where(
        a > 0, _rg(m, a), a, out=_e(m, "float64")), (F64,)),
    Case("cat out, input requires grad", lambda m, a: m.cat([_rg(m, a)], out=_e(m, "int64")),
         (F64,)),
    Case("mm out, input requires grad", lambda m, a: m.mm(_rg(m, a), a.mT, out=_e(m, "int64")),
         (F64,)),
    Case("matmul out, input requires grad", lambda m, a: m.matmul(
        _rg(m, a), a.mT, out=_e(m, "float64")), (F64,)),
]


@pytest.mark.parametrize("case", OUT_GRAD, ids=[c.id for c in OUT_GRAD])
def test_out_refused_when_a_graph_is_needed(torch: Any, case: Case) -> None:
    _check(torch, case)


# ------------------------------------------------------------------ index_select bounds
SELECT_BOUNDS = [((2, 4), 1, [-1]), ((2, 4), 1, [4]), ((2, 4), 0, [2]), ((2, 4), 0, [-1]),
                 ((3, 4, 5), 2, [5, 7]), ((3, 4, 5), 1, [0, -2]), ((3, 4, 5), -2, [9]),
                 ((3, 4, 5), -1, [9]), ((2, 4), 1, [0, 9, -3]), ((4,), 0, [4]), ((), 0, [1]),
                 ((2, 0), 1, [0]), ((0, 4), 0, [0]), ((0, 4), 1, [5]), ((2, 0, 3), 1, [1]),
                 ((2, 0), 1, [])]


@pytest.mark.parametrize("dtype", ["float32", "bool", "complex64", "int64"])
@pytest.mark.parametrize("shape,dim,index", SELECT_BOUNDS,
                         ids=[f"{s}-{d}-{i}" for s, d, i in SELECT_BOUNDS])
def test_index_select_out_of_range(torch: Any, dtype: str, shape: tuple, dim: int,
                                   index: list) -> None:
    _check(torch, Case("index_select", lambda m, a: m.index_select(
        a, dim, m.tensor(index, dtype=m.int64)), (T(dtype, shape),)))


def test_index_select_out_of_range_non_contiguous(torch: Any) -> None:
    _check(torch, Case("index_select(t(), 1)", lambda m, a: m.index_select(
        a.t(), 1, m.tensor([1, 4], dtype=m.int32)), (T("float32", (4, 2)),)))


# ------------------------------------------------------------------ scatter_reduce on bool
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_bool(torch: Any, reduce: str, include_self: bool) -> None:
    _check(torch, Case(f"scatter_reduce {reduce}", lambda m, a, s: a.scatter_reduce(
        0, m.tensor([0, 1, 0]), s, reduce, include_self=include_self),
        (T("bool", (3,)), T("bool", (3,), seed=1))))


# ------------------------------------------------------------------ integer dtype= and autograd
GRAD_DTYPE = [(op, dt, dim) for op in ("sum", "prod", "nansum") for dt in ("int64", "bool",
                                                                           "float64")
              for dim in (None, 0)] + [(op, dt, 0) for op in ("cumsum", "cumprod")
                                       for dt in ("int64", "int32", "float64")]


@pytest.mark.parametrize("op,dtype,dim", GRAD_DTYPE, ids=[f"{o}-{d}-{k}" for o, d, k in
                                                          GRAD_DTYPE])
def test_integer_dtype_result_refuses_autograd(torch: Any, op: str, dtype: str, dim: Any
                                               ) -> None:
    def f(m: Any, a: Any) -> Any:
        x = a.clone().requires_grad_()
        args = () if dim is None else (dim,)
        return getattr(m, op)(x, *args, dtype=getattr(m, dtype))

    _check(torch, Case(f"{op}(dtype={dtype})", f, (T("float32", (3,)),)))


def test_integer_dtype_result_without_grad_mode(torch: Any) -> None:
    def f(m: Any, a: Any) -> Any:
        with m.no_grad():
            return m.cumprod(a.clone().requires_grad_(), 0, dtype=m.int64), \
                m.sum(a.clone().requires_grad_(), dtype=m.int64)

    _check(torch, Case("no_grad", f, (T("float32", (4,)),)))


# ------------------------------------------------------------------ numbers for tensors
def _num_cases() -> list[Case]:
    x, xi = T("float32", (3,)), T("int64", (3,))
    cases = []
    for op in ("atan2", "arctan2", "hypot", "copysign", "nextafter", "fmod", "ldexp",
               "logaddexp", "logaddexp2", "fmax", "fmin", "maximum", "minimum", "igamma",
               "heaviside", "logical_and", "logical_xor", "eq", "lt", "ne", "ge", "dist",
               "rsub", "remainder", "xlogy", "float_power", "bitwise_and", "gcd", "lcm"):
        a = xi if op in ("gcd", "lcm", "bitwise_and") else x
        cases.append(Case(f"{op}(tensor, 2)", lambda m, t, op=op: getattr(m, op)(t, 2), (a,)))
        cases.append(Case(f"{op}(2, tensor)", lambda m, t, op=op: getattr(m, op)(2, t), (a,)))
        cases.append(Case(f"{op}(tensor, 2.5)", lambda m, t, op=op: getattr(m, op)(t, 2.5),
                          (a,)))
    for op in ("addcmul", "addcdiv"):
        cases += [Case(f"{op}(t, 2, t)", lambda m, t, op=op: getattr(m, op)(t, 2, t), (x,)),
                  Case(f"{op}(t, t, 2)", lambda m, t, op=op: getattr(m, op)(t, t, 2), (x,)),
                  Case(f"{op}(2, t, t)", lambda m, t, op=op: getattr(m, op)(2, t, t), (x,)),
                  Case(f"t.{op}(2, t)", lambda m, t, op=op: getattr(t, op)(2, t), (x,))]
    cases += [Case("lerp(t, 2, 0.5)", lambda m, t: m.lerp(t, 2, 0.5), (x,)),
              Case("lerp(2, t, 0.5)", lambda m, t: m.lerp(2, t, 0.5), (x,)),
              Case("bucketize(t, 2)", lambda m, t: m.bucketize(t, 2), (x,))]
    return cases


NUMBERS = _num_cases()


@pytest.mark.parametrize("case", NUMBERS, ids=[c.id for c in NUMBERS])
def test_function_forms_refuse_numbers_for_tensors(torch: Any, case: Case) -> None:
    _check(torch, case)


@pytest.mark.parametrize("op", ["atan2", "arctan2", "nextafter", "hypot", "logical_and", "eq",
                                "addcmul", "copysign", "lerp"])
def test_number_refusals_are_type_errors_naming_the_op(op: str) -> None:
    x = ember.tensor([1.0, 2.0])
    args = {"addcmul": (x, 2, x), "lerp": (2, x, 0.5)}.get(op, (2, x))
    with pytest.raises(TypeError, match=rf"^{op}\(\)"):
        getattr(ember, op)(*args)


# ------------------------------------------------------------------ complex addcdiv / addcmul
def _cplx(m: Any) -> Any:
    return m.tensor([1 + 1j, 1 + 0j, 0j, 1j, -1 + 2j, float("inf")], dtype=m.complex64)


ADDC = [
    Case("addcdiv(float64, complex, int64 zeros)", lambda m: m.addcdiv(
        m.zeros(6, dtype=m.float64), _cplx(m), m.zeros(6, dtype=m.int64))),
    Case("addcdiv(complex, complex, 0j, value)", lambda m: m.addcdiv(
        m.zeros(6, dtype=m.complex64), _cplx(m), m.zeros(6, dtype=m.complex64), value=2 - 1j)),
    Case("addcdiv complex128 by zero", lambda m: m.addcdiv(
        m.ones(6, dtype=m.complex128), _cplx(m).to(m.complex128),
        m.zeros(6, dtype=m.complex128), value=3)),
    Case("addcmul complex with inf", lambda m: m.addcmul(
        m.zeros(6, dtype=m.complex64), _cplx(m), _cplx(m) + 1, value=2)),
    Case("addcmul complex, value 1", lambda m: m.addcmul(
        m.ones(6, dtype=m.complex64), _cplx(m), _cplx(m) * 1j)),
]


@pytest.mark.parametrize("case", ADDC, ids=[c.id for c in ADDC])
def test_complex_addcdiv_addcmul_special_values(torch: Any, case: Case) -> None:
    _check(torch, case)


def test_complex_addcdiv_gradient_matches_torch(torch: Any) -> None:
    def f(m: Any) -> tuple:
        dt = m.complex128
        a = m.tensor([1 + 2j, -0.5j], dtype=dt, requires_grad=True)
        b = m.tensor([0.5 - 1j, 2 + 1j], dtype=dt, requires_grad=True)
        c = m.tensor([1.5 + 0.5j, -1 + 1j], dtype=dt, requires_grad=True)
        r = m.addcdiv(a, b, c, value=0.7) + m.addcmul(a, b, c, value=-1.5)
        r.abs().sum().backward()
        return r, a.grad, b.grad, c.grad

    _check(torch, Case("complex addcdiv/addcmul grads", f))


# ------------------------------------------------------------------ mask writes out of range
SET_VALUES = ["t(-1.5)", "t(300)", "t(1e6)", "t(1+1j)", "t([-1.5])", "t(-1)", "t64(1e40)",
              "t(nan)", "t(inf)", "-1.5", "300", "1e6", "(1+1j)"]


def _value(m: Any, spec: str) -> Any:
    if spec.startswith("t64("):
        return m.tensor(float(spec[4:-1]), dtype=m.float64)
    if spec.startswith("t("):
        inner = spec[2:-1]
        v = eval(inner, {"nan": float("nan"), "inf": float("inf")})  # noqa: S307 - test literals
        return m.tensor(v)
    return eval(spec)  # noqa: S307 - test literals


@pytest.mark.parametrize("key", ["mask", "index", "slice"])
@pytest.mark.parametrize("value", SET_VALUES)
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "float16", "bfloat16", "bool"])
def test_setitem_value_out_of_dtype_range(torch: Any, dtype: str, value: str, key: str) -> None:
    def f(m: Any) -> Any:
        x = m.zeros(3, dtype=getattr(m, dtype))
        k = {"mask": m.tensor([True, False, True]), "index": m.tensor([0, 2]),
             "slice": slice(0, 2)}[key]
        x[k] = _value(m, value)
        return x

    _check(torch, Case(f"x[{key}] = {value}", f))


@pytest.mark.parametrize("shape", [(), (1,), (2,), (2, 3)])
@pytest.mark.parametrize("dtype,value", [("float16", 1e6), ("bfloat16", 1e40), ("float32", 1e40),
                                         ("uint8", 300), ("int8", -1.5), ("float16", 10**6)])
def test_fill_out_of_range_by_element_count(torch: Any, shape: tuple, dtype: str, value: Any
                                            ) -> None:
    _check(torch, Case("full", lambda m: m.full(shape, value, dtype=getattr(m, dtype))),
           Case("fill_", lambda m: m.zeros(shape, dtype=getattr(m, dtype)).fill_(value)),
           Case("new_full", lambda m: m.zeros(1, dtype=getattr(m, dtype)).new_full(shape, value)),
           Case("masked_fill", lambda m: m.zeros(shape, dtype=getattr(m, dtype)).masked_fill(
               m.ones(shape, dtype=m.bool), value)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            ember.full(shape, value, dtype=getattr(ember, dtype))
        except RuntimeError:
            pass


# ------------------------------------------------------------------ factories' out= shape
@pytest.mark.parametrize("shape", [(1, 5), (5, 1), (5,), (0,), (2, 3), (6,), ()])
@pytest.mark.parametrize("dtype", ["float32", "int64", "float16"])
@pytest.mark.parametrize("op", ["arange", "linspace", "logspace", "range"])
def test_factory_out_keeps_shape_when_count_matches(torch: Any, op: str, dtype: str,
                                                    shape: tuple) -> None:
    call = {"arange": lambda m, o: m.arange(0, 5, out=o),
            "linspace": lambda m, o: m.linspace(0, 4, 5, out=o),
            "logspace": lambda m, o: m.logspace(0, 2, 5, out=o),
            "range": lambda m, o: m.range(0, 4, out=o)}[op]

    def f(m: Any) -> Any:
        o = m.zeros(shape, dtype=getattr(m, dtype))
        call(m, o)
        return o

    _check(torch, Case(f"{op} out {shape}", f))

    def warned(m: Any) -> list:
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            f(m)
        return sorted((w.category.__name__, re.sub(r" \(Triggered internally.*", "",
                                                   str(w.message))) for w in got)

    assert warned(ember) == warned(torch)


# ------------------------------------------------------------------ mode with NaN
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_mode_with_nan_matches_torch(torch: Any, dtype: str) -> None:
    rng = np.random.default_rng(7)
    bad = []
    for _ in range(200):
        n, r = int(rng.integers(1, 17)), int(rng.integers(1, 4))
        a = rng.integers(-2, 3, (r, n)).astype(np.float64)
        a[rng.random((r, n)) < rng.random() * 0.6] = np.nan
        dim = int(rng.integers(0, 2))
        a = a if dim == 1 else np.ascontiguousarray(a.T)
        tv, ti = torch.mode(torch.tensor(a).to(getattr(torch, dtype)), dim)
        ev, ei = ember.mode(ember.tensor(a).to(getattr(ember, dtype)), dim)
        if not (np.array_equal(tv.double().numpy(), ev.double().numpy(), equal_nan=True)
                and np.array_equal(ti.numpy(), ei.numpy())):
            bad.append((a.tolist(), dim, tv.tolist(), ti.tolist(), ev.tolist(), ei.tolist()))
    assert not bad, bad[:3]


def test_mode_with_nan_examples(torch: Any) -> None:
    nan = float("nan")
    rows = [[nan, -3.0], [nan, nan, 1.0], [nan, nan, 1.0, 1.0], [1.0, nan, nan, 1.0, 2.0, 2.0],
            [nan], [3.0, nan, 2.0, nan]]
    _check(torch, *[Case(f"mode {r}", lambda m, r=r: m.mode(m.tensor(r))) for r in rows],
           Case("mode column", lambda m: m.mode(m.tensor([[nan], [-3.0]]), 0)),
           Case("mode keepdim 3-D", lambda m: m.mode(m.tensor(
               [[[nan, 1.0], [1.0, nan]], [[2.0, 2.0], [nan, nan]]]), 1, True)))


# ------------------------------------------------------------------ more out= semantics
OUT_MORE = [
    Case("cumsum float into int64 out", lambda m, a: (lambda o: (m.cumsum(a, 0, out=o), o))(
        _e(m, "int64", (6,))), (T("float32", (6,), "sym"),)),
    Case("cumprod float into int64 out", lambda m, a: (lambda o: (m.cumprod(a, 0, out=o), o))(
        _e(m, "int64", (4,))), (T("float64", (4,), "sym"),)),
    Case("cumsum into bool out", lambda m, a: m.cumsum(a, 0, out=_e(m, "bool", (3,))),
         (T("int64", (3,)),)),
    Case("sum float into int64 out", lambda m, a: (lambda o: (m.sum(a, 0, out=o), o))(
        _e(m, "int64", (3,))), (T("float32", (2, 3), "sym"),)),
    Case("prod float into int64 out", lambda m, a: (lambda o: (m.prod(a, 1, out=o), o))(
        _e(m, "int64", (2,))), (T("float32", (2, 3), "sym"),)),
    Case("prod complex into float64 out", lambda m, a: (lambda o: (m.prod(a, 0, out=o), o))(
        _e(m, "float64", (3,))), (T("complex64", (2, 3), "sym"),)),
    Case("arange into bool out", lambda m: m.arange(0, 5, out=_e(m, "bool", (5,)))),
    Case("linspace into bool out", lambda m: m.linspace(0, 1, 5, out=_e(m, "bool", (5,)))),
    Case("logspace into bool out", lambda m: m.logspace(0, 1, 5, out=_e(m, "bool", (5,)))),
    Case("bitwise_and float into int64 out", lambda m, a: m.bitwise_and(
        a, a, out=_e(m, "int64")), (F32,)),
    Case("bitwise_or complex into float16 out", lambda m, a: m.bitwise_or(
        a, a, out=_e(m, "float16")), (T("complex64", (3,)),)),
    Case("bitwise_xor int into bool out", lambda m, a: m.bitwise_xor(a, a, out=_e(m, "bool")),
         (I64,)),
    Case("scatter_reduce mean bool, empty index", lambda m, a: a.scatter_reduce(
        1, m.zeros(2, 0, dtype=m.int64), m.zeros(2, 0, dtype=m.bool), "mean"),
        (T("bool", (3, 4)),)),
    Case("mask setitem: the mask's shape before the value's range", lambda m, a: a.__setitem__(
        (Ellipsis, m.tensor([False, True, False])), m.tensor(1.5).to(m.bfloat16)),
        (T("uint8", (3, 4)),)),
]


@pytest.mark.parametrize("case", OUT_MORE, ids=[c.id for c in OUT_MORE])
def test_out_dtype_drives_the_computation(torch: Any, case: Case) -> None:
    _check(torch, case)


RESIZE_WARNINGS = {
    "stack refused after resizing": lambda m: m.stack([m.ones(3), m.ones(3)],
                                                      out=m.zeros(7, dtype=m.int64)),
    "dot refused after resizing": lambda m: m.matmul(m.ones(3), m.ones(3),
                                                     out=m.zeros(7, dtype=m.float64)),
    "nonzero resizes a filled out": lambda m: m.nonzero(m.ones(3), out=m.zeros(
        7, dtype=m.int64)),
    "nonzero into an empty out": lambda m: m.nonzero(m.ones(2, 2), out=m.zeros(
        0, dtype=m.int64)),
    "index_select resizes": lambda m: m.index_select(m.ones(2, 3), 0, m.tensor([1]),
                                                     out=m.zeros(7)),
    "sort resizes": lambda m: m.sort(m.ones(3), out=(m.zeros(7), m.zeros(0, dtype=m.int64))),
    "cat refused without resizing": lambda m: m.cat([m.ones(3)], out=m.zeros(7, dtype=m.int64)),
}


@pytest.mark.parametrize("name", list(RESIZE_WARNINGS))
def test_out_resize_warnings(torch: Any, name: str) -> None:
    fn = RESIZE_WARNINGS[name]
    assert warnings_of(fn, ember) == warnings_of(fn, torch)
    _check(torch, Case(name, lambda m: (lambda r: r)(fn(m))))


OUT_LAST = [
    Case("mean float16 into float64 out", lambda m, a: (lambda o: (m.mean(a, 0, out=o), o))(
        _e(m, "float64", (7,))), (T("float16", (3,), "sym"),), rtol=1e-9),
    Case("mean float32 into complex64 out", lambda m, a: (lambda o: (m.mean(a, 1, out=o), o))(
        _e(m, "complex64")), (F32,)),
    Case("amax complex into float16 out", lambda m, a: m.amax(a, 0, out=_e(m, "float16", (1,))),
         (T("complex64", (3,)),)),
    Case("amin complex into complex out", lambda m, a: m.amin(a, 0, out=_e(m, "complex64")),
         (T("complex64", (3,)),)),
    Case("arange into complex out", lambda m: m.arange(0, 3, out=_e(m, "complex64"))),
    Case("linspace into complex out", lambda m: (lambda o: (m.linspace(0, 1, 3, out=o), o))(
        _e(m, "complex64"))),
]


@pytest.mark.parametrize("case", OUT_LAST, ids=[c.id for c in OUT_LAST])
def test_out_dtype_of_mean_amax_and_factories(torch: Any, case: Case) -> None:
    _check(torch, case)


METHODS = [
    Case("t.addcmul_(2, t)", lambda m, a: a.clone().addcmul_(2, a), (F32,)),
    Case("t.addcdiv_(t, 2)", lambda m, a: a.clone().addcdiv_(a, 2), (F32,)),
    Case("t.addcmul(2, t)", lambda m, a: a.addcmul(2, a), (F32,)),
    Case("t.lerp_(True, 0.5)", lambda m, a: a.clone().lerp_(True, 0.5), (F32,)),
    Case("t.lerp(2, 0.5)", lambda m, a: a.lerp(2, 0.5), (F32,)),
    Case("t.addcmul_(t, t, value=2)", lambda m, a: a.clone().addcmul_(a, a, value=2), (F32,)),
    Case("t.lerp(t, 0.5)", lambda m, a, b: a.lerp(b, 0.5), (F32, T("float32", (2, 3), "sym", 1))),
]


@pytest.mark.parametrize("case", METHODS, ids=[c.id for c in METHODS])
def test_method_forms_refuse_numbers(torch: Any, case: Case) -> None:
    _check(torch, case)


@pytest.mark.parametrize("call,message", [
    (lambda x: x.clone().addcmul_(2, x), r"^addcmul_\(\): argument 'tensor1' \(position 1\)"),
    (lambda x: x.addcdiv(x, 2), r"^addcdiv\(\): argument 'tensor2' \(position 2\)"),
    (lambda x: x.clone().lerp_(True, 0.5), r"^lerp_\(\) received an invalid combination"),
])
def test_method_form_messages(call: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call(ember.ones(3))


@pytest.mark.parametrize("shape,dim", [((3, 0), 0), ((3, 0), -1), ((3, 2), 0), ((3, 2), None),
                                       ((0,), 0), ((4,), -1), ((0,), -1), ((4,), 0),
                                       ((), None), ((), 0)])
def test_unique_consecutive_complex_kernel_names(torch: Any, shape: tuple, dim: Any) -> None:
    _check(torch, Case("unique_consecutive(complex)", lambda m, a: m.unique_consecutive(
        a, dim=dim), (T("complex64", shape),)))


CAST_FIRST = [
    Case("mean float64 into bool out", lambda m, a: m.mean(a, 0, out=_e(m, "bool", (7,))),
         (F64,)),
    Case("mean float16 into int64 out", lambda m, a: m.mean(a, 0, out=_e(m, "int64")),
         (T("float16", (3,)),)),
    Case("remainder complex into bool out", lambda m, a: m.remainder(a, a, out=_e(m, "bool")),
         (T("complex64", (3,)),)),
    Case("remainder int by zero into bool out", lambda m, a: m.remainder(
        a, m.zeros_like(a), out=_e(m, "bool", (3,))), (T("int32", (3,)),)),
    Case("fmod complex into int out", lambda m, a: m.fmod(a, a, out=_e(m, "int64")),
         (T("complex64", (3,)),)),
]


@pytest.mark.parametrize("case", CAST_FIRST, ids=[c.id for c in CAST_FIRST])
def test_out_cast_checked_before_the_kernel(torch: Any, case: Case) -> None:
    _check(torch, case)


MIXED_RESIZE = {
    "mm mixed dtypes, out resized first": lambda m: m.matmul(
        m.ones(2, 3, dtype=m.float16), m.ones(3, 2, dtype=m.complex64),
        out=m.zeros(2, 3, dtype=m.float16)),
    "dot mixed dtypes, out resized first": lambda m: m.matmul(
        m.ones(3, dtype=m.float16), m.ones(3), out=m.zeros(2, 3, dtype=m.float16)),
    "mv mixed dtypes, out not resized": lambda m: m.matmul(
        m.ones(2, 3), m.ones(3, dtype=m.float64), out=m.zeros(7)),
}


@pytest.mark.parametrize("name", list(MIXED_RESIZE))
def test_matmul_mixed_dtypes_resize_before_refusing(torch: Any, name: str) -> None:
    fn = MIXED_RESIZE[name]
    assert warnings_of(fn, ember) == warnings_of(fn, torch)
    _check(torch, Case(name, fn, check_message=not name.startswith("mv")))
