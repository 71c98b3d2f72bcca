"""Session 23: ``nn.functional`` under a differential fuzzer (random shapes, layouts, dtypes
and keyword arguments against PyTorch), and the differences it exposed: negative ``pad``
entries that leave a dimension of size < 1, max-pool padding over half the undilated kernel
and negative pool padding, empty spatial inputs to convolutions, empty batches to
transposed convolutions, complex inputs to pools and norms, integer transposed
convolutions, and the layout of pool gradients.

Every test runs the same inputs through torch and Ember and compares values, dtypes,
strides or the error type and message with torch's.
"""

from __future__ import annotations

import numpy as np
import pytest
from _programs import raises_same

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _np(t: object) -> np.ndarray:
    return t.detach().numpy()


def _same_error(run: object) -> None:
    """``run(lib, F)`` raises the same exception type and message under torch and Ember."""
    raises_same(lambda: run(torch, F), lambda: run(ember, EF), size_as_ember=False)


def _both(run: object, *arrays: np.ndarray) -> None:
    """``run(lib, F, *tensors)``: same shape, dtype and values, and (float64 inputs) same
    gradients of a weighted sum of a non-empty result, with the same contiguity."""
    res = []
    for lib, fn in ((torch, F), (ember, EF)):
        ts = [lib.tensor(a, requires_grad=a.dtype == np.float64) for a in arrays]
        y = run(lib, fn, *ts)
        gs = []
        if y.requires_grad and y.numel():  # (PyTorch leaves empty-circular grads unset)
            w = lib.tensor(np.cos(np.arange(y.numel()) * 0.7).reshape(tuple(y.shape)))
            gs = lib.autograd.grad((y * w.to(y.dtype)).sum(), ts)
        res.append((y, gs))
    (ty, tg), (ey, eg) = res
    assert tuple(ey.shape) == tuple(ty.shape)
    assert str(ey.dtype).split(".")[-1] == str(ty.dtype).split(".")[-1]
    assert ey.is_contiguous() == ty.is_contiguous()
    np.testing.assert_allclose(_np(ey), _np(ty), rtol=1e-12, atol=1e-12)
    assert len(eg) == len(tg)
    for e, t in zip(eg, tg):
        assert e.is_contiguous() == t.is_contiguous()
        np.testing.assert_allclose(_np(e), _np(t), rtol=1e-12, atol=1e-12)


_RNG = np.random.default_rng(23)


def _x(*shape: int) -> np.ndarray:
    return _RNG.standard_normal(shape)


# ------------------------------------------------------------------ pad with negative entries
@pytest.mark.parametrize("mode,shape,pads", [
    ("reflect", (1, 1, 4), (-2, -2)),
    ("reflect", (1, 1, 4), (-3, -3)),
    ("reflect", (2, 5, 1), (-2, -1)),
    ("reflect", (1, 1, 3), (-2, 4)),
    ("reflect", (1, 1, 3), (4, -2)),
    ("reflect", (1, 1, 3, 4), (-3, -3, 0, 0)),
    ("replicate", (1, 1, 4), (-2, -2)),
    ("replicate", (1, 2, 3), (-3, -1)),
    ("replicate", (1, 1, 3, 4), (0, 0, -2, -1)),
    ("replicate", (1, 1, 3, 4), (-3, -1, 0, 0)),
    ("replicate", (2, 5, 2, 1), (3, 2, -2, 0)),
    ("replicate", (1, 1, 2, 3, 4), (0, 0, 0, 0, -1, -1)),
    ("replicate", (1, 1, 2, 3, 4), (-2, -2, 0, 0, 0, 0)),
    ("circular", (1, 1, 4), (-3, -3)),
    ("circular", (1, 5, 1), (-2, -1)),
    ("circular", (2, 1, 1, 3), (2, 1, -2, 2)),
    ("circular", (1, 1, 1), (-2, 3)),
    ("circular", (1, 1, 3, 4), (-3, -3, 0, 0)),
])
def test_negative_pad_leaving_no_elements_errors(mode: str, shape: tuple, pads: tuple) -> None:
    _same_error(lambda m, F: F.pad(m.zeros(shape), pads, mode=mode))


