"""Optimizer checkpoints through files: ``torch.save`` read by ``ember.load`` and given to the
matching Ember optimizer, and ``ember.save`` read by ``torch.load``; both then continue in step
with the optimizer that wrote the file."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.optim  # noqa: F401 - ember.optim.<name> below

CASES = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, maximize=False)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("NAdam", dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01)),
    ("Adadelta", dict(lr=0.5)),
    ("ASGD", dict(lr=0.01, t0=3)),
    ("Rprop", dict(lr=0.01)),
    ("Adafactor", dict(lr=0.05, weight_decay=0.01)),
    ("Muon", dict(lr=0.02)),
    ("LBFGS", dict(lr=0.5, history_size=4)),
    ("LBFGS", dict(lr=0.5, history_size=4, line_search_fn="strong_wolfe")),
]
SHAPES = [(4, 3), (3, 5)]


def _start(lib, name, kwargs, arrays):
    params = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
    return params, getattr(lib.optim, name)(params, **kwargs)


def _step(lib, params, opt, targets):
    """One step on a smooth non-quadratic loss (the closure serves LBFGS too)."""
    tg = [lib.tensor(t) for t in targets]

    def closure():
        opt.zero_grad()
        loss = sum(((p - t) ** 2).sum() + 0.1 * (p ** 4).sum() for p, t in zip(params, tg))
        loss.backward()
        return loss

    opt.step(closure)


def _tol(name):
    # Muon's update is rounded to bfloat16 in both libraries; now and then one entry of it
    # rounds to the neighbouring value: lr * sqrt(4 / 3) * 2**-8 (see test_adafactor_muon)
    return dict(rtol=1e-5, atol=4 * 0.02 * (4 / 3) ** 0.5 * 2.0 ** -8) if name == "Muon" else \
        dict(rtol=1e-8, atol=1e-10)  # float64; the gradients follow the parameters


@pytest.mark.parametrize("direction", ["torch_to_ember", "ember_to_torch"])
@pytest.mark.parametrize("name,kwargs", CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_checkpoint_file_continues_like_the_writer(torch, tmp_path, name, kwargs, direction):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s) for s in SHAPES]
    targets = [rng.standard_normal(s) for s in SHAPES]
    src, dst = (torch, ember) if direction == "torch_to_ember" else (ember, torch)
    src_params, src_opt = _start(src, name, kwargs, init)
    for _ in range(5):
        _step(src, src_params, src_opt, targets)
    path = str(tmp_path / "ckpt.pt")
    src.save({"optimizer": src_opt.state_dict(), "params": [p.detach() for p in src_params]},
             path)
    ckpt = ember.load(path) if dst is ember else torch.load(path, weights_only=True)
    assert isinstance(ckpt["params"][0], dst.Tensor)
    dst_params = [p.clone().requires_grad_(True) for p in ckpt["params"]]
    dst_opt = getattr(dst.optim, name)(dst_params, **kwargs)
    dst_opt.load_state_dict(ckpt["optimizer"])
    for k in range(10):
        _step(src, src_params, src_opt, targets)
        _step(dst, dst_params, dst_opt, targets)
        for i, (a, b) in enumerate(zip(src_params, dst_params)):
            e, t = (b, a) if dst is ember else (a, b)
            ember.testing.assert_close(e, t, msg=f"step {k}, parameter {i}:", **_tol(name))
    # the state keeps PyTorch's layout after the continued steps
    esd = (dst_opt if dst is ember else src_opt).state_dict()
    tsd = (src_opt if dst is ember else dst_opt).state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert {k: list(v) for k, v in esd["state"].items()} == \
        {k: list(v) for k, v in tsd["state"].items()}
