"""Whole training programs run against PyTorch (session 25): each program below is PyTorch
code; it runs once as written and once with ``torch`` spelled ``ember``, and what it prints
(losses, learning rates, state_dicts, reprs, errors) must be the same text. Also the
classes' reprs (``<class 'torch.optim.lr_scheduler.OneCycleLR'>``) and pickling."""

from __future__ import annotations

import contextlib
import io
import pickle
import re
import warnings

import pytest

pytest.importorskip("ember.nn")


def _run(src: str) -> str:
    """What ``src`` prints (and its warnings, one line each)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(src, "<program>", "exec"), {"__name__": "__program__"})  # noqa: S102
    text = out.getvalue() + "".join(f"W {w.category.__name__}: {w.message}\n" for w in caught)
    return re.sub(r"\btorch\b", "ember", text)


def _same_as_torch(src: str) -> None:
    torch = pytest.importorskip("torch")
    import ember
    try:
        expected = _run(src)
        got = _run(re.sub(r"\btorch\b", "ember", src.replace("torchvision", "ember.vision")))
    finally:  # a program may change the default dtype
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)
    assert got.splitlines() == expected.splitlines()


# --- classes defined in helper modules show PyTorch's module in their repr ------------

_CLASSES = ["optim.lr_scheduler.OneCycleLR", "optim.lr_scheduler.CyclicLR",
            "optim.lr_scheduler.CosineAnnealingWarmRestarts", "optim.lr_scheduler.LRScheduler",
            "optim.lr_scheduler._LRScheduler", "optim.AdamW", "optim.Adafactor", "optim.Muon",
            "optim.Adam", "optim.lr_scheduler.StepLR", "optim.swa_utils.SWALR"]


def _lookup(lib, dotted: str):
    obj = lib
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("dotted", _CLASSES)
def test_class_repr_names_pytorchs_module(dotted: str) -> None:
    torch = pytest.importorskip("torch")
    import importlib

    import ember
    importlib.import_module("ember.optim.swa_utils")
    importlib.import_module("torch.optim.swa_utils")
    want = repr(_lookup(torch, dotted)).replace("torch", "ember")
    assert repr(_lookup(ember, dotted)) == want


def test_optimizer_and_scheduler_objects_pickle() -> None:
    import ember
    p = ember.nn.Parameter(ember.ones(2))
    opt = ember.optim.AdamW([p], lr=0.1)
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    opt2, sched2 = pickle.loads(pickle.dumps((opt, sched)))
    assert type(opt2) is ember.optim.AdamW
    assert type(sched2) is ember.optim.lr_scheduler.OneCycleLR
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_typeerror_names_the_scheduler_as_pytorch() -> None:
    _same_as_torch("""
import torch
opt = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1, momentum=0.9)
try:
    torch.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2, **{'step_size_up': 3})
except TypeError as e:
    print(e)
print(type(torch.optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1)), type(torch.optim.AdamW(opt.param_groups[0]['params'])))
""")


# --- whole programs (each also ran as a script, diffed with PyTorch's output) -----------

_PROGRAMS = {
    "schedulers_in_a_loop": """
import torch
import torch.nn as nn
from torch.optim import lr_scheduler as L
def mk(lr=0.1, **kw):
    m = nn.Linear(2, 1)
    return torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9, **kw)
