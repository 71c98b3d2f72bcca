"""ember.fft against torch.fft: values, dtypes, norm modes, gradients."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.fft
from ember.testing import assert_close

rng = np.random.default_rng(0)
REAL = rng.standard_normal((3, 8))
CPLX = rng.standard_normal((3, 8)) + 1j * rng.standard_normal((3, 8))
HALF = rng.standard_normal((3, 5)) + 1j * rng.standard_normal((3, 5))

CASES = [
    ("fft", REAL, {}), ("fft", CPLX, {"n": 6}), ("fft", CPLX, {"n": 11, "norm": "ortho"}),
    ("ifft", CPLX, {"norm": "forward"}), ("fft2", REAL.reshape(3, 2, 4), {}),
    ("ifft2", CPLX.reshape(3, 4, 2), {"s": (3, 3)}), ("fftn", CPLX, {"dim": (0,)}),
    ("ifftn", CPLX, {}), ("rfft", REAL, {}), ("rfft", REAL, {"n": 5, "norm": "ortho"}),
    ("irfft", HALF, {}), ("irfft", HALF, {"n": 9, "norm": "forward"}),
    ("rfft2", REAL.reshape(3, 2, 4), {}), ("irfft2", HALF, {}), ("rfftn", REAL, {}),
    ("irfftn", HALF, {"s": (3, 7)}), ("hfft", HALF, {}), ("ihfft", REAL, {}),
]


@pytest.mark.parametrize("name,data,kw", CASES, ids=[c[0] + str(i) for i, c in enumerate(CASES)])
def test_fft_matches_torch(name, data, kw, torch):
    e = ember.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    ye = getattr(ember.fft, name)(e, **kw)
    yt = getattr(torch.fft, name)(t, **kw)
    assert_close(ye, yt, rtol=1e-10, atol=1e-10)
    w = rng.standard_normal(tuple(yt.shape))
    if yt.is_complex():
        w = w + 1j * rng.standard_normal(tuple(yt.shape))
    (ye * ember.tensor(w)).real.sum().backward() if ye.is_complex() else \
        (ye * ember.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).real.sum().backward() if yt.is_complex() else \
        (yt * torch.tensor(w)).sum().backward()
    assert_close(e.grad, t.grad, rtol=1e-9, atol=1e-9)


def test_float32_stays_single_precision():
    y = ember.fft.fft(ember.ones(4))
    assert y.dtype is ember.complex64
    assert ember.fft.irfft(y[:3]).dtype is ember.float32


def test_freqs_and_shifts(torch):
    assert_close(ember.fft.fftfreq(5, 0.1), torch.fft.fftfreq(5, 0.1))
    assert_close(ember.fft.rfftfreq(6), torch.fft.rfftfreq(6))
    x = np.arange(12.0).reshape(3, 4)
    assert_close(ember.fft.fftshift(ember.tensor(x)), torch.fft.fftshift(torch.tensor(x)))
    assert_close(ember.fft.ifftshift(ember.tensor(x), dim=1),
                 torch.fft.ifftshift(torch.tensor(x), dim=1))


def test_gradcheck_complex_to_complex():
    x = ember.tensor(REAL[:1, :5], requires_grad=True)
    assert ember.autograd.gradcheck(lambda t: ember.fft.rfft(t).abs(), (x,))
    assert ember.autograd.gradcheck(lambda t: ember.fft.irfft(ember.fft.rfft(t) * 2), (x,))


@pytest.mark.parametrize("fn", ["fft", "rfft", "irfft", "fft2", "hfft"])
def test_bad_norm(fn, torch):
    with pytest.raises(RuntimeError, match="Invalid normalization mode") as e:
        getattr(ember.fft, fn)(ember.ones(3, 3), norm="bogus")
    with pytest.raises(RuntimeError) as t:
        getattr(torch.fft, fn)(torch.ones(3, 3), norm="bogus")
    assert str(e.value) == str(t.value)
