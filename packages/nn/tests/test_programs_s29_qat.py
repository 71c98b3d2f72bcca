"""Session 29, quantization-aware training part 2, run side by side with PyTorch:
``fuse_modules``/``fuse_modules_qat`` (eval-mode Conv+BN(+ReLU), Conv1d+BN, Linear+BN folding,
Conv+ReLU, Linear+ReLU, the ``ember.ao.nn.intrinsic`` containers and their reprs, ``nn.Identity``
placeholders, hook moves), ``prepare_qat`` (``ember.ao.nn.qat``/``intrinsic.qat`` swaps with
``weight_fake_quant``, ``activation_post_process`` fake-quants and hooks, qconfig propagation,
a qconfig set on one submodule only, ``QuantWrapper``), post-training ``prepare`` (observers
where PyTorch puts them: not after ReLU, Dropout, DeQuantStub), QAT training loops (an MLP and a
CNN with ConvBn/ConvBnReLU, ``freeze_bn_stats``, ``disable_observer``) printing models, losses,
scales and zero points, state-dict round trips, the QAT modules built directly, the errors in
PyTorch's words; ``convert`` (quantized modules) raising ``NotImplementedError``;
the fixed-qparams fake quantization of Sigmoid/Tanh/Softmax/Hardsigmoid outputs;
``HistogramObserver`` (histograms, upsampled merges, the L2 range search's qparams) and
``get_default_qconfig`` calibration."""

from __future__ import annotations

import pytest
from _programs import same_printed

import ember
import ember.nn  # noqa: F401

torch = pytest.importorskip("torch")
pytest.importorskip("ember.optim")
import ember.optim  # noqa: E402, F401

pytestmark = pytest.mark.filterwarnings("ignore:Please use quant_min:UserWarning")

_HEAD = """import torch, warnings, copy
warnings.simplefilter("ignore")
import torch.nn as nn
import torch.ao.quantization as tq
import torch.ao.nn.intrinsic as nni
import torch.ao.nn.intrinsic.qat as nniqat
import torch.ao.nn.qat as nnqat
torch.manual_seed(0)
"""


def test_fuse_prepare_qat_and_train_mlp():
    same_printed(_HEAD + """mlp = nn.Sequential(tq.QuantStub(), nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.BatchNorm1d(16), nn.Linear(16, 4), tq.DeQuantStub())
mlp.eval()
f = tq.fuse_modules(mlp, [['1', '2'], ['3', '4']])
print(f)
x = torch.randn(5, 8)
print(torch.allclose(f(x), mlp(x), atol=1e-6))
mlp.train()
f = tq.fuse_modules_qat(mlp, [['1', '2']])
print(f, type(f[1]).__name__, isinstance(f[1], nni._FusedModule))
f.qconfig = tq.get_default_qat_qconfig('qnnpack')
q = tq.prepare_qat(f)
print(q)
print(q[1].qconfig is f.qconfig, hasattr(q[2], 'activation_post_process'), hasattr(q[6], 'activation_post_process'))
print(len(q[1]._forward_hooks), len(q[0]._forward_hooks), len(q[6]._forward_hooks))
opt = torch.optim.SGD(q.parameters(), lr=0.1, momentum=0.9)
for i in range(4):
    y = q(x)
    loss = y.square().mean()
    opt.zero_grad(); loss.backward(); opt.step()
    print(round(loss.item(), 5))
print(q[1].weight_fake_quant.scale, q[1].weight_fake_quant.zero_point)
print(q[0].activation_post_process.calculate_qparams())
q.apply(tq.disable_observer)
print(q[1].weight_fake_quant.observer_enabled)
sd = q.state_dict()
q2 = tq.prepare_qat(f)
print(q2.load_state_dict(sd))
print(torch.equal(q2(x), q(x)))
""")


def test_prepare_qconfig_propagation_and_post_training_observers():
    same_printed(_HEAD + """# only one submodule gets a qconfig
m = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Linear(4, 2), nn.ReLU()))
m[1].qconfig = tq.default_qat_qconfig
p = tq.prepare_qat(m)
print(p)
print(p[0].qconfig, p[1].qconfig is tq.default_qat_qconfig)
# post-training prepare
m = nn.Sequential(tq.QuantStub(), nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Dropout(), nn.LayerNorm(3), nn.Sigmoid(), tq.DeQuantStub())
m.qconfig = tq.default_qconfig
m.eval()
p = tq.prepare(m)
print(p)
p2 = tq.prepare(nn.Sequential(nn.Linear(2, 2)))
print(p2)
w = tq.QuantWrapper(nn.Linear(3, 3))
w.qconfig = tq.default_qat_qconfig
print(tq.prepare_qat(w))
try:
    tq.prepare_qat(w.eval())
except Exception as e:
    print(type(e).__name__, e)
""")


