"""The compressed sparse layouts (CSR, CSC, BSR, BSC) against PyTorch: constructors,
accessors, conversions, repr, products with dense tensors and their gradients, arithmetic,
and PyTorch's refusals; plus one seeded differential fuzz over random shapes and dtypes."""

from __future__ import annotations

import random

import numpy as np
import pytest
from _program_output import ember_repr as R
from _program_output import same_repr

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore")

D = np.array([[1.0, 0, 2, 0], [0, 0, 3, 4], [5, 6, 0, 0], [0, 0, 0, 7]], dtype=np.float32)


def same(fn):
    same_repr(fn, torch)


CONVERSIONS = [
    lambda lib: lib.tensor(D).to_sparse_csr(),
    lambda lib: lib.tensor(D).to_sparse_csc(),
    lambda lib: lib.tensor(D).to_sparse_bsr((2, 2)),
    lambda lib: lib.tensor(D).to_sparse_bsc(2),
    lambda lib: lib.tensor(D).to_sparse_bsr((1, 2)).to_sparse(),
    lambda lib: lib.tensor(D).to_sparse_csc().to_sparse(),
    lambda lib: lib.tensor(D).to_sparse_csc().to_sparse_csr(),
    lambda lib: lib.tensor(D).to_sparse().to_sparse_csc(),
    lambda lib: lib.tensor(D).to_sparse(layout=lib.sparse_csr),
    lambda lib: lib.tensor(D).to_sparse(layout=lib.sparse_bsc, blocksize=(2, 1)),
    lambda lib: lib.arange(12.0).reshape(3, 2, 2).to_sparse_csr(dense_dim=1),
    lambda lib: lib.zeros(2, 3).to_sparse_csr(),
    lambda lib: lib.ones(2, 3, dtype=lib.int64).to_sparse_csr(),
    lambda lib: lib.tensor(D).double().to_sparse_csr().to_dense(),
    lambda lib: lib.tensor(D).to_sparse_bsr((2, 1)).to_dense(),
    lambda lib: lib.tensor(D).to_sparse_bsc((1, 4)).to_dense(),
    lambda lib: lib.tensor(D).to_sparse_csr().t(),
    lambda lib: lib.tensor(D).to_sparse_bsr((2, 1)).transpose(0, 1),
    lambda lib: lib.tensor(D).to_sparse_csr().to(lib.float64),
    lambda lib: lib.tensor(D).to_sparse_csc().values(),
]


@pytest.mark.parametrize("i", range(len(CONVERSIONS)))
def test_conversions_and_repr(i):
    same(CONVERSIONS[i])


CONSTRUCTORS = [
    lambda lib: lib.sparse_csr_tensor([0, 2, 3], [0, 1, 1], [1.0, 2, 3]),
    lambda lib: lib.sparse_csr_tensor(lib.tensor([0, 2, 3], dtype=lib.int32),
                                      lib.tensor([0, 1, 1], dtype=lib.int32),
                                      lib.tensor([1.0, 2, 3]), (2, 5)),
    lambda lib: lib.sparse_csc_tensor(lib.tensor([0, 2, 3]), lib.tensor([0, 1, 1]),
                                      lib.tensor([1.0, 2, 3]), (3, 2)),
    lambda lib: lib.sparse_bsr_tensor(lib.tensor([0, 1]), lib.tensor([0]), lib.ones(1, 2, 2),
                                      (2, 4)),
    lambda lib: lib.sparse_compressed_tensor(lib.tensor([0, 1]), lib.tensor([0]), lib.ones(1),
                                             (1, 4), layout=lib.sparse_csc),
    lambda lib: lib.sparse_compressed_tensor(lib.tensor([0, 1]), lib.tensor([0]), lib.ones(1),
                                             (1, 4)),
    lambda lib: lib.sparse_csr_tensor([0, 1], [0], [True]),
    lambda lib: lib.sparse_csr_tensor([0, 2, 3], [0, 1, 1], [1.0, 2, 3], (2, 3),
                                      requires_grad=True),
]


