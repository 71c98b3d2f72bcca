"""Complex programs found by differential fuzzing against PyTorch: gradients through writes
into ``.real``/``.imag``, acosh's complex derivative, the exponent gradient of a power with
a zero or real base, logsumexp of complex input, fill_ with a complex tensor value; and a
seeded fuzz of complex unary ops, reductions and autograd."""

# ruff: noqa: B023  (the lambdas are called at once)

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.testing import assert_close

G = 0.3 - 0.7j


def _grads(lib, f, arrays):
    """``f``'s value and the gradients of its inputs for an upstream ``G`` (0.6 if real)."""
    ts = [lib.tensor(a, requires_grad=True) for a in arrays]
    y = f(lib, *ts)
    gy = lib.full(tuple(y.shape), G if y.is_complex() else 0.6, dtype=y.dtype)
    grads = lib.autograd.grad(y, ts, gy, allow_unused=True)
    return [y.detach()] + [g for g in grads]


def _match(f, arrays, torch, rtol=1e-10, atol=1e-12):
    for a, b in zip(_grads(ember, f, arrays), _grads(torch, f, arrays)):
        if b is None:
            assert a is None
        else:
            assert_close(a, b.resolve_conj(), rtol=rtol, atol=atol, equal_nan=True)


def _part_write(k):
    def f(L, z):
        w = z.clone()
        if k == "real_setter":
            w.real = z.imag * 2
        elif k == "imag_setter":
            w.imag = z.real.exp()
        elif k == "real_copy_":
            w.real.copy_(z.imag * 2)
        elif k == "imag_mul_":
            w.imag.mul_(3)
        elif k == "real_item":
            w.real[0] = 5.0
        elif k == "imag_zero_":
            w.imag.zero_()
        elif k == "view_as_real_item":
            L.view_as_real(w)[1, 0] = 7.0
        elif k == "row_real":
            w[1].real.add_(z[0].imag)
        return w * (1 + 1j)
    return f


@pytest.mark.parametrize("kind", ["real_setter", "imag_setter", "real_copy_", "imag_mul_",
                                  "real_item", "imag_zero_", "view_as_real_item", "row_real"])
def test_writes_into_real_or_imag_keep_the_other_part_gradient(torch, kind):
    """A write through ``.real``/``.imag`` replaces one component: the base's gradient keeps
    the other component's (the write used to multiply the gradient by a complex mask)."""
    z = np.array([1 + 2j, 3 - 1j, -0.5 + 0.25j])
    _match(_part_write(kind), [z], torch)


def test_write_into_real_part_double_backward(torch):
    z = np.array([1 + 2j, 3 - 1j])
    out = []
    for L in (ember, torch):
        t = L.tensor(z, requires_grad=True)
        w = t.clone()
        w.real = (t.imag * t.real).sin()
        (g,) = L.autograd.grad((w * w.conj()).real.sum(), t, create_graph=True)
        (h,) = L.autograd.grad((g * g.conj()).real.sum(), t)
        out.append((g.detach(), h))
    for a, b in zip(*out):
        assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_acosh_complex_gradient_follows_its_branch(torch):
    rng = np.random.default_rng(3)
    z = rng.standard_normal(12) + 1j * rng.standard_normal(12)
    _match(lambda L, t: t.acosh(), [z], torch)
    real = np.array([-2.0, 0.5, 2.0, 3.5])  # real input keeps rsqrt(x*x - 1) (finite at -2)
    _match(lambda L, t: t.acosh(), [real], torch)


@pytest.mark.parametrize("base", ["float64", "complex128"])
def test_pow_exponent_gradient_with_zero_and_negative_bases(torch, base):
    """The exponent's gradient takes log of the base in the result's dtype (a negative real
    base of a complex power has a finite one), and 0 where the base is 0 and the exponent a
    real number >= 0."""
    x = np.array([1.5, 2.0, 0.0, 0.0, -1.0, 0.0]).astype(base)
    z = np.array([1 + 1j, 2 - 1j, 1j, 1 + 0j, 1j, 0j])
    _match(lambda L, a, b: a ** b, [x, z], torch)
    _match(lambda L, a, b: a ** b.real, [x, z], torch)


def test_logsumexp_of_complex_shifts_by_the_largest_real_part(torch):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((4, 3)) * 2 + 1j * rng.standard_normal((4, 3)) * 3)
    for arr in (a, a.astype(np.complex64), a.T, a[:, ::2]):
        for dim, keep in ((0, False), (1, True), ((0, 1), False)):
            e = ember.logsumexp(ember.from_numpy(arr), dim, keepdim=keep)
            t = torch.logsumexp(torch.from_numpy(arr), dim, keepdim=keep)
            assert e.dtype == getattr(ember, str(t.dtype).split(".")[1])
            assert_close(e, t, rtol=1e-5 if arr.dtype == np.complex64 else 1e-12, atol=1e-6)
    _match(lambda L, t: L.logsumexp(t, 1), [a], torch)


