"""In-place ops and tensor attribute semantics against PyTorch (session 23, lane W), found by a
differential fuzzer: in-place comparisons' graph (``EqBackward0``/``1``, zero gradients,
``CopySlices`` through a view), ``.data`` assignment refusals, ``detach_`` on any view,
``set_`` under autograd, ``fill_`` with a tensor value on an expanded tensor, the order of
refusals (argument type, result-type cast, shape) of ``add_``/``sub_``/``div_``/``ldexp_``/
``nextafter_``/``floor_divide_``/``addcmul_``, method-form argument errors, and ``t_``'s text.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _lib(name: str) -> Any:
    return torch if name == "torch" else ember


def _outcome(fn: Callable[[Any], Any], lib: Any) -> Any:
    """What ``fn(lib)`` gives: ('ok', value) or (exception type name, first message line)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", fn(lib)
    except Exception as e:  # noqa: BLE001 - the exception itself is compared
        return type(e).__name__, str(e).split("\n")[0]


def same_outcome(fn: Callable[[Any], Any]) -> None:
    t, e = _outcome(fn, torch), _outcome(fn, ember)
    assert e == t, (t, e)


# ------------------------------------------------------------------ comparisons' graph
CMP = ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "less_equal_", "not_equal_"]


@pytest.mark.parametrize("op", CMP)
@pytest.mark.parametrize("tensor_other", [False, True])
def test_inplace_comparison_graph_and_zero_grads(op: str, tensor_other: bool) -> None:
    def prog(T: Any) -> Any:
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = T.tensor([1.0, 0.0, 3.0], requires_grad=True)
        y = x * 1
        r = getattr(y, op)(w if tensor_other else 2.0)
        node = y.grad_fn
        nxt = [type(n[0]).__name__ for n in node.next_functions]
        y.sum().backward()
        return (r is y, type(node).__name__, nxt, y.dtype == x.dtype, y.requires_grad,
                y.tolist(), x.grad.tolist(), None if w.grad is None else w.grad.tolist(),
                y._version)

    same_outcome(prog)


def test_inplace_comparison_through_view_is_copyslices() -> None:
    def prog(T: Any) -> Any:
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        v = y[:2]
        v.lt_(3.0)
        names = type(v.grad_fn).__name__, type(y.grad_fn).__name__
        y.sum().backward()
        return names, y.tolist(), x.grad.tolist(), (y._version, v._version)

    same_outcome(prog)


def test_inplace_comparison_without_grad_keeps_dtype() -> None:
    def prog(T: Any) -> Any:
        a = T.tensor([[1, 5], [3, 2]], dtype=T.int16)
        b = a.t()
        b.ge_(T.tensor([2, 2], dtype=T.int16))
        return a.tolist(), str(a.dtype).split(".")[-1], a.grad_fn, a._version

    same_outcome(prog)


def test_inplace_comparison_on_leaf_requiring_grad_refused() -> None:
    same_outcome(lambda T: T.ones(3, requires_grad=True).eq_(1.0))


# ------------------------------------------------------------------ .data, detach_, set_
@pytest.mark.parametrize("new", ["int64", "bool", "float64", "number", "shape"])
def test_data_assignment(new: str) -> None:
    def prog(T: Any) -> Any:
        x = T.ones(2, 3, requires_grad=True)
        value = {"int64": lambda: T.zeros(2, 3, dtype=T.int64),
                 "bool": lambda: T.zeros(2, dtype=T.bool),
                 "float64": lambda: T.zeros(2, 3, dtype=T.float64),
                 "number": lambda: 5, "shape": lambda: T.zeros(4)}[new]()
        x.data = value
        return tuple(x.shape), str(x.dtype).split(".")[-1], x.requires_grad, x.is_leaf

    same_outcome(prog)


def test_data_assignment_int_without_grad_allowed() -> None:
    def prog(T: Any) -> Any:
        x = T.ones(2)
        x.data = T.tensor([3, 4])
        return x.tolist(), str(x.dtype).split(".")[-1]

    same_outcome(prog)


