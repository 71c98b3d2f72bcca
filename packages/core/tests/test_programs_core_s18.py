"""Regressions found by running short PyTorch programs side by side with Ember (session 18):
each test runs the same code with both libraries and compares values, dtypes and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember


def _np(t: Any) -> np.ndarray:
    t = t.detach()
    if str(t.dtype).endswith("bfloat16"):
        t = t.float()
    if hasattr(t, "resolve_conj"):
        t = t.resolve_conj()
    return np.asarray(t.cpu().numpy() if hasattr(t, "cpu") else t.numpy())


def same(a: Any, b: Any, rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """``a`` (PyTorch) and ``b`` (Ember): equal structure, dtypes, shapes and values."""
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y, rtol, atol)
        return
    if a is None:
        assert b is None
        return
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(_np(b), _np(a), rtol=rtol, atol=atol)


def error_of(fn: Any) -> tuple[str, str]:
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return type(e).__name__.lstrip("_"), str(e)
    return "no error", ""


def same_error(torch: Any, make: Any) -> None:
    """``make(lib)`` returns a thunk; both libraries raise the same type and message (with
    PyTorch's module names spelled as Ember's)."""
    kind, msg = error_of(make(torch))
    assert error_of(make(ember)) == (kind, msg.replace("torch.", "ember."))


# ------------------------------------------------------------------ atan2 at the origin
def test_atan2_grad_at_origin_is_zero(torch):
    def run(L):
        a = L.tensor([1.0, 0.0, -2.0], dtype=L.float64, requires_grad=True)
        b = L.tensor([1.0, 0.0, 0.5], dtype=L.float64, requires_grad=True)
        L.atan2(a, b).sum().backward()
        return a.grad, b.grad

    same(run(torch), run(ember))


def test_atan2_double_backward_away_from_origin(torch):
    def run(L):
        a = L.tensor([1.0, -0.5], dtype=L.float64, requires_grad=True)
        b = L.tensor([2.0, 0.25], dtype=L.float64, requires_grad=True)
        (ga,) = L.autograd.grad(L.atan2(a, b).sum(), a, create_graph=True)
        return L.autograd.grad(ga.sum(), [a, b])

    same(run(torch), run(ember))


# ------------------------------------------------------------------ error messages
@pytest.mark.parametrize("shapes", [[(3,), (4,)], [(2, 3), (4, 5)], [(3,), (2, 3), (5, 1)],
                                    [(1, 3), (2, 1), (4, 3)]])
def test_broadcast_tensors_mismatch_message(torch, shapes):
    same_error(torch, lambda L: lambda: L.broadcast_tensors(*[L.ones(s) for s in shapes]))


@pytest.mark.parametrize("a_shape,b_shape", [((3, 3), (3,)), ((2, 3, 3), (3,)),
                                             ((3, 3), (2, 3, 1))])
def test_solve_singular_message_names_batch_only_when_batched(torch, a_shape, b_shape):
    same_error(torch, lambda L: lambda: L.linalg.solve(L.zeros(a_shape), L.ones(b_shape)))


RAGGED = [[[1, 2], [3]], [[1, 2], 3], [[[1, 2], [3, 4]], [[3], [4]]], [1, [2]],
          [[1, 2], [3, 4, 5]], [[1, 2], []], [[1, 2], [3, [4]]], [(1, 2), (3,)]]


@pytest.mark.parametrize("data", RAGGED)
@pytest.mark.parametrize("dtype", [None, "float32", "int64"])
def test_tensor_ragged_sequence_errors(torch, data, dtype):
    same_error(torch, lambda L: lambda: L.tensor(
        data, dtype=None if dtype is None else getattr(L, dtype)))


OVERFLOW = [[300], [-129], [2**40], [2**63], 2**63, [70000.0], [1e300], -2**63 - 1,
            [[1, 2], [3, 2**70]], (5, -1), [float("nan")], [float("inf")], [-255], [-256],
            [-1.0], [256.0]]


@pytest.mark.parametrize("data", OVERFLOW)
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64", "bool",
                                   "float16", None])
def test_tensor_out_of_range_numbers(torch, data, dtype):
    def make(L):
        return lambda: L.tensor(data, dtype=None if dtype is None else getattr(L, dtype))

    err_t, err_e = error_of(make(torch)), error_of(make(ember))
    assert err_e == err_t
    if err_t[0] == "no error":
        same(make(torch)(), make(ember)())


# ------------------------------------------------------------------ where with a Python int
@pytest.mark.parametrize("scalar,dtype", [(-1, "uint8"), (-256, "uint8"), (128, "int8"),
                                          (2**31, "int32"), (True, "int8"),
                                          (2**63 - 1, "int64"), (300, "int16"), (2.5, "int8"),
                                          (1e6, "float16"), (-128, "int8")])
@pytest.mark.parametrize("first", [True, False])
def test_where_python_int_into_integer_tensor(torch, scalar, dtype, first):
    def make(L):
        c = L.tensor([False, True])
        t = L.tensor([1, 1], dtype=getattr(L, dtype))
        return lambda: L.where(c, t, scalar) if first else L.where(c, scalar, t)

    err_t, err_e = error_of(make(torch)), error_of(make(ember))
    assert err_e == err_t
    if err_t[0] == "no error":
        same(make(torch)(), make(ember)())


# ------------------------------------------------------------------ multi-grad hooks
def _multi_hook_program(L):
    a = L.ones(2, requires_grad=True)
    b = L.ones(2, requires_grad=True)
    c = L.ones(2, requires_grad=True)
    log = []
    h = L.autograd.graph.register_multi_grad_hook(
        (a, b, c), lambda gs: log.append([None if g is None else g.clone() for g in gs]))
    (a * 2 + b * 3).sum().backward()
    (c * 5).sum().backward()
    h.remove()
    (a * 2).sum().backward()
    anylog = []
    h2 = L.autograd.graph.register_multi_grad_hook((a, b), lambda g: anylog.append(g.clone()),
                                                   mode="any")
    (a * 2 + b * 7).sum().backward()
    (b * 4).sum().backward()
    h2.remove()
    x = L.ones(3, requires_grad=True)
    y, z = x * 2, x * 3
    nonleaf = []
    L.autograd.graph.register_multi_grad_hook([y, z], lambda gs: nonleaf.append(list(gs)))
    (y * z).sum().backward()
    return log, anylog, nonleaf


def test_register_multi_grad_hook(torch):
    t, e = _multi_hook_program(torch), _multi_hook_program(ember)
    assert len(t[0]) == len(e[0]) == 2
    for rt, re_ in zip(t[0], e[0]):
        same(rt, re_)
    same(t[1], e[1])
    assert isinstance(e[2][0], list)
    same(t[2], e[2])


def test_register_multi_grad_hook_bad_mode(torch):
    same_error(torch, lambda L: lambda: L.autograd.graph.register_multi_grad_hook(
        (L.ones(1, requires_grad=True),), print, mode="some"))


def test_queue_callback_runs_after_backward(torch):
    def run(L):
        order = []

        class F(L.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                return t * 2

            @staticmethod
            def backward(ctx, g):
                L.autograd.Variable._execution_engine.queue_callback(
                    lambda: order.append("callback"))
                order.append("backward")
                return g * 2

        x = L.ones(2, requires_grad=True)
        x.register_hook(lambda g: order.append("leaf hook"))
        F.apply(x).sum().backward()
        return order

    assert run(ember) == run(torch)
    same_error(torch, lambda L: lambda: L.autograd.Variable._execution_engine.queue_callback(
        lambda: None))


# ------------------------------------------------------------------ matrix_sqrth, polar
@pytest.mark.parametrize("dtype", ["float64", "float32", "complex128"])
def test_matrix_sqrth(torch, dtype):
    def run(L):
        g = L.Generator().manual_seed(4)
        A = L.randn(3, 4, 4, generator=g, dtype=L.float64).to(getattr(L, dtype))
        S = A @ A.mH + L.eye(4, dtype=A.dtype)
        return L.linalg.matrix_sqrth(S), L.linalg.matrix_sqrth(L.tril(S))

    tol = 1e-5 if dtype == "float32" else 1e-9
    same(run(torch), run(ember), rtol=tol, atol=tol)
    same(torch.linalg.matrix_sqrth(torch.tensor([[1.0, 0], [0, -4]])),
         ember.linalg.matrix_sqrth(ember.tensor([[1.0, 0], [0, -4]])))


def test_matrix_sqrth_and_polar_grads(torch):
    def run(L):
        g = L.Generator().manual_seed(7)
        S = L.randn(4, 4, generator=g, dtype=L.float64)
        S = S @ S.T + L.eye(4, dtype=L.float64)
        S[0, 3] = 5.0  # only the lower triangle is read
        S.requires_grad_()
        (L.linalg.matrix_sqrth(S) * L.arange(16.0, dtype=L.float64).view(4, 4)).sum().backward()
        P = L.randn(5, 3, generator=g, dtype=L.float64, requires_grad=True)
        U, H = L.linalg.polar(P)
        (U.sum() + (H * H).sum()).backward()
        return S.grad, P.grad, U, H

    same(run(torch), run(ember), rtol=1e-8, atol=1e-10)


def test_polar_and_sqrth_errors(torch):
    same_error(torch, lambda L: lambda: L.linalg.polar(L.ones(2, 3)))
    same_error(torch, lambda L: lambda: L.linalg.matrix_sqrth(L.ones(2, 3)))
    same_error(torch, lambda L: lambda: L.linalg.matrix_sqrth(L.eye(2, dtype=L.int64)))
    assert type(ember.linalg.polar(ember.eye(2))).__name__ == "linalg_polar"


# ------------------------------------------------------------------ LDL
@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 12, 70])
def test_ldl_factor_and_solve_match_lapack(torch, n):
    def run(L):
        g = L.Generator().manual_seed(n)
        M = L.randn(n, n, generator=g, dtype=L.float64)
        M = M + M.T
        LD, piv = L.linalg.ldl_factor(M)
        return LD, piv, L.linalg.ldl_solve(LD, piv, L.randn(n, 2, generator=g,
                                                             dtype=L.float64))

    same(run(torch), run(ember), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("hermitian", [True, False])
def test_ldl_complex(torch, hermitian):
    def run(L):
        g = L.Generator().manual_seed(3)
        C = L.randn(5, 5, generator=g, dtype=L.complex128)
        M = C + (C.mH if hermitian else C.mT)
        LD, piv = L.linalg.ldl_factor(M, hermitian=hermitian)
        X = L.linalg.ldl_solve(LD, piv, L.ones(5, 2, dtype=L.complex128), hermitian=hermitian)
        return LD, piv, X

    same(run(torch), run(ember), rtol=1e-8, atol=1e-10)


def test_ldl_batched_zero_pivots_and_errors(torch):
    def run(L):
        Z = L.tensor([[0.0, 1.0, 2.0], [1.0, 0.0, 3.0], [2.0, 3.0, 0.0]])
        ex = L.linalg.ldl_factor_ex(L.stack([Z, L.zeros(3, 3)]))
        return (*L.linalg.ldl_factor(Z), *ex,
                L.linalg.ldl_solve(*L.linalg.ldl_factor(Z), L.ones(2, 3, 1)))

    same(run(torch), run(ember), rtol=1e-6, atol=1e-6)
    same_error(torch, lambda L: lambda: L.linalg.ldl_factor(L.ones(2, 3)))
    same_error(torch, lambda L: lambda: L.linalg.ldl_factor(L.eye(2, dtype=L.int64)))
    same_error(torch, lambda L: lambda: L.linalg.ldl_factor(L.eye(2, dtype=L.float16)))
    same_error(torch, lambda L: lambda: L.linalg.ldl_solve(
        *L.linalg.ldl_factor(L.eye(3, dtype=L.float64)), L.ones(3, 2)))
    with pytest.raises(RuntimeError, match="Unknown error code: 1"):
        ember.linalg.ldl_factor(ember.zeros(3, 3))


def test_ldl_has_no_derivative(torch):
    def run(L):
        LD, piv = L.linalg.ldl_factor(L.eye(2, requires_grad=True))
        x = L.linalg.ldl_solve(LD.detach(), piv, L.ones(2, 1, requires_grad=True))
        return ((LD.requires_grad, piv.requires_grad, x.requires_grad),
                error_of(lambda: LD.sum().backward()), error_of(lambda: x.sum().backward()))

    assert run(ember) == run(torch)


# ------------------------------------------------------------------ subclasses
def test_as_subclass_of_leaf_is_an_alias_in_the_graph(torch):
    def run(L):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = x.as_subclass(L.Tensor)
        flags = (y.is_leaf, type(y.grad_fn).__name__, y.requires_grad, y is x)
        (y * y).sum().backward()
        with L.no_grad():
            q = x.as_subclass(L.Tensor)
        return flags, (q.is_leaf, q.requires_grad), x.grad.tolist()

    assert run(ember) == run(torch)


def test_make_subclass(torch):
    def run(L):
        class T(L.Tensor):
            pass

        base = L.ones(2)
        t = L.Tensor._make_subclass(T, base, True)
        (t * 2).sum().backward()
        u = L.Tensor._make_subclass(T, base)
        u[0] = 5
        return type(t).__name__, t.requires_grad, t.is_leaf, t.grad.tolist(), base.tolist()

    assert run(ember) == run(torch)


# ------------------------------------------------------------------ half-precision FFT on CPU
@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "rfft2",
                                  "fftn", "rfftn", "irfftn", "ihfftn", "hfftn", "ifft2"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_fft_refuses_half_precision_on_cpu(torch, name, dtype):
    same_error(torch, lambda L: lambda: getattr(L.fft, name)(L.ones(4, 4, dtype=getattr(L, dtype))))


# ------------------------------------------------------------------ float32 accumulation
def test_cumsum_float32_accumulates_in_double_on_cpu(torch):
    def run(L):
        g = L.Generator().manual_seed(0)
        x = L.randn(1000, 7, generator=g)
        c = L.randn(500, generator=g, dtype=L.complex64)
        return (L.full((100000,), 0.1).cumsum(0)[-5:], L.cumsum(x, 0), L.cumsum(x.t(), 1),
                L.cumprod(1 + 0.01 * x, 0), L.cumsum(c, 0)[-3:],
                L.cumsum(L.full((1000,), 0.1, dtype=L.float16), 0)[-1])

    same(run(torch), run(ember), rtol=1e-6, atol=1e-6)


def test_float32_sum_and_mean_over_long_strided_axes(torch):
    def run(L):
        g = L.Generator().manual_seed(1)
        z = L.randn(3000, 4, generator=g) + 5
        zc = L.randn(3000, 2, generator=g, dtype=L.complex64) + 3
        return (L.full((100000, 2), 0.1).sum(0), L.full((100000, 2), 0.1).mean(0), z.sum(0),
                z.mean(0), z.t().sum(1), z.reshape(300, 10, 4).sum((0, 1)), z.var(0),
                zc.sum(0), z.nansum(0))

    same(run(torch), run(ember), rtol=2e-7, atol=1e-6)


# ------------------------------------------------------------------ ember.testing
def _close_cases(L):
    A = L.testing.assert_close
    a = L.tensor([1.0, 2.0, 3.0])
    nan = float("nan")
    return {
        "ok": lambda: A(a, a + 1e-7),
        "values": lambda: A(a, a + L.tensor([0.0, 0.1, 0.0])),
        "int": lambda: A(L.tensor([[1, 2], [3, 4]]), L.tensor([[1, 0], [3, 9]])),
        "bool": lambda: A(L.tensor([True]), L.tensor([False])),
        "nan": lambda: A(L.tensor([nan]), L.tensor([nan])),
        "nan_eq": lambda: A(L.tensor([nan]), L.tensor([nan]), equal_nan=True),
        "nan_vs_num": lambda: A(L.tensor([nan, 1.0]), L.tensor([1.0, 1.5])),
        "inf": lambda: A(L.tensor([float("inf")]), L.tensor([-float("inf")])),
        "zero_d": lambda: A(L.tensor(1.0), L.tensor(2.0)),
        "zero_d_int": lambda: A(L.tensor(1), L.tensor(2)),
        "complex": lambda: A(L.tensor([1 + 1j]), L.tensor([1 + 2j])),
        "f16": lambda: A(L.tensor([1.0], dtype=L.float16), L.tensor([1.01], dtype=L.float16)),
        "nodtype": lambda: A(L.tensor([1.0], dtype=L.float16),
                             L.tensor([1.0005], dtype=L.float64), check_dtype=False),
        "nodtype_fail": lambda: A(a, a.double() + 1, check_dtype=False),
        "tols": lambda: A(L.tensor([1.0, 2.0]), L.tensor([1.2, 2.0]), rtol=0.0, atol=0.1),
        "one_tol": lambda: A(a, a, rtol=0.1),
        "list": lambda: A([a, a], [a, a * 2]),
        "dict": lambda: A({"w": [a, {"k": a}]}, {"w": [a, {"k": a + 1}]}),
        "keys": lambda: A({"a": 1, "b": 2}, {"a": 1, "c": 2}),
        "seq_len": lambda: A([1, 2], [1, 2, 3]),
        "scalars": lambda: A(1.0, 1.5),
        "int_float": lambda: A(1, 1.0),
        "scalar_inf": lambda: A(float("inf"), -float("inf")),
        "bools": lambda: A(True, False),
        "none": lambda: A(None, L.ones(1)),
        "strings": lambda: A("a", "a"),
        "msg": lambda: A(a, a + 1, msg="custom"),
        "msg_fn": lambda: A(a, a + 1, msg=lambda m: "X" + m[:20]),
        "stride": lambda: A(L.zeros(2, 3).t(), L.zeros(3, 2), check_stride=True),
    }


@pytest.mark.parametrize("case", sorted(_close_cases(ember)))
def test_assert_close_matches_torch_testing(torch, case):
    def norm(err):  # the libraries' names in reprs aside
        return err[0], err[1].replace("torch.", "").replace("ember.", "")

    assert norm(error_of(_close_cases(ember)[case])) == norm(error_of(_close_cases(torch)[case]))


def test_assert_close_still_compares_against_torch_and_numpy(torch):
    ember.testing.assert_close(ember.tensor([1.0, float("nan")]), torch.tensor([1.0, float("nan")]))
    ember.testing.assert_close(ember.tensor([1, 2]), np.array([1, 2]))
    with pytest.raises(AssertionError):
        ember.testing.assert_close(ember.tensor([1.0]), torch.tensor([2.0]))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "complex64",
                                   "int64", "int32", "uint8", "int8", "bool"])
def test_make_tensor_draws_like_torch(torch, dtype):
    def run(L):
        L.manual_seed(0)
        d = getattr(L, dtype)
        M = L.testing.make_tensor
        nc = M(2, 3, dtype=d, device="cpu", noncontiguous=True)
        return (M((3, 4), dtype=d, device="cpu"), M(5, dtype=d, device="cpu", low=0, high=2),
                nc, M(10, dtype=d, device="cpu", low=-1, high=1, exclude_zero=True),
                L.rand(2)), nc.stride()

    (t, ts), (e, es) = run(torch), run(ember)
    same(t, e)
    assert ts == es


def test_make_tensor_errors(torch):
    for kw in ({"dtype": "int64", "requires_grad": True}, {"dtype": "float32", "low": 3, "high": 1}):
        def make(L, kw=kw):
            args = dict(kw, dtype=getattr(L, kw["dtype"]))
            return lambda: L.testing.make_tensor(2, device="cpu", **args)

        t, e = error_of(make(torch)), error_of(make(ember))
        assert (t[0], t[1].replace("torch.", "")) == (e[0], e[1].replace("ember.", ""))


# ------------------------------------------------------------------ linalg dtype refusals
_LINALG_REFUSALS = {
    "eigh": lambda L, A: L.linalg.eigh(A), "eigvalsh": lambda L, A: L.linalg.eigvalsh(A),
    "eig": lambda L, A: L.linalg.eig(A), "eigvals": lambda L, A: L.linalg.eigvals(A),
    "svdvals": lambda L, A: L.linalg.svdvals(A), "cond": lambda L, A: L.linalg.cond(A),
    "solve": lambda L, A: L.linalg.solve(A, A), "lstsq": lambda L, A: L.linalg.lstsq(A, A),
    "matrix_rank": lambda L, A: L.linalg.matrix_rank(A),
    "solve_triangular": lambda L, A: L.linalg.solve_triangular(A, A, upper=True),
    "vecdot": lambda L, A: L.linalg.vecdot(A, A), "cholesky_ex": lambda L, A: L.linalg.cholesky_ex(A),
    "inv_ex": lambda L, A: L.linalg.inv_ex(A)}


@pytest.mark.parametrize("op", sorted(_LINALG_REFUSALS))
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16"])
def test_linalg_refuses_dtypes_like_torch(torch, op, dtype):
    same_error(torch, lambda L: lambda: _LINALG_REFUSALS[op](L, L.eye(3, dtype=getattr(L, dtype))))


# ------------------------------------------------------------------ overlapping copies
_OVERLAP = {
    "setitem_shifted": lambda L, o: o.__setitem__(slice(2, 5), o[1:4]),
    "setitem_same": lambda L, o: o.__setitem__(slice(2, 5), o[2:5]),
    "setitem_apart": lambda L, o: o.__setitem__(slice(0, 3), o[5:8]),
    "copy_transpose": lambda L, o: o[:9].view(3, 3).copy_(o[:9].view(3, 3).t()),
    "copy_self": lambda L, o: o.copy_(o),
    "copy_shifted": lambda L, o: o[1:].copy_(o[:-1]),
    "copy_strided": lambda L, o: o[0:6:2].copy_(o[1:7:2]),
    "copy_expanded": lambda L, o: o[1:4].copy_(o[0].expand(3)),
    "rows_shifted": lambda L, o: o[:6].view(3, 2).__setitem__(slice(1, None), o[:6].view(3, 2)[:-1]),
    "index_put_overlap": lambda L, o: o.__setitem__(L.tensor([1, 2, 3]), o[0:3]),
}


@pytest.mark.parametrize("case", sorted(_OVERLAP))
def test_partially_overlapping_copies_are_refused(torch, case):
    def run(L):
        o = L.arange(10.0)
        err = error_of(lambda: _OVERLAP[case](L, o))
        return err, o.tolist()

    assert run(ember) == run(torch)
