"""Every optimizer against PyTorch's, step for step: same start, same gradients, same options."""

from __future__ import annotations

import numpy as np
import pytest
from _optim_helpers import CASES, Pair, case_id

import ember
import ember.optim as optim


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_steps_match_torch(torch, case, dtype):
    name, kwargs, groups = case
    pair = Pair(torch, name, groups, kwargs, dtype=dtype)
    pair.step(25)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_complex_parameters_match_torch(torch, case):
    name, kwargs, groups = case
    pair = Pair(torch, name, groups, kwargs, dtype="float64", is_complex=True)
    pair.step(15)


@pytest.mark.parametrize("block_bytes", [None, 1 << 14])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_large_parameters_match_torch(torch, case, block_bytes, monkeypatch):
    # big contiguous parameters are updated block by block, on ember.get_num_threads()
    # threads: the numbers must not change
    import _optim_helpers

    from ember.optim import optimizer

    if block_bytes is not None:
        monkeypatch.setattr(optimizer, "_BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(_optim_helpers, "SHAPES", [[(3, 4), (520, 530)], [(2, 3)], [(5,)]])
    name, kwargs, groups = case
    Pair(torch, name, groups, kwargs, dtype="float32").step(3)
    Pair(torch, name, groups, kwargs, dtype="float64", is_complex=True).step(3)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_state_and_group_keys_match_torch(torch, case):
    name, kwargs, groups = case
    pair = Pair(torch, name, groups, kwargs)
    pair.step(2, check=False)
    esd, tsd = pair.eopt.state_dict(), pair.topt.state_dict()
    assert [list(g) for g in esd["param_groups"]] == [list(g) for g in tsd["param_groups"]]
    for eg, tg in zip(esd["param_groups"], tsd["param_groups"]):
        assert eg == tg
    assert sorted(esd["state"]) == sorted(tsd["state"])
    for idx, tstate in tsd["state"].items():
        estate = esd["state"][idx]
        assert list(estate) == list(tstate)
        for key, tval in tstate.items():
            assert str(estate[key].dtype).replace("ember.", "") == str(tval.dtype).replace(
                "torch.", ""), key
            ember.testing.assert_close(estate[key], tval, rtol=1e-10, atol=1e-13,
                                       msg=f"state[{idx}][{key!r}]")


def test_defaults_match_torch(torch):
    for name in ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta",
                 "RMSprop", "Rprop", "ASGD", "LBFGS"]:
        e = getattr(optim, name)([ember.zeros(2, requires_grad=True)])
        t = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
        assert e.defaults == t.defaults, name
        assert repr(e) == repr(t), name


BAD = [
    ("SGD", dict(lr=-1)), ("SGD", dict(momentum=-0.5)), ("SGD", dict(weight_decay=-1)),
    ("SGD", dict(nesterov=True)), ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1)),
    ("Adam", dict(lr=-1)), ("Adam", dict(eps=-1)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-0.1)),
    ("AdamW", dict(betas=(0.9, 1.5))),
    ("Adamax", dict(lr=-0.1)), ("Adamax", dict(eps=-1e-8)), ("Adamax", dict(betas=(-0.1, 0.9))),
    ("Adamax", dict(weight_decay=-1)),
    ("NAdam", dict(momentum_decay=-1)), ("NAdam", dict(betas=(0.9, 1.0))),
    ("NAdam", dict(weight_decay=-2)),
    ("RAdam", dict(eps=-1)), ("RAdam", dict(weight_decay=-2)),
    ("Adagrad", dict(lr=-1)), ("Adagrad", dict(lr_decay=-1)), ("Adagrad", dict(weight_decay=-1)),
    ("Adagrad", dict(initial_accumulator_value=-1)), ("Adagrad", dict(eps=-1)),
    ("Adadelta", dict(lr=-1)), ("Adadelta", dict(rho=1.5)), ("Adadelta", dict(eps=-1)),
    ("Adadelta", dict(weight_decay=-1)),
    ("RMSprop", dict(lr=-1)), ("RMSprop", dict(eps=-1)), ("RMSprop", dict(momentum=-1)),
    ("RMSprop", dict(weight_decay=-1)), ("RMSprop", dict(alpha=-1)),
    ("Rprop", dict(lr=-1)), ("Rprop", dict(etas=(1.5, 1.2))), ("Rprop", dict(etas=(0.5, 0.9))),
    ("ASGD", dict(lr=-1)), ("ASGD", dict(weight_decay=-1)),
    ("LBFGS", dict(lr=-1)),
]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[f"{n}-{k}" for n, k in BAD])
def test_bad_hyperparameters_raise_as_torch(torch, name, kwargs):
    with pytest.raises(Exception) as expected:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(type(expected.value)) as got:
        getattr(optim, name)([ember.zeros(2, requires_grad=True)], **kwargs)
    assert str(got.value) == str(expected.value)


def test_bad_parameter_lists(torch):
    for bad in ([], ember.zeros(2)):
        with pytest.raises((ValueError, TypeError)):
            optim.SGD(bad, lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        p = ember.zeros(2, requires_grad=True)
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [ember.zeros(1, requires_grad=True)]},
                     {"params": [ember.zeros(1, requires_grad=True)]}])


