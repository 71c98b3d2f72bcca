"""Numerical edge cases against PyTorch (session 28, lane V): whole programs printing exact
values (``tolist`` shows NaN, infinities and signed zeros), dtypes and errors.

Fixed here: maximum/minimum/binary max/min and clamp to tensor bounds keep their first operand
on a tie (``maximum(0., -0.)`` is ``0.``); relu (float16 too), leaky_relu, elu/selu/celu keep
``-0.``; the last-dimension softmax multiplies by ``1 / sum``; a negative or infinite number
base of ``number ** tensor`` has a NaN log in the backward (was a Python ValueError); kl_div's
input gradient is ``-target`` whatever the input (an infinite log-probability with a zero
target gave NaN); histc's non-finite range message prints ``-nan`` as PyTorch's.

Guarded (already matching, easy to break): softmax/log_softmax/logsumexp over ``-inf`` rows,
log/sqrt/pow/atan2 at their edges, NaN in max/min/sort/topk/unique/median/quantile/kthvalue,
clamp with NaN bounds, nan_to_num per dtype, cumsum/cumprod overflow in small dtypes, integer
division and remainder by zero, floor division of negatives, float-to-int casts of NaN,
infinities and out-of-range values, integer wraparound, bool arithmetic, int64 through float32,
isclose/allclose with NaN, finfo/iinfo, and gradients at kinks (abs, relu, clamp, max ties,
norm and sqrt at 0, where with NaN in the unused branch).
"""

from __future__ import annotations

import pytest
from _program_output import same_output

torch = pytest.importorskip("torch")

_HEAD = """import torch
def P(*a):
    for x in a:
        if isinstance(x, torch.Tensor):
            print(x.dtype, tuple(x.shape), x.tolist())
        elif isinstance(x, (tuple, list)):
            P(*x)
        else:
            print(repr(x))
def E(f):
    try:
        P(f())
    except Exception as e:
        print(type(e).__name__, e)
"""

FIXED = {
    "maximum_ties": """
for dt in [torch.float16, torch.bfloat16, torch.float32, torch.float64]:
    z, n = torch.zeros(3, dtype=dt), torch.tensor([-0., -0., 1.], dtype=dt)
    P(torch.maximum(z, n), torch.maximum(n, z), torch.minimum(z, n), torch.minimum(n, z))
    P(torch.max(z, n), torch.min(n, z))
    P(torch.clamp(n, min=z), torch.clamp(z, max=n), torch.clamp(n, z, z + 1))
""",
    "activations_negative_zero": """
F = torch.nn.functional
for dt in [torch.float16, torch.bfloat16, torch.float32, torch.float64]:
    x = torch.tensor([-0., 0., -1., 2.], dtype=dt)
    P(torch.relu(x), F.leaky_relu(x), F.leaky_relu(x, 0.2), F.elu(x), F.selu(x), F.celu(x, 2.))
    P(F.relu6(x), F.hardtanh(x), F.threshold(x, 0., 5.))
    y = x.clone(); y.relu_(); P(y)
    y = x.clone(); F.leaky_relu_(y); P(y)
""",
    "softmax_last_dim": """
x = torch.tensor([float('-inf'), -1., 0.], dtype=torch.float64, requires_grad=True)
y = torch.softmax(x, 0); y[2].backward(); P(y, x.grad)
P(torch.softmax(torch.tensor([[-1., 0.], [-5., 0.]], dtype=torch.float64), 1))
P(torch.softmax(torch.tensor([[float('-inf')] * 3, [float('-inf'), -1., 0.]],
                             dtype=torch.float64), -1))
""",
    "number_base_pow_grad": """
for a in [-2., float('-inf'), float('inf'), float('nan'), 2, -3, 1j, -1 + 1j, 0.]:
    x = torch.tensor([0., 2., 0.5], requires_grad=True)
    try:
        (a ** x).sum().backward()
        P(x.grad)
    except Exception as e:
        print(type(e).__name__, e)
""",
    "kl_div_input_grad": """
F = torch.nn.functional
for lt in [False, True]:
    x = torch.tensor([float('nan'), float('inf'), float('-inf'), 1., -1.], requires_grad=True)
    t = torch.tensor([0.5, 0., 0., 0., float('nan')], requires_grad=True)
    F.kl_div(x, t, reduction='sum', log_target=lt).backward(); P(x.grad, t.grad)
    x = torch.tensor([[-1., float('-inf')]], requires_grad=True)
    F.kl_div(x, torch.tensor([0.]), reduction='batchmean', log_target=lt).backward(); P(x.grad)
""",
    "histc_nan_range": """
n = float('nan')
for x in ([1., n], [n], [-n], [n, 1.], [1., float('inf')], [n] * 40):
    for kw in ({}, {'min': n, 'max': 1.}, {'min': 0., 'max': float('inf')}):
        E(lambda: torch.histc(torch.tensor(x), bins=2, **kw))
""",
}

