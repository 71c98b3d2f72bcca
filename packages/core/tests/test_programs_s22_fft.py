"""FFT, STFT and complex-autograd programs checked against PyTorch: the kind of ``out=`` an FFT
accepts, ``fftfreq``/``rfftfreq`` with a negative length, the node names of a batched or 1-D
``stft``, and a real tensor's gradient through complex intermediates (its real part, silently,
also as hooks and ``autograd.grad`` see it)."""

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

_X = np.random.default_rng(22).standard_normal((3, 8)).astype(np.float32)

# (transform, complex input?, out dtype name)
_OUT_CASES = [
    (f, c, o)
    for f, c in [("fft", False), ("rfft", False), ("ifft", True), ("fft2", True),
                 ("rfft2", False), ("irfft", True), ("irfft2", True), ("hfft", True),
                 ("hfftn", True), ("ihfft", False), ("ihfft2", False), ("irfftn", True)]
    for o in ["float32", "float64", "complex64", "int64"]
]


def _run(lib, fn):
    try:
        return fn(lib), None
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return None, e


@pytest.mark.parametrize("name,cplx,odt", _OUT_CASES,
                         ids=[f"{f}-{o}" for f, _, o in _OUT_CASES])
def test_fft_out_kind_matches_torch(name, cplx, odt):
    def program(lib):
        x = lib.from_numpy(_X.copy())
        if cplx:
            x = x * (1 + 1j)
        out = lib.empty(0, dtype=getattr(lib, odt))
        res = getattr(lib.fft, name)(x, out=out)
        return res is out, res

    want, werr = _run(torch, program)
    got, gerr = _run(ember, program)
    if werr is not None:
        assert type(gerr) is type(werr), (gerr, werr)
        assert str(gerr) == str(werr)
        return
    assert gerr is None, gerr
    assert got[0] == want[0]
    assert str(got[1].dtype).split(".")[-1] == str(want[1].dtype).split(".")[-1]
    np.testing.assert_allclose(got[1].numpy(), want[1].numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("fn", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize("n", [-5, -4, -3, -2, -1, 0, 1, 6])
def test_freqs_of_any_length_match_torch(fn, n):
    want, werr = _run(torch, lambda lib: getattr(lib.fft, fn)(n, 0.5))
    got, gerr = _run(ember, lambda lib: getattr(lib.fft, fn)(n, 0.5))
    if werr is not None:
        assert type(gerr) is type(werr) and str(gerr) == str(werr)
        return
    assert gerr is None, gerr
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("batched", [False, True])
def test_stft_node_names_match_torch(batched):
    names = []
    for lib in (torch, ember):
        x = lib.ones(2, 64, requires_grad=True) if batched else lib.ones(64, requires_grad=True)
        spec = lib.stft(x, 16, hop_length=4, window=lib.hann_window(16), return_complex=True)
        spec.abs().sum().backward()
        names.append((spec.grad_fn.name(), tuple(x.grad.shape)))
    assert names[1] == names[0]


def _real_through_complex(lib):
    """A real parameter through complex intermediates: hook, autograd.grad and .grad."""
    seen = []
    t = lib.from_numpy(_X[0].copy()).requires_grad_()
    u = t * 2
    u.register_hook(lambda g: seen.append(g.clone()))
    loss = (u * (1 + 2j)).abs().sum() + lib.fft.fft(t).abs().sum() + (t + 1j).abs().mean()
    grads = lib.autograd.grad(loss, [u, t], retain_graph=True)
    loss.backward()
    return list(grads) + seen + [t.grad]


def test_real_grad_through_complex_is_real_and_quiet():
    want = _real_through_complex(torch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch takes the real part without a warning
        got = _real_through_complex(ember)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-6)


def test_spectral_loss_training_matches_torch():
    """A real signal fitted to a target's magnitude spectrum by SGD, as a tutorial does."""
    target = np.random.default_rng(5).standard_normal((2, 32)).astype(np.float32)
    losses, params = [], []
    for lib in (torch, ember):
        w = lib.zeros(2, 32, requires_grad=True)
        tgt = lib.from_numpy(target.copy())
        run = []
        for _ in range(5):
            spec = lib.fft.rfft(w)
            loss = (spec.abs() - lib.fft.rfft(tgt).abs()).pow(2).mean() \
                + (lib.fft.fft(w * 1j) - lib.fft.fft(tgt * 1j)).abs().pow(2).mean()
            loss.backward()
            with lib.no_grad():
                w -= 0.05 * w.grad
                w.grad.zero_()
            run.append(loss.item())
        losses.append(run)
        params.append(w.detach().numpy())
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)
    np.testing.assert_allclose(params[1], params[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["hann", "hamming", "blackman", "bartlett", "kaiser"])
@pytest.mark.parametrize("n", [2, 7, 8, 13])
@pytest.mark.parametrize("periodic", [True, False])
def test_bfloat16_windows_round_as_torch(name, n, periodic):
    """A bfloat16 window is computed step by step in bfloat16, as PyTorch's kernels do."""
    pytest.importorskip("ml_dtypes")
    want = getattr(torch, name + "_window")(n, periodic, dtype=torch.bfloat16)
    got = getattr(ember, name + "_window")(n, periodic, dtype=ember.bfloat16)
    assert got.dtype == ember.bfloat16
    np.testing.assert_array_equal(got.float().numpy(), want.float().numpy())