def test_errors_and_qat_modules():
    same_printed(_HEAD + """for bad in [lambda: tq.fuse_modules(nn.Sequential(nn.ReLU(), nn.Linear(2, 2)), ['0', '1']),
            lambda: tq.fuse_modules(nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2)), ['0', '1']),
            lambda: tq.fuse_modules_qat(nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(3)), ['0', '1']),
            lambda: tq.fuse_modules_qat(nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2, affine=False)), ['0', '1']),
            lambda: nni.ConvReLU2d(nn.Conv1d(1, 1, 1), nn.ReLU()),
            lambda: nni.ConvBnReLU2d(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1), nn.Tanh()),
            lambda: nnqat.Linear(2, 3),
            lambda: nnqat.Linear.from_float(nn.Conv2d(1, 1, 1)),
            lambda: nnqat.Linear.from_float(nn.Linear(1, 1)),
            lambda: nniqat.ConvBn2d.from_float(nn.Conv2d(1, 1, 1)),
            ]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
l = nnqat.Linear(3, 2, qconfig=tq.default_qat_qconfig)
print(l, l(torch.randn(2, 3)).shape)
c = nniqat.ConvBnReLU2d(2, 3, 3, padding=1, bias=True, qconfig=tq.default_qat_qconfig)
print(c, [k for k in c.state_dict()], c.freeze_bn, c.bn.training)
c.apply(nniqat.freeze_bn_stats); print(c.freeze_bn, c.bn.training)
c.train(); print(c.bn.training)
c.apply(nniqat.update_bn_stats); print(c.freeze_bn, c.bn.training)
print(torch.randn(2))
""")


@pytest.mark.parametrize("qconfig", ["'x86', version=0", "'x86'", "'qnnpack'"])
def test_qat_cnn_conv_bn_relu_training(qconfig):
    same_printed("""import torch, warnings
warnings.simplefilter("ignore")
import torch.nn as nn
import torch.nn.functional as F
import torch.ao.quantization as tq
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.c1 = nn.Conv2d(1, 4, 3, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(4)
        self.c2 = nn.Conv2d(4, 4, 3, stride=2)
        self.b2 = nn.BatchNorm2d(4)
        self.r2 = nn.ReLU()
        self.c3 = nn.Conv1d(4, 2, 1)
        self.b3 = nn.BatchNorm1d(2)
        self.fc = nn.Linear(18, 3)
        self.dequant = tq.DeQuantStub()
    def forward(self, x):
        x = self.quant(x)
        x = self.b1(self.c1(x))
        x = self.r2(self.b2(self.c2(x)))
        x = self.b3(self.c3(x.flatten(2)))
        return self.dequant(self.fc(x.flatten(1)))
net = Net()
x = torch.randn(4, 1, 8, 8)
tgt = torch.randint(0, 3, (4,))
net.eval()
e = tq.fuse_modules(net, [['c1', 'b1'], ['c2', 'b2', 'r2'], ['c3', 'b3']])
print(e)
print((e(x) - net(x)).abs().max() < 1e-5)
net.train()
f = tq.fuse_modules_qat(net, [['c1', 'b1'], ['c2', 'b2', 'r2'], ['c3', 'b3']])
f.qconfig = tq.get_default_qat_qconfig(QCONFIG)
q = tq.prepare_qat(f)
print(q)
opt = torch.optim.SGD(q.parameters(), lr=0.05)
for step in range(5):
    if step == 3:
        q.apply(torch.ao.nn.intrinsic.qat.freeze_bn_stats)
        q.apply(tq.disable_observer)
    out = q(x)
    loss = F.cross_entropy(out, tgt)
    opt.zero_grad(); loss.backward(); opt.step()
    print(step, round(loss.item(), 4), q.c2.bn.num_batches_tracked.item(), q.c1.bn.training)
print([round(v, 4) for v in q.c1.weight_fake_quant.scale.tolist()])
print(round(q.c2.activation_post_process.scale.item(), 4), q.c2.activation_post_process.zero_point.item())
print(list(q.state_dict().keys())[:12])
q.eval()
print(q(x).argmax(1))
""".replace("QCONFIG", qconfig))


def test_convert_needs_quantized_tensors():
    """PyTorch's ``convert`` builds quantized modules; Ember says why it cannot. With an
    explicit mapping (the QAT one), ``convert`` swaps modules as PyTorch's does."""
    from ember.ao import quantization as eq

    m = ember.nn.Sequential(ember.nn.Linear(2, 2))
    m.qconfig = eq.default_qat_qconfig
    q = eq.prepare_qat(m)
    with pytest.raises(NotImplementedError, match="quantized tensors"):
        eq.convert(q.eval())
    same_printed("""
import torch, warnings
warnings.simplefilter("ignore")
import torch.nn as nn
import torch.ao.quantization as tq
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Conv2d(1, 1, 1))
m.qconfig = tq.default_qat_qconfig
c = tq.convert(m, mapping=tq.get_default_qat_module_mappings())
print(c, hasattr(c[0], 'qconfig'), c[0].weight is m[0].weight)
c = tq.convert(m, mapping=tq.get_default_qat_module_mappings(), remove_qconfig=False)
print(c)
print(c.qconfig is m.qconfig)
tq.propagate_qconfig_(m)
c = tq.convert(m, mapping=tq.get_default_qat_module_mappings())
print(c[0].weight is m[0].weight, type(c[0]).__name__, hasattr(c[0], 'qconfig'))
try:  # removing the qconfig removed the fake-quantize modules' observers too
    print(c)
except AttributeError as e:
    print(e)
""")


