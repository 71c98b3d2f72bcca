"""Old-style PyTorch code (0.3-1.x tutorials and repos; session 25, lane Y): whole programs
run with torch and with Ember, their printed output and warnings compared, and the
differences they found pinned as oracle checks."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import warnings
from typing import Any

import numpy as np
import pytest

import ember


def _fresh_once_flags() -> None:
    """Ember's warn-once flags cleared, so each test sees PyTorch's first warning."""
    from ember.ops import _deprecated_overload

    _deprecated_overload._warned.clear()


def run(lib: Any, code: str) -> tuple[str, list[str]]:
    """What ``code`` prints with ``torch`` bound to ``lib``, and the warnings it raises
    (each as ``Category: message``; the library's name written as ``torch``)."""
    buf = io.StringIO()
    env = {"torch": lib, "np": np, "nn": getattr(lib, "nn", None),
           "F": getattr(getattr(lib, "nn", None), "functional", None),
           "Variable": lib.autograd.Variable}
    dflt = lib.get_default_dtype()
    with warnings.catch_warnings(record=True) as rec, contextlib.redirect_stdout(buf):
        warnings.simplefilter("always")
        try:
            exec(code, env)
        finally:
            lib.set_default_dtype(dflt)
    # (Ember leaves out the C++ source line PyTorch's TORCH_WARN appends)
    seen = [f"{w.category.__name__}: {w.message}".replace("ember", "torch")
            .split(" (Triggered internally")[0] for w in rec
            if w.category is not DeprecationWarning]
    return buf.getvalue().replace("ember", "torch"), seen


def check_program(torch: Any, code: str, *, warns: bool = True) -> None:
    _fresh_once_flags()
    expected = run(torch, code)
    got = run(ember, code)
    assert got[0] == expected[0], (code, got[0], expected[0])
    if warns:
        assert got[1] == expected[1], (code, got[1], expected[1])


# ------------------------------------------------ Variable: a detached alias, not the input
_VARIABLE = """
x = torch.ones(2)
v = Variable(x, requires_grad=True)
print(v is x, x.requires_grad, v.requires_grad, v.is_leaf)
y = v * 2
w = Variable(y)
print(w.requires_grad, w.grad_fn, w.is_leaf)
p = torch.nn.Parameter(torch.ones(2))
print(type(Variable(p)).__name__, Variable(p).requires_grad)
print(Variable(), Variable(torch.ones(2), True))
for bad in ([1, 2], 3.0, np.ones(2)):
    try:
        Variable(bad)
    except TypeError as e:
        print(type(e).__name__, e)
print(Variable(torch.ones(2), volatile=True).requires_grad)
print(Variable)
"""


def test_variable_is_a_detached_alias(torch):
    check_program(torch, _VARIABLE)


def test_variable_module_path(torch):
    from ember.autograd.variable import Variable

    assert Variable is ember.autograd.Variable
    assert repr(Variable).replace("ember", "torch") == repr(torch.autograd.Variable)


# ------------------------------------------- deprecated positional overloads (warn once)
_OVERLOADS = [
    "p.add_(-0.1, g)", "p.sub_(0.1, g)", "p.addcmul_(0.5, g, g)", "p.addcdiv_(-0.1, g, d)",
    "p.addcmul(0.5, g, g)", "p.addcdiv(2, g, d)",
]


@pytest.mark.parametrize("call", _OVERLOADS)
def test_deprecated_value_first_overload(torch, call):
    # (PyTorch warns once per process for all of these: the warning is checked below)
    check_program(torch, "torch.manual_seed(0)\np = torch.randn(3); g = torch.randn(3)\n"
                         "d = torch.rand(3) + 1\n"
                         f"print({call})\nprint({call})\nprint(p)\n", warns=False)


def test_deprecated_overload_and_uint8_where_warn_once_per_process(torch):
    code = ("import warnings\nwith warnings.catch_warnings(record=True) as rec:\n"
            "    warnings.simplefilter('always')\n    p = torch.ones(2); g = torch.ones(2)\n"
            "    p.add_(1, g); p.sub_(1, g); p.addcmul_(1, g, g); p.add_(2, g)\n"
            "    m = torch.tensor([1, 0], dtype=torch.uint8)\n"
            "    print(torch.where(m, p, g), torch.where(m, g, p))\n"
            "print([str(w.message).split(' (Triggered internally')[0] for w in rec])\n")
    out = subprocess.run([sys.executable, "-c", "import torch\n" + code], capture_output=True,
                         text=True, check=True).stdout
    _fresh_once_flags()
    assert run(ember, code)[0] == out


def test_old_sgd_and_adam_loops(torch):
    pytest.importorskip("ember.nn")
    check_program(torch, """
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
x = Variable(torch.randn(6, 4)); y = Variable(torch.randn(6, 1))
m = [torch.zeros_like(p.data) for p in model.parameters()]
v = [torch.zeros_like(p.data) for p in model.parameters()]
for t in range(3):
    loss = nn.MSELoss(size_average=False)(model(x), y)
    print(t, '%.4f' % loss.item())
    model.zero_grad()
    loss.backward()
    for p, mi, vi in zip(model.parameters(), m, v):
        mi.mul_(0.9).add_(0.1, p.grad.data)
        vi.mul_(0.99).addcmul_(0.01, p.grad.data, p.grad.data)
        p.data.addcdiv_(-0.01, mi, vi.sqrt().add_(1e-8))
        p.data.add_(-0.01, p.grad.data)
print(model[0].weight)
""", warns=False)


def test_keyword_alpha_still_works(torch):
    check_program(torch, "p = torch.ones(3); g = torch.arange(3.)\n"
                         "print(p.add_(g, alpha=2), p.sub_(g, alpha=0.5))\n"
                         "print(p.addcmul_(g, g, value=3))\n")


# ------------------------------------------------------ legacy losses: one warning each
def test_size_average_warns_once_per_loss(torch):
    pytest.importorskip("ember.nn")
    code = """
import warnings
inp = torch.arange(15.).reshape(3, 5) / 7; target = torch.tensor([1, 0, 4])
with warnings.catch_warnings(record=True) as rec:
    warnings.simplefilter("default")
    for kw in [dict(size_average=False), dict(reduce=False), dict(size_average=True)]:
        for _ in range(2):
            print(nn.CrossEntropyLoss(**kw)(inp, target), nn.NLLLoss(**kw).reduction)
            print(F.mse_loss(inp, inp * 2, **kw).sum())
print(sorted(str(w.message) for w in rec))
"""
    check_program(torch, code, warns=False)


# ----------------------------------------------------------- legacy tensor constructors
def test_legacy_constructors(torch):
    check_program(torch, """
print(torch.Tensor(torch.Size([2, 3])).shape, torch.FloatTensor(torch.Size([2])).shape)
for bad in (2.5, None):
    try:
        torch.LongTensor(bad)
    except TypeError as e:
        print(type(e).__name__, e)
print(torch.LongTensor([1, 2]), torch.Tensor([1, 2]), torch.Tensor().shape)
""")


def test_cuda_legacy_types_exist_without_a_gpu(torch):
    check_program(torch, """
x = torch.ones(2)
dtype = torch.cuda.FloatTensor if torch.cuda.is_available() else torch.FloatTensor
print(x.type(dtype), torch.cuda.LongTensor, torch.cuda.FloatTensor.is_cuda)
print(isinstance(x, torch.cuda.FloatTensor), isinstance(x, torch.FloatTensor))
print(torch.cuda.FloatTensor.dtype, torch.cuda.ByteTensor.dtype)
print(x.type(torch.DoubleTensor), x.type(torch.FloatTensor) is x)
""")
    if not torch.cuda.is_available() and not ember.cuda.is_available():
        _fresh_once_flags()
        with pytest.warns(UserWarning, match="DtypeTensor constructors are no longer"):
            with pytest.raises(RuntimeError):
                ember.cuda.FloatTensor(2)


def test_set_default_tensor_type_warns_once(torch):
    check_program(torch, """
torch.set_default_tensor_type(torch.DoubleTensor)
print(torch.randn(2).dtype, torch.Tensor(1).dtype)
torch.set_default_tensor_type('torch.FloatTensor')
torch.set_default_tensor_type(torch.FloatTensor)
print(torch.zeros(1).dtype)
""")


# --------------------------------------------------------------- warnings' exact texts
def test_uint8_index_and_chain_matmul_warnings(torch):
    check_program(torch, """
x = torch.arange(6.).reshape(2, 3)
print(x[torch.tensor([[1, 0, 1], [0, 0, 1]], dtype=torch.uint8)])
print(torch.chain_matmul(x, x.t(), x))
""")


# ------------------------------------------------------------------ whole old programs
def test_old_classifier_program(torch):
    pytest.importorskip("ember.nn")
    check_program(torch, """
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(6, 5)
        self.fc2 = nn.utils.weight_norm(nn.Linear(5, 3))
    def forward(self, x):
        return F.log_softmax(self.fc2(F.tanh(self.fc1(x))), dim=1)
net = Net()
print(net, list(net.state_dict().keys()))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
x = Variable(torch.randn(8, 6)); y = Variable(torch.LongTensor([0, 1, 2, 0, 1, 2, 0, 1]))
for step in range(3):
    opt.zero_grad()
    loss = F.nll_loss(net(x), y)
    loss.backward()
    n = nn.utils.clip_grad_norm(net.parameters(), 0.5)
    opt.step()
    print(step, '%.4f' % loss.item(), '%.4f' % float(n))
try:
    print(loss.data[0])
except IndexError as e:
    print('IndexError', e)
net.train(False)
with torch.no_grad():
    pred = net(x).data.max(1)[1]
    print(pred.eq(y.data).sum().item(), net.training)
""", warns=False)
