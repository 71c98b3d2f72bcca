"""Whole programs of the less-common optimizers and schedulers, diffed with PyTorch (session 27,
lane H): each program runs with ``torch`` and again with the imports rewritten to ``ember``; the
printed outputs must be equal (``torch`` written as ``ember`` in both)."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import pytest

pytest.importorskip("torch")

PROGRAMS = {}

PROGRAMS['asgd_rprop'] = '''
import torch
import torch.nn as nn
torch.manual_seed(0)
x = torch.randn(12, 4); y = torch.randn(12, 2)
m = nn.Linear(4, 2)
opt = torch.optim.ASGD(m.parameters(), lr=0.05, lambd=1e-3, alpha=0.75, t0=2, weight_decay=0.01)
for i in range(6):
    opt.zero_grad()
    loss = nn.MSELoss()(m(x), y)
    loss.backward()
    opt.step()
    print(i, round(loss.item(), 6))
st = opt.state[m.weight]
for k in sorted(st):
    print(k, st[k])
print(opt)
torch.manual_seed(0)
m = nn.Linear(4, 2)
opt = torch.optim.Rprop(m.parameters(), lr=0.02, etas=(0.4, 1.3), step_sizes=(1e-4, 0.5))
for i in range(6):
    opt.zero_grad()
    loss = nn.MSELoss()(m(x), y)
    loss.backward()
    opt.step()
    print(i, f"{loss.item():.6f}")
print(opt.state[m.weight]['step_size'])
print(opt.state[m.weight]['prev'])
print(opt)
'''

PROGRAMS['lbfgs'] = '''
import torch
torch.manual_seed(0)
def rosen(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
for lsf in [None, "strong_wolfe"]:
    p = torch.tensor([-1.5, 2.0], requires_grad=True)
    opt = torch.optim.LBFGS([p], lr=1, max_iter=20, history_size=10, line_search_fn=lsf)
    for i in range(4):
        def closure():
            opt.zero_grad()
            loss = rosen(p)
            loss.backward()
            return loss
        loss = opt.step(closure)
        print(lsf, i, f"{loss.item():.6f}", p.data)
    st = opt.state[p]
    print(st['func_evals'], st['n_iter'])
    print(sorted(k for k in st.keys()))
print(opt)
import torch.nn as nn
torch.manual_seed(0)
x = torch.randn(30, 3); y = x @ torch.tensor([1.0, 2.0, -1.0]) + 0.5
m = nn.Linear(3, 1)
opt = torch.optim.LBFGS(m.parameters(), line_search_fn="strong_wolfe")
def closure():
    opt.zero_grad()
    l = ((m(x).squeeze(1) - y) ** 2).mean()
    l.backward()
    return l
for i in range(3):
    print(f"{opt.step(closure).item():.6f}")
print(m.weight.data, m.bias.data)
'''

PROGRAMS['seqlr'] = '''
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import SequentialLR, LinearLR, ExponentialLR, ConstantLR, CosineAnnealingLR, ChainedScheduler, StepLR
m = nn.Linear(2, 1)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
s1 = LinearLR(opt, start_factor=0.1, total_iters=3)
s2 = ExponentialLR(opt, gamma=0.9)
sch = SequentialLR(opt, schedulers=[s1, s2], milestones=[3])
for e in range(8):
    opt.step()
    sch.step()
    print(e, sch.get_last_lr(), opt.param_groups[0]['lr'])
print(sch.state_dict().keys())
print(sch.state_dict()['_schedulers'][0])
opt = torch.optim.SGD(m.parameters(), lr=1.0)
c = ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2), ExponentialLR(opt, gamma=0.8)])
for e in range(5):
    opt.step(); c.step()
    print(e, c.get_last_lr())
print(list(c.state_dict().keys()))
opt = torch.optim.SGD(m.parameters(), lr=1.0)
c = ChainedScheduler([StepLR(opt, 2, 0.5), CosineAnnealingLR(opt, T_max=4)], optimizer=opt)
for e in range(6):
    opt.step(); c.step()
    print(e, c.get_last_lr())
try:
    SequentialLR(opt, schedulers=[s1], milestones=[1, 2])
except Exception as e:
    print(type(e).__name__, e)
'''

PROGRAMS['onecycle'] = '''
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import OneCycleLR
m = nn.Linear(2, 1)
for kw in [dict(), dict(anneal_strategy='linear'), dict(three_phase=True), dict(pct_start=0.4, div_factor=10, final_div_factor=100)]:
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    s = OneCycleLR(opt, max_lr=0.1, total_steps=10, **kw)
    out = []
    for i in range(10):
        opt.step(); s.step()
        out.append((round(s.get_last_lr()[0], 8), round(opt.param_groups[0]['momentum'], 8)))
    print(kw, out)
opt = torch.optim.Adam(m.parameters(), lr=0.01)
s = OneCycleLR(opt, max_lr=[0.1], epochs=2, steps_per_epoch=3)
for i in range(6):
    opt.step(); s.step()
    print(s.get_last_lr(), opt.param_groups[0]['betas'])
print(opt.param_groups[0].keys())
try:
    s.step()
except Exception as e:
    print(type(e).__name__, e)
opt = torch.optim.Adagrad(m.parameters(), lr=0.01)
try:
    OneCycleLR(opt, max_lr=0.1, total_steps=10)
except Exception as e:
    print(type(e).__name__, e)
s = OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)
print(s.get_last_lr(), opt.param_groups[0]['initial_lr'], opt.param_groups[0]['max_lr'], opt.param_groups[0]['min_lr'])
try:
    OneCycleLR(opt, max_lr=0.1)
except Exception as e:
    print(type(e).__name__, e)
try:
    OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy='exp')
except Exception as e:
    print(type(e).__name__, e)
'''

PROGRAMS['cyclic'] = '''
import torch
import math
import torch.nn as nn
from torch.optim.lr_scheduler import CyclicLR
m = nn.Linear(2, 1)
for mode in ['triangular', 'triangular2', 'exp_range']:
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    s = CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=3, mode=mode, gamma=0.9)
    lrs = []
    for i in range(12):
        opt.step(); s.step(); lrs.append(f"{s.get_last_lr()[0]:.6f}/{opt.param_groups[0]['momentum']:.4f}")
    print(mode, lrs)
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
s = CyclicLR(opt, 0.001, 0.01, step_size_up=3, scale_fn=lambda x: 1 / (2.0 ** (x - 1)), scale_mode='cycle')
for i in range(8):
    opt.step(); s.step(); print(s.get_last_lr())
s = CyclicLR(opt, 0.001, 0.01, step_size_up=3, scale_fn=lambda x: 0.5 ** x, scale_mode='iterations', cycle_momentum=False)
for i in range(5):
    opt.step(); s.step(); print(s.last_epoch, s.get_last_lr())
opt = torch.optim.Adam(m.parameters(), lr=0.1)
s = CyclicLR(opt, 0.001, 0.01, step_size_up=2, base_momentum=0.8, max_momentum=0.9)
for i in range(4):
    opt.step(); s.step(); print(s.get_last_lr(), opt.param_groups[0]['betas'])
try:
    CyclicLR(opt, 0.001, 0.01, mode='foo')
except Exception as e:
    print(type(e).__name__, e)
opt = torch.optim.Adagrad(m.parameters(), lr=0.1)
try:
    CyclicLR(opt, 0.001, 0.01)
except Exception as e:
    print(type(e).__name__, e)
sd = s.state_dict()
print(sorted(sd.keys()))
'''

PROGRAMS['cawr'] = '''
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts
m = nn.Linear(2, 1)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
s = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.001)
for i in range(10):
    opt.step(); s.step()
    print(i, s.get_last_lr(), s.T_i, s.T_cur)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
s = CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=1)
iters = 4
for epoch in range(3):
    for i in range(iters):
        opt.step()
        s.step(epoch + i / iters)
        print(f"{epoch + i / iters:.2f}", f"{opt.param_groups[0]['lr']:.8f}", s.T_cur, s.last_epoch)
s.step(7.5); print(s.get_last_lr(), s.T_i, s.T_cur)
s2 = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3)
s2.step(20); print(s2.get_last_lr(), s2.T_i, s2.T_cur)
for bad in [dict(T_0=0), dict(T_0=2, T_mult=0), dict(T_0=2.5), dict(T_0=2, eta_min='a')]:
    try:
        CosineAnnealingWarmRestarts(opt, **bad)
    except Exception as e:
        print(type(e).__name__, e)
try:
    s.step(-1)
except Exception as e:
    print(type(e).__name__, e)
print(s.state_dict())
'''

PROGRAMS['plateau'] = '''
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import ReduceLROnPlateau
m = nn.Linear(2, 1)
opt = torch.optim.SGD([{'params': m.weight}, {'params': m.bias, 'lr': 0.05}], lr=0.1)
s = ReduceLROnPlateau(opt, mode='max', factor=0.5, patience=1, threshold=0.1, threshold_mode='abs', cooldown=1, min_lr=[0.01, 0.02])
accs = [0.5, 0.55, 0.58, 0.59, 0.6, 0.6, 0.6, 0.61, 0.6, 0.6, 0.6, 0.6, 0.6]
for i, a in enumerate(accs):
    opt.step()
    s.step(a)
    print(i, a, s.get_last_lr(), s.num_bad_epochs, s.cooldown_counter, s.best)
print(s.state_dict())
s2 = ReduceLROnPlateau(opt, 'min', patience=0, eps=1e-3)
for v in [1.0, 1.0, 1.0, 1.0]:
    s2.step(torch.tensor(v)); print(s2.get_last_lr())
for bad in [dict(mode='foo'), dict(threshold_mode='x'), dict(factor=1.0), dict(min_lr=[0.1, 0.2, 0.3])]:
    try:
        ReduceLROnPlateau(opt, **bad)
    except Exception as e:
        print(type(e).__name__, e)
'''

PROGRAMS['swa'] = '''
import torch
import torch.nn as nn
from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn, get_ema_avg_fn
from torch.utils.data import DataLoader, TensorDataset
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))
ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
swa = AveragedModel(model)
ema2 = AveragedModel(model, avg_fn=get_ema_avg_fn(0.8), use_buffers=True)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
sched = SWALR(opt, swa_lr=0.05, anneal_epochs=3, anneal_strategy='cos')
ds = TensorDataset(torch.randn(16, 3), torch.randn(16, 1))
loader = DataLoader(ds, batch_size=4)
for epoch in range(4):
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward(); opt.step()
    ema.update_parameters(model); swa.update_parameters(model); ema2.update_parameters(model)
    sched.step()
    print(epoch, f"{loss.item():.5f}", sched.get_last_lr(), swa.n_averaged)
print(ema.module[0].weight)
print(swa.module[3].bias)
print(ema2.module[1].running_mean)
update_bn(loader, swa)
print(swa.module[1].running_mean, swa.module[1].running_var, swa.module[1].num_batches_tracked)
print(list(swa.state_dict().keys()))
print(swa)
s2 = SWALR(opt, swa_lr=[0.01], anneal_epochs=2, anneal_strategy='linear')
for i in range(3):
    opt.step(); s2.step(); print(s2.get_last_lr())
for bad in [dict(swa_lr=0.1, anneal_strategy='x'), dict(swa_lr=0.1, anneal_epochs=-1), dict(swa_lr=[0.1, 0.2])]:
    try:
        SWALR(opt, **bad)
    except Exception as e:
        print(type(e).__name__, e)
'''

PROGRAMS['errors'] = '''
import torch
import torch.nn as nn
m = nn.Linear(2, 1)
cases = [
 lambda: torch.optim.RMSprop(m.parameters(), lr=-1),
 lambda: torch.optim.RMSprop(m.parameters(), alpha=-0.1),
 lambda: torch.optim.RMSprop(m.parameters(), momentum=-0.1),
 lambda: torch.optim.RMSprop(m.parameters(), eps=-1),
 lambda: torch.optim.RMSprop(m.parameters(), weight_decay=-1),
 lambda: torch.optim.Adagrad(m.parameters(), lr_decay=-1),
 lambda: torch.optim.Adagrad(m.parameters(), initial_accumulator_value=-1),
 lambda: torch.optim.Adadelta(m.parameters(), rho=1.5),
 lambda: torch.optim.Adamax(m.parameters(), betas=(1.0, 0.9)),
 lambda: torch.optim.Adamax(m.parameters(), betas=(0.9, 1.0)),
 lambda: torch.optim.NAdam(m.parameters(), momentum_decay=-1),
 lambda: torch.optim.NAdam(m.parameters(), betas=(0.9, -0.1)),
 lambda: torch.optim.RAdam(m.parameters(), eps=-1e-8),
 lambda: torch.optim.ASGD(m.parameters(), lr=-0.1),
 lambda: torch.optim.ASGD(m.parameters(), weight_decay=-0.1),
 lambda: torch.optim.Rprop(m.parameters(), etas=(1.5, 1.2)),
 lambda: torch.optim.Rprop(m.parameters(), etas=(0.5, 0.9)),
 lambda: torch.optim.Rprop(m.parameters(), lr=-1),
 lambda: torch.optim.SparseAdam(m.parameters(), betas=(1.0, 0.9)),
 lambda: torch.optim.SparseAdam(m.parameters(), lr=-1),
 lambda: torch.optim.SparseAdam(m.parameters(), eps=0),
 lambda: torch.optim.LBFGS(m.parameters(), lr=-1),
 lambda: torch.optim.LBFGS([{'params': m.weight}, {'params': m.bias}]),
 lambda: torch.optim.AdamW(m.parameters(), weight_decay=-1),
 lambda: torch.optim.AdamW(m.parameters(), betas=(0.9, 1.0)),
 lambda: torch.optim.SGD(m.parameters(), lr=0.1, nesterov=True),
 lambda: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
 lambda: torch.optim.SGD([], lr=0.1),
 lambda: torch.optim.Adam(m.weight),
 lambda: torch.optim.Adam([m.weight * 2]),
 lambda: torch.optim.Adam({'params': m.weight}),
 lambda: torch.optim.Adam([{'params': m.weight}, m.bias]),
 lambda: torch.optim.SGD(m.parameters(), lr=0.1, momentum=-1),
 lambda: torch.optim.Adam(m.parameters(), lr=torch.tensor([0.1, 0.2])),
 lambda: torch.optim.Adam([m.weight, m.weight]),
]
for c in cases:
    try:
        o = c()
        print("ok", type(o).__name__)
    except Exception as e:
        print(type(e).__name__, e)
import warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    torch.optim.SGD([m.weight, m.weight], lr=0.1)
    print([str(x.message)[:100] for x in w])
'''

PROGRAMS['named'] = '''
import torch
import torch.nn as nn
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
opt = torch.optim.Adam(m.named_parameters(), lr=0.01)
print(opt)
print(opt.param_groups[0].keys())
m(torch.ones(1, 2)).sum().backward(); opt.step()
sd = opt.state_dict()
print(sd['param_groups'])
print(list(sd['state'].keys()))
opt2 = torch.optim.RMSprop([{'params': m[0].named_parameters(), 'lr': 0.1}, {'params': m[1].named_parameters()}], lr=0.01)
print(opt2.state_dict()['param_groups'])
try:
    torch.optim.SGD([{'params': m[0].named_parameters()}, {'params': m[1].parameters()}], lr=0.1)
except Exception as e:
    print(type(e).__name__, e)
opt3 = torch.optim.Adam(m.parameters(), lr=0.01)
try:
    opt3.load_state_dict(sd)
    print("loaded", opt3.state_dict()['param_groups'][0].get('param_names'))
except Exception as e:
    print(type(e).__name__, e)
try:
    opt3.add_param_group({'params': nn.Parameter(torch.ones(1))})
except Exception as e:
    print(type(e).__name__, e)
print(len(opt3.param_groups))
try:
    opt.add_param_group({'params': [nn.Parameter(torch.ones(1))]})
except Exception as e:
    print(type(e).__name__, e)
opt.add_param_group({'params': [('extra', nn.Parameter(torch.ones(1)))]})
print(opt.param_groups[-1]['param_names'])
from torch.optim.lr_scheduler import StepLR
s = StepLR(opt, 1)
print(s.get_last_lr())
'''

PROGRAMS['swa_more'] = '''
import torch
import torch.nn as nn
from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_swa_multi_avg_fn, get_swa_avg_fn, get_ema_avg_fn
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
a = AveragedModel(m, multi_avg_fn=get_swa_multi_avg_fn())
b = AveragedModel(m, avg_fn=get_swa_avg_fn())
c = AveragedModel(m, avg_fn=lambda avg, new, n: 0.5 * avg + 0.5 * new)
print(a.n_averaged, a.n_averaged.dtype, a.n_averaged.device)
for i in range(3):
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.1 * (i + 1))
    a.update_parameters(m); b.update_parameters(m); c.update_parameters(m)
print(a.module[0].bias, b.module[0].bias, c.module[0].bias)
print(a.n_averaged, repr(a.n_averaged))
print(list(a.state_dict().keys()))
print(a.module[1].running_mean)
loader = [{'x': torch.randn(4, 2)}, {'x': torch.randn(4, 2)}]
try:
    update_bn(loader, a)
except Exception as e:
    print(type(e).__name__, e)
loader = [torch.randn(4, 2), torch.randn(4, 2)]
update_bn(loader, a)
print(a.module[1].running_mean, a.module[1].momentum, a.training)
m2 = nn.Linear(2, 2)
a2 = AveragedModel(m2)
update_bn(loader, a2)
print("nobn ok")
opt = torch.optim.SGD(m.parameters(), lr=1.0)
s = SWALR(opt, swa_lr=0.1, anneal_epochs=4, anneal_strategy='linear')
for i in range(6):
    opt.step(); s.step(); print(i, s.get_last_lr())
print(sorted(s.state_dict().keys()))
try:
    SWALR(opt, swa_lr=0.1, anneal_epochs=0)
    print("ae0 ok")
except Exception as e:
    print(type(e).__name__, e)
s = SWALR(opt, swa_lr=0.05, anneal_epochs=1)
for i in range(3):
    opt.step(); s.step(); print(i, s.get_last_lr())
e = AveragedModel(m, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(), use_buffers=True)
e.update_parameters(m)
print(e.n_averaged, e.module[1].num_batches_tracked)
with torch.no_grad():
    print(e(torch.ones(2, 2)))
print(e)
'''

PROGRAMS['onecycle_groups'] = '''
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import OneCycleLR
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
opt = torch.optim.SGD([{'params': m[0].parameters()}, {'params': m[1].parameters(), 'momentum': 0.8}], lr=0.01, momentum=0.9, nesterov=True)
s = OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=6, base_momentum=[0.8, 0.7], max_momentum=[0.95, 0.9], three_phase=True, anneal_strategy='linear')
for g in opt.param_groups:
    print({k: v for k, v in g.items() if k != 'params'})
for i in range(5):
    opt.step(); s.step()
    print(i, s.get_last_lr(), [g['momentum'] for g in opt.param_groups])
print({k: v for k, v in s.state_dict().items() if k not in ('_schedule_phases',)})
print(s.state_dict()['_schedule_phases'])
try:
    OneCycleLR(opt, max_lr=[0.1], total_steps=6)
except Exception as e:
    print(type(e).__name__, e)
for bad in [dict(total_steps=0), dict(epochs=0, steps_per_epoch=2), dict(epochs=2, steps_per_epoch=-1), dict(total_steps=5, pct_start=1.5), dict(total_steps=5, pct_start='a')]:
    try:
        OneCycleLR(opt, max_lr=0.1, **bad)
    except Exception as e:
        print(type(e).__name__, e)
'''

PROGRAMS['cawr_float'] = '''
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts
m = nn.Linear(2, 1)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
s = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=1e-4)
for ep in [0.5, 1.0, 1.99, 2.0, 3.3, 5.9, 6.0, 13.7, 14.0, 30.5, 1.0]:
    s.step(ep)
    print(ep, s.get_last_lr(), s.T_i, s.T_cur, s.last_epoch)
opt = torch.optim.SGD([{'params': m.weight}, {'params': m.bias, 'lr': 0.01}], lr=0.1)
s = CosineAnnealingWarmRestarts(opt, T_0=3)
lrs = []
for e in range(7):
    for b in range(2):
        opt.step(); s.step(e + b / 2); lrs.append([round(x, 8) for x in s.get_last_lr()])
print(lrs)
s.step()
print(s.get_last_lr(), s.T_cur, s.last_epoch)
'''

PROGRAMS['lambda_sd'] = '''
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import LambdaLR, MultiplicativeLR
class Warm:
    def __init__(self, w):
        self.w = w
    def __call__(self, e):
        return min(1.0, (e + 1) / self.w)
m = nn.Linear(2, 1)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
s = LambdaLR(opt, Warm(3))
for i in range(4):
    opt.step(); s.step()
sd = s.state_dict()
print(sd)
s2 = LambdaLR(opt, Warm(10))
s2.load_state_dict(sd)
print(s2.lr_lambdas[0].w, s2.last_epoch)
s3 = MultiplicativeLR(opt, Warm(5))
print(s3.state_dict())
s4 = LambdaLR(opt, lambda e: 0.5)
print(s4.state_dict())
print(s4.get_last_lr(), opt.param_groups[0]['lr'], opt.param_groups[0]['initial_lr'])
'''

PROGRAMS['odd_sched'] = '''
import torch
import torch.nn as nn
import math
from torch.optim.lr_scheduler import *
m = nn.Linear(2, 1)
def mk(lr=0.1):
    return torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9)
opt = mk()
s = ReduceLROnPlateau(opt, patience=0)
for v in [1.0, float('nan'), float('inf'), 0.5, float('nan'), 0.4]:
    s.step(v); print(v, s.get_last_lr(), s.best, s.num_bad_epochs)
for ctor in [lambda o: StepLR(o, step_size=2.5), lambda o: StepLR(o, step_size=0), lambda o: PolynomialLR(o, total_iters=0),
             lambda o: ExponentialLR(o, gamma=1.5), lambda o: CosineAnnealingLR(o, T_max=0), lambda o: MultiStepLR(o, milestones=[3, 1]),
             lambda o: CyclicLR(o, 0.01, 0.1, step_size_up=2.5), lambda o: LinearLR(o, total_iters=0), lambda o: ConstantLR(o, factor=0.5, total_iters=0),
             lambda o: ReduceLROnPlateau(o, patience=-1), lambda o: ReduceLROnPlateau(o, factor=-0.5)]:
    opt = mk()
    try:
        s = ctor(opt)
        out = []
        for i in range(4):
            opt.step(); s.step() if not isinstance(s, ReduceLROnPlateau) else s.step(1.0); out.append(s.get_last_lr()[0])
        print(type(s).__name__, out)
    except Exception as e:
        print(type(e).__name__, e)
opt = mk()
s = StepLR(opt, 1)
print(s.optimizer is opt, s.get_last_lr(), s.base_lrs, s.last_epoch, s._step_count)
opt = torch.optim.Adam(m.parameters(), lr=torch.tensor(0.01))
s = CosineAnnealingLR(opt, 4)
for i in range(3):
    opt.step(); s.step(); print(s.get_last_lr(), opt.param_groups[0]['lr'])
opt = torch.optim.Adam(m.parameters(), lr=0.01)
s = CyclicLR(opt, 0.001, 0.01, step_size_up=2)
print(opt.param_groups[0]['betas'], s.get_last_lr())
opt.step(); s.step(); print(opt.param_groups[0]['betas'])
'''

PROGRAMS['hooks_sd'] = '''
import torch
import torch.nn as nn
m = nn.Linear(2, 2)
opt = torch.optim.RMSprop(m.parameters(), lr=0.01)
def pre(o):
    print("sd pre", type(o).__name__)
def post(o, sd):
    print("sd post", sorted(sd.keys()))
    sd['extra'] = 1
    return sd
opt.register_state_dict_pre_hook(pre)
opt.register_state_dict_post_hook(post)
m(torch.ones(1, 2)).sum().backward(); opt.step()
sd = opt.state_dict()
print(sd.get('extra'))
opt2 = torch.optim.RMSprop(m.parameters(), lr=0.5)
opt2.register_load_state_dict_pre_hook(lambda o, sd: print("load pre", sd['param_groups'][0]['lr']))
opt2.register_load_state_dict_post_hook(lambda o: print("load post", o.param_groups[0]['lr']))
sd.pop('extra')
opt2.load_state_dict(sd)
bad = opt.state_dict(); bad['param_groups'] = bad['param_groups'] + bad['param_groups']
try:
    opt2.load_state_dict(bad)
except Exception as e:
    print(type(e).__name__, e)
bad = opt.state_dict(); bad['param_groups'][0]['params'] = [0]
try:
    opt2.load_state_dict(bad)
except Exception as e:
    print(type(e).__name__, e)
try:
    opt2.load_state_dict({'state': {}})
except Exception as e:
    print(type(e).__name__, e)
d = torch.optim.RMSprop(m.parameters()).state_dict()
print(d)
m.double()
opt3 = torch.optim.RMSprop(m.parameters())
opt3.load_state_dict(opt.state_dict())
print(opt3.state[m.weight]['square_avg'].dtype, opt3.state[m.weight]['step'].dtype)
'''

PROGRAMS['custom_sched'] = '''
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import LRScheduler, _LRScheduler, StepLR
class WarmupInvSqrt(LRScheduler):
    def __init__(self, optimizer, warmup, last_epoch=-1):
        self.warmup = warmup
        super().__init__(optimizer, last_epoch)
    def get_lr(self):
        step = max(self.last_epoch, 1)
        scale = min(step ** -0.5, step * self.warmup ** -1.5)
        return [base * scale for base in self.base_lrs]
m = nn.Linear(2, 1)
opt = torch.optim.Adam(m.parameters(), lr=1.0)
s = WarmupInvSqrt(opt, warmup=4)
print(s.get_last_lr())
for i in range(8):
    opt.step(); s.step()
    print(i, f"{s.get_last_lr()[0]:.6f}", s.last_epoch)
print(s.state_dict())
print(isinstance(s, _LRScheduler), issubclass(StepLR, _LRScheduler), issubclass(StepLR, LRScheduler))
class Old(_LRScheduler):
    def get_lr(self):
        return [g['lr'] * 0.5 for g in self.optimizer.param_groups]
opt = torch.optim.SGD(m.parameters(), lr=1.0)
s = Old(opt)
for i in range(3):
    opt.step(); s.step(); print(s.get_last_lr())
opt = torch.optim.SGD(m.parameters(), lr=1.0)
s = StepLR(opt, 1, 0.5)
import warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    opt.step = lambda *a, **k: None
    s.step()
    print([str(x.message)[:140] for x in w])
try:
    s2 = StepLR(opt, 1, 0.5, verbose=True)
except Exception as e:
    print(type(e).__name__, e)
'''

PROGRAMS['multistep_resume'] = '''
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import MultiStepLR, StepLR, CosineAnnealingLR, OneCycleLR, CyclicLR
m = nn.Linear(2, 1)
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
s = MultiStepLR(opt, milestones=[2, 2, 4], gamma=0.1)
for i in range(6):
    opt.step(); s.step(); print(i, s.get_last_lr())
print(s.state_dict())
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
s = CosineAnnealingLR(opt, T_max=5, eta_min=0.01)
for i in range(3):
    opt.step(); s.step()
sd = s.state_dict(); osd = opt.state_dict()
opt2 = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
opt2.load_state_dict(osd)
s2 = CosineAnnealingLR(opt2, T_max=5, eta_min=0.01)
s2.load_state_dict(sd)
for i in range(8):
    opt.step(); s.step(); opt2.step(); s2.step()
    print(s.get_last_lr(), s2.get_last_lr(), opt2.param_groups[0]['lr'])
opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
s = CyclicLR(opt, 0.01, 0.1, step_size_up=2)
opt.step(); s.step()
sd = s.state_dict()
print(sorted(sd.keys()))
print(sd['_scale_fn_ref'] if '_scale_fn_ref' in sd else None, sd['_scale_fn_custom'])
s3 = CyclicLR(opt, 0.01, 0.1, step_size_up=2)
s3.load_state_dict(sd)
print(s3.last_epoch, s3.get_last_lr())
opt = torch.optim.SGD(m.parameters(), lr=0.1)
s = StepLR(opt, 2, gamma=0.5, last_epoch=-1)
for i in range(5): opt.step(); s.step()
opt3 = torch.optim.SGD(m.parameters(), lr=0.1)
for g in opt3.param_groups: g['initial_lr'] = 0.1
s4 = StepLR(opt3, 2, gamma=0.5, last_epoch=4)
print(s4.get_last_lr(), s.get_last_lr(), s4.last_epoch)
s4.step(); s.step(); print(s4.get_last_lr(), s.get_last_lr())
'''


def _run(src: str) -> str:
    """``src``'s printed output, ``torch`` written as ``ember``."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(src, "<program>", "exec"), {"__name__": "__program__"})
    return buf.getvalue().replace("torch", "ember")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_prints_as_pytorch(name: str) -> None:
    src = PROGRAMS[name]
    expect = _run(src)
    got = _run(re.sub(r"\btorch\b", "ember", src))
    assert got == expect
