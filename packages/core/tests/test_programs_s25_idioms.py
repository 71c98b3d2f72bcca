"""Tensor idioms from Stack Overflow answers and blog posts (session 25, lane F): whole
programs run with torch and with Ember, their printed output compared, and the differences
they found pinned as oracle checks."""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Any

import numpy as np
import pytest

import ember


def printed(lib: Any, code: str) -> str:
    """What ``code`` prints with ``torch`` bound to ``lib`` (the library's name written as
    ``torch``; warnings silenced)."""
    buf = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(buf):
        warnings.simplefilter("ignore")
        exec(code, {"torch": lib, "np": np, "F": lib.nn.functional})
    return buf.getvalue()


def check_program(torch: Any, code: str) -> None:
    expected = printed(torch, code)
    got = printed(ember, code).replace("ember", "torch")
    assert got == expected, (code, got, expected)


# ---------------------------------------------- writes an out-of-range index cut short
# PyTorch's CPU kernel walks the result positions in C order and checks each index as it
# goes: the positions before the first bad index are written when the IndexError comes.
_PARTIAL_WRITES = [
    "x[torch.tensor([0, 2, 5])] = 0",
    "x[:, torch.tensor([0, 5, 1])] = -1",
    "x[torch.tensor([[0, 1], [5, 2]])] = -1",
    "x[torch.tensor([0, 2, 1]), torch.tensor([1, 9, 2])] = -1",
    "x[torch.tensor([[0], [2], [1]]), torch.tensor([1, 9])] = -1",
    "x[torch.tensor([0, 2]), torch.tensor([1, 9])] = torch.tensor([-1., -2.])",
    "x[torch.tensor([1, -1, 3])] = torch.tensor([7., 8., 9., 10.])",
    "x.index_put_((torch.tensor([1, 1, 7]),), torch.tensor(1.), accumulate=True)",
    "x.index_put_((torch.tensor([2, 0]), torch.tensor([-1, -5])), torch.tensor([5., 6.]), "
    "accumulate=True)",
    "x[1, torch.tensor([3, 4])] = 100.",
    "x[..., torch.tensor([2, 6])] = 100.",
    "x[0:2, torch.tensor([0, 1, 4])] = torch.tensor([[1., 2., 3.], [4., 5., 6.]])",
    "x[torch.tensor([7, 1])] = -1",
]


@pytest.mark.parametrize("write", _PARTIAL_WRITES)
def test_out_of_range_index_write_keeps_the_written_prefix(torch, write):
    check_program(torch, "x = torch.arange(12.).reshape(3, 4)\n"
                         f"try:\n    {write}\nexcept Exception as e:\n"
                         "    print(type(e).__name__, e)\nprint(x)\n")


@pytest.mark.parametrize("write", [
    "x[torch.tensor([0, 1]), :, torch.tensor([1, 7])] = -1.",
    "x[:, torch.tensor([2, 0, 3]), torch.tensor([1, 2, 0])] = -1.",
    "x[torch.tensor([1, 0, 1]), :, torch.tensor([[0], [9]])] = -1.",
    "x[:, :, torch.tensor([3, 1, 4])] = torch.tensor([1., 2., 3.])",
])
def test_out_of_range_index_write_3d(torch, write):
    check_program(torch, "x = torch.arange(24.).reshape(2, 3, 4)\n"
                         f"try:\n    {write}\nexcept Exception as e:\n"
                         "    print(type(e).__name__)\nprint(x)\n")


# ----------------------------------------------------------- where's broadcast message
@pytest.mark.parametrize("shapes", [
    ((2, 3), (2, 3), (2,)), ((3,), (2, 4), None), ((2, 1), (3,), (4,)), ((5,), (2,), (2,)),
    ((2, 3), (1,), (3, 2)),
])
def test_where_broadcast_error_message(torch, shapes):
    msgs = []
    for lib in (torch, ember):
        c, a, b = shapes
        args = (lib.zeros(c) > 0, lib.zeros(a), 1.0 if b is None else lib.zeros(b))
        with pytest.raises(RuntimeError) as info:
            lib.where(*args)
        msgs.append(str(info.value))
    assert msgs[0] in msgs[1], msgs


# --------------------------------------------- scatter(reduce=) deprecation: user's line
def test_scatter_reduce_deprecation_names_the_callers_line(torch, monkeypatch):
    from ember.ops import indexing_scatter

    monkeypatch.setattr(indexing_scatter, "_warned_reduce", False)
    src = ember.arange(1., 11.).reshape(2, 5)
    idx = ember.tensor([[0, 1, 2, 0, 0], [1, 2, 0, 1, 2]])
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        ember.zeros(3, 5).scatter(0, idx, src, reduce="add")
    assert [w.filename for w in got] == [__file__]
    assert "reduce argument of torch.scatter" in str(got[0].message)