@pytest.mark.parametrize("mode,shape,pads", [
    ("reflect", (1, 1, 3, 4), (0, 0, -2, -1)),
    ("reflect", (1, 1, 3, 4), (-3, -1, 0, 0)),
    ("reflect", (1, 1, 2, 3, 4), (-2, -2, 0, 0, 0, 0)),
    ("circular", (1, 1, 4), (-2, -2)),
    ("circular", (1, 1, 3, 4), (0, 0, -2, -1)),
    ("circular", (1, 1, 2, 3, 4), (-2, -2, 0, 0, 0, 0)),
    ("circular", (2, 3, 4), (-1, 2)),
    ("reflect", (2, 3, 5), (-2, 1)),
    ("replicate", (2, 3, 4, 5), (-1, 3, 2, -2)),
])
def test_negative_pad_results_as_pytorch(mode: str, shape: tuple, pads: tuple) -> None:
    # the empty results PyTorch allows, and crops that keep elements
    _both(lambda m, F, x: F.pad(x, pads, mode=mode), _x(*shape))


# ------------------------------------------------------------------ pool padding checks
@pytest.mark.parametrize("op,shape,k,kw", [
    ("max_pool1d", (2, 1, 4), 3, dict(padding=2, dilation=2)),
    ("max_pool1d", (2, 1, 4), 3, dict(padding=2, dilation=2, return_indices=True)),
    ("max_pool1d", (1, 1, 5), 3, dict(padding=-1)),
    ("max_pool1d", (1, 1, 5), 3, dict(padding=-1, return_indices=True)),
    ("max_pool2d", (2, 1, 4, 3), 3, dict(padding=(2, 1), dilation=(2, 1))),
    ("max_pool2d", (2, 1, 4, 4), 3, dict(padding=(0, 2), dilation=2)),
    ("max_pool2d", (1, 1, 5, 5), (3, 2), dict(padding=(1, 2), dilation=2)),
    ("max_pool2d", (1, 1, 5, 5), (3, 2), dict(padding=(1, -1))),
    ("max_pool2d", (2, 1, 4, 4), 3, dict(padding=2, return_indices=True)),
    ("max_pool3d", (1, 1, 4, 4, 4), 3, dict(padding=2, dilation=2)),
    ("max_pool3d", (1, 1, 4, 4, 4), 2, dict(padding=2, dilation=3)),
    ("max_pool3d", (1, 1, 5, 5, 5), (3, 3, 1), dict(padding=(1, 2, 0), dilation=3)),
    ("max_pool3d", (1, 1, 5, 5, 5), (3, 2, 1), dict(padding=(1, 1, 1), return_indices=True)),
    ("avg_pool2d", (1, 1, 5, 5), 3, dict(padding=-1)),
    ("avg_pool3d", (1, 1, 5, 5, 5), 3, dict(padding=2)),
])
def test_pool_padding_errors(op: str, shape: tuple, k: object, kw: dict) -> None:
    _same_error(lambda m, F: getattr(F, op)(m.zeros(shape), k, **kw))


@pytest.mark.parametrize("op,shape,k,kw", [
    ("max_pool2d", (1, 2, 7, 5), 3, dict(padding=1)),
    ("max_pool3d", (2, 1, 3, 7, 2), (2, 3, 1), dict(stride=2, ceil_mode=True)),
    ("avg_pool2d", (1, 2, 7, 5), 2, dict(ceil_mode=True)),
    ("avg_pool1d", (2, 3, 7), 3, dict(padding=1, count_include_pad=False)),
    ("max_pool1d", (2, 3, 2), 3, dict(ceil_mode=True, padding=1)),
])
def test_padded_pool_gradient_is_c_ordered(op: str, shape: tuple, k: object, kw: dict) -> None:
    _both(lambda m, F, x: getattr(F, op)(x, k, **kw), _x(*shape))


