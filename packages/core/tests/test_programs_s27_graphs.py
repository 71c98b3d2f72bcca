"""Graph and irregular-data programs against PyTorch: edge-index message passing, scatter
reductions, segment reductions, sparse COO adjacency (index_select), batching of graphs and
edge sorting. Whole programs run with torch and with ember must print the same text."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _program_output import same_output, same_repr

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore")


def same(fn):
    same_repr(fn, torch)




# ---------------------------------------------------------------- segment_reduce graph node
@pytest.mark.parametrize("red", ["sum", "mean", "max", "min", "prod"])
def test_segment_reduce_grad_fn_name(red):
    def f(lib):
        lib.manual_seed(0)
        d = lib.randn(7, 2, requires_grad=True)
        r = lib.segment_reduce(d, red, lengths=lib.tensor([2, 0, 3, 2]))
        r.sum().backward()
        return r.grad_fn.name(), d.grad
    same(f)


# ---------------------------------------------------------------- sparse COO index_select
EI = [[0, 0, 1, 2, 2], [1, 2, 2, 0, 1]]
W = [0.5, 1.0, 2.0, 1.5, 0.25]


def _adj(lib, coalesce=False):
    a = lib.sparse_coo_tensor(lib.tensor(EI), lib.tensor(W), (3, 3))
    return a.coalesce() if coalesce else a


@pytest.mark.parametrize("coal", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sparse_index_select_sparse_dim(coal, dim):
    def f(lib):
        r = _adj(lib, coal).index_select(dim, lib.tensor([2, 0, 2]))
        return r.is_coalesced(), r._indices(), r._values(), r.shape, r.to_dense()
    same(f)


def test_sparse_index_select_uncoalesced_duplicates_and_function_form():
    def f(lib):
        u = lib.sparse_coo_tensor(lib.tensor([[2, 0, 2], [1, 1, 0]]), lib.tensor([1., 2., 3.]),
                                  (3, 3))
        return (u.index_select(0, lib.tensor([2, 0])), lib.index_select(u, 1, lib.tensor([0])),
                u.index_select(0, lib.tensor([], dtype=lib.long)))
    same(f)


def test_sparse_index_select_dense_dim():
    def f(lib):
        h = lib.sparse_coo_tensor(lib.tensor(EI), lib.arange(10.).view(5, 2), (3, 3, 2))
        h = h.coalesce()
        r = h.index_select(-1, lib.tensor([1, 1, 0]))
        return r.is_coalesced(), r.shape, r._values(), h.index_select(1, lib.tensor([1])).to_dense()
    same(f)


@pytest.mark.parametrize("ix", ["[3]", "[[1]]", "[1.]", "[-1]", "[0, -4]", "1", "int32"])
def test_sparse_index_select_index_checks(ix):
    def f(lib):
        if ix == "int32":
            index = lib.tensor([1], dtype=lib.int32)
        else:
            index = lib.tensor(eval(ix))
        return _adj(lib).index_select(0, index)
    same(f)


def test_sparse_index_select_dim_error_and_backward():
    same(lambda lib: _adj(lib).index_select(2, lib.tensor([0])))

    def f(lib):
        v = lib.tensor(W, requires_grad=True)
        r = lib.sparse_coo_tensor(lib.tensor(EI), v, (3, 3)).index_select(0, lib.tensor([2, 0]))
        name = r.grad_fn.name()
        try:
            r.to_dense().sum().backward()
        except NotImplementedError as e:
            return name, str(e).split(" This")[0]
        return name
    same(f)


# ---------------------------------------------------------------- whole programs
MESSAGE_PASSING = '''
import torch
torch.manual_seed(0)
edge_index = torch.tensor([[0, 1, 1, 2, 3, 3], [1, 0, 2, 1, 2, 0]])
x = torch.randn(4, 3)
src, dst = edge_index
msg = x.index_select(0, src)
out = torch.zeros(4, 3).index_add_(0, dst, msg)
print(out)
print(torch.zeros_like(x).scatter_add_(0, dst.unsqueeze(-1).expand(-1, 3), msg))
deg = torch.bincount(dst, minlength=4)
print(deg, deg.dtype, torch.zeros(4).scatter_add_(0, dst, torch.ones(dst.size(0))))
for red in ["sum", "mean", "amax", "amin", "prod"]:
    for inc in [True, False]:
        print(red, inc, torch.ones(4, 3).scatter_reduce(0, dst[:, None].expand(-1, 3), msg, red,
                                                        include_self=inc))
A = torch.sparse_coo_tensor(edge_index, torch.ones(6), (4, 4)).coalesce()
print(torch.sparse.sum(A, dim=1).to_dense().rsqrt())
print(A.index_select(0, torch.tensor([3, 1])))
print(torch.sparse.mm(A, x))
'''

BATCHING = '''
import torch
torch.manual_seed(0)
graphs = [(torch.randn(n, 2), torch.randint(0, n, (2, n + 1))) for n in [3, 4, 2]]
sizes = torch.tensor([g[0].size(0) for g in graphs])
offsets = torch.cat([torch.zeros(1, dtype=torch.long), sizes.cumsum(0)[:-1]])
X = torch.cat([g[0] for g in graphs])
EI = torch.cat([g[1] + o for g, o in zip(graphs, offsets)], dim=1)
batch = torch.repeat_interleave(torch.arange(len(graphs)), sizes)
print(X.shape, EI, batch)
print(torch.zeros(3, 2).index_add_(0, batch, X) / torch.bincount(batch).unsqueeze(1))
print(torch.zeros(3, 2).scatter_reduce(0, batch[:, None].expand_as(X), X, "amax",
                                       include_self=False))
perm = torch.argsort(EI[0] * 9 + EI[1], stable=True)
EI = EI[:, perm]
print(EI, torch.unique_consecutive(EI[0], return_counts=True))
print(torch.unique(EI, dim=1, return_counts=True))
lengths = torch.bincount(batch)
print(torch.segment_reduce(X, "max", lengths=lengths), torch.segment_reduce(X, "mean",
                                                                           lengths=lengths))
'''


@pytest.mark.parametrize("src", [MESSAGE_PASSING, BATCHING], ids=["message", "batching"])
def test_whole_program(src):
    same_output(src)


# ---------------------------------------------------------------- constructor and scatter checks
@pytest.mark.parametrize("case", [
    ("[0, 1]", "[1., 2.]", (3,)), ("[0, 1]", "[1., 2.]", (3, 3)), ("[[0, 1]]", "[1., 2.]", (3, 3)),
    ("[[0, 1]]", "[1., 1., 1.]", (3, 3)), ("[[0, 1], [0, 1]]", "[1., 1.]", (3,)),
    ("[[[0, 1]]]", "[1., 2.]", (3,)), ("[[0, 1]]", "[[1.], [1.]]", (3,)),
    ("[[0, 1.5]]", "[1., 2.]", (3,)), ("[[True, False]]", "[1., 2.]", (3,)),
    ("[[0, 1.]]", "[1., 2.]", None)])
def test_sparse_coo_tensor_size_and_index_checks(case):
    ind, val, size = case

    def f(lib):
        i, v = lib.tensor(eval(ind)), lib.tensor(eval(val))
        return lib.sparse_coo_tensor(i, v) if size is None else lib.sparse_coo_tensor(i, v, size)
    same(f)


SCATTER_ERRORS = [
    lambda L: L.zeros(4, 2).scatter_add_(0, L.tensor([[0, 1]]), L.ones(2)),
    lambda L: L.zeros(4, 2, 2).scatter_reduce(0, L.zeros(1, 1, 1, dtype=L.long), L.ones(2, 1),
                                              "sum"),
    lambda L: L.zeros(4, 2).scatter(0, L.zeros(1, 1, dtype=L.long), L.tensor(1.)),
    lambda L: L.zeros(4, 2).scatter_add(0, L.zeros(0, 1, dtype=L.long), L.ones(2)),
    lambda L: L.zeros(4, 2).scatter_add(0, L.zeros(0, 1, dtype=L.long), L.ones(2, 2, 2)),
    lambda L: L.zeros(4, 2).scatter_add(0, L.zeros(1, 1, dtype=L.long), L.tensor(1.)),
    lambda L: L.zeros(4).scatter_add(0, L.zeros(1, dtype=L.long), L.tensor(1.)),
    lambda L: L.zeros(4, 2).scatter(1, L.zeros(1, 1, dtype=L.long), L.ones(1, 1, 3)),
    lambda L: L.zeros(4, 2).scatter_reduce(0, L.zeros(1, 1, dtype=L.long), L.ones(2, 2, 2),
                                           "amax"),
]


@pytest.mark.parametrize("k", range(len(SCATTER_ERRORS)))
def test_scatter_src_dims_checks(k):
    same(SCATTER_ERRORS[k])


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dim", [0, 1, 2])
def test_sparse_softmax_grad_fn_name(log, dim):
    def f(lib):
        a = lib.sparse_coo_tensor(lib.tensor([[0, 1, 1], [1, 0, 2]]),
                                  lib.tensor([[.1, .2], [.3, .4], [.5, .6]]), (3, 3, 2))
        a.requires_grad_()
        r = (lib.sparse.log_softmax if log else lib.sparse.softmax)(a, dim)
        return r.grad_fn.name(), r
    same(f)


# ---------------------------------------------------------------- sparse.mm with reduce (CSR)
MMD = [[1., 0, 2], [0, 3, 0], [4, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize("red", ["sum", "mean", "amax", "amin", "max", "min"])
def test_sparse_mm_reduce_forward_and_grads(red):
    def f(lib):
        lib.manual_seed(0)
        c = lib.tensor(MMD).to_sparse_csr().requires_grad_()
        x = lib.randn(3, 2, requires_grad=True)
        r = lib.sparse.mm(c, x, red)
        r.pow(2).sum().backward()
        return r, r.grad_fn.name(), x.grad, c.grad
    same(f)


@pytest.mark.parametrize("case", ["prod", "coo", "csc", "double"])
def test_sparse_mm_reduce_refusals(case):
    def f(lib):
        d, x = lib.tensor(MMD), lib.ones(3, 2)
        if case == "prod":
            return lib.sparse.mm(d.to_sparse_csr(), x, "prod")
        if case == "coo":
            return lib.sparse.mm(d.to_sparse(), x, "sum")
        if case == "csc":
            return lib.sparse.mm(d.to_sparse_csc(), x, "mean")
        return lib.sparse.mm(d.to_sparse_csr(), x.double(), "amax")

    out = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as ei:  # noqa: PT011 - the type is compared below
            f(lib)
        out.append((type(ei.value).__name__, str(ei.value).split(" This could")[0]))
    assert out[1] == out[0]


# ---------------------------------------------------------------- summation order of duplicates
def _dups(lib, n=3000):
    g = np.random.default_rng(0)
    v = lib.tensor(g.standard_normal(n).astype(np.float32) * 1000)
    i, j = lib.tensor(g.integers(0, 3, n)), lib.tensor(g.integers(0, 2, n))
    return v, i, j


DUP_CASES = {
    "coalesce": lambda L, v, i, j: L.sparse_coo_tensor(L.stack([i, j]), v, (3, 2)).coalesce()
    .values(),
    "sparse_sum": lambda L, v, i, j: L.sparse.sum(L.sparse_coo_tensor(L.stack([i, j]), v, (3, 2))),
    "sparse_sum_dim": lambda L, v, i, j: L.sparse.sum(L.sparse_coo_tensor(L.stack([i, j]), v,
                                                                        (3, 2)), 1).to_dense(),
    "spmm_coalesced": lambda L, v, i, j: L.sparse.mm(
        L.sparse_coo_tensor(L.stack([i, j]), v, (3, 2)).coalesce(), L.ones(2, 2)),
    "bincount_f32": lambda L, v, i, j: L.bincount(i, weights=v),
    "bincount_f64": lambda L, v, i, j: L.bincount(i, weights=v.double(), minlength=5),
}


@pytest.mark.parametrize("name", list(DUP_CASES))
def test_duplicates_add_in_pytorch_order(name):
    """Bit-exact: PyTorch adds duplicate entries one by one in the order its sort leaves."""
    f = DUP_CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = f(torch, *_dups(torch))
        b = f(ember, *_dups(ember))
    assert str(b.dtype).replace("ember", "torch") == str(a.dtype)
    np.testing.assert_array_equal(b.numpy(), a.numpy())
