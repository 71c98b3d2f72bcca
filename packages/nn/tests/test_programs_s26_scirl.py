"""Session 26, lane B: scientific-computing and reinforcement-learning programs (PINN
derivatives, ODE loops, curve fitting, function transforms, REINFORCE/PPO) run as whole
programs under PyTorch and, imports rewritten, under Ember: the printed text must match; plus
oracle tests of the differences these programs found."""

from __future__ import annotations

import pytest
from _programs import same_printed

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")
pytest.importorskip("ember.optim")


def _pair(lib: object, fn: str) -> tuple:
    """A closure parameter ``w`` and an input ``x`` of library ``lib``, and the ``lib.func``
    transform named ``fn``."""
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    x = lib.tensor([3.0, 4.0])
    return w, x, getattr(lib.func, fn)


@pytest.mark.parametrize("fn", ["grad", "grad_and_value", "jacrev", "jacfwd", "hessian", "vjp"])
def test_func_transform_keeps_outer_graph_of_closure_parameters(fn: str) -> None:
    """A torch.func transform of a function using a parameter by closure returns results on
    the outer graph (backward reaches the parameter), as PyTorch's do."""
    got = []
    for lib in (torch, ember):
        w, x, t = _pair(lib, fn)
        if fn == "vjp":
            out, vfn = t(lambda v, w=w: w * v ** 2, x)
            res = (out, vfn(lib.ones(2))[0])
        elif fn in ("grad", "grad_and_value", "hessian"):
            res = t(lambda v, w=w: (w * v ** 3).sum())(x)
        else:
            res = t(lambda v, w=w: w * v ** 2)(x)
        flat = list(res) if isinstance(res, tuple) else [res]
        total = sum(r.sum() for r in flat)
        total.backward()
        got.append(([r.detach().numpy() for r in flat], [r.requires_grad for r in flat],
                     w.grad.numpy()))
    (te, tr, tg), (ee, er, eg) = got
    assert er == tr
    for a, b in zip(ee, te):
        assert a.tolist() == b.tolist()
    assert eg.tolist() == tg.tolist()


def test_func_grad_without_outer_tensors_stays_detached() -> None:
    """No outer tensor on the graph: the gradient is a plain tensor, as PyTorch's."""
    for lib in (torch, ember):
        g = lib.func.grad(lambda v: (v ** 2).sum())(lib.tensor([3.0, 4.0]))
        assert not g.requires_grad and g.grad_fn is None


_PINN_FUNC = r"""
import torch
import torch.nn as nn
from torch.func import grad, vmap
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
def u(t):
    return net(t.reshape(1, 1)).squeeze()
ts = torch.linspace(0, 1, 5)
for step in range(3):
    du = vmap(grad(u))(ts)
    loss = ((du - torch.cos(ts)) ** 2).mean() + u(torch.zeros(())) ** 2
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.6f}", du.requires_grad)
print(net[0].weight.grad.flatten()[:4])
g, v = torch.func.grad_and_value(u)(torch.tensor(0.5))
print(g.grad_fn is not None, v)
"""


def test_pinn_with_func_grad_trains_parameters() -> None:
    same_printed(_PINN_FUNC)


_VMAP_OUTPUTS = {
    "mul": lambda a: a * 2, "sum": lambda a: a.sum(), "mean": lambda a: a.mean(),
    "select": lambda a: a[0], "max": lambda a: a.max(), "prod": lambda a: a.prod(),
    "dot": lambda a: a @ a, "view": lambda a: a.view(2, 1), "stack": lambda a: [a, a],
    "add": lambda a: a.sin() + 1, "mse": lambda a: ember_or_torch_mse(a),
}
_VMAP_MATRIX_OUTPUTS = {"trace": lambda a: a.trace(), "mm": lambda a: a @ a,
                        "mv": lambda a: a @ a[0]}


def ember_or_torch_mse(a: object) -> object:
    """mse_loss of ``a`` against zeros, in ``a``'s library."""
    lib = torch if isinstance(a, torch.Tensor) else ember
    return lib.nn.functional.mse_loss(a, lib.zeros(2))


