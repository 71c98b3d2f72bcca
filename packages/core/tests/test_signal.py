"""Window functions, stft and istft against PyTorch: values, dtypes, shapes, errors and
gradients (against torch's and by finite differences)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.testing import assert_close

RNG = np.random.default_rng(3)
WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _err(torch, fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(type(te.value)) as ee:
        fe()
    assert str(ee.value) == str(te.value)


# ------------------------------------------------------------------ windows
@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("n", [0, 1, 2, 5, 16, 33])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_windows(torch, name, n, periodic, dtype):
    e = getattr(ember, name)(n, periodic, dtype=getattr(ember, dtype))
    t = getattr(torch, name)(n, periodic, dtype=getattr(torch, dtype))
    tol = {"float16": 2e-3, "float32": 1e-6, "float64": 1e-14}[dtype]
    assert_close(e, t, rtol=tol, atol=tol)


def test_window_options(torch):
    assert_close(ember.hamming_window(7, True, 0.5, 0.4), torch.hamming_window(7, True, 0.5, 0.4))
    assert_close(ember.hamming_window(7, False, 0.6), torch.hamming_window(7, False, 0.6))
    assert_close(ember.kaiser_window(9, False, 5.0), torch.kaiser_window(9, False, 5.0))
    assert_close(ember.kaiser_window(9, True, 0.5, dtype=ember.float64),
                 torch.kaiser_window(9, True, 0.5, dtype=torch.float64))
    assert_close(ember.kaiser_window(6, beta=5.0, periodic=False),
                 torch.kaiser_window(6, beta=5.0, periodic=False))
    e = ember.hann_window(4, requires_grad=True)
    assert e.requires_grad and e.is_leaf
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.blackman_window(3).dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    assert ember.bartlett_window(3, dtype=ember.bfloat16).dtype == ember.bfloat16


@pytest.mark.parametrize("name", WINDOWS)
def test_window_errors(torch, name):
    fe, ft = getattr(ember, name), getattr(torch, name)
    _err(torch, lambda: fe(5, dtype=ember.int64), lambda: ft(5, dtype=torch.int64))
    _err(torch, lambda: fe(-1), lambda: ft(-1))
    _err(torch, lambda: fe(3.0), lambda: ft(3.0))
    _err(torch, lambda: fe(4, dtype=ember.complex64), lambda: ft(4, dtype=torch.complex64))


# ------------------------------------------------------------------ stft
STFT_CASES = [dict(), dict(center=False), dict(onesided=False), dict(normalized=True),
              dict(win_length=10), dict(hop_length=5, pad_mode="constant"),
              dict(win_length=11, pad_mode="circular"), dict(pad_mode="replicate"),
              dict(win_length=10, center=False, align_to_window=True),
              dict(hop_length=16, win_length=16), dict(center=False, align_to_window=False)]


@pytest.mark.parametrize("kw", STFT_CASES)
@pytest.mark.parametrize("shape", [(100,), (3, 64)])
@pytest.mark.parametrize("window", [None, "hann"])
def test_stft_values(torch, kw, shape, window):
    x = RNG.standard_normal(shape)
    wl = kw.get("win_length", 16)
    we = ember.hann_window(wl, dtype=ember.float64) if window else None
    wt = torch.hann_window(wl, dtype=torch.float64) if window else None
    e = ember.stft(ember.tensor(x), 16, window=we, return_complex=True, **kw)
    t = torch.stft(torch.tensor(x), 16, window=wt, return_complex=True, **kw)
    assert_close(e, t, rtol=1e-10, atol=1e-12)


def test_stft_dtypes_and_forms(torch):
    x = RNG.standard_normal(80).astype("float32")
    ex, tx = ember.tensor(x), torch.tensor(x)
    assert_close(ember.stft(ex, 16, return_complex=True), torch.stft(tx, 16, return_complex=True))
    # the window's dtype promotes the result
    assert_close(ember.stft(ex, 16, window=ember.ones(16, dtype=ember.float64),
                            return_complex=True),
                 torch.stft(tx, 16, window=torch.ones(16, dtype=torch.float64),
                            return_complex=True))
    # the deprecated real form
    assert_close(ember.stft(ex, 16, return_complex=False),
                 torch.stft(tx, 16, return_complex=False))
    # complex input: two-sided, complex by default
    c = (RNG.standard_normal(60) + 1j * RNG.standard_normal(60)).astype("complex64")
    assert_close(ember.stft(ember.tensor(c), 8), torch.stft(torch.tensor(c), 8), atol=1e-5,
                 rtol=1e-5)
    assert_close(ex.stft(16, return_complex=True), tx.stft(16, return_complex=True))


def test_stft_errors(torch):
    x = RNG.standard_normal(100).astype("float32")
    ex, tx = ember.tensor(x), torch.tensor(x)
    cases = [
        ({}, {}),
        (dict(return_complex=True, n_fft=200), {}),
        (dict(return_complex=True, n_fft=200, center=False), {}),
        (dict(return_complex=True, hop_length=0), {}),
        (dict(return_complex=True, win_length=20), {}),
        (dict(return_complex=True, window="ones10"), {}),
        (dict(return_complex=True, pad_mode="foo"), {}),
        (dict(return_complex=True, align_to_window=True), {}),
    ]
    for kw, _ in cases:
        kw = dict(kw)
        n_fft = kw.pop("n_fft", 16)
        we = wt = None
        if kw.pop("window", None) == "ones10":
            we, wt = ember.ones(10), torch.ones(10)
        _err(torch, lambda n_fft=n_fft, we=we, kw=kw: ember.stft(ex, n_fft, window=we, **kw),
             lambda n_fft=n_fft, wt=wt, kw=kw: torch.stft(tx, n_fft, window=wt, **kw))
    _err(torch, lambda: ember.stft(ex.int(), 16, return_complex=True),
         lambda: torch.stft(tx.int(), 16, return_complex=True))
    _err(torch, lambda: ember.stft(ex.reshape(2, 2, 25), 16, return_complex=True),
         lambda: torch.stft(tx.reshape(2, 2, 25), 16, return_complex=True))
    c = ember.tensor(x.astype("complex64"))
    _err(torch, lambda: ember.stft(c, 16, onesided=True),
         lambda: torch.stft(torch.tensor(x.astype("complex64")), 16, onesided=True))


def test_stft_warns_without_window():
    from ember.ops import creation
    creation._warned.discard("stft_window")  # PyTorch warns once per program
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.stft(ember.randn(64), 16, return_complex=True)
    assert any("window was not provided" in str(m.message) for m in w)


def test_stft_grads(torch):
    x = RNG.standard_normal((2, 50))
    w = np.hanning(12) + 0.1
    ex = ember.tensor(x, requires_grad=True)
    ew = ember.tensor(w, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    e = ember.stft(ex, 16, 4, 12, ew, return_complex=True, normalized=True)
    t = torch.stft(tx, 16, 4, 12, tw, return_complex=True, normalized=True)
    (e.abs() ** 2).sum().backward()
    (t.abs() ** 2).sum().backward()
    assert_close(ex.grad, tx.grad, rtol=1e-10, atol=1e-10)
    assert_close(ew.grad, tw.grad, rtol=1e-10, atol=1e-10)
    x = ember.tensor(RNG.standard_normal(20), requires_grad=True)
    w = ember.tensor(np.hanning(8), requires_grad=True)
    assert gradcheck(lambda a, b: ember.view_as_real(ember.stft(a, 8, 2, window=b,
                                                                return_complex=True)), (x, w))
    assert gradgradcheck(lambda a: ember.stft(a, 8, 2, return_complex=True).abs(), (x,))


# ------------------------------------------------------------------ istft
ISTFT_CASES = [dict(), dict(normalized=True), dict(win_length=10), dict(hop_length=5),
               dict(length=120), dict(length=50), dict(onesided=False),
               dict(center=False, window="ones")]


@pytest.mark.parametrize("kw", ISTFT_CASES)
@pytest.mark.parametrize("shape", [(100,), (2, 64)])
def test_istft_values(torch, kw, shape):
    kw = dict(kw)
    x = RNG.standard_normal(shape)
    wl = kw.get("win_length", 16)
    if kw.pop("window", None) == "ones":
        we, wt = ember.ones(wl, dtype=ember.float64), torch.ones(wl, dtype=torch.float64)
    else:
        we, wt = ember.hann_window(wl, dtype=ember.float64), torch.hann_window(wl,
                                                                                dtype=torch.float64)
    skw = {k: v for k, v in kw.items() if k in ("win_length", "hop_length", "normalized",
                                                 "onesided", "center")}
    spec = torch.stft(torch.tensor(x), 16, window=wt, return_complex=True, **skw)
    es, ts = ember.tensor(spec.numpy()), spec
    e = ember.istft(es, 16, window=we, **kw)
    t = torch.istft(ts, 16, window=wt, **kw)
    assert_close(e, t, rtol=1e-10, atol=1e-12)


def test_istft_roundtrip_complex_and_dtypes(torch):
    x = RNG.standard_normal(64).astype("float32")
    w = ember.hann_window(16)
    spec = ember.stft(ember.tensor(x), 16, window=w, return_complex=True)
    assert_close(ember.istft(spec, 16, window=w), torch.tensor(x), atol=1e-5, rtol=1e-5)
    assert_close(spec.istft(16, window=w, length=64), torch.tensor(x), atol=1e-5, rtol=1e-5)
    c = (RNG.standard_normal(64) + 1j * RNG.standard_normal(64))
    tw = torch.hann_window(16, dtype=torch.float64)
    ts = torch.stft(torch.tensor(c), 16, window=tw, return_complex=True)
    e = ember.istft(ember.tensor(ts.numpy()), 16, window=ember.hann_window(16, dtype=ember.float64),
                    return_complex=True)
    assert_close(e, torch.istft(ts, 16, window=tw, return_complex=True), rtol=1e-10, atol=1e-12)
    # the window's dtype promotes the result
    spec32 = torch.stft(torch.tensor(x), 16, window=torch.hann_window(16), return_complex=True)
    assert_close(ember.istft(ember.tensor(spec32.numpy()), 16,
                             window=ember.hann_window(16, dtype=ember.float64)),
                 torch.istft(spec32, 16, window=torch.hann_window(16, dtype=torch.float64)),
                 rtol=1e-5, atol=1e-6)


def test_istft_errors(torch):
    x = RNG.standard_normal(100).astype("float32")
    tw = torch.hann_window(16)
    ew = ember.hann_window(16)
    ts = torch.stft(torch.tensor(x), 16, window=tw, return_complex=True)
    es = ember.tensor(ts.numpy())
    cases = [
        (lambda: ember.istft(es.real, 16, window=ew), lambda: torch.istft(ts.real, 16, window=tw)),
        (lambda: ember.istft(es, 20, window=ember.hann_window(20)),
         lambda: torch.istft(ts, 20, window=torch.hann_window(20))),
        (lambda: ember.istft(es, 16, window=ew, return_complex=True),
         lambda: torch.istft(ts, 16, window=tw, return_complex=True)),
        (lambda: ember.istft(es, 16, window=ew, onesided=False),
         lambda: torch.istft(ts, 16, window=tw, onesided=False)),
        (lambda: ember.istft(es, 16, window=ew, center=False),
         lambda: torch.istft(ts, 16, window=tw, center=False)),
        (lambda: ember.istft(es[None, None], 16, window=ew),
         lambda: torch.istft(ts[None, None], 16, window=tw)),
        (lambda: ember.istft(es, 16, hop_length=20, window=ew),
         lambda: torch.istft(ts, 16, hop_length=20, window=tw)),
        (lambda: ember.istft(es, 16, window=ew.to(ember.complex64)),
         lambda: torch.istft(ts, 16, window=tw.to(torch.complex64))),
        (lambda: ember.istft(es, 16, window=ember.ones(10)),
         lambda: torch.istft(ts, 16, window=torch.ones(10))),
    ]
    for fe, ft in cases:
        _err(torch, fe, ft)


def test_istft_grads(torch):
    x = RNG.standard_normal(40)
    spec = torch.stft(torch.tensor(x), 8, 2, window=torch.hann_window(8, dtype=torch.float64),
                      return_complex=True).numpy()
    w = np.hanning(8) + 0.2
    es, ts = ember.tensor(spec, requires_grad=True), torch.tensor(spec, requires_grad=True)
    ew, tw = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    e = ember.istft(es, 8, 2, window=ew, length=42)
    t = torch.istft(ts, 8, 2, window=tw, length=42)
    assert_close(e, t, rtol=1e-10, atol=1e-12)
    (e * e.cos()).sum().backward()
    (t * t.cos()).sum().backward()
    assert_close(es.grad, ts.grad, rtol=1e-10, atol=1e-10)
    assert_close(ew.grad, tw.grad, rtol=1e-10, atol=1e-10)
    ew2 = ember.tensor(w, requires_grad=True)
    assert gradcheck(lambda b: ember.istft(ember.tensor(spec), 8, 2, window=b), (ew2,))
    sr = ember.tensor(np.ascontiguousarray(np.stack([spec.real, spec.imag], -1)), requires_grad=True)
    assert gradcheck(lambda s: ember.istft(ember.view_as_complex(s), 8, 2,
                                           window=ember.tensor(w)), (sr,))


# ------------------------------------------------------------------ Hermitian n-d FFTs
HFFT_KW = [{}, {"norm": "ortho"}, {"norm": "forward"}, {"s": (4, 6)}, {"dim": (0,)},
           {"dim": (-1, 0)}, {"s": (3, 5), "dim": (0, 1)}]


@pytest.mark.parametrize("fn", ["hfftn", "ihfftn", "hfft2", "ihfft2"])
@pytest.mark.parametrize("shape", [(4, 5), (3, 4, 6)])
@pytest.mark.parametrize("kw", HFFT_KW)
def test_hermitian_fftn(torch, fn, shape, kw):
    if fn.endswith("2") and "dim" in kw and len(kw["dim"]) != 2:
        pytest.skip("2-d transforms take two dims")
    x = RNG.standard_normal(shape)
    if fn.startswith("h"):
        x = x + 1j * RNG.standard_normal(shape)
    e = getattr(ember.fft, fn)(ember.tensor(x), **kw)
    t = getattr(torch.fft, fn)(torch.tensor(x), **kw)
    assert_close(e, t.resolve_conj(), rtol=1e-10, atol=1e-12)


def test_hermitian_fftn_dtypes_grads_errors(torch):
    x = RNG.standard_normal((3, 4)).astype("float32")
    assert_close(ember.fft.hfftn(ember.tensor(x)), torch.fft.hfftn(torch.tensor(x)), rtol=1e-5,
                 atol=1e-5)
    i = np.arange(6).reshape(2, 3)
    assert_close(ember.fft.ihfftn(ember.tensor(i)), torch.fft.ihfftn(torch.tensor(i)).resolve_conj())
    _err(torch, lambda: ember.fft.ihfftn(ember.tensor(x.astype("complex64"))),
         lambda: torch.fft.ihfftn(torch.tensor(x.astype("complex64"))))
    c = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
    ec, tc = ember.tensor(c, requires_grad=True), torch.tensor(c, requires_grad=True)
    (ember.fft.hfft2(ec, s=(3, 5)) ** 2).sum().backward()
    (torch.fft.hfft2(tc, s=(3, 5)) ** 2).sum().backward()
    assert_close(ec.grad, tc.grad, rtol=1e-10, atol=1e-10)
    r = RNG.standard_normal((3, 5))
    er, tr = ember.tensor(r, requires_grad=True), torch.tensor(r, requires_grad=True)
    ember.fft.ihfft2(er, norm="ortho").abs().sum().backward()
    torch.fft.ihfft2(tr, norm="ortho").abs().sum().backward()
    assert_close(er.grad, tr.grad, rtol=1e-10, atol=1e-10)
    assert gradcheck(lambda a: ember.view_as_real(ember.fft.ihfftn(a)),
                     (ember.tensor(r, requires_grad=True),))
