"""ember.func against torch.func as the tutorials use it: jvp over trees of tensors, NTK by
vjp-of-jvp, model ensembling, jacrev's chunk_size, functionalize and
replace_all_batch_norm_modules_."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import ember
import ember.func as ef
from ember.testing import assert_close

RNG = np.random.default_rng(7)


def _pair(*shape):
    a = RNG.standard_normal(shape)
    return ember.tensor(a), a


def test_jvp_over_dicts_of_tensors(torch):
    w, wn = _pair(3, 4)
    b, bn = _pair(3)
    x, xn = _pair(2, 4)
    tw, tb = _pair(3, 4), _pair(3)

    def f(m, params, x):
        return {"y": (x @ params["w"].T + params["b"]).tanh(), "s": params["w"].sum()}

    e_out, e_tan = ef.jvp(lambda p: f(ember, p, x), ({"w": w, "b": b},),
                          ({"w": tw[0], "b": tb[0]},))
    t_out, t_tan = torch.func.jvp(lambda p: f(torch, p, torch.tensor(xn)),
                                  ({"w": torch.tensor(wn), "b": torch.tensor(bn)},),
                                  ({"w": torch.tensor(tw[1]), "b": torch.tensor(tb[1])},))
    for k in ("y", "s"):
        assert_close(e_out[k], t_out[k])
        assert_close(e_tan[k], t_tan[k])
    # the tangent is the directional derivative (finite differences, float64)
    eps = 1e-6
    hi = f(ember, {"w": w + eps * tw[0], "b": b + eps * tb[0]}, x)["y"]
    lo = f(ember, {"w": w - eps * tw[0], "b": b - eps * tb[0]}, x)["y"]
    assert_close(e_tan["y"], (hi - lo) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_jvp_structure_and_type_errors(torch):
    x = ember.ones(2)
    with pytest.raises(RuntimeError, match="same python structure"):
        ef.jvp(lambda d: d["a"], ({"a": x},), ({"b": x},))
    with pytest.raises(RuntimeError, match="Expected primals to only contain Tensors"):
        ef.jvp(lambda a: a, (1.0,), (1.0,))
    with pytest.raises(RuntimeError, match="return only tensors"):
        ef.jvp(lambda a: (a * 2, 3), (x,), (x,))
    with pytest.raises(RuntimeError, match="same python structure"):
        torch.func.jvp(lambda d: d["a"], ({"a": torch.ones(2)},), ({"b": torch.ones(2)},))


def test_empirical_ntk_by_vjp_and_jvp_matches_jacobian_contraction(torch):
    nn = pytest.importorskip("ember.nn")
    ember.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
    params = {k: v.detach() for k, v in net.named_parameters()}
    x1, x2 = ember.randn(2, 3, dtype=ember.float64), ember.randn(3, 3, dtype=ember.float64)

    def fnet(p, x):
        return ef.functional_call(net, p, (x.unsqueeze(0),)).squeeze(0)

    def ntk_vps(x1, x2):
        out, vjp_fn = ef.vjp(lambda p: fnet(p, x1), params)

        def slice_(vec):
            return ef.jvp(lambda p: fnet(p, x2), (params,), vjp_fn(vec))[1]

        return ef.vmap(slice_)(ember.eye(out.numel(), dtype=out.dtype))

    by_vps = ef.vmap(ef.vmap(ntk_vps, (None, 0)), (0, None))(x1, x2)
    j1 = ef.vmap(ef.jacrev(fnet), (None, 0))(params, x1)
    j2 = ef.vmap(ef.jacrev(fnet), (None, 0))(params, x2)
    by_jac = sum(ember.einsum("Naf,Mbf->NMab", a.flatten(2), b.flatten(2))
                 for a, b in zip(j1.values(), j2.values()))
    assert tuple(by_vps.shape) == (2, 3, 2, 2)
    assert_close(by_vps, by_jac.transpose(2, 3), rtol=1e-10, atol=1e-12)


def test_model_ensembling_with_stacked_state(torch):
    nn = pytest.importorskip("ember.nn")
    ember.manual_seed(0)
    models = [nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3)) for _ in range(4)]
    params, buffers = ef.stack_module_state(models)
    assert all(p.is_leaf and p.requires_grad for p in params.values())
    base = copy.deepcopy(models[0])
    x = ember.randn(5, 6)
    batches = ember.randn(4, 5, 6)

    def fmodel(p, b, x):
        return ef.functional_call(base, (p, b), (x,))

    assert_close(ef.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x),
                 ember.stack([m(x) for m in models]))
    assert_close(ef.vmap(fmodel)(params, buffers, batches),
                 ember.stack([m(b) for m, b in zip(models, batches)]))
    # same numbers as torch.func for the same weights
    tmodels = []
    for m in models:
        t = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 3))
        t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in m.state_dict().items()})
        tmodels.append(t)
    tp, tb = torch.func.stack_module_state(tmodels)
    tbase = copy.deepcopy(tmodels[0])
    ref = torch.func.vmap(lambda p, b, x: torch.func.functional_call(tbase, (p, b), (x,)),
                          in_dims=(0, 0, None))(tp, tb, torch.tensor(x.numpy()))
    assert_close(ef.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x), ref)


def test_jacrev_chunk_size(torch):
    x, xn = _pair(5)
    w, wn = _pair(4, 5)
    for chunk in (1, 3, None):
        assert_close(ef.jacrev(lambda a: (w @ a).sin(), chunk_size=chunk)(x),
                     torch.func.jacrev(lambda a: (torch.tensor(wn) @ a).sin(),
                                       chunk_size=chunk)(torch.tensor(xn)))
    for bad in (0, -2):
        with pytest.raises(ValueError, match="`chunk_size` should be greater than 0"):
            ef.jacrev(ember.sin, chunk_size=bad)
        with pytest.raises(ValueError, match="`chunk_size` should be greater than 0"):
            torch.func.jacrev(torch.sin, chunk_size=bad)


def test_functionalize_is_observably_the_function(torch):
    def f(m):
        def fn(x):
            y = x.clone()
            y.add_(1)
            x.mul_(2)
            return y * x

        return fn

    for remove in ("mutations", "mutations_and_views"):
        e, t = ember.ones(3), torch.ones(3)
        assert_close(ef.functionalize(f(ember), remove=remove)(e),
                     torch.func.functionalize(f(torch), remove=remove)(t))
        assert_close(e, t)  # the input's mutation is still applied
    fn = f(ember)
    assert ef.functionalize(fn).__name__ == fn.__name__
    with pytest.raises(RuntimeError, match="received invalid argument for remove=views"):
        ef.functionalize(fn, remove="views")
    with pytest.raises(RuntimeError, match="received invalid argument for remove=views"):
        torch.func.functionalize(f(torch), remove="views")


def test_replace_all_batch_norm_modules_(torch):
    nn = pytest.importorskip("ember.nn")

    def build(m):
        return m.nn.Sequential(m.nn.Conv2d(2, 3, 1), m.nn.BatchNorm2d(3),
                               m.nn.BatchNorm1d(4, track_running_stats=False), m.nn.Linear(2, 2))

    e, t = build(ember), build(torch)
    assert ef.replace_all_batch_norm_modules_(e) is e
    torch.func.replace_all_batch_norm_modules_(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert repr(e) == repr(t)
    assert e[1].running_mean is None and e[1].running_var is None
    assert e[1].num_batches_tracked is None and not e[1].track_running_stats
    assert dict(e.named_buffers()) == {}
    x = RNG.standard_normal((2, 3, 2, 2)).astype(np.float32)
    e.eval()
    t.eval()
    t[1].load_state_dict({k: torch.tensor(v.numpy()) for k, v in e[1].state_dict().items()})
    assert_close(e[1](ember.tensor(x)), t[1](torch.tensor(x)))  # batch statistics in eval too
    root = ef.replace_all_batch_norm_modules_(nn.BatchNorm1d(3))
    assert not root.track_running_stats and root.running_mean is None
    # vmap over a model: each entry normalises with its own batch statistics
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ef.replace_all_batch_norm_modules_(model)
    params = {k: v.detach() for k, v in model.named_parameters()}
    xs = ember.randn(3, 6, 3)
    out = ef.vmap(lambda a: ef.functional_call(model, params, (a,)))(xs)
    assert_close(out, ember.stack([model(a) for a in xs]))


def test_stack_module_state_keeps_requires_grad_per_name(torch):
    pytest.importorskip("ember.nn")
    for m in (ember, torch):
        models = [m.nn.Linear(3, 2) for _ in range(2)]
        for mod in models:
            mod.weight.requires_grad_(False)
        params, _ = m.func.stack_module_state(models)
        assert {k: (v.requires_grad, v.is_leaf) for k, v in params.items()} == {
            "weight": (False, True), "bias": (True, True)}
        models[1].weight.requires_grad_(True)
        with pytest.raises(RuntimeError, match="Expected weight from each model to have the "
                                               "same .requires_grad"):
            m.func.stack_module_state(models)


def test_functional_call_refuses_two_values_for_tied_weights(torch):
    pytest.importorskip("ember.nn")

    def tied(m):
        a, b = m.nn.Linear(2, 2, bias=False), m.nn.Linear(2, 2, bias=False)
        b.weight = a.weight
        return m.nn.Sequential(a, b)

    for m in (ember, torch):
        net, x, w = tied(m), m.ones(1, 2), m.eye(2) * 2
        assert m.func.functional_call(net, {"0.weight": w, "1.weight": w}, (x,)).tolist() == \
            [[4.0, 4.0]]
        assert m.func.functional_call(net, {"0.weight": w}, (x,)).tolist() == [[4.0, 4.0]]
        with pytest.raises(ValueError, match=r"multiple values for keys \['0.weight', "
                                             r"'1.weight'\], which are tied"):
            m.func.functional_call(net, {"0.weight": w, "1.weight": w.clone()}, (x,))


def test_vmap_out_dims_none_returns_unmapped_values(torch):
    for m in (ember, torch):
        xs = m.arange(6.0).view(2, 3)
        out, c = m.func.vmap(lambda x: (x * 2, 3.0), out_dims=(0, None))(xs)
        assert c == 3.0 and out.tolist() == (xs * 2).tolist()
        with pytest.raises(ValueError, match="must only return Tensors"):
            m.func.vmap(lambda x: (x * 2, 3.0))(xs)


def test_old_style_function_refused_under_transforms(torch):
    # PyTorch's transforms need setup_context; a forward(ctx, ...) Function raises under them
    # (and still works outside them)
    def make(L):
        class Double(L.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2
        return Double

    for L in (torch, ember):
        Double, x = make(L), L.ones(2, 3)
        with pytest.raises(RuntimeError, match="must override the setup_context"):
            L.func.vmap(Double.apply)(x)
        with pytest.raises(RuntimeError, match="must override the setup_context"):
            L.func.grad(lambda a, f=Double.apply: f(a).sum())(x)
        assert Double.apply(x).tolist() == [[2.0] * 3] * 2