INVALID = [([0, 2, 3], [0, 5, 1], [1.0, 2, 3], (2, 3)), ([0, 2, 4], [0, 1, 1], [1.0, 2, 3], (2, 3)),
           ([1, 2, 3], [0, 1, 1], [1.0, 2, 3], (2, 3)), ([0, 3, 2], [0, 1, 1], [1.0, 2, 3], (2, 3)),
           ([0, 2, 3], [0, 1, 1], [1.0, 2, 3], (3, 3)), ([0, 2, 3], [0, 1], [1.0, 2, 3], (2, 3))]
@pytest.mark.parametrize("i", range(len(CONSTRUCTORS)))
def test_constructors(i):
    same(CONSTRUCTORS[i])


@pytest.mark.parametrize("args", INVALID)
def test_constructor_invariant_checks(args):
    crow, col, val, size = args
    same(lambda lib: lib.sparse_csr_tensor(lib.tensor(crow), lib.tensor(col), lib.tensor(val),
                                           size, check_invariants=True))


def _meta(lib):
    c = lib.tensor(D).to_sparse_csr()
    return (c.is_sparse, c.is_sparse_csr, c.layout, tuple(c.shape), c.sparse_dim(),
            c.dense_dim(), c._nnz(), len(c), c.to_sparse_csc().is_sparse_csr)


@pytest.mark.parametrize("lay", ["csr", "csc", "bsr", "bsc"])
def test_index_accessors(lay):
    def prog(lib):
        x = lib.tensor(D)
        s = getattr(x, "to_sparse_" + lay)(*((2,) if lay[0] == "b" else ()))
        names = ("crow_indices", "col_indices") if lay[1:] == "sr" else \
            ("ccol_indices", "row_indices")
        return [getattr(s, n)() for n in names] + [s.values(), s.values().dtype]
    same(prog)


def _call(name):
    return lambda lib: getattr(lib.tensor(D).to_sparse_csr(), name)()