# ------------------------------------------------------------------ dtypes pools/norms refuse
@pytest.mark.parametrize("call", [
    lambda m, F: F.max_pool2d(m.zeros(2, 3, 4, 4, dtype=m.complex64), 2),
    lambda m, F: F.max_pool1d(m.zeros(2, 3, 4, dtype=m.complex64), 2),
    lambda m, F: F.max_pool1d(m.zeros(2, 3, 4, dtype=m.complex64), 2, return_indices=True),
    lambda m, F: F.max_pool3d(m.zeros(1, 2, 4, 4, 4, dtype=m.complex64), 2),
    lambda m, F: F.avg_pool1d(m.zeros(2, 3, 4, dtype=m.complex64), 2),
    lambda m, F: F.avg_pool2d(m.zeros(2, 3, 4, 4, dtype=m.complex64), 2),
    lambda m, F: F.avg_pool3d(m.zeros(1, 2, 4, 4, 4, dtype=m.complex64), 2),
    lambda m, F: F.lp_pool2d(m.zeros(2, 3, 4, 4, dtype=m.complex64), 2, 2),
    lambda m, F: F.adaptive_max_pool1d(m.zeros(2, 3, 4, dtype=m.complex64), 2),
    lambda m, F: F.adaptive_max_pool2d(m.zeros(2, 3, 4, 4, dtype=m.complex64), 2),
    lambda m, F: F.adaptive_max_pool3d(m.zeros(1, 2, 4, 4, 4, dtype=m.complex64), 2),
    lambda m, F: F.group_norm(m.zeros(2, 3, 4, dtype=m.complex64), 3),
    lambda m, F: F.group_norm(m.zeros(2, 3, 4, dtype=m.int64), 3),
    lambda m, F: F.batch_norm(m.zeros(2, 3, 4, dtype=m.complex64), None, None, training=True),
    lambda m, F: F.instance_norm(m.zeros(2, 3, 4, dtype=m.complex128)),
    lambda m, F: F.instance_norm(m.zeros(2, 3, 4, dtype=m.int32)),
    lambda m, F: F.conv_transpose1d(m.zeros(1, 2, 3, dtype=m.int32),
                                    m.zeros(2, 2, 2, dtype=m.int32)),
    lambda m, F: F.conv_transpose1d(m.zeros(2, 3, dtype=m.int8), m.zeros(2, 2, 2, dtype=m.int8)),
    lambda m, F: F.conv_transpose2d(m.zeros(1, 2, 3, 3, dtype=m.uint8),
                                    m.zeros(2, 2, 2, 2, dtype=m.uint8)),
    lambda m, F: F.conv_transpose3d(m.zeros(1, 2, 3, 3, 3, dtype=m.int16),
                                    m.zeros(2, 2, 2, 2, 2, dtype=m.int16)),
])
def test_unsupported_dtypes_raise_as_pytorch(call: object) -> None:
    _same_error(call)


@pytest.mark.parametrize("dtype", ["int64", "int8"])
def test_integer_transposed_convolution_that_runs(dtype: str) -> None:
    # int64 has a kernel; an empty batch of any integer type runs no kernel at all
    batch = 2 if dtype == "int64" else 0
    x = _RNG.integers(-3, 4, (batch, 2, 3, 3)).astype(dtype)
    w = _RNG.integers(-3, 4, (2, 3, 2, 2)).astype(dtype)
    t = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=2)
    e = EF.conv_transpose2d(ember.tensor(x), ember.tensor(w), stride=2)
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    np.testing.assert_array_equal(e.numpy(), t.numpy())


