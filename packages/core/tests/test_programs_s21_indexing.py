"""Indexing, views and the scatter/gather family (session 21, lane A): short PyTorch programs
run with torch and with Ember, comparing values, dtypes, shapes, grad_fn names and errors."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember


def _result(v: Any) -> Any:
    """A comparable form of a program's result: tensors as (dtype, shape, values, grad_fn)."""
    if hasattr(v, "grad_fn") and hasattr(v, "detach"):
        node = None if v.grad_fn is None else type(v.grad_fn).__name__
        return ("tensor", str(v.dtype).split(".")[-1], tuple(v.shape),
                v.detach().numpy().tolist(), node)
    if isinstance(v, (list, tuple)):
        return [_result(x) for x in v]
    if isinstance(v, str):
        return v.replace("torch.", "ember.")
    return v


def run(lib: Any, code: str) -> dict:
    """Runs ``code`` with ``torch`` bound to ``lib``; returns its ``out`` dict, compared form,
    and ``error``: the type and message of what it raised."""
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(code, {"torch": lib, "np": np, "out": out})
        except Exception as e:  # noqa: BLE001 - the error itself is the result compared
            out["error"] = (type(e).__name__, str(e))
    return {k: _result(v) for k, v in out.items()}


def check(torch: Any, code: str) -> None:
    expected, got = run(torch, code), run(ember, code)
    assert got.keys() == expected.keys(), (got, expected)
    for k, e in expected.items():
        g = got[k]
        if isinstance(e, tuple) and e and e[0] == "tensor":
            assert g[:3] == e[:3] and g[4] == e[4], (k, g, e)
            np.testing.assert_allclose(np.asarray(g[3], dtype=float),
                                       np.asarray(e[3], dtype=float), rtol=1e-12, atol=0)
        else:
            assert g == e, (k, g, e)


def check_error(torch: Any, code: str) -> None:
    """The program raises the same error type and message in both libraries."""
    expected, got = run(torch, code), run(ember, code)
    assert "error" in expected
    assert got.get("error") == expected["error"]


# ------------------------------------------------------------------ index tensor dtypes
@pytest.mark.parametrize("dtype", ["int8", "int16", "uint16", "uint32", "uint64"])
def test_narrow_int_index_tensor_is_refused(torch, dtype):
    check_error(torch, f"torch.arange(6.)[torch.tensor([1], dtype=torch.{dtype})]")
    check_error(torch, f"x = torch.zeros(6); x[torch.tensor([1], dtype=torch.{dtype})] = 1.")


@pytest.mark.parametrize("dtype", ["int8", "int16", "uint16", "int32", "int64"])
def test_zero_dim_int_index_tensor_selects(torch, dtype):
    check(torch, f"out['y'] = torch.arange(6.)[torch.tensor(1, dtype=torch.{dtype})]")


def test_zero_dim_uint8_index_is_a_mask(torch):
    check(torch, "x = torch.arange(6.)\nout['a'] = x[torch.tensor(1, dtype=torch.uint8)]\n"
                 "out['b'] = x[torch.tensor(0, dtype=torch.uint8)]\n"
                 "x[torch.tensor(2, dtype=torch.uint8)] = 3.\nout['x'] = x")


def test_int32_index_tensor_works(torch):
    check(torch, "x = torch.arange(12.).reshape(3, 4)\n"
                 "out['a'] = x[torch.tensor([2, 0], dtype=torch.int32)]\n"
                 "out['b'] = x[:, torch.tensor([[1], [3]], dtype=torch.int32)]")


# ------------------------------------------------------------------ odd keys
@pytest.mark.parametrize("key", ["'a'", "b'a'", "('a',)", "['a']", "(0, 'b')"])
def test_string_key_is_a_type_error(torch, key):
    check_error(torch, f"torch.zeros(2, 3)[{key}]")
    check_error(torch, f"x = torch.zeros(2, 3); x[{key}] = 1.")


@pytest.mark.parametrize("key", ["[1.5, -1.5]", "[1, 2.9]", "np.array([1.5, 4.2])",
                                 "[True, 1.5]"])