cases = [
 ("StepLR", lambda o: L.StepLR(o, step_size=3, gamma=0.1)),
 ("MultiStepLR", lambda o: L.MultiStepLR(o, milestones=[2, 5, 5, 8], gamma=0.5)),
 ("ExponentialLR", lambda o: L.ExponentialLR(o, gamma=0.9)),
 ("CosineAnnealingLR", lambda o: L.CosineAnnealingLR(o, T_max=5, eta_min=0.001)),
 ("LambdaLR", lambda o: L.LambdaLR(o, lr_lambda=lambda e: 0.95 ** e)),
 ("MultiplicativeLR", lambda o: L.MultiplicativeLR(o, lr_lambda=lambda e: 0.9)),
 ("LinearLR", lambda o: L.LinearLR(o, start_factor=0.25, total_iters=4)),
 ("ConstantLR", lambda o: L.ConstantLR(o, factor=0.5, total_iters=3)),
 ("PolynomialLR", lambda o: L.PolynomialLR(o, total_iters=6, power=2.0)),
 ("Sequential", lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=3), L.ExponentialLR(o, gamma=0.8)], milestones=[3])),
 ("Chained", lambda o: L.ChainedScheduler([L.ConstantLR(o, factor=0.5, total_iters=2), L.ExponentialLR(o, gamma=0.9)])),
]
for name, f in cases:
    o = mk()
    s = f(o)
    lrs = []
    for epoch in range(10):
        o.step()
        s.step()
        lrs.append(s.get_last_lr()[0])
    print(name, [f"{v:.6g}" for v in lrs])
    print(type(s).__name__, getattr(s, 'last_epoch', None), o.param_groups[0]['lr'])
    sd = s.state_dict()
    print(sorted(sd.keys()))
""",
    "warm_restarts_fractional_epochs": """
import torch
import torch.nn as nn
model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=1e-4)
iters = 4
for epoch in range(6):
    for i in range(iters):
        opt.step()
        sched.step(epoch + i / iters)
        print(f"{epoch} {i} {sched.get_last_lr()[0]:.8f} T_cur={sched.T_cur:.4f} T_i={sched.T_i}")
print(sched.state_dict())
sched2 = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2)
for e in range(5):
    opt.step(); sched2.step()
    print(sched2.get_last_lr(), sched2.last_epoch)
try:
    torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5)
except Exception as e:
    print(type(e).__name__, e)
try:
    sched2.step(-1)
except Exception as e:
    print(type(e).__name__, e)
""",
    "one_cycle_phases_and_momenta": """
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Linear(3, 1)
for kw in [dict(), dict(three_phase=True), dict(anneal_strategy='linear'), dict(pct_start=0.5, div_factor=10, final_div_factor=100),
           dict(cycle_momentum=False)]:
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=12, **kw)
    lrs, moms = [], []
    for i in range(12):
        opt.step(); s.step()
        lrs.append(round(s.get_last_lr()[0], 6)); moms.append(round(opt.param_groups[0]['momentum'], 5))
    print(kw, lrs)
    print(moms)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, epochs=2, steps_per_epoch=3)
for i in range(6):
    opt.step(); s.step()
    print(s.get_last_lr(), opt.param_groups[0]['betas'])
try:
    s.step()
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=10, anneal_strategy='exp')
except Exception as e:
    print(type(e).__name__, e)
print(opt.param_groups[0].keys())
""",
    "cyclic_modes": """
import torch
import torch.nn as nn
model = nn.Linear(3, 1)
for kw in [dict(mode='triangular'), dict(mode='triangular2'), dict(mode='exp_range', gamma=0.9),
           dict(step_size_up=2, step_size_down=4), dict(scale_fn=lambda x: 0.5 ** x, scale_mode='cycle')]:
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    s = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.001, max_lr=0.01, **({'step_size_up': 3} | kw))
    out = []
    for i in range(14):
        opt.step(); s.step()
        out.append(f"{s.get_last_lr()[0]:.5f}/{opt.param_groups[0]['momentum']:.4f}")
    print(kw.get('mode', kw.get('scale_mode', 'custom')), out)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
try:
    torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.001, max_lr=0.01)
except Exception as e:
    print(type(e).__name__, e)
s = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.001, max_lr=0.01, cycle_momentum=False)
print(s.get_last_lr(), sorted(s.state_dict().keys()))
try:
    torch.optim.lr_scheduler.CyclicLR(torch.optim.SGD(model.parameters(), lr=0.1), 0.001, 0.01, mode='foo')
except Exception as e:
    print(type(e).__name__, e)
