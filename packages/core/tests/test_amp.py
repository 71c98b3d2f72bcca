"""ember.autocast and ember.amp.GradScaler against torch.autocast and torch.amp.GradScaler."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import ember

RNG = np.random.default_rng(0)


def _pair(torch, *arrays):
    return [ember.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


OPS = {
    "linear": lambda m, x, w, b, i: m.nn.functional.linear(x, w, b),
    "matmul": lambda m, x, w, b, i: x @ w.T,
    "addmm": lambda m, x, w, b, i: m.addmm(b, x, w.T),
    "bmm": lambda m, x, w, b, i: m.bmm(x[None], w.T[None]),
    "conv1d": lambda m, x, w, b, i: m.conv1d(x.T[None], w[:, :, None].expand(3, 4, 2)),
    "cross_entropy": lambda m, x, w, b, i: m.nn.functional.cross_entropy(x @ w.T, i),
    "mse_loss": lambda m, x, w, b, i: m.nn.functional.mse_loss(x @ w.T, (x @ w.T).detach() + 1),
    "cat_promote": lambda m, x, w, b, i: m.cat([(x @ w.T), b[None]]),
    "relu_of_bf16": lambda m, x, w, b, i: m.relu(x @ w.T),
    "softmax_stays": lambda m, x, w, b, i: m.softmax(x @ w.T, 1),
    "prod_fp32": lambda m, x, w, b, i: (x @ w.T).prod(1),
    "float64_untouched": lambda m, x, w, b, i: x.double() @ w.T.double(),
}


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_cpu_policies_match_pytorch(torch, name, dtype):
    if "ember.nn" not in __import__("sys").modules:
        pytest.importorskip("ember.nn")
    import ember.nn  # noqa: F401

    arrays = [RNG.standard_normal((5, 4)).astype("float32"),
              RNG.standard_normal((3, 4)).astype("float32"),
              RNG.standard_normal(3).astype("float32")]
    (ex, ew, eb), (tx, tw, tb) = _pair(torch, *arrays)
    for t in (ex, ew, eb, tx, tw, tb):
        t.requires_grad_(True)
    ei, ti = ember.tensor([0, 2, 1, 1, 0]), torch.tensor([0, 2, 1, 1, 0])
    with ember.autocast("cpu", dtype=getattr(ember, dtype)):
        got = OPS[name](ember, ex, ew, eb, ei)
    with torch.autocast("cpu", dtype=getattr(torch, dtype)):
        ref = OPS[name](torch, tx, tw, tb, ti)
    assert got.dtype.name == str(ref.dtype).split(".")[1]
    np.testing.assert_allclose(got.detach().double().numpy(), ref.detach().double().numpy(),
                               rtol=1e-2, atol=1e-2)
    got.float().sum().backward()
    ref.float().sum().backward()
    for e, t in ((ex, tx), (ew, tw)):
        assert e.grad.dtype.name == str(t.grad.dtype).split(".")[1]
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=2e-2, atol=2e-2)


def test_state_functions_nesting_and_decorator(torch):
    assert not ember.is_autocast_enabled("cpu") and not ember.is_autocast_enabled()
    assert ember.get_autocast_dtype("cpu") == ember.bfloat16
    assert ember.get_autocast_dtype("cuda") == ember.float16
    assert str(torch.get_autocast_dtype("cpu")) == "torch.bfloat16"
    x = ember.randn(2, 3)
    with ember.autocast("cpu"):
        assert ember.is_autocast_enabled("cpu")
        with pytest.warns(DeprecationWarning, match="is_autocast_cpu_enabled"):
            assert ember.is_autocast_cpu_enabled()
        assert (x @ x.T).dtype == ember.bfloat16
        with ember.autocast("cpu", enabled=False):
            assert not ember.is_autocast_enabled("cpu")
            assert (x @ x.T).dtype == ember.float32
        with ember.autocast("cpu", dtype=ember.float16):
            assert (x @ x.T).dtype == ember.float16
        assert (x @ x.T).dtype == ember.bfloat16
    assert not ember.is_autocast_enabled("cpu") and (x @ x.T).dtype == ember.float32

    @ember.autocast("cpu")
    def f(a):
        return a @ a.T

    assert f(x).dtype == ember.bfloat16 and (x @ x.T).dtype == ember.float32
    assert ember.amp.autocast is ember.autocast


def test_autocast_is_per_thread():
    x = ember.randn(2, 3)
    seen = []
    inside, done = threading.Event(), threading.Event()

    def other():
        inside.wait()
        seen.append((x @ x.T).dtype)
        done.set()

    t = threading.Thread(target=other)
    t.start()
    with ember.autocast("cpu"):
        inside.set()
        done.wait()
    t.join()
    assert seen == [ember.float32]


def test_unsupported_dtype_warns_and_disables(torch):
    x = ember.randn(2, 2)
    with pytest.warns(UserWarning, match="CPU Autocast only supports dtypes of "
                                         "ember.bfloat16, ember.float16 currently"):
        ctx = ember.autocast("cpu", dtype=ember.float64)
    with ctx:
        assert (x @ x).dtype == ember.float32
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        ember.autocast(ember.device("cpu"))


# ------------------------------------------------------------------ GradScaler
def _train(lib, steps, inject_inf_at=(), growth_interval=2):
    lib.manual_seed(0)
    w = lib.randn(4, 3, requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", init_scale=256.0, growth_interval=growth_interval)
    x = lib.randn(6, 4)
    trace = []
    for i in range(steps):
        loss = (x @ w).pow(2).mean()
        if i in inject_inf_at:
            loss = loss * float("inf")
        opt.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        trace.append((scaler.get_scale(), scaler._get_growth_tracker()))
    return trace, w.detach().numpy().copy(), scaler.state_dict()


def test_grad_scaler_matches_pytorch(torch):
    pytest.importorskip("ember.optim")
    import ember.optim  # noqa: F401

    for infs in ((), (1, 2, 5)):
        got = _train(ember, 8, infs)
        ref = _train(torch, 8, infs)
        assert got[0] == ref[0]
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-5, atol=1e-6)
        assert got[2] == ref[2]


def test_grad_scaler_errors_and_disabled_paths(torch):
    pytest.importorskip("ember.optim")
    import ember.optim

    if not ember.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available.  Disabling."):
            off = ember.amp.GradScaler()
        assert not off.is_enabled() and off.get_scale() == 1.0 and off.state_dict() == {}
        loss = ember.ones(())
        assert off.scale(loss) is loss
    s = ember.amp.GradScaler("cpu")
    w = ember.ones(2, requires_grad=True)
    opt = ember.optim.SGD([w], lr=1.0)
    with pytest.raises(AssertionError, match="did not use scaler.scale"):
        s.step(opt)
    s.scale(w.sum()).backward()
    s.unscale_(opt)
    assert w.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        s.unscale_(opt)
    s.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        s.step(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        s.step(opt, closure=lambda: None)
    s.update()
    with pytest.raises(ValueError, match="must be a Tensor or an iterable"):
        s.scale([1.0])
    scaled = s.scale((w, [w]))
    assert isinstance(scaled, tuple) and isinstance(scaled[1], list)
    fresh = ember.amp.GradScaler("cpu")
    fresh.load_state_dict(s.state_dict())
    assert fresh.state_dict() == s.state_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tsd = torch.amp.GradScaler("cpu").state_dict()
    assert set(s.state_dict()) == set(tsd)


def _warnings_of(fn):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [(w.category.__name__, str(w.message)) for w in caught]


@pytest.mark.parametrize("device_type", ["cpu", "cuda"])
def test_deprecated_device_amp_spellings(torch, device_type):
    """``torch.cpu.amp`` / ``torch.cuda.amp``: the same warnings as PyTorch (deprecation, and
    without a GPU the disabling), then the same autocast dtype and scaler state."""
    if device_type == "cuda" and (torch.cuda.is_available() or ember.cuda.is_available()):
        pytest.skip("compares the behaviour without a GPU")

    def run(lib):
        amp = getattr(lib, device_type).amp
        ctx, w1 = _warnings_of(amp.autocast)
        with ctx:
            dtype = str((lib.ones(2, 2) @ lib.ones(2, 2)).dtype).split(".")[-1]
        scaler, w2 = _warnings_of(amp.GradScaler)
        return dtype, scaler.is_enabled(), scaler.get_scale(), w1 + w2

    assert run(ember) == run(torch)


def test_cpu_device_module(torch):
    for name in ("is_available", "is_initialized", "device_count", "current_device"):
        assert getattr(ember.cpu, name)() == getattr(torch.cpu, name)()
    assert ember.cpu.synchronize() is None and ember.cpu.current_stream().query()
    assert ember.cuda.is_bf16_supported() == torch.cuda.is_bf16_supported()
    assert ember.vmap(lambda x: x.sum())(ember.ones(3, 2)).tolist() == [2.0, 2.0, 2.0]
    assert ember.storage.TypedStorage is type(ember.ones(1).storage())