ERRORS = [_call(n) for n in ("is_contiguous", "stride", "is_coalesced", "indices", "coalesce",
                             "row_indices", "ccol_indices", "numpy")] + [
    lambda lib: lib.tensor(D).to_sparse_csc().crow_indices(),
    lambda lib: lib.tensor(D).to_sparse_csc().stride(),
    lambda lib: lib.tensor(D).to_sparse_bsr(2).is_contiguous(),
    lambda lib: lib.ones(2, 3).to_sparse_bsr((2, 2)),
    lambda lib: lib.ones(2, 4).to_sparse(layout=lib.sparse_bsr),
    lambda lib: lib.tensor(D).to_sparse_bsr((2, 2)).to_sparse_csr(),
    lambda lib: lib.tensor(D).to_sparse_bsr((2, 2)).to_sparse_bsr((1, 1)),
    lambda lib: lib.tensor(D).to_sparse_bsc((2, 2)).to_sparse_bsr((1, 1)),
    lambda lib: lib.tensor(D).to_sparse_csr() @ lib.ones(3, 2),
    lambda lib: lib.tensor(D).to_sparse_csr() @ lib.ones(4, 2, dtype=lib.float64),
    lambda lib: lib.tensor(D).long().to_sparse_csr() @ lib.ones(4, 2, dtype=lib.long),
    lambda lib: lib.tensor(D).half().to_sparse_csc() @ lib.ones(4, 2, dtype=lib.half),
    lambda lib: lib.tensor(D).to_sparse_bsc((2, 2)) @ lib.ones(4, 2),
    lambda lib: lib.tensor(D).to_sparse_bsr((2, 1)) @ lib.ones(4, 2),
    lambda lib: lib.arange(8.0).reshape(2, 2, 2).to_sparse_csr(dense_dim=1).t(),
    _meta,
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_metadata_and_errors(i):
    same(ERRORS[i])


OPS = [
    lambda lib: lib.tensor(D).to_sparse_csr() @ lib.ones(4, 2),
    lambda lib: lib.mm(lib.tensor(D).to_sparse_csc(), lib.ones(4, 2)),
    lambda lib: lib.sparse.mm(lib.tensor(D).to_sparse_csr(), lib.ones(4, 2)),
    lambda lib: lib.matmul(lib.tensor(D).to_sparse_bsr((2, 2)), lib.ones(4, 2)),
    lambda lib: lib.addmm(lib.ones(4, 2), lib.tensor(D).to_sparse_csr(), lib.ones(4, 2),
                          beta=0.5, alpha=2),
    lambda lib: lib.tensor(D).to_sparse_csr() @ lib.ones(4),
    lambda lib: lib.ones(2, 4) @ lib.tensor(D).to_sparse_csr(),
    lambda lib: lib.tensor(D).to_sparse_csr() * 2,
    lambda lib: lib.tensor(D).to_sparse_csr() * lib.tensor(D),
    lambda lib: lib.tensor(D).to_sparse_csr() + lib.tensor(D).to_sparse_csr(),
    lambda lib: lib.tensor(D).to_sparse_csc() + lib.tensor(D),
    lambda lib: lib.tensor(D) + lib.tensor(D).to_sparse_csr(),
    lambda lib: -lib.tensor(D).to_sparse_csr(),
    lambda lib: lib.tensor(D).to_sparse_csr().abs(),
    lambda lib: lib.tensor(D).to_sparse_csr() / 2,
    lambda lib: lib.tensor(D).to_sparse_csr().sum(),
    lambda lib: lib.tensor(D).to_sparse_csr().sum(1, keepdim=True),
    lambda lib: lib.tensor(D).to_sparse_csr().sub(lib.tensor(D).to_sparse_csr()),
    lambda lib: lib.ones(4, 4) - lib.tensor(D).to_sparse_csr(),
    lambda lib: lib.tensor(D).to_sparse_csr().type(),
    lambda lib: lib.tensor(D).to_sparse_csc().tolist(),
    lambda lib: lib.tensor(D).to_sparse_csr().add(lib.tensor(D).to_sparse_csr(), alpha=2),
    lambda lib: lib.mul(lib.tensor(D).to_sparse_csr(), lib.tensor(D).to_sparse_csr()),
]


@pytest.mark.parametrize("i", range(len(OPS)))
def test_products_and_arithmetic(i):
    same(OPS[i])


def _grads(lib, lay, how):
    w = lib.tensor(D, requires_grad=True)
    s = getattr(w, "to_sparse_" + lay)()
    b = lib.ones(4, 2, requires_grad=True)
    r = {"mm": lambda: s @ b, "dense": lambda: (s * 2).to_dense(),
         "values": lambda: s.values(), "mv": lambda: s @ b[:, 0]}[how]()
    r.pow(2).sum().backward()
    return s.grad_fn.name(), r.grad_fn.name(), w.grad, b.grad


@pytest.mark.parametrize("lay", ["csr", "csc"])
@pytest.mark.parametrize("how", ["mm", "dense", "values", "mv"])
def test_gradients_to_dense_source(lay, how):
    same(lambda lib: _grads(lib, lay, how))


@pytest.mark.parametrize("fn", ["mm", "sparse.mm", "to_dense"])
def test_gradients_to_values_and_leaves(fn):
    def prog(lib, leaf):
        v = lib.tensor([1.0, 2, 3], requires_grad=True)
        s = lib.sparse_csr_tensor(lib.tensor([0, 2, 3]), lib.tensor([0, 1, 1]),
                                  v.detach() if leaf else v, (2, 3), requires_grad=leaf)
        b = lib.arange(6.0).reshape(3, 2).requires_grad_()
        f = {"mm": lambda: s @ b, "sparse.mm": lambda: lib.sparse.mm(s, b),
             "to_dense": lambda: s.to_dense() * 3}[fn]
        r = f()
        r.pow(2).sum().backward()
        return r.grad_fn.name(), (s.grad if leaf else v.grad), b.grad if fn != "to_dense" else None
    same(lambda lib: prog(lib, False))
    same(lambda lib: prog(lib, True))


def test_differential_fuzz():
    """Random shapes (size 0 and 1 included), dtypes, layouts, block sizes, dense dims and
    non-contiguous sources, through conversions, products and arithmetic."""
    dts = ["float32", "float64", "int64", "int32", "int8", "uint8", "bool", "complex64"]
    rng = random.Random(23)
    for _ in range(150):
        r, c = rng.choice([0, 1, 2, 4, 6]), rng.choice([0, 1, 2, 3, 6])
        dd = rng.choice([0, 0, 0, 1])
        a = np.random.RandomState(rng.randrange(1 << 30)).rand(*((r, c) + (2,) * dd)) * 4 - 1
        a[a < 0.8] = 0
        dt = rng.choice(dts)
        lay = rng.choice(["csr", "csc", "bsr", "bsc"])
        bs = (rng.choice([d for d in (1, 2) if r % d == 0]),
              rng.choice([d for d in (1, 3) if c % d == 0])) if lay[0] == "b" else None
        op = rng.choice(["repr", "dense", "coo", "conv", "mm", "scal", "add", "t", "sum"])
        tgt = rng.choice(["csr", "csc"])
        nc = rng.random() < 0.3

        def prog(lib, a=a, c=c, dt=dt, lay=lay, bs=bs, dd=dd, op=op, tgt=tgt, nc=nc):
            x = lib.tensor(a).to(getattr(lib, dt))
            if nc and x.ndim == 2:
                x = x.t().contiguous().t()
            kw = {"dense_dim": dd} if dd else {}
            f = getattr(x, "to_sparse_" + lay)
            s = f(bs, **kw) if bs else f(**kw)
            m = lib.tensor(np.arange(c * 2.0).reshape(-1, 2)).to(getattr(lib, dt))
            return {"repr": lambda: s, "dense": s.to_dense, "coo": s.to_sparse,
                    "conv": getattr(s, "to_sparse_" + tgt), "mm": lambda: s @ m,
                    "scal": lambda: s * 2, "add": lambda: s + s, "t": s.t,
                    "sum": s.sum}[op]()
        same(prog)


# ---------------------------------------------------------------- COO fixes found by fuzzing
IND = [[0, 1, 1, 0, 2], [2, 0, 2, 2, 1]]  # (0, 2) twice: uncoalesced


def _coo(lib, dtype="float32", size=(3, 3), dense=()):
    val = np.arange(1.0, 6.0).reshape((5,) + (1,) * len(dense)) * np.ones((5,) + dense)
    return lib.sparse_coo_tensor(lib.tensor(IND), lib.tensor(val).to(getattr(lib, dtype)),
                                 size + dense)


COO = [
    lambda lib: lib.sparse.softmax(_coo(lib, "float16"), 0),
    lambda lib: lib.sparse.log_softmax(_coo(lib, "int64"), 1),
    lambda lib: lib.sparse.softmax(_coo(lib, "complex64"), 1),
    lambda lib: lib.sparse.softmax(lib.sparse_coo_tensor(lib.zeros(2, 0, dtype=lib.long),
                                                         lib.zeros(0, dtype=lib.long),
                                                         (0, 3)), 0),
    lambda lib: lib.sparse.mm(lib.sparse_coo_tensor(lib.tensor([[0, 1]]), lib.ones(2, 2)),
                              lib.ones(2, 2)),
    lambda lib: lib.sparse.mm(_coo(lib, dense=(2,)), lib.ones(3, 2)),
    lambda lib: _coo(lib, "bool") @ lib.ones(3, 2, dtype=lib.bool),
    lambda lib: lib.ones(2, 3).to_sparse(0),
    lambda lib: lib.tensor(2.0).to_sparse(0),
    lambda lib: _coo(lib, dense=(2,)).transpose(0, 2),
    lambda lib: lib.sparse_coo_tensor(lib.tensor([[0, 2]]), lib.ones(2, 3)).t(),
    lambda lib: lib.sparse.sum(_coo(lib, "uint8") * 100),
    lambda lib: lib.sparse.sum(_coo(lib, "bool")),
    lambda lib: lib.sparse.sum(_coo(lib, "bool"), 1),
    lambda lib: _coo(lib, dense=(2,)).to_sparse_csr(),
    lambda lib: lib.sparse_coo_tensor(lib.tensor([[0, 1, 1]]), lib.ones(3)).to_sparse_csr(),
    lambda lib: (_coo(lib) * 0).to_sparse_csr(),  # explicit zeros are kept
    lambda lib: _coo(lib, dense=(2,)).to_sparse_csc(),
    lambda lib: lib.sparse.mm(_coo(lib).to_sparse_csr(), lib.ones(3, 2, requires_grad=True)),
]


@pytest.mark.parametrize("i", range(len(COO)))
def test_coo_dtype_and_shape_refusals(i):
    same(COO[i])


SAMPLED = [
    lambda lib: lib.sparse.sampled_addmm(lib.tensor(D).to_sparse_csr(), lib.ones(4, 3),
                                         lib.arange(12.0).reshape(3, 4), beta=0.5, alpha=2),
    lambda lib: lib.sparse.sampled_addmm(lib.tensor(D).to_sparse_csr(), lib.ones(4, 3),
                                         lib.ones(3, 4), beta=0),
    lambda lib: lib.sparse.sampled_addmm(lib.tensor(D).to_sparse_csr(), lib.ones(4, 2),
                                         lib.ones(3, 4)),
    lambda lib: lib.sparse.sampled_addmm(lib.tensor(D).long().to_sparse_csr(),
                                         lib.ones(4, 3, dtype=lib.long),
                                         lib.ones(3, 4, dtype=lib.long)),
    lambda lib: lib.sparse.sampled_addmm(lib.ones(2, 2, 2).to_sparse_csr(dense_dim=1),
                                         lib.ones(2, 3), lib.ones(3, 2)),
]


@pytest.mark.parametrize("layout", ["coo", "strided"])
def test_sampled_addmm_refuses_other_layouts(layout):
    for lib in (torch, ember):
        x = lib.tensor(D).to_sparse() if layout == "coo" else lib.tensor(D)
        with pytest.raises(NotImplementedError, match="aten::sparse_sampled_addmm"):
            lib.sparse.sampled_addmm(x, lib.ones(4, 3), lib.ones(3, 4))


@pytest.mark.parametrize("i", range(len(SAMPLED)))
def test_sampled_addmm(i):
    same(SAMPLED[i])


def test_sampled_addmm_gradients():
    def prog(lib):
        v = lib.tensor([1.0, 2, 3], requires_grad=True)
        s = lib.sparse_csr_tensor(lib.tensor([0, 2, 3]), lib.tensor([0, 1, 1]), v, (2, 3))
        a = lib.arange(4.0).reshape(2, 2).requires_grad_()
        b = lib.arange(6.0).reshape(2, 3).requires_grad_()
        r = lib.sparse.sampled_addmm(s, a, b, beta=2.0, alpha=0.5)
        r.values().pow(2).sum().backward()
        return r.grad_fn.name(), r, v.grad, a.grad, b.grad
    same(prog)


@pytest.mark.parametrize("lay", ["csr", "csc", "bsr"])
def test_save_load_both_ways(tmp_path, lay):
    import copy
    import pickle

    def make(lib):
        x = lib.tensor(D)
        return x.to_sparse_bsr((2, 2)) if lay == "bsr" else getattr(x, "to_sparse_" + lay)()
    e, t = make(ember), make(torch)
    ember.save({"a": e}, tmp_path / "e.pt")
    torch.save({"a": t}, tmp_path / "t.pt")
    from_ember = torch.load(tmp_path / "e.pt")["a"]
    from_torch = ember.load(tmp_path / "t.pt")["a"]
    assert R(from_ember) == R(t) and R(from_torch) == R(e) == R(t)
    assert R(pickle.loads(pickle.dumps(e))) == R(copy.deepcopy(e)) == R(t)