GUARDED = {
    "softmax_inf_rows": """
for dt in [torch.float32, torch.float64]:
    x = torch.tensor([[float('-inf')] * 3, [float('-inf'), 0., 0.]], dtype=dt)
    P(torch.softmax(x, 1), torch.log_softmax(x, 1), torch.logsumexp(x, 1))
    P(torch.softmax(x, 0), torch.log_softmax(x, 0), torch.logsumexp(x, 0))
    y = torch.tensor([float('inf'), 1., float('-inf')], dtype=dt)
    P(torch.softmax(y, 0), torch.log_softmax(y, 0), torch.logsumexp(y, 0))
    z = torch.full((3,), float('-inf'), dtype=dt, requires_grad=True)
    torch.logsumexp(z, 0).backward(); P(z.grad)
""",
    "log_sqrt_pow_atan2": """
x = torch.tensor([0., -0., 1., -1.])
P(torch.log(x), torch.log2(x), torch.log1p(x - 1), torch.sqrt(x), torch.rsqrt(x))
P(torch.tensor(0.) * float('inf'), torch.tensor(-0.) * float('inf'))
b = torch.tensor([-8., -2., -0., 0., 2., float('-inf'), float('nan')])
for e in [0.5, 2., 3., -1., -0.5, 0., float('inf'), float('-inf'), float('nan')]:
    P(torch.pow(b, e))
i = torch.tensor([-8, -2, 0, 2, 3])
P(torch.pow(i, 2), torch.pow(i, 0), i ** 3, torch.pow(i, 0.5))
E(lambda: torch.pow(i, -1))
P(torch.pow(torch.tensor([1, -1, 0]), torch.tensor([-2, -3, 0])))
y = torch.tensor([0., -0., 0., -0., 1., -1., float('inf'), float('-inf')])
x = torch.tensor([0., 0., -0., -0., float('inf'), float('-inf'), float('inf'), float('-inf')])
P(torch.atan2(y, x), torch.atan2(x, y))
""",
    "nan_reductions": """
x = torch.tensor([[1., float('nan'), 3.], [float('nan'), float('nan'), 0.], [2., 1., 0.]])
P(torch.max(x), torch.min(x), torch.amax(x), torch.argmax(x), torch.argmin(x))
P(torch.max(x, 1), torch.min(x, 1), torch.argmax(x, 1), torch.argmin(x, 0), torch.aminmax(x, dim=1))
P(torch.maximum(x, torch.zeros(3)), torch.fmax(x, torch.zeros(3)), torch.fmin(x, torch.zeros(3)))
P(torch.sort(x, 1), torch.sort(x, 1, descending=True), torch.argsort(x, 0))
P(torch.topk(x, 2, 1), torch.topk(x, 2, 1, largest=False))
P(torch.cummax(x, 1), torch.cummin(x, 0))
v = torch.tensor([3., float('nan'), 1., float('nan'), 2., 1.])
P(torch.unique(v), torch.unique(v, return_counts=True, return_inverse=True))
w = torch.tensor([[3., float('nan'), 1., 2.], [1., 2., 3., 4.]])
P(torch.median(w), torch.nanmedian(w), torch.median(w, 1), torch.nanmedian(w, 1))
P(torch.quantile(w, torch.tensor([0.25, 0.5]), dim=1), torch.nanquantile(w, 0.3, dim=1))
P(torch.kthvalue(w, 3, 1), torch.kthvalue(w[0], 4), torch.mode(w[0]))
z = torch.tensor([0., -0., 1., -0., 0.])
P(torch.sort(z, stable=True), torch.unique(z), z.max(), z.min(), torch.argmax(z))
""",
    "clamp_nan_to_num": """
x = torch.tensor([-2., 0.5, 3., float('nan')])
P(torch.clamp(x, float('nan'), 1.), torch.clamp(x, 0., float('nan')), torch.clamp(x, 2., 1.))
P(torch.clamp(x, torch.tensor([0., float('nan'), 0., 0.]), torch.tensor(1.)))
P(torch.clamp(torch.tensor([-0.]), min=0.), torch.clamp(torch.tensor([0.]), max=-0.))
for dt in [torch.float16, torch.bfloat16, torch.float32, torch.float64]:
    y = torch.tensor([float('nan'), float('inf'), float('-inf'), 1.], dtype=dt)
    P(torch.nan_to_num(y), torch.nan_to_num(y, nan=2., posinf=3.), torch.nan_to_num(y, neginf=-1.))
P(torch.nan_to_num(torch.tensor([1, 2])))
""",
    "overflow": """
for dt in [torch.float16, torch.bfloat16]:
    x = torch.full((10,), 20000., dtype=dt)
    c = torch.full((6,), 100., dtype=dt)
    P(torch.cumsum(x, 0), torch.cumprod(c, 0), x.sum(), c.prod())
x = torch.tensor([100, 100, 100], dtype=torch.int8)
P(torch.cumsum(x, 0), torch.cumsum(x, 0, dtype=torch.int8), torch.cumprod(x, 0), x.sum(), x.prod())
x = torch.tensor([100000, 100000, 100000], dtype=torch.int32)
P(torch.cumsum(x, 0), torch.cumprod(x, 0), x.prod(), torch.cumprod(x, 0, dtype=torch.int32))
a = torch.tensor([2 ** 62, 2 ** 63 - 1, -2 ** 63])
P(a + a, a * 2, a - 1, -a, a.abs(), a * a)
b = torch.tensor([2 ** 30, 2 ** 31 - 1], dtype=torch.int32)
P(b + b, b * 4, -b - 2, b.sum())
c = torch.tensor([127, -128], dtype=torch.int8)
P(c + 1, c * 2, -c, c.abs(), c - 1)
u = torch.tensor([0, 255], dtype=torch.uint8)
P(u - 1, u + 1, -u, u * 2, torch.cumsum(u, 0))
E(lambda: torch.zeros(2, dtype=torch.int8) + 200)
E(lambda: torch.zeros(2, dtype=torch.int8) + 2 ** 40)
E(lambda: torch.zeros(2, dtype=torch.float16) + 1e10)
E(lambda: torch.full((2,), 300, dtype=torch.uint8))
E(lambda: torch.tensor(2 ** 63))
""",
    "integer_division": """
a = torch.tensor([5, -5, 0, 7])
z = torch.tensor([0, 0, 0, 2])
for f in [torch.div, torch.true_divide, torch.remainder, torch.fmod, torch.floor_divide]:
    E(lambda: f(a, z))
for mode in ['trunc', 'floor']:
    E(lambda: torch.div(a, z, rounding_mode=mode))
E(lambda: a // 0)
E(lambda: a % 0)
E(lambda: a / 0)
E(lambda: torch.tensor(5, dtype=torch.uint8) // torch.tensor(0, dtype=torch.uint8))
a = torch.tensor([-7, 7, -7, 7, -1, 1])
b = torch.tensor([2, -2, -2, 2, 3, -3])
P(a // b, a % b, torch.fmod(a, b), torch.div(a, b, rounding_mode='trunc'))
x, y = a.float(), b.float()
P(x // y, x % y, torch.fmod(x, y), x % float('inf'), torch.fmod(x, float('inf')))
P(torch.tensor([-0.5, 0.5, -1., 1.]) // 1, torch.tensor([-0.5, 0.5]) % 1)
f = torch.tensor([5., -5., 0., float('nan')])
P(f // 0, f % 0, torch.fmod(f, 0.), f / 0, f // -0., torch.div(f, 0., rounding_mode='trunc'))
""",
    "casts": """
x = torch.tensor([float('nan'), float('inf'), float('-inf'), 3e9, -3e9, 1e20, 2.7, -2.7, 256., -1.])
for dt in [torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool]:
    P(x.to(dt))
d = torch.tensor([float('nan'), float('inf'), 3e9, 2.7, -2.7, 300., -1.], dtype=torch.float64)
P(d.long(), d.int(), d.byte(), d.bool())
h = torch.tensor([float('nan'), float('inf'), 70000., 2.7, -2.7, 300., -1.], dtype=torch.float16)
P(h.long(), h.int(), h.byte())
P(torch.tensor([-1, 256, 300]).to(torch.uint8), torch.tensor([128, -129, 1000]).to(torch.int8))
P(torch.tensor([2 ** 31, -2 ** 31 - 1, 2 ** 40]).int(), torch.tensor([2 ** 24 + 1, 2 ** 60]).float())
for v in [float('nan'), float('inf'), -0.]:
    t = torch.tensor(v)
    print(t, t.item(), bool(t))
    E(lambda: int(t))
i = torch.tensor([2 ** 53 + 1, 2 ** 62 + 123, 16777217])
P(i.float().long(), i.double().long(), i * 1.0, i + 0.5)
t = torch.tensor([True, False, True])
P(t + t, t * t, t.sum(), t * 2, t + 1.5, t / t, t.cumsum(0), t.prod())
E(lambda: t - t)
E(lambda: -t)
""",
    "isclose_finfo": """
a = torch.tensor([1., float('nan'), float('inf'), float('-inf'), 0., -0.])
b = torch.tensor([1., float('nan'), float('inf'), float('inf'), -0., 1e-9])
P(torch.isclose(a, b), torch.isclose(a, b, equal_nan=True), torch.allclose(a, b))
P(torch.allclose(a, a), torch.allclose(a, a, equal_nan=True), torch.equal(a, a))
P(torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3]), atol=1))
for dt in [torch.float16, torch.bfloat16, torch.float32, torch.float64]:
    f = torch.finfo(dt)
    print(f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution, f.dtype)
for dt in [torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64]:
    i = torch.iinfo(dt)
    print(i.bits, i.max, i.min, i.dtype)
E(lambda: torch.iinfo(torch.bool))
E(lambda: torch.finfo(torch.int32))
""",
    "kink_gradients": """
F = torch.nn.functional
x = torch.tensor([-1., 0., -0., 1.], requires_grad=True)
for f in [torch.abs, torch.relu, torch.sqrt, torch.sign, F.relu6, F.leaky_relu, F.hardtanh,
          F.hardswish, F.hardsigmoid, F.softshrink, F.hardshrink]:
    x.grad = None
    f(x).sum().backward(); P(x.grad)
x = torch.tensor([-1., 0., 0.5, 1., 2.], requires_grad=True)
for f in [lambda v: v.clamp(0., 1.), lambda v: v.clamp(min=0.5), lambda v: v.clip(1., 0.),
          lambda v: torch.clamp(v, torch.tensor(0.), torch.tensor(1.))]:
    x.grad = None
    f(x).sum().backward(); P(x.grad)
x = torch.tensor([1., 3., 3., 2.], requires_grad=True)
for f in [lambda v: v.max(), lambda v: v.amax(), lambda v: torch.max(v, 0)[0], lambda v: v.median(),
          lambda v: torch.maximum(v, torch.tensor(3.)).sum(), lambda v: torch.topk(v, 2)[0].sum()]:
    x.grad = None
    f(x).backward(); P(x.grad)
x = torch.zeros(3, requires_grad=True)
for f in [lambda v: v.norm(), lambda v: v.norm(p=1), lambda v: v.norm(p=float('inf')),
          lambda v: v.sqrt().sum(), lambda v: (v ** 0.5).sum(), lambda v: (v ** 0).sum(),
          lambda v: v.pow(-1).sum(), lambda v: torch.dist(v, torch.zeros(3))]:
    x.grad = None
    f(x).backward(); P(x.grad)
x = torch.tensor([-1., 0., 2.], requires_grad=True)
y = torch.where(x > 0, x.sqrt(), torch.zeros(3)); y.sum().backward(); P(y, x.grad)
x.grad = None
y = torch.where(x > 0, x.log(), x); y.sum().backward(); P(y, x.grad)
x = torch.tensor([0., 1.], requires_grad=True)
torch.xlogy(x, x).sum().backward(); P(x.grad)
x.grad = None
torch.atan2(x, x).sum().backward(); P(x.grad)
""",
}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_fixed(name: str) -> None:
    same_output(_HEAD + FIXED[name])


@pytest.mark.parametrize("name", sorted(GUARDED))
def test_guarded(name: str) -> None:
    same_output(_HEAD + GUARDED[name])
