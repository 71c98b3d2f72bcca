"""Session 29: the forward-mode AD and torch.func tutorials of pytorch.org, shortened, run as
program text under PyTorch and with ``torch`` spelled ``ember``; the printed text must match.

Covered: dual tensors (``make_dual``/``unpack_dual``) over a function and over a module's
parameters, where a primal requires grad: the tangent handed out is a plain tensor at its
level (no tangent of its own, none shown in its repr) as PyTorch's is; a custom Function
with ``jvp`` (whose outputs join the graph before ``jvp`` reads them from ``ctx``);
``torch.func.jvp``; "Learning PyTorch with Examples" in raw tensors and
autograd; per-sample gradients with ``vmap(grad(...))`` over ``functional_call``.
"""

from __future__ import annotations

import pytest
from _program_output import same_output

torch = pytest.importorskip("torch")

# a tangent computed where the primal requires grad: in PyTorch it has no tangent itself (the
# derivative formulas run on primals); its repr shows none, and what is derived from it none
TANGENT_OF_TANGENT = """
import torch
import torch.autograd.forward_ad as fwAD
torch.manual_seed(0)
p = torch.randn(4, dtype=torch.float64, requires_grad=True)
t = torch.randn(4, dtype=torch.float64)
with fwAD.dual_level():
    d = fwAD.make_dual(p, t)
    for f in (torch.exp, torch.sin, lambda a: a * a, lambda a: a.softmax(0)):
        tg = fwAD.unpack_dual(f(d)).tangent
        print(tg.detach(), tg.requires_grad, fwAD.unpack_dual(tg).tangent is None)
        print('tangent=' in repr(tg), fwAD.unpack_dual(tg).primal.detach())
"""

FORWARD_AD_TUTORIAL = """
import torch
import torch.autograd.forward_ad as fwAD
torch.manual_seed(0)
primal = torch.randn(6, 6)
tangent = torch.randn(6, 6)
def fn(x, y):
    return x ** 2 + y ** 2
with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    print(fwAD.unpack_dual(dual_input).tangent is tangent)
    plain_tensor = torch.randn(6, 6)
    dual_output = fn(dual_input, plain_tensor)
    jvp = fwAD.unpack_dual(dual_output).tangent
    print(jvp[0], type(fwAD.unpack_dual(dual_output)).__name__, fwAD.unpack_dual(dual_output)._fields)
print(fwAD.unpack_dual(dual_output).tangent is None)
w = torch.randn(3, 3, dtype=torch.float64, requires_grad=True)
tw = torch.rand(3, 3, dtype=torch.float64)
x = torch.randn(5, 3, dtype=torch.float64)
with fwAD.dual_level():
    out = (x @ fwAD.make_dual(w, tw).T).tanh()
    jvp = fwAD.unpack_dual(out).tangent
    print(jvp.detach(), fwAD.unpack_dual(jvp).tangent is None)
class Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = torch.exp(foo)
        ctx.result = result
        return result
    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        del ctx.result
        return gO
primal = torch.randn(4, 4, dtype=torch.double)
tangent = torch.randn(4, 4, dtype=torch.double)
with fwAD.dual_level():
    jvp = fwAD.unpack_dual(Fn.apply(fwAD.make_dual(primal, tangent))).tangent
print(jvp[0])
from torch.func import jvp as fjvp
f = lambda x: x * torch.tensor([1., 2., 3])
value, jvp_out = fjvp(f, (torch.randn([]),), (torch.tensor(1.),))
print(value, jvp_out)
"""

# the tutorial's custom Function with jvp, its primal requiring grad: the output joins the
# graph before jvp runs, so the ctx.result jvp reads requires grad, and so does the tangent
CUSTOM_JVP = """
import torch
import torch.autograd.forward_ad as fwAD
class Fn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = torch.exp(foo)
        ctx.result = result
        return result
    @staticmethod
    def jvp(ctx, gI):
        print('jvp sees', ctx.result.requires_grad, gI.requires_grad)
        gO = gI * ctx.result
        del ctx.result
        return gO
torch.manual_seed(0)
for rg in (True, False):
    primal = torch.randn(3, 3, dtype=torch.double, requires_grad=rg)
    tangent = torch.randn(3, 3)
    with fwAD.dual_level():
        dual_output = Fn.apply(fwAD.make_dual(primal, tangent))
        jvp = fwAD.unpack_dual(dual_output).tangent
    print(jvp[0, :3], jvp.dtype, jvp.requires_grad)
"""

EXAMPLES_AUTOGRAD = """
import torch, math
torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 200, dtype=torch.float64)
y = torch.sin(x)
a, b, c, d = (torch.randn((), dtype=torch.float64, requires_grad=True) for _ in range(4))
for t in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= 1e-6 * p.grad
            p.grad = None
print(a, b, c, d, a.is_leaf, y_pred.requires_grad)
xf = torch.linspace(-math.pi, math.pi, 200)
w = [torch.randn(()) for _ in range(4)]
for t in range(200):
    y_pred = w[0] + w[1] * xf + w[2] * xf ** 2 + w[3] * xf ** 3
    g = 2.0 * (y_pred - torch.sin(xf))
    grads = [g.sum(), (g * xf).sum(), (g * xf ** 2).sum(), (g * xf ** 3).sum()]
    for p, gr in zip(w, grads):
        p -= 1e-6 * gr
print(f'Result: y = {w[0].item():.3f} + {w[1].item():.3f} x + {w[2].item():.3f} x^2 + {w[3].item():.3f} x^3')
"""


@pytest.mark.parametrize("src", [TANGENT_OF_TANGENT, FORWARD_AD_TUTORIAL, CUSTOM_JVP,
                                 EXAMPLES_AUTOGRAD],
                         ids=["tangent_of_tangent", "forward_ad", "custom_jvp",
                              "examples_autograd"])
def test_tutorial_program(src):
    same_output(src)