@pytest.mark.parametrize("name", list(_VMAP_OUTPUTS))
def test_vmap_output_grad_fn_name_is_pytorchs(name: str) -> None:
    """vmap's result shows the graph node PyTorch's batched op gives it (not a stack)."""
    f = _VMAP_OUTPUTS[name]
    names = []
    for lib in (torch, ember):
        def g(a, lib=lib):
            r = f(a)
            return lib.stack(r) if isinstance(r, list) else r
        x = lib.ones(3, 2, requires_grad=True)
        names.append(lib.vmap(g)(x).grad_fn.name())
    assert names[1] == names[0]


@pytest.mark.parametrize("name", list(_VMAP_MATRIX_OUTPUTS))
def test_vmap_matrix_output_grad_fn_name_is_pytorchs(name: str) -> None:
    f = _VMAP_MATRIX_OUTPUTS[name]
    names = [lib.vmap(f)(lib.ones(3, 2, 2, requires_grad=True)).grad_fn.name()
             for lib in (torch, ember)]
    assert names[1] == names[0]


def test_vmap_of_grad_with_closure_parameter_prints_as_pytorch() -> None:
    same_printed(r"""
import torch
w = torch.tensor([1.0, 2.0], requires_grad=True)
def f(x):
    return (w * x ** 2).sum()
print(torch.func.grad(f)(torch.tensor([3.0, 4.0])))
print(torch.vmap(torch.func.grad(f))(torch.ones(2, 2)))
print(torch.func.grad_and_value(f)(torch.tensor([3.0, 4.0])))
out, fn = torch.func.vjp(lambda x: w * x ** 2, torch.tensor([3.0, 4.0]))
print(out, fn(torch.ones(2)))
J = torch.func.jacrev(lambda x: w * x ** 2)(torch.tensor([3.0, 4.0]))
print(J)
J.sum().backward()
print(w.grad)
""")


_PINN_SECOND_DERIVATIVES = r"""
import torch
import torch.nn as nn
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
x = torch.linspace(0, 1, 20).reshape(-1, 1).requires_grad_(True)
for step in range(5):
    u = net(x)
    du = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]
    d2u = torch.autograd.grad(du, x, grad_outputs=torch.ones_like(du), create_graph=True)[0]
    res = d2u + u
    x0 = torch.zeros(1, 1, requires_grad=True)
    u0 = net(x0)
    du0 = torch.autograd.grad(u0, x0, torch.ones_like(u0), create_graph=True)[0]
    loss = res.pow(2).mean() + (u0 - 0).pow(2).sum() + (du0 - 1).pow(2).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.6f}")
print(du.shape, d2u.grad_fn is not None, du.requires_grad)
print(net[0].weight.grad[:3])
print(u[:3])
"""


def test_program_pinn_with_second_derivatives() -> None:
    same_printed(_PINN_SECOND_DERIVATIVES)


_REINFORCE = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical
torch.manual_seed(0)
policy = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
gamma = 0.99
for ep in range(3):
    log_probs, rewards, ents = [], [], []
    state = torch.randn(4)
    for t in range(8):
        logits = policy(state)
        dist = Categorical(logits=logits)
        a = dist.sample()
        log_probs.append(dist.log_prob(a))
        ents.append(dist.entropy())
        r = 1.0 if a.item() == 1 else 0.0
        rewards.append(r)
        state = state + 0.1 * torch.randn(4)
    R = 0
    returns = []
    for r in reversed(rewards):
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + 1e-8)
    loss = -(torch.stack(log_probs) * returns).sum() - 0.01 * torch.stack(ents).sum()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(ep, sum(rewards), f"{loss.item():.4f}", returns[:3])
print(dist, dist.probs, dist.logits)
print(a, a.dtype, log_probs[0])
probs = F.softmax(policy(torch.ones(4)), dim=-1)
d2 = Categorical(probs)
print(d2.sample((5,)), d2.entropy(), d2.param_shape, d2.batch_shape, d2.event_shape)
print(Categorical(probs=torch.tensor([[0.2, 0.8], [0.5, 0.5]])).log_prob(torch.tensor([1, 0])))
"""


def test_program_reinforce_with_categorical() -> None:
    same_printed(_REINFORCE)


_PPO_GAE = r"""
import torch
import torch.nn as nn
from torch.distributions import Categorical
torch.manual_seed(1)
class AC(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 32), nn.Tanh())
        self.pi = nn.Linear(32, 3)
        self.v = nn.Linear(32, 1)
    def forward(self, x):
        h = self.body(x)
        return Categorical(logits=self.pi(h)), self.v(h).squeeze(-1)