def test_deprecation_and_observer_warnings():
    """The deprecation warnings of ``prepare_qat`` (and the ``prepare``/``convert`` it calls)
    and the observer warnings of each constructor PyTorch builds, in order."""
    same_printed("""
import torch, warnings
import torch.nn as nn
import torch.ao.quantization as tq
m = nn.Sequential(nn.Linear(2, 2)); m.qconfig = tq.default_qat_qconfig
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    q = tq.prepare_qat(m)
    tq.prepare(m)
print([(x.category.__name__, x.filename.split('/')[-1], str(x.message).splitlines()[0]) for x in w])
print(tq.prepare_qat.__name__, tq.convert.__name__)
""")


def test_histogram_observer():
    same_printed("""import torch, warnings
warnings.simplefilter("ignore")
from torch.ao.quantization import HistogramObserver
torch.manual_seed(0)
for kw in [{}, dict(bins=256), dict(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric), dict(reduce_range=True, bins=512)]:
    obs = HistogramObserver(**kw)
    print(obs)
    for i in range(3):
        obs(torch.randn(64, 32) * (i + 1) + 0.2 * i)
    s, z = obs.calculate_qparams()
    print(s.tolist(), z.tolist(), s.dtype, z.dtype)
    print(obs, obs.histogram.sum().item(), obs.histogram[:5].tolist(), list(obs.state_dict()))
o = HistogramObserver(bins=64)
o(torch.full((4,), 2.0)); o(torch.tensor([1.0, 3.0, 5.0]))
print(o.calculate_qparams(), o.histogram.tolist())
print(HistogramObserver().calculate_qparams())
""")


def test_get_default_qconfig_calibration():
    same_printed("""import torch, warnings
warnings.simplefilter("ignore")
import torch.nn as nn
import torch.ao.quantization as tq
torch.manual_seed(0)
m = nn.Sequential(tq.QuantStub(), nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 5), tq.DeQuantStub())
m.eval()
f = tq.fuse_modules(m, [['1', '2', '3']])
for backend in ['x86', 'qnnpack']:
    f.qconfig = tq.get_default_qconfig(backend)
    p = tq.prepare(f)
    print(p)
    for _ in range(3):
        p(torch.randn(8, 3, 6, 6))
    print(p[0])
    for name, mod in p.named_modules():
        if name.endswith('activation_post_process'):
            s, z = mod.calculate_qparams()
            print(name, [round(v, 5) for v in s.tolist()], z.tolist())
for bad in [lambda: tq.get_default_qconfig('foo'), lambda: tq.get_default_qconfig('x86', 1), lambda: tq.HistogramObserver(qscheme=torch.per_channel_affine)]:
    try: bad()
    except Exception as e: print(type(e).__name__, e)
""")


def test_fixed_qparams_fake_quant_of_bounded_activations():
    same_printed("""import torch, warnings
warnings.simplefilter("ignore")
import torch.nn as nn
import torch.ao.quantization as tq
torch.manual_seed(0)
m = nn.Sequential(nn.Linear(4, 4), nn.Sigmoid(), nn.Linear(4, 4), nn.Tanh(), nn.Softmax(dim=1), nn.Hardsigmoid())
m.qconfig = tq.get_default_qat_qconfig()
q = tq.prepare_qat(m)
print(q)
x = torch.randn(3, 4)
print(q(x))
print(list(q.state_dict()))
m.eval(); m.qconfig = tq.default_qconfig
print(tq.prepare(m))
opt = torch.optim.SGD(q.parameters(), lr=0.1)
for i in range(3):
    loss = q(x).sum(); opt.zero_grad(); loss.backward(); opt.step(); print(loss.item())
print(q[1].activation_post_process.calculate_qparams(), q[3].activation_post_process.scale is q[3].activation_post_process.activation_post_process.scale)
print(list(q[3].state_dict().items()))
""")


def test_fuse_moves_hooks_and_inplace():
    same_printed("""import torch, warnings
warnings.simplefilter("ignore")
import torch.nn as nn
import torch.ao.quantization as tq
torch.manual_seed(0)
m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU()).eval()
m[0].register_forward_pre_hook(lambda mod, inp: print("pre", type(mod).__name__))
m[2].register_forward_hook(lambda mod, inp, out: print("post", type(mod).__name__, out.shape))
m[1].register_forward_hook(lambda mod, inp, out: print("bn hook"))
f = tq.fuse_modules(m, ['0', '1', '2'])
print(len(f[0]._forward_pre_hooks), len(f[0]._forward_hooks), len(f[1]._forward_hooks), len(m[0]._forward_pre_hooks), len(m[2]._forward_hooks))
f(torch.randn(1, 1, 5, 5))
print(f[1].training, f[2].training, f.training)
g = tq.fuse_modules(m, ['0', '1', '2'], inplace=True)
print(g is m, m)
""")
