"""Complex numbers: real/imag views, conj, angle, view_as_real/view_as_complex, polar,
and complex derivatives (conjugate-Wirtinger) against PyTorch."""

# ruff: noqa: B023  (the lambdas given to compare() are called at once)

from __future__ import annotations

import numpy as np
import pytest
from _pointwise_helpers import compare, grads_match, pair, sample

import ember
from ember.testing import assert_close


@pytest.mark.parametrize("dtype", ["complex64", "complex128", "float32", "int64"])
@pytest.mark.parametrize("name", ["real", "imag", "conj", "conj_physical", "resolve_conj",
                                  "resolve_neg", "angle", "view_as_real", "abs", "isreal"])
def test_values_match_torch(torch, name, dtype):
    for shape in ("0d", "matrix", "transposed", "empty"):
        e, t = pair(sample(shape, dtype), torch)
        compare(lambda: getattr(ember, name)(e), lambda: getattr(torch, name)(t))


def test_real_and_imag_are_views(torch):
    z = ember.tensor([1 + 2j, 3 - 4j])
    v = z._version
    z.real.mul_(10)
    assert z._version > v
    assert z.tolist()[0] == 10 + 2j
    z.real = ember.tensor([0.5, 0.5])
    assert z.real.tolist() == [0.5, 0.5]
    x = ember.tensor([1.0, 2.0])
    assert ember.real(x) is x
    with pytest.raises(RuntimeError, match="imag"):
        ember.imag(x)
    assert not z.is_conj() and not z.is_neg() and ember.resolve_conj(z) is z


def test_view_as_real_and_complex_share_memory(torch):
    z = ember.tensor([[1 + 2j, 3 - 4j], [5j, -1 + 0j]], dtype=ember.complex128)
    r = ember.view_as_real(z)
    assert r.shape == (2, 2, 2) and r.dtype is ember.float64
    r.mul_(2)
    assert z.tolist()[0][0] == 2 + 4j
    back = ember.view_as_complex(r)
    assert_close(back, z)
    e, t = pair(sample("matrix", "float32").reshape(6, 2), torch)
    compare(lambda: ember.view_as_complex(e), lambda: torch.view_as_complex(t))
    for arr in (np.ones((3, 3), np.float32), np.ones((2, 3), np.float32).T.copy().T,
                np.ones((3, 2), np.int64), np.ones((2, 3), np.float32).T):
        e, t = pair(arr, torch)
        compare(lambda: ember.view_as_complex(e), lambda: torch.view_as_complex(t))
    with pytest.raises(RuntimeError, match="view_as_real"):
        ember.view_as_real(ember.tensor([1.0]))


GRAD_FNS = {
    "real": lambda m, z: m.real(z), "imag": lambda m, z: m.imag(z),
    "conj": lambda m, z: m.conj(z) * (2 - 1j), "angle": lambda m, z: m.angle(z),
    "abs": lambda m, z: m.abs(z), "sgn": lambda m, z: m.sgn(z),
    "view_as_real": lambda m, z: m.view_as_real(z),
    "conj_physical": lambda m, z: m.conj_physical(z),
    "polar_roundtrip": lambda m, z: m.view_as_complex(m.view_as_real(z) * 3),
    "where": lambda m, z: m.where(m.abs(z) > 1, z, z * 2),
    "lerp": lambda m, z: m.lerp(z, z * z, 0.3),
    "addcmul": lambda m, z: m.addcmul(z, z, m.exp(z), value=0.5),
}


@pytest.mark.parametrize("name", sorted(GRAD_FNS))
def test_complex_gradients(torch, name):
    arr = sample("matrix", "complex128", -1.5, 1.5, seed=9)
    arr.flat[0] = 0
    f = GRAD_FNS[name]
    grads_match(lambda z: f(ember, z), lambda z: f(torch, z), [arr], torch)


def test_polar_and_abs_of_complex(torch):
    a = sample("matrix", "float64", 0.1, 2, seed=1)
    th = sample("matrix", "float64", -3, 3, seed=2)
    (ea, ta), (et, tt) = pair(a, torch), pair(th, torch)
    compare(lambda: ember.polar(ea, et), lambda: torch.polar(ta, tt))
    compare(lambda: ember.abs(ember.polar(ea, et)), lambda: torch.abs(torch.polar(ta, tt)))


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_sampling_follows_pytorch_stream(torch, dtype):
    # each complex element draws as two floats of its real view; randn gives each part
    # variance 1/2, normal_(m, s) adds m to both parts with std s/sqrt(2)
    def draws(m):
        dt = getattr(m, dtype)
        m.manual_seed(7)
        return [m.randn(5, dtype=dt), m.rand(3, 2, dtype=dt), m.randn(17, dtype=dt),
                m.randn_like(m.zeros(4, dtype=dt)), m.rand_like(m.zeros(2, 9, dtype=dt)),
                m.empty(3, dtype=dt).normal_(1.5, 2.0), m.empty(18, dtype=dt).uniform_(-1, 2),
                m.empty(4, 3, dtype=dt).t().normal_(),
                m.randn(3, dtype=dt, generator=m.Generator().manual_seed(3))]

    for e, t in zip(draws(ember), draws(torch)):
        assert_close(e, t, rtol=0, atol=0)
        assert e.dtype.is_complex


def test_complex_to_real_cast_warns_once(torch):
    import warnings

    from ember.ops import conversion

    conversion._warned_imag[0] = False
    z = ember.tensor([1 + 2j, -3j])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = z.float()
        z.to(ember.int64)
        z.double()
    assert [str(m.message) for m in w] == [
        "Casting complex values to real discards the imaginary part"]
    assert w[0].filename == __file__
    assert_close(r, torch.tensor([1 + 2j, -3j]).float())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z.abs(), z.real, z.angle(), ember.tensor([1.0]).to(ember.complex64)


def test_real_and_imag_nodes_are_pytorchs(torch):
    e, t = pair(sample("matrix", "complex64"), torch)
    e.requires_grad_(True)
    t.requires_grad_(True)
    for name in ("real", "imag"):
        assert type(getattr(e, name).grad_fn).__name__ == \
            type(getattr(t, name).grad_fn).__name__