# ------------------------------------------------------------------ empty convolution inputs
@pytest.mark.parametrize("call", [
    lambda m, F: F.conv1d(m.zeros(2, 1, 0), m.ones(1, 1, 1), padding=1),
    lambda m, F: F.conv1d(m.zeros(1, 0), m.ones(1, 1, 1), padding=1),
    lambda m, F: F.conv2d(m.zeros(2, 1, 0, 3), m.ones(1, 1, 1, 1), padding=1),
    lambda m, F: F.conv3d(m.zeros(1, 1, 2, 0, 2), m.ones(1, 1, 1, 1, 1), padding=1),
    lambda m, F: F.conv_transpose1d(m.zeros(2, 1, 0, dtype=m.float64), m.ones(1, 1, 2,
                                                                             dtype=m.float64)),
    lambda m, F: F.conv_transpose1d(m.zeros(1, 2, 0), m.ones(2, 2, 3), stride=2, padding=1,
                                    dilation=2),
    lambda m, F: F.conv_transpose2d(m.zeros(2, 1, 0, 3), m.ones(1, 1, 2, 2)),
    lambda m, F: F.conv_transpose3d(m.zeros(1, 1, 2, 0, 2), m.ones(1, 1, 1, 1, 1)),
    # an empty batch runs no kernel: only an output size below zero is refused
    lambda m, F: F.conv_transpose1d(m.zeros(0, 1, 2), m.ones(1, 1, 1), padding=3),
    lambda m, F: F.conv_transpose2d(m.zeros(0, 1, 2, 4), m.ones(1, 1, 1, 1), padding=(0, 3)),
    # PyTorch's 1-d transposed convolution words its sizes as 2-d
    lambda m, F: F.conv_transpose1d(m.zeros(2, 1, 2, dtype=m.float64),
                                    m.ones(1, 1, 1, dtype=m.float64), padding=1),
    lambda m, F: F.conv_transpose1d(m.zeros(1, 2), m.ones(1, 1, 1), padding=1),
])
def test_empty_convolution_input_errors(call: object) -> None:
    _same_error(call)


@pytest.mark.parametrize("d,xs,ws,kw", [
    (1, (0, 1, 6), (1, 1, 2), dict(output_padding=1)),
    (1, (0, 2, 2), (2, 1, 2), dict(stride=2, padding=2, groups=2)),
    (2, (0, 2, 5, 1), (2, 2, 3, 1), dict(output_padding=1)),
    (2, (0, 1, 4, 1), (1, 2, 2, 2), dict(stride=(2, 1), padding=1)),
    (3, (0, 2, 3, 6, 5), (2, 2, 1, 2, 1), dict(stride=(2, 1, 2), padding=(2, 1, 1),
                                                output_padding=1)),
])
def test_transposed_convolution_of_an_empty_batch(d: int, xs: tuple, ws: tuple,
                                                  kw: dict) -> None:
    # PyTorch checks neither output_padding nor a zero output size without samples
    _both(lambda m, F, x, w: getattr(F, f"conv_transpose{d}d")(x, w, **kw), _x(*xs), _x(*ws))


