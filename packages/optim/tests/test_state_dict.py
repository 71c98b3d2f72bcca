"""Optimizer state_dicts in PyTorch's layout: PyTorch's load into Ember and the other way round."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from _optim_helpers import CASES, Pair, case_id, to_ember_state, to_torch_state

import ember
import ember.optim as optim


def _sync_params(pair: Pair) -> None:
    """Give Ember's parameters PyTorch's exact values, so that only the state is under test."""
    for e, t in zip(sum(pair.ep, []), sum(pair.tp, [])):
        e._data[...] = t.detach().numpy()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_torch_state_dict_loads_into_ember(torch, case, dtype):
    name, kwargs, groups = case
    pair = Pair(torch, name, groups, kwargs, dtype=dtype)
    pair.step(6, check=False)
    _sync_params(pair)
    fresh = getattr(optim, name)([{"params": ps} for ps in pair.ep])
    fresh.load_state_dict(to_ember_state(torch, pair.topt.state_dict()))
    pair.eopt = fresh
    assert [{k: v for k, v in g.items() if k != "params"} for g in fresh.param_groups] == \
        [{k: v for k, v in g.items() if k != "params"} for g in pair.topt.param_groups]
    pair.step(8)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_ember_state_dict_loads_into_torch(torch, case):
    name, kwargs, groups = case
    pair = Pair(torch, name, groups, kwargs)
    pair.step(6, check=False)
    _sync_params(pair)
    fresh = getattr(torch.optim, name)([{"params": ps} for ps in pair.tp])
    fresh.load_state_dict(to_torch_state(torch, pair.eopt.state_dict()))
    pair.topt = fresh
    pair.step(8)


@pytest.mark.parametrize("case", CASES[1::3], ids=case_id)
def test_ember_round_trip_continues_identically(torch, case):
    name, kwargs, groups = case
    pair = Pair(torch, name, groups, kwargs)
    pair.step(5)
    sd = copy.deepcopy(pair.eopt.state_dict())
    fresh = getattr(optim, name)([{"params": ps} for ps in pair.ep], **kwargs)
    fresh.load_state_dict(sd)
    pair.eopt = fresh
    pair.step(5)


def test_loaded_state_is_cast_like_torch(torch):
    # PyTorch casts every floating state tensor but 'step' to the parameter's dtype on load
    pair = Pair(torch, "ASGD", [dict(t0=2)], {}, dtype="float64")
    pair.step(3, check=False)
    tsd = pair.topt.state_dict()
    fresh_t = torch.optim.ASGD([p for g in pair.tp for p in g])
    fresh_t.load_state_dict(tsd)
    fresh_e = optim.ASGD([p for g in pair.ep for p in g])
    fresh_e.load_state_dict(to_ember_state(torch, tsd))
    for key in ("step", "eta", "mu"):
        assert fresh_e.state[pair.ep[0][0]][key].dtype.name == str(
            fresh_t.state[pair.tp[0][0]][key].dtype).replace("torch.", "")


def test_lbfgs_state_dict_both_ways(torch):
    x0 = np.array([-1.2, 1.0, 0.5, -0.3])

    def rosen(x):
        return ((1 - x[:-1]) ** 2).sum() + (100 * (x[1:] - x[:-1] ** 2) ** 2).sum()

    def closure(opt, x):
        def run():
            opt.zero_grad()
            loss = rosen(x)
            loss.backward()
            return loss
        return run

    for ls in (None, "strong_wolfe"):
        kw = dict(max_iter=5, history_size=3, line_search_fn=ls)
        tx = torch.tensor(x0.copy(), requires_grad=True)
        topt = torch.optim.LBFGS([tx], **kw)
        for _ in range(2):
            topt.step(closure(topt, tx))
        ex = ember.tensor(tx.detach().numpy().copy(), requires_grad=True)
        eopt = optim.LBFGS([ex], **kw)
        eopt.load_state_dict(to_ember_state(torch, topt.state_dict()))
        for _ in range(2):
            eopt.step(closure(eopt, ex))
            topt.step(closure(topt, tx))
            ember.testing.assert_close(ex, tx, rtol=1e-9, atol=1e-12)
        # and back: Ember's state continues in PyTorch
        tx2 = torch.tensor(ex.detach().numpy().copy(), requires_grad=True)
        topt2 = torch.optim.LBFGS([tx2], **kw)
        topt2.load_state_dict(to_torch_state(torch, eopt.state_dict()))
        eopt.step(closure(eopt, ex))
        topt2.step(closure(topt2, tx2))
        ember.testing.assert_close(ex, tx2, rtol=1e-9, atol=1e-12)


def _raises_like_torch(torch_fn, ember_fn):
    with pytest.raises(Exception) as expected:
        torch_fn()
    with pytest.raises(type(expected.value)) as got:
        ember_fn()
    assert str(got.value) == str(expected.value)


def test_state_dict_errors_match_torch(torch):
    def both(shapes_groups):
        e = [[ember.zeros(s, requires_grad=True) for s in g] for g in shapes_groups]
        t = [[torch.zeros(s, requires_grad=True) for s in g] for g in shapes_groups]
        return e, t

    (e1,), (t1,) = both([[(2,), (3,)]])
    for p in e1:
        p.grad = ember.ones(p.shape)
    for p in t1:
        p.grad = torch.ones(p.shape)
    esgd, tsgd = optim.SGD(e1, lr=0.1, momentum=0.9), torch.optim.SGD(t1, lr=0.1, momentum=0.9)
    esgd.step()
    tsgd.step()
    eadam, tadam = optim.Adam(e1), torch.optim.Adam(t1)
    eadam.step()
    tadam.step()
    # another optimizer's state: SGD's lacks 'step' (Adam raises on load) ...
    _raises_like_torch(lambda: torch.optim.Adam(t1).load_state_dict(tsgd.state_dict()),
                       lambda: optim.Adam(e1).load_state_dict(esgd.state_dict()))
    # ... and Adam's groups lack 'momentum' (SGD loads, then its step raises)
    tload, eload = torch.optim.SGD(t1, lr=0.1), optim.SGD(e1, lr=0.1)
    tload.load_state_dict(tadam.state_dict())
    eload.load_state_dict(eadam.state_dict())
    _raises_like_torch(tload.step, eload.step)
    # a different number of groups, or a group of another size
    e2, t2 = both([[(2,)], [(3,)]])
    _raises_like_torch(lambda: torch.optim.Adam([{"params": g} for g in t2]).load_state_dict(
        tadam.state_dict()), lambda: optim.Adam([{"params": g} for g in e2]).load_state_dict(
        eadam.state_dict()))
    (e3,), (t3,) = both([[(2,), (3,), (4,)]])
    _raises_like_torch(lambda: torch.optim.Adam(t3).load_state_dict(tadam.state_dict()),
                       lambda: optim.Adam(e3).load_state_dict(eadam.state_dict()))


def test_state_dict_hooks():
    p = ember.zeros(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    order = []
    opt.register_state_dict_pre_hook(lambda o: order.append("a"))
    opt.register_state_dict_pre_hook(lambda o: order.append("b"), prepend=True)
    opt.register_state_dict_post_hook(lambda o, sd: {**sd, "extra": 1})
    sd = opt.state_dict()
    assert order == ["b", "a"] and sd["extra"] == 1
    opt.register_load_state_dict_pre_hook(lambda o, sd: {k: v for k, v in sd.items()
                                                         if k != "extra"})
    loaded = []
    opt.register_load_state_dict_post_hook(lambda o: loaded.append(True))
    sd["param_groups"][0]["lr"] = 0.25
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.25 and loaded == [True]


def test_named_parameters_match_torch(torch):
    def build(lib, opt_mod):
        a, b, c = (lib.ones(2, requires_grad=True) for _ in range(3))
        for p in (a, b, c):
            p.grad = lib.ones(2)
        opt = opt_mod.Adam([{"params": [("w", a), ("b", b)], "lr": 0.1},
                            {"params": [("head", c)]}])
        opt.step()
        return opt, (a, b, c)

    eopt, eps = build(ember, optim)
    topt, tps = build(torch, torch.optim)
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert [list(g) for g in esd["param_groups"]] == [list(g) for g in tsd["param_groups"]]
    fresh = optim.Adam([{"params": list(eps[:2])}, {"params": [eps[2]]}])
    fresh.load_state_dict(to_ember_state(torch, tsd))
    assert fresh.param_groups[0]["param_names"] == ["w", "b"]

    def mixed(lib, opt_mod):
        p, q = lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)
        return [lambda: opt_mod.SGD([("p", p), q], lr=0.1),
                lambda: opt_mod.SGD([{"params": [("p", p)]}, {"params": [q]}], lr=0.1)]

    for t_case, e_case in zip(mixed(torch, torch.optim), mixed(ember, optim)):
        _raises_like_torch(t_case, e_case)


def _replaced_closure_run(lib, opt_mod):
    p = lib.ones(1, requires_grad=True)
    opt = opt_mod.SGD([p], lr=0.5)
    seen = []

    def closure():
        opt.zero_grad()
        loss = (p * 3).sum()
        loss.backward()
        return loss

    def replace(o, args, kwargs):
        seen.append(len(args))
        return (o, closure), {}

    opt.register_step_pre_hook(replace)
    loss = opt.step()
    return float(loss.detach()), seen, float(p.detach().numpy()[0])


def test_step_pre_hook_may_replace_the_closure(torch):
    expected = _replaced_closure_run(torch, torch.optim)
    assert _replaced_closure_run(ember, optim) == expected == (3.0, [1], -0.5)
