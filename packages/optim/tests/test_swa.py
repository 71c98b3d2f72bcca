"""Stochastic weight averaging against PyTorch: AveragedModel, the avg functions, SWALR, update_bn."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.optim import SGD, lr_scheduler, swa_utils


def _models(torch, seed=0):
    """The same small network with a BatchNorm on both sides."""
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(),
                                 lib.nn.Linear(4, 2))

    e, t = build(ember), build(torch)
    rng = np.random.default_rng(seed)
    for (_, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        a = rng.standard_normal(tuple(pt.shape))
        pe._data[...] = a
        with torch.no_grad():
            pt.copy_(torch.tensor(a))
    return e, t


def _perturb(torch, e, t, rng):
    for pe, pt in zip(e.parameters(), t.parameters()):
        a = rng.standard_normal(tuple(pt.shape)).astype(np.float32)
        pe._data[...] = a
        with torch.no_grad():
            pt.copy_(torch.tensor(a))
    x = rng.standard_normal((6, 3)).astype(np.float32)
    e(ember.tensor(x))  # training mode: BatchNorm's running statistics move
    t(torch.tensor(x))


def _assert_state_close(e_module, t_module):
    esd, tsd = e_module.state_dict(), t_module.state_dict()
    assert list(esd) == list(tsd)
    for key in tsd:
        ember.testing.assert_close(esd[key], tsd[key], rtol=1e-6, atol=1e-7, msg=key)


AVERAGINGS = {
    "swa": lambda m: dict(),
    "ema-multi": lambda m: dict(multi_avg_fn=m.get_ema_multi_avg_fn(0.9)),
    "swa-multi": lambda m: dict(multi_avg_fn=m.get_swa_multi_avg_fn()),
    "ema-fn": lambda m: dict(avg_fn=m.get_ema_avg_fn(0.8)),
    "swa-fn": lambda m: dict(avg_fn=m.get_swa_avg_fn()),
    "ema-buffers": lambda m: dict(multi_avg_fn=m.get_ema_multi_avg_fn(0.7), use_buffers=True),
    "swa-buffers": lambda m: dict(use_buffers=True),
}


@pytest.mark.parametrize("kind", list(AVERAGINGS))
def test_averaged_model_matches_torch(torch, kind):
    e, t = _models(torch)
    e_avg = swa_utils.AveragedModel(e, **AVERAGINGS[kind](swa_utils))
    t_avg = torch.optim.swa_utils.AveragedModel(t, **AVERAGINGS[kind](torch.optim.swa_utils))
    rng = np.random.default_rng(1)
    for _ in range(5):
        _perturb(torch, e, t, rng)
        e_avg.update_parameters(e)
        t_avg.update_parameters(t)
        _assert_state_close(e_avg, t_avg)
    assert int(e_avg.n_averaged.item()) == 5
    assert "n_averaged" in e_avg.state_dict()
    x = rng.standard_normal((4, 3)).astype(np.float32)
    e_avg.eval()
    t_avg.eval()
    ember.testing.assert_close(e_avg(ember.tensor(x)), t_avg(torch.tensor(x)).detach(),
                               rtol=1e-5, atol=1e-6)


def test_averaged_model_state_dict_loads_from_torch(torch):
    e, t = _models(torch)
    t_avg = torch.optim.swa_utils.AveragedModel(t)
    rng = np.random.default_rng(2)
    for _ in range(3):
        _perturb(torch, e, t, rng)
        t_avg.update_parameters(t)
    e_avg = swa_utils.AveragedModel(e)
    e_avg.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t_avg.state_dict().items()})
    _assert_state_close(e_avg, t_avg)
    _perturb(torch, e, t, rng)
    e_avg.update_parameters(e)
    t_avg.update_parameters(t)
    _assert_state_close(e_avg, t_avg)


def test_averaged_model_keeps_the_model_apart():
    model = nn.Linear(2, 2)
    avg = swa_utils.AveragedModel(model)
    assert avg.module is not model
    before = model.weight.detach().numpy().copy()
    avg.update_parameters(model)
    model.weight._data += 1.0
    np.testing.assert_array_equal(avg.module.weight.detach().numpy(), before)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(model, avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="Invalid decay value"):
            swa_utils.get_ema_avg_fn(bad)
        with pytest.raises(ValueError, match="Invalid decay value"):
            swa_utils.get_ema_multi_avg_fn(bad)


def _optimizer(lib, ngroups=2):
    params = [lib.zeros(2, requires_grad=True) for _ in range(ngroups)]
    opt_mod = ember.optim if lib is ember else lib.optim
    return opt_mod.SGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)])


def _swalr_run(lib, kwargs, n=40, warm=None, round_trip_at=None):
    swa = swa_utils if lib is ember else lib.optim.swa_utils
    sched_mod = lr_scheduler if lib is ember else lib.optim.lr_scheduler
    opt = _optimizer(lib)
    warmup = sched_mod.CosineAnnealingLR(opt, 10) if warm else None
    sched = swa.SWALR(opt, **kwargs)
    out = []
    for k in range(n):
        opt.step()
        (warmup if warm and k < warm else sched).step()
        out.append([g["lr"] for g in opt.param_groups])
        if k == round_trip_at:
            state = sched.state_dict()
            sched = swa.SWALR(opt, **kwargs)
            sched.load_state_dict(state)
    return out


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.05), dict(swa_lr=[0.01, 0.2], anneal_epochs=5,
                                                          anneal_strategy="linear"),
                                    dict(swa_lr=0.03, anneal_epochs=0),
                                    dict(swa_lr=0.02, anneal_epochs=1, anneal_strategy="cos")])
def test_swalr_matches_torch(torch, kwargs):
    assert _swalr_run(ember, kwargs) == _swalr_run(torch, kwargs)
    assert _swalr_run(ember, kwargs, warm=7) == _swalr_run(torch, kwargs, warm=7)
    assert _swalr_run(ember, kwargs, round_trip_at=12) == _swalr_run(torch, kwargs)


def test_swalr_bad_arguments_raise_as_torch(torch):
    for kwargs in (dict(swa_lr=0.1, anneal_strategy="exp"), dict(swa_lr=0.1, anneal_epochs=-1),
                   dict(swa_lr=0.1, anneal_epochs=2.5), dict(swa_lr=[0.1])):
        with pytest.raises(Exception) as expected:
            torch.optim.swa_utils.SWALR(_optimizer(torch), **kwargs)
        with pytest.raises(type(expected.value)) as got:
            swa_utils.SWALR(_optimizer(ember), **kwargs)
        assert str(got.value) == str(expected.value)


def test_update_bn_matches_torch(torch):
    e, t = _models(torch)
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((5, 3)).astype(np.float32) * (i + 1) for i in range(4)]
    e.eval()
    t.eval()
    e_bn, t_bn = e[1], t[1]
    e_bn.momentum = t_bn.momentum = 0.3
    swa_utils.update_bn([(ember.tensor(b), 0) for b in batches], e)
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], t)
    _assert_state_close(e, t)
    assert not e.training and e_bn.momentum == 0.3
    # a model without BatchNorm is left alone
    plain = nn.Linear(3, 2)
    swa_utils.update_bn([ember.tensor(batches[0])], plain)


def test_swa_training_loop_runs():
    ember.manual_seed(0)
    rng = np.random.default_rng(4)
    x = ember.tensor(rng.standard_normal((32, 3)).astype(np.float32))
    y = x[:, :2] * 2 - x[:, 2:] + 0.5
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    with ember.no_grad():
        initial = float(((model(x) - y) ** 2).mean())
    swa_model = swa_utils.AveragedModel(model)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    swa_sched = swa_utils.SWALR(opt, swa_lr=0.01, anneal_epochs=3)
    for epoch in range(20):
        for i in range(0, 32, 8):
            opt.zero_grad()
            loss = ((model(x[i:i + 8]) - y[i:i + 8]) ** 2).mean()
            loss.backward()
            opt.step()
        if epoch >= 10:
            swa_model.update_parameters(model)
            swa_sched.step()
    swa_utils.update_bn([x[i:i + 8] for i in range(0, 32, 8)], swa_model)
    swa_model.eval()
    with ember.no_grad():
        final = float(((swa_model(x) - y) ** 2).mean())
    assert int(swa_model.n_averaged.item()) == 10
    assert final < 0.2 * initial
