"""Numerical-computing programs (session 25, lane J): linear algebra, FFT/STFT, statistics,
special functions and finite differences run with torch and with Ember, their printed output
and warnings compared, and the differences they found pinned as oracle checks."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from typing import Any

import pytest

import ember


def _run(lib: Any, code: str) -> tuple[str, list[str]]:
    """What ``code`` prints with ``torch`` bound to ``lib``, and its warnings' texts (PyTorch's
    "(Triggered internally at ...)" suffix dropped; "torch" written as "ember")."""
    buf = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(buf):
        warnings.simplefilter("always")
        exec(code, {"torch": lib})
    texts = [re.sub(r" \(Triggered internally at .*\)$", "", str(w.message), flags=re.S)
             for w in caught]
    return (re.sub(r"\btorch\b", "ember", buf.getvalue()),
            [re.sub(r"\btorch\b", "ember", t) for t in texts])


def check_program(torch: Any, code: str, *, warns: bool = False) -> None:
    want, got = _run(torch, code), _run(ember, code)
    assert got[0] == want[0], (code, got[0], want[0])
    if warns:
        assert got[1] == want[1], (code, got[1], want[1])


def _errors(*lines: str) -> str:
    """A program printing each statement's exception as a user would."""
    return "".join(f"try:\n    print({s})\nexcept Exception as e:\n"
                   "    print(type(e).__name__, e)\n" for s in lines)


# ------------------------------------------------------------------ lstsq's shape rules
# PyTorch treats ``other`` as a batch of vectors when it is 1-D or exactly input.shape[:-1];
# a matrix one dim short of input broadcasts its leading dims with input's batch.
_LSTSQ = [((5, 3), (4,)), ((2, 5, 3), (5, 2)), ((5, 5, 3), (5, 2)), ((1, 5, 3), (5, 2)),
          ((5, 5, 3), (5, 5)), ((2, 5, 3), (1, 5)), ((2, 5, 3), (3, 5, 2)),
          ((2, 5, 3), (1, 5, 2)), ((3,), (3,)), ((2, 5, 3), (5,)), ((5, 3), (5,))]


@pytest.mark.parametrize("sa,sb", _LSTSQ)
def test_lstsq_vector_and_batch_rules(torch, sa, sb):
    check_program(torch, "torch.manual_seed(0)\n" + _errors(
        f"torch.linalg.lstsq(torch.randn{sa}, torch.randn{sb}).solution.shape"))


def test_lstsq_other_scalar_refused(torch):
    check_program(torch, _errors("torch.linalg.lstsq(torch.randn(3, 3), torch.tensor(1.))",
                                 "torch.linalg.lstsq(torch.randn(3), torch.randn(3).int())"))


def test_lstsq_broadcast_solution_values(torch):
    check_program(torch, "torch.manual_seed(0)\nA = torch.randn(1, 5, 3, dtype=torch.float64)\n"
                         "B = torch.randn(5, 2, dtype=torch.float64)\n"
                         "print(torch.linalg.lstsq(A, B).solution)\n")


# ------------------------------------------------------- linalg argument errors
def test_linalg_argument_errors(torch):
    check_program(torch, _errors(
        "torch.linalg.matrix_rank(torch.randn(3))",
        "torch.linalg.matrix_rank(torch.randn(3), hermitian=True)",
        "torch.linalg.matrix_rank(torch.randn(3, 4), hermitian=True)",
        "torch.linalg.matrix_rank(torch.ones(3, 4).int(), hermitian=True)",
        "torch.linalg.matrix_rank(torch.ones(3, 4).half(), hermitian=True)",
        "torch.linalg.eigvalsh(torch.randn(3, 3), UPLO='X')",
        "torch.linalg.eigvalsh(torch.randn(3))",
        "torch.linalg.eigvalsh(torch.randn(3, 4))",
        "torch.linalg.solve_triangular(torch.randn(3, 3), torch.randn(3, 3))",
        "torch.linalg.solve_triangular(torch.randn(3, 3))",
    ))


@pytest.mark.parametrize("sa,sb", [((2, 2, 3), (3, 4, 5)), ((5, 2, 2, 3), (3, 1, 4, 5)),
                                   ((2, 2, 3), (2, 4, 5))])