print(type(s), type(opt))
print(type(torch.optim.AdamW(model.parameters())), torch.optim.lr_scheduler.OneCycleLR)
""",
    "reduce_on_plateau_bookkeeping": """
import torch
import torch.nn as nn
torch.manual_seed(0)
model = nn.Linear(3, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
s = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='min', factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.005)
vals = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4]
for epoch, v in enumerate(vals):
    opt.step()
    s.step(v)
    print(epoch, opt.param_groups[0]['lr'], s.get_last_lr(), s.num_bad_epochs, s.best, s.cooldown_counter)
print(s.state_dict())
s2 = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='max', threshold_mode='abs', patience=0)
for v in [torch.tensor(0.5), torch.tensor(0.4), 0.45, 0.6]:
    s2.step(v)
    print(opt.param_groups[0]['lr'], s2.best)
try:
    torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode='foo')
except Exception as e:
    print(type(e).__name__, e)
print(type(s.best), type(s2.best))
""",
    "checkpoint_resume_continues": """
import torch
import torch.nn as nn
import io, copy
torch.manual_seed(0); torch.set_default_dtype(torch.float64)
X = torch.randn(24, 6); y = torch.randint(0, 3, (24,))
def make():
    torch.manual_seed(5)
    return nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 3))
model = make()
opt = torch.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
crit = nn.CrossEntropyLoss()
def train(model, opt, sched, n):
    out = []
    for _ in range(n):
        opt.zero_grad()
        loss = crit(model(X), y)
        loss.backward()
        opt.step(); sched.step()
        out.append(f"{loss.item():.12f}")
    return out
print(train(model, opt, sched, 5))
buf = io.BytesIO()
torch.save({'model': model.state_dict(), 'opt': opt.state_dict(), 'sched': sched.state_dict(), 'epoch': 5}, buf)
buf.seek(0)
ref = train(model, opt, sched, 5)
ck = torch.load(buf)
m2 = make(); o2 = torch.optim.Adam(m2.parameters(), lr=0.01, amsgrad=True); s2 = torch.optim.lr_scheduler.StepLR(o2, step_size=3, gamma=0.5)
m2.load_state_dict(ck['model']); o2.load_state_dict(ck['opt']); s2.load_state_dict(ck['sched'])
print(ck['epoch'], ck['sched'])
res = train(m2, o2, s2, 5)
print(ref == res)
print(res)
print(o2.state_dict()['param_groups'])
print(o2.state_dict()['state'][1]['exp_avg'])
print(s2.get_last_lr(), sched.get_last_lr())
""",
    "optimizer_hooks": """
import torch
import torch.nn as nn
torch.manual_seed(0)
m = nn.Linear(2, 1)
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
h1 = opt.register_step_pre_hook(lambda o, args, kwargs: print("pre", type(o).__name__, args, kwargs))
h2 = opt.register_step_post_hook(lambda o, args, kwargs: print("post", o.param_groups[0]['lr']))
m(torch.ones(1, 2)).sum().backward()
opt.step()
h1.remove()
opt.step()
h2.remove(); opt.step()
def sd_pre(o): print("sd pre", len(o.state))
def sd_post(o, sd):
    print("sd post", list(sd.keys())); sd['extra'] = 1; return sd
opt.register_state_dict_pre_hook(sd_pre)
opt.register_state_dict_post_hook(sd_post)
sd = opt.state_dict()
print(sorted(sd.keys()))
def ld_pre(o, sd):
    print("ld pre", sorted(sd.keys())); sd = dict(sd); sd.pop('extra'); return sd
opt.register_load_state_dict_pre_hook(ld_pre)
opt.register_load_state_dict_post_hook(lambda o: print("ld post", o.param_groups[0]['momentum']))
opt.load_state_dict(sd)
print(opt.state[m.weight])
m.weight.grad = None
opt.step()
print(m.weight, m.bias)
t = torch.optim.Optimizer
print(hasattr(t, 'register_step_pre_hook'))
from torch.optim.optimizer import register_optimizer_step_pre_hook
h = register_optimizer_step_pre_hook(lambda o, a, k: print("global pre"))
opt.step(); h.remove(); opt.step()
""",
    "load_state_dict_errors": """
