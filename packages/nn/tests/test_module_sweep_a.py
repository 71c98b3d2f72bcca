"""Module sweep (conv, pooling, norms, activations, dropout, padding, reshaping): each module
is built in PyTorch and Ember from the same seed with non-default constructor arguments, and
compared on construction numbers, repr, state_dict, outputs and gradients (train and eval,
float32 and float64, batched and unbatched inputs), with the same random masks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close

_TOL = {"float32": (1e-4, 2e-5), "float64": (1e-7, 1e-9)}


def _build(lib: Any, expr: str, seed: int) -> Any:
    lib.manual_seed(seed)
    return eval(expr, {"nn": lib.nn, "torch": lib})


def _flat(o: Any) -> list:
    return [t for v in o for t in _flat(v)] if isinstance(o, (tuple, list)) else [o]


def sweep(torch: Any, expr: str, shapes: list, *, dtypes: tuple = ("float32", "float64"),
          lazy: bool = False, seed: int = 0) -> None:
    """Compare the module ``expr`` (``nn.`` is torch.nn or ember.nn) on inputs of ``shapes``
    (a shape, or a list of shapes for several inputs)."""
    for dt in dtypes:
        tm, em = _build(torch, expr, seed), _build(ember, expr, seed)
        assert repr(em) == repr(tm).replace("torch.", "ember.")
        tsd, esd = tm.state_dict(), em.state_dict()
        assert list(esd) == list(tsd)
        assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
        if not lazy:  # reset_parameters draws the same numbers from the same seed
            for k in tsd:
                assert_close(esd[k], tsd[k], msg=f"initial {k}")
        if dt == "float64":
            tm.double()
            em.double()
        rtol, atol = _TOL[dt]
        rng = np.random.default_rng(seed)
        for mode in (True, False):
            tm.train(mode)
            em.train(mode)
            for shape in shapes:
                arrays = [rng.standard_normal(s).astype(dt)
                          for s in (shape if isinstance(shape, list) else [shape])]
                t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
                e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
                tm.zero_grad()
                em.zero_grad()
                torch.manual_seed(seed + 1)
                t_out = _flat(tm(*t_in))
                ember.manual_seed(seed + 1)
                e_out = _flat(em(*e_in))
                assert len(e_out) == len(t_out)
                for i, (e, t) in enumerate(zip(e_out, t_out)):
                    assert_close(e, t, rtol=rtol, atol=atol, msg=f"output {i}")
                if lazy:
                    assert repr(em) == repr(tm).replace("torch.", "ember.")
                    for (n, p), (_, q) in zip(tm.named_parameters(), em.named_parameters()):
                        assert_close(q, p, rtol=rtol, atol=atol, msg=f"materialized {n}")
                diff = [(e, t) for e, t in zip(e_out, t_out) if t.requires_grad]
                if diff:
                    gs = [rng.standard_normal(tuple(t.shape)).astype(dt) for _, t in diff]
                    sum((t * torch.tensor(g)).sum() for (_, t), g in zip(diff, gs)).backward()
                    sum((e * ember.tensor(g)).sum() for (e, _), g in zip(diff, gs)).backward()
                    for i, (e, t) in enumerate(zip(e_in, t_in)):
                        assert_close(e.grad, t.grad, rtol=rtol, atol=atol, msg=f"grad {i}")
                    for (n, p), (_, q) in zip(tm.named_parameters(), em.named_parameters()):
                        assert_close(q.grad, p.grad, rtol=rtol, atol=atol, msg=f"grad {n}")
                for (n, b), (_, c) in zip(tm.named_buffers(), em.named_buffers()):
                    assert_close(c, b, rtol=rtol, atol=atol, msg=f"buffer {n}")


B1, B2 = [(2, 4, 9), (4, 9)], [(2, 4, 7, 8), (4, 7, 8)]
B3 = [(2, 4, 5, 6, 5), (4, 5, 6, 5)]
CONV = [
    *(f"nn.Conv1d(4, 6, 3, padding='same', dilation=2, groups=2, bias=False, padding_mode='{m}')"
      for m in ("zeros", "reflect", "replicate", "circular")),
    *(f"nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2, "
      f"padding_mode='{m}')" for m in ("zeros", "reflect", "replicate", "circular")),
    "nn.Conv2d(4, 2, 4, padding='same')",
    "nn.Conv3d(4, 4, 3, stride=2, padding=1, groups=4, padding_mode='circular')",
    "nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False)",
    "nn.ConvTranspose2d(4, 6, (3, 4), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), "
    "groups=2)",
    "nn.ConvTranspose3d(4, 4, 3, stride=2, padding=1, output_padding=1, groups=4, dilation=2)",
]


@pytest.mark.parametrize("expr", CONV)
def test_conv_modules(torch, expr):
    d = int(expr.split("d(")[0][-1])
    sweep(torch, expr, {1: B1, 2: B2, 3: B3}[d])


@pytest.mark.parametrize("expr,shapes", [
    ("nn.LazyConv2d(6, 3, groups=2, bias=False, padding_mode='reflect', padding=1)", B2[:1]),
    ("nn.LazyConvTranspose1d(6, 3, stride=2)", B1[:1]),
    ("nn.LazyLinear(7)", [(3, 4)]),
    ("nn.LazyBatchNorm1d()", [(5, 4)]),
    ("nn.LazyBatchNorm2d(affine=False, momentum=None)", [(2, 3, 4, 5)]),
    ("nn.LazyInstanceNorm1d(affine=True)", [(2, 4, 6)]),
    ("nn.LazyInstanceNorm3d(track_running_stats=True)", [(2, 4, 3, 3, 2)]),
])
def test_lazy_modules_after_double(torch, expr, shapes):
    # float64 runs call .double() before the first forward: the placeholders keep the dtype
    sweep(torch, expr, shapes, lazy=True)


@pytest.mark.parametrize("expr,shapes", [
    ("nn.MaxPool2d((3, 2), stride=(2, 3), padding=(1, 1), dilation=(1, 2), ceil_mode=True, "
     "return_indices=True)", [(2, 3, 9, 10), (3, 9, 10)]),
    ("nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False, "
     "divisor_override=7)", [(2, 2, 7, 6, 9)]),
    ("nn.LPPool1d(2, 3, stride=2, ceil_mode=True)", [(2, 3, 11), (3, 11)]),
    ("nn.AdaptiveMaxPool3d((2, None, 4), return_indices=True)", [(2, 2, 7, 6, 9)]),
    ("nn.FractionalMaxPool2d((3, 2), output_ratio=(0.5, 0.6), return_indices=True)",
     [(2, 3, 9, 10), (3, 9, 10)]),
])
def test_pool_modules(torch, expr, shapes):
    sweep(torch, expr, shapes)


@pytest.mark.parametrize("momentum", ["0.1", "None"])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("track", [True, False])
def test_norm_modules(torch, momentum, affine, track):
    a = f"momentum={momentum}, affine={affine}, track_running_stats={track}"
    sweep(torch, f"nn.BatchNorm1d(4, eps=1e-3, {a})", [(5, 4), (3, 4, 6)])
    sweep(torch, f"nn.InstanceNorm2d(3, {a})", [(2, 3, 4, 5), (3, 4, 5)])


@pytest.mark.parametrize("expr,shapes", [
    ("nn.CrossMapLRN2d(3, alpha=1e-2, beta=0.5, k=2)", [(2, 5, 4, 3)]),
    ("nn.CrossMapLRN2d(4, alpha=0.3, beta=0.8, k=1.5)", [(2, 7, 3, 2)]),
    ("nn.CrossMapLRN2d(5)", [(1, 2, 3, 3), (2, 9, 2, 2)]),
    ("nn.LocalResponseNorm(4, alpha=1e-2, beta=0.5, k=2.0)", [(2, 5, 4, 3), (2, 5, 4)]),
    ("nn.GroupNorm(2, 6, eps=1e-3, affine=False)", [(3, 6, 4), (3, 6)]),
    ("nn.RMSNorm([4, 5], eps=1e-3)", [(3, 4, 5), (4, 5)]),
    ("nn.LayerNorm([4, 5], elementwise_affine=True, bias=False)", [(3, 4, 5)]),
])
def test_other_norm_modules(torch, expr, shapes):
    sweep(torch, expr, shapes)


@pytest.mark.parametrize("expr,shapes", [
    ("nn.Dropout1d(0.4)", [(2, 4, 5), (4, 5)]),
    ("nn.Dropout2d(0.4)", [(2, 4, 5, 3), (4, 5, 3)]),
    ("nn.Dropout3d(0.4)", [(2, 4, 5, 3, 2), (4, 5, 3, 2)]),
    ("nn.AlphaDropout(0.3)", [(4, 5), (7,)]),
    ("nn.FeatureAlphaDropout(0.3)", [(2, 4, 5, 3), (4, 5, 3)]),
    ("nn.PReLU(num_parameters=4, init=0.1)", [(3, 4, 5), (2, 4)]),
    ("nn.Hardtanh(min_val=-2.0, max_val=0.5)", [(3, 4)]),
    ("nn.Threshold(0.1, 20.0)", [(3, 4)]),
    ("nn.GLU(dim=0)", [(4, 3), (6,)]),
    ("nn.Softmax2d()", [(2, 3, 4, 5), (3, 4, 5)]),
    ("nn.RReLU(0.1, 0.3)", [(3, 40)]),
])
def test_activation_and_dropout_modules(torch, expr, shapes):
    sweep(torch, expr, shapes)


@pytest.mark.parametrize("expr,shapes", [
    ("nn.CircularPad2d((1, 2, 0, 3))", [(2, 3, 5, 6), (3, 5, 6)]),
    ("nn.ReflectionPad3d((1, 2, 0, 3, 2, 1))", [(2, 2, 4, 5, 6), (2, 4, 5, 6)]),
    ("nn.ReplicationPad1d((-1, 2))", [(2, 3, 6), (3, 6)]),
    ("nn.ConstantPad2d(1, -1)", [(2, 3, 4, 5)]),
    ("nn.Upsample(scale_factor=(1.5, 2.3), mode='bicubic')", [(2, 3, 4, 5)]),
    ("nn.UpsamplingBilinear2d(size=9)", [(2, 3, 4, 5)]),
    ("nn.PixelUnshuffle(2)", [(2, 2, 4, 6), (2, 4, 6)]),
    ("nn.ChannelShuffle(3)", [(2, 6, 3, 4)]),
    ("nn.Fold(output_size=(5, 6), kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))",
     [(2, 12, 12), (12, 12)]),
    ("nn.Unflatten(-1, (2, -1))", [(4, 6)]),
    ("nn.Bilinear(3, 4, 5, bias=False)", [[(2, 6, 3), (2, 6, 4)], [[3], [4]]]),
    ("nn.PairwiseDistance(p=1.5, eps=1e-3, keepdim=True)", [[(3, 4), (3, 4)], [(4,), (4,)]]),
])
def test_shape_modules(torch, expr, shapes):
    shapes = [[tuple(s) for s in sh] if isinstance(sh, list) else sh for sh in shapes]
    sweep(torch, expr, shapes)