def test_list_of_floats_indexes_as_long(torch, key):
    check(torch, f"x = torch.arange(6.)\nout['y'] = x[{key}]\nx[{key}] = -1.\nout['x'] = x")


# ------------------------------------------------------------------ index_put arguments
@pytest.mark.parametrize("call", [
    "x.index_put_((None, torch.tensor([1])), torch.tensor(1.))",
    "x.index_put((None, torch.tensor([1])), torch.tensor(1.))",
    "x.index_put_(torch.tensor([1]), torch.tensor(1.))",
    "x.index_put(torch.tensor([1]), torch.tensor(1.))",
    "x.index_put_(([1],), torch.tensor(1.))",
    "x.index_put_((1,), torch.tensor(1.))",
])
def test_index_put_takes_only_a_tuple_of_tensors(torch, call):
    expected, got = run(torch, f"x = torch.zeros(3, 4); {call}"), \
        run(ember, f"x = torch.zeros(3, 4); {call}")
    assert got["error"][0] == expected["error"][0] == "TypeError"


def test_index_put_list_of_tensors_accumulates(torch):
    check(torch, "x = torch.zeros(3, 4)\n"
                 "x.index_put_([torch.tensor([1, 1, 2]), torch.tensor([0, 0, 3])],\n"
                 "             torch.tensor([1., 2., 3.]), accumulate=True)\nout['x'] = x")


# ------------------------------------------------------------------ errors naming the index
@pytest.mark.parametrize("idx", ["[[0, 7], [5, 0]]", "[[0, -7], [5, 0]]", "[[1, 2, 3], [9, 0, 0]]",
                                 "[[0, 1, 1], [-5, 9, 0]]"])
@pytest.mark.parametrize("dim", [0, 1])
@pytest.mark.parametrize("op", ["x.gather({d}, i)", "x.scatter({d}, i, 1.)",
                                "x.scatter_add({d}, i, torch.ones(2, 3))",
                                "x.scatter_reduce({d}, i, torch.ones(2, 3), 'amax')"])
def test_scatter_gather_report_first_bad_index(torch, idx, dim, op):
    check_error(torch, f"x = torch.zeros(3, 3); i = torch.tensor({idx})\n{op.format(d=dim)}")


@pytest.mark.parametrize("shape", ["(-2, 6)", "(-1, -2, -1)", "(3, -3)", "(-1, -1, -2)",
                                   "(-1, -1)", "(0, -1)"])
@pytest.mark.parametrize("op", ["view", "reshape"])
def test_view_bad_size_messages(torch, shape, op):
    check_error(torch, f"torch.zeros(2, 6).{op}{shape}")


def test_split_sizes_error_names_dim_as_given(torch):
    check_error(torch, "torch.zeros(2, 3, 4).split([1, 2], dim=-1)")


@pytest.mark.parametrize("arg", ["torch.tensor([[1]])", "torch.tensor([1.])",
                                 "torch.tensor([1], dtype=torch.int32)"])
def test_tensor_split_tensor_argument_errors(torch, arg):
    check_error(torch, f"torch.zeros(2, 3, 4).tensor_split({arg}, dim=1)")


def test_tensor_split_tensor_arguments(torch):
    check(torch, "x = torch.arange(24.).reshape(2, 3, 4)\n"
                 "out['a'] = x.tensor_split(torch.tensor([1, 5]), dim=1)\n"
                 "out['b'] = x.tensor_split(torch.tensor(3), dim=2)\n"
                 "out['c'] = torch.tensor_split(x, (3, 1), dim=2)")


# ------------------------------------------------------------------ grad_fn names
def test_H_is_a_transpose(torch):
    check(torch, "x = torch.ones(2, 3, requires_grad=True) * 1\n"
                 "out['h'] = x.H\nout['mh'] = x.mH\n"
                 "c = torch.ones(2, 3, dtype=torch.complex64) * (1 + 2j)\n"
                 "out['hc'] = c.H.real\n"
                 "s = torch.tensor(2., requires_grad=True) * 1\n"
                 "out['s'] = s.H\nout['same'] = s.H is s")


