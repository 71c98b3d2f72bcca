"""A whole SWA / EMA run against PyTorch in float64: training over a DataLoader, averaging every
epoch, SWALR annealing, then update_bn over the DataLoader and evaluation of the average."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn  # noqa: F401 - lib.nn below
import ember.optim.swa_utils  # noqa: F401 - lib.optim.swa_utils below
import ember.utils.data  # noqa: F401 - lib.utils.data below


def _network(lib, state=None):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    net = net.to(lib.float64)
    if state is not None:
        net.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    return net


AVERAGING = {
    "swa": lambda s: {},
    "ema": lambda s: dict(multi_avg_fn=s.get_ema_multi_avg_fn(0.9)),
    "swa-multi": lambda s: dict(multi_avg_fn=s.get_swa_multi_avg_fn()),
    "avg_fn": lambda s: dict(avg_fn=lambda avg, new, n: 0.7 * avg + 0.3 * new),
    "ema-buffers": lambda s: dict(multi_avg_fn=s.get_ema_multi_avg_fn(0.8), use_buffers=True),
    "swa-buffers": lambda s: dict(use_buffers=True),
}


def _swa_run(lib, state, kind, strategy):
    swa = lib.optim.swa_utils
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4))
    y = np.sin(x[:, :2] * x[:, 2:])
    data = lib.utils.data.TensorDataset(lib.tensor(x), lib.tensor(y))
    loader = lib.utils.data.DataLoader(data, batch_size=16, shuffle=False)
    model = _network(lib, state)
    averaged = swa.AveragedModel(model, **AVERAGING[kind](swa))
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = swa.SWALR(opt, swa_lr=0.02, anneal_epochs=3, anneal_strategy=strategy)
    lrs = []
    for _ in range(6):
        for xb, yb in loader:
            opt.zero_grad()
            lib.nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
        averaged.update_parameters(model)
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    swa.update_bn(loader, averaged)
    averaged.eval()
    out = averaged(lib.tensor(x[:8])).detach().numpy()
    sd = {k: v.detach().numpy().copy() for k, v in averaged.state_dict().items()}
    return lrs, int(averaged.n_averaged), sd, out


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("kind", list(AVERAGING))
def test_swa_run_matches_torch(torch, kind, strategy):
    torch.manual_seed(0)
    state = {k: v.numpy().copy() for k, v in _network(torch).state_dict().items()}
    t_lrs, t_n, t_sd, t_out = _swa_run(torch, state, kind, strategy)
    e_lrs, e_n, e_sd, e_out = _swa_run(ember, state, kind, strategy)
    np.testing.assert_allclose(e_lrs, t_lrs, rtol=1e-12)
    assert e_n == t_n
    assert list(e_sd) == list(t_sd)
    for key in t_sd:
        np.testing.assert_allclose(e_sd[key], t_sd[key], rtol=1e-9, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(e_out, t_out, rtol=1e-9, atol=1e-12)
