"""PyTorch never warns about infinities and NaN in arithmetic; neither may Ember (NumPy
would, from inside its kernels). Each op runs forward and backward on inputs full of
them with NumPy's RuntimeWarning turned into an error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember


class _Functional:
    """``ember.nn.functional``, or a skip where ember-nn is not installed (core alone)."""

    def __getattr__(self, name):
        return getattr(pytest.importorskip("ember.nn.functional"), name)


F = _Functional()
OPS = {
    "cumsum": lambda t: ember.cumsum(t, 1), "cumprod": lambda t: ember.cumprod(t, 1),
    "cummax": lambda t: ember.cummax(t, 1)[0], "logcumsumexp": lambda t: ember.logcumsumexp(t, 1),
    "prod": lambda t: ember.prod(t, 1), "sum": lambda t: t.sum(), "mean": lambda t: t.mean(1),
    "std": lambda t: t.std(), "var": lambda t: t.var(1), "var_mean": lambda t: ember.var_mean(t)[0],
    "softmax": lambda t: t.softmax(1), "log_softmax": lambda t: t.log_softmax(1),
    "logsumexp": lambda t: t.logsumexp(1), "norm": lambda t: t.norm(), "exp": lambda t: t.exp(),
    "log": lambda t: t.log(), "sqrt": lambda t: t.sqrt(), "div0": lambda t: t / 0,
    "sub": lambda t: t - t, "pow": lambda t: t ** 0.5, "sin": lambda t: t.sin(),
    "atanh": lambda t: t.atanh(), "acos": lambda t: t.acos(), "rsqrt": lambda t: t.rsqrt(),
    "sigmoid": lambda t: t.sigmoid(), "erfinv": lambda t: t.erfinv(),
    "lgamma": lambda t: t.lgamma(), "remainder": lambda t: t.remainder(0.0),
    "floor_divide": lambda t: t.div(0.0, rounding_mode="floor"), "matmul": lambda t: t @ t.T,
    "cdist": lambda t: ember.cdist(t, t), "normalize": lambda t: F.normalize(t),
    "layer_norm": lambda t: F.layer_norm(t, (21,)),
    "cosine_similarity": lambda t: F.cosine_similarity(t, t),
    "cross_entropy": lambda t: F.cross_entropy(t, ember.tensor([0])),
    "kl_div": lambda t: F.kl_div(t, t, reduction="sum"),
    "xlogy": lambda t: ember.xlogy(t, t), "logit": lambda t: t.logit(),
    "gelu": lambda t: F.gelu(t), "mish": lambda t: F.mish(t), "softplus": lambda t: F.softplus(t),
    "logaddexp": lambda t: ember.logaddexp(t, t), "hypot": lambda t: ember.hypot(t, t),
    "atan2": lambda t: ember.atan2(t, t), "conv1d": lambda t: F.conv1d(t[None], t[None, :, :3]),
    "max_pool1d": lambda t: F.max_pool1d(t, 2), "batch_norm": lambda t: F.batch_norm(
        t.reshape(3, 7), None, None, training=True),
    "vector_norm": lambda t: ember.linalg.vector_norm(t), "norm_dim": lambda t: t.norm(dim=1),
    "matrix_norm": lambda t: ember.linalg.matrix_norm(t), "glu": lambda t: F.glu(t[:, :20]),
    "cosine_similarity_big": lambda t: F.cosine_similarity(t * 1e30, t),
    "normalize_big": lambda t: F.normalize(t * 1e30), "softshrink": lambda t: F.softshrink(t),
    "cross_entropy_probs": lambda t: F.cross_entropy(t * 1e30, t.detach().softmax(1)),
    "fft": lambda t: ember.fft.fft(t).abs(), "rfft": lambda t: ember.fft.rfft(t).abs(),
    "irfft": lambda t: ember.fft.irfft(t), "hfft": lambda t: ember.fft.hfft(t),
}


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_no_floating_point_warnings(name, dtype):
    x = np.array([[1.0, np.inf, -np.inf, np.nan, 2.0, 0.0, -1.0] * 3], dtype=dtype)
    if name in ("layer_norm", "glu") or name.startswith(("conv", "max_pool", "batch")):
        pass
    elif "big" in name or "norm" in name or name == "cross_entropy_probs":
        x[0, 4] = 1e30 if dtype == "float32" else 1e300  # squares overflow
    t = ember.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        y = OPS[name](t)
        y.sum().backward()
    assert t.grad is not None and t.grad.shape == t.shape
