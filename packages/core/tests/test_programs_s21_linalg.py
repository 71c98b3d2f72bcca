"""``ember.linalg`` and PyTorch's older linear-algebra functions against PyTorch: singular
inverses (LU's inf/nan and info), the removed functions' errors, error texts of lstsq /
multi_dot / tensorsolve, graph node names, and result types usable in ``match``."""

import warnings

import numpy as np
import pytest
from _misc_helpers import outcomes

import ember

torch = pytest.importorskip("torch")


def _both(fn):
    """``fn(L)`` for ember and torch: (result, error) each."""
    return outcomes(fn, torch)


def _same_error(fn):
    (_, got), (_, want) = _both(fn)
    assert want is not None and got is not None
    assert type(got).__name__ == type(want).__name__
    assert isinstance(got, RuntimeError) == isinstance(want, RuntimeError)
    assert str(got).replace("ember.", "torch.") == str(want)


def _np(t):
    return t.detach().resolve_conj().numpy() if hasattr(t, "resolve_conj") else t.numpy()


def _same(got, want, rtol=1e-12, atol=1e-12):
    assert str(got.dtype).replace("ember.", "torch.") == str(want.dtype)
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(_np(got), _np(want), rtol=rtol, atol=atol, equal_nan=True)


# ------------------------------------------------------------------ 1. singular inverses
_SINGULAR = [
    [[1.0, 2.0], [2.0, 4.0]],
    [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]],  # float64: no exact zero pivot, a huge inverse
    [[0.0, 0], [0, 0]],
    [[1.0, 0, 0], [0, 0, 0], [0, 0, 1]],
    [[2.0, 1, 1], [4, 2, 2], [1, 3, 5]],
    [[0.0, 1], [0, 1]],
]


