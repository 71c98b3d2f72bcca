"""Convolution outputs and gradients are laid out as PyTorch's (C order for C-order inputs):
the cropped input gradients of padded or strided convolutions, transposed convolutions'
outputs and input gradients, and weight gradients were views that .view() refused."""

import random

import numpy as np
import pytest

import ember

pytest.importorskip("ember.nn")
torch = pytest.importorskip("torch")


def _strides(t):
    """Strides, those of size-1 dims left out (any stride is valid there)."""
    return tuple(st if n != 1 else 0 for st, n in zip(t.stride(), t.shape))


def _cases(count=80):
    rng = random.Random(18)
    for _ in range(count):
        d = rng.choice([1, 2, 3])
        groups = rng.choice([1, 2])
        C, Co = groups * rng.choice([1, 2]), groups * rng.choice([1, 2, 3])
        S = [rng.randint(2, 8) for _ in range(d)]
        K = [rng.randint(1, 3) for _ in range(d)]
        st = [rng.randint(1, 3) for _ in range(d)]
        dil = [rng.randint(1, 2) for _ in range(d)]
        pad = [rng.randint(0, 1) for _ in range(d)]
        op = [rng.randint(0, max(s, dl) - 1) for s, dl in zip(st, dil)]
        yield rng.random() < 0.4, d, groups, C, Co, S, K, st, dil, pad, op


@pytest.mark.parametrize("case", list(_cases()))
def test_conv_layouts_match_pytorch(case):
    transposed, d, groups, C, Co, S, K, st, dil, pad, op = case
    x = np.random.default_rng(0).standard_normal((2, C, *S))
    wshape = (C, Co // groups, *K) if transposed else (Co, C // groups, *K)
    w = np.random.default_rng(1).standard_normal(wshape)
    got = []
    for lib in (ember, torch):
        F = lib.nn.functional
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        try:
            if transposed:
                y = getattr(F, f"conv_transpose{d}d")(xt, wt, None, st, pad, op, groups, dil)
            else:
                y = getattr(F, f"conv{d}d")(xt, wt, None, st, pad, dil, groups)
        except RuntimeError:
            got.append("error")
            continue
        gx, gw = lib.autograd.grad((y * y).sum(), (xt, wt))
        assert gx.is_contiguous() and gw.is_contiguous() and y.is_contiguous()
        gx.view(-1)  # a view needs C order
        got.append((_strides(y), _strides(gx), _strides(gw)))
    assert got[0] == got[1]