def test_index_reduce_node_name(torch):
    check(torch, "x = torch.arange(12.).reshape(3, 4).double().requires_grad_()\n"
                 "s = torch.arange(8.).reshape(2, 4).double().requires_grad_()\n"
                 "y = x.index_reduce(0, torch.tensor([2, 0]), s, 'prod')\n"
                 "(y * y).sum().backward()\n"
                 "out['y'] = y\nout['gx'] = x.grad\nout['gs'] = s.grad")


SETITEM_KEYS = ["Ellipsis", "slice(None)", "(slice(None), slice(0, 3))", "slice(0, 5)",
                "(slice(None), [1, 2])", "(0, [1, 2])", "(slice(0, 1), [1, 2])",
                "(None, 0, [1])", "(None, [0])", "([0], 0)", "([0], slice(None), [1])",
                "(Ellipsis, [1])", "(Ellipsis, 0)", "(torch.tensor(0), [1])",
                "(slice(None, None, 2), [1])", "True", "0", "x > 5"]


@pytest.mark.parametrize("key", SETITEM_KEYS)
@pytest.mark.parametrize("value", ["2.", "torch.tensor(2., dtype=torch.float64)",
                                   "torch.ones(1, dtype=torch.float64)"])
def test_setitem_node_names(torch, key, value):
    """A key that covers all of x writes x itself (fill_, copy_ or index_put_); others write
    through a view (CopySlices)."""
    check(torch, "b = torch.arange(24.).reshape(2, 3, 4).double().requires_grad_()\n"
                 f"x = b * 1\nx[{key}] = {value}\n"
                 "out['x'] = x\n(x * x).sum().backward()\nout['g'] = b.grad")


def test_setitem_whole_with_grad_value(torch):
    check(torch, "b = torch.arange(12.).reshape(3, 4).double().requires_grad_()\n"
                 "s = torch.tensor(3., dtype=torch.float64, requires_grad=True)\n"
                 "v = torch.arange(4.).double().requires_grad_()\n"
                 "x = b * 1\nx[...] = s\ny = b * 2\ny[:] = v * 2\n"
                 "((x * y).sum()).backward()\n"
                 "out['x'] = x\nout['y'] = y\nout['gb'] = b.grad\nout['gs'] = s.grad\n"
                 "out['gv'] = v.grad")


def test_setitem_whole_of_a_view(torch):
    check(torch, "b = torch.arange(24.).reshape(2, 3, 4).double().requires_grad_()\n"
                 "x = b * 1\nv = x[0]\nv[:] = 5.\nw = x[1]\nw[:, [1, 2]] = 7.\n"
                 "out['v'] = type(v.grad_fn).__name__\nout['w'] = type(w.grad_fn).__name__\n"
                 "out['x'] = x\n(x * x).sum().backward()\nout['g'] = b.grad")


def test_stale_view_repr_shows_as_strided(torch):
    """A view made before its base changed in place prints the replayed node."""
    check(torch, "b = torch.arange(12.).reshape(3, 4).double().requires_grad_()\n"
                 "x = b * 1\na = x[0]\nc = x[:, 0]\na.mul_(10)\n"
                 "out['c'] = repr(c)\nout['a'] = repr(a)\nout['x'] = repr(x)")


# ------------------------------------------------------------------ empty index tensors
EMPTY_INDICES = ["torch.empty(0, dtype=torch.long)", "torch.empty(0, 1, 1, dtype=torch.long)",
                 "torch.empty(0, 5, dtype=torch.long)", "torch.empty(5, 0, dtype=torch.long)",
                 "torch.empty(0, dtype=torch.int16)"]


@pytest.mark.parametrize("index", EMPTY_INDICES)
@pytest.mark.parametrize("op", ["x.gather(1, i)", "x.scatter(1, i, s)", "x.scatter(1, i, 2.)",
                                "x.scatter_add(1, i, s)", "x.scatter_reduce(1, i, s, 'sum')",
                                "x.scatter_reduce(1, i, s, 'mean', include_self=False)"])
