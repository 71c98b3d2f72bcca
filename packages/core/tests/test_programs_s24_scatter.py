"""Indexed writes and the scatter/gather family (session 24, lane B): cases a differential
fuzzer found, run with torch and with Ember on the same data, comparing values, dtypes,
shapes and error types."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember


def _result(v: Any) -> Any:
    """A comparable form of a program's result: tensors as (dtype, shape, values)."""
    if hasattr(v, "grad_fn") and hasattr(v, "detach"):
        dt = str(v.dtype).split(".")[-1]
        t = v.detach().float() if dt == "bfloat16" else v.detach()  # (exact: widening)
        return ("tensor", dt, tuple(v.shape), t.numpy().tolist())
    return v


def run(lib: Any, code: str) -> dict:
    """Runs ``code`` with ``torch`` bound to ``lib``; its ``out`` dict, or the error's type."""
    out: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(code, {"torch": lib, "np": np, "out": out})
        except Exception as e:  # noqa: BLE001 - the error itself is the result compared
            out = {"error": type(e).__name__}
    return {k: _result(v) for k, v in out.items()}


def check(torch: Any, code: str) -> None:
    expected, got = run(torch, code), run(ember, code)
    assert got == expected, (code, got, expected)


# ------------------------------------------------------- index_put accumulate, 1-d target
# NumPy 2's ufunc.at misreads values of fewer dims than a 2-d index into a 1-d array
@pytest.mark.parametrize("dtype", ["int16", "int64", "float32", "float64"])
@pytest.mark.parametrize("call", [
    "x.index_put_((i,), v, accumulate=True)",
    "x = x.index_put((i,), v, accumulate=True)",
    "x = torch.index_put(x, (i,), v, True)",
])
def test_index_put_accumulate_broadcasts_values_into_1d(torch, dtype, call):
    check(torch, f"x = torch.tensor([-3, -6, 4], dtype=torch.{dtype})\n"
                 "i = torch.tensor([[0, 1], [1, 0], [2, 2]])\n"
                 f"v = torch.tensor([-3, 2], dtype=torch.{dtype})\n{call}\nout['x'] = x")


def test_index_put_accumulate_1d_broadcast_gradients(torch):
    check(torch, "x = torch.tensor([1., 2., 3.], dtype=torch.float64, requires_grad=True)\n"
                 "v = torch.tensor([5., 7.], dtype=torch.float64, requires_grad=True)\n"
                 "i = torch.tensor([[0, 2], [2, 2]])\n"
                 "y = x.index_put((i,), v, accumulate=True)\n"
                 "(y * torch.tensor([1., 10., 100.], dtype=torch.float64)).sum().backward()\n"
                 "out['y'] = y; out['gx'] = x.grad; out['gv'] = v.grad")


def test_index_put_accumulate_fuzz(torch):
    """Seeded: random targets, 1-2 index tensors (duplicates, broadcast shapes), values
    broadcast from a trailing part of the result's shape."""
    rng = np.random.default_rng(24)
    for _ in range(150):
        shape = tuple(int(n) for n in rng.integers(1, 4, rng.integers(1, 4)))
        k = int(rng.integers(1, len(shape) + 1))
        ishape = tuple(int(n) for n in rng.integers(1, 4, rng.integers(1, 3)))
        idx = [rng.integers(-shape[d], shape[d], ishape).tolist() for d in range(k)]
        x = rng.integers(-5, 5, shape).tolist()
        rs = ishape + shape[k:]
        vs = tuple(1 if rng.random() < .3 else n for n in rs[int(rng.integers(0, len(rs) + 1)):])
        v = rng.integers(-5, 5, vs).tolist()
        dt = rng.choice(["int32", "float64"])
        check(torch, f"x = torch.tensor({x}, dtype=torch.{dt})\n"
                     f"idx = tuple(torch.tensor(i) for i in {idx})\n"
                     f"x.index_put_(idx, torch.tensor({v}, dtype=torch.{dt}), accumulate=True)\n"
                     "out['x'] = x")