# ------------------------------------------------------------------- whole programs
_PROGRAMS = {
    "masking": """
torch.manual_seed(0)
x = torch.randn(3, 4)
x[x > 0] = 0
print(x)
y = torch.arange(12).reshape(3, 4)
y[y % 2 == 0] = -1
print(y, y[torch.tensor([True, False, True])])
z = torch.randn(2, 3, 4)
m = torch.tensor([[1, 0, 1]], dtype=torch.bool).unsqueeze(-1)
print(z.masked_fill(m, float('-inf')))
print(torch.where(z > 0, z, 0.), torch.where(z > 0, 1, -1))
print(torch.where(y > 3, y, 100).dtype, torch.where(y > 3, 1.5, y).dtype)
a = torch.zeros(3)
a[[0, 0, 1]] += 1
print(a)
a.index_put_((torch.tensor([0, 0]),), torch.tensor(1.), accumulate=True)
print(a)
try:
    torch.where(y > 1, y, torch.tensor([1, 2]))
except Exception as e:
    print(type(e).__name__)
""",
    "sequence_masks": """
lengths = torch.tensor([3, 1, 2])
mask = torch.arange(int(lengths.max()))[None, :] < lengths[:, None]
x = torch.arange(9.).reshape(3, 3)
print(mask, x.masked_fill(~mask, 0.))
print(x.masked_fill(mask == 0, float('-inf')).softmax(-1))
print((x * mask).sum(1) / mask.sum(1))
causal = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
print(torch.zeros(2, 4, 4).masked_fill(causal, float('-inf')).softmax(-1)[0])
x[~mask] = -1
print(x, x[mask].dtype)
""",
    "one_hot_scatter": """
labels = torch.tensor([0, 2, 1, 3])
print(torch.zeros(4, 5).scatter_(1, labels.unsqueeze(1), 1.0), F.one_hot(labels, 6))
src = torch.arange(1., 11.).reshape(2, 5)
idx = torch.tensor([[0, 1, 2, 0, 0], [1, 2, 0, 1, 2]])
print(torch.zeros(3, 5).scatter_add_(0, idx, src))
print(torch.ones(3, 5).scatter_reduce(0, idx, src, reduce='mean', include_self=False))
seg = torch.tensor([0, 0, 1, 2, 2, 2])
vals = torch.tensor([1., 2., 3., 4., 5., 6.])
print(torch.zeros(3).index_add(0, seg, vals), torch.bincount(seg))
""",
    "unique_sort": """
u = torch.tensor([3, 1, 2, 3, 1, 1])
print(torch.unique(u, return_inverse=True, return_counts=True))
m = torch.tensor([[1, 2], [3, 4], [1, 2]])
print(torch.unique(m, dim=0, return_inverse=True, return_counts=True))
print(torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_counts=True))
print(torch.sort(u, stable=True), u.argsort(stable=True, descending=True))
print(torch.kthvalue(torch.tensor([5., 1., 4., 2.]), 2), torch.mode(torch.tensor([1, 2, 2, 3, 3])))
print(torch.cummax(torch.tensor([1., 3., 2., 5., 4.]), 0))
""",
}


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_program(torch, name):
    check_program(torch, _PROGRAMS[name])


# ------------------------------------------------------ einsum of mixed-dtype operands
# PyTorch multiplies two operands that share no summed label (mul promotes) and contracts
# the others with bmm (one dtype only)
@pytest.mark.parametrize("eq,a,b", [
    ("ij,ij->ij", "float32", "float64"), ("ij,ij->i", "float32", "float64"),
    ("i,j->ij", "int64", "float32"), ("i,j->ij", "int32", "bool"),
    ("ij,k->k", "int64", "float32"), ("ij,jk", "int64", "float32"),
    ("ij,ij", "int64", "float32"), ("ij,ij->ji", "float16", "float32"),
])
def test_einsum_mixed_dtypes(torch, eq, a, b):
    res = []
    for lib in (torch, ember):
        x = lib.tensor([[1, 2], [0, 3]], dtype=getattr(lib, a))
        y = lib.tensor([[1.5, 3.], [2., 1.]]).to(getattr(lib, b))
        if eq.startswith("i,"):
            x, y = x[0], y[1]
        try:
            r = lib.einsum(eq, x, y)
            res.append((str(r.dtype).split(".")[-1], r.tolist()))
        except RuntimeError as e:
            res.append(("RuntimeError", str(e)))
    assert res[1] == res[0]


