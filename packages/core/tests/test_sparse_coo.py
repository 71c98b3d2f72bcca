"""The sparse COO layout against PyTorch: construction, conversions, repr, arithmetic,
products and their gradients (by torch and by finite differences in float64)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")

IND = [[0, 1, 1, 0, 2], [2, 0, 2, 2, 1]]  # uncoalesced: (0, 2) twice
VAL = [3.0, 4.0, 5.0, -1.0, 2.0]


def both(torch, size=(3, 3), dtype="float32", requires_grad=False):
    e = ember.sparse_coo_tensor(ember.tensor(IND), ember.tensor(VAL, dtype=getattr(ember, dtype)),
                                size, requires_grad=requires_grad)
    t = torch.sparse_coo_tensor(torch.tensor(IND), torch.tensor(VAL, dtype=getattr(torch, dtype)),
                                size, requires_grad=requires_grad)
    return e, t


def dense(a):
    return a.detach().to_dense() if a.is_sparse else a.detach()


def test_metadata(torch):
    e, t = both(torch)
    assert e.is_sparse and e.layout is ember.sparse_coo and repr(e.layout) == "ember.sparse_coo"
    assert tuple(e.shape) == tuple(t.shape) and e.ndim == t.ndim and e.dim() == t.dim()
    assert (e._nnz(), e.sparse_dim(), e.dense_dim()) == (t._nnz(), t.sparse_dim(), t.dense_dim())
    assert e.is_coalesced() == t.is_coalesced() is False
    assert str(e.dtype)[6:] == str(t.dtype)[6:]
    assert tuple(ember.sparse_coo_tensor(ember.tensor(IND), ember.tensor(VAL)).shape) == \
        tuple(torch.sparse_coo_tensor(torch.tensor(IND), torch.tensor(VAL)).shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_repr(torch, dtype):
    e, t = both(torch, dtype=dtype)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    e, t = both(torch, requires_grad=True)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    e3 = ember.sparse_coo_tensor(ember.tensor(IND), ember.ones(5, 2), (3, 3, 2))
    t3 = torch.sparse_coo_tensor(torch.tensor(IND), torch.ones(5, 2), (3, 3, 2))
    assert repr(e3) == repr(t3).replace("torch.", "ember.")
    ee = ember.sparse_coo_tensor(ember.zeros(2, 0, dtype=ember.long), ember.zeros(0), (2, 3))
    te = torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0), (2, 3))
    assert repr(ee) == repr(te).replace("torch.", "ember.")


def test_coalesce_indices_values(torch):
    e, t = both(torch)
    with pytest.raises(RuntimeError, match="uncoalesced"):
        e.indices()
    with pytest.raises(RuntimeError, match="uncoalesced"):
        e.values()
    ec, tc = e.coalesce(), t.coalesce()
    assert ec.is_coalesced()
    assert_close(ec.indices(), tc.indices())
    assert_close(ec.values(), tc.values())
    assert_close(e._indices(), t._indices())
    assert_close(e._values(), t._values())
    assert_close(e.to_dense(), t.to_dense())


@pytest.mark.parametrize("sparse_dim", [None, 1, 2])
def test_to_sparse_roundtrip(torch, sparse_dim):
    x = np.array([[0, 1.5, 0], [0, 0, 0], [2, 0, -3]], dtype=np.float32)
    e = ember.tensor(x).to_sparse(sparse_dim) if sparse_dim else ember.tensor(x).to_sparse()
    t = torch.tensor(x).to_sparse(sparse_dim) if sparse_dim else torch.tensor(x).to_sparse()
    assert repr(e) == repr(t).replace("torch.", "ember.")
    assert e.is_coalesced() and ember.tensor(x).to_sparse_coo()._nnz() == 3
    assert_close(e.to_dense(), t.to_dense())


def test_copies_and_dtype(torch):
    e, t = both(torch)
    assert_close(e.clone().to_dense(), t.clone().to_dense())
    d = e.to(ember.float64)
    assert d.dtype is ember.float64 and d.is_sparse
    assert_close(e.double().to_dense(), t.double().to_dense())
    assert e.detach().is_sparse and not e.detach().requires_grad
    assert e.requires_grad_().requires_grad


def test_dense_ops_refuse_sparse(torch):
    e, t = both(torch)
    for fn in (lambda a: a.exp(), lambda a: a.view(9)):
        with pytest.raises(NotImplementedError):
            fn(t)
        with pytest.raises(NotImplementedError, match="SparseCPU"):
            fn(e)


def test_constructor_errors(torch):
    for args in (([[0, 5]], [1.0, 2.0], (3,)), ([[0, 1]], [1.0], (3,))):
        with pytest.raises(RuntimeError):
            torch.sparse_coo_tensor(torch.tensor(args[0]), torch.tensor(args[1]), args[2],
                                    check_invariants=True)
        with pytest.raises(RuntimeError):
            ember.sparse_coo_tensor(ember.tensor(args[0]), ember.tensor(args[1]), args[2],
                                    check_invariants=True)


def test_arithmetic(torch):
    e, t = both(torch)
    e2 = ember.sparse_coo_tensor(ember.tensor([[2, 0], [2, 2]]), ember.tensor([1.0, 7.0]), (3, 3))
    t2 = torch.sparse_coo_tensor(torch.tensor([[2, 0], [2, 2]]), torch.tensor([1.0, 7.0]), (3, 3))
    dd = np.arange(9, dtype=np.float32).reshape(3, 3)
    cases = [lambda a, b, d: a + b, lambda a, b, d: a - b, lambda a, b, d: a * 2.5,
             lambda a, b, d: a / 4, lambda a, b, d: -a, lambda a, b, d: a * b,
             lambda a, b, d: d + a, lambda a, b, d: a * d, lambda a, b, d: a.t(),
             lambda a, b, d: a.transpose(0, 1), lambda a, b, d: a.sum(),
             lambda a, b, d: a.coalesce() * b.coalesce()]
    for fn in cases:
        r, rt = fn(e, e2, ember.tensor(dd)), fn(t, t2, torch.tensor(dd))
        assert r.is_sparse == rt.is_sparse
        assert_close(dense(r), dense(rt))


def test_sparse_plus_dense_refused(torch):
    e, t = both(torch)
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
        t + torch.ones(3, 3)
    with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
        e + ember.ones(3, 3)


@pytest.mark.parametrize("dim", [0, 1, (0, 1)])
def test_sparse_sum(torch, dim):
    e, t = both(torch)
    r, rt = ember.sparse.sum(e, dim), torch.sparse.sum(t, dim)
    assert r.is_sparse == rt.is_sparse
    assert_close(dense(r), dense(rt))


@pytest.mark.parametrize("dim", [0, 1])
def test_sparse_softmax(torch, dim):
    e, t = both(torch, dtype="float64")
    assert_close(ember.sparse.softmax(e, dim).to_dense(), torch.sparse.softmax(t, dim).to_dense())
    assert_close(ember.sparse.log_softmax(e, dim).to_dense(),
                 torch.sparse.log_softmax(t, dim).to_dense())


def test_sparse_mask(torch):
    e, t = both(torch)
    x = np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32)
    r, rt = ember.tensor(x).sparse_mask(e.coalesce()), torch.tensor(x).sparse_mask(t.coalesce())
    assert_close(r.to_dense(), rt.to_dense())


@pytest.mark.parametrize("fn", ["mm", "matmul", "at", "sparse.mm", "spmm", "addmm", "sparse.addmm"])
def test_mm_and_gradients(torch, fn):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4))
    c = rng.standard_normal((3, 4))

    def go(T, lib_s, lib_x):
        s, _ = (lib_s, None)
        d = T.tensor(x, requires_grad=True)
        if fn == "at":
            y = s @ d
        elif fn == "sparse.mm":
            y = T.sparse.mm(s, d)
        elif fn == "addmm":
            y = T.addmm(T.tensor(c), s, d, beta=0.5, alpha=2.0)
        elif fn == "sparse.addmm":
            y = T.sparse.addmm(T.tensor(c), s, d, beta=0.5, alpha=2.0)
        else:
            y = getattr(T, fn)(s, d)
        (y * T.tensor(c)).sum().backward()
        return y, d.grad, s.grad

    e, t = both(torch, dtype="float64", requires_grad=True)
    ye, gde, gse = go(ember, e, x)
    yt, gdt, gst = go(torch, t, x)
    assert_close(ye, yt)
    assert_close(gde, gdt)
    assert gse.is_sparse == gst.is_sparse
    assert_close(dense(gse), dense(gst))
    if "addmm" not in fn:
        assert ye.grad_fn.name() == yt.grad_fn.name()


def test_gradient_to_values(torch):
    """GCN-style: values of a fixed pattern require grad; the gradient is dense."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2))

    def go(T):
        v = T.tensor(VAL, dtype=T.float64, requires_grad=True)
        s = T.sparse_coo_tensor(T.tensor(IND), v, (3, 3))
        y = T.sparse.mm(s * 2.0, T.tensor(x)) + (s.to_dense() ** 2).sum()
        y.sum().backward()
        return v.grad

    assert_close(go(ember), go(torch))


