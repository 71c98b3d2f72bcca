"""float16/bfloat16 normalization, convolution bias and embedding gradients, rounded where
PyTorch's CPU kernels round them: bit for bit against PyTorch. And batch norm over
``(N, C)`` rows as accurate as PyTorch's when the features are nearly constant."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

pytest.importorskip("ember.nn")

HALF = ["bfloat16", "float16"]


def _same(ember_t, torch_t, what):
    e = ember_t.detach().float().numpy()
    t = torch_t.detach().float().numpy()
    assert e.shape == t.shape, what
    bad = int((e != t).sum())
    assert bad == 0, f"{what}: {bad} of {e.size} differ (max {np.abs(e - t).max()})"


def _within_an_ulp(ember_t, torch_t, what, ulps=1.0, share=50):
    """Equal but for a rare tie broken the other way by a different float32 summation order:
    at most 1/``share`` of the values, each ``ulps`` units in the last place of the half
    dtype apart (a parameter gradient summed in half precision, row after row, carries such
    a tie on: 2.5 units in 1/8 of its values)."""
    e = ember_t.detach().float().numpy().astype(np.float64)
    t = torch_t.detach().float().numpy().astype(np.float64)
    assert e.shape == t.shape, what
    ulp = 2.0 ** (-7 if "bfloat16" in str(torch_t.dtype) else -10)
    diff = np.abs(e - t)
    bad = diff > 0
    worst = (diff / np.maximum(np.abs(t), np.finfo(np.float32).tiny)).max() if bad.any() else 0
    assert bad.sum() <= max(1, bad.size // share) and worst <= ulps * ulp, \
        f"{what}: {int(bad.sum())} of {bad.size} differ, by up to {worst / ulp:.2f} ulp"


class _Threads:
    """Both libraries on the same intra-op thread count (layer norm's half-precision weight
    gradients depend on it in PyTorch)."""

    def __init__(self, torch, n):
        self.torch, self.n = torch, n

    def __enter__(self):
        self.saved = (self.torch.get_num_threads(), ember.get_num_threads())
        self.torch.set_num_threads(self.n)
        ember.set_num_threads(self.n)

    def __exit__(self, *exc):
        self.torch.set_num_threads(self.saved[0])
        ember.set_num_threads(self.saved[1])


def _module_run(lib, make, shape, dt, seed, param_dt=None):
    """Forward and backward of a norm module whose parameters and buffers are drawn from
    ``seed``; returns the output, input gradient, parameter gradients and buffers."""
    rng = np.random.default_rng(seed)

    def T(*s, scale=1.5, shift=0.3):
        return lib.tensor((rng.standard_normal(s) * scale + shift).astype("float32"))

    m = make(lib.nn).to(getattr(lib, param_dt or dt))
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(T(*p.shape))
        if getattr(m, "running_mean", None) is not None:
            m.running_mean.copy_(T(*m.running_mean.shape))
            m.running_var.copy_(T(*m.running_var.shape).abs() + 0.5)
    x = T(*shape).to(getattr(lib, dt)).requires_grad_()
    y = m(x)
    y.backward(T(*shape, scale=1.0, shift=0.0).to(getattr(lib, dt)))
    out = {"y": y, "x.grad": x.grad}
    out.update({f"{n}.grad": p.grad for n, p in m.named_parameters()})
    if getattr(m, "running_mean", None) is not None and m.training:
        out["running_mean"] = m.running_mean
    return out


NORMS = {
    "layer_norm": (lambda nn: nn.LayerNorm(16), (32, 16)),
    "layer_norm_2d": (lambda nn: nn.LayerNorm((4, 8)), (6, 4, 8)),
    "layer_norm_no_affine": (lambda nn: nn.LayerNorm(16, elementwise_affine=False), (9, 16)),
    "layer_norm_no_bias": (lambda nn: nn.LayerNorm(12, bias=False), (5, 3, 12)),
    "batch_norm_1d_3d": (lambda nn: nn.BatchNorm1d(6), (8, 6, 10)),
    "batch_norm_2d": (lambda nn: nn.BatchNorm2d(6), (4, 6, 5, 5)),
    "batch_norm_eval": (lambda nn: nn.BatchNorm2d(6).eval(), (4, 6, 5, 5)),
    "batch_norm_no_affine": (lambda nn: nn.BatchNorm2d(6, affine=False), (3, 6, 4, 4)),
    "group_norm": (lambda nn: nn.GroupNorm(3, 6), (4, 6, 5, 5)),
    "group_norm_1": (lambda nn: nn.GroupNorm(1, 6), (4, 6, 7)),
    "instance_norm": (lambda nn: nn.InstanceNorm2d(6, affine=True), (4, 6, 5, 5)),
}


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("name", list(NORMS))
@pytest.mark.parametrize("dt", HALF)
def test_half_norms_bit_exact(torch, dt, name, threads):
    make, shape = NORMS[name]
    with _Threads(torch, threads):
        for seed in range(3):
            e = _module_run(ember, make, shape, dt, seed)
            t = _module_run(torch, make, shape, dt, seed)
            assert list(e) == list(t)
            for k in t:
                param = k.endswith(".grad") and k != "x.grad"
                _within_an_ulp(e[k], t[k], f"{name} {dt} seed {seed}: {k}",
                               *((2.5, 8) if param else ()))


@pytest.mark.parametrize("dt", HALF)
def test_layer_norm_reproducer(torch, dt):
    """The weight gradient of a half-precision LayerNorm (it was off by up to 0.065)."""
    for lib in (ember, torch):
        lib.manual_seed(0)
    rng = np.random.default_rng(0)
    xs, gs = rng.standard_normal((2, 32, 16)).astype("float32")
    grads = []
    for lib in (ember, torch):
        m = lib.nn.LayerNorm(16).to(getattr(lib, dt))
        m(lib.tensor(xs).to(getattr(lib, dt))).backward(lib.tensor(gs).to(getattr(lib, dt)))
        grads.append((m.weight.grad, m.bias.grad))
    _same(grads[0][0], grads[1][0], "weight.grad")
    _same(grads[0][1], grads[1][1], "bias.grad")


@pytest.mark.parametrize("dt", HALF)
def test_half_norm_statistics(torch, dt):
    """The saved statistics: half precision with half (or no) weights, float32 with float32
    weights."""
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((4, 6, 3, 3)).astype("float32")
    ws, bs = rng.standard_normal((2, 6)).astype("float32")
    for pdt in (dt, "float32"):
        res = []
        for lib in (ember, torch):
            x = lib.tensor(xs).to(getattr(lib, dt))
            w, b = (lib.tensor(a).to(getattr(lib, pdt)) for a in (ws, bs))
            _, m, r = lib.native_batch_norm(x, w, b, None, None, True, 0.1, 1e-5)
            _, lm, lr = lib.native_layer_norm(x, (3, 3), None, None, 1e-5)
            res.append((m, r, lm, lr))
        for k, (a, b) in enumerate(zip(*res)):
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (pdt, k)
            if pdt == "float32":
                assert_close(a, b, msg=f"statistic {k} with float32 weights")
            else:
                _same(a, b, f"statistic {k} with {pdt} weights")


@pytest.mark.parametrize("dt", HALF)
def test_conv_bias_rounded_once(torch, dt):
    """The bias is added to the float32 products before the single rounding."""
    rng = np.random.default_rng(5)

    def arr(*s):
        return rng.standard_normal(s).astype("float32")

    x1, x2, x3 = arr(2, 4, 9), arr(2, 4, 8, 8), arr(2, 4, 5, 5, 5)
    w1, w2, w3, b = arr(8, 4, 3), arr(8, 4, 3, 3), arr(8, 4, 2, 2, 2), arr(8)
    t2, wg = arr(4, 8, 3, 3), arr(8, 2, 3, 3)
    out = {}
    for lib in (ember, torch):
        F = lib.nn.functional

        def h(a, lib=lib):
            return lib.tensor(a).to(getattr(lib, dt))

        out[lib.__name__] = {
            "conv1d": F.conv1d(h(x1), h(w1), h(b)),
            "conv2d": F.conv2d(h(x2), h(w2), h(b), padding=1),
            "conv3d": F.conv3d(h(x3), h(w3), h(b)),
            "conv2d_groups": F.conv2d(h(x2), h(wg), h(b), groups=2),
            "conv_transpose2d": F.conv_transpose2d(h(x2), h(t2), h(b), stride=2),
        }
    for k in out["torch"]:
        if (k == "conv_transpose2d" and dt == "float16"
                and not torch.ops.mkldnn._is_mkldnn_fp16_supported()):
            # Ember rounds as PyTorch's oneDNN kernel; on a CPU without oneDNN's float16
            # support PyTorch's fallback kernel rounds along the way (off by up to 1e-2 here)
            continue
        _within_an_ulp(out["ember"][k], out["torch"][k], f"{k} {dt}")


def test_conv_bias_under_autocast(torch):
    rng = np.random.default_rng(6)
    xs, ws, bs = rng.standard_normal((4, 4, 8, 8)), rng.standard_normal((8, 4, 3, 3)), \
        rng.standard_normal(8)
    res = []
    for lib in (ember, torch):
        x = lib.tensor(xs.astype("float32"))
        w = lib.tensor(ws.astype("float32")).requires_grad_()
        b = lib.tensor(bs.astype("float32")).requires_grad_()
        with lib.autocast("cpu", dtype=lib.bfloat16):
            y = lib.nn.functional.conv2d(x, w, b)
        y.float().pow(2).sum().backward()
        res.append((y, w.grad, b.grad))
    for k, (a, b) in enumerate(zip(*res)):
        _same(a, b, f"autocast result {k}")


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 3}])
@pytest.mark.parametrize("dim", [16, 100])
@pytest.mark.parametrize("dt", HALF)
def test_embedding_half_gradient(torch, dt, dim, kw):
    """Repeated rows add up one by one, each sum rounded, as PyTorch's kernel does."""
    rng = np.random.default_rng(7)
    ws = rng.standard_normal((10, dim)).astype("float32")
    idx = rng.integers(0, 10, (8, 8))
    gs = rng.standard_normal((8, 8, dim)).astype("float32")
    grads = []
    for lib in (ember, torch):
        w = lib.tensor(ws).to(getattr(lib, dt)).requires_grad_()
        y = lib.nn.functional.embedding(lib.tensor(idx), w, **kw)
        y.backward(lib.tensor(gs).to(getattr(lib, dt)))
        grads.append(w.grad)
    _same(grads[0], grads[1], f"embedding {dt} {dim} {kw}")


def test_batch_norm_rows_accuracy(torch):
    """Linear then BatchNorm1d on nearly collinear inputs: the statistics are accumulated
    in double (as PyTorch does), so the float32 gradient is as close to the float64 one."""
    errs = {}
    ref = None
    for lib, dt in ((torch, "float64"), (torch, "float32"), (ember, "float32")):
        torch.manual_seed(0)
        tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8),
                                 torch.nn.ReLU(), torch.nn.Linear(8, 2))
        state = {k: v.numpy() for k, v in tm.state_dict().items()}
        nn = lib.nn
        m = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
        m.load_state_dict({k: lib.tensor(v.astype(dt) if v.dtype.kind == "f" else v)
                           for k, v in state.items()})
        m.to(getattr(lib, dt))
        x = lib.linspace(-2, 2, 256, dtype=getattr(lib, dt)).reshape(64, 4)[:16]
        y = (x[:, :2] * x[:, 2:]).sin()
        nn.functional.mse_loss(m(x), y).backward()
        g = m[0].weight.grad.detach().numpy().astype(np.float64)
        if ref is None:
            ref = g
        else:
            errs[lib.__name__] = np.abs(g - ref).max()
    assert errs["ember"] <= 1.5 * errs["torch"], errs