def test_batched_matmul_checks_batch_dims_first(torch, sa, sb):
    from ember.testing.sweep import same_message  # (Ember names the op before the text)

    with pytest.raises(RuntimeError) as ref:
        torch.randn(*sa) @ torch.randn(*sb)
    with pytest.raises(RuntimeError) as got:
        ember.randn(*sa) @ ember.randn(*sb)
    assert same_message(str(ref.value), str(got.value)), (str(ref.value), str(got.value))


def test_symeig_repr_name(torch):
    assert ember.symeig.__name__ == torch.symeig.__name__


# ------------------------------------------------------------ warnings as PyTorch's
def test_stft_istft_window_warnings_once(torch):
    from ember.ops import creation

    creation._warned.difference_update({"stft_window", "istft_window"})
    code = ("x = torch.randn(64)\nfor _ in range(2):\n"
            "    S = torch.stft(x, 16, return_complex=True)\n"
            "    y = torch.istft(S, 16)\nprint(S.shape, y.shape)\n")
    want, got = _run(torch, code), _run(ember, code)
    assert got[0] == want[0]
    assert len(got[1]) == 2  # once each per program, as PyTorch's TORCH_WARN_ONCE
    # (torch's once may be spent by an earlier test in this process)
    assert all(t in got[1] for t in want[1]), (got[1], want[1])
    assert got[1][0].startswith("A window was not provided. A rectangular window will be "
                                "applied,which") and "ember.hann_window" in got[1][0]
    assert "inversion lossless" in got[1][1]