@pytest.mark.parametrize("dtype", ["int16", "float32", "float64", "bool"])
def test_fill_with_a_complex_tensor_value_casts_like_copy(torch, dtype):
    from ember.ops import conversion

    conversion._warned_imag[0] = False
    outs = []
    for L in (ember, torch):
        x = L.zeros(2, 3, dtype=getattr(L, dtype))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            x.fill_(L.tensor(1.5 + 2j))
        outs.append((x, [str(m.message).split(" (Triggered")[0] for m in w]))
    assert_close(outs[0][0], outs[1][0], rtol=0, atol=0)
    # PyTorch warns once per process, so its list is empty after the first dtype
    expected = [] if dtype == "bool" else \
        ["Casting complex values to real discards the imaginary part"]
    assert outs[0][1] == expected
    assert outs[1][1] in ([], expected)
    for L in (ember, torch):  # a Python complex number is refused, as before
        with pytest.raises(RuntimeError, match="overflow"):
            L.zeros(2, dtype=getattr(L, dtype)).fill_(1.5 + 2j) if dtype != "bool" else \
                L.zeros(2).fill_(1.5 + 2j)


# ---------------------------------------------------------------- seeded fuzz

_UNARY = ["abs", "angle", "sgn", "exp", "log", "sqrt", "reciprocal", "sigmoid", "tanh", "sin",
          "cos", "asinh", "acosh", "atanh", "log10", "expm1", "rsqrt", "square", "conj",
          "real", "imag", "isfinite", "isnan"]
_REDUCE = {"sum": lambda L, x: x.sum(-1), "mean": lambda L, x: x.mean(0),
           "prod": lambda L, x: x.prod(-1), "cumsum": lambda L, x: x.cumsum(-1),
           "cumprod": lambda L, x: x.cumprod(0), "logsumexp": lambda L, x: L.logsumexp(x, -1),
           "var": lambda L, x: x.var(-1), "norm": lambda L, x: L.linalg.vector_norm(x, 3, -1),
           "mT_matmul": lambda L, x: x @ x.mT, "einsum": lambda L, x: L.einsum("ij,ik->jk", x, x)}


def _case(rng):
    shape = [(3, 4), (4, 3), (2, 5), (1, 3)][rng.integers(4)]
    a = rng.standard_normal(shape) * 1.5 + 1j * rng.standard_normal(shape) * 1.5
    if rng.random() < 0.3:
        a = a.T
    elif rng.random() < 0.3 and shape[1] > 2:
        a = a[:, ::2]
    return np.asarray(a)


def test_seeded_fuzz_complex_values_and_gradients(torch):
    rng = np.random.default_rng(2024)
    ops = [(n, lambda L, x, n=n: getattr(L, n)(x)) for n in _UNARY] + list(_REDUCE.items())
    for i in range(240):
        name, f = ops[rng.integers(len(ops))]
        a = _case(rng)
        dt = "complex64" if rng.random() < 0.3 else "complex128"
        e, t = ember.from_numpy(a.astype(dt)), torch.from_numpy(a.astype(dt))
        ye, yt = f(ember, e), f(torch, t)
        assert str(ye.dtype).split(".")[1] == str(yt.dtype).split(".")[1], (i, name)
        tol = dict(rtol=2e-5, atol=2e-5) if dt == "complex64" else dict(rtol=1e-9, atol=1e-10)
        assert_close(ye, yt.resolve_conj(), equal_nan=True, **tol, msg=f"{i} {name}")
        if dt == "complex128" and name not in ("isfinite", "isnan"):
            _match(f, [a], torch, rtol=1e-8, atol=1e-9)


CREATION = ["L.logspace(0, 1j, 3)", "L.logspace(0, 1j, 3, dtype=L.complex128)",
            "L.logspace(0, 1, 3, dtype=L.complex64)", "L.logspace(L.tensor(1j), 2, 3)",
            "L.logspace(1j, 2 + 1j, 4, base=2, dtype=L.complex64)", "L.logspace(0, 1j, 1)",
            "L.logspace(0, 1j, 3, dtype=L.float32)", "L.logspace(0, 1j, 3, dtype=L.int64)",
            "L.linspace(0, 1j, 3, dtype=L.float32)", "L.linspace(0, 1j, 3, dtype=L.int32)",
            "L.linspace(0, 1j, 3, dtype=L.complex128)", "L.arange(1j)", "L.arange(0, 3, 1j)",
            "L.arange(L.tensor(1j))", "L.arange(0.5j, 3, dtype=L.complex64)"]


@pytest.mark.parametrize("prog", CREATION)
def test_ranges_with_complex_ends(torch, prog):
    """logspace takes complex ends (a complex result); a real dtype= refuses them, and arange
    refuses complex bounds, with PyTorch's errors."""
    try:
        expected = eval(prog, {"L": torch})
    except Exception as exc:  # noqa: BLE001
        with pytest.raises(type(exc)) as info:
            eval(prog, {"L": ember})
        assert str(info.value) == str(exc)
        return
    got = eval(prog, {"L": ember})
    assert str(got.dtype).split(".")[1] == str(expected.dtype).split(".")[1]
    assert_close(got, expected, rtol=1e-6, atol=1e-7)