def test_einsum_mixed_dtypes_gradients(torch):
    got = []
    for lib in (torch, ember):
        x = lib.tensor([1., 2.], requires_grad=True)
        y = lib.tensor([3., 4., 5.], dtype=lib.float64, requires_grad=True)
        lib.einsum("i,j->ij", x, y).sum().backward()
        got.append((x.grad.dtype is lib.float32, x.grad.tolist(), y.grad.tolist()))
    assert got[1] == got[0]


# ------------------------- the in-place scatter / index_* family cut short the same way
@pytest.mark.parametrize("shape,call", [
    ((3, 4), "x.index_copy_(0, torch.tensor([1, 7]), -torch.ones(2, 4))"),
    ((3, 4), "x.index_copy_(1, torch.tensor([1, 7]), -torch.ones(3, 2))"),
    ((3, 4), "x.index_add_(0, torch.tensor([1, 7]), torch.ones(2, 4))"),
    ((3, 4), "x.index_add_(1, torch.tensor([2, 7]), torch.ones(3, 2))"),
    ((3, 4), "x.index_add_(1, torch.tensor([2, 0, 9]), torch.ones(3, 3), alpha=2)"),
    ((2, 3, 2), "x.index_add_(1, torch.tensor([2, 0, 9]), torch.ones(2, 3, 2))"),
    ((3, 4), "x.index_add_(1, torch.tensor([2, 5], dtype=torch.int32), torch.ones(3, 2))"),
    ((3, 4), "x.index_fill_(1, torch.tensor([1, 7]), -1.)"),
    ((2, 3, 4), "x.index_fill_(2, torch.tensor([-1, 1, -5]), -7.)"),
    ((3, 4), "x.scatter_(0, torch.tensor([[1, 2, 7, 0]]), -1.)"),
    ((3, 4), "x.scatter_(1, torch.tensor([[1, 2], [0, 9]]), -torch.ones(2, 2))"),
    ((3, 4), "x.scatter_add_(1, torch.tensor([[1, 2], [0, 9]]), torch.ones(2, 2))"),
    ((2, 3, 4), "x.scatter_(2, torch.tensor([[[1, 1, 5]]]), torch.tensor([[[1., 2., 3.]]]), "
                "reduce='add')"),
    ((3, 4), "x.put_(torch.tensor([1, 20, 3]), torch.tensor([-1., -2., -3.]))"),
    ((3, 4), "x.put_(torch.tensor([-1, 3, -30]), torch.tensor([1., 2., 3.]), accumulate=True)"),
    ((6,), "x.index_add_(0, torch.tensor([2, 0, 9, 1]), torch.ones(4))"),
    ((3, 4), "x[1:].index_fill_(1, torch.tensor([1, 8]), -1.)"),
])
def test_out_of_range_inplace_index_ops_keep_the_written_prefix(torch, shape, call):
    n = int(np.prod(shape))
    check_program(torch, f"x = torch.arange({n}.).reshape{shape}\n"
                         f"try:\n    {call}\nexcept Exception as e:\n"
                         "    print(type(e).__name__)\nprint(x)\n")


# ------------------------------------------- NumPy arrays with negative strides (np.flip)
# torch.tensor / as_tensor / Tensor read a NumPy array through from_numpy, which refuses
# them, even when the data is copied or converted (a well-known Stack Overflow error)
@pytest.mark.parametrize("expr", [
    "L.tensor(np.flip(a))", "L.tensor(a[:, ::-1])", "L.tensor(a[::-1], dtype=L.float32)",
    "L.as_tensor(a[::-1], dtype=L.float32)", "L.as_tensor(a[:, ::-1])", "L.Tensor(a[::-1])",
    "L.FloatTensor(a[::-1])", "L.tensor(a[::-1][:0])", "L.tensor(np.arange(3)[::-1])",
    "L.tensor([a[::-1]])", "L.tensor(a[::-1].copy())", "L.tensor(np.arange(3)[::-1].astype(np.int32))",
])
def test_negative_stride_arrays(torch, expr):
    names = {"a": np.arange(6.).reshape(2, 3), "np": np}
    out = []
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append(("ok", eval(expr, {**names, "L": lib}).tolist()))
            except ValueError as e:
                out.append(("ValueError", str(e)))
    assert out[1] == out[0]
