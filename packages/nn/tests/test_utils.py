"""nn.utils: clipping, parameter vectors, packing, weight/spectral norm, parametrize, fusion,
pruning, functional_call and DataParallel."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import utils
from ember.nn.utils import parametrize, prune
from ember.testing import assert_close


def _grads(torch, shapes, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype("float32") for s in shapes]
    eps, tps = [], []
    for a in arrays:
        e = nn.Parameter(ember.tensor(a))
        e.grad = ember.tensor(a * 3)
        t = torch.nn.Parameter(torch.tensor(a))
        t.grad = torch.tensor(a * 3)
        eps.append(e)
        tps.append(t)
    return eps, tps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_matches_torch(torch, norm_type):
    eps, tps = _grads(torch, [(3, 4), (5,)])
    e_total = utils.clip_grad_norm_(eps, 1.0, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(tps, 1.0, norm_type)
    assert_close(e_total, t_total, rtol=1e-5)
    for e, t in zip(eps, tps):
        assert_close(e.grad, t.grad, rtol=1e-5, atol=1e-6)
    assert utils.get_total_norm([]).item() == 0.0
    eps[0].grad = ember.full((3, 4), math.inf)
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(eps[:1], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_vectors(torch):
    eps, tps = _grads(torch, [(3, 4), (5,)])
    utils.clip_grad_value_(eps, 0.5)
    torch.nn.utils.clip_grad_value_(tps, 0.5)
    for e, t in zip(eps, tps):
        assert_close(e.grad, t.grad)
    vec = utils.parameters_to_vector(eps)
    assert_close(vec, torch.nn.utils.parameters_to_vector(tps))
    utils.vector_to_parameters(vec * 2, eps)
    assert_close(eps[1], torch.nn.utils.parameters_to_vector(tps)[12:] * 2)


def test_pack_and_pad(torch):
    from ember.nn.utils import rnn as R

    seqs = [np.arange(n * 2, dtype="float32").reshape(n, 2) + n for n in (2, 4, 3)]
    e_seqs = [ember.tensor(s, requires_grad=True) for s in seqs]
    t_seqs = [torch.tensor(s, requires_grad=True) for s in seqs]
    for bf in (False, True):
        for side in ("right", "left"):
            assert_close(R.pad_sequence(e_seqs, batch_first=bf, padding_value=-1,
                                        padding_side=side),
                         torch.nn.utils.rnn.pad_sequence(t_seqs, batch_first=bf,
                                                         padding_value=-1, padding_side=side))
    ep = R.pack_sequence(e_seqs, enforce_sorted=False)
    tp = torch.nn.utils.rnn.pack_sequence(t_seqs, enforce_sorted=False)
    for a, b in zip(ep, tp):
        assert_close(a, b)
    out, lens = R.pad_packed_sequence(ep, batch_first=True, total_length=5)
    tout, tlens = torch.nn.utils.rnn.pad_packed_sequence(tp, batch_first=True, total_length=5)
    assert_close(out, tout)
    assert_close(lens, tlens)
    out.sum().backward()
    tout.sum().backward()
    assert_close(e_seqs[1].grad, t_seqs[1].grad)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        R.pack_sequence(e_seqs)
    assert [s.shape[0] for s in R.unpack_sequence(ep)] == [2, 4, 3]


def test_weight_norm_both_apis(torch):
    for api in ("old", "new"):
        e = nn.Linear(3, 4)
        t = torch.nn.Linear(3, 4)
        e.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
        if api == "old":
            e, t = utils.weight_norm(e), torch.nn.utils.weight_norm(t)
        else:
            e = utils.parametrizations.weight_norm(e)
            t = torch.nn.utils.parametrizations.weight_norm(t)
        assert list(e.state_dict()) == list(t.state_dict())
        x = np.random.default_rng(0).standard_normal((2, 3)).astype("float32")
        assert_close(e(ember.tensor(x)), t(torch.tensor(x)), rtol=1e-5, atol=1e-6)
    utils.remove_weight_norm(utils.weight_norm(nn.Linear(2, 2)))


def test_spectral_norm_both_apis(torch):
    e = utils.spectral_norm(nn.Linear(3, 4))
    t = torch.nn.utils.spectral_norm(torch.nn.Linear(3, 4))
    assert list(e.state_dict()) == list(t.state_dict()) == ["bias", "weight_orig", "weight_u",
                                                            "weight_v"]
    e.eval()
    s = np.linalg.svd(e.weight.detach().numpy(), compute_uv=False)[0]
    assert s < 1.5
    e2 = utils.parametrizations.spectral_norm(nn.Linear(3, 4))
    t2 = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(3, 4))
    assert list(e2.state_dict()) == list(t2.state_dict())
    for _ in range(30):
        e2(ember.ones(1, 3))
    s2 = np.linalg.svd(e2.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(s2 - 1) < 1e-3
    utils.remove_spectral_norm(e)


def test_parametrize_register_cached_remove():
    class Symmetric(nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)

    m = nn.Linear(3, 3)
    parametrize.register_parametrization(m, "weight", Symmetric())
    assert parametrize.is_parametrized(m) and parametrize.is_parametrized(m, "weight")
    assert type(m).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(m) is nn.Linear
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)
    with parametrize.cached():
        assert m.weight is m.weight
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(m.weight.detach().numpy(), w)
    with pytest.raises(ValueError, match="does not have a parametrization"):
        parametrize.remove_parametrizations(m, "weight")


def test_fuse_conv_bn_eval(torch):
    conv, bn = nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)
    bn.running_mean.copy_(ember.tensor([0.1, -0.2, 0.3]))
    bn.running_var.copy_(ember.tensor([1.5, 0.5, 2.0]))
    conv.eval()
    bn.eval()
    fused = utils.fuse_conv_bn_eval(conv, bn)
    x = ember.randn(1, 2, 5, 5)
    assert_close(fused(x), bn(conv(x)), rtol=1e-4, atol=1e-5)
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        utils.fuse_conv_bn_eval(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1))


def test_prune():
    m = nn.Linear(4, 3)
    prune.l1_unstructured(m, "weight", amount=0.5)
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert prune.is_pruned(m)
    mask = m.weight_mask.numpy()
    assert mask.sum() == 6
    kept = np.abs(m.weight_orig.detach().numpy())[mask == 1]
    dropped = np.abs(m.weight_orig.detach().numpy())[mask == 0]
    assert kept.min() >= dropped.max()
    np.testing.assert_allclose(m.weight.detach().numpy(), m.weight_orig.detach().numpy() * mask)
    prune.random_unstructured(m, "weight", amount=2)  # composes with the first
    assert m.weight_mask.numpy().sum() == 4
    prune.remove(m, "weight")
    assert not prune.is_pruned(m) and list(m.state_dict()) == ["bias", "weight"]
    c = nn.Conv2d(2, 4, 3)
    prune.ln_structured(c, "weight", amount=0.5, n=2, dim=0)
    per_channel = c.weight_mask.numpy().reshape(4, -1).sum(1)
    assert sorted(per_channel.tolist()) == [0, 0, 18, 18]
    a, b = nn.Linear(3, 3), nn.Linear(3, 2)
    prune.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune.L1Unstructured,
                              amount=5)
    assert a.weight_mask.numpy().sum() + b.weight_mask.numpy().sum() == 10
    with pytest.raises(ValueError, match="should either be a float"):
        prune.l1_unstructured(nn.Linear(2, 2), "weight", amount=1.5)


def test_functional_call_and_data_parallel():
    from ember.nn.utils.stateless import functional_call

    m = nn.Linear(2, 1)
    w = ember.ones(1, 2)
    out = functional_call(m, {"weight": w, "bias": ember.zeros(1)}, (ember.ones(3, 2),))
    assert out.tolist() == [[2.0]] * 3
    assert isinstance(m.weight, nn.Parameter) and m.weight is not w  # restored
    with pytest.raises(RuntimeError, match="Missing key"):
        functional_call(m, {"weight": w}, ember.ones(1, 2), strict=True)
    dp = nn.DataParallel(m)
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]
    assert tuple(dp(ember.ones(4, 2)).shape) == (4, 1)


def test_ddp_lazy_reexport():
    import ember.nn.parallel as par

    try:
        import ember.distributed  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="ember-distributed"):
            par.DistributedDataParallel  # noqa: B018
