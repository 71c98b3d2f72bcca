"""torch.nn utilities that close the gap with PyTorch: parametrizations.orthogonal,
skip_init, the conv weight memory-format converters, consume_prefix_in_state_dict_if_present,
ember.nn.grad and the deprecated init aliases, against PyTorch."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import ember
import ember.nn as enn
from ember.nn.utils import parametrizations as EP
from ember.testing import assert_close

RNG = np.random.default_rng(3)


def _copy(tm, em):
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


# ------------------------------------------------------------------ orthogonal
_ORTH = [((5, 5), None, True), ((5, 3), None, True), ((3, 5), None, True),
         ((5, 5), "cayley", True), ((6, 4), "cayley", True), ((6, 4), "matrix_exp", True),
         ((4, 4), "householder", True), ((6, 4), "householder", False),
         ((4, 6), "householder", False), ((4, 4), "matrix_exp", False)]


@pytest.mark.parametrize("shape,omap,triv", _ORTH)
def test_orthogonal_matches_torch(torch, shape, omap, triv):
    TP = torch.nn.utils.parametrizations  # noqa: N806
    torch.manual_seed(0)
    ember.manual_seed(0)  # the same stream completes non-square bases with randn
    lt = torch.nn.Linear(shape[1], shape[0]).double()
    le = enn.Linear(shape[1], shape[0]).double()
    _copy(lt, le)
    TP.orthogonal(lt, orthogonal_map=omap, use_trivialization=triv)
    EP.orthogonal(le, orthogonal_map=omap, use_trivialization=triv)
    sd, esd = lt.state_dict(), le.state_dict()
    assert list(esd) == list(sd)
    for k in sd:
        assert_close(esd[k], sd[k], msg=k)
    assert_close(le.weight, lt.weight)
    w = le.weight.detach()
    small = min(shape)
    gram = w @ w.T if shape[0] < shape[1] else w.T @ w
    assert_close(gram, ember.eye(small, dtype=ember.float64), atol=1e-10, rtol=0)
    x = RNG.standard_normal((3, shape[1]))
    ye, yt = le(ember.tensor(x)), lt(torch.tensor(x))
    assert_close(ye, yt)
    ye.pow(2).sum().backward()
    yt.pow(2).sum().backward()
    for (n, p), (_, q) in zip(le.named_parameters(), lt.named_parameters()):
        assert_close(p.grad, q.grad, msg=n)
    # a fresh parametrized module loads PyTorch's checkpoint
    le2 = enn.Linear(shape[1], shape[0]).double()
    EP.orthogonal(le2, orthogonal_map=omap, use_trivialization=triv)
    le2.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd.items()})
    assert_close(le2.weight, lt.weight)


@pytest.mark.parametrize("shape,omap", [((5, 5), None), ((6, 4), None), ((4, 6), "cayley")])
def test_orthogonal_assignment(torch, shape, omap):
    TP = torch.nn.utils.parametrizations  # noqa: N806
    lt, le = torch.nn.Linear(shape[1], shape[0]).double(), enn.Linear(shape[1], shape[0]).double()
    TP.orthogonal(lt, orthogonal_map=omap)
    EP.orthogonal(le, orthogonal_map=omap)
    q = np.linalg.qr(RNG.standard_normal((max(shape), min(shape))))[0]
    q = q if shape[0] >= shape[1] else q.T
    with torch.no_grad():
        lt.weight = torch.tensor(q)
    le.weight = ember.tensor(q)
    assert_close(le.weight, lt.weight)
    assert_close(le.weight, ember.tensor(q), atol=1e-12, rtol=0)


def test_orthogonal_errors(torch):
    TP = torch.nn.utils.parametrizations  # noqa: N806
    cases = [(lambda nn: nn.Linear(3, 3), {"name": "bias"}),
             (lambda nn: nn.Linear(3, 3), {"name": "nope"}),
             (lambda nn: nn.Linear(3, 3), {"orthogonal_map": "qr"})]
    for make, kw in cases:
        with pytest.raises(ValueError) as et:
            TP.orthogonal(make(torch.nn), **kw)
        with pytest.raises(ValueError) as ee:
            EP.orthogonal(make(enn), **kw)
        if "nope" not in str(kw):  # that message embeds the module's repr
            assert str(ee.value) == str(et.value)
    le = EP.orthogonal(enn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError):
        le.weight = ember.eye(3)


# ------------------------------------------------------------------ skip_init, memory format
def test_skip_init_consumes_no_random_numbers(torch):
    ember.manual_seed(1)
    m = enn.utils.skip_init(enn.Linear, 5, 3, bias=True)
    after = ember.rand(4)
    ember.manual_seed(1)
    assert_close(after, ember.rand(4))
    assert tuple(m.weight.shape) == (3, 5) and m.weight.requires_grad
    m2 = enn.utils.skip_init(enn.Linear, in_features=6, out_features=1)
    assert tuple(m2.weight.shape) == (1, 6)
    for bad in [int, enn.ReLU]:
        with pytest.raises(RuntimeError) as et:
            torch.nn.utils.skip_init(torch.nn.ReLU if bad is enn.ReLU else bad)
        with pytest.raises(RuntimeError) as ee:
            enn.utils.skip_init(bad)
        assert str(ee.value).split(";")[0] == str(et.value).split(";")[0]


def test_convert_conv_weight_memory_format(torch):
    model = enn.Sequential(enn.Conv2d(3, 4, 3), enn.ReLU(), enn.Sequential(
        enn.ConvTranspose2d(4, 2, 2)), enn.Conv3d(1, 1, 1))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    out = enn.utils.convert_conv2d_weight_memory_format(model, ember.channels_last)
    assert out is model
    out = enn.utils.convert_conv3d_weight_memory_format(model, ember.channels_last_3d)
    assert out is model
    for k, v in model.state_dict().items():
        assert_close(v, before[k])
    assert isinstance(model[0].weight, enn.Parameter)


def test_consume_prefix_in_state_dict(torch):
    from ember.nn.modules.utils import consume_prefix_in_state_dict_if_present as ce

    from_torch = torch.nn.modules.utils.consume_prefix_in_state_dict_if_present
    for make in [dict, collections.OrderedDict]:
        sd_t = make([("module.a", 1), ("module.b.c", 2), ("other", 3)])
        sd_e = make(sd_t)
        if make is collections.OrderedDict:
            sd_t._metadata = collections.OrderedDict([("", 0), ("module", 1), ("module.b", 2)])
            sd_e._metadata = collections.OrderedDict(sd_t._metadata)
        from_torch(sd_t, "module.")
        ce(sd_e, "module.")
        assert list(sd_e.items()) == list(sd_t.items())
        if make is collections.OrderedDict:
            assert list(sd_e._metadata.items()) == list(sd_t._metadata.items())


# ------------------------------------------------------------------ nn.grad, init aliases
@pytest.mark.parametrize("d,kw", [(1, {}), (2, {"stride": 2, "padding": 1}),
                                  (2, {"dilation": 2, "groups": 2}), (3, {"padding": 1})])
def test_nn_grad_conv(torch, d, kw):
    x = RNG.standard_normal((2, 4) + (7,) * d)
    w = RNG.standard_normal((6, 4 // kw.get("groups", 1)) + (3,) * d)
    out_t = getattr(torch.nn.functional, f"conv{d}d")(torch.tensor(x), torch.tensor(w), **kw)
    go = RNG.standard_normal(tuple(out_t.shape))
    gi_t = getattr(torch.nn.grad, f"conv{d}d_input")(x.shape, torch.tensor(w), torch.tensor(go),
                                                     **kw)
    gw_t = getattr(torch.nn.grad, f"conv{d}d_weight")(torch.tensor(x), w.shape,
                                                      torch.tensor(go), **kw)
    gi_e = getattr(enn.grad, f"conv{d}d_input")(x.shape, ember.tensor(w), ember.tensor(go), **kw)
    gw_e = getattr(enn.grad, f"conv{d}d_weight")(ember.tensor(x), w.shape, ember.tensor(go),
                                                 **kw)
    assert_close(gi_e, gi_t)
    assert_close(gw_e, gw_t)
    assert not gi_e.requires_grad


@pytest.mark.parametrize("name,shape", [("eye", (3, 4)), ("dirac", (4, 2, 3, 3))])
def test_deprecated_init_aliases(torch, name, shape):
    with pytest.warns(FutureWarning) as we:
        te = getattr(enn.init, name)(ember.empty(*shape))
    with pytest.warns(FutureWarning) as wt:
        tt = getattr(torch.nn.init, name)(torch.empty(*shape))
    assert str(we[0].message) == str(wt[0].message)
    assert_close(te, tt)


def test_common_types_and_namespaces(torch):
    from ember.nn import common_types

    for name in dir(torch.nn.common_types):
        if name.startswith("_size") or name.startswith("_ratio"):
            assert hasattr(common_types, name), name
    for name in ["skip_init", "convert_conv2d_weight_memory_format",
                 "convert_conv3d_weight_memory_format"]:
        assert name in enn.utils.__all__ and hasattr(torch.nn.utils, name)
    assert hasattr(enn.utils.parametrizations, "orthogonal")
    for name in ["AdaptiveLogSoftmaxWithLoss", "FractionalMaxPool2d", "FractionalMaxPool3d",
                 "LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]:
        assert hasattr(enn, name) and name in enn.__all__
    from ember.nn.modules.adaptive import AdaptiveLogSoftmaxWithLoss  # noqa: F401
    from ember.nn.modules.pooling import FractionalMaxPool2d, FractionalMaxPool3d  # noqa: F401
