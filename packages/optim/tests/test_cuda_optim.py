"""Optimizers and schedulers on the CUDA backend step exactly as on the CPU.

Skipped where no GPU is usable (CI); they run on GPU machines.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.optim as optim

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device")

CONFIGS = [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adadelta", dict()),
    ("Adamax", dict()),
    ("NAdam", dict(decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict()),
    ("ASGD", dict()),
    ("Rprop", dict()),
    ("LBFGS", dict(lr=0.5, history_size=3)),
]


def _params(device):
    rng = np.random.default_rng(0)
    return [ember.tensor(rng.standard_normal(s), device=device, requires_grad=True)
            for s in ((70000,), (4, 3), ())]


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in
                                                      enumerate(CONFIGS)])
def test_steps_match_cpu(name, kwargs):
    results = []
    for device in ("cpu", "cuda"):
        params = _params(device)
        opt = getattr(optim, name)(params, **kwargs)

        def closure(opt=opt, params=params):
            opt.zero_grad()
            loss = sum(((p - 0.5) ** 2 * (i + 1)).sum() + p.sin().sum()
                       for i, p in enumerate(params))
            loss.backward()
            return loss

        for _ in range(8):
            opt.step(closure)
        for state in opt.state.values():
            for k, v in state.items():
                if isinstance(v, ember.Tensor) and v.numel() > 1:
                    assert v.device.type == device, (name, k)
        results.append([p.detach().cpu().numpy() for p in params])
    for got, ref in zip(results[1], results[0]):
        np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_state_dict_moves_to_cuda_params():
    cpu = _params("cpu")
    opt = optim.Adam(cpu, lr=0.1)
    sum(p.sum() for p in cpu).backward()
    opt.step()
    gpu = _params("cuda")
    opt2 = optim.Adam(gpu, lr=0.1)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.state[gpu[0]]["exp_avg"].device.type == "cuda"
    sum(p.sum() for p in gpu).backward()
    opt2.step()
    assert gpu[0].device.type == "cuda"


def test_scheduler_with_cuda_optimizer():
    p = ember.zeros(3, device="cuda", requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    for _ in range(5):
        p.sum().backward()
        opt.step()
        sched.step()
    assert p.device.type == "cuda" and p.grad.device.type == "cuda"