@pytest.mark.parametrize("view", ["slice", "view", "expand", "t", "select", "reshape", "no_grad"])
def test_detach_inplace_refused_on_any_view(view: str) -> None:
    def prog(T: Any) -> Any:
        if view == "no_grad":
            with T.no_grad():
                v = T.ones(3)[:2]
        else:
            v = {"slice": lambda: T.ones(3)[:2], "view": lambda: T.ones(2, 3).view(6),
                 "expand": lambda: T.ones(1).expand(3), "t": lambda: T.ones(2, 3).t(),
                 "select": lambda: T.ones(2, 3)[0],
                 "reshape": lambda: T.ones(2, 3).reshape(6)}[view]()
        return v.detach_().requires_grad

    same_outcome(prog)


def test_detach_inplace_on_non_view() -> None:
    def prog(T: Any) -> Any:
        y = T.ones(2, requires_grad=True) * 2
        r = y.detach_()
        return r is y, y.requires_grad, y.grad_fn, y.is_leaf, y._version

    same_outcome(prog)


@pytest.mark.parametrize("case", ["leaf", "view_of_leaf", "nonleaf", "no_grad_leaf"])
def test_set_under_autograd(case: str) -> None:
    def prog(T: Any) -> Any:
        x = T.tensor([0.2, 0.5, 0.7, 0.1], requires_grad=True)
        src = T.full((3,), 4.0)
        if case == "leaf":
            x.set_(T.ones(4))
        elif case == "view_of_leaf":
            x[:3].set_(src)
        elif case == "nonleaf":
            (x * 2).set_(src)
        else:
            with T.no_grad():
                x.set_(src)
        return x.tolist(), x._version, x.requires_grad

    same_outcome(prog)


# ------------------------------------------------------------------ expanded tensors
@pytest.mark.parametrize("value", ["tensor", "number"])
def test_fill_expanded(value: str) -> None:
    def prog(T: Any) -> Any:
        x = T.tensor([0.3]).expand(3)
        x.fill_(T.tensor(2.0) if value == "tensor" else 2.0)
        return x.tolist()

    same_outcome(prog)


# ------------------------------------------------------------------ refusal order and texts
ORDER = {
    "atan2_uint8_int": lambda T: T.tensor([1], dtype=T.uint8).atan2_(2),
    "hypot_uint8_complex": lambda T: T.tensor([1, 2], dtype=T.uint8).hypot_(1.5 - 0.5j),
    "hypot_bool": lambda T: T.tensor([1.0, 2.0]).hypot_(True),
    "atan2_float_bool": lambda T: T.tensor([1.0]).atan2_(True),
    "logical_and_float": lambda T: T.tensor([1.0, 0.0]).logical_and_(1.0),
    "logical_xor_int": lambda T: T.tensor([1, 0]).logical_xor_(1),
    "ldexp_int": lambda T: T.tensor([1.0, 2.0]).ldexp_(1),
    "ldexp_self_int": lambda T: T.tensor([1, 2], dtype=T.int16).ldexp_(T.tensor([1, 2])),
    "ldexp_bf16_complex": lambda T: T.tensor([1.0], dtype=T.bfloat16).ldexp_(
        T.tensor([1 + 1j], dtype=T.complex64)),
    "nextafter_bool": lambda T: T.tensor([1.0]).nextafter_(False),
    "nextafter_int8_shape": lambda T: T.ones(1, 4, 4, dtype=T.int8).nextafter_(
        T.ones(1, 1, 4, 4, dtype=T.int8)),
    "nextafter_f64_complex": lambda T: T.ones(2, dtype=T.float64).nextafter_(
        T.ones(2, dtype=T.complex128)),
    "addcmul_int_value_float": lambda T: T.tensor([3, 4]).addcmul_(
        T.tensor([3, 4]), T.tensor([3, 4]), value=0.5).tolist(),
    "addcmul_bool_int16": lambda T: T.tensor([True]).addcmul_(
        T.tensor([1], dtype=T.int16), T.tensor([True]), value=0.5),
    "addcdiv_bool_value_int": lambda T: T.tensor(True).addcdiv_(
        T.tensor([True]), T.tensor([True]), value=2),
    "addcdiv_bool_uint8_integer_division_first": lambda T: T.ones(2, dtype=T.bool).addcdiv_(
        T.ones(1, dtype=T.uint8), T.ones(2, dtype=T.bool)),
    "floor_divide_shape_before_zero": lambda T: T.tensor([[1], [2], [0]], dtype=T.int8)
    .floor_divide_(T.zeros(1, 3, 1, dtype=T.int8)),
    "add_bool_alpha_cast": lambda T: T.tensor(3).add_(T.tensor([1.0], dtype=T.float16),
                                                      alpha=True),
    "sub_bool_alpha_cast": lambda T: T.ones(2, dtype=T.uint8).sub_(
        T.ones(2, dtype=T.float64), alpha=True),
    "add_bool_alpha_bool_self": lambda T: T.ones(2, dtype=T.bool).add_(-3, alpha=True),
    "sub_bool_self": lambda T: T.ones(2, dtype=T.bool).sub_(4),
    "sub_alpha_bool_ok": lambda T: T.tensor([True, False]).sub_(T.tensor([True, True]),
                                                                alpha=True),
    "div_trunc_int_complex": lambda T: T.ones(1, 1, dtype=T.int16).div_(
        T.ones(1, 1, dtype=T.complex64), rounding_mode="trunc"),
    "div_trunc_bf16_complex": lambda T: T.tensor(1.0, dtype=T.bfloat16).div_(
        T.ones(1, dtype=T.complex64), rounding_mode="trunc"),
    "div_floor_int_ok": lambda T: T.tensor([7, -7]).div_(2, rounding_mode="floor").tolist(),
    "t_3d": lambda T: T.ones(2, 3, 4).t_(),
    "t_1d": lambda T: tuple(T.ones(3).t_().shape),
}


