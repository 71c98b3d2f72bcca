"""Users' linalg, fft and special programs against PyTorch: singular matrices, error messages,
edge values and the graph nodes the results show."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.fft
import ember.linalg
import ember.special
from ember.testing import assert_close


def _same_error(torch, fe, ft):
    """Both raise; the same exception class name and PyTorch's message (spelled ember)."""
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(Exception) as ee:
        fe()
    assert type(ee.value).__name__ == type(te.value).__name__
    assert str(ee.value) == str(te.value).replace("torch", "ember")


def _bits(t) -> list:
    """Values with the sign of zeros kept (what printing shows as 0. or -0.)."""
    return [(float(v), math.copysign(1.0, float(v))) for v in np.asarray(t.tolist()).ravel()]


# ------------------------------------------------------------------ linalg
SINGULAR = [[[1., 2.], [2., 4.]], [[2., 4.], [1., 2.]], [[0., 1.], [0., 2.]], [[1., 1.], [1., 1.]],
            [[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]], [[3., 1.], [6., 2.]],
            [[[1., 2.], [2., 4.]], [[1., 0.], [0., 1.]], [[0., 0.], [0., 0.]]]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("k", range(len(SINGULAR)))
def test_det_and_slogdet_sign_of_singular_zero(torch, k, dtype):
    """A singular matrix's determinant is 0 or -0 as PyTorch's LU gives it (printed 0. / -0.)."""
    a = SINGULAR[k]
    t, e = torch.tensor(a, dtype=getattr(torch, dtype)), ember.tensor(a, dtype=getattr(ember, dtype))
    assert _bits(ember.linalg.det(e)) == _bits(torch.linalg.det(t))
    assert _bits(ember.det(e)) == _bits(torch.det(t))
    assert _bits(ember.linalg.slogdet(e)[0]) == _bits(torch.linalg.slogdet(t)[0])
    assert repr(ember.linalg.det(e)) == repr(torch.linalg.det(t)).replace("torch", "ember")


def test_det_of_regular_matrices_unchanged(torch):
    a = np.random.default_rng(0).standard_normal((4, 3, 3))
    assert_close(ember.linalg.det(ember.tensor(a)), torch.linalg.det(torch.tensor(a)))
    s_e, l_e = ember.linalg.slogdet(ember.tensor(a))
    s_t, l_t = torch.linalg.slogdet(torch.tensor(a))
    assert_close(s_e, s_t)
    assert_close(l_e, l_t)


@pytest.mark.parametrize("p", [1, -1, math.inf, -math.inf, "fro"])
def test_cond_of_singular_matrix_is_inf(torch, p):
    a = [[[1., 2.], [2., 4.]], [[2., 1.], [1., 3.]]]
    re = ember.linalg.cond(ember.tensor(a), p)
    rt = torch.linalg.cond(torch.tensor(a), p)
    assert_close(re, rt)
    assert re.dtype == ember.float32


def test_linalg_error_class_is_named_as_pytorchs(torch):
    _same_error(torch, lambda: ember.linalg.inv(ember.zeros(2, 2)),
                lambda: torch.linalg.inv(torch.zeros(2, 2)))
    _same_error(torch, lambda: ember.linalg.solve(ember.zeros(2, 2), ember.ones(2)),
                lambda: torch.linalg.solve(torch.zeros(2, 2), torch.ones(2)))
    assert issubclass(ember.linalg.LinAlgError, RuntimeError)
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.cholesky(-ember.eye(2))


SOLVE_ERRORS = [
    ((3, 3), (3,), False), ((2, 3, 3), (4,), False), ((1, 1), (1,), False),
    ((2, 3, 3), (2, 3), False), ((2, 3, 3), (2, 4), False), ((2, 3, 3), (2, 4), True),
    ((3, 3), (2, 1), True), ((3,), (2, 1), True), ((2, 3), (2, 1), True), ((3, 3), (), True),
]


@pytest.mark.parametrize("sa,sb,left", SOLVE_ERRORS)
@pytest.mark.parametrize("fn", ["solve", "solve_ex"])
def test_solve_shape_errors_are_pytorchs(torch, sa, sb, left, fn):
    _same_error(torch, lambda: getattr(ember.linalg, fn)(ember.ones(sa), ember.ones(sb), left=left),
                lambda: getattr(torch.linalg, fn)(torch.ones(sa), torch.ones(sb), left=left))


def test_solve_dtype_errors_are_pytorchs(torch):
    _same_error(torch, lambda: ember.linalg.solve(ember.eye(3), ember.ones(3, dtype=ember.float64)),
                lambda: torch.linalg.solve(torch.eye(3), torch.ones(3, dtype=torch.float64)))
    _same_error(torch, lambda: ember.linalg.solve_ex(ember.eye(3).long(), ember.ones(3).long()),
                lambda: torch.linalg.solve_ex(torch.eye(3).long(), torch.ones(3).long()))


def test_solve_left_false_still_solves(torch):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 4, 3))
    assert_close(ember.linalg.solve(ember.tensor(a), ember.tensor(b), left=False),
                 torch.linalg.solve(torch.tensor(a), torch.tensor(b), left=False))


