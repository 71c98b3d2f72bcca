"""CPU autocast programs against torch.autocast: promote-op dtype rules, ``out=`` overloads,
composite ops with an inner bmm (affine_grid), the fp32 list's fft/linalg ops, and a
seeded differential fuzz over op policies and input dtypes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")
import ember.nn.functional  # noqa: E402,F401

LOW = ["bfloat16", "float16"]
DTS = ["float16", "bfloat16", "float32", "float64", "int64"]


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


def _both(fn, *arrays, dtypes=None, **ac):
    """``fn(module, *tensors)`` under CPU autocast in torch and in ember: (dtype or error type)."""
    out = []
    for m in (torch, ember):
        ts = [m.tensor(a) if d is None else m.tensor(a).to(getattr(m, d))
              for a, d in zip(arrays, dtypes or [None] * len(arrays))]
        kw = {k: getattr(m, v) if k == "dtype" else v for k, v in ac.items()}
        try:
            with m.autocast("cpu", **kw):
                r = fn(m, *ts)
            out.append((_name(r.dtype), r))
        except Exception as e:  # noqa: BLE001  (the error type is compared)
            out.append((type(e).__name__, str(e)))
    return out


RNG = np.random.default_rng(24)
A = RNG.standard_normal((3, 4)).astype("float32")
B = RNG.standard_normal((3, 4)).astype("float32")


@pytest.mark.parametrize("ac", LOW)
@pytest.mark.parametrize("op", ["cat", "stack", "index_copy"])
@pytest.mark.parametrize("d1", DTS)
@pytest.mark.parametrize("d2", DTS)
def test_promote_ops_prioritize_like_torch(op, d1, d2, ac):
    fns = {"cat": lambda m, x, y: m.cat([x, y]), "stack": lambda m, x, y: m.stack([x, y]),
           "index_copy": lambda m, x, y: m.index_copy(x, 0, m.tensor([1, 2]), y[:2])}
    t, e = _both(fns[op], A, B, dtypes=[d1, d2], dtype=ac)
    assert t[0] == e[0]
    if t[0] == "RuntimeError":
        assert ("prioritize" in e[1]) == ("prioritize" in t[1])
    elif t[0] not in ("int64",) and not t[0].endswith("Error"):
        np.testing.assert_allclose(e[1].double().numpy(), t[1].double().numpy(), rtol=1e-2,
                                   atol=1e-2)


@pytest.mark.parametrize("op", ["mm", "matmul", "bmm", "addmm", "baddbmm", "addbmm", "cat"])
def test_out_overloads_run_uncast(op):
    x = RNG.standard_normal((2, 3, 3)).astype("float32")
    fns = {"mm": lambda m, a, o: m.mm(a[0], a[1], out=o),
           "matmul": lambda m, a, o: m.matmul(a[0], a[1], out=o),
           "bmm": lambda m, a, o: m.bmm(a, a, out=o),
           "addmm": lambda m, a, o: m.addmm(a[0], a[0], a[1], out=o),
           "baddbmm": lambda m, a, o: m.baddbmm(a, a, a, out=o),
           "addbmm": lambda m, a, o: m.addbmm(a[0], a, a, out=o),
           "cat": lambda m, a, o: m.cat([a[0], a[1]], out=o)}
    res = []
    for m in (torch, ember):
        o = m.empty(0)
        with m.autocast("cpu"):
            r = fns[op](m, m.tensor(x), o)
        assert r is o
        res.append(r)
    assert _name(res[1].dtype) == _name(res[0].dtype) == "float32"
    np.testing.assert_allclose(res[1].numpy(), res[0].numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ac", LOW)
@pytest.mark.parametrize("size", [(2, 1, 3, 4), (2, 1, 2, 3, 2)])
def test_affine_grid_runs_its_bmm_in_low_precision(ac, size):
    k = len(size) - 2
    th = RNG.standard_normal((2, k, k + 1)).astype("float32")
    res = []
    for m in (torch, ember):
        t = m.tensor(th, requires_grad=True)
        with m.autocast("cpu", dtype=getattr(m, ac)):
            g = m.nn.functional.affine_grid(t, size, align_corners=False)
        g.float().pow(2).sum().backward()
        res.append((g, t.grad))
    (tg, tgr), (eg, egr) = res
    assert _name(eg.dtype) == _name(tg.dtype) == ac
    assert type(eg.grad_fn).__name__ == type(tg.grad_fn).__name__
    assert _name(egr.dtype) == _name(tgr.dtype) == "float32"
    np.testing.assert_allclose(eg.double().detach().numpy(), tg.double().detach().numpy(),
                               rtol=2e-2, atol=2e-2)
    np.testing.assert_allclose(egr.numpy(), tgr.numpy(), rtol=5e-2, atol=5e-2)


@pytest.mark.parametrize("dt", LOW)
def test_affine_grid_low_precision_theta_keeps_its_dtype(dt):
    th = RNG.standard_normal((1, 2, 3)).astype("float32")
    tg = torch.nn.functional.affine_grid(torch.tensor(th).to(getattr(torch, dt)), (1, 1, 3, 3),
                                         align_corners=True)
    eg = ember.nn.functional.affine_grid(ember.tensor(th).to(getattr(ember, dt)), (1, 1, 3, 3),
                                         align_corners=True)
    assert _name(eg.dtype) == _name(tg.dtype) == dt
    np.testing.assert_allclose(eg.double().numpy(), tg.double().numpy(), rtol=1e-2, atol=1e-2)


S = RNG.standard_normal((3, 3)).astype("float32")
S = S @ S.T + 3 * np.eye(3, dtype="float32")
V = RNG.standard_normal(8).astype("float32")
FP32_OPS = {
    "fft.fft": lambda m, s, v: m.fft.fft(v), "fft.ifft": lambda m, s, v: m.fft.ifft(v),
    "fft.rfft": lambda m, s, v: m.fft.rfft(v), "fft.irfft": lambda m, s, v: m.fft.irfft(v),
    "fft.fft2": lambda m, s, v: m.fft.fft2(s), "fft.rfft2": lambda m, s, v: m.fft.rfft2(s),
    "fft.irfft2": lambda m, s, v: m.fft.irfft2(s), "fft.ifftn": lambda m, s, v: m.fft.ifftn(s),
    "fft.rfftn": lambda m, s, v: m.fft.rfftn(s), "fft.hfft": lambda m, s, v: m.fft.hfft(v),
    "fft.ihfft": lambda m, s, v: m.fft.ihfft(v),
    "inv": lambda m, s, v: m.linalg.inv(s), "inv_ex": lambda m, s, v: m.linalg.inv_ex(s)[0],
    "solve": lambda m, s, v: m.linalg.solve(s, s[:, :2]),
    "cholesky_ex": lambda m, s, v: m.linalg.cholesky_ex(s)[0],
    "qr": lambda m, s, v: m.linalg.qr(s)[1].abs(), "torch.qr": lambda m, s, v: m.qr(s)[1].abs(),
    "svdvals": lambda m, s, v: m.linalg.svdvals(s), "svd": lambda m, s, v: m.linalg.svd(s)[1],
    "torch.svd": lambda m, s, v: m.svd(s)[1], "eigvalsh": lambda m, s, v: m.linalg.eigvalsh(s),
    "eigh": lambda m, s, v: m.linalg.eigh(s)[0], "eigvals": lambda m, s, v: m.linalg.eigvals(s),
    "lstsq": lambda m, s, v: m.linalg.lstsq(s, s[:, :1]).solution,
    "matrix_rank": lambda m, s, v: m.linalg.matrix_rank(s), "cond": lambda m, s, v: m.linalg.cond(s),
    "tensorinv": lambda m, s, v: m.linalg.tensorinv(s, 1),
    "cholesky_solve": lambda m, s, v: m.cholesky_solve(s, m.linalg.cholesky(s.float())),
    "cholesky_inverse": lambda m, s, v: m.cholesky_inverse(s.tril() + 3 * m.eye(3)),
    "adaptive_max_pool3d": lambda m, s, v: m.nn.functional.adaptive_max_pool3d(s[None, None, None], 1),
}


@pytest.mark.parametrize("dt", LOW + ["float32"])
@pytest.mark.parametrize("name", sorted(FP32_OPS))
def test_fp32_list_fft_and_linalg(name, dt):
    t, e = _both(FP32_OPS[name], S, V, dtypes=[dt, dt])
    assert e[0] == t[0], (name, dt, t, e)
    if not t[0].endswith("Error"):
        np.testing.assert_allclose(e[1].detach().resolve_conj().numpy(),
                                   t[1].detach().resolve_conj().numpy(), rtol=2e-2, atol=2e-2)


def test_fft_of_conv_output_in_autocast_training_step():
    """A spectral loss on a bf16 conv output: rfft runs in float32, as in PyTorch."""
    x = RNG.standard_normal((2, 1, 16)).astype("float32")
    w = RNG.standard_normal((1, 1, 3)).astype("float32")
    res = []
    for m in (torch, ember):
        wt = m.tensor(w, requires_grad=True)
        with m.autocast("cpu"):
            y = m.nn.functional.conv1d(m.tensor(x), wt)
            spec = m.fft.rfft(y)
            loss = spec.abs().mean()
        loss.backward()
        res.append((_name(y.dtype), _name(spec.dtype), _name(loss.dtype), _name(wt.grad.dtype),
                    loss.item(), wt.grad.numpy()))
    assert res[0][:4] == res[1][:4] == ("bfloat16", "complex64", "float32", "float32")
    np.testing.assert_allclose(res[1][4], res[0][4], rtol=1e-2)
    np.testing.assert_allclose(res[1][5], res[0][5], rtol=5e-2, atol=5e-2)


FUZZ_OPS = {
    "mm": (lambda m, x, y: m.mm(x, y.T), 2), "linear": (lambda m, x, y: m.nn.functional.linear(x, y), 2),
    "bmm": (lambda m, x, y: m.bmm(x[None], y.T[None]), 2), "cat": (lambda m, x, y: m.cat([x, y]), 2),
    "stack": (lambda m, x, y: m.stack([x, y], 1), 2), "softmax": (lambda m, x, y: x.softmax(-1), 1),
    "mse": (lambda m, x, y: m.nn.functional.mse_loss(x, y), 2), "prod": (lambda m, x, y: x.prod(1), 1),
    "relu": (lambda m, x, y: m.relu(x), 1), "add": (lambda m, x, y: x + y, 2),
    "rfft": (lambda m, x, y: m.fft.rfft(x).abs(), 1), "inv": (lambda m, x, y: m.linalg.inv(x[:3, :3]), 1),
    "addmm": (lambda m, x, y: m.addmm(x[:, :3], x, y.T), 2),
    "cdist": (lambda m, x, y: m.cdist(x, y), 2), "layer_norm": (lambda m, x, y: m.nn.functional.layer_norm(x, (4,)), 1),
}


def test_seeded_fuzz_dtypes_and_errors_match_torch():
    rng = np.random.default_rng(2024)
    names = sorted(FUZZ_OPS)
    mismatches = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(300):
            name = names[rng.integers(len(names))]
            fn = FUZZ_OPS[name][0]
            dts = [DTS[rng.integers(len(DTS))] for _ in range(2)]
            ac = LOW[rng.integers(2)]
            x = (rng.standard_normal((4, 4)) + 4 * np.eye(4)).astype("float32")
            y = rng.standard_normal((4, 4)).astype("float32")
            t, e = _both(fn, x, y, dtypes=dts, dtype=ac,
                         enabled=bool(rng.integers(4)))
            if t[0] != e[0]:  # (cdist(float16, bfloat16) raised RuntimeError, not NotImplementedError)
                mismatches.append((name, dts, ac, t[0], e[0]))
            elif t[0] in ("float32", "float64"):
                if not np.allclose(e[1].detach().double().numpy(), t[1].detach().double().numpy(),
                                   rtol=3e-2, atol=3e-2):
                    mismatches.append((name, dts, ac, "values"))
    assert not mismatches, mismatches[:5]