def test_zero_grad():
    p = ember.ones(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.numpy().tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_hooks_and_closure():
    p = ember.ones(2, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda o, a, k: calls.append(("pre", len(a))))
    handle = opt.register_step_post_hook(lambda o, a, k: calls.append(("post", len(a))))

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == 2.0 and calls == [("pre", 2), ("post", 2)]
    handle.remove()
    opt.step(closure)
    assert calls[-1] == ("pre", 2) and len(calls) == 3


def test_add_param_group_after_steps(torch):
    pair = Pair(torch, "Adagrad", [dict(lr=0.1)], dict(initial_accumulator_value=0.1))
    pair.step(3)
    extra = np.linspace(-1, 1, 4)
    pe, pt = ember.tensor(extra.copy(), requires_grad=True), torch.tensor(extra.copy(),
                                                                          requires_grad=True)
    pair.eopt.add_param_group({"params": [pe], "lr": 0.5})
    pair.topt.add_param_group({"params": [pt], "lr": 0.5})
    for k in range(4):
        g = np.cos(extra * (k + 1))
        pe.grad, pt.grad = ember.tensor(g), torch.tensor(g)
        pair.step()
        ember.testing.assert_close(pe, pt, rtol=1e-12, atol=0)


def _rosenbrock(x):
    return ((1 - x[:-1]) ** 2).sum() + (100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size,max_iter", [(4, 7), (100, 20)])
def test_lbfgs_iterates_match_torch(torch, line_search_fn, history_size, max_iter):
    x0 = np.array([-1.5, 2.0, -0.5, 1.2, 0.3])
    ex = ember.tensor(x0.copy(), requires_grad=True)
    tx = torch.tensor(x0.copy(), requires_grad=True)
    kw = dict(lr=1, max_iter=max_iter, history_size=history_size, line_search_fn=line_search_fn)
    eopt, topt = optim.LBFGS([ex], **kw), torch.optim.LBFGS([tx], **kw)

    def closure(opt, x):
        def run():
            opt.zero_grad()
            loss = _rosenbrock(x)
            loss.backward()
            return loss
        return run

    for _ in range(4):
        le, lt = eopt.step(closure(eopt, ex)), topt.step(closure(topt, tx))
        assert float(le) == pytest.approx(float(lt.detach()), rel=1e-10)
        ember.testing.assert_close(ex, tx, rtol=1e-9, atol=1e-12)
        es, ts = eopt.state[ex], topt.state[tx]
        assert (es["func_evals"], es["n_iter"]) == (ts["func_evals"], ts["n_iter"])
        assert len(es["old_dirs"]) == len(ts["old_dirs"])


def test_lbfgs_maximize_and_state_keys(torch):
    x0 = np.array([0.3, -0.2, 0.7])
    ex = ember.tensor(x0.copy(), requires_grad=True)
    tx = torch.tensor(x0.copy(), requires_grad=True)
    eopt = optim.LBFGS([ex], lr=0.5, max_iter=5, maximize=True)
    topt = torch.optim.LBFGS([tx], lr=0.5, max_iter=5, maximize=True)

    def closure(opt, x):
        def run():
            opt.zero_grad()
            loss = -((x - 1.0) ** 2).sum() - (x ** 4).sum()
            loss.backward()
            return loss
        return run

    for _ in range(2):
        eopt.step(closure(eopt, ex))
        topt.step(closure(topt, tx))
    ember.testing.assert_close(ex, tx, rtol=1e-10, atol=1e-13)
    assert list(eopt.state_dict()["state"][0]) == list(topt.state_dict()["state"][0])


# ---------------------------------------------------------------- without the oracle
@pytest.mark.parametrize("name,kwargs,steps", [
    ("SGD", dict(lr=0.05, momentum=0.9), 300), ("SGD", dict(lr=0.05, momentum=0.9,
                                                            nesterov=True), 300),
    ("Adam", dict(lr=0.05), 600), ("AdamW", dict(lr=0.05, weight_decay=0.0), 600),
    ("Adamax", dict(lr=0.05), 800), ("NAdam", dict(lr=0.05), 600),
    ("RAdam", dict(lr=0.05), 800), ("Adagrad", dict(lr=0.5), 800),
    ("Adadelta", dict(lr=0.5, eps=1e-2, rho=0.5), 800), ("RMSprop", dict(lr=0.01), 800),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5), 800), ("Rprop", dict(), 300),
    ("ASGD", dict(lr=0.05), 600),
])
def test_least_squares_converges(name, kwargs, steps):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((40, 5))
    x_true = rng.standard_normal(5)
    b = a @ x_true
    at, bt = ember.tensor(a), ember.tensor(b)
    x = ember.zeros(5, dtype=ember.float64, requires_grad=True)
    opt = getattr(optim, name)([x], **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        loss = (((at @ x) - bt) ** 2).mean()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(x.detach().numpy(), x_true, atol=2e-2)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_least_squares_converges(line_search_fn):
    rng = np.random.default_rng(2)
    a = rng.standard_normal((30, 4))
    x_true = rng.standard_normal(4)
    at, bt = ember.tensor(a), ember.tensor(a @ x_true)
    x = ember.zeros(4, dtype=ember.float64, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn=line_search_fn, tolerance_grad=1e-12,
                      tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = (((at @ x) - bt) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), x_true, atol=1e-6)