NORM_ERRORS = [((4,), "fro", None), ((4,), "nuc", 0), ((2, 3, 4), "fro", None),
               ((2, 3, 4), 2, (0, 1, 2)), ((2, 3, 4), None, (0, 1, 2)), ((3, 4), "fro", (1, 1)),
               ((2, 3, 4), "foo", None), ((3, 4), "foo", None)]


@pytest.mark.parametrize("shape,ord,dim", NORM_ERRORS)
def test_linalg_norm_errors_are_pytorchs(torch, shape, ord, dim):
    _same_error(torch, lambda: ember.linalg.norm(ember.ones(shape), ord, dim),
                lambda: torch.linalg.norm(torch.ones(shape), ord, dim))


@pytest.mark.parametrize("ord,dim", [("fro", (0, 1)), (3, None), (3, 1), (-1, (2, 1)), (0, None),
                                     (math.inf, 2), (None, (1,))])
def test_linalg_norm_values(torch, ord, dim):
    a = np.random.default_rng(2).standard_normal((2, 3, 4))
    x = a if dim is not None else a[0, 0]
    assert_close(ember.linalg.norm(ember.tensor(x), ord, dim),
                 torch.linalg.norm(torch.tensor(x), ord, dim))


def test_lstsq_driver_error_is_pytorchs(torch):
    _same_error(torch, lambda: ember.linalg.lstsq(ember.ones(3, 2), ember.ones(3, 1), driver="x"),
                lambda: torch.linalg.lstsq(torch.ones(3, 2), torch.ones(3, 1), driver="x"))