def test_dof_and_deprecation_warnings_text_and_location(torch):
    code = ("x = torch.randn(3, 1)\nprint(x.var(dim=1).shape, torch.std(x, dim=1).shape)\n"
            "print(torch.var_mean(torch.tensor([1.0])))\n")
    check_program(torch, code, warns=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.randn(3, 1).std(dim=1)
    assert caught and caught[0].filename == __file__  # the user's line, not Ember's


def test_triangular_solve_deprecation_text(torch):
    from ember.ops import linalg_lu

    linalg_lu._warned_triangular = False
    code = "print(torch.triangular_solve(torch.eye(2), torch.eye(2) * 2).solution)\n"
    want = _run(torch, code)
    got = _run(ember, code)
    assert got[0] == want[0]
    if want[1]:  # (PyTorch warns once per process)
        assert got[1] == want[1]
    else:
        assert got[1] and got[1][0].startswith("ember.triangular_solve is deprecated in favor "
                                               "of ember.linalg.solve_triangularand will")


def test_stft_return_complex_false_note(torch):
    code = ("y = torch.stft(torch.randn(32), 8, window=torch.hann_window(8), "
            "return_complex=False)\nprint(y.shape)\n")
    want, got = _run(torch, code), _run(ember, code)
    assert got[0] == want[0]
    assert got[1][-1] == want[1][-1] if want[1] else "ember.view_as_real" in got[1][-1]


def test_chain_matmul_warning_points_at_user(torch):
    from ember.ops import linalg

    linalg._chain_warned.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.chain_matmul(ember.eye(2), ember.eye(2))
    assert caught and caught[0].filename == __file__


def test_stft_errors_name_ember_tensor_types(torch):
    check_program(torch, "x = torch.randn(40)\n" + _errors(
        "torch.stft(x, 16, hop_length=0, window=torch.hann_window(16), return_complex=True)",
        "torch.stft(x, 16, window=torch.hann_window(10), return_complex=True)",
        "torch.istft(torch.randn(9, 11, dtype=torch.cfloat), 16, window=torch.hann_window(16), "
        "onesided=False)"))


def test_lu_deprecation_text_at_user_line(torch):
    code = "print(torch.lu(torch.eye(2)))\n"
    want, got = _run(torch, code), _run(ember, code)
    assert got[0] == want[0]
    if want[1]:  # (PyTorch warns once per process)
        assert got[1] == want[1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.lu(ember.eye(2))
    assert caught and caught[0].filename == __file__
    assert caught[0].message.args[0].endswith(
        "LU, pivots, info = ember.linalg.lu_factor_ex(A, compute_pivots) (Triggered internally "
        "at /__w/pytorch/pytorch/aten/src/ATen/native/BatchLinearAlgebra.cpp:2056.)")


def test_out_resize_warning_points_at_user(torch):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.linalg.vector_norm(ember.ones(3, 4), dim=1, out=ember.empty(5))
    assert caught and caught[0].filename == __file__
    assert "was resized since it had shape [5]" in str(caught[0].message)


# -------------------------------------------------------- finite differences
def test_gradient_errors_name_ember(torch):
    check_program(torch, _errors("torch.gradient(torch.tensor([1., 2.]), edge_order=2)",
                                 "torch.gradient(torch.tensor([1., 2., 3.]), edge_order=3)",
                                 "torch.gradient(torch.ones(3, 3), spacing=[1., 2., 3.])"))


def test_histogram_errors_name_ember(torch):
    check_program(torch, "x = torch.randn(3, 4)\n" + _errors(
        "torch.histc(x, bins=0)", "torch.histc(x, bins=3, min=2, max=1)",
        "torch.histogram(x, bins=-1)", "torch.histogramdd(x, bins=[2])",
        "torch.histogramdd(x, bins=[2, 2, 2, 2], range=[0., 1.])"))


# ------------------------------------------------------------------ whole programs
_PROGRAMS = {
    "normal_equations": """
torch.manual_seed(0)
X = torch.randn(20, 3)
y = X @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.01 * torch.randn(20, 1)
Xb = torch.cat([X, torch.ones(20, 1)], dim=1)
w = torch.linalg.solve(Xb.T @ Xb, Xb.T @ y)
print(w)
for drv in ["gels", "gelsy", "gelsd", "gelss"]:
    r = torch.linalg.lstsq(Xb, y, driver=drv)
    print(drv, r.solution.shape, r.rank, r.residuals, r.singular_values)
""",
    "quantiles_and_stats": """
torch.manual_seed(9)
x = torch.randn(10)
q = torch.tensor([0.1, 0.5, 0.9])
for mode in ["linear", "lower", "higher", "midpoint", "nearest"]:
    print(mode, torch.quantile(x, q, interpolation=mode))
y = x.clone(); y[2] = float('nan')
print(torch.quantile(y, 0.5), torch.nanquantile(y, 0.5), torch.nanmedian(y))
m = torch.randn(3, 6)
print(torch.var_mean(m, dim=1), torch.std_mean(m, dim=0, correction=0))
print(torch.cov(m, fweights=torch.tensor([1, 2, 1, 3, 1, 1]), aweights=torch.rand(6)))
print(torch.corrcoef(m))
print(torch.histogram(x, bins=4, range=(-1., 1.), density=True))
""",
    "special_and_calculus": """
x = torch.linspace(0.1, 5, 6, dtype=torch.float64)
print(torch.special.gammaln(x), torch.special.digamma(x), torch.special.polygamma(2, x))
print(torch.special.i0(x), torch.special.i1(x), torch.special.bessel_j0(x))
print(torch.special.ndtri(torch.tensor([0.1, 0.5, 0.9])), torch.special.zeta(x + 1, 2.))
t = torch.linspace(0, 1, 6)
print(torch.gradient(t ** 2, spacing=(t,), edge_order=2))
print(torch.trapezoid(t ** 2, t), torch.cumulative_trapezoid(t ** 2, dx=0.2))
""",
    "fft_and_stft": """
import math
t = torch.arange(16, dtype=torch.float32)
x = torch.sin(2 * math.pi * 3 * t / 16)
print(torch.fft.rfft(x, norm='ortho').abs().round(decimals=3))
print(torch.fft.fftshift(torch.fft.fftfreq(8, d=0.1)), torch.fft.rfftfreq(9, 0.5))
w = torch.hann_window(8)
S = torch.stft(torch.cat([x, x]), 8, hop_length=2, window=w, return_complex=True)
print(S.shape, torch.istft(S, 8, hop_length=2, window=w, length=32).allclose(torch.cat([x, x]), atol=1e-5))
""",
}


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_whole_program(torch, name):
    check_program(torch, _PROGRAMS[name])