def test_view_as_real_of_a_slice_keeps_its_storage_offset(torch):
    arr = np.array([[1 + 2j, 3 - 1j], [-2j, 0.5 + 0j]])
    out = []
    for L in (ember, torch):
        z = L.tensor(arr)
        views = [L.view_as_real(z[1:]), L.view_as_real(z.T[1]), L.view_as_real(z[1, 1]),
                 L.view_as_real(z.expand(2, 2, 2))]
        out.append([(v.storage_offset(), v.stride(), tuple(v.shape)) for v in views])
        views[0].mul_(2)
        out[-1].append(z.tolist())
    assert out[0] == out[1]


def test_conj_result_reports_the_conjugate_bit(torch):
    """PyTorch's documented example: ``torch.conj(x).is_conj()`` is True; conj of it, its
    resolve_conj (a clone), and other ops' results are not marked."""
    arr = np.array([-1 + 1j, -2 + 2j, 3 - 3j])
    out = []
    for L in (ember, torch):
        x = L.tensor(arr, requires_grad=True)
        y = L.conj(x)
        r = y.resolve_conj()
        out.append([x.is_conj(), y.is_conj(), L.is_conj(y), y.conj().is_conj(), r.is_conj(),
                    r is y, type(r.grad_fn).__name__, y.clone().is_conj(), (y * 1).is_conj(),
                    y.contiguous().is_conj(), L.conj_physical(x).is_conj(),
                    L.tensor([1.0]).conj().is_conj(), x.resolve_conj() is x, r.tolist()])
    assert out[0] == out[1]


@pytest.mark.parametrize("value", [(300.0, "float32"), (-1.5, "float64"), (1e10, "float64"),
                                   (70000, "int64"), (-1.5 + 2j, "complex64"), (-1, "int64")])
def test_fill_with_a_tensor_value_converts_as_copy_does(torch, value):
    """A 0-d tensor value is copied (out-of-range values wrap), not range-checked as a
    Python number is."""
    v, vdt = value
    outs = []
    for L in (ember, torch):
        row = []
        for dt in ("uint8", "int8", "int32", "float16", "bfloat16", "bool", "complex64"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                x = L.zeros(2, dtype=getattr(L, dt)).fill_(L.tensor(v, dtype=getattr(L, vdt)))
            row.append((str(x.dtype).split(".")[1], x.float().tolist() if dt == "bfloat16"
                        else x.tolist()))
        outs.append(row)
    assert outs[0] == outs[1]


SCATTERS = {
    "scatter_reduce": lambda L, a, s: a.scatter_reduce(0, L.tensor([[0, 1, 2]]), s[:1], "sum"),
    "index_reduce": lambda L, a, s: a.index_reduce(0, L.tensor([0]), s[:1], "prod"),
    "select_scatter": lambda L, a, s: L.select_scatter(a, s[0], 0, 1),
    "slice_scatter": lambda L, a, s: L.slice_scatter(a, s[:2], 0, 2),
    "diagonal_scatter": lambda L, a, s: L.diagonal_scatter(a, s[0]),
    "scatter_reduce_": lambda L, a, s: a.clone().scatter_reduce_(0, L.tensor([[0, 1, 2]]),
                                                                 s[:1], "sum"),
    "index_reduce_": lambda L, a, s: a.clone().index_reduce_(0, L.tensor([0]), s[:1], "prod"),
    "bad_slice_size": lambda L, a, s: L.slice_scatter(a, s[:1], 0, 2),
}


@pytest.mark.parametrize("name", sorted(SCATTERS))
@pytest.mark.parametrize("grad_of", ["self", "src"])
def test_scatters_without_complex_derivatives_refuse_autograd(torch, name, grad_of):
    """PyTorch's out-of-place scatter_reduce/index_reduce/select_scatter/slice_scatter have no
    complex derivative: recording one raises (after the op's own checks); no_grad works."""
    z = (np.arange(12.0) - 1j * np.arange(12.0)[::-1]).reshape(4, 3).astype(np.complex64)
    out = []
    for L in (ember, torch):
        a = L.tensor(z, requires_grad=grad_of == "self")
        s = L.tensor(z, requires_grad=grad_of == "src")
        try:
            y = SCATTERS[name](L, a, s)
            row = ["ok", type(y.grad_fn).__name__]
        except Exception as exc:  # noqa: BLE001
            row = [type(exc).__name__, str(exc)[:80]]
        with L.no_grad():
            try:
                row.append(SCATTERS[name](L, a, s).tolist())
            except RuntimeError as exc:
                row.append(type(exc).__name__)
        out.append(row)
    assert out[0] == out[1]
