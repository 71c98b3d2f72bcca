"""Core tensor semantics found by running short PyTorch programs side by side with Ember
(session 19): graph node names of scalar overloads and ops without a derivative, fill values
checked as PyTorch converts them, histc's range, repeat_interleave's checks."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember


def _np(t: Any) -> np.ndarray:
    t = t.detach()
    if str(t.dtype).endswith("bfloat16"):
        t = t.float()
    return np.asarray(t.numpy())


def same(a: Any, b: Any, rtol: float = 1e-7, atol: float = 1e-12) -> None:
    """``a`` (PyTorch) and ``b`` (Ember): equal structure, dtypes, shapes and values."""
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y, rtol, atol)
        return
    if not hasattr(a, "dtype"):
        assert a == b
        return
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(_np(b), _np(a), rtol=rtol, atol=atol)


def outcome(fn: Any) -> Any:
    """What ``fn()`` gives: its value, or the exception's type name and message."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the type and message are what we compare
        return type(e).__name__, str(e)


def node(t: Any) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def backward_outcome(L: Any, make: Any) -> tuple:
    """The node name of ``make(L, x)``, and x's gradient or the backward error."""
    x = L.tensor([[0.5, 1.5, 2.5], [3.5, -1.25, 4.0]], dtype=L.float64, requires_grad=True)
    y = make(L, x)
    if isinstance(y, tuple):
        y = y[0]
    err = outcome(lambda: y.sum().backward())
    grad = None if x.grad is None else x.grad.tolist()
    return node(y), err if isinstance(err, tuple) else grad


# ------------------------------------------------------------------ graph node names
NODE_PROGRAMS = {
    "floordiv_operator": lambda L, x: x // 2,
    "rfloordiv_operator": lambda L, x: 2 // x,
    "floordiv_tensors": lambda L, x: x // (x + 10),
    "floor_divide": lambda L, x: L.floor_divide(x, 2),
    "div_floor": lambda L, x: x.div(2, rounding_mode="floor"),
    "div_trunc_tensors": lambda L, x: x.div(x + 10, rounding_mode="trunc"),
    "rmod_operator": lambda L, x: 2 % x,
    "remainder_number_first": lambda L, x: L.remainder(2.0, x),
    "mod_operator": lambda L, x: x % 2,
    "rsub_operator": lambda L, x: 2.0 - x,
    "sub_number_first": lambda L, x: L.sub(2.0, x),
    "rsub_number": lambda L, x: L.rsub(x, 2.0),
    "rsub_tensors": lambda L, x: L.rsub(x, x * 3),
    "rsub_alpha": lambda L, x: L.rsub(x, 2.0, alpha=3),
    "copysign_number": lambda L, x: L.copysign(x, -1.0),
    "copysign_tensor": lambda L, x: L.copysign(x, L.tensor(-1.0, dtype=L.float64)),
    "xlogy_number_other": lambda L, x: L.xlogy(x, 2.0),
    "xlogy_number_input": lambda L, x: L.xlogy(2.0, x.abs()),
    "special_xlogy_number_input": lambda L, x: L.special.xlogy(2.0, x.abs()),
    "xlog1py_number_other": lambda L, x: L.special.xlog1py(x, 2.0),
    "zeta_number_input": lambda L, x: L.special.zeta(2.0, x.abs()),
    "sort_stable": lambda L, x: x.sort(stable=True),
    "sort_stable_descending": lambda L, x: L.sort(x, dim=0, descending=True, stable=False),
    "sort_plain": lambda L, x: x.sort(0),
    "msort": lambda L, x: L.msort(x),
    "combinations": lambda L, x: L.combinations(x[0]),
    "combinations_replacement": lambda L, x: L.combinations(x[1], 3, with_replacement=True),
    "scatter_reduce_add_value": lambda L, x: x.scatter(1, L.tensor([[0], [2]]), 2.0,
                                                      reduce="add"),
    "scatter_reduce_multiply_src": lambda L, x: x.scatter(
        1, L.tensor([[0], [2]]), L.ones(2, 1, dtype=L.float64, requires_grad=True),
        reduce="multiply"),
    "scatter_plain": lambda L, x: x.scatter(1, L.tensor([[0], [2]]), 2.0),
}