def test_gradcheck_values():
    ind = ember.tensor(IND)
    x = ember.tensor(np.random.default_rng(3).standard_normal((3, 2)), requires_grad=True)

    def f(v, d):
        s = ember.sparse_coo_tensor(ind, v, (3, 3))
        return ember.sparse.mm(s, d) + ember.sparse.softmax(s.coalesce(), 1).to_dense().sum()

    v = ember.tensor(VAL, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(f, (v, x.double().detach().requires_grad_()))


def test_sparse_leaf_grad_accumulates(torch):
    def go(T):
        s = T.sparse_coo_tensor(T.tensor(IND), T.tensor(VAL), (3, 3), requires_grad=True)
        for _ in range(2):
            T.sparse.mm(s, T.ones(3, 2)).sum().backward()
        return s.grad

    ge, gt = go(ember), go(torch)
    assert ge.is_sparse and gt.is_sparse
    assert_close(ge.to_dense(), gt.to_dense())


@pytest.mark.parametrize("coalesced", [False, True])
def test_save_load_both_ways(torch, tmp_path, coalesced):
    e, t = both(torch)
    if coalesced:
        e, t = e.coalesce(), t.coalesce()
    ember.save({"adj": e, "w": ember.ones(2)}, tmp_path / "e.pt")
    got = torch.load(tmp_path / "e.pt")
    assert got["adj"].is_sparse and got["adj"].is_coalesced() == coalesced
    assert_close(ember.tensor(got["adj"]._indices().numpy()), e._indices())
    assert_close(ember.tensor(got["adj"]._values().numpy()), e._values())
    torch.save({"adj": t}, tmp_path / "t.pt")
    for weights_only in (True, False):
        back = ember.load(tmp_path / "t.pt", weights_only=weights_only)["adj"]
        assert back.is_sparse and back.is_coalesced() == coalesced
        assert tuple(back.shape) == tuple(t.shape)
        assert_close(back.to_dense(), t.to_dense())
    r = ember.load(tmp_path / "e.pt")["adj"]
    assert_close(r.to_dense(), e.to_dense())


def test_copy_and_refusals(torch):
    e, t = both(torch)
    e2 = ember.sparse_coo_tensor(ember.tensor([[1], [1]]), ember.tensor([9.0]), (3, 3))
    t2 = torch.sparse_coo_tensor(torch.tensor([[1], [1]]), torch.tensor([9.0]), (3, 3))
    e2.copy_(e)
    t2.copy_(t)
    assert_close(e2.to_dense(), t2.to_dense())
    assert e2._nnz() == t2._nnz()
    assert e.stride() == t.stride() and e.is_contiguous() == t.is_contiguous()
    with pytest.raises(RuntimeError, match="Sparse division"):
        e / ember.ones(3, 3)


def test_spmm_dense_operands(torch):
    a = np.arange(6.0).reshape(2, 3)
    b = np.ones((3, 2))
    assert_close(ember.spmm(ember.tensor(a), ember.tensor(b)),
                 torch.spmm(torch.tensor(a), torch.tensor(b)))


def test_to_sparse_refuses_other_layouts():
    x = ember.eye(3)
    assert x.to_sparse(layout=ember.sparse_coo).is_sparse
    with pytest.raises(NotImplementedError, match="ember.strided"):
        x.to_sparse(layout=ember.strided)