# ------------------------------------------------------------------ argument-check wordings
@pytest.mark.parametrize("call", [
    lambda m, F: F.conv1d(m.zeros(1, 2, 4), m.zeros(3, 2, 2), dilation=0),
    lambda m, F: F.conv1d(m.zeros(2, 4), m.zeros(3, 2, 2), dilation=0),
    lambda m, F: F.conv2d(m.zeros(1, 2, 4, 4), m.zeros(3, 2, 2, 2), dilation=(0, 1)),
    lambda m, F: F.conv2d(m.zeros(1, 2, 4, 4), m.zeros(3, 2, 2, 2), dilation=(0, -1)),
    lambda m, F: F.conv3d(m.zeros(1, 2, 4, 4, 4), m.zeros(3, 2, 2, 2, 2), dilation=(1, 0, 1)),
    lambda m, F: F.conv_transpose1d(m.zeros(1, 2, 4), m.zeros(2, 3, 2), dilation=0),
    lambda m, F: F.conv_transpose2d(m.zeros(2, 4, 4), m.zeros(2, 3, 2, 2), dilation=0),
    lambda m, F: F.conv_transpose2d(m.zeros(1, 2, 4, 4), m.zeros(2, 3, 2, 2), dilation=-1),
    lambda m, F: F.conv_transpose3d(m.zeros(1, 2, 4, 4, 4), m.zeros(2, 3, 2, 2, 2),
                                    dilation=(1, 0, 1)),
    lambda m, F: F.conv2d(m.zeros(1, 2, 4, 4), m.zeros(3, 2, 2, 2), dilation=0, padding=-1),
    lambda m, F: F.conv2d(m.zeros(1, 2, 4, 4), m.zeros(3, 2, 2, 2), stride=0, padding=-1),
    lambda m, F: F.conv2d(m.zeros(1, 2, 4, 4), m.zeros(3, 2, 2, 2), stride=0, dilation=0),
    lambda m, F: F.conv2d(m.zeros(1, 4, 4, 4), m.zeros(2, 2, 2, 2), groups=4),
    lambda m, F: F.conv2d(m.zeros(1, 4, 4, 4), m.zeros(3, 2, 2, 2), groups=2),
    lambda m, F: F.conv_transpose2d(m.zeros(1, 2, 4, 4), m.zeros(2, 3, 2, 2), groups=3),
    lambda m, F: F.max_pool1d(m.zeros(1, 2, 6), (2, 2)),
    lambda m, F: F.max_pool1d(m.zeros(1, 2, 6), 2, stride=(1, 1)),
    lambda m, F: F.max_pool1d(m.zeros(1, 2, 6), 2, padding=(1, 1)),
    lambda m, F: F.max_pool1d(m.zeros(1, 2, 6), 2, dilation=(1, 1)),
    lambda m, F: F.max_pool1d(m.zeros(1, 2, 6), 2, stride=(1, 1), return_indices=True),
    lambda m, F: F.avg_pool1d(m.zeros(1, 2, 6), 2, padding=(0, 0)),
    lambda m, F: F.max_pool2d(m.zeros(1, 2, 4, 4), 2, stride=(1, 1, 1)),
    lambda m, F: F.max_pool2d(m.zeros(1, 2, 4, 4), 2, dilation=(1, 1, 1), return_indices=True),
    lambda m, F: F.max_pool3d(m.zeros(1, 2, 4, 4, 4), 2, stride=(1, 1)),
    lambda m, F: F.avg_pool2d(m.zeros(1, 2, 4, 4), (2, 2, 2)),
    lambda m, F: F.avg_pool3d(m.zeros(1, 2, 4, 4, 4), 2, stride=(1, 1)),
    lambda m, F: F.avg_pool3d(m.zeros(1, 2, 4, 4, 4), 2, padding=(1, 1)),
    lambda m, F: F.lp_pool2d(m.zeros(1, 2, 4, 4), 2, 2, stride=(1, 1, 1)),
    lambda m, F: F.adaptive_avg_pool1d(m.zeros(1, 2, 4), (2, 2)),
    lambda m, F: F.adaptive_avg_pool1d(m.zeros(2, 4), -2),
    lambda m, F: F.adaptive_avg_pool2d(m.zeros(2, 4, 4), (2, -3)),
    lambda m, F: F.adaptive_avg_pool3d(m.zeros(1, 2, 4, 4, 4), (2, -1, 3)),
    lambda m, F: F.adaptive_max_pool1d(m.zeros(1, 2, 4), [2, 2, 3]),
    lambda m, F: F.adaptive_max_pool1d(m.zeros(1, 2, 4), -1),
    lambda m, F: F.adaptive_max_pool2d(m.zeros(2, 4, 4), (2, -3)),
    lambda m, F: F.adaptive_max_pool3d(m.zeros(1, 2, 4, 4, 4), (2, -1, 3)),
])
def test_bad_convolution_and_pool_arguments_worded_as_pytorch(call: object) -> None:
    _same_error(call)


# ------------------------------------------------------------------ feature dropout draws
@pytest.mark.parametrize("op,shape,how", [
    ("feature_alpha_dropout", (5, 3), "transposed"),
    ("feature_alpha_dropout", (4, 6), "transposed_inplace"),
    ("dropout1d", (4, 3, 1), "transposed"),
    ("dropout2d", (4, 3, 1, 1), "channels_last"),
    ("feature_alpha_dropout", (4, 3, 1, 1), "channels_last"),
])
def test_feature_dropout_of_a_permuted_input_under_seed(op: str, shape: tuple, how: str) -> None:
    # PyTorch draws feature noise into a new C-ordered (N, C, 1, ...) tensor, whatever the
    # input's memory order (it is not an ``empty_like`` of the input)
    x = _x(*shape)
    outs = []
    for lib, fn in ((torch, F), (ember, EF)):
        if how.startswith("transposed"):
            t = lib.tensor(np.ascontiguousarray(np.swapaxes(x, 0, 1))).transpose(0, 1)
        else:
            t = lib.tensor(x).contiguous(memory_format=lib.channels_last)
        lib.manual_seed(495)
        inplace = how.endswith("inplace")
        outs.append(getattr(fn, op)(t, 0.5, training=True, inplace=inplace))
    np.testing.assert_allclose(_np(outs[1]), _np(outs[0]), rtol=1e-12, atol=0)