@pytest.mark.parametrize("name", sorted(NODE_PROGRAMS))
def test_node_names_and_gradients_match(torch, name):
    make = NODE_PROGRAMS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scatter(reduce=) warns in both
        want = backward_outcome(torch, make)
        got = backward_outcome(ember, make)
    assert got[0] == want[0]
    if isinstance(want[1], tuple):  # no derivative: backward raises PyTorch's error
        assert got[1] == want[1]
    else:
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-12)


def test_floor_divide_inplace_keeps_values_and_node(torch):
    def run(L):
        a = L.tensor([-7, 7, 5])
        a //= 2
        b = L.tensor([-7.5, 7.5]).requires_grad_().clone()
        b //= 2
        return a, b.detach(), node(b)

    t, e = run(torch), run(ember)
    same(t[:2], e[:2])
    assert e[2] == t[2]


# ------------------------------------------------------------------ fill values
FILLS = [255.7, 255.99, 256.0, -0.5, -1, -1.0, 127.5, 128.0, 300, 2147483647.5,
         2.0 ** 63, float("nan"), float("inf"), 0.5 + 0j, 0.5 + 1j, True]


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64", "float16",
                                   "float32", "bool", "complex64"])
def test_fill_values_convert_as_pytorch(torch, dtype):
    """setitem, fill_, full, masked_fill, index_fill and scatter refuse (or keep) the same
    numbers: a float truncates toward zero, so 255.7 fits uint8 and 256.0 does not."""
    def run(L, v):
        dt = getattr(L, dtype)
        x = L.zeros(3, dtype=dt)
        idx = L.tensor([0])

        def setitem():
            y = x.clone()
            y[0] = v
            return y

        return [outcome(f) for f in (
            setitem, lambda: x.clone().fill_(v), lambda: L.full((3,), v, dtype=dt),
            lambda: x.masked_fill(L.tensor([True, False, True]), v),
            lambda: x.index_fill(0, idx, v), lambda: x.scatter(0, idx, v),
            lambda: x.index_fill(0, idx, L.tensor(v)))]

    for v in FILLS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # complex to real warns in both
            want, got = run(torch, v), run(ember, v)
        for w, g in zip(want, got):
            if isinstance(w, tuple):
                assert g == w, v
            else:
                assert not isinstance(g, tuple), (v, g)
                same(w, g)


# ------------------------------------------------------------------ histc, meshgrid
@pytest.mark.parametrize("case", [
    ([1.0, float("inf")], {}), ([-float("inf"), 1.0], {}), ([1.0, float("nan")], {}),
    ([1.0, 2.0], {"min": 0, "max": float("inf")}), ([1.0, float("inf")], {"min": 0, "max": 3}),
    ([1.0, float("nan")], {"min": 0, "max": 3}), ([1.0, 2.0], {"bins": 0}),
    ([1.0, 1.0], {"min": 3, "max": 3}), ([1.0, 2.0], {"min": 3, "max": 2}),
])
def test_histc_range_checks(torch, case):
    data, kw = case

    def run(L):
        return outcome(lambda: L.histc(L.tensor(data), **({"bins": 4} | kw)))

    want, got = run(torch), run(ember)
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and got[0] == want[0]
        if "nan" not in want[1]:  # C++ prints a NaN from the data as -nan
            assert got[1] == want[1]
    else:
        same(want, got)


def test_meshgrid_of_nothing_raises(torch):
    assert outcome(lambda: ember.meshgrid()) == outcome(lambda: torch.meshgrid())


# ------------------------------------------------------------------ repeat_interleave
@pytest.mark.parametrize("repeats", [[1, -2], [[1, 2]], [1.0, 2.0], -1, 2.0, [0, 3]])
def test_repeat_interleave_tensor_repeats(torch, repeats):
    def run(L):
        x = L.tensor([[1, 2], [3, 4]])
        return outcome(lambda: x.repeat_interleave(L.tensor(repeats), dim=0))

    want, got = run(torch), run(ember)
    if isinstance(want, tuple):
        assert got == want
    else:
        same(want, got)


# ------------------------------------------------------------------ clamp's number bounds
CLAMP_BOUNDS = [None, -1, -256, 300, 2**31, -2**40, 1e6, 1e300, 2.5, float("inf"),
                float("nan"), True]


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "int64", "float16", "bfloat16",
                                   "float32", "bool"])