model = AC()
opt = torch.optim.Adam(model.parameters(), lr=3e-4, eps=1e-5)
T = 16
obs = torch.randn(T, 3)
with torch.no_grad():
    dist, values = model(obs)
    actions = dist.sample()
    old_logp = dist.log_prob(actions)
rewards = torch.randn(T)
dones = torch.zeros(T); dones[7] = 1
gamma, lam = 0.99, 0.95
adv = torch.zeros(T)
lastgaelam = 0
next_value = torch.tensor(0.0)
for t in reversed(range(T)):
    nv = next_value if t == T - 1 else values[t + 1]
    nonterm = 1.0 - dones[t]
    delta = rewards[t] + gamma * nv * nonterm - values[t]
    adv[t] = lastgaelam = delta + gamma * lam * nonterm * lastgaelam
returns = adv + values
print(adv[:4], returns[:4])
for epoch in range(4):
    idx = torch.randperm(T)
    for mb in idx.split(8):
        dist, v = model(obs[mb])
        logp = dist.log_prob(actions[mb])
        ratio = torch.exp(logp - old_logp[mb])
        a = adv[mb]
        a = (a - a.mean()) / (a.std() + 1e-8)
        s1 = ratio * a
        s2 = torch.clamp(ratio, 1 - 0.2, 1 + 0.2) * a
        pl = -torch.min(s1, s2).mean()
        vl = 0.5 * ((v - returns[mb]) ** 2).mean()
        ent = dist.entropy().mean()
        loss = pl + 0.5 * vl - 0.01 * ent
        opt.zero_grad()
        loss.backward()
        gn = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        clipfrac = ((ratio - 1.0).abs() > 0.2).float().mean()
    approx_kl = ((ratio - 1) - (logp - old_logp[mb])).mean()
    print(epoch, f"{pl.item():.5f} {vl.item():.5f} {ent.item():.5f}", gn, clipfrac.item(), f"{approx_kl.item():.6f}")
print(ratio)
print(idx)
"""


def test_program_ppo_with_gae() -> None:
    same_printed(_PPO_GAE)


_DQN = r"""
import random
from collections import deque, namedtuple
import torch
import torch.nn as nn
import torch.nn.functional as F
random.seed(0)
torch.manual_seed(0)
Transition = namedtuple('Transition', ('state', 'action', 'next_state', 'reward', 'done'))
class DQN(nn.Module):
    def __init__(self, n_obs, n_act):
        super().__init__()
        self.layer1 = nn.Linear(n_obs, 32)
        self.layer2 = nn.Linear(32, n_act)
    def forward(self, x):
        return self.layer2(F.relu(self.layer1(x)))
