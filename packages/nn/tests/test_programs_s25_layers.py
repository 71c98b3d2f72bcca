"""Session 25 (lane G): small programs over the nn layer zoo run under PyTorch and Ember, and
the differences they found: max unpooling's words for non-int64 indices (and their order after
the output_size checks), a functional convolution's words for a weight of other dims,
reflection padding's order of checks and words for negative padding,
1-d power-average pooling's refusal of a tuple kernel,
softshrink's negative lambda printed as C++ prints it, CELU's alpha=0
words, and the old ``weight_norm``'s FutureWarning shown once per process.

Every test computes PyTorch's result in the test and compares.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _programs import run

import ember

torch = pytest.importorskip("torch")


def _outcome(fn):
    """What ``fn()`` printed: its value, or its exception's type and words."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the error itself is the outcome
        return type(e).__name__, str(e)


def _same_outcome(fn) -> None:
    """``fn(L)`` ends the same way under PyTorch and Ember."""
    assert _outcome(lambda: fn(ember)) == _outcome(lambda: fn(torch))


# ------------------------------------------------------------------ max unpooling
_UNPOOL = [  # (d, input shape, indices shape, indices dtype, output_size)
    (2, (1, 1, 2, 2), (1, 1, 2, 2), "float32", [9, 9]),  # output_size words come first
    (2, (1, 1, 2, 2), (1, 1, 2, 3), "float32", [9, 9]),
    (2, (1, 1, 2, 2), (1, 1, 2, 3), "float32", None),  # then the dtype, then the shape
    (2, (1, 1, 2, 2), (1, 1, 2, 2), "int32", None),
    (2, (1, 0, 2, 2), (1, 0, 2, 2), "int32", None),
    (2, (1, 1, 2, 2), (1, 1, 2, 2), "float16", None),
    (3, (1, 1, 2, 2, 2), (1, 1, 2, 2, 2), "int32", [9, 9, 9]),
    (3, (1, 1, 2, 2, 2), (1, 1, 2, 2, 1), "int32", None),  # 3-d words name no dtype
    (1, (1, 1, 2), (1, 1, 2), "float64", None),  # 1-d runs the 2-d kernel
    (1, (1, 1, 2), (1, 1, 2), "bool", None),
    (2, (1, 1, 2, 2), (1, 1, 2, 3), "int64", None),
]


@pytest.mark.parametrize("d,xs,js,dt,size", _UNPOOL)
def test_max_unpool_index_dtype_words(d, xs, js, dt, size) -> None:
    """Non-int64 indices: PyTorch's 'elements in indices should be type int64' words, after
    the Python-side output_size checks and before the shape check."""
    def fn(L):
        x = L.ones(xs)
        j = L.zeros(js, dtype=getattr(L, dt))
        return getattr(L.nn.functional, f"max_unpool{d}d")(x, j, 2, output_size=size)

    _same_outcome(fn)


def test_max_unpool_module_float_indices() -> None:
    """The module path: ``nn.MaxUnpool1d`` with float indices."""
    _same_outcome(lambda L: L.nn.MaxUnpool1d(2)(L.randn(1, 1, 2), L.zeros(1, 1, 2)))


# ------------------------------------------------------------------ convolution weights
_WEIGHT_DIMS = [  # (op, input shape, weight shape, keyword arguments)
    ("conv2d", (1, 2, 5, 5), (2, 2, 3), {}),  # the stride's length named first
    ("conv2d", (1, 2, 5, 5), (2, 2, 3, 3, 3), {}),
    ("conv2d", (2, 5, 5), (2, 2, 3), {}),
    ("conv2d", (1, 2, 5, 5), (2, 2, 3), {"stride": (2, 1)}),
    ("conv2d", (1, 2, 5, 5), (2, 2, 3), {"padding": "valid"}),
    ("conv2d", (1, 2, 5, 5), (2, 2, 3), {"padding": "same"}),  # its own words
    ("conv2d", (1, 2, 5, 5), (2, 2, 3, 3, 3), {"padding": "same"}),
    ("conv2d", (1, 2, 5, 5), (2, 2, 3), {"groups": 0}),
    ("conv2d", (1, 2, 5, 5), (2, 2), {}),  # fewer than three dims
    ("conv2d", (1, 2, 5, 5), (2,), {"groups": 0}),
    ("conv2d", (5, 5), (2, 2, 3), {}),  # the input's dims first
    ("conv1d", (2, 5, 5), (2, 2, 3, 3), {}),  # a one-long stride spreads: the input words
    ("conv1d", (5, 5), (2, 2, 3, 3), {"stride": (1,)}),
    ("conv3d", (1, 2, 5, 5), (2, 2, 3, 3), {"stride": 2}),
    ("conv_transpose1d", (2, 5, 5), (2, 2, 3, 3), {"stride": 2}),
    ("conv_transpose3d", (1, 2, 5, 5), (2, 2, 3, 3), {"stride": (2, 1, 1)}),
]


@pytest.mark.parametrize("op,xs,ws,kw", _WEIGHT_DIMS)
def test_conv_weight_of_other_dims_words(op, xs, ws, kw) -> None:
    """A functional convolution given a weight of the wrong number of dims refuses with
    PyTorch's words, in PyTorch's order of checks."""
    _same_outcome(lambda L: getattr(L.nn.functional, op)(L.ones(xs), L.ones(ws), **kw))