def test_clamp_number_bounds_convert_as_pytorch(torch, dtype):
    """A bound that overflows the result dtype raises; a negative int wraps into uint8; a
    NaN bound gives NaN without converting the other."""
    def run(L, lo, hi):
        x = L.tensor([0, 1, 100], dtype=getattr(L, dtype))
        return outcome(lambda: x.clamp(lo, hi))

    for lo in CLAMP_BOUNDS:
        for hi in CLAMP_BOUNDS:
            if lo is None and hi is None:
                continue
            want, got = run(torch, lo, hi), run(ember, lo, hi)
            if isinstance(want, tuple):
                assert got == want, (lo, hi)
            else:
                assert not isinstance(got, tuple), (lo, hi, got)
                same(want, got)


# ------------------------------------------------------------------ Python ints out of range
@pytest.mark.parametrize("expr", [
    lambda L: L.tensor([1.0], dtype=L.float16) + 2**70, lambda L: L.tensor([1]) + 2**64,
    lambda L: L.tensor([1]) + 2**63, lambda L: L.tensor([1]) - (-(2**63) - 1),
    lambda L: L.tensor([1.0]) * -(2**64), lambda L: L.tensor([1]) == 2**64,
    lambda L: 2**64 - L.tensor([1]), lambda L: L.tensor([1]) // 2**63,
    lambda L: L.tensor([1], dtype=L.uint8) + 2**64 - 1,
])
def test_python_int_beyond_64_bits_overflows(torch, expr):
    want, got = outcome(lambda: expr(torch)), outcome(lambda: expr(ember))
    if isinstance(want, tuple):
        assert got == want
    else:
        same(want, got)


def test_clamp_with_a_zero_dim_tensor_bound(torch):
    def run(L):
        x = L.tensor([3.0, 1.0, 3.0, 5.0], requires_grad=True)
        y = x.clamp(max=L.tensor(3.0))
        z = x.clamp(1, L.tensor(4.0))
        (y.sum() + z.sum()).backward()
        return y, z, x.grad, node(y), node(z)

    t, e = run(torch), run(ember)
    same(t[:3], e[:3])
    assert e[3:] == t[3:]


# ------------------------------------------------------------------ signed zeros, as printed
ZERO_PROGRAMS = {
    "cumsum_starts_from_plus_zero": lambda L, x: x.cumsum(0),
    "cumsum_float64": lambda L, x: x.double().cumsum(0),
    "cumsum_half": lambda L, x: x.half().cumsum(0),
    "remainder_keeps_fmod_sign": lambda L, x: x % 1,
    "remainder_negative_divisor": lambda L, x: x % -1,
    "remainder_tensor_divisor": lambda L, x: x.remainder(L.tensor(-2.0)),
    "rmod": lambda L, x: 3.0 % (x + 1.5),
    "clamp_min_keeps_ties": lambda L, x: x.clamp(min=0.0),
    "clamp_max_keeps_ties": lambda L, x: x.clamp(max=0.0),
    "clamp_both": lambda L, x: x.clamp(-0.0, 0.0),
    "clamp_min_method": lambda L, x: x.clamp_min(0),
    "clamp_nan_bound": lambda L, x: x.clamp(min=float("nan")),
    "relu_like_after_mask": lambda L, x: (x * (x > 5)).clamp(min=0),
}


@pytest.mark.parametrize("name", sorted(ZERO_PROGRAMS))
def test_signed_zeros_print_as_pytorch(torch, name):
    data = [-0.0, 0.0, -0.0, 1.0, -1.0, 2.5, -2.5] * 3  # long enough for vectorised kernels

    def run(L):
        return ZERO_PROGRAMS[name](L, L.tensor(data))

    want, got = run(torch), run(ember)
    same(want, got)
    assert np.signbit(_np(got)).tolist() == np.signbit(_np(want)).tolist()
    assert repr(got).replace("ember", "torch") == repr(want)


@pytest.mark.parametrize("dim", [0, 1])
def test_diff_gradient_zeros_keep_pytorch_signs(torch, dim):
    arr = [[0.5, -0.0, 1.5], [-1.0, 0.0, 2.0], [3.0, -2.5, 0.0]]

    def run(L):
        x = L.tensor(arr, dtype=L.float64, requires_grad=True)
        y = L.diff(x, dim=dim)
        g = L.tensor([[0.0, -0.0, 1.0][: y.shape[1]]] * y.shape[0], dtype=L.float64)
        y.backward(g)
        return x.grad

    want, got = run(torch), run(ember)
    same(want, got)
    assert np.signbit(_np(got)).tolist() == np.signbit(_np(want)).tolist()


