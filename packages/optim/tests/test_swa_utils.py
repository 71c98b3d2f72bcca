"""ember.optim.swa_utils against torch.optim.swa_utils: averaged parameters bit for bit for
every averaging function, n_averaged, state_dict keys, repr, SWALR rates, update_bn."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.optim
from ember.optim import swa_utils


def _model(lib, dtype):
    lib.manual_seed(0)
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(),
                          lib.nn.Linear(4, 2))
    return m.to(getattr(lib, dtype))


def _avg_kwargs(sw, kind):
    return {"default": {}, "ema_multi": dict(multi_avg_fn=sw.get_ema_multi_avg_fn(0.9)),
            "swa_multi": dict(multi_avg_fn=sw.get_swa_multi_avg_fn()),
            "ema": dict(avg_fn=sw.get_ema_avg_fn(0.8)), "swa": dict(avg_fn=sw.get_swa_avg_fn()),
            "buffers": dict(use_buffers=True),
            "ema_buffers": dict(multi_avg_fn=sw.get_ema_multi_avg_fn(0.9), use_buffers=True)}[kind]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["default", "ema_multi", "swa_multi", "ema", "swa", "buffers",
                                  "ema_buffers"])
def test_averaged_model_matches_torch(torch, kind, dtype):
    mt, me = _model(torch, dtype), _model(ember, dtype)
    me.load_state_dict({k: ember.tensor(v.numpy()) for k, v in mt.state_dict().items()})
    at = torch.optim.swa_utils.AveragedModel(mt, **_avg_kwargs(torch.optim.swa_utils, kind))
    ae = swa_utils.AveragedModel(me, **_avg_kwargs(swa_utils, kind))
    assert repr(ae) == repr(at)
    rng = np.random.default_rng(0)
    for step in range(6):
        # the same new weights and buffers on both sides (no forward: BatchNorm's own
        # statistics are nn's arithmetic, not the averaging's)
        for t, e in zip(mt.state_dict().values(), me.state_dict().values()):
            new = rng.standard_normal(t.shape).astype(dtype) if t.is_floating_point() else \
                np.asarray(step + 3)
            with torch.no_grad():
                t.copy_(torch.tensor(new))
            with ember.no_grad():
                e.copy_(ember.tensor(new))
        at.update_parameters(mt)
        ae.update_parameters(me)
        st, se = at.state_dict(), ae.state_dict()
        assert list(se) == list(st)
        for key in st:
            a, b = se[key].numpy(), st[key].numpy()
            assert a.dtype == b.dtype, key
            np.testing.assert_array_equal(a, b, err_msg=f"{key} after update {step}")
    assert int(ae.n_averaged) == int(at.n_averaged) == 6
    # an AveragedModel saved by PyTorch loads into Ember's
    fresh = swa_utils.AveragedModel(me, **_avg_kwargs(swa_utils, kind))
    fresh.load_state_dict({k: ember.tensor(v.numpy()) for k, v in at.state_dict().items()})
    assert int(fresh.n_averaged) == 6


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 5])
@pytest.mark.parametrize("swa_lr", [0.05, [0.05, 0.2]])
def test_swalr_rates(torch, strategy, anneal_epochs, swa_lr):
    def run(lib, sw):
        p1, p2 = lib.zeros(2, requires_grad=True), lib.zeros(2, requires_grad=True)
        opt = lib.optim.SGD([{"params": [p1]}, {"params": [p2], "lr": 0.3}], lr=0.1)
        base = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=30)
        sched = sw.SWALR(opt, swa_lr=swa_lr, anneal_epochs=anneal_epochs,
                         anneal_strategy=strategy)
        out = [sched.get_last_lr()]
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            for k in range(20):
                opt.step()
                (base if k < 5 else sched).step()
                out.append((sched.get_last_lr(), [g["lr"] for g in opt.param_groups]))
        sd = sched.state_dict()
        plain = {k: v for k, v in sd.items() if isinstance(v, (int, float, str, list))}
        return out, sorted(sd), plain, [str(x.message) for x in w]

    assert run(ember, swa_utils) == run(torch, torch.optim.swa_utils)


@pytest.mark.parametrize("make", [
    lambda sw, lib: sw.get_ema_multi_avg_fn(1.5), lambda sw, lib: sw.get_ema_avg_fn(-0.1),
    lambda sw, lib: sw.AveragedModel(lib.nn.Linear(2, 2), avg_fn=sw.get_swa_avg_fn(),
                                     multi_avg_fn=sw.get_swa_multi_avg_fn()),
    lambda sw, lib: sw.SWALR(lib.optim.SGD(lib.nn.Linear(2, 2).parameters(), lr=0.1), 0.05,
                             anneal_strategy="x"),
    lambda sw, lib: sw.SWALR(lib.optim.SGD(lib.nn.Linear(2, 2).parameters(), lr=0.1), 0.05,
                             anneal_epochs=-1),
    lambda sw, lib: sw.SWALR(lib.optim.SGD(lib.nn.Linear(2, 2).parameters(), lr=0.1),
                             [0.05, 0.1]),
])
def test_errors(torch, make):
    with pytest.raises(Exception) as te:
        make(torch.optim.swa_utils, torch)
    with pytest.raises(type(te.value)) as ee:
        make(swa_utils, ember)
    assert str(ee.value) == str(te.value)


def test_update_bn(torch):
    """Running statistics recomputed over a DataLoader (cumulative average, momentum None
    during the pass, restored after), inputs moved to ``device``."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((12, 3)).astype("float32")
    out = []
    for lib, sw in ((ember, swa_utils), (torch, torch.optim.swa_utils)):
        m = _model(lib, "float32")
        m.eval()
        momenta = []
        m[1].register_forward_pre_hook(lambda mod, inp, log=momenta: log.append(mod.momentum))
        data = lib.utils.data.TensorDataset(lib.tensor(x), lib.zeros(12))
        sw.update_bn(lib.utils.data.DataLoader(data, batch_size=5), m, device="cpu")
        out.append((m[1].running_mean.numpy(), m[1].running_var.numpy(),
                    int(m[1].num_batches_tracked), m[1].momentum, m.training, momenta))
    (em, ev, en, emo, etr, eps), (tm, tv, tn, tmo, ttr, tps) = out
    np.testing.assert_allclose(em, tm, rtol=1e-6, atol=1e-7)  # batch means: nn's reductions
    np.testing.assert_allclose(ev, tv, rtol=1e-6, atol=1e-7)
    assert (en, emo, etr, eps) == (tn, tmo, ttr, tps)