@pytest.mark.parametrize("case", sorted(ORDER))
def test_refusal_order_and_text(case: str) -> None:
    same_outcome(ORDER[case])


# ------------------------------------------------------------------ seeded fuzz
_DT = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64", "complex64"]
_BIN = ["add_", "sub_", "mul_", "div_", "fmod_", "remainder_", "bitwise_and_", "bitwise_or_",
        "logical_and_", "eq_", "lt_", "ge_", "copy_", "clamp_min_", "clamp_max_", "atan2_",
        "hypot_", "floor_divide_", "copysign_", "xlogy_", "ldexp_", "nextafter_", "pow_"]


def _arr(rng: np.random.Generator, shape: tuple, dt: str) -> np.ndarray:
    if dt == "bool":
        return rng.random(shape) > 0.5
    if dt.startswith(("int", "uint")):
        return rng.integers(1 if dt == "uint8" else -5, 9, shape).astype(dt)
    if dt == "complex64":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)
    return (rng.standard_normal(shape) * 3).astype(dt)


def _both(a: np.ndarray, transpose: bool) -> tuple:
    a = np.asarray(a)
    t, e = torch.from_numpy(a.copy()), ember.from_numpy(a.copy())
    return (t.t(), e.t()) if transpose and a.ndim == 2 else (t, e)


def _run(x: Any, op: str, other: Any, kw: dict) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = getattr(x, op)(other, **kw)
        return "ok", r is x
    except Exception as ex:  # noqa: BLE001 - compared
        return type(ex).__name__, str(ex).split("\n")[0]


def test_seeded_binary_inplace_fuzz() -> None:
    rng = np.random.default_rng(23)
    for _ in range(300):
        op = str(rng.choice(_BIN))
        shape = tuple(int(rng.choice([1, 2, 3])) for _ in range(int(rng.integers(0, 3))))
        dt, dt2 = str(rng.choice(_DT)), str(rng.choice(_DT))
        tr = bool(rng.random() < 0.3)
        ts, es = _both(_arr(rng, shape[::-1] if tr else shape, dt), tr)
        if rng.random() < 0.3:
            num = [int(rng.integers(-3, 4)), 1.5, True, 1 - 2j][int(rng.integers(0, 4))]
            ot, oe = num, num
        else:
            oshape = shape[1:] if shape and rng.random() < 0.3 else shape
            ot, oe = _both(_arr(rng, oshape, dt2), False)
        kw = {"rounding_mode": "floor"} if op == "div_" and rng.random() < 0.4 else {}
        rt, re_ = _run(ts, op, ot, kw), _run(es, op, oe, kw)
        assert rt == re_, (op, shape, dt, dt2, tr, kw, rt, re_)
        if rt[0] == "ok":
            assert str(ts.dtype).split(".")[-1] == str(es.dtype).split(".")[-1]
            a, b = ts.numpy(), np.asarray(es.numpy())
            if a.dtype.kind in "fc":
                np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, equal_nan=True)
            else:
                np.testing.assert_array_equal(b, a)
            assert ts.stride() == es.stride(), (op, shape, dt, dt2, tr)