# ------------------------------------------------------------------ power-average pooling
@pytest.mark.parametrize("k", [(3,), [2], 2])
def test_lp_pool1d_sequence_kernel(k) -> None:
    """PyTorch's 1-d power-average pool multiplies its output by ``kernel_size`` itself, so a
    tuple or list kernel is refused by ``mul`` (an int one runs)."""
    x = np.abs(np.random.default_rng(0).standard_normal((2, 2, 7))).astype(np.float32)
    _same_outcome(lambda L: L.nn.LPPool1d(2, k)(L.from_numpy(x)).detach().numpy().round(5)
                  .tolist())


# ------------------------------------------------------------------ reflection padding
_REFLECT = [  # (input shape, pad)
    ((4, 2, 2, 3), (-1, 3, 0, -2, 4, 3)),  # two dims too small: the last one named first
    ((4, 3, 3, 3), (-1, -2, 2, 4, -2, 3)),
    ((1, 3, 1), (-1, 1, 4, -2)),
    ((3, 3, 4, 4, 2), (-2, -2, 2, -2, 1, 1)),  # 3-d: a negative output size
    ((3, 3, 4, 4, 2), (1, 1, 0, 0, -3, -3)),
    ((3, 3, 4, 4, 2), (1, 1, 0, 0, -2, -2)),  # an empty output is allowed
    ((3, 4, 4, 2), (-2, -2, -3, -3, -4, -4)),  # every output size < 1: "too small"
    ((3, 4, 2), (-1, -1, -2, -2)),
    ((3, 3, 4, 2), (-2, -2, 1, 1)),  # 2-d: its numel words
]


@pytest.mark.parametrize("shape,pad", _REFLECT)
def test_reflect_pad_negative_and_too_large_words(shape, pad) -> None:
    """``F.pad(mode='reflect')`` refuses as PyTorch: the last dim's too-large padding is named
    first; negative padding gives the 2-d/3-d kernels' own words (or an empty result)."""
    _same_outcome(lambda L: tuple(L.nn.functional.pad(L.ones(shape), pad, mode="reflect")
                                  .shape))


# ------------------------------------------------------------------ activations' words
@pytest.mark.parametrize("lambd,dt", [(-1.0, "float32"), (-0.25, "float32"),
                                      (-1e-7, "float64"), (-3.0, "float64")])
def test_softshrink_negative_lambda_words(lambd: float, dt: str) -> None:
    """The lambda printed as C++ prints a double (``-1``, not ``-1.0``)."""
    _same_outcome(lambda L: L.nn.Softshrink(lambd)(L.randn(2, dtype=getattr(L, dt))))


def test_celu_alpha_zero_words() -> None:
    """``CELU(0.)`` refuses with PyTorch's full words."""
    _same_outcome(lambda L: L.nn.CELU(0.0)(L.randn(2)))
    _same_outcome(lambda L: L.nn.functional.celu(L.randn(2), 0.0))


# ------------------------------------------------------------------ old weight_norm
def test_old_weight_norm_warns_once_per_process() -> None:
    """PyTorch's FutureWarning comes from inside the library, so the default filter shows it
    once however many lines call ``weight_norm``."""
    def count(L):
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("default")
            L.nn.utils.weight_norm(L.nn.Linear(2, 2))
            L.nn.utils.weight_norm(L.nn.Linear(3, 2))
        return [w.category.__name__ for w in got]

    assert count(ember) == count(torch) == ["FutureWarning"]


# ------------------------------------------------------------------ whole programs
def _layer_zoo(L):
    """A small net from many layer families, one SGD step, and what a user prints."""
    nn, F = L.nn, L.F
    L.torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding="same", padding_mode="reflect"), nn.GroupNorm(2, 4),
        nn.Hardswish(), nn.MaxPool2d(2, ceil_mode=True), nn.Conv2d(4, 4, 3, groups=2, bias=False),
        nn.InstanceNorm2d(4, affine=True), nn.CELU(0.5), nn.Upsample(scale_factor=1.5,
                                                                      mode="bilinear"),
        nn.ReplicationPad2d(1), nn.LPPool2d(2, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(4, 3))
    opt = L.optim.SGD(net.parameters(), lr=0.1)
    x = L.torch.randn(3, 1, 9, 9)
    y = L.torch.tensor([0, 1, 2])
    out = []
    for _ in range(2):
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(f"{loss.item():.4f}")
    out.append(repr(net))
    out.append(list(net.state_dict()))
    out.append(net[0].weight.grad)
    return out


def _unpool_program(L):
    """Max pooling with indices, unpooling back, and the errors of bad indices."""
    nn = L.nn
    L.torch.manual_seed(1)
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    x = L.torch.randn(1, 2, 4, 5)
    o, i = pool(x)
    out = [o, i, unpool(o, i), unpool(o, i, output_size=x.size())]
    out.append(_outcome(lambda: unpool(o, i.float())))
    out.append(_outcome(lambda: unpool(o, i.int(), output_size=[9, 9])))
    return out


def test_program_layer_zoo() -> None:
    run(_layer_zoo, torch)


def test_program_unpool() -> None:
    run(_unpool_program, torch)