def test_empty_index_skips_shape_checks(torch, index, op):
    """PyTorch checks nothing of an empty index: gather gives an empty result, a scatter a
    copy of self (and its gradient)."""
    check(torch, "x = torch.arange(6.).reshape(2, 3).double().requires_grad_()\n"
                 f"s = torch.ones(2, 1, dtype=torch.float64)\ni = {index}\ny = {op}\n"
                 "out['y'] = y\n(y.sum() + x.sum()).backward()\nout['g'] = x.grad")


# ------------------------------------------------------------------ more argument checks
@pytest.mark.parametrize("shapes", ["(3, 4), (2, 3), 0, [0, 1]", "(3, 4, 5), (3, 2, 4), 1, [0, 1]",
                                    "(3, 4, 5), (3, 2, 5, 1), 1, [0, 1]",
                                    "(3, 4), (2,), 0, [0, 1]",
                                    "(3, 4, 5), (3, 2, 4), 1, [0, 1, 2]",
                                    "(3,), (2,), 0, [0, 1]", "(3, 4), (3, 2), 1, [0, 1]"])
def test_index_copy_shape_checks(torch, shapes):
    check(torch, f"xs, ss, d, i = {shapes}\n"
                 "out['y'] = torch.zeros(xs).index_copy(d, torch.tensor(i), torch.ones(ss))")


def test_index_select_of_a_scalar(torch):
    check(torch, "x = torch.tensor(5.)\nout['a'] = x.index_select(0, torch.tensor([0]))\n"
                 "out['b'] = x.index_select(0, torch.tensor(0))")
    check_error(torch, "torch.tensor(5.).index_select(0, torch.tensor([0, 0]))")


@pytest.mark.parametrize("call", [
    "torch.select_scatter(x, torch.ones(2), 0, 0)",
    "torch.select_scatter(x, torch.ones(1, 3), 0, 0)",
    "torch.select_scatter(x, torch.ones(1), 0, 0)",
    "torch.slice_scatter(x, torch.ones(2, 2), 1, 1, 2)",
    "torch.diagonal_scatter(x, torch.ones(3))",
    "torch.as_strided_scatter(x, torch.ones(3), (2,), (1,))",
])
def test_view_scatters_do_not_broadcast_src(torch, call):
    check_error(torch, f"x = torch.zeros(2, 3)\n{call}")


def test_view_scatters(torch):
    check(torch, "x = torch.zeros(2, 3)\n"
                 "out['a'] = torch.select_scatter(x, torch.ones(3, dtype=torch.float64), 0, 0)\n"
                 "out['b'] = torch.slice_scatter(x, torch.ones(2, 1), 1, 1, 2)\n"
                 "out['c'] = torch.diagonal_scatter(x, torch.ones(2), 1)")


@pytest.mark.parametrize("call", [
    "x.repeat_interleave(torch.tensor([1, 2]), output_size=5)",
    "x.repeat_interleave(torch.tensor([1, 2]), output_size=2)",
    "x.repeat_interleave(2, output_size=5)",
    "x.repeat_interleave(torch.tensor(2), output_size=5)",
    "torch.repeat_interleave(torch.tensor([1, 2]), output_size=4)",
])
def test_repeat_interleave_wrong_output_size(torch, call):
    check_error(torch, f"x = torch.tensor([1, 2])\n{call}")


def test_repeat_interleave_output_size(torch):
    check(torch, "x = torch.tensor([1, 2])\n"
                 "out['a'] = x.repeat_interleave(torch.tensor([1, 2]), output_size=3)\n"
                 "out['b'] = torch.repeat_interleave(torch.tensor([1, 2]), output_size=3)\n"
                 "out['c'] = x.repeat_interleave(2, output_size=4)")


@pytest.mark.parametrize("call", ["x.roll((), ())", "x.roll([])", "x.roll((), 0)",
                                  "x.split([-1, 5])", "x.split([-1, 3])"])
