"""Statistics and special functions in whole programs, compared with PyTorch (s26 lane P).

Moments must follow PyTorch's CPU order to the last bit (two passes for a single-output
var/std, Welford otherwise); the orthogonal polynomials' recurrences round as PyTorch's
FMA-contracted kernels do."""


import numpy as np
import pytest
from _program_output import same_output

import ember

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom")


def _bits(a, b) -> None:
    """Same shape, dtype and values to the last bit (NaN where NaN)."""
    an, bn = a.detach().numpy(), b.detach().numpy()
    assert an.dtype == bn.dtype and an.shape == bn.shape
    assert np.array_equal(an, bn, equal_nan=True), np.abs(an - bn)


_MOMENT_CALLS = [
    {}, {"dim": 0}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": 0, "correction": 0},
    {"dim": (0, 1)}, {"correction": 2}, {"dim": 1, "unbiased": False},
]


@pytest.mark.parametrize("op", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("kw", _MOMENT_CALLS)
@pytest.mark.parametrize("shape", [(30, 4), (1, 9), (3, 4, 5)])
def test_float64_moments_bit_for_bit(op, kw, shape):
    """float64 var/std (and the mean of var_mean/std_mean) equal PyTorch's bits: two passes
    with an ordered sum of squares for one output, Welford's update per output otherwise."""
    torch.manual_seed(sum(shape))
    t = torch.randn(*shape, dtype=torch.float64) * 3 + 1
    e = ember.tensor(t.numpy())
    a, b = getattr(torch, op)(t, **kw), getattr(ember, op)(e, **kw)
    for u, v in zip(a, b) if isinstance(a, tuple) else [(a, b)]:
        _bits(u, v)


@pytest.mark.parametrize("op", ["var", "std", "var_mean"])
def test_float64_moments_nonfinite_and_strided(op):
    """Infinities and NaN give PyTorch's NaN/inf, on contiguous and transposed data."""
    t = torch.tensor([[1., float("inf"), 2.], [float("nan"), 1., 2.], [1., 2., float("inf")]],
                     dtype=torch.float64)
    e = ember.tensor(t.numpy())
    for kw in ({}, {"dim": 0}, {"dim": 1}):
        for tt, ee in ((t, e), (t.T, e.T)):
            a, b = getattr(torch, op)(tt, **kw), getattr(ember, op)(ee, **kw)
            for u, v in zip(a, b) if isinstance(a, tuple) else [(a, b)]:
                _bits(u, v)


def test_float64_moment_gradients_unchanged():
    """The exact forward leaves the derivatives PyTorch's (a float64 gradcheck)."""
    x = ember.randn(6, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda a: a.var(0), (x,))
    assert ember.autograd.gradcheck(lambda a: a.std(), (x,))
    assert ember.autograd.gradcheck(lambda a: sum(ember.std_mean(a, 1)), (x,))


_POLYS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
          "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
          "shifted_chebyshev_polynomial_u", "hermite_polynomial_h", "hermite_polynomial_he",
          "legendre_polynomial_p", "laguerre_polynomial_l"]