import torch
import torch.nn as nn
torch.manual_seed(0)
a = nn.Linear(2, 3); b = nn.Linear(3, 3)
oa = torch.optim.Adam(a.parameters()); ob = torch.optim.Adam(b.parameters())
a(torch.ones(1, 2)).sum().backward(); oa.step()
try:
    ob.load_state_dict(oa.state_dict())
    print("loaded", ob.state[b.weight]['exp_avg'].shape)
    b(torch.ones(1, 3)).sum().backward(); ob.step()
except Exception as e:
    print(type(e).__name__, e)
oc = torch.optim.Adam([{'params': [a.weight]}, {'params': [a.bias]}])
try:
    oc.load_state_dict(oa.state_dict())
except Exception as e:
    print(type(e).__name__, e)
od = torch.optim.Adam([a.weight])
try:
    od.load_state_dict(oa.state_dict())
except Exception as e:
    print(type(e).__name__, e)
oe = torch.optim.SGD(a.parameters(), lr=0.1)
try:
    oe.load_state_dict(oa.state_dict())
    print(oe.param_groups[0].keys())
    print(oe)
    oe.step()
except Exception as e:
    print(type(e).__name__, e)
sd = oa.state_dict()
sd['state'][0]['exp_avg'] = sd['state'][0]['exp_avg'].double()
of = torch.optim.Adam(a.parameters())
of.load_state_dict(sd)
print(of.state[a.weight]['exp_avg'].dtype, of.state[a.weight]['step'].dtype)
try:
    of.load_state_dict({'state': {}})
except Exception as e:
    print(type(e).__name__, e)
""",
    "optimizer_reprs_and_errors": """
import torch
import torch.nn as nn
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
opt = torch.optim.AdamW([{'params': m[0].parameters(), 'name': 'backbone', 'lr': 1e-4}, {'params': m[1].parameters(), 'name': 'head'}], lr=1e-3)
s = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 10)
print(opt)
print(opt.state_dict()['param_groups'])
opt2 = torch.optim.SGD(m.parameters(), lr=torch.tensor(0.5), momentum=0.9)
print(opt2)
opt3 = torch.optim.Adam(m.parameters(), lr=1e-3, betas=[0.9, 0.99])
print(opt3, opt3.defaults['betas'])
opt4 = torch.optim.RMSprop(m.parameters(), lr=1, weight_decay=1e-5, eps=1e-10)
print(opt4)
print(repr(torch.optim.Adagrad(m.parameters(), lr=float('inf'))) if False else '')
print(str(opt4) == repr(opt4))
opt5 = torch.optim.SGD([{'params': [], 'lr': 0.1}] if False else m.parameters(), lr=1e-2)
opt5.add_param_group({'params': nn.Parameter(torch.ones(1))})
print(opt5)
try:
    torch.optim.SGD(m.parameters())
    print("default lr ok", torch.optim.SGD(m.parameters()).defaults['lr'])
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.optim.SGD([{'params': m[0].parameters()}, {'params': m[1].parameters(), 'lr': 'x'}], lr=0.1)
    print("no error")
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.optim.SGD(m.parameters(), lr=0.1, momentum=-1)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.optim.SGD(m.parameters(), lr=0.1, weight_decay=-1)
except Exception as e:
    print(type(e).__name__, e)
