"""Matrix products and ``ember.linalg`` against PyTorch: values, dtypes, errors, gradients
(against torch's and by finite differences)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.linalg as LA
from ember.autograd import gradcheck
from ember.testing import assert_close

RNG = np.random.default_rng(0)


def _arr(*shape, dtype="float64", spd=False, wellcond=False):
    a = RNG.standard_normal(shape).astype(dtype)
    if spd:
        a = a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1], dtype=dtype)
    elif wellcond:
        a = a + shape[-1] * np.eye(shape[-1], dtype=dtype)
    return a


def _pair(torch, a, requires_grad=False):
    e = ember.tensor(a, requires_grad=requires_grad)
    t = torch.tensor(a, requires_grad=requires_grad)
    return e, t


def _grads_match(torch, fe, ft, arrays, rtol=1e-6, atol=1e-8):
    """Run the same scalar loss on both libraries and compare input gradients."""
    es = [ember.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    le, lt = fe(*es), ft(*ts)
    assert_close(le, lt, rtol=rtol, atol=atol)
    le.backward()
    lt.backward()
    for e, t in zip(es, ts):
        assert_close(e.grad, t.grad, rtol=rtol, atol=atol)


# ------------------------------------------------------------------ matmul family
MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)),
                 ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((0, 3), (3, 2)), ((2, 0), (0, 3))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul_shapes_and_grads(torch, sa, sb):
    a, b = _arr(*sa), _arr(*sb)
    ea, ta = _pair(torch, a)
    eb, tb = _pair(torch, b)
    assert_close(ea @ eb, ta @ tb)
    assert_close(ember.matmul(ea, eb), torch.matmul(ta, tb))
    _grads_match(torch, lambda x, y: (x @ y).sin().sum(), lambda x, y: (x @ y).sin().sum(),
                 [a, b])


def test_matmul_dtypes_and_errors(torch):
    for dt in ("float32", "float16", "int64", "int32", "complex64"):
        a = (RNG.standard_normal((4, 5)) * 3).astype(dt)
        b = (RNG.standard_normal((5, 2)) * 3).astype(dt)
        tol = {"float16": 2e-3}.get(dt)
        assert_close(ember.tensor(a) @ ember.tensor(b), torch.tensor(a) @ torch.tensor(b),
                     rtol=tol, atol=tol)
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied "
                                           r"\(64x784 and 700x10\)"):
        ember.ones(64, 784) @ ember.ones(700, 10)
    with pytest.raises(RuntimeError, match="inconsistent tensor size"):
        ember.ones(3) @ ember.ones(4)
    with pytest.raises(RuntimeError, match="size mismatch"):
        ember.ones(2, 3) @ ember.ones(4)
    with pytest.raises(RuntimeError, match="must match the size"):
        ember.ones(2, 2, 3) @ ember.ones(3, 3, 5)
    with pytest.raises(RuntimeError, match="same dtype"):
        ember.ones(2, 3) @ ember.ones(3, 2, dtype=ember.float64)
    with pytest.raises(NotImplementedError, match="Bool"):
        ember.ones(2, 3, dtype=ember.bool) @ ember.ones(3, 2, dtype=ember.bool)
    with pytest.raises(RuntimeError, match="at least 1D"):
        ember.tensor(1.0) @ ember.ones(2)


def test_matmul_noncontiguous_and_rmatmul(torch):
    a, b = _arr(4, 3), _arr(5, 4)
    ea, ta = _pair(torch, a)
    eb, tb = _pair(torch, b)
    assert_close(ea.t() @ eb.t(), ta.t() @ tb.t())
    assert_close(ea[::2] @ eb.t()[:3, ::2], ta[::2] @ tb.t()[:3, ::2])
    with pytest.raises(TypeError):
        np.ones((2, 4)) @ ea
    with pytest.raises(TypeError):
        ea @ [[1.0]]


def test_mm_bmm_mv_dot_family(torch):
    a, b, v, w = _arr(3, 4), _arr(4, 5), _arr(4), _arr(4)
    ba, bb = _arr(2, 3, 4), _arr(2, 4, 5)
    E = {k: ember.tensor(x) for k, x in dict(a=a, b=b, v=v, w=w, ba=ba, bb=bb).items()}
    T = {k: torch.tensor(x) for k, x in dict(a=a, b=b, v=v, w=w, ba=ba, bb=bb).items()}
    assert_close(ember.mm(E["a"], E["b"]), torch.mm(T["a"], T["b"]))
    assert_close(ember.bmm(E["ba"], E["bb"]), torch.bmm(T["ba"], T["bb"]))
    assert_close(ember.mv(E["a"], E["v"]), torch.mv(T["a"], T["v"]))
    assert_close(ember.dot(E["v"], E["w"]), torch.dot(T["v"], T["w"]))
    assert_close(ember.inner(E["a"], E["b"].t()), torch.inner(T["a"], T["b"].t()))
    assert_close(ember.inner(E["v"], ember.tensor(2.0, dtype=ember.float64)),
                 torch.inner(T["v"], torch.tensor(2.0, dtype=torch.float64)))
    assert_close(ember.outer(E["v"], E["w"]), torch.outer(T["v"], T["w"]))
    assert_close(ember.ger(E["v"], E["w"]), torch.ger(T["v"], T["w"]))
    c = _arr(3, 5)
    assert_close(ember.addmm(ember.tensor(c), E["a"], E["b"], beta=0.5, alpha=2.0),
                 torch.addmm(torch.tensor(c), T["a"], T["b"], beta=0.5, alpha=2.0))
    assert_close(ember.addmm(ember.full((3, 5), float("nan"), dtype=ember.float64), E["a"],
                             E["b"], beta=0), torch.addmm(torch.full((3, 5), float("nan"),
                                                          dtype=torch.float64), T["a"], T["b"],
                                                          beta=0))
    i3 = _arr(3)
    assert_close(ember.addmv(ember.tensor(i3), E["a"], E["v"], alpha=3),
                 torch.addmv(torch.tensor(i3), T["a"], T["v"], alpha=3))
    assert_close(ember.addbmm(ember.tensor(c), E["ba"], E["bb"], beta=2),
                 torch.addbmm(torch.tensor(c), T["ba"], T["bb"], beta=2))
    assert_close(ember.baddbmm(ember.tensor(c), E["ba"], E["bb"], alpha=0.5),
                 torch.baddbmm(torch.tensor(c), T["ba"], T["bb"], alpha=0.5))
    x = ember.tensor(c)
    x.addmm_(E["a"], E["b"])
    assert_close(x, torch.tensor(c).addmm_(T["a"], T["b"]))
    m3 = _arr(5, 2)
    assert_close(ember.chain_matmul(E["a"], E["b"], ember.tensor(m3)),
                 torch.chain_matmul(T["a"], T["b"], torch.tensor(m3)))
    with pytest.raises(RuntimeError, match="self must be a matrix"):
        ember.mm(E["v"], E["a"])
    with pytest.raises(RuntimeError, match="batch2 tensor"):
        ember.bmm(E["ba"], ember.ones(3, 4, 5, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="1D tensors expected"):
        ember.dot(E["a"], E["v"])
    _grads_match(torch, lambda a, b, c: ember.addmm(c, a, b, beta=0.3, alpha=1.7).sum(),
                 lambda a, b, c: torch.addmm(c, a, b, beta=0.3, alpha=1.7).sum(), [a, b, c])
    _grads_match(torch, lambda x, y: ember.vdot(x, y), lambda x, y: torch.vdot(x, y), [v, w])


EINSUMS = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
           ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("i,j->ij", [(3,), (4,)]),
           ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("ij->", [(3, 4)]),
           ("ijk,kl,lm->im", [(2, 3, 4), (4, 5), (5, 2)]), ("iij->j", [(3, 3, 2)]),
           ("ij,ij->i", [(3, 4), (3, 4)]), ("i,i", [(4,), (4,)]), ("ba", [(2, 3)]),
           # a labelled dim of size 1 broadcasts, as in PyTorch
           ("ij,ij->ij", [(3, 1), (3, 4)]), ("bij,bjk->bik", [(1, 2, 3), (4, 3, 5)])]


@pytest.mark.parametrize("eq,shapes", EINSUMS)
def test_einsum(torch, eq, shapes):
    arrays = [_arr(*s) for s in shapes]
    assert_close(ember.einsum(eq, *[ember.tensor(a) for a in arrays]),
                 torch.einsum(eq, *[torch.tensor(a) for a in arrays]))
    _grads_match(torch, lambda *xs: ember.einsum(eq, *xs).cos().sum(),
                 lambda *xs: torch.einsum(eq, *xs).cos().sum(), arrays)


def test_einsum_forms_and_double_backward(torch):
    a, b = _arr(2, 3), _arr(3, 4)
    ea, eb = ember.tensor(a), ember.tensor(b)
    ref = torch.einsum("ij,jk->ik", torch.tensor(a), torch.tensor(b))
    assert_close(ember.einsum("ij,jk->ik", [ea, eb]), ref)
    assert_close(ember.einsum(ea, [0, 1], eb, [1, 2], [0, 2]), ref)
    assert_close(ember.einsum("ij , jk -> ik", ea, eb), ref)
    assert_close(ember.einsum("ij,jk->ik", ember.tensor(a, dtype=ember.float16),
                              ember.tensor(b, dtype=ember.float16)),
                 torch.einsum("ij,jk->ik", torch.tensor(a, dtype=torch.float16),
                              torch.tensor(b, dtype=torch.float16)), rtol=2e-3, atol=2e-3)
    with pytest.raises(RuntimeError):
        ember.einsum("ij,jk->ik", ea, eb.float())
    x = ember.tensor(a, requires_grad=True)
    assert gradcheck(lambda t: ember.einsum("ij,jk->ik", t, eb), (x,))
    from ember.autograd import gradgradcheck

    assert gradgradcheck(lambda t: ember.einsum("ij,jk->ik", t, eb).sin(), (x,))


EINSUM_ERRORS = [
    ("ij,jk->ik", [(3, 4), (3, 4)]), ("ij->jj", [(3, 4)]), ("ij,jk->ik", [(3, 4)]),
    ("ij->ik", [(3, 4)]), ("ii", [(3, 4)]), ("i1->i", [(3, 4)]), ("ij->i->j", [(3, 4)]),
    ("...ij,...ij->...", [(2, 3, 4), (5, 3, 4)]), ("ij,jk->ik", [(3, 4), (4, 5), (3, 4)]),
    ("i.j->ij", [(3, 4)]), ("i", [(2, 2)]), ("", []),
]


@pytest.mark.parametrize("eq,shapes", EINSUM_ERRORS)
def test_einsum_errors_are_pytorchs(torch, eq, shapes):
    with pytest.raises((RuntimeError, ValueError)) as t:
        torch.einsum(eq, *[torch.ones(s) for s in shapes])
    with pytest.raises(t.type) as e:
        ember.einsum(eq, *[ember.ones(s) for s in shapes])
    assert str(e.value) == str(t.value)


def test_tensordot_kron_cross(torch):
    a, b = _arr(2, 3, 4), _arr(3, 4, 5)
    ea, ta = _pair(torch, a)
    eb, tb = _pair(torch, b)
    assert_close(ember.tensordot(ea, eb), torch.tensordot(ta, tb))
    b1 = _arr(4, 2)
    assert_close(ember.tensordot(ea, ember.tensor(b1), dims=1),
                 torch.tensordot(ta, torch.tensor(b1), dims=1))
    assert_close(ember.tensordot(ea, eb, dims=([1, 2], [0, 1])),
                 torch.tensordot(ta, tb, dims=([1, 2], [0, 1])))
    assert_close(ember.tensordot(ea, eb, dims=([1], [0])),
                 torch.tensordot(ta, tb, dims=([1], [0])))
    k1, k2 = _arr(2, 3), _arr(4, 1, 2)
    assert_close(ember.kron(ember.tensor(k1), ember.tensor(k2)),
                 torch.kron(torch.tensor(k1), torch.tensor(k2)))
    c1, c2 = _arr(4, 3), _arr(4, 3)
    assert_close(ember.cross(ember.tensor(c1), ember.tensor(c2), dim=1),
                 torch.cross(torch.tensor(c1), torch.tensor(c2), dim=1))
    assert_close(LA.cross(ember.tensor(c1), ember.tensor(c2[:1])),
                 torch.linalg.cross(torch.tensor(c1), torch.tensor(c2[:1])))
    _grads_match(torch, lambda x, y: LA.cross(x, y).pow(2).sum(),
                 lambda x, y: torch.linalg.cross(x, y).pow(2).sum(), [c1, c2])
    _grads_match(torch, lambda x, y: ember.kron(x, y).sum(), lambda x, y: torch.kron(x, y).sum(),
                 [k1, k2])
    _grads_match(torch, lambda x, y: ember.tensordot(x, y, 2).sum(),
                 lambda x, y: torch.tensordot(x, y, 2).sum(), [a, b])


# ------------------------------------------------------------------ ember.linalg
def test_inv_det_slogdet(torch):
    a = _arr(3, 4, 4, wellcond=True)
    ea, ta = _pair(torch, a)
    assert_close(LA.inv(ea), torch.linalg.inv(ta))
    assert_close(LA.det(ea), torch.linalg.det(ta))
    assert_close(ember.det(ea), torch.det(ta))
    s, logabs = LA.slogdet(ea)
    ts, tl = torch.linalg.slogdet(ta)
    assert_close(s, ts)
    assert_close(logabs, tl)
    assert_close(LA.slogdet(ea).logabsdet, tl)
    assert_close(ember.logdet(ea), torch.logdet(ta))
    assert_close(ember.inverse(ea), torch.inverse(ta))
    x = ember.tensor(a, requires_grad=True)
    assert gradcheck(lambda t: LA.inv(t), (x,))
    assert gradcheck(lambda t: LA.det(t), (x,))
    assert gradcheck(lambda t: LA.slogdet(t).logabsdet, (x,))
    _grads_match(torch, lambda t: LA.det(t).sum(), lambda t: torch.linalg.det(t).sum(), [a])
    _grads_match(torch, lambda t: LA.inv(t).sum(), lambda t: torch.linalg.inv(t).sum(), [a])
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert_close(LA.det(ember.tensor(sing)), torch.linalg.det(torch.tensor(sing)))
    _grads_match(torch, lambda t: LA.det(t), lambda t: torch.linalg.det(t), [sing])
    inv_ex, info = LA.inv_ex(ember.tensor(np.stack([np.eye(2), sing])))
    assert info.tolist() == [0, 2] and info.dtype == ember.int32


def test_linalg_errors(torch):
    sing = ember.tensor([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(LA.LinAlgError, match="The diagonal element 2 is zero"):
        LA.inv(sing)
    assert issubclass(LA.LinAlgError, RuntimeError)
    with pytest.raises(RuntimeError, match=r"\(Batch element 1\)"):
        LA.inv(ember.stack([ember.eye(2), sing]))
    with pytest.raises(LA.LinAlgError, match="leading minor of order 2"):
        LA.cholesky(ember.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(LA.LinAlgError, match="singular"):
        LA.solve(sing, ember.ones(2))
    with pytest.raises(RuntimeError, match="square matrices"):
        LA.inv(ember.ones(2, 3))
    with pytest.raises(RuntimeError, match="floating point"):
        LA.inv(ember.ones(3, 3, dtype=ember.int64))
    L, info = LA.cholesky_ex(ember.tensor([[1.0, 2.0], [2.0, 1.0]]))
    assert int(info) == 2


def test_solve_family(torch):
    a = _arr(2, 3, 3, wellcond=True)
    b, bv, bl = _arr(2, 3, 4), _arr(3), _arr(2, 4, 3)
    ea, ta = _pair(torch, a)
    assert_close(LA.solve(ea, ember.tensor(b)), torch.linalg.solve(ta, torch.tensor(b)))
    assert_close(LA.solve(ea, ember.tensor(bv)), torch.linalg.solve(ta, torch.tensor(bv)))
    assert_close(LA.solve(ea, ember.tensor(bl), left=False),
                 torch.linalg.solve(ta, torch.tensor(bl), left=False))
    _grads_match(torch, lambda x, y: LA.solve(x, y).sum(),
                 lambda x, y: torch.linalg.solve(x, y).sum(), [a, b])
    _grads_match(torch, lambda x, y: LA.solve(x, y, left=False).pow(2).sum(),
                 lambda x, y: torch.linalg.solve(x, y, left=False).pow(2).sum(), [a, bl])
    _grads_match(torch, lambda x, y: LA.solve(x, y).sum(),
                 lambda x, y: torch.linalg.solve(x, y).sum(), [a[0], bv])
    for upper in (True, False):
        for unit in (True, False):
            ref = torch.linalg.solve_triangular(ta, torch.tensor(b), upper=upper,
                                                unitriangular=unit)
            assert_close(LA.solve_triangular(ea, ember.tensor(b), upper=upper,
                                             unitriangular=unit), ref)
            _grads_match(torch, lambda x, y, u=upper, t=unit: LA.solve_triangular(
                x, y, upper=u, unitriangular=t).sum(),
                lambda x, y, u=upper, t=unit: torch.linalg.solve_triangular(
                    x, y, upper=u, unitriangular=t).sum(), [a, b])
    assert_close(LA.solve_triangular(ea, ember.tensor(bl), upper=True, left=False),
                 torch.linalg.solve_triangular(ta, torch.tensor(bl), upper=True, left=False))


def test_cholesky(torch):
    a = _arr(2, 4, 4, spd=True)
    ea, ta = _pair(torch, a)
    assert_close(LA.cholesky(ea), torch.linalg.cholesky(ta))
    assert_close(LA.cholesky(ea, upper=True), torch.linalg.cholesky(ta, upper=True))
    with pytest.raises(RuntimeError, match="torch.cholesky` is deprecated"):
        ember.cholesky(ea)  # removed from PyTorch: its error (test_programs_s21_linalg)
    _grads_match(torch, lambda x: LA.cholesky(x).sin().sum(),
                 lambda x: torch.linalg.cholesky(x).sin().sum(), [a])
    x = ember.tensor(a[0], requires_grad=True)
    assert gradcheck(lambda t: LA.cholesky(t @ t.mT + ember.eye(4, dtype=ember.float64)), (x,))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 3), (3, 5)])
def test_qr(torch, shape):
    a = _arr(*shape)
    ea, ta = _pair(torch, a)
    for mode in ("reduced", "complete", "r"):
        Q, R = LA.qr(ea, mode=mode)
        tQ, tR = torch.linalg.qr(ta, mode=mode)
        assert_close(R, tR, atol=1e-10)
        assert_close(Q, tQ, atol=1e-10)
    with pytest.raises(RuntimeError, match="torch.qr` is deprecated"):
        ember.qr(ea)  # removed from PyTorch: its error (test_programs_s21_linalg)
    _grads_match(torch, lambda x: (LA.qr(x).Q.sin().sum() + LA.qr(x).R.cos().sum()),
                 lambda x: (torch.linalg.qr(x).Q.sin().sum() + torch.linalg.qr(x).R.cos().sum()),
                 [a])
    x = ember.tensor(a, requires_grad=True)
    assert gradcheck(lambda t: LA.qr(t), (x,))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 3, 5)])
def test_svd(torch, shape):
    a = _arr(*shape)
    ea, ta = _pair(torch, a)
    U, S, Vh = LA.svd(ea, full_matrices=False)
    tU, tS, tVh = torch.linalg.svd(ta, full_matrices=False)
    assert_close(S, tS)
    assert_close(U.abs(), tU.abs(), atol=1e-10)
    assert_close((U * S.unsqueeze(-2)) @ Vh, ta)
    assert_close(LA.svdvals(ea), torch.linalg.svdvals(ta))
    U2, S2, V2 = ember.svd(ea)
    assert_close(U2 @ ember.diag_embed(S2) @ V2.mT, ta)
    assert tuple(ember.svd(ea, some=False).U.shape) == tuple(torch.svd(ta, some=False).U.shape)
    # gauge-invariant losses
    _grads_match(torch, lambda x: LA.svdvals(x).sum(), lambda x: torch.linalg.svdvals(x).sum(),
                 [a])
    _grads_match(torch, lambda x: (lambda u, s, v: (u @ v).pow(2).sum() + s.sum())(
        *LA.svd(x, full_matrices=False)), lambda x: (lambda u, s, v: (u @ v).pow(2).sum()
                                                     + s.sum())(*torch.linalg.svd(
                                                         x, full_matrices=False)), [a])
    _grads_match(torch, lambda x: (lambda u, s, v: (u[..., :, :s.shape[-1]] * s.unsqueeze(-2)
                                                    @ v[..., :s.shape[-1], :]).sin().sum())(
        *LA.svd(x)), lambda x: (lambda u, s, v: (u[..., :, :s.shape[-1]] * s.unsqueeze(-2)
                                                 @ v[..., :s.shape[-1], :]).sin().sum())(
        *torch.linalg.svd(x)), [a])


def test_eigh_eig(torch):
    a = _arr(2, 4, 4)
    sym = a + np.swapaxes(a, -1, -2)
    ea, ta = _pair(torch, sym)
    L, V = LA.eigh(ea)
    tL, tV = torch.linalg.eigh(ta)
    assert_close(L, tL)
    assert_close(V.abs(), tV.abs(), atol=1e-10)
    assert_close(LA.eigvalsh(ea, UPLO="U"), torch.linalg.eigvalsh(ta, UPLO="U"))
    _grads_match(torch, lambda x: LA.eigvalsh(x).pow(2).sum(),
                 lambda x: torch.linalg.eigvalsh(x).pow(2).sum(), [sym])
    _grads_match(torch, lambda x: (lambda w, v: (v * w.unsqueeze(-2) @ v.mT).sin().sum())(
        *LA.eigh(x)), lambda x: (lambda w, v: (v * w.unsqueeze(-2) @ v.mT).sin().sum())(
        *torch.linalg.eigh(x)), [sym])
    g = _arr(3, 3)
    eg, tg = _pair(torch, g)
    w, v = LA.eig(eg)
    tw, tv = torch.linalg.eig(tg)
    assert w.dtype == ember.complex128
    order_e, order_t = np.argsort(w.numpy().real + 1e-3 * w.numpy().imag), np.argsort(
        tw.numpy().real + 1e-3 * tw.numpy().imag)
    np.testing.assert_allclose(w.numpy()[order_e], tw.numpy()[order_t], atol=1e-10)
    assert_close(LA.eigvals(eg).abs().sum(), tw.abs().sum())
    _grads_match(torch, lambda x: LA.eigvals(x).abs().sum(),
                 lambda x: torch.linalg.eigvals(x).abs().sum(), [g])


def test_pinv_lstsq_rank(torch):
    for shape in [(4, 3), (3, 5), (2, 4, 4)]:
        a = _arr(*shape)
        ea, ta = _pair(torch, a)
        assert_close(LA.pinv(ea), torch.linalg.pinv(ta))
        assert_close(ember.pinverse(ea), torch.pinverse(ta))
        _grads_match(torch, lambda x: LA.pinv(x).sin().sum(),
                     lambda x: torch.linalg.pinv(x).sin().sum(), [a])
    low = _arr(5, 2) @ _arr(2, 4)
    assert_close(LA.matrix_rank(ember.tensor(low)), torch.linalg.matrix_rank(torch.tensor(low)))
    assert_close(LA.pinv(ember.tensor(low)), torch.linalg.pinv(torch.tensor(low)))
    sym = low @ low.T
    assert_close(LA.pinv(ember.tensor(sym), hermitian=True),
                 torch.linalg.pinv(torch.tensor(sym), hermitian=True), atol=1e-10)
    a, b = _arr(6, 3), _arr(6, 2)
    ra, rt = LA.lstsq(ember.tensor(a), ember.tensor(b)), torch.linalg.lstsq(torch.tensor(a),
                                                                          torch.tensor(b))
    assert_close(ra.solution, rt.solution)
    assert_close(ra.rank, rt.rank)
    assert tuple(ra.residuals.shape) == tuple(rt.residuals.shape)
    assert tuple(ra.singular_values.shape) == tuple(rt.singular_values.shape)
    _grads_match(torch, lambda x, y: LA.lstsq(x, y).solution.sum(),
                 lambda x, y: torch.linalg.lstsq(x, y).solution.sum(), [a, b])


def test_matrix_power_exp(torch):
    a = _arr(2, 3, 3) / 2
    ea, ta = _pair(torch, a)
    for n in (0, 1, 2, 3, 5, -2):
        w = a + 3 * np.eye(3) if n < 0 else a
        assert_close(LA.matrix_power(ember.tensor(w), n), torch.linalg.matrix_power(
            torch.tensor(w), n))
    assert_close(ember.matrix_power(ea, 6), torch.matrix_power(ta, 6))
    _grads_match(torch, lambda x: LA.matrix_power(x, 5).sum(),
                 lambda x: torch.linalg.matrix_power(x, 5).sum(), [a])
    assert_close(LA.matrix_exp(ea), torch.linalg.matrix_exp(ta), rtol=1e-10)
    big = _arr(3, 3) * 5
    assert_close(LA.matrix_exp(ember.tensor(big)), torch.linalg.matrix_exp(torch.tensor(big)),
                 rtol=1e-9)
    assert_close(ember.matrix_exp(ember.tensor(a, dtype=ember.float32)),
                 torch.matrix_exp(torch.tensor(a, dtype=torch.float32)))
    _grads_match(torch, lambda x: LA.matrix_exp(x).sin().sum(),
                 lambda x: torch.linalg.matrix_exp(x).sin().sum(), [a])


@pytest.mark.parametrize("ord", [2, 1, 0, 3.5, float("inf"), float("-inf"), -1])
def test_vector_norm(torch, ord):
    x = _arr(3, 4)
    ex, tx = _pair(torch, x)
    for dim in (None, 1, (0, 1)):
        for keep in (False, True):
            assert_close(LA.vector_norm(ex, ord, dim, keep), torch.linalg.vector_norm(
                tx, ord, dim, keep))
    _grads_match(torch, lambda t: LA.vector_norm(t, ord, 1).sum() + t.sum(),
                 lambda t: torch.linalg.vector_norm(t, ord, 1).sum() + t.sum(), [x])


def test_norm_grad_at_zero_and_dtypes(torch):
    z = np.zeros((2, 3))
    _grads_match(torch, lambda t: LA.vector_norm(t, 2, 1).sum(),
                 lambda t: torch.linalg.vector_norm(t, 2, 1).sum(), [z])
    x = _arr(3, 4, dtype="float32")
    assert_close(LA.norm(ember.tensor(x)), torch.linalg.norm(torch.tensor(x)))
    c = (RNG.standard_normal((3,)) + 1j * RNG.standard_normal((3,))).astype("complex64")
    assert_close(LA.vector_norm(ember.tensor(c)), torch.linalg.vector_norm(torch.tensor(c)))
    assert_close(LA.vector_norm(ember.tensor(x), dtype=ember.float64),
                 torch.linalg.vector_norm(torch.tensor(x), dtype=torch.float64))
    with pytest.raises(RuntimeError, match="floating point"):
        LA.vector_norm(ember.ones(3, dtype=ember.int64))


@pytest.mark.parametrize("ord", ["fro", "nuc", float("inf"), float("-inf"), 1, -1, 2, -2])
def test_matrix_norm(torch, ord):
    a = _arr(2, 3, 4)
    ea, ta = _pair(torch, a)
    assert_close(LA.matrix_norm(ea, ord), torch.linalg.matrix_norm(ta, ord))
    assert_close(LA.matrix_norm(ea, ord, dim=(0, 2), keepdim=True),
                 torch.linalg.matrix_norm(ta, ord, dim=(0, 2), keepdim=True))
    assert_close(LA.norm(ea[0], ord), torch.linalg.norm(ta[0], ord))
    _grads_match(torch, lambda t: LA.matrix_norm(t, ord).sum(),
                 lambda t: torch.linalg.matrix_norm(t, ord).sum(), [a])


def test_cond_multi_dot_vander_misc(torch):
    a = _arr(3, 3, wellcond=True)
    ea, ta = _pair(torch, a)
    for p in (None, "fro", 1, float("inf"), -2):
        assert_close(LA.cond(ea, p), torch.linalg.cond(ta, p))
    ms = [_arr(4), _arr(4, 5), _arr(5, 2), _arr(2)]
    assert_close(LA.multi_dot([ember.tensor(m) for m in ms]),
                 torch.linalg.multi_dot([torch.tensor(m) for m in ms]))
    _grads_match(torch, lambda *xs: LA.multi_dot(list(xs)),
                 lambda *xs: torch.linalg.multi_dot(list(xs)), ms)
    v = _arr(4)
    assert_close(LA.vander(ember.tensor(v)), torch.linalg.vander(torch.tensor(v)))
    assert_close(LA.vander(ember.tensor([1, 2, 3]), N=4),
                 torch.linalg.vander(torch.tensor([1, 2, 3]), N=4))
    assert_close(LA.vecdot(ember.tensor(a), ember.tensor(a)),
                 torch.linalg.vecdot(ta, ta))
    assert_close(LA.diagonal(ea, offset=1), torch.linalg.diagonal(ta, offset=1))
    t4 = _arr(2, 3, 6) + 0
    t4 = t4.reshape(6, 6) + 6 * np.eye(6)
    t4 = t4.reshape(2, 3, 6)
    assert_close(LA.tensorinv(ember.tensor(t4), ind=2),
                 torch.linalg.tensorinv(torch.tensor(t4), ind=2))
    b = _arr(2, 3)
    assert_close(LA.tensorsolve(ember.tensor(t4.reshape(2, 3, 2, 3)), ember.tensor(b)),
                 torch.linalg.tensorsolve(torch.tensor(t4.reshape(2, 3, 2, 3)), torch.tensor(b)))


def test_float32_batched_and_methods(torch):
    a = _arr(5, 3, 3, dtype="float32", wellcond=True)
    ea, ta = _pair(torch, a)
    assert_close(LA.inv(ea), torch.linalg.inv(ta), rtol=1e-5, atol=1e-6)
    assert LA.det(ea).dtype == ember.float32
    assert_close(ea.det(), ta.det(), rtol=1e-5)
    assert_close(ea.inverse(), ta.inverse(), rtol=1e-5, atol=1e-6)
    assert_close(ea.matrix_power(2), ta.matrix_power(2), rtol=1e-5)
    assert_close(ea.pinverse(), ta.pinverse(), rtol=1e-4, atol=1e-5)
    x = ember.tensor(_arr(3, 3, wellcond=True), requires_grad=True)
    assert gradcheck(lambda t: LA.pinv(t), (x,))
    assert gradcheck(lambda t: LA.matrix_exp(t * 0.3), (x,))
    assert gradcheck(lambda t: LA.eigh(t + t.mT).eigenvalues, (x,))
    assert gradcheck(lambda t: LA.norm(t, "nuc"), (x,))


@pytest.mark.parametrize("op,shapes", [("addmm", [(2, 4), (2, 3), (3, 4)]),
                                       ("addmv", [(2,), (2, 3), (3,)]),
                                       ("addbmm", [(2, 4), (5, 2, 3), (5, 3, 4)]),
                                       ("baddbmm", [(5, 2, 4), (5, 2, 3), (5, 3, 4)]),
                                       ("addr", [(2, 3), (2,), (3,)])])
@pytest.mark.parametrize("beta,alpha", [(1, 1), (0.5, 2.0), (0, 1), (0, 3.0)])
def test_fused_products_name_their_node(torch, op, shapes, beta, alpha):
    """``addmm`` and its kin record one node under PyTorch's name (``AddmmBackward0``...),
    whatever the scalings; the gradients stay PyTorch's."""
    arrays = [np.random.default_rng(0).standard_normal(s) for s in shapes]
    names, grads = [], []
    for lib in (ember, torch):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        y = getattr(lib, op)(*ts, beta=beta, alpha=alpha)
        names.append(type(y.grad_fn).__name__)
        y.sum().backward()
        grads.append([t.grad for t in ts])
    assert names[0] == names[1]
    for e, t in zip(*grads):
        if t is None:
            assert e is None
        else:
            assert_close(e, t)