def test_roll_and_split_argument_errors(torch, call):
    check_error(torch, f"x = torch.arange(4)\n{call}")


# ------------------------------------------------------------------ values assigned
@pytest.mark.parametrize("value", ["np.float64(2.5)", "np.int64(3)", "np.int32(2)", "np.uint8(3)",
                                   "np.int8(1)", "np.complex128(2)"])
@pytest.mark.parametrize("key", ["slice(None)", "[0, 1]"])
def test_setitem_numpy_scalars_taken(torch, value, key):
    check(torch, f"x = torch.zeros(3)\nx[{key}] = {value}\nout['x'] = x")


@pytest.mark.parametrize("value", ["np.float32(2)", "np.float16(2)", "np.bool_(True)",
                                   "np.complex64(1)", "np.array([1., 2., 3.])", "[1, 2, 3]",
                                   "None", "'a'"])
def test_setitem_refuses_other_values(torch, value):
    check_error(torch, f"x = torch.zeros(3)\nx[:] = {value}")


# ------------------------------------------------------------------ out-of-range messages
@pytest.mark.parametrize("key", ["..., 9", ":, ..., 9", "0, ..., 9", "..., 9, 0", "None, ..., 9",
                                 "0, ..., None, 9", "1, None, ..., 9", "None, 9", "0, None, 9",
                                 "[0], ..., 9", "True, 9", "0, 0, 0, 9", "x[0, :, :, 0] > 0, 9",
                                 "x[0, :, :, 0] > 0, 0, 9", "..., -6", "torch.tensor(5)"])
def test_out_of_range_names_the_key_position(torch, key):
    """PyTorch names the dimension of an int out of range by its position in the key."""
    check_error(torch, f"x = torch.arange(120).reshape(2, 3, 4, 5)\nx[{key}]")
    check_error(torch, f"x = torch.arange(120).reshape(2, 3, 4, 5)\nx[{key}] = 0")


# ------------------------------------------------------------------ view/reshape arguments
@pytest.mark.parametrize("call", ["x.view(2.0, 3)", "x.reshape((2.0, 3))", "x.view((2, 3.0))",
                                  "x.view(np.float64(2), 3)", "x.view(True, 6)", "x.view(None)",
                                  "x.reshape(None)", "x.view(2, None)"])
def test_view_sizes_must_be_ints(torch, call):
    expected, got = run(torch, f"x = torch.zeros(2, 3)\n{call}"), \
        run(ember, f"x = torch.zeros(2, 3)\n{call}")
    assert got["error"][0] == expected["error"][0] == "TypeError"


def test_view_sizes_integer_likes(torch):
    check(torch, "x = torch.zeros(2, 3)\nout['a'] = x.view(np.int32(2), 3)\n"
                 "out['b'] = x.view(torch.tensor(2), 3)\nout['c'] = x.view(np.int64(6))\n"
                 "out['d'] = x.reshape(torch.Size([3, 2]))\nout['e'] = x.view(torch.int32)")


@pytest.mark.parametrize("call", ["x.as_strided((4,), (2,))", "x.as_strided((2, 2), (3, 1), 3)",
                                  "x.as_strided((-1,), (1,))", "x.as_strided((2, 2), (1,))"])
def test_as_strided_errors(torch, call):
    check_error(torch, f"x = torch.arange(6.)\n{call}")


@pytest.mark.parametrize("value", ["2**63", "-2**63 - 1", "2**64"])
@pytest.mark.parametrize("dtype", ["long", "int8"])  # (float32 takes 2**63 in Ember)
@pytest.mark.parametrize("key", ["0", "[0]"])
def test_setitem_int_beyond_int64(torch, value, dtype, key):
    check_error(torch, f"x = torch.zeros(2, dtype=torch.{dtype})\nx[{key}] = {value}")


def test_setitem_int_at_int64_limits(torch):
    check(torch, "x = torch.zeros(2, dtype=torch.long)\nx[0] = 2**63 - 1\nx[1] = -2**63\n"
                 "out['x'] = x")