for n, kw in [('RMSprop', dict(alpha=-1)), ('RMSprop', dict(eps=-1)), ('Adagrad', dict(lr_decay=-1)), ('Adagrad', dict(initial_accumulator_value=-1)), ('Adadelta', dict(rho=2)), ('NAdam', dict(momentum_decay=-1)), ('Rprop', dict(etas=(1.5, 1.2))), ('ASGD', dict(weight_decay=-1)), ('Adamax', dict(betas=(0.9, 1.0))), ('LBFGS', dict(lr=-1)), ('AdamW', dict(eps=-1)), ('Adam', dict(weight_decay=-0.1))]:
    try:
        getattr(torch.optim, n)(m.parameters(), **kw); print(n, 'ok')
    except Exception as e:
        print(n, type(e).__name__, e)
""",
    "scheduler_warnings_and_errors": """
import warnings
import torch
import torch.nn as nn
from torch.optim import lr_scheduler as L
m = nn.Linear(2, 1)
def o(**kw): return torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, **kw)
for f in [lambda: L.StepLR(o(), 2, verbose=True), lambda: L.ReduceLROnPlateau(o(), verbose=True),
          lambda: L.StepLR(o(), 2, last_epoch=4), lambda: L.ExponentialLR(o(), 0.9, verbose=False),
          lambda: L.SequentialLR(o(), [L.StepLR(o(), 2)], milestones=[]),
          lambda: L.SequentialLR(o(), [L.StepLR(o(), 2), L.StepLR(o(), 3)], milestones=[1, 2]),
          lambda: L.LinearLR(o(), start_factor=0.0), lambda: L.LinearLR(o(), end_factor=1.5),
          lambda: L.ConstantLR(o(), factor=1.5), lambda: L.MultiStepLR(o(), milestones=[3, 1]),
          lambda: L.LambdaLR(o(), [lambda e: 1, lambda e: 2]), lambda: L.StepLR("notopt", 2),
          lambda: L.CosineAnnealingLR(o(), T_max=0), lambda: L.PolynomialLR(o(), total_iters=0),
          lambda: L.ChainedScheduler([]), lambda: L.SequentialLR(o(), [], milestones=[]),
          lambda: L.ExponentialLR(o(), gamma=-1)]:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            s = f()
            print("ok", type(s).__name__, s.get_last_lr() if hasattr(s, 'get_last_lr') else None)
        except Exception as e:
            print(type(e).__name__, e)
        for x in w:
            print("W", x.category.__name__, x.message)
opt = o()
s = L.StepLR(opt, 2)
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    opt.step = lambda: None
    s.step(); s.step()
    for x in w: print("W", x.category.__name__, x.message)
""",
    "named_parameters_groups": """
import torch
import torch.nn as nn
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
opt = torch.optim.Adam(m.named_parameters(), lr=0.1)
print(opt.param_groups[0].keys())
print(opt.param_groups[0]['param_names'])
m(torch.ones(1, 2)).sum().backward(); opt.step()
sd = opt.state_dict()
print(sd['param_groups'])
print(list(sd['state'].keys()))
opt2 = torch.optim.Adam(m.named_parameters(), lr=0.5)
opt2.load_state_dict(sd)
print(opt2.param_groups[0]['lr'], opt2.param_groups[0]['param_names'])
opt3 = torch.optim.SGD([{'params': m[0].named_parameters(), 'lr': 0.1}, {'params': m[1].named_parameters()}], lr=0.2)
print(opt3)
print(opt3.state_dict()['param_groups'])
try:
    opt4 = torch.optim.SGD([{'params': m[0].named_parameters()}, {'params': m[1].parameters()}], lr=0.2)
except Exception as e:
    print(type(e).__name__, e)
opt5 = torch.optim.SGD(m[0].parameters(), lr=0.1)
try:
    opt5.add_param_group({'params': m[1].named_parameters()})
except Exception as e:
    print(type(e).__name__, e)
try:
    opt.load_state_dict(torch.optim.Adam(m.parameters()).state_dict())
    print(opt.param_groups[0].get('param_names'))
except Exception as e:
    print(type(e).__name__, e)
""",
}


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_program_prints_what_pytorch_prints(name: str) -> None:
    _same_as_torch(_PROGRAMS[name])
