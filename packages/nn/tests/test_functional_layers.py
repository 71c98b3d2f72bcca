"""ember.nn.functional's activation, normalization, dropout, embedding, attention and loss
wrappers against torch.nn.functional: signatures, argument handling, warnings and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.testing import assert_close
from ember.testing.oracle import torch_or_skip

RNG = np.random.default_rng(7)


@pytest.fixture
def torch():
    return torch_or_skip()


def randn(*shape: int) -> np.ndarray:
    return np.asarray(RNG.standard_normal(shape))


def both(torch, *arrays, grad=False):
    es = [ember.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    ts = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    return es, ts


def test_every_name_is_exported(torch):
    TF = torch.nn.functional  # noqa: N806

    for name in F.__all__:
        assert callable(getattr(F, name))
    for name in ["relu", "gelu", "softmax", "batch_norm", "layer_norm", "dropout", "embedding",
                 "scaled_dot_product_attention", "multi_head_attention_forward", "cross_entropy",
                 "ctc_loss", "triplet_margin_with_distance_loss", "one_hot", "linear"]:
        assert name in F.__all__ and hasattr(TF, name)


@pytest.mark.parametrize("name,kw", [("relu", {}), ("gelu", {"approximate": "tanh"}),
                                     ("softplus", {"beta": 2}), ("leaky_relu", {}),
                                     ("sigmoid", {}), ("tanh", {}), ("hardtanh", {}),
                                     ("logsigmoid", {}), ("softsign", {}), ("celu", {}),
                                     ("softmax", {"dim": 1}), ("log_softmax", {"dim": 0}),
                                     ("softmin", {"dim": 1}), ("glu", {"dim": 0}),
                                     ("normalize", {}), ("normalize", {"p": 1, "dim": 0})])
def test_activation_wrappers(torch, name, kw):
    (e,), (t,) = both(torch, randn(4, 6), grad=True)
    ye, yt = getattr(F, name)(e, **kw), getattr(torch.nn.functional, name)(t, **kw)
    assert_close(ye, yt)
    ye.pow(2).sum().backward()
    yt.pow(2).sum().backward()
    assert_close(e.grad, t.grad)


def test_softmax_implicit_dim_warns(torch):
    x = ember.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(x)
    assert_close(y, torch.softmax(torch.tensor(x.numpy()), 1))


def test_inplace_wrappers():
    x = ember.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and float(x[0]) == 0.0
    y = ember.tensor([-1.0, 8.0])
    F.relu6(y, inplace=True)
    assert y.tolist() == [0.0, 6.0]
    z = ember.tensor([-1.0, 1.0])
    F.elu_(z)
    assert abs(z.tolist()[0] - (np.exp(-1) - 1)) < 1e-6


def test_gumbel_softmax():
    logits = ember.randn(5, 4, requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(y.detach().numpy().sum(1), 1, rtol=1e-5)
    h = F.gumbel_softmax(logits, hard=True)
    assert set(np.unique(h.detach().numpy())) <= {0.0, 1.0}
    h.sum().backward()
    assert logits.grad is not None


def test_norm_wrappers(torch):
    (x,), (xt,) = both(torch, randn(4, 3, 5))
    rm, rv = ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64)
    rmt, rvt = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    assert_close(F.batch_norm(x, rm, rv, training=True, momentum=0.3),
                 torch.nn.functional.batch_norm(xt, rmt, rvt, training=True, momentum=0.3))
    assert_close(rm, rmt)
    assert_close(rv, rvt)
    assert_close(F.instance_norm(x), torch.nn.functional.instance_norm(xt))
    assert_close(F.group_norm(x, 3), torch.nn.functional.group_norm(xt, 3))
    assert_close(F.layer_norm(x, [5]), torch.nn.functional.layer_norm(xt, [5]))
    assert_close(F.rms_norm(x, [3, 5]), torch.nn.functional.rms_norm(xt, [3, 5]))
    assert_close(F.local_response_norm(x, 2), torch.nn.functional.local_response_norm(xt, 2))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.batch_norm(ember.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(ember.randn(2, 3, 1))


def test_dropout_wrappers():
    x = ember.ones(4, 6, 5)
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got 1.5"):
        F.dropout(x, 1.5)
    y = F.dropout1d(x, 0.5).numpy()
    assert np.all((y == 0).all(-1) | (y == 2).all(-1))
    y = F.dropout1d(ember.ones(6, 5), 0.5).numpy()
    assert y.shape == (6, 5) and np.all((y == 0).all(-1) | (y == 2).all(-1))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(x, 0.5)
    y = F.dropout3d(ember.ones(3, 2, 2, 2), 0.5).numpy()
    assert np.all((y.reshape(3, -1) == 0).all(-1) | (y.reshape(3, -1) == 2).all(-1))
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        F.dropout1d(ember.ones(3), 0.5)
    assert F.alpha_dropout(x, 0.5) is x
    assert F.feature_alpha_dropout(x, 0.5, training=True).shape == x.shape


def test_embedding_wrappers(torch):
    w = randn(6, 3) * 2
    i = np.array([[0, 5, 2], [5, 1, 1]])
    (we,), (wt,) = both(torch, w, grad=True)
    ye = F.embedding(ember.tensor(i), we, padding_idx=-1)
    yt = torch.nn.functional.embedding(torch.tensor(i), wt, padding_idx=-1)
    assert_close(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    assert_close(we.grad, wt.grad)
    we2, wt2 = ember.tensor(w), torch.tensor(w)
    F.embedding(ember.tensor(i), we2, max_norm=1.0)
    torch.nn.functional.embedding(torch.tensor(i), wt2, max_norm=1.0)
    assert_close(we2, wt2)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        F.embedding(ember.tensor(i), we, padding_idx=6)
    offs = np.array([0, 2])
    flat = np.array([1, 2, 4, 4, 0])
    assert_close(F.embedding_bag(ember.tensor(flat), ember.tensor(w), ember.tensor(offs),
                                 mode="max"),
                 torch.nn.functional.embedding_bag(torch.tensor(flat), torch.tensor(w),
                                                   torch.tensor(offs), mode="max"))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(ember.tensor(flat), ember.tensor(w))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for "
                                                  "mode='sum'"):
        F.embedding_bag(ember.tensor(i), ember.tensor(w), per_sample_weights=ember.ones(2, 3))
    assert_close(F.one_hot(ember.tensor([2, 0])), torch.nn.functional.one_hot(
        torch.tensor([2, 0])))


def test_loss_wrappers(torch):
    (x, t), (xt, tt) = both(torch, randn(4, 3), randn(4, 3))
    tf = torch.nn.functional
    t3 = randn(3)
    with pytest.warns(UserWarning, match="Using a target size"):
        e = F.mse_loss(x, ember.tensor(t3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(e, tf.mse_loss(xt, torch.tensor(t3)))
        assert_close(F.mse_loss(x, t, size_average=False), tf.mse_loss(xt, tt, size_average=False))
        assert_close(F.l1_loss(x, t, reduce=False), tf.l1_loss(xt, tt, reduce=False))
    w = ember.tensor(np.abs(randn(4, 3)))
    for name in ["mse_loss", "l1_loss", "huber_loss"]:
        for red in ["mean", "sum", "none"]:
            assert_close(getattr(F, name)(x, t, reduction=red, weight=w),
                         getattr(tf, name)(xt, tt, reduction=red, weight=torch.tensor(w.numpy())))
    with pytest.raises(RuntimeError, match="The size of tensor a \\(3\\) must match the size of "
                                           "tensor b \\(4\\)"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            F.mse_loss(x, ember.randn(4))
    with pytest.raises(ValueError, match="is deprecated. Please ensure they have the same size"):
        F.binary_cross_entropy(ember.rand(3), ember.rand(4))
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(ember.rand(3), ember.rand(4))
    lp = ember.tensor(np.log(np.abs(randn(4, 3)) + 0.1))
    tp = ember.tensor(np.abs(randn(4, 3)))
    assert_close(F.kl_div(lp, tp, reduction="batchmean"),
                 tf.kl_div(torch.tensor(lp.numpy()), torch.tensor(tp.numpy()),
                           reduction="batchmean"))
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(lp, tp)
    lab = (randn(4, 3) > 0).astype("float64")
    wc = np.abs(randn(3))
    for red in ["mean", "sum", "none"]:
        assert_close(F.multilabel_soft_margin_loss(x, ember.tensor(lab), ember.tensor(wc),
                                                   reduction=red),
                     tf.multilabel_soft_margin_loss(xt, torch.tensor(lab), torch.tensor(wc),
                                                    reduction=red))
    v = ember.tensor(np.abs(randn(4)))
    assert_close(F.gaussian_nll_loss(x, t, v.unsqueeze(-1)),
                 tf.gaussian_nll_loss(xt, tt, torch.tensor(v.numpy()).unsqueeze(-1)))
    assert_close(F.gaussian_nll_loss(x[:, 0], t[:, 0], v),
                 tf.gaussian_nll_loss(xt[:, 0], tt[:, 0], torch.tensor(v.numpy())))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, t, ember.ones(3, 3))
    with pytest.raises(RuntimeError, match="margin_ranking_loss : All input tensors should have "
                                           "same dimension"):
        F.margin_ranking_loss(ember.randn(3), ember.randn(3, 1), ember.randn(3))


def test_triplet_with_distance(torch):
    (a, p, n), (at, pt, nt) = both(torch, randn(5, 3), randn(5, 3), randn(5, 3), grad=True)
    for kw in [{}, {"swap": True, "margin": 2.0}]:
        ye = F.triplet_margin_with_distance_loss(a, p, n, **kw)
        yt = torch.nn.functional.triplet_margin_with_distance_loss(at, pt, nt, **kw)
        assert_close(ye, yt)
    ye = F.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v))
    yt = torch.nn.functional.triplet_margin_with_distance_loss(
        at, pt, nt, distance_function=lambda u, v: 1 - torch.nn.functional.cosine_similarity(u, v))
    assert_close(ye, yt)
    ye.backward()
    yt.backward()
    assert_close(a.grad, at.grad)


def _mha_args(torch, e=8, heads=2, kdim=None, bias=True, bias_kv=False, seed=0):
    r = np.random.default_rng(seed)
    arrays = {"in_w": r.standard_normal((3 * e, e)) * 0.3, "in_b": r.standard_normal(3 * e),
              "out_w": r.standard_normal((e, e)) * 0.3, "out_b": r.standard_normal(e),
              "bk": r.standard_normal((1, 1, e)), "bv": r.standard_normal((1, 1, e))}
    et = {k: ember.tensor(v, requires_grad=True) for k, v in arrays.items()}
    tt = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}
    return et, tt


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("self_attn", [True, False])
@pytest.mark.parametrize("extras", [{}, {"add_zero_attn": True}, {"bias_kv": True},
                                    {"kpm": True}, {"mask": "bool"}, {"mask": "float"},
                                    {"causal": True}])
def test_multi_head_attention_forward(torch, need_weights, average, self_attn, extras):
    e, heads, L, S, N = 8, 2, 4, 5, 3
    et, tt = _mha_args(torch)
    q = randn(L, N, e)
    kv = q if self_attn else randn(S, N, e)
    s = L if self_attn else S
    (qe, ke), (qt, kt) = both(torch, q, kv, grad=True)
    if self_attn:
        ke, kt = qe, qt
    kw_e, kw_t = {}, {}
    if extras.get("kpm"):
        kpm = np.zeros((N, s), dtype=bool)
        kpm[:, -1] = True
        kw_e["key_padding_mask"], kw_t["key_padding_mask"] = ember.tensor(kpm), torch.tensor(kpm)
    if extras.get("mask") or extras.get("causal"):
        m = np.triu(np.ones((L, s), dtype=bool), 1)
        if extras.get("mask") == "float":
            m = np.where(m, -1e9, 0.0) + randn(L, s) * 0.1
        kw_e["attn_mask"], kw_t["attn_mask"] = ember.tensor(m), torch.tensor(m)
        if extras.get("causal"):
            kw_e["is_causal"] = kw_t["is_causal"] = True
    bk = (et["bk"], et["bv"]) if extras.get("bias_kv") else (None, None)
    bkt = (tt["bk"], tt["bv"]) if extras.get("bias_kv") else (None, None)
    ze = extras.get("add_zero_attn", False)
    oe, we = F.multi_head_attention_forward(
        qe, ke, ke, e, heads, et["in_w"], et["in_b"], bk[0], bk[1], ze, 0.0, et["out_w"],
        et["out_b"], need_weights=need_weights, average_attn_weights=average, **kw_e)
    ot, wt = torch.nn.functional.multi_head_attention_forward(
        qt, kt, kt, e, heads, tt["in_w"], tt["in_b"], bkt[0], bkt[1], ze, 0.0, tt["out_w"],
        tt["out_b"], need_weights=need_weights, average_attn_weights=average, **kw_t)
    assert_close(oe, ot)
    if wt is None:
        assert we is None
    else:
        assert_close(we, wt)
    oe.pow(2).sum().backward()
    ot.pow(2).sum().backward()
    assert_close(qe.grad, qt.grad)
    assert_close(et["in_w"].grad, tt["in_w"].grad)
    assert_close(et["out_b"].grad, tt["out_b"].grad)


def test_multi_head_attention_unbatched_and_separate(torch):
    e, heads = 6, 3
    r = np.random.default_rng(1)
    ws = [r.standard_normal((e, e)) * 0.4 for _ in range(4)]
    b = r.standard_normal(3 * e)
    q, k = randn(4, e), randn(5, e)
    ee = [ember.tensor(a) for a in ws]
    tt = [torch.tensor(a) for a in ws]
    oe, we = F.multi_head_attention_forward(
        ember.tensor(q), ember.tensor(k), ember.tensor(k), e, heads, None, ember.tensor(b),
        None, None, False, 0.0, ee[3], None, use_separate_proj_weight=True,
        q_proj_weight=ee[0], k_proj_weight=ee[1], v_proj_weight=ee[2])
    ot, wt = torch.nn.functional.multi_head_attention_forward(
        torch.tensor(q), torch.tensor(k), torch.tensor(k), e, heads, None, torch.tensor(b),
        None, None, False, 0.0, tt[3], None, use_separate_proj_weight=True,
        q_proj_weight=tt[0], k_proj_weight=tt[1], v_proj_weight=tt[2])
    assert_close(oe, ot)
    assert_close(we, wt)