@pytest.mark.parametrize("name", _POLYS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_polynomial_recurrence_rounds_as_pytorch(name, dtype):
    """Up to degree 4 every polynomial is its recurrence, each step ``a * q - b`` fused into
    one rounding as PyTorch's kernels are built: bit for bit, edges included."""
    x = np.concatenate([np.linspace(-2, 2, 201), [-1., 1., 0., 0.5, 3.5, np.nan, np.inf]])
    x = x.astype(dtype)
    for n in range(5):
        _bits(getattr(torch.special, name)(torch.from_numpy(x), n),
              getattr(ember.special, name)(ember.tensor(x), n))
    for name2 in ("hermite_polynomial_h", "hermite_polynomial_he", "legendre_polynomial_p",
                  "laguerre_polynomial_l"):  # no trigonometric form: any degree
        if name == name2:
            n = torch.tensor([0, 3, 7, 12, 20] * 41 + [5, 5, 5])
            _bits(getattr(torch.special, name)(torch.from_numpy(x), n),
                  getattr(ember.special, name)(ember.tensor(x), ember.tensor(n.numpy())))


_WELFORD_PROGRAM = """
import torch
torch.manual_seed(0)
xs = torch.randn(30, 4, dtype=torch.float64)
n = 0
mean = torch.zeros(4, dtype=torch.float64)
M2 = torch.zeros(4, dtype=torch.float64)
for x in xs:
    n += 1
    d = x - mean
    mean += d / n
    M2 += d * (x - mean)
var = M2 / (n - 1)
print(var)
print(xs.var(0))
print((var - xs.var(0)).abs().max())
print(torch.var_mean(xs, 0))
print(xs.std().item(), xs.var(1)[:5].tolist())
"""

_ZSCORE_PROGRAM = """
import torch
torch.manual_seed(42)
data = torch.randn(20, 3, dtype=torch.float64) * torch.tensor([1., 5., 10.]) + 3
z = (data - data.mean(0)) / data.std(0)
print(z.mean(0).tolist(), z.std(0).tolist())
s, m = torch.std_mean(data, dim=1)
print(s.tolist(), m.tolist())
print(data.var(correction=0).item(), data.std(dim=(0, 1)).item())
"""


@pytest.mark.parametrize("src", [_WELFORD_PROGRAM, _ZSCORE_PROGRAM])
def test_statistics_programs(src):
    same_output(src)


_POLY_PROGRAM = """
import torch
x = torch.linspace(-1.5, 1.5, 7)
for n in range(6):
    print(n, torch.special.hermite_polynomial_h(x, n).tolist())
    print(n, torch.special.legendre_polynomial_p(x.double(), n).tolist())
    print(n, torch.special.chebyshev_polynomial_t(x, n).tolist())
    print(n, torch.special.laguerre_polynomial_l(x, n).tolist())
"""


def test_polynomial_program():
    same_output(_POLY_PROGRAM)


_BESSEL_GRID = np.concatenate([np.linspace(-40, 40, 801), [0., -0., 1e-30, 1e-5, 8., -8.,
                                                              np.inf, -np.inf, np.nan]])


@pytest.mark.parametrize("name", ["i0e", "i1e"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scaled_bessel_bit_for_bit(name, dtype):
    """i0e/i1e sum Cephes' series as PyTorch's kernel does (fused steps, in the input's dtype,
    float32 I1 with Cephes' shorter float tables): bit for bit."""
    x = _BESSEL_GRID.astype(dtype)
    _bits(getattr(torch.special, name)(torch.from_numpy(x)),
          getattr(ember.special, name)(ember.tensor(x)))


@pytest.mark.parametrize("name", ["i0", "i1", "modified_bessel_i0", "modified_bessel_i1"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bessel_values_and_overflow(name, dtype):
    """i0/i1 within an ulp or two (NumPy's exp is not glibc's), exactly at 0, and inf where
    PyTorch's ``exp`` overflows (float64 past ~709.78: no finite stand-in)."""
    x = np.concatenate([_BESSEL_GRID, [709.7, 709.8, 710., -710., 88.7, 89., -89.]]).astype(dtype)
    a = getattr(torch.special, name)(torch.from_numpy(x))
    b = getattr(ember.special, name)(ember.tensor(x))
    torch.testing.assert_close(torch.from_numpy(b.numpy()), a, rtol=4 * np.finfo(dtype).eps,
                               atol=0, equal_nan=True)
    assert np.array_equal(np.isinf(a.numpy()), np.isinf(b.numpy()))
    _bits(a[x == 0], b[ember.tensor(x == 0)])


def test_i0_float32_printed():
    """float32 i0(0) is PyTorch's 0.99999994 (its float32 series), which prints as 1.0000."""
    same_output("import torch\nx = torch.tensor([0., 1., 2.5])\nprint(torch.i0(x))\n"
                 "print(torch.special.i1(x), torch.special.i0e(x), torch.special.i1e(x))\n"
                 "print(torch.i0(torch.tensor(0.)).item())\n")
