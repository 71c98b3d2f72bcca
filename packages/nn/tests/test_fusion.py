"""nn.utils.fusion: eval-mode BatchNorm folded into the preceding convolution or linear layer,
compared with PyTorch's fusion (values, parameter types, refusals and their messages)."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn.utils import fusion
from ember.testing import assert_close


def _stats(rng, n):
    return (rng.standard_normal(n).astype("float32"),
            rng.uniform(0.5, 2.0, n).astype("float32"),
            rng.standard_normal(n).astype("float32"),
            rng.standard_normal(n).astype("float32"))


def _bn_pair(torch, lib_e, lib_t, n, seed, affine=True):
    rm, rv, w, b = _stats(np.random.default_rng(seed), n)
    be, bt = lib_e(n, affine=affine).eval(), lib_t(n, affine=affine).eval()
    for bn in (be, bt):
        m = ember if bn is be else torch
        bn.running_mean.copy_(m.tensor(rm))
        bn.running_var.copy_(m.tensor(rv))
        if affine:
            with m.no_grad():
                bn.weight.copy_(m.tensor(w))
                bn.bias.copy_(m.tensor(b))
    return be, bt


@pytest.mark.parametrize("dim,bias,affine", [(1, True, True), (2, True, True), (2, False, True),
                                             (3, True, False), (2, False, False)])
def test_fuse_conv_bn_eval_matches_torch(torch, dim, bias, affine):
    conv_e = getattr(nn, f"Conv{dim}d")(3, 4, 2, bias=bias).eval()
    conv_t = getattr(torch.nn, f"Conv{dim}d")(3, 4, 2, bias=bias).eval()
    conv_t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in conv_e.state_dict().items()})
    be, bt = _bn_pair(torch, getattr(nn, f"BatchNorm{dim}d"),
                      getattr(torch.nn, f"BatchNorm{dim}d"), 4, dim, affine)
    fe, ft = fusion.fuse_conv_bn_eval(conv_e, be), torch.nn.utils.fuse_conv_bn_eval(conv_t, bt)
    x = np.random.default_rng(1).standard_normal((2, 3) + (5,) * dim).astype("float32")
    assert_close(fe(ember.tensor(x)), ft(torch.tensor(x)), rtol=1e-5, atol=1e-5)
    assert_close(fe(ember.tensor(x)), be(conv_e(ember.tensor(x))), rtol=1e-5, atol=1e-5)
    assert_close(fe.weight, ft.weight, rtol=1e-6, atol=1e-6)
    assert_close(fe.bias, ft.bias, rtol=1e-6, atol=1e-6)
    assert isinstance(fe.weight, nn.Parameter) and isinstance(fe.bias, nn.Parameter)
    assert fe.weight.requires_grad == ft.weight.requires_grad
    assert fe.bias.requires_grad == ft.bias.requires_grad
    assert fe is not conv_e and conv_e.weight is not fe.weight  # the original stays as it was


def test_fuse_conv_transpose_bn(torch):
    ct_e = nn.ConvTranspose2d(3, 4, 3, stride=2).eval()
    ct_t = torch.nn.ConvTranspose2d(3, 4, 3, stride=2).eval()
    ct_t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ct_e.state_dict().items()})
    be, bt = _bn_pair(torch, nn.BatchNorm2d, torch.nn.BatchNorm2d, 4, 7)
    fe = fusion.fuse_conv_bn_eval(ct_e, be, transpose=True)
    ft = torch.nn.utils.fuse_conv_bn_eval(ct_t, bt, transpose=True)
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 4)).astype("float32")
    assert_close(fe(ember.tensor(x)), ft(torch.tensor(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bias", [True, False])
def test_fuse_linear_bn_eval_matches_torch(torch, bias):
    le, lt = nn.Linear(6, 5, bias=bias).eval(), torch.nn.Linear(6, 5, bias=bias).eval()
    lt.load_state_dict({k: torch.tensor(v.numpy()) for k, v in le.state_dict().items()})
    be, bt = _bn_pair(torch, nn.BatchNorm1d, torch.nn.BatchNorm1d, 5, 3)
    fe, ft = fusion.fuse_linear_bn_eval(le, be), torch.nn.utils.fuse_linear_bn_eval(lt, bt)
    x = np.random.default_rng(4).standard_normal((7, 6)).astype("float32")
    assert_close(fe(ember.tensor(x)), ft(torch.tensor(x)), rtol=1e-5, atol=1e-5)
    assert_close(fe(ember.tensor(x)), be(le(ember.tensor(x))), rtol=1e-5, atol=1e-5)
    we, be_ = fusion.fuse_linear_bn_weights(le.weight, le.bias, be.running_mean,
                                            be.running_var, be.eps, be.weight, be.bias)
    wt, bt_ = torch.nn.utils.fuse_linear_bn_weights(lt.weight, lt.bias, bt.running_mean,
                                                    bt.running_var, bt.eps, bt.weight, bt.bias)
    assert_close(we, wt, rtol=1e-6, atol=1e-6)
    assert_close(be_, bt_, rtol=1e-6, atol=1e-6)
    assert type(we).__name__ == type(wt).__name__ == "Parameter"


def test_fuse_linear_with_one_channel_bn(torch):
    le, lt = nn.Linear(4, 3).eval(), torch.nn.Linear(4, 3).eval()
    lt.load_state_dict({k: torch.tensor(v.numpy()) for k, v in le.state_dict().items()})
    be, bt = _bn_pair(torch, nn.BatchNorm1d, torch.nn.BatchNorm1d, 1, 5)
    x = np.random.default_rng(6).standard_normal((2, 4)).astype("float32")
    assert_close(fusion.fuse_linear_bn_eval(le, be)(ember.tensor(x)),
                 torch.nn.utils.fuse_linear_bn_eval(lt, bt)(torch.tensor(x)),
                 rtol=1e-5, atol=1e-5)


def _refusal(fn, *args):
    with pytest.raises(Exception) as info:
        fn(*args)
    return type(info.value), str(info.value)


@pytest.mark.parametrize("case", ["train", "features", "no_stats", "linear_no_stats"])
def test_fusion_refusals_match_torch(torch, case):
    def build(m):
        if case == "train":
            return m.nn.utils.fuse_conv_bn_eval, m.nn.Conv2d(1, 2, 1), m.nn.BatchNorm2d(2)
        if case == "features":
            return (m.nn.utils.fuse_linear_bn_eval, m.nn.Linear(6, 4).eval(),
                    m.nn.BatchNorm1d(5).eval())
        if case == "no_stats":
            return (m.nn.utils.fuse_conv_bn_eval, m.nn.Conv2d(1, 2, 1).eval(),
                    m.nn.BatchNorm2d(2, track_running_stats=False).eval())
        return (m.nn.utils.fuse_linear_bn_eval, m.nn.Linear(3, 2).eval(),
                m.nn.BatchNorm1d(2, track_running_stats=False).eval())

    assert _refusal(*build(ember)) == _refusal(*build(torch))