# ------------------------------------------------------- writes into expanded tensors
@pytest.mark.parametrize("write", [
    "x.index_put_((torch.tensor([0, 2]),), torch.tensor([1, 2, 3, 4]))",
    "x[torch.tensor([0, 2])] = torch.tensor([1, 2, 3, 4])",
    "x[[3]] = 9",
])
def test_index_put_into_expand_of_a_reshape(torch, write):
    """An expanded reshape (an as_strided view) is written through, with a warning."""
    check(torch, "x = torch.tensor([-7, -3, -8, -4]).reshape(1, 1, 4).expand(4, 1, 4)\n"
                 f"{write}\nout['x'] = x")


@pytest.mark.parametrize("mask", ["[False, True, False, False]", "[True, False, False, False]",
                                  "[False, False, False, False]"])
@pytest.mark.parametrize("op", ["masked_fill_(m, -1)", "index_fill_(0, m.nonzero()[:, 0], -1)"])
def test_masked_fill_of_expanded_writes_only_masked(torch, mask, op):
    """Elements sharing memory: only the selected ones write, so a False elsewhere does not
    undo the fill."""
    check(torch, "x = torch.tensor([7]).reshape(1, 1).expand(4, 1)\n"
                 f"m = torch.tensor({mask}).reshape(4, 1)\n"
                 f"x.{op}\nout['x'] = x")


def test_masked_fill_of_expanded_warns():
    x = ember.tensor([7]).expand(3)
    with pytest.warns(UserWarning, match="masked_fill_ on expanded tensors is deprecated"):
        x.masked_fill_(ember.tensor([True, False, False]), 2)


# ------------------------------------------------------- error order
@pytest.mark.parametrize("call", [
    "x.put(torch.tensor([5]), torch.tensor([1]))",           # dtype before range
    "x.put(torch.tensor([0, 1]), torch.tensor([1]))",        # dtype before numel
    "x.put(torch.tensor([5, 1]), torch.tensor([1.]))",       # numel before range
    "x.put(torch.tensor([0], dtype=torch.int32), torch.tensor([1]))",  # index dtype first
    "x.put_(torch.tensor([7]), torch.tensor([1.]))",
    "torch.put(x.to(torch.complex64), torch.tensor([-1, 3]), torch.tensor([3, 4], dtype=torch.int8))",
])
def test_put_error_order(torch, call):
    check(torch, f"x = torch.zeros(3)\n{call}")


@pytest.mark.parametrize("call", [
    "x.index_select(0, torch.tensor([], dtype=torch.long))",
    "x.index_select(-1, torch.tensor([0, 1]))",
    "x.index_select(0, torch.tensor([0, 0]))",
    "x.index_select(0, torch.tensor([0]))",
    "x.index_add(0, torch.tensor([0, 0]), torch.tensor(2.))",
    "x.index_add_(-1, torch.tensor([], dtype=torch.long), torch.tensor(2.))",
    "x.index_add(0, torch.tensor([0]), torch.tensor(2.), alpha=3)",
    "x.index_copy(0, torch.tensor([], dtype=torch.int32), torch.tensor(2.))",
    "x.index_copy(0, torch.tensor([0, 0]), torch.tensor(2.))",
    "x.index_copy_(0, torch.tensor([0], dtype=torch.int32), torch.tensor(2.))",
    "x.index_copy(0, torch.tensor([0]), torch.tensor(2.))",
])
def test_index_ops_on_a_scalar(torch, call):
    check(torch, f"x = torch.tensor(5.)\nout['y'] = {call}")


def test_index_copy_count_error_on_a_vector(torch):
    check(torch, "x = torch.zeros(3)\n"
                 "out['y'] = x.index_copy(0, torch.tensor([], dtype=torch.long), torch.ones(1))")


# ------------------------------------------------------- in-place checks: PyTorch's order
@pytest.mark.parametrize("call", [
    "x.index_copy_(0, torch.tensor([0]), torch.zeros(1, 3, dtype=torch.int64))",
    "x.index_copy_(0, torch.tensor([0], dtype=torch.int32), torch.zeros(1, 3))",
    "x.index_add_(0, torch.tensor([5]), torch.zeros(1, 3))",
    "x.index_add_(0, torch.tensor([0]), torch.zeros(1, 3, dtype=torch.int64))",
    "x.scatter_(0, torch.tensor([[7]]), 1.)",
    "x.scatter_add_(0, torch.tensor([[7]]), torch.ones(1, 1))",
    "x.scatter_(0, torch.tensor([[0]]), torch.zeros(1, 3, dtype=torch.int64))",
])
def test_inplace_index_ops_on_expanded_self(torch, call):
    """An expanded self is refused before the index range (index_copy_: before anything)."""
    check(torch, f"x = torch.zeros(1, 3).expand(2, 3)\n{call}")