@pytest.mark.parametrize("m", _SINGULAR)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inv_ex_of_singular_matrices_is_lus_solve(m, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # PyTorch does not warn
        (got, ge), (want, we) = _both(
            lambda L: L.linalg.inv_ex(L.tensor(m, dtype=getattr(L, dtype))))
    assert ge is None and we is None
    _same(got.inverse, want.inverse, rtol=1e-6)
    _same(got.info, want.info)


def test_inv_of_a_rounding_singular_matrix_returns_what_pytorch_does():
    m = [[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]
    (got, _), (want, _) = _both(lambda L: L.linalg.inv(L.tensor(m, dtype=L.float64)))
    _same(got, want, rtol=1e-6)
    (got, _), (want, _) = _both(lambda L: L.inverse(L.tensor(m, dtype=L.float64)))
    _same(got, want, rtol=1e-6)
    # in float32 the last pivot rounds to exactly zero or not by the CPU's BLAS kernels (it
    # does on AMD's EPYC, not on Intel's Xeon): the same error as PyTorch's, or its values
    (got, ge), (want, we) = _both(lambda L: L.linalg.inv(L.tensor(m, dtype=L.float32)))
    if we is not None:
        _same_error(lambda L: L.linalg.inv(L.tensor(m, dtype=L.float32)))
    else:
        assert ge is None
        _same(got, want, rtol=1e-6)


def test_inv_ex_batch_mixes_inverses_and_singular_items():
    def run(L):
        a = L.stack([L.eye(2, dtype=L.float64), L.tensor([[1.0, 2], [2, 4]], dtype=L.float64)])
        return L.linalg.inv_ex(a)

    (got, _), (want, _) = _both(run)
    _same(got.inverse, want.inverse)
    _same(got.info, want.info)
    _same_error(lambda L: L.linalg.inv_ex(L.tensor([[1.0, 2], [2, 4]]), check_errors=True))


def test_lu_solve_with_a_zero_pivot_gives_inf_without_warning():
    def run(L):
        LU, piv, _ = L.linalg.lu_factor_ex(L.tensor([[1.0, 2], [2, 4]], dtype=L.float64))
        return L.linalg.lu_solve(LU, piv, L.ones(2, 1, dtype=L.float64))

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        (got, _), (want, _) = _both(run)
    _same(got, want)


# ------------------------------------------------------------------ 2. removed functions
@pytest.mark.parametrize("call", [
    lambda L: L.qr(L.eye(2)),
    lambda L: L.qr(L.eye(2), some=False),
    lambda L: L.qr(L.eye(2), False),
    lambda L: L.eye(2).qr(),
    lambda L: L.eye(2).qr(some=False),
    lambda L: L.cholesky(L.eye(2)),
    lambda L: L.cholesky(L.eye(2), upper=True),
    lambda L: L.eye(2).cholesky(),
    lambda L: L.symeig(L.eye(2)),
    lambda L: L.symeig(L.eye(2), eigenvectors=True),
    lambda L: L.eye(2).symeig(),
    lambda L: L.eig(L.eye(2)),
    lambda L: L.eye(2).eig(True),
    lambda L: L.lstsq(L.eye(2), L.eye(2)),
    lambda L: L.solve(L.eye(2), L.eye(2)),
    lambda L: L.eye(2).solve(L.eye(2)),
    lambda L: L.matrix_rank(L.eye(2)),
])
def test_removed_linalg_functions_raise_pytorchs_error(call):
    _same_error(call)


# ------------------------------------------------------------------ 3. error texts
@pytest.mark.parametrize("call", [
    lambda L: L.linalg.lstsq(L.ones(5, 3, dtype=L.float64), L.ones(5, 2)),
    lambda L: L.linalg.lstsq(L.ones(5, 3, dtype=L.float64), L.ones(4, 2)),
    lambda L: L.linalg.lstsq(L.ones(5, 3, dtype=L.int64), L.ones(5, 2)),
    lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(4, 2)),
    lambda L: L.linalg.multi_dot([L.ones(2, 3, 4), L.ones(4, 3)]),
    lambda L: L.linalg.multi_dot([L.ones(3, 4), L.ones(2, 4, 3)]),
    lambda L: L.linalg.multi_dot([L.ones(3, 4), L.ones(4, 2, 3), L.ones(3)]),
    lambda L: L.linalg.multi_dot([L.ones(3, 4), L.ones(4, 2, dtype=L.float64)]),
    lambda L: L.linalg.multi_dot([L.ones(2, 2, dtype=L.complex64),
                                  L.ones(2, 2, dtype=L.int64)]),
    lambda L: L.linalg.multi_dot([L.ones(3, 4), L.ones(3, 2)]),
    lambda L: L.linalg.tensorsolve(L.ones(2, 3, 4), L.ones(2, 3)),
    lambda L: L.linalg.tensorsolve(L.ones(6, 2, 3), L.ones(6), dims=(0,)),
])
def test_linalg_error_texts_match(call):
    _same_error(call)


# ------------------------------------------------------------------ 4. graph nodes
def _pair(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return (ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True))


def _names(outs):
    outs = outs if isinstance(outs, tuple) else (outs,)
    return [type(o.grad_fn).__name__ if o.grad_fn is not None else None for o in outs]


@pytest.mark.parametrize("fn", [
    lambda L, a, b: L.linalg.solve(a, b, left=False),
    lambda L, a, b: L.linalg.solve(a, b[0]),
    lambda L, a, b: L.linalg.cholesky(a @ a.mT + L.eye(4, dtype=a.dtype), upper=True),
    lambda L, a, b: L.linalg.cholesky_ex(a @ a.mT + L.eye(4, dtype=a.dtype), upper=True),
    lambda L, a, b: L.linalg.slogdet(a),
    lambda L, a, b: L.slogdet(a),
    lambda L, a, b: L.linalg.qr(a, mode="r"),
    lambda L, a, b: L.linalg.tensorinv(a, ind=1),
    lambda L, a, b: L.ormqr(a, b[0], b),
])
def test_grad_fn_names_match(fn):
    (ea, ta), (eb, tb) = _pair((4, 4)), _pair((4, 4), 1)
    assert _names(fn(ember, ea, eb)) == _names(fn(torch, ta, tb))


def test_solve_left_false_and_cholesky_upper_gradients_match():
    (ea, ta), (eb, tb) = _pair((3, 3)), _pair((2, 3), 1)
    for L, a, b in ((ember, ea, eb), (torch, ta, tb)):
        L.linalg.solve(a, b, left=False).sin().sum().backward()
        spd = a @ a.mT + 3 * L.eye(3, dtype=a.dtype)
        L.linalg.cholesky(spd, upper=True).cos().sum().backward()
    _same(ea.grad, ta.grad, rtol=1e-10, atol=1e-12)
    _same(eb.grad, tb.grad, rtol=1e-10, atol=1e-12)


def test_real_slogdet_sign_needs_grad_but_gives_none():
    (ea, ta) = _pair((3, 3))
    for L, a in ((ember, ea), (torch, ta)):
        sign, logabs = L.linalg.slogdet(a)
        assert sign.requires_grad
        sign.sum().backward(retain_graph=True)
        assert a.grad is None
        (sign * logabs).sum().backward()
    _same(ea.grad, ta.grad)


def test_qr_mode_r_backward_raises_pytorchs_error():
    def run(L):
        a = L.tensor(np.eye(3) + 0.5, requires_grad=True)
        Q, R = L.linalg.qr(a, mode="r")
        assert (Q.requires_grad, tuple(Q.shape)) == (True, (0,))
        R.sum().backward()

    _same_error(run)


# ------------------------------------------------------------------ 5. result types
def test_linalg_results_match_positional_class_patterns():
    for L in (ember, torch):
        match L.linalg.slogdet(L.tensor([[2.0, 1], [1, 3]])):
            case L.return_types.linalg_slogdet(sign, logabsdet):
                assert float(sign) == 1.0 and abs(float(logabsdet) - np.log(5.0)) < 1e-6
            case _:
                pytest.fail(f"{L.__name__}: no match")
    for name in ("linalg_qr", "linalg_lstsq", "linalg_svd", "linalg_inv_ex", "svd", "geqrf"):
        assert getattr(ember.return_types, name).__match_args__ == \
            getattr(torch.return_types, name).__match_args__


# ------------------------------------------------------------------ 6. out= dtypes
def _a(L):
    return L.tensor(np.random.default_rng(0).standard_normal((3, 3)))


def _spd(L):
    a = _a(L)
    return a @ a.mT + L.eye(3, dtype=L.float64)


_OUT_CALLS = {
    "inv": lambda L, o: L.linalg.inv(_a(L), out=o),
    "inverse": lambda L, o: L.inverse(_a(L), out=o),
    "det": lambda L, o: L.linalg.det(_a(L), out=o),
    "solve": lambda L, o: L.linalg.solve(_a(L), _a(L), out=o),
    "eigvalsh": lambda L, o: L.linalg.eigvalsh(_spd(L), out=o),
    "svdvals": lambda L, o: L.linalg.svdvals(_a(L), out=o),
    "cholesky": lambda L, o: L.linalg.cholesky(_spd(L), out=o),
    "vector_norm": lambda L, o: L.linalg.vector_norm(_a(L), out=o),
    "matrix_norm": lambda L, o: L.linalg.matrix_norm(_a(L), out=o),
    "norm": lambda L, o: L.linalg.norm(_a(L), out=o),
    "cross": lambda L, o: L.linalg.cross(_a(L), _a(L), out=o),
    "vecdot": lambda L, o: L.linalg.vecdot(_a(L), _a(L), out=o),
    "multi_dot": lambda L, o: L.linalg.multi_dot([_a(L), _a(L)], out=o),
    "solve_triangular": lambda L, o: L.linalg.solve_triangular(_a(L), _a(L), upper=True, out=o),
    "lu_solve": lambda L, o: L.linalg.lu_solve(*L.linalg.lu_factor(_a(L)), _a(L), out=o),
    "pinv": lambda L, o: L.linalg.pinv(_a(L), out=o),
    "slogdet": lambda L, o: L.linalg.slogdet(_a(L), out=(o, L.empty(0, dtype=L.float64))),
    "torch.slogdet": lambda L, o: L.slogdet(_a(L), out=(L.empty(0, dtype=L.float64), o)),
    "qr": lambda L, o: L.linalg.qr(_a(L), out=(o, L.empty(0, dtype=L.float64))),
    "svd": lambda L, o: L.linalg.svd(_a(L), out=(L.empty(0, dtype=L.float64), o,
                                                 L.empty(0, dtype=L.float64))),
    "eigh": lambda L, o: L.linalg.eigh(_spd(L), out=(o, L.empty(0, dtype=L.float64))),
    "lu_factor": lambda L, o: L.linalg.lu_factor(_a(L), out=(o, L.empty(0, dtype=L.int32))),
    "inv_ex": lambda L, o: L.linalg.inv_ex(_a(L), out=(o, L.empty(0, dtype=L.int32))),
    "solve_ex": lambda L, o: L.linalg.solve_ex(_a(L), _a(L), out=(o, L.empty(0, dtype=L.int32))),
    "cholesky_ex": lambda L, o: L.linalg.cholesky_ex(_spd(L), out=(o, L.empty(0, dtype=L.int32))),
}


@pytest.mark.parametrize("name", sorted(_OUT_CALLS))
@pytest.mark.parametrize("dtype", ["float32", "int64", "complex128"])
def test_linalg_out_of_another_dtype_is_refused_or_cast_as_pytorch(name, dtype):
    (got, ge), (want, we) = _both(lambda L: _OUT_CALLS[name](L, L.empty(0, dtype=getattr(L, dtype))))
    assert (ge is None) == (we is None), (ge, we)
    if we is not None:
        assert type(ge) is type(we) and str(ge).replace("ember.", "torch.") == str(we)
        return
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    assert type(got).__name__ == type(want).__name__
    for g, w in zip(got, want):
        _same(g, w, rtol=1e-5, atol=1e-6)


def test_ex_functions_accept_out_and_return_out_types():
    def run(L):
        o = (L.empty(0, dtype=L.float64), L.empty(0, dtype=L.int32))
        r = L.linalg.inv_ex(_a(L), out=o)
        return r, r[0] is o[0] and r[1] is o[1]

    (got, _), (want, _) = _both(run)
    assert got[1] and want[1]
    assert type(got[0]).__name__ == type(want[0]).__name__ == "linalg_inv_ex_out"
    _same(got[0].inverse, want[0].inverse)


_CAST_CALLS = {
    "pinv": lambda L, o: L.linalg.pinv(_a(L), out=o),
    "cond": lambda L, o: L.linalg.cond(_a(L), out=o),
    "tensorinv": lambda L, o: L.linalg.tensorinv(_a(L), ind=1, out=o),
    "tensorsolve": lambda L, o: L.linalg.tensorsolve(_a(L), _a(L)[0], out=o),
    "householder_product": lambda L, o: L.linalg.householder_product(_a(L), _a(L)[0], out=o),
    "cholesky_inverse": lambda L, o: L.cholesky_inverse(L.linalg.cholesky(_spd(L)), out=o),
    "cholesky_solve": lambda L, o: L.cholesky_solve(_a(L), L.linalg.cholesky(_spd(L)), out=o),
    "eigvals": lambda L, o: L.linalg.eigvals(_a(L), out=o),
    "eig values": lambda L, o: L.linalg.eig(_a(L), out=(o, L.empty(0, dtype=L.complex128))),
    "eig vectors": lambda L, o: L.linalg.eig(_a(L), out=(L.empty(0, dtype=L.complex128), o)),
}


@pytest.mark.parametrize("name", sorted(_CAST_CALLS))
@pytest.mark.parametrize("dtype", ["bool", "int64", "float32", "float64", "complex64"])
def test_linalg_out_must_be_safely_castable_as_pytorch(name, dtype):
    (got, ge), (want, we) = _both(lambda L: _CAST_CALLS[name](L, L.empty(0, dtype=getattr(L, dtype))))
    assert (ge is None) == (we is None), (ge, we)
    if we is not None:
        assert type(ge) is type(we) and str(ge).replace("ember.", "torch.") == str(we)
        return
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    for g, w in zip(got, want):
        assert str(g.dtype).replace("ember.", "torch.") == str(w.dtype)
        assert tuple(g.shape) == tuple(w.shape)


@pytest.mark.parametrize("n", [2, -1, 0, np.int64(3), 2.0, True, 1.5])
def test_matrix_power_takes_only_integer_powers(n):
    (got, ge), (want, we) = _both(
        lambda L: L.linalg.matrix_power(L.tensor([[2.0, 1], [1, 3]], dtype=L.float64), n))
    if we is not None:
        assert type(ge) is type(we) and str(ge) == str(we)
    else:
        _same(got, want)