# ------------------------------------------------------------------ operators and other types
class _Reflected:
    """A user's type that handles tensors in its reflected operators."""

    def __radd__(self, other: Any) -> str:
        return "radd"

    def __rmul__(self, other: Any) -> str:
        return "rmul"

    def __rsub__(self, other: Any) -> str:
        return "rsub"

    def __rtruediv__(self, other: Any) -> str:
        return "rtruediv"

    def __rpow__(self, other: Any) -> str:
        return "rpow"

    def __rmod__(self, other: Any) -> str:
        return "rmod"

    def __rfloordiv__(self, other: Any) -> str:
        return "rfloordiv"

    def __rand__(self, other: Any) -> str:
        return "rand"

    def __gt__(self, other: Any) -> str:
        return "gt"


OPERATOR_PROGRAMS = {
    "add": lambda x, o: x + o, "mul": lambda x, o: x * o, "sub": lambda x, o: x - o,
    "truediv": lambda x, o: x / o, "pow": lambda x, o: x ** o, "mod": lambda x, o: x % o,
    "floordiv": lambda x, o: x // o, "and": lambda x, o: x.int() & o,
    "lt_reflects_to_gt": lambda x, o: x < o, "le": lambda x, o: x <= o,
    "eq": lambda x, o: x == o, "ne": lambda x, o: x != o, "radd": lambda x, o: o + x,
    "rsub": lambda x, o: o - x,
}


def _inplace_add(x: Any, o: Any) -> Any:
    x += o
    return x


@pytest.mark.parametrize("other", [_Reflected, type(None), str, list, object])
@pytest.mark.parametrize("name", sorted(OPERATOR_PROGRAMS) + ["iadd"])
def test_operators_answer_not_implemented_for_other_types(torch, name, other):
    """PyTorch's operators return NotImplemented for an operand they cannot take, so the
    other operand's reflected method runs (or Python raises its own TypeError)."""
    fn = _inplace_add if name == "iadd" else OPERATOR_PROGRAMS[name]
    make = {list: lambda: [1, 2], str: lambda: "ab", type(None): lambda: None}.get(other, other)

    def run(L):
        r = outcome(lambda: fn(L.tensor([1.0, 2.0]), make()))
        return r if isinstance(r, (tuple, str, bool)) else ("value", type(r).__name__)

    want, got = run(torch), run(ember)
    if isinstance(want, tuple) and want[0] == "TypeError" and isinstance(got, tuple):
        assert got[0] == "TypeError"  # Python's message, or the op's own
    else:
        assert got == want


def test_functions_still_raise_type_error_for_other_types(torch):
    for fn in (lambda L: L.add(L.tensor([1.0]), None), lambda L: L.tensor([1.0]).mul("a")):
        got, want = outcome(lambda f=fn: f(ember)), outcome(lambda f=fn: f(torch))
        assert got[0] == want[0] == "TypeError"


# ------------------------------------------------------------------ masks, where, big ints
@pytest.mark.parametrize("expr", [
    lambda L, x: x.masked_fill(L.tensor([True, False, True]), 0),
    lambda L, x: x.masked_scatter(L.tensor([True, False, True]), L.ones(3)),
    lambda L, x: x.masked_select(L.tensor([True, False, True])),
    lambda L, x: x.masked_select(L.tensor([[True], [False]])),
    lambda L, x: x.masked_scatter(L.tensor([[True], [False]]), L.arange(4.0)),
    lambda L, x: L.zeros(0, 3).masked_select(L.tensor([True, False, True])),
    lambda L, x: L.where(x > 1, None, x),
    lambda L, x: x.masked_fill(x > 1, 2**64),
    lambda L, x: x.long().clamp(min=2**64),
    lambda L, x: x.long().fill_(-(2**64)),
])
def test_masks_where_and_fill_errors(torch, expr):
    def run(L):
        return outcome(lambda: expr(L, L.tensor([1.0, 2.0])))

    want, got = run(torch), run(ember)
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and got[0] == want[0]
        if want[0] != "TypeError":  # PyTorch lists its overloads
            assert got[1] == want[1]
    else:
        same(want, got)