# ------------------------------------------------------------------ a seeded fuzz
def _fuzz_case(rng: np.random.Generator) -> tuple:
    """A random convolution, pool or pad program: (name, run(lib, F, x, w), x, w)."""
    d = int(rng.integers(1, 4))
    sp = tuple(int(v) for v in rng.integers(3, 7, d))
    n, c = int(rng.integers(0, 3)), int(rng.choice([1, 2, 4]))
    x = rng.standard_normal((n, c) + sp)
    kind = ("conv", "conv_transpose", "max_pool", "avg_pool", "pad")[int(rng.integers(0, 5))]
    k = tuple(int(v) for v in rng.integers(1, 4, d))
    stride = tuple(int(v) for v in rng.integers(1, 3, d))
    if kind in ("conv", "conv_transpose"):
        g = int(rng.choice([1, c]))
        kw = dict(stride=stride, groups=g, dilation=int(rng.integers(1, 3)),
                  padding=int(rng.integers(0, 2)))
        if kind == "conv_transpose":
            kw["output_padding"] = int(rng.integers(0, 2))
        w = rng.standard_normal((c, 1 if g > 1 else 2) + k) if kind == "conv_transpose" \
            else rng.standard_normal((2 * g if g > 1 else 2, c // g) + k)
        return (f"{kind}{d}d {kw}",
                lambda m, F, x, w: getattr(F, f"{kind}{d}d")(x, w, **kw), x, w)
    if kind == "pad":
        mode = ("constant", "reflect", "replicate", "circular")[int(rng.integers(0, 4))]
        pads = tuple(int(v) for v in rng.integers(-2, 3, 2 * d))
        return f"pad {pads} {mode}", lambda m, F, x, w: F.pad(x, pads, mode=mode), x, None
    kw = dict(stride=stride, ceil_mode=bool(rng.integers(0, 2)),
              padding=tuple(int(rng.integers(0, kk // 2 + 1)) for kk in k))
    if kind == "max_pool":
        kw["return_indices"] = bool(rng.integers(0, 2))
    else:
        kw["count_include_pad"] = bool(rng.integers(0, 2))
    return (f"{kind}{d}d {k} {kw}",
            lambda m, F, x, w: getattr(F, f"{kind}{d}d")(x, k, **kw), x, None)


def test_seeded_fuzz_of_convolutions_pools_and_pads() -> None:
    rng = np.random.default_rng(2023)
    for _ in range(120):
        name, run, x, w = _fuzz_case(rng)
        res = []
        for lib, fn in ((torch, F), (ember, EF)):
            xt = lib.tensor(x, requires_grad=True)
            wt = None if w is None else lib.tensor(w, requires_grad=True)
            try:
                y = run(lib, fn, xt, wt)
            except Exception as exc:  # noqa: BLE001 - compared with PyTorch's below
                res.append(type(exc))
                continue
            y = y[0] if isinstance(y, tuple) else y
            ins = [t for t in (xt, wt) if t is not None]
            wts = lib.tensor(np.cos(np.arange(y.numel()) * 0.3).reshape(tuple(y.shape)))
            gs = lib.autograd.grad((y * wts).sum(), ins) if y.numel() else ()
            res.append((_np(y), [_np(g) for g in gs]))
        t, e = res
        if isinstance(t, type) or isinstance(e, type):
            assert t is e, (name, t, e)
            continue
        assert t[0].shape == e[0].shape, name
        np.testing.assert_allclose(e[0], t[0], rtol=1e-10, atol=1e-12, err_msg=name)
        for a, b in zip(e[1], t[1]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=name)