def test_cross_without_dim_warns(torch):
    a = np.random.default_rng(3).standard_normal((3, 3))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = ember.cross(ember.tensor(a), ember.tensor(a[::-1].copy()))
    assert any("without specifying the dim arg is deprecated" in str(x.message) for x in w)
    assert w[0].filename == __file__  # points at the user's line
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.tensor(a).cross(ember.tensor(a))
    assert w[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(r, torch.cross(torch.tensor(a), torch.tensor(a[::-1].copy())))


# ------------------------------------------------------------------ fft
FFT_NODES = [("fft", "r", {}), ("fft", "c", {}), ("fft", "r", {"n": 8}), ("fft", "c", {"n": 3}),
             ("ifft", "r", {}), ("ifft", "c", {}), ("rfft", "r", {}), ("rfft", "r", {"n": 9}),
             ("irfft", "c", {}), ("irfft", "r", {}), ("hfft", "c", {}), ("hfft", "r", {}),
             ("ihfft", "r", {}), ("fft2", "r", {}), ("rfft2", "r", {}), ("irfft2", "c", {}),
             ("hfft2", "c", {}), ("ihfft2", "r", {}), ("fftn", "c", {}), ("ifftn", "r", {}),
             ("irfftn", "c", {"s": (3, 4)}), ("hfftn", "c", {}), ("ihfftn", "r", {}),
             ("fft", "r", {"norm": "ortho"}), ("fftn", "r", {"dim": 1})]


@pytest.mark.parametrize("name,kind,kw", FFT_NODES)
def test_fft_graph_nodes_are_pytorchs(torch, name, kind, kw):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((2, 6))
    if kind == "c":
        a = a + 1j * rng.standard_normal((2, 6))
    e = ember.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    ye, yt = getattr(ember.fft, name)(e, **kw), getattr(torch.fft, name)(t, **kw)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    assert_close(ye, yt, rtol=1e-10, atol=1e-10)
    w = rng.standard_normal(tuple(yt.shape))
    ge, = ember.autograd.grad((ye.abs() * ember.tensor(w)).sum(), e)
    gt, = torch.autograd.grad((yt.abs() * torch.tensor(w)).sum(), t)
    assert_close(ge, gt, rtol=1e-9, atol=1e-9)


C23 = np.ones((2, 3), dtype=np.complex64)
FFT_ERRORS = [
    ("rfft", C23, {}), ("rfft2", C23, {}), ("rfftn", C23, {}), ("ihfft", C23, {}),
    ("fft", np.ones((2, 3)), {"dim": 3}), ("fftn", np.ones((2, 3)), {"dim": (0, 0)}),
    ("rfftn", np.ones((2, 3)), {"dim": (1, -1)}), ("ifftn", np.ones((2, 3)), {"dim": (0, 1, 0)}),
    ("irfft", np.ones(1, dtype=np.complex64), {}), ("hfft", np.ones(1, dtype=np.complex64), {}),
    ("irfftn", np.ones((2, 1), dtype=np.complex64), {}), ("fft2", np.ones(3), {}),
    ("rfft", np.ones((2, 3)), {"dim": 2}), ("ihfft", np.ones((2, 3)), {"dim": -3}),
    ("hfft", C23, {"dim": 5}), ("fftn", np.ones((2, 3)), {"s": (2, 3, 4)}),
    ("fft", np.array(3.0), {}), ("fftshift", np.ones((2, 3)), {"dim": 3}),
    ("ifftshift", np.ones((2, 3)), {"dim": -3}), ("irfft", C23, {"n": 0}),
]


@pytest.mark.parametrize("name,data,kw", FFT_ERRORS)
def test_fft_errors_are_pytorchs(torch, name, data, kw):
    _same_error(torch, lambda: getattr(ember.fft, name)(ember.tensor(data), **kw),
                lambda: getattr(torch.fft, name)(torch.tensor(data), **kw))


def test_irfftn_default_length_with_minus_one(torch):
    a = np.random.default_rng(5).standard_normal((2, 3)) + 0j
    assert_close(ember.fft.irfftn(ember.tensor(a), s=(-1, -1)),
                 torch.fft.irfftn(torch.tensor(a), s=(-1, -1)))


# ------------------------------------------------------------------ special
def test_lgamma_at_one_and_two_is_positive_zero(torch):
    for dt in ("float32", "float64"):
        e = ember.special.gammaln(ember.tensor([1., 2.], dtype=getattr(ember, dt)))
        t = torch.special.gammaln(torch.tensor([1., 2.], dtype=getattr(torch, dt)))
        assert _bits(e) == _bits(t)
    assert _bits(ember.lgamma(ember.tensor([1, 2]))) == _bits(torch.lgamma(torch.tensor([1, 2])))


def test_log_ndtr_at_inf_is_negative_zero(torch):
    x = [math.inf, 40.0, 0.0, -math.inf]
    assert _bits(ember.special.log_ndtr(ember.tensor(x))) == \
        _bits(torch.special.log_ndtr(torch.tensor(x)))


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_polygamma_at_infinities(torch, n):
    x = [math.inf, -math.inf, 1e20, 0.5, 3.0, -2.5, math.nan]
    for dt in ("float32", "float64"):
        e = ember.special.polygamma(n, ember.tensor(x, dtype=getattr(ember, dt)))
        t = torch.special.polygamma(n, torch.tensor(x, dtype=getattr(torch, dt)))
        assert_close(e, t, equal_nan=True)


def test_zeta_at_infinite_q(torch):
    s = [2., 3., 1.5, 2., 1.]
    q = [math.inf, math.inf, math.inf, -math.inf, math.inf]
    assert_close(ember.special.zeta(ember.tensor(s), ember.tensor(q)),
                 torch.special.zeta(torch.tensor(s), torch.tensor(q)), equal_nan=True)


def test_special_graph_nodes_are_pytorchs(torch):
    a = [0.3, 1.7, 2.5]
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for f in ("ndtr", "round"):
        assert getattr(ember.special, f)(e).grad_fn.name() == \
            getattr(torch.special, f)(t).grad_fn.name()
    assert ember.special.round(e, decimals=1).grad_fn.name() == \
        torch.special.round(t, decimals=1).grad_fn.name()
    ge, = ember.autograd.grad(ember.special.ndtr(e).sum(), e)
    gt, = torch.autograd.grad(torch.special.ndtr(t).sum(), t)
    assert_close(ge, gt)


# ------------------------------------------------------------------ linalg graph nodes
LINALG_NODES = [
    ("matrix_power-1", lambda L, a: L.linalg.matrix_power(a, -1)),
    ("matrix_power0", lambda L, a: L.linalg.matrix_power(a, 0)),
    ("matrix_power1", lambda L, a: L.linalg.matrix_power(a, 1)),
    ("matrix_power-2", lambda L, a: L.linalg.matrix_power(a, -2)),
    ("logdet", lambda L, a: L.logdet(a @ a.mT + L.eye(3, dtype=L.float64))),
    ("cond", lambda L, a: L.linalg.cond(a)), ("cond-2", lambda L, a: L.linalg.cond(a, -2)),
    ("cond1", lambda L, a: L.linalg.cond(a, 1)), ("condfro", lambda L, a: L.linalg.cond(a, "fro")),
    ("condnuc", lambda L, a: L.linalg.cond(a, "nuc")),
    ("norm1", lambda L, a: L.linalg.matrix_norm(a, 1)),
    ("norm-inf", lambda L, a: L.linalg.matrix_norm(a, -math.inf, dim=(1, 0))),
    ("norm1keep", lambda L, a: L.linalg.matrix_norm(a, 1, keepdim=True)),
    ("norm2keep", lambda L, a: L.linalg.matrix_norm(a, 2, keepdim=True)),
    ("nuckeep", lambda L, a: L.linalg.matrix_norm(a, "nuc", keepdim=True)),
    ("linalg_norm1", lambda L, a: L.linalg.norm(a, 1)),
    ("tri", lambda L, a: L.linalg.solve_triangular(a.triu() + 3 * L.eye(3, dtype=L.float64), a,
                                                    upper=True)),
    ("tri_right", lambda L, a: L.linalg.solve_triangular(a.triu() + 3 * L.eye(3, dtype=L.float64),
                                                          a, upper=True, left=False)),
    ("copy_", lambda L, a: L.zeros(3, 3, dtype=L.float64).copy_(a)),
]


@pytest.mark.parametrize("name,f", LINALG_NODES, ids=[c[0] for c in LINALG_NODES])
def test_linalg_graph_nodes_are_pytorchs(torch, name, f):
    a = np.random.default_rng(6).standard_normal((3, 3))
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ye, yt = f(ember, e), f(torch, t)
    assert ye.grad_fn.name() == yt.grad_fn.name()
    assert_close(ye, yt, rtol=1e-9, atol=1e-9)
    ge, = ember.autograd.grad(ye.sum(), e)
    if name in ("cond1", "condfro"):  # PyTorch's backward fails (its masked_fill_ is in place)
        ember.autograd.gradcheck(lambda x: f(ember, x), (e,))
        return
    gt, = torch.autograd.grad(yt.sum(), t)
    assert_close(ge, gt, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("p", [1, "fro", math.inf, "nuc"])
def test_cond_of_zero_and_nan_matrices(torch, p):
    for a in ([[0., 0.], [0., 0.]], [[math.nan, 2.], [2., 4.]], [[math.inf, 2.], [2., 4.]]):
        if p == "nuc" and not np.isfinite(a).all():
            continue  # PyTorch's SVD refuses non-finite input
        assert_close(ember.linalg.cond(ember.tensor(a), p), torch.linalg.cond(torch.tensor(a), p),
                     equal_nan=True)


def test_inv_ex_of_nan_matrix_in_a_batch(torch):
    a = [[[math.nan, 2.], [2., 4.]], [[0., 0.], [0., 0.]], [[1., 0.], [0., 1.]]]
    ie, info_e = ember.linalg.inv_ex(ember.tensor(a))
    it, info_t = torch.linalg.inv_ex(torch.tensor(a))
    assert info_e.tolist() == info_t.tolist()
    assert_close(ie[2], it[2])
    assert bool(ie[0].isnan().all())


COND_ERRORS = [((3, 5), 1), ((3, 5), "fro"), ((3, 5), "foo"), ((3, 5), 3), ((2, 2), 0),
               ((2, 2), "foo"), ((3,), 1), ((3,), None), ((3,), "foo")]


@pytest.mark.parametrize("shape,p", COND_ERRORS)
def test_cond_errors_are_pytorchs(torch, shape, p):
    _same_error(torch, lambda: ember.linalg.cond(ember.ones(shape), p),
                lambda: torch.linalg.cond(torch.ones(shape), p))


@pytest.mark.parametrize("p", [1, math.inf, "fro", "nuc", None])
def test_cond_of_integer_input_names_the_inner_op(torch, p):
    _same_error(torch, lambda: ember.linalg.cond(ember.eye(2, dtype=ember.int64), p),
                lambda: torch.linalg.cond(torch.eye(2, dtype=torch.int64), p))


NORM_DTYPES = [
    ("vector_norm", "float64", "float32", {}), ("vector_norm", "complex64", "float32", {}),
    ("vector_norm", "float32", "complex64", {}), ("vector_norm", "float32", "float16", {}),
    ("vector_norm", "int64", "float64", {}), ("matrix_norm", "float64", "float32", {}),
    ("matrix_norm", "float64", "float32", {"ord": "nuc"}), ("norm", "float64", "float32", {}),
]


@pytest.mark.parametrize("fn,src,dst,kw", NORM_DTYPES)
def test_norm_dtype_narrowing_is_refused(torch, fn, src, dst, kw):
    _same_error(torch, lambda: getattr(ember.linalg, fn)(
        ember.ones(2, 2, dtype=getattr(ember, src)), dtype=getattr(ember, dst), **kw),
        lambda: getattr(torch.linalg, fn)(torch.ones(2, 2, dtype=getattr(torch, src)),
                                          dtype=getattr(torch, dst), **kw))


@pytest.mark.parametrize("src,dst", [("float32", "float64"), ("complex64", "complex128"),
                                     ("bfloat16", "float32"), ("float16", "float16")])
def test_norm_dtype_widening_works(torch, src, dst):
    a = np.arange(4.0).reshape(2, 2)
    e = ember.linalg.vector_norm(ember.tensor(a).to(getattr(ember, src)), dtype=getattr(ember, dst))
    t = torch.linalg.vector_norm(torch.tensor(a).to(getattr(torch, src)), dtype=getattr(torch, dst))
    assert_close(e, t)


NAN = math.nan
CHOL_NAN = [[[NAN, 1.], [1., 1.]], [[4., 1.], [1., NAN]], [[4., NAN], [NAN, 4.]],
            [[[4., 1.], [1., 2.]], [[NAN, 0.], [0., 1.]]]]


@pytest.mark.parametrize("k", range(len(CHOL_NAN)))
def test_cholesky_of_nan_fails_as_pytorch(torch, k):
    a = CHOL_NAN[k]
    _same_error(torch, lambda: ember.linalg.cholesky(ember.tensor(a)),
                lambda: torch.linalg.cholesky(torch.tensor(a)))
    le, ie = ember.linalg.cholesky_ex(ember.tensor(a))
    lt, it = torch.linalg.cholesky_ex(torch.tensor(a))
    assert ie.tolist() == it.tolist()
    assert_close(le, lt, equal_nan=True)


@pytest.mark.parametrize("fn", ["erfcx", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "entr"])
@pytest.mark.parametrize("dtype", ["complex64", "float16", "bfloat16"])
def test_special_dtype_refusals_name_pytorchs_kernels(torch, fn, dtype):
    x = [-0.5, 0.0, 0.5, 2.0]
    try:
        expected = getattr(torch.special, fn)(torch.tensor(x).to(getattr(torch, dtype)))
    except NotImplementedError:
        _same_error(torch,
                    lambda: getattr(ember.special, fn)(ember.tensor(x).to(getattr(ember, dtype))),
                    lambda: getattr(torch.special, fn)(torch.tensor(x).to(getattr(torch, dtype))))
        return
    got = getattr(ember.special, fn)(ember.tensor(x).to(getattr(ember, dtype)))
    assert_close(got, expected, rtol=2e-2, atol=2e-2, equal_nan=True)  # half precision


@pytest.mark.parametrize("case", [
    ("rfft", (8,), {}), ("rfft", (7,), {"norm": "ortho"}), ("rfft2", (3, 4, 6), {}),
    ("rfftn", (3, 4, 6), {"norm": "forward"}), ("ifft", (4,), {}), ("ifft", (5,), {"n": 6}),
    ("ihfft", (4,), {}), ("fft", (6,), {}), ("fft", (5,), {"n": 8}),
], ids=lambda c: c[0] + str(len(c[1])))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_real_input_transforms_print_as_pytorchs(torch, case, dtype):
    """The bins that are real come out with PyTorch's signed zero imaginary part (R2C: +0;
    the inverse transforms, conjugates of it: -0), so printed outputs read the same."""
    name, shape, kw = case
    a = np.random.default_rng(7).standard_normal(shape).astype(dtype)
    ye = getattr(ember.fft, name)(ember.tensor(a), **kw)
    yt = getattr(torch.fft, name)(torch.tensor(a), **kw)
    assert_close(ye, yt)
    zero_t = yt.resolve_conj().imag.numpy() == 0
    imag_e = ye.resolve_conj().imag.numpy()
    assert (imag_e[zero_t] == 0).all()
    assert (np.signbit(imag_e[zero_t]) == np.signbit(yt.resolve_conj().imag.numpy()[zero_t])).all()
    if len(shape) == 1:
        assert repr(ye) == repr(yt).replace("torch", "ember")


def test_rfft_of_integers_and_its_gradient(torch):
    assert ember.fft.rfft(ember.arange(6)).dtype == ember.complex64
    assert_close(ember.fft.rfft(ember.arange(6)), torch.fft.rfft(torch.arange(6)))
    a = np.random.default_rng(8).standard_normal((2, 5))
    ember.autograd.gradcheck(lambda x: ember.fft.rfftn(x, s=(3, 6)).abs(),
                             (ember.tensor(a, requires_grad=True),))