@pytest.mark.parametrize("call", [
    "x.masked_scatter_(torch.ones(2, 1, 1, dtype=torch.bool), torch.zeros(5))",
    "x.masked_scatter_(torch.ones(2, 1, 1, dtype=torch.uint8), torch.zeros(5))",
    "x.masked_scatter_(torch.ones(3, dtype=torch.bool), torch.zeros(5))",
    "x.masked_scatter_(torch.ones(2, 1, 1, dtype=torch.bool), torch.zeros(5).double())",
    "x.masked_scatter_(torch.ones(1, dtype=torch.uint8), torch.zeros(5).double())",
    "x.masked_scatter_(mask=torch.ones(2, 1, 1, dtype=torch.bool), source=torch.zeros(5))",
    "x.masked_scatter(torch.ones(2, 1, 1, dtype=torch.bool), torch.zeros(5))",
    "x.masked_scatter(torch.tensor([0, 2]), torch.zeros(6))",
    "x.masked_scatter(torch.ones(1, 1, dtype=torch.uint8), torch.zeros(6, dtype=torch.int64))",
])
def test_masked_scatter_check_order(torch, call):
    """Out of place: shapes, the source's dtype, the mask's dtype; in place: the source's
    dtype, the mask expanded to self (PyTorch's expand error), the mask's dtype."""
    check(torch, f"x = torch.zeros(1, 1)\nout['y'] = {call}")


@pytest.mark.parametrize("op", ["masked_fill", "masked_fill_"])
@pytest.mark.parametrize("mask", ["torch.ones(2, 3, dtype=torch.uint8)", "torch.ones(2, dtype=torch.int64)",
                                  "torch.ones(2, dtype=torch.bool)", "torch.ones(2, 3, dtype=torch.bool)",
                                  "torch.ones(2, 2, 3, dtype=torch.bool)"])
@pytest.mark.parametrize("value", ["1", "300", "torch.tensor([1])", "1j"])
def test_masked_fill_check_order(torch, op, mask, value):
    """Out of place: broadcast, value's dims, mask dtype, value's range; in place: value's
    dims, mask dtype, broadcast (self's size named first), value's range."""
    check(torch, f"x = torch.zeros(2, 3, dtype=torch.uint8)\nout['y'] = x.{op}({mask}, {value})")


def test_take_along_dim_of_a_scalar(torch):
    check(torch, "out['y'] = torch.take_along_dim(torch.tensor(3.), torch.tensor(0), -1)")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_take_along_dim_negative_indices(torch, dim):
    """Along a dim, negative indices count from the end (flattened, they are refused)."""
    check(torch, "x = torch.arange(6.).reshape(2, 3)\n"
                 f"i = torch.tensor([[0, -1], [-2, 1]])[:, :{2 if dim == 0 else 2}]\n"
                 f"out['y'] = torch.take_along_dim(x, i if {dim} else i[:1], {dim})")
    check(torch, "out['y'] = torch.take_along_dim(torch.arange(6.), torch.tensor([-1]))")


# ------------------------------------------------------- index_add's alpha
@pytest.mark.parametrize("dtype, alpha", [
    ("uint8", -1), ("uint8", 255), ("uint8", 256), ("uint8", -255), ("uint8", 0.9),
    ("uint8", -0.9), ("int8", 300), ("int8", 127.9), ("int8", -3.5), ("bool", 0.5),
    ("bool", -1), ("bool", 0), ("int64", 0.5), ("int64", -2.5),
])
def test_index_add_alpha_converts_to_self_dtype(torch, dtype, alpha):
    """alpha is converted to self's dtype as PyTorch does: checked for range, -1 wrapping into
    uint8, truncated toward zero, nonzero-ness for bool."""
    check(torch, f"x = torch.tensor([10, 10, 1], dtype=torch.{dtype})\n"
                 f"s = torch.tensor([3, 4, 0], dtype=torch.{dtype})\n"
                 f"out['y'] = x.index_add(0, torch.tensor([0, 1, 0]), s, alpha={alpha})")


