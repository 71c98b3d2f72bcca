"""The LU family, the Cholesky solvers and Householder products against PyTorch: values,
pivots, dtypes, errors, gradients (against torch's and by finite differences)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.linalg as LA
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close

RNG = np.random.default_rng(7)


def _arr(*shape, dtype="float64", complex_=False):
    a = RNG.standard_normal(shape)
    if complex_:
        a = a + 1j * RNG.standard_normal(shape)
        return a.astype("complex128" if dtype == "float64" else "complex64")
    return a.astype(dtype)


def _spd(*shape):
    a = _arr(*shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _both(torch, a, rg=False):
    return ember.tensor(a, requires_grad=rg), torch.tensor(a, requires_grad=rg)


def _err(torch, fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    expected = type(te.value)
    if issubclass(expected, torch.linalg.LinAlgError):
        expected = LA.LinAlgError
    with pytest.raises(expected) as ee:
        fe()
    assert str(ee.value) == str(te.value).replace("torch", "ember")


# ------------------------------------------------------------------ factorization
LU_SHAPES = [(3, 3), (1, 1), (2, 4, 4), (5, 3), (3, 5), (2, 1, 6, 6), (0, 3, 3), (3, 0),
             (2, 40, 40), (37, 70)]


@pytest.mark.parametrize("shape", LU_SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
def test_lu_factor_ex_matches_torch(torch, shape, dtype):
    a = _arr(*shape, dtype="float64" if dtype == "complex128" else dtype,
             complex_=dtype == "complex128")
    ea, ta = _both(torch, a)
    e, t = LA.lu_factor_ex(ea), torch.linalg.lu_factor_ex(ta)
    assert_close(e.pivots, t.pivots)
    assert_close(e.info, t.info)
    tol = 1e-4 if dtype == "float32" else 1e-10
    assert_close(e.LU, t.LU, rtol=tol, atol=tol)
    e2, t2 = LA.lu_factor(ea), torch.linalg.lu_factor(ta)
    assert type(e2).__name__ == "linalg_lu_factor"
    assert_close(e2.LU, t2.LU, rtol=tol, atol=tol)
    P, L, U = LA.lu(ea)
    Pt, Lt, Ut = torch.linalg.lu(ta)
    for x, y in ((P, Pt), (L, Lt), (U, Ut)):
        assert_close(x, y, rtol=tol, atol=tol)


def test_lu_factor_noncontiguous_and_ties(torch):
    a = _arr(5, 5).T  # transposed
    ea, ta = _both(torch, a)
    assert_close(LA.lu_factor(ea).LU, torch.linalg.lu_factor(ta).LU)
    ties = np.array([[1.0, 2.0, 3.0], [-1.0, 5.0, 1.0], [1.0, 0.5, 2.0]])  # |1| == |-1| == |1|
    ea, ta = _both(torch, ties)
    assert_close(LA.lu_factor(ea).pivots, torch.linalg.lu_factor(ta).pivots)


def test_lu_singular_info_and_errors(torch):
    s = np.array([[[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]]])
    ea, ta = _both(torch, s)
    e, t = LA.lu_factor_ex(ea), torch.linalg.lu_factor_ex(ta)
    assert_close(e.LU, t.LU)
    assert_close(e.pivots, t.pivots)
    assert_close(e.info, t.info)
    _err(torch, lambda: LA.lu_factor(ea), lambda: torch.linalg.lu_factor(ta))
    _err(torch, lambda: LA.lu_factor_ex(ea, check_errors=True),
         lambda: torch.linalg.lu_factor_ex(ta, check_errors=True))
    _err(torch, lambda: LA.lu_factor(ea[0]), lambda: torch.linalg.lu_factor(ta[0]))
    _err(torch, lambda: LA.lu_factor(ea[0, 0]), lambda: torch.linalg.lu_factor(ta[0, 0]))
    _err(torch, lambda: LA.lu(ea[0, 0]), lambda: torch.linalg.lu(ta[0, 0]))
    _err(torch, lambda: LA.lu_factor(ea, pivot=False),
         lambda: torch.linalg.lu_factor(ta, pivot=False))
    _err(torch, lambda: LA.lu_factor(ea.int()), lambda: torch.linalg.lu_factor(ta.int()))
    _err(torch, lambda: LA.lu_factor(ea.half()), lambda: torch.linalg.lu_factor(ta.half()))


def test_deprecated_lu(torch):
    a = _arr(2, 3, 3)
    ea, ta = _both(torch, a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = ember.lu(ea), torch.lu(ta)
        assert isinstance(e, tuple) and len(e) == 2
        assert_close(e[0], t[0])
        assert_close(e[1], t[1])
        e3, t3 = ember.lu(ea, get_infos=True), torch.lu(ta, get_infos=True)
        assert type(e3).__name__ == type(t3).__name__
        assert_close(e3.info, t3.info)
        assert_close(e3.LU, t3.LU)
        e4, t4 = ea.lu(get_infos=True), ta.lu(get_infos=True)
        assert type(e4) is tuple and len(e4) == 3
        for x, y in zip(e4, t4):
            assert_close(x, y)


# ------------------------------------------------------------------ unpacking
@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (3, 6), (0, 2, 2)])
def test_lu_unpack(torch, shape):
    a = _arr(*shape)
    ea, ta = _both(torch, a)
    LU, p = LA.lu_factor(ea)
    LUt, pt = torch.linalg.lu_factor(ta)
    e, t = ember.lu_unpack(LU, p), torch.lu_unpack(LUt, pt)
    assert type(e).__name__ == "lu_unpack"
    for x, y in zip(e, t):
        assert_close(x, y)
    for kw in ({"unpack_data": False}, {"unpack_pivots": False}):
        for x, y in zip(ember.lu_unpack(LU, p, **kw), torch.lu_unpack(LUt, pt, **kw)):
            assert_close(x, y)


def test_lu_unpack_errors(torch):
    LU, p = LA.lu_factor(ember.tensor(_arr(2, 3, 3)))
    LUt, pt = torch.linalg.lu_factor(torch.tensor(LU.numpy()))
    pt = torch.tensor(p.numpy())
    _err(torch, lambda: ember.lu_unpack(LU, p.long()), lambda: torch.lu_unpack(LUt, pt.long()))
    _err(torch, lambda: ember.lu_unpack(LU, p + 5), lambda: torch.lu_unpack(LUt, pt + 5))
    _err(torch, lambda: ember.lu_unpack(LU, p[:, :2]), lambda: torch.lu_unpack(LUt, pt[:, :2]))
    _err(torch, lambda: ember.lu_unpack(LU[0, 0], p), lambda: torch.lu_unpack(LUt[0, 0], pt))


@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (3, 6)])
def test_lu_unpack_grad(torch, shape):
    a = _arr(*shape)
    LUt, pt = torch.linalg.lu_factor(torch.tensor(a))
    e_lu = ember.tensor(LUt.numpy(), requires_grad=True)
    e_p = ember.tensor(pt.numpy())
    t_lu = LUt.clone().requires_grad_()
    _, L, U = ember.lu_unpack(e_lu, e_p)
    _, Lt, Ut = torch.lu_unpack(t_lu, pt)
    assert L.grad_fn.name() == Lt.grad_fn.name()
    (L.sin().sum() + (U * U).sum()).backward()
    (Lt.sin().sum() + (Ut * Ut).sum()).backward()
    assert_close(e_lu.grad, t_lu.grad)
    assert gradcheck(lambda x: ember.lu_unpack(x, e_p)[1], (ember.tensor(a, requires_grad=True),))


# ------------------------------------------------------------------ gradients of the factorization
@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (5, 3), (3, 5), (2, 4, 6)])
def test_lu_grads_match_torch(torch, shape):
    a = _arr(*shape)
    ea, ta = _both(torch, a, rg=True)
    _, L, U = LA.lu(ea)
    _, Lt, Ut = torch.linalg.lu(ta)
    assert L.grad_fn.name() == Lt.grad_fn.name() == "LinalgLuBackward0"
    (L.cos().sum() + (U ** 2).sum()).backward()
    (Lt.cos().sum() + (Ut ** 2).sum()).backward()
    assert_close(ea.grad, ta.grad, rtol=1e-8, atol=1e-10)
    eb, tb = _both(torch, a, rg=True)
    LU = LA.lu_factor(eb).LU
    LUt = torch.linalg.lu_factor(tb).LU
    assert LU.grad_fn.name() == LUt.grad_fn.name()
    (LU.sin() * LU).sum().backward()
    (LUt.sin() * LUt).sum().backward()
    assert_close(eb.grad, tb.grad, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_lu_gradcheck(shape):
    a = ember.tensor(_arr(*shape), requires_grad=True)
    assert gradcheck(lambda x: LA.lu_factor(x).LU, (a,))
    assert gradcheck(lambda x: LA.lu(x)[1:], (a,))
    assert gradgradcheck(lambda x: LA.lu_factor(x).LU, (a,))


def test_lu_only_U_grad(torch):
    a = _arr(3, 3)
    ea, ta = _both(torch, a, rg=True)
    LA.lu(ea)[2].sum().backward()
    torch.linalg.lu(ta)[2].sum().backward()
    assert_close(ea.grad, ta.grad)


# ------------------------------------------------------------------ solving
@pytest.mark.parametrize("la,lb", [((3, 3), (3, 2)), ((2, 3, 3), (3, 4)), ((2, 3, 3), (4, 1, 3, 2)),
                                   ((4, 4), (2, 4, 4))])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_lu_solve(torch, la, lb, left, adjoint):
    a = _arr(*la) + 3 * np.eye(la[-1])
    b = _arr(*lb)
    if not left:
        b = np.swapaxes(b, -1, -2).copy()
    ea, ta = _both(torch, a, rg=True)
    eb, tb = _both(torch, b, rg=True)
    LU, p = LA.lu_factor(ea)
    LUt, pt = torch.linalg.lu_factor(ta)
    X = LA.lu_solve(LU, p, eb, left=left, adjoint=adjoint)
    Xt = torch.linalg.lu_solve(LUt, pt, tb, left=left, adjoint=adjoint)
    assert_close(X, Xt, rtol=1e-10, atol=1e-10)
    assert X.grad_fn.name() == Xt.grad_fn.name()
    (X * X).sum().backward()
    (Xt * Xt).sum().backward()
    assert_close(ea.grad, ta.grad, rtol=1e-8, atol=1e-10)
    assert_close(eb.grad, tb.grad, rtol=1e-8, atol=1e-10)


def test_lu_solve_complex_and_gradcheck(torch):
    a = _arr(3, 3, complex_=True) + 3 * np.eye(3)
    b = _arr(3, 2, complex_=True)
    ea, ta = _both(torch, a)
    eb, tb = _both(torch, b)
    for adjoint in (False, True):
        e = LA.lu_solve(*LA.lu_factor(ea), eb, adjoint=adjoint)
        t = torch.linalg.lu_solve(*torch.linalg.lu_factor(ta), tb, adjoint=adjoint)
        assert_close(e, t, rtol=1e-10, atol=1e-10)
    a = ember.tensor(_arr(3, 3) + 3 * np.eye(3), requires_grad=True)
    b = ember.tensor(_arr(3, 2), requires_grad=True)
    for left, adjoint in ((True, False), (True, True), (False, False), (False, True)):
        def fn(x, y, left=left, adjoint=adjoint):
            LU, p = LA.lu_factor(x)
            return LA.lu_solve(LU, p, y if left else y.mT, left=left, adjoint=adjoint)

        assert gradcheck(fn, (a, b))
    assert gradgradcheck(lambda x, y: LA.lu_solve(*LA.lu_factor(x), y), (a, b))


def test_lu_solve_errors(torch):
    LU, p = LA.lu_factor(ember.tensor(_arr(2, 3, 3), dtype=ember.float32))
    LUt, pt = torch.tensor(LU.numpy()), torch.tensor(p.numpy())
    b = _arr(2, 3, 2).astype("float32")
    eb, tb = _both(torch, b)
    _err(torch, lambda: LA.lu_solve(LU, p, eb[0, 0]), lambda: torch.linalg.lu_solve(LUt, pt, tb[0, 0]))
    _err(torch, lambda: LA.lu_solve(LU, p, eb.double()),
         lambda: torch.linalg.lu_solve(LUt, pt, tb.double()))
    _err(torch, lambda: LA.lu_solve(LU, p, ember.zeros(2, 4, 2)),
         lambda: torch.linalg.lu_solve(LUt, pt, torch.zeros(2, 4, 2)))
    _err(torch, lambda: LA.lu_solve(LU, p, ember.zeros(2, 3, 4), left=False),
         lambda: torch.linalg.lu_solve(LUt, pt, torch.zeros(2, 3, 4), left=False))
    _err(torch, lambda: LA.lu_solve(LU, p.long(), eb), lambda: torch.linalg.lu_solve(LUt, pt.long(), tb))
    _err(torch, lambda: LA.lu_solve(LU, p[:, :2], eb), lambda: torch.linalg.lu_solve(LUt, pt[:, :2], tb))
    _err(torch, lambda: LA.lu_solve(LU, p[:1], eb), lambda: torch.linalg.lu_solve(LUt, pt[:1], tb))
    _err(torch, lambda: LA.lu_solve(LU, p, ember.zeros(3, 3, 3)),
         lambda: torch.linalg.lu_solve(LUt, pt, torch.zeros(3, 3, 3)))
    _err(torch, lambda: LA.lu_solve(ember.zeros(3, 4), p[0], ember.zeros(3, 4)),
         lambda: torch.linalg.lu_solve(torch.zeros(3, 4), pt[0], torch.zeros(3, 4)))


def test_deprecated_lu_solve(torch):
    a, b = _arr(2, 3, 3), _arr(2, 3, 2)
    ea, ta = _both(torch, a)
    eb, tb = _both(torch, b)
    LU, p = LA.lu_factor(ea)
    LUt, pt = torch.linalg.lu_factor(ta)
    assert_close(ember.lu_solve(eb, LU, p), torch.lu_solve(tb, LUt, pt))
    assert_close(eb.lu_solve(LU, p), tb.lu_solve(LUt, pt))


# ------------------------------------------------------------------ Cholesky solvers
@pytest.mark.parametrize("sa,sb", [((3, 3), (3, 2)), ((2, 4, 4), (4, 1)), ((4, 4), (5, 4, 2)),
                                   ((2, 1, 3, 3), (3, 3, 1))])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_solve(torch, sa, sb, upper):
    L = np.linalg.cholesky(_spd(*sa))
    if upper:
        L = np.swapaxes(L, -1, -2).copy()
    b = _arr(*sb)
    eL, tL = _both(torch, L, rg=True)
    eb, tb = _both(torch, b, rg=True)
    X, Xt = ember.cholesky_solve(eb, eL, upper), torch.cholesky_solve(tb, tL, upper)
    assert_close(X, Xt, rtol=1e-10, atol=1e-10)
    assert X.grad_fn.name() == Xt.grad_fn.name()
    X.sin().sum().backward()
    Xt.sin().sum().backward()
    assert_close(eL.grad, tL.grad, rtol=1e-8, atol=1e-10)
    assert_close(eb.grad, tb.grad, rtol=1e-8, atol=1e-10)
    assert_close(eb.cholesky_solve(eL, upper=upper), tb.cholesky_solve(tL, upper=upper))


def test_cholesky_solve_gradcheck_and_errors(torch):
    L = ember.tensor(np.linalg.cholesky(_spd(3, 3)), requires_grad=True)
    b = ember.tensor(_arr(3, 2), requires_grad=True)
    # the solvers read one triangle only: check through tril, as PyTorch's formula assumes
    assert gradcheck(lambda x, y: ember.cholesky_solve(y, x.tril()), (L, b))
    assert gradgradcheck(lambda x, y: ember.cholesky_solve(y, x.tril()), (L, b))
    eL, tL = _both(torch, np.eye(3, dtype="float32"))
    _err(torch, lambda: ember.cholesky_solve(ember.zeros(3), eL),
         lambda: torch.cholesky_solve(torch.zeros(3), tL))
    _err(torch, lambda: ember.cholesky_solve(ember.zeros(3, 2).double(), eL),
         lambda: torch.cholesky_solve(torch.zeros(3, 2).double(), tL))
    _err(torch, lambda: ember.cholesky_solve(ember.zeros(4, 2), eL),
         lambda: torch.cholesky_solve(torch.zeros(4, 2), tL))
    _err(torch, lambda: ember.cholesky_solve(ember.zeros(3, 2).int(), eL.int()),
         lambda: torch.cholesky_solve(torch.zeros(3, 2).int(), tL.int()))


@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (1, 1)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse(torch, shape, upper):
    L = np.linalg.cholesky(_spd(*shape))
    if upper:
        L = np.swapaxes(L, -1, -2).copy()
    eL, tL = _both(torch, L, rg=True)
    r, rt = ember.cholesky_inverse(eL, upper), torch.cholesky_inverse(tL, upper)
    assert_close(r, rt, rtol=1e-10, atol=1e-12)
    assert r.grad_fn.name() == rt.grad_fn.name()
    (r * r.cos()).sum().backward()
    (rt * rt.cos()).sum().backward()
    assert_close(eL.grad, tL.grad, rtol=1e-8, atol=1e-10)
    tri = (lambda x: x.triu()) if upper else (lambda x: x.tril())
    assert gradcheck(lambda x: ember.cholesky_inverse(tri(x), upper),
                     (ember.tensor(L, requires_grad=True),))
    assert_close(eL.cholesky_inverse(upper), tL.cholesky_inverse(upper))


def test_cholesky_inverse_errors(torch):
    z = np.stack([np.eye(3), np.diag([1.0, 0.0, 1.0])])
    ez, tz = _both(torch, z)
    _err(torch, lambda: ember.cholesky_inverse(ez), lambda: torch.cholesky_inverse(tz))
    assert isinstance(pytest.raises(LA.LinAlgError, ember.cholesky_inverse, ez).value,
                      RuntimeError)
    _err(torch, lambda: ember.cholesky_inverse(ez[0, 0]), lambda: torch.cholesky_inverse(tz[0, 0]))
    _err(torch, lambda: ember.cholesky_inverse(ez[0, :2]), lambda: torch.cholesky_inverse(tz[0, :2]))
    _err(torch, lambda: ember.cholesky_inverse(ez.int()), lambda: torch.cholesky_inverse(tz.int()))


# ------------------------------------------------------------------ Householder products
@pytest.mark.parametrize("sa,k", [((4, 3), 3), ((4, 3), 2), ((2, 5, 5), 4), ((3, 3), 0),
                                  ((6, 2), 1)])
def test_householder_product(torch, sa, k):
    a = _arr(*sa)
    tau = _arr(*(sa[:-2] + (k,)))
    ea, ta = _both(torch, a, rg=True)
    et, tt = _both(torch, tau, rg=True)
    Q, Qt = LA.householder_product(ea, et), torch.linalg.householder_product(ta, tt)
    assert_close(Q, Qt, rtol=1e-10, atol=1e-12)
    assert_close(ember.orgqr(ea, et), torch.orgqr(ta, tt), rtol=1e-10, atol=1e-12)
    assert Q.grad_fn.name() == Qt.grad_fn.name()
    (Q.sin() * Q).sum().backward()
    (Qt.sin() * Qt).sum().backward()
    if k:
        assert_close(ea.grad, ta.grad, rtol=1e-8, atol=1e-10)
        assert_close(et.grad, tt.grad, rtol=1e-8, atol=1e-10)
    else:  # an identity: no gradient at all
        assert ea.grad is None and ta.grad is None


def test_householder_from_geqrf_complex_and_gradcheck(torch):
    a = _arr(4, 3, complex_=True)
    tau = _arr(3, complex_=True)
    ea, ta = _both(torch, a, rg=True)
    et, tt = _both(torch, tau, rg=True)
    Q, Qt = LA.householder_product(ea, et), torch.linalg.householder_product(ta, tt)
    assert_close(Q, Qt, rtol=1e-10, atol=1e-12)
    (Q.abs() ** 2 * Q.real).sum().backward()
    (Qt.abs() ** 2 * Qt.real).sum().backward()
    assert_close(ea.grad, ta.grad, rtol=1e-8, atol=1e-10)
    assert_close(et.grad, tt.grad, rtol=1e-8, atol=1e-10)
    a = ember.tensor(_arr(4, 3), requires_grad=True)
    t = ember.tensor(_arr(2), requires_grad=True)
    assert gradcheck(LA.householder_product, (a, t))
    assert gradgradcheck(LA.householder_product, (a, t))


def test_householder_errors(torch):
    for sa, st in (((3,), (3,)), ((3, 3), (3, 1)), ((2, 3, 3), (3, 1)), ((4, 3), (4,)),
                   ((3, 4), (3,))):
        ea, ta = _both(torch, _arr(*sa, dtype="float32"))
        et, tt = _both(torch, _arr(*st, dtype="float32"))
        _err(torch, lambda ea=ea, et=et: LA.householder_product(ea, et),
             lambda ta=ta, tt=tt: torch.linalg.householder_product(ta, tt))
    ea, ta = _both(torch, _arr(3, 3, dtype="float32"))
    et, tt = _both(torch, _arr(3))
    _err(torch, lambda: LA.householder_product(ea, et),
         lambda: torch.linalg.householder_product(ta, tt))