policy_net = DQN(4, 2)
target_net = DQN(4, 2)
print(target_net.load_state_dict(policy_net.state_dict()))
opt = torch.optim.AdamW(policy_net.parameters(), lr=1e-3, amsgrad=True)
memory = deque(maxlen=100)
state = torch.randn(1, 4)
eps = 0.5
for t in range(40):
    if random.random() > eps:
        with torch.no_grad():
            action = policy_net(state).max(1)[1].view(1, 1)
    else:
        action = torch.tensor([[random.randrange(2)]], dtype=torch.long)
    nxt = state + 0.1 * torch.randn(1, 4)
    reward = torch.tensor([1.0 if action.item() == 0 else -0.5])
    done = torch.tensor([float(t % 10 == 9)])
    memory.append(Transition(state, action, nxt, reward, done))
    state = nxt
    if len(memory) >= 16:
        batch = Transition(*zip(*random.sample(memory, 16)))
        sb = torch.cat(batch.state); ab = torch.cat(batch.action)
        rb = torch.cat(batch.reward); nb = torch.cat(batch.next_state); db = torch.cat(batch.done)
        q = policy_net(sb).gather(1, ab)
        with torch.no_grad():
            nq = target_net(nb).max(1)[0]
        expected = rb + 0.99 * nq * (1 - db)
        loss = F.smooth_l1_loss(q, expected.unsqueeze(1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
        opt.step()
        if t % 8 == 0:
            print(t, f"{loss.item():.5f}", q.shape, nq[:3])
    tsd = target_net.state_dict(); psd = policy_net.state_dict()
    for k in psd:
        tsd[k] = psd[k] * 0.005 + tsd[k] * (1 - 0.995)
    target_net.load_state_dict(tsd)
print(list(tsd.keys()))
print(policy_net)
print(target_net.layer2.bias)
print(policy_net(state).max(1))
print(policy_net(state).argmax(dim=1, keepdim=True))
"""


def test_program_dqn_with_replay_and_target_net() -> None:
    same_printed(_DQN)


_RK4_EULER = r"""
import torch
def f(t, y):
    return torch.stack([y[1], -y[0] - 0.1 * y[1]])
def rk4(f, y0, t):
    ys = [y0]
    y = y0
    for i in range(len(t) - 1):
        h = t[i+1] - t[i]
        k1 = f(t[i], y)
        k2 = f(t[i] + h/2, y + h/2*k1)
        k3 = f(t[i] + h/2, y + h/2*k2)
        k4 = f(t[i] + h, y + h*k3)
        y = y + h/6*(k1 + 2*k2 + 2*k3 + k4)
        ys.append(y)
    return torch.stack(ys)
t = torch.linspace(0, 10, 101)
traj = rk4(f, torch.tensor([1.0, 0.0]), t)
print(traj.shape, traj.dtype)
print(traj[::20])
print(traj[-1])
y = torch.tensor([1.0, 0.0])
dt = 0.1
euler = []
for ti in t[:-1]:
    y = y + dt * f(ti, y)
    euler.append(y)
E = torch.stack(euler)
print(E[-1], (E - traj[1:]).abs().max())
print(t[:5], t.dtype)
energy = 0.5 * (traj ** 2).sum(dim=1)
print(energy[::25])
print(torch.trapezoid(energy, t))
print(torch.diff(t)[:3])
"""


def test_program_rk4_and_euler_trajectories() -> None:
    same_printed(_RK4_EULER)


_TANH_NORMAL = r"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal
torch.manual_seed(0)
class Actor(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(3, 32), nn.ReLU())
        self.mu = nn.Linear(32, 2)
        self.log_std = nn.Linear(32, 2)
    def forward(self, x):
        h = self.net(x)
        mu = self.mu(h)
        log_std = torch.clamp(self.log_std(h), -20, 2)
        std = log_std.exp()
        dist = Normal(mu, std)
        u = dist.rsample()
        a = torch.tanh(u)
        logp = dist.log_prob(u).sum(-1) - (2 * (torch.log(torch.tensor(2.0)) - u - F.softplus(-2 * u))).sum(-1)
        logp2 = dist.log_prob(u).sum(-1) - torch.log(1 - a.pow(2) + 1e-6).sum(-1)
        return a, logp, logp2, dist
actor = Actor()
opt = torch.optim.Adam(actor.parameters(), lr=1e-3)
log_alpha = torch.zeros(1, requires_grad=True)
a_opt = torch.optim.Adam([log_alpha], lr=3e-4)
obs = torch.randn(8, 3)
for i in range(4):
    a, logp, logp2, dist = actor(obs)
    q = -(a ** 2).sum(-1)
    alpha = log_alpha.exp()
    loss = (alpha.detach() * logp - q).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    aloss = -(log_alpha * (logp.detach() - 2)).mean()
    a_opt.zero_grad(); aloss.backward(); a_opt.step()
    print(i, f"{loss.item():.5f}", f"{aloss.item():.5f}", log_alpha.data)
print(a[:2], logp[:2], logp2[:2])
print(dist)
print(dist.mean.shape, dist.stddev[:1], dist.entropy()[:1])
print(dist.sample().shape, dist.sample((3,)).shape)
n = Normal(torch.tensor(0.0), torch.tensor(1.0))
print(n.log_prob(torch.tensor([0., 1., 2.])), n.cdf(torch.tensor(1.96)), n.icdf(torch.tensor(0.975)))
print(n, n.variance, n.batch_shape)
from torch.distributions import Independent, kl_divergence
ind = Independent(Normal(torch.zeros(2), torch.ones(2)), 1)
print(ind, ind.log_prob(torch.ones(2)))
print(kl_divergence(Normal(0., 1.), Normal(1., 2.)))
"""


def test_program_tanh_squashed_normal_policy() -> None:
    same_printed(_TANH_NORMAL)