def test_index_add_int32_index_takes_the_indexed_path(torch):
    """Only an int64 index takes PyTorch's scatter path (its error names the index)."""
    check(torch, "x = torch.zeros(4, 1)\n"
                 "out['y'] = x.index_add(0, torch.tensor([1, -1], dtype=torch.int32), "
                 "torch.ones(2, 1))")
    check(torch, "x = torch.zeros(4, 1)\n"
                 "out['y'] = x.index_add(0, torch.tensor([1, -1]), torch.ones(2, 1))")


# ------------------------------------------------------- half precision accumulation
_HALF_SCATTERS = [
    "x.scatter_add(d, i, s)",
    "x.scatter_reduce(d, i, s, 'sum')",
    "x.scatter_reduce(d, i, s, 'sum', include_self=False)",
    "x.scatter_reduce(d, i, s, 'mean')",
    "x.scatter_reduce(d, i, s, 'mean', include_self=False)",
    "x.scatter_reduce(d, i, s, 'prod')",
    "x.scatter(d, i, s, reduce='add')",
    "x.scatter(d, i, s, reduce='multiply')",
    "x.index_add(d, j, s)",
    "x.index_add(d, j.int(), s)",
    "x.index_add(d, j, s, alpha=2)",
    "x.index_put((j,), s.movedim(d, 0)[:, :, :1], accumulate=True)",
    "x.put(i.reshape(-1), s.reshape(-1), accumulate=True)",
]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("call", _HALF_SCATTERS)
def test_half_scatters_round_as_pytorch(torch, dtype, call):
    """PyTorch's scatter kernels (and index_add's scatter path) sum float16/bfloat16 in
    float32 and round once; index_put and put round at every repeated index."""
    rng = np.random.default_rng(7)
    x = np.round(rng.uniform(-3, 3, (4, 3, 3)), 2).tolist()
    s = np.round(rng.uniform(-3, 3, (6, 3, 3)), 2).tolist()
    i = rng.integers(0, 3, (6, 3, 3)).tolist()
    j = rng.integers(0, 3, 6).tolist()
    for d in (0, 2):
        check(torch, f"x = torch.tensor({x}).to(torch.{dtype})\n"
                     f"s = torch.tensor({s}).to(torch.{dtype})\n"
                     f"i, j, d = torch.tensor({i}), torch.tensor({j}), {d}\n"
                     "if d:  # the same along the last dim\n"
                     "    x, s, i = (t.movedim(0, 2).contiguous() for t in (x, s, i))\n"
                     f"out['y'] = {call}")


# ------------------------------------------------------- index_add's source shape
@pytest.mark.parametrize("self_shape, dim, index, source_shape", [
    ((4, 3), 0, [0, 1], (2, 2)), ((4, 3), 0, [0, 1], (2, 3, 1)), ((4, 3), 0, [0, 1], (2,)),
    ((4, 3), 1, [0, 1], (3, 2)), ((4, 3), 0, [0, 9], (2, 2)), ((4, 3), 0, [0], ()),
    ((4,), 0, [0], ()), ((), 0, [0], (1,)), ((), 0, [0], ()), ((4, 3), 1, [0, 1], (2,)),
    ((4, 3, 2), 2, [0, 1], (4, 3)), ((4, 3), 0, [0, 1, 2], (2, 2)), ((4, 3), 1, [2, 0], (4, 2)),
])
@pytest.mark.parametrize("op", ["index_add", "index_add_"])
def test_index_add_source_shape_must_match(torch, self_shape, dim, index, source_shape, op):
    """The source's other dims must equal self's (PyTorch's RuntimeError, after the count
    check and before the index range), not be reshaped or broadcast into it."""
    check(torch, f"x = torch.zeros({self_shape})\n"
                 f"out['y'] = x.{op}({dim}, torch.tensor({index}), torch.ones({source_shape}))")
