"""Regressions found by differential fuzzing of ``ember.linalg``/``ember.fft``/``ember.special``
against PyTorch: singular and empty inputs, complex gradients, error types and messages."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.testing import assert_close

RNG = np.random.default_rng(7)


def _c(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def _both(torch, a, grad=False):
    return ember.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)


def _grad(lib, out, x, w):
    t = out * lib.tensor(w, dtype=out.dtype)
    return lib.autograd.grad((t.real if t.is_complex() else t).sum(), x)[0]


# ------------------------------------------------------------------ determinants
@pytest.mark.parametrize("a", [[[0.0]], [[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 1.0]],
                               [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
@pytest.mark.parametrize("create_graph", [False, True])
def test_det_grad_singular(torch, a, create_graph):
    e, t = _both(torch, np.array(a), grad=True)
    ge = ember.autograd.grad(ember.linalg.det(e), e, create_graph=create_graph)[0]
    gt = torch.autograd.grad(torch.linalg.det(t), t, create_graph=create_graph)[0]
    assert_close(ge.detach(), gt.detach(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("shape", [(3, 3), (2, 2, 2)])
def test_slogdet_logdet_complex_grad(torch, shape):
    a = _c(*shape) + 3 * np.eye(shape[-1])
    ws, wl = RNG.standard_normal(shape[:-2]) + 1j * RNG.standard_normal(shape[:-2]), \
        RNG.standard_normal(shape[:-2])
    res = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        s, la = lib.linalg.slogdet(x)
        assert s.requires_grad
        loss = (s * lib.tensor(ws)).real.sum() + (la * lib.tensor(wl)).sum()
        g1 = lib.autograd.grad(loss, x)[0]
        g2 = lib.autograd.grad(lib.logdet(x).imag.sum(), x)[0]
        res.append((g1, g2))
    for e, t in zip(*res):
        assert_close(e, t, rtol=1e-7, atol=1e-9)
    x = ember.tensor(a.real, requires_grad=True)  # (gradcheck takes real inputs)
    assert gradcheck(lambda m: ember.logdet(m), (x,))
    assert gradcheck(lambda m: ember.linalg.slogdet(m).logabsdet, (x,))


def test_slogdet_grad_singular_is_not_an_error(torch):
    e, t = _both(torch, np.zeros((2, 2)), grad=True)
    ge = ember.autograd.grad(ember.linalg.slogdet(e)[1], e)[0]
    gt = torch.autograd.grad(torch.linalg.slogdet(t)[1], t)[0]
    assert not np.isfinite(ge.numpy()).all()
    assert np.isfinite(ge.numpy()).sum() == np.isfinite(gt.numpy()).sum()


# ------------------------------------------------------------------ cholesky
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_complex_grad(torch, upper):
    m = _c(2, 3, 3)
    a = m @ np.conj(np.swapaxes(m, -1, -2)) + 3 * np.eye(3)
    w = _c(2, 3, 3)
    res = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        res.append(_grad(lib, lib.linalg.cholesky(x, upper=upper), x, w))
    assert_close(res[0], res[1], rtol=1e-7, atol=1e-9)
    assert np.abs(res[0].numpy().imag).max() > 1e-3  # the imaginary part is not dropped


def test_cholesky_ex_partial_factor(torch):
    a = np.stack([np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]]),
                  np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
                  np.array([[-0.5, 0.0, 0.0], [0.3, 2.0, 0.0], [0.1, 0.0, 1.0]])])
    for dt in ("float32", "complex128"):
        e, t = _both(torch, a.astype(dt))
        le, ie = ember.linalg.cholesky_ex(e)
        lt, it = torch.linalg.cholesky_ex(t)
        assert_close(ie, it)
        assert_close(le, lt)


# ------------------------------------------------------------------ solve / inverse
def test_solve_ex_singular_batch(torch):
    a = RNG.standard_normal((2, 3, 3))
    a[0, :, 0] = 0
    b = RNG.standard_normal((2, 3, 1))
    for left, bb in ((True, b), (True, b[0, :, 0]), (False, np.swapaxes(b, -1, -2))):
        re = ember.linalg.solve_ex(ember.tensor(a), ember.tensor(bb), left=left)
        rt = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(bb), left=left)
        assert_close(re.info, rt.info)
        assert re.result.shape == rt.result.shape
        assert_close(re.result[1], rt.result[1])
    with pytest.raises(ember.linalg.LinAlgError, match=r"\(Batch element 0\): The solver failed"):
        ember.linalg.solve(ember.tensor(a), ember.tensor(b))


def test_matrix_power_zero_keeps_graph(torch):
    a = RNG.standard_normal((2, 3, 3))
    e, t = _both(torch, a, grad=True)
    re, rt = ember.linalg.matrix_power(e, 0), torch.linalg.matrix_power(t, 0)
    assert re.requires_grad == rt.requires_grad
    assert_close(ember.autograd.grad(re.sum(), e)[0], torch.autograd.grad(rt.sum(), t)[0])


@pytest.mark.parametrize("upper,transpose,unit", [(True, False, False), (False, True, False),
                                                  (True, True, True)])
def test_triangular_solve(torch, upper, transpose, unit):
    a = RNG.standard_normal((2, 1, 3, 3)) + 4 * np.eye(3)
    b = RNG.standard_normal((4, 3, 2))
    outs = []
    for lib in (ember, torch):
        A, B = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        with warnings.catch_warnings():  # deprecated: warns once per process, as PyTorch
            warnings.simplefilter("ignore")
            r = lib.triangular_solve(B, A, upper=upper, transpose=transpose, unitriangular=unit)
        g = lib.autograd.grad(r.solution.sum() + r.cloned_coefficient.sum(), (A, B))
        outs.append((r.solution, r.cloned_coefficient) + tuple(g))
    for e, t in zip(*outs):
        assert_close(e, t, rtol=1e-7, atol=1e-9)
    A = ember.tensor(a[0, 0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Incompatible matrix sizes"):
        ember.triangular_solve(ember.zeros(4, 2), ember.eye(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gradcheck(lambda m, v: ember.triangular_solve(v, m, upper=upper,
                                                             transpose=transpose)[0],
                         (A, ember.tensor(b[0], requires_grad=True)))


# ------------------------------------------------------------------ non-convergence errors
def test_svd_eig_nonfinite_raise_linalg_error(torch):
    a = np.array([[[1.0, 2.0], [2.0, 1.0]], [[1.0, 2.0], [3.0, np.nan]]])
    for fn in ("svd", "svdvals", "pinv", "matrix_rank"):
        with pytest.raises(ember.linalg.LinAlgError) as ee:
            getattr(ember.linalg, fn)(ember.tensor(a))
        with pytest.raises(torch.linalg.LinAlgError) as et:
            getattr(torch.linalg, fn)(torch.tensor(a))
        assert str(ee.value) == str(et.value)
    with pytest.raises(RuntimeError, match="should not contain infs or NaNs"):
        ember.linalg.eig(ember.tensor(a))


# ------------------------------------------------------------------ norms on empty inputs
@pytest.mark.parametrize("shape", [(0, 0), (2, 0), (0, 2), (1, 0, 0)])
@pytest.mark.parametrize("ord", [1, -1, 2, -2, "nuc", "fro", float("inf"), -float("inf")])
def test_matrix_norm_and_cond_empty(torch, shape, ord):
    def run(lib, fn):
        try:
            return fn(lib)
        except (IndexError, RuntimeError) as err:
            return type(err)
    for fn in (lambda L: L.linalg.matrix_norm(L.zeros(shape), ord),
               lambda L: L.linalg.cond(L.zeros(shape), ord) if shape[-1] == shape[-2] else None):
        re, rt = run(ember, fn), run(torch, fn)
        if isinstance(rt, type):
            assert re is rt
        elif rt is not None:
            assert_close(re, rt)


@pytest.mark.parametrize("shape,dim", [((2, 0), -2), ((2, 0), None), ((2, 0), 1), ((0, 2), 1),
                                       ((2, 0), (0, 1)), ((0,), -1)])
@pytest.mark.parametrize("ord", [float("inf"), -1, -float("inf"), 0, 2])
def test_vector_norm_empty(torch, shape, dim, ord):
    try:
        rt = torch.linalg.vector_norm(torch.zeros(shape), ord, dim=dim)
    except RuntimeError as err:
        with pytest.raises(RuntimeError) as ee:
            ember.linalg.vector_norm(ember.zeros(shape), ord, dim=dim)
        assert str(ee.value) == str(err)
        return
    x = ember.zeros(shape, requires_grad=True)
    re = ember.linalg.vector_norm(x, ord, dim=dim)
    assert_close(re, rt)


@pytest.mark.parametrize("p", [-2.0, 0.5, 3.0, -1.0])
def test_vector_norm_grad_at_zeros(torch, p):
    for v in ([0.0, 0.0, 0.0], [0.0, 1.0, 2.0], [0.5, -1.0, 2.0]):
        e, t = _both(torch, np.array(v), grad=True)
        ge = ember.autograd.grad(ember.linalg.vector_norm(e, p), e)[0]
        gt = torch.autograd.grad(torch.linalg.vector_norm(t, p), t)[0]
        assert_close(ge, gt)
    x = ember.tensor([0.5, -1.0, 2.0], dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda v: ember.linalg.vector_norm(v, p), (x,))


def test_vander_n_must_exceed_one(torch):
    for kw, x in (({"N": 1}, [1.0, 2.0]), ({}, [3.0]), ({"N": 0}, [1.0])):
        with pytest.raises(RuntimeError) as et:
            torch.linalg.vander(torch.tensor(x), **kw)
        with pytest.raises(RuntimeError) as ee:
            ember.linalg.vander(ember.tensor(x), **kw)
        assert str(ee.value) == str(et.value)


# ------------------------------------------------------------------ fft / special
@pytest.mark.parametrize("fn", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
@pytest.mark.parametrize("n", [0, -1])
def test_fft_invalid_n(torch, fn, n):
    with pytest.raises(RuntimeError) as et:
        getattr(torch.fft, fn)(torch.ones(4), n=n)
    with pytest.raises(RuntimeError) as ee:
        getattr(ember.fft, fn)(ember.ones(4), n=n)
    assert str(ee.value) == str(et.value)


@pytest.mark.parametrize("fn", ["rfftn", "irfftn", "hfftn", "ihfftn"])
def test_fftn_real_family_needs_an_axis(torch, fn):
    with pytest.raises(RuntimeError) as et:
        getattr(torch.fft, fn)(torch.tensor(1.0))
    with pytest.raises(RuntimeError) as ee:
        getattr(ember.fft, fn)(ember.tensor(1.0))
    assert str(ee.value) == str(et.value)


def test_fftfreq_edge_cases(torch):
    for fn in ("fftfreq", "rfftfreq"):
        assert_close(getattr(ember.fft, fn)(0), getattr(torch.fft, fn)(0), equal_nan=True)
        with pytest.raises(RuntimeError, match="requires a floating point or complex dtype"):
            getattr(ember.fft, fn)(4, dtype=ember.int64)


def test_zeta_grad_wrt_x_not_implemented(torch):
    x = ember.tensor([2.0, 3.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not implemented"):
        ember.special.zeta(x, ember.tensor([1.0, 2.0])).sum().backward()
