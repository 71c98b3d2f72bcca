"""Session 29, ``ember.ao.quantization`` (and its ``ember.quantization`` alias), run side by side
with PyTorch: calibration programs feeding the observers (``MinMaxObserver``,
``MovingAverageMinMaxObserver``, ``PerChannelMinMaxObserver``,
``MovingAveragePerChannelMinMaxObserver`` over dtypes, qschemes, ``reduce_range``, custom
ranges) and printing ``calculate_qparams()`` values and dtypes, reprs and state dicts;
``FakeQuantize`` (``with_args``, ``observer=``, enable/disable switches, buffers, state-dict
round trip), the fused QAT modules of ``get_default_qat_qconfig``, ``QConfig``,
``QuantStub``/``DeQuantStub``/``QuantWrapper``; the
constructor errors and warnings in PyTorch's words; QAT training loops (an MLP and a CNN whose
weights and activations pass through fake-quantize modules) printing losses, gradients,
scales and zero points."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from _programs import namespace, plain, same, same_printed

import ember
import ember.nn  # noqa: F401

torch = pytest.importorskip("torch")
pytest.importorskip("ember.optim")
import ember.optim  # noqa: E402, F401

# the observers' reduce_range deprecation warning (compared in test_warnings) is noise elsewhere
pytestmark = pytest.mark.filterwarnings("ignore:Please use quant_min:UserWarning")

_HEAD = """
import torch, warnings
warnings.simplefilter("ignore")
from torch.ao.quantization import (MinMaxObserver, MovingAverageMinMaxObserver,
    PerChannelMinMaxObserver, MovingAveragePerChannelMinMaxObserver, FakeQuantize, QConfig,
    default_fake_quant, default_per_channel_weight_fake_quant, default_weight_fake_quant,
    get_default_qat_qconfig, default_observer)
torch.manual_seed(0)
"""


def test_calibration_observers():
    same_printed(_HEAD + """
xs = [torch.randn(4, 8, 3) * (i + 1) + 0.3 * i for i in range(3)]
for cls, kw in [(MinMaxObserver, {}),
                (MinMaxObserver, dict(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)),
                (MinMaxObserver, dict(reduce_range=True)),
                (MinMaxObserver, dict(quant_min=0, quant_max=15)),
                (MinMaxObserver, dict(dtype=torch.qint8, quant_min=-8, quant_max=7, reduce_range=True)),
                (MinMaxObserver, dict(eps=0.5)),
                (MovingAverageMinMaxObserver, {}),
                (MovingAverageMinMaxObserver, dict(averaging_constant=0.5, dtype=torch.qint8)),
                (MovingAverageMinMaxObserver, dict(qscheme=torch.per_tensor_symmetric)),
                (MovingAverageMinMaxObserver, dict(qscheme=torch.per_tensor_symmetric, quant_min=0, quant_max=100)),
                (PerChannelMinMaxObserver, {}),
                (PerChannelMinMaxObserver, dict(ch_axis=1, dtype=torch.qint8, qscheme=torch.per_channel_symmetric)),
                (PerChannelMinMaxObserver, dict(ch_axis=2, qscheme=torch.per_channel_affine_float_qparams)),
                (MovingAveragePerChannelMinMaxObserver, {}),
                (MovingAveragePerChannelMinMaxObserver, dict(averaging_constant=0.3, ch_axis=1))]:
    obs = cls(**kw)
    print(obs, obs.quant_min, obs.quant_max, obs.dtype, obs.qscheme, obs.reduce_range)
    for x in xs:
        print(obs(x) is x)
    s, z = obs.calculate_qparams()
    print(obs)
    print(s.tolist(), z.tolist(), s.dtype, z.dtype, s.shape)
    print([(k, v.tolist()) for k, v in obs.state_dict().items()])
    fresh = cls(**kw)
    fresh.load_state_dict(obs.state_dict())
    print(fresh.calculate_qparams()[0].tolist())
for x in [torch.zeros(3, 4), torch.rand(3, 4) + 1, -torch.rand(3, 4) - 2, torch.full((2, 2), 5.0)]:
    for obs in [MinMaxObserver(), MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric),
                PerChannelMinMaxObserver(), PerChannelMinMaxObserver(qscheme=torch.per_channel_affine_float_qparams)]:
        obs(x)
        print([t.tolist() for t in obs.calculate_qparams()])
print(MinMaxObserver().calculate_qparams(), PerChannelMinMaxObserver().calculate_qparams())
o = MinMaxObserver(); o(torch.tensor([1., 2.], dtype=torch.float64)); print(o.min_val.dtype, o.calculate_qparams())
o.reset_min_max_vals(); print(o)
o = PerChannelMinMaxObserver(); o(torch.randn(3, 2)); o.reset_min_max_vals(); print(o)
print(o(torch.tensor([])).shape, o)
""")


def test_fake_quantize_modules():
    same_printed(_HEAD + """
for make in (default_fake_quant, default_weight_fake_quant, default_per_channel_weight_fake_quant,
             FakeQuantize, FakeQuantize.with_args(observer=MinMaxObserver, quant_min=0, quant_max=15),
             FakeQuantize.with_args(observer=MovingAveragePerChannelMinMaxObserver, ch_axis=1,
                                    qscheme=torch.per_channel_affine_float_qparams)):
    fq = make()
    print(fq)
    print(list(fq.state_dict().keys()), fq.dtype, fq.qscheme, fq.ch_axis, fq.is_per_channel, fq.quant_min)
    for i in range(3):
        x = (torch.randn(4, 5) * (i + 1)).requires_grad_(True)
        if i == 1:
            fq.disable_observer()
        if i == 2:
            fq.enable_observer(); fq.disable_fake_quant()
        y = fq(x)
        y.backward(torch.ones_like(y))
        print(y is x, y.tolist(), x.grad.tolist(), fq.scale.tolist(), fq.zero_point.tolist())
        print([t.tolist() for t in fq.calculate_qparams()])
    print(fq.fake_quant_enabled, fq.observer_enabled)
    again = make()
    again.load_state_dict(fq.state_dict())
    print(again.scale.tolist(), again.zero_point.tolist(), again)
m = torch.nn.Sequential(default_fake_quant(), torch.nn.Linear(3, 2), default_fake_quant())
m.apply(torch.ao.quantization.disable_observer)
m.apply(torch.ao.quantization.disable_fake_quant)
print([(k, v.tolist()) for k, v in m.state_dict().items() if 'enabled' in k])
m.apply(torch.ao.quantization.enable_fake_quant); m.apply(torch.ao.quantization.enable_observer)
print([(k, v.tolist()) for k, v in m.state_dict().items() if 'enabled' in k])
""")


def test_qconfigs_and_fused_fake_quantize():
    same_printed(_HEAD + """
print(MinMaxObserver.with_args(dtype=torch.qint8), default_observer)
print(default_fake_quant)
print(QConfig(activation=default_fake_quant, weight=default_per_channel_weight_fake_quant))
print(torch.ao.quantization.default_qat_qconfig)
print(MinMaxObserver.with_callable_args(eps=lambda: 0.5)().eps)
cases = [torch.zeros(3, 4), torch.rand(3, 4) + 1, -torch.rand(3, 4) - 2, torch.rand(3, 4) * 1e-4,
         torch.randn(3, 4) * 100, torch.full((2, 2), 5.0), torch.randn(2, 3, 4, 4)]
for backend in ["x86", "fbgemm", "qnnpack", "onednn"]:
    for version in (0, 1):
        qc = get_default_qat_qconfig(backend, version)
        print(qc)
        for x in cases:
            for make in (qc.activation, qc.weight):
                m = make()
                y = m(x)
                y2 = m(x * 0.5 + 0.1)
                print(y2.tolist(), m.scale.tolist(), m.zero_point.tolist())
a = get_default_qat_qconfig().activation()
x = torch.randn(3, 3, requires_grad=True)
a.disable_fake_quant()
y = a(x); print(y is x, y.grad_fn.name(), a.scale, a.activation_post_process.min_val)
a.enable_fake_quant(); a.disable_observer(); y = a(x); print(y.tolist(), y.grad_fn.name(), a.scale, a.zero_point)
w = get_default_qat_qconfig().weight(); w(torch.randn(4, 2, 3, 3)); print(w)
print([(k, v.tolist()) for k, v in w.state_dict().items()])
w2 = get_default_qat_qconfig().weight(); w2.load_state_dict(w.state_dict()); print(w2)
""")


def test_errors_and_module_paths():
    same_printed("""
import torch
from torch.ao.quantization import (MinMaxObserver, MovingAverageMinMaxObserver, PerChannelMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver, FakeQuantize, QConfig, get_default_qat_qconfig, default_observer)
def t(f):
    try: print(repr(f()))
    except Exception as e:  # PyTorch's literal "torch." wording is kept (project policy)
        print(type(e).__name__, repr(str(e).replace("tor" + "ch.", "X.").replace("emb" + "er.", "X.")))
t(lambda: MinMaxObserver(qscheme=torch.per_channel_affine))
t(lambda: MovingAverageMinMaxObserver(qscheme=torch.per_channel_affine))
t(lambda: MovingAverageMinMaxObserver(is_dynamic=True))
t(lambda: PerChannelMinMaxObserver(qscheme=torch.per_tensor_affine))
t(lambda: PerChannelMinMaxObserver(is_dynamic=True))
t(lambda: MovingAveragePerChannelMinMaxObserver(qscheme=torch.per_tensor_affine))
t(lambda: MovingAveragePerChannelMinMaxObserver(is_dynamic=True))
t(lambda: MinMaxObserver(qscheme=torch.per_tensor_symmetric, reduce_range=True))
t(lambda: PerChannelMinMaxObserver(qscheme=torch.per_channel_symmetric, reduce_range=True))
t(lambda: MinMaxObserver(dtype=torch.float32))
t(lambda: MinMaxObserver(quant_min=1, quant_max=4))
t(lambda: MinMaxObserver(quant_min=0, quant_max=0))
t(lambda: MinMaxObserver(dtype=torch.qint8, quant_min=-200, quant_max=200))
t(lambda: MinMaxObserver(dtype=torch.qint32, quant_min=-2**32, quant_max=2**32))
t(lambda: (MinMaxObserver(dtype=torch.qint32).quant_min, MinMaxObserver(dtype=torch.int16).quant_max,
           MinMaxObserver(dtype=torch.uint16).quant_max, MinMaxObserver(dtype=torch.quint4x2).quant_max))
t(lambda: FakeQuantize(quant_min=5, quant_max=4))
t(lambda: FakeQuantize(quant_min=-1, quant_max=4))
t(lambda: FakeQuantize(quant_min=0, quant_max=256))
t(lambda: FakeQuantize(observer=MinMaxObserver.with_args(dtype=torch.qint8), quant_min=-129, quant_max=4))
t(lambda: FakeQuantize(observer=MinMaxObserver.with_args(dtype=torch.qint8), quant_min=-12, quant_max=4).quant_min)
t(lambda: QConfig(activation=MinMaxObserver(), weight=default_observer))
t(lambda: get_default_qat_qconfig('arm'))
t(lambda: get_default_qat_qconfig('x86', 3))
o = MinMaxObserver(); o(torch.tensor([1., 2.])); o.min_val.fill_(5.0)
t(lambda: o.calculate_qparams())
import torch.ao.quantization.observer as ob, torch.ao.quantization.fake_quantize as fqm
import torch.ao.quantization.qconfig as qcm, torch.quantization as tq
print(ob.MinMaxObserver is MinMaxObserver, tq.FakeQuantize is FakeQuantize, qcm.QConfig, fqm.FakeQuantize,
      torch.quantization.default_fake_quant is torch.ao.quantization.default_fake_quant)
""")


def test_warnings():
    out = {}
    for lib in (torch, ember):
        q = lib.ao.quantization
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            q.MinMaxObserver(reduce_range=True)
            q.MinMaxObserver().calculate_qparams()
            q.PerChannelMinMaxObserver().calculate_qparams()
        out[lib] = [(x.category, str(x.message)) for x in w]
    assert out[ember] == out[torch]


def _qat_program(L: Any, conv: bool, qconfig: bool) -> list:
    torch, nn, F = L.torch, L.nn, L.F
    q = torch.ao.quantization
    torch.manual_seed(0)

    def act():
        return q.get_default_qat_qconfig("x86").activation() if qconfig else q.default_fake_quant()

    def weight(per_channel: bool):
        if qconfig:
            return q.get_default_qat_qconfig("x86" if per_channel else "qnnpack").weight()
        return (q.default_per_channel_weight_fake_quant() if per_channel
                else q.default_weight_fake_quant())

    class QLinear(nn.Module):
        def __init__(self, i: int, o: int, per_channel: bool):
            super().__init__()
            self.lin = nn.Linear(i, o)
            self.wfq = weight(per_channel)
            self.afq = act()

        def forward(self, x):
            return self.afq(F.linear(x, self.wfq(self.lin.weight), self.lin.bias))

    class QConv(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.wfq = weight(True)
            self.inq, self.afq = act(), act()
            self.fc = QLinear(4 * 6 * 6, 3, False)

        def forward(self, x):
            x = F.conv2d(self.inq(x), self.wfq(self.conv.weight), self.conv.bias)
            return self.fc(self.afq(F.relu(x)).flatten(1))

    model = QConv() if conv else nn.Sequential(QLinear(6, 16, True), nn.ReLU(),
                                               QLinear(16, 3, False))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    X = torch.randn(32, 1, 8, 8) if conv else torch.randn(32, 6)
    Y = torch.randint(0, 3, (32,))
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for step in range(7):
            if step == 4:
                model.apply(q.disable_observer)
            if step == 5:
                model.apply(q.disable_fake_quant)
            if step == 6:
                model.apply(q.enable_fake_quant)
            opt.zero_grad()
            loss = F.cross_entropy(model(X), Y)
            loss.backward()
            opt.step()
            out.append(loss.item())
    out.append({k: v for k, v in model.state_dict().items()})
    out.append([p.grad for p in model.parameters()])
    return out


@pytest.mark.parametrize("conv", [False, True])
@pytest.mark.parametrize("qconfig", [False, True])
def test_qat_training_loop(conv, qconfig):
    expected = plain(_qat_program(namespace(torch), conv, qconfig))
    got = plain(_qat_program(namespace(ember), conv, qconfig))
    same(got, expected, rtol=1e-6, atol=1e-7)


def test_quant_stubs_and_wrapper():
    same_printed("""
import torch
import torch.nn as nn
from torch.ao.quantization import QuantStub, DeQuantStub, QuantWrapper, default_qat_qconfig
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = QuantStub()
        self.fc = nn.Linear(3, 2)
        self.dequant = DeQuantStub(default_qat_qconfig)
    def forward(self, x):
        return self.dequant(self.fc(self.quant(x)))
torch.manual_seed(0)
m = M()
print(m, m(torch.ones(1, 3)).shape, hasattr(m.quant, 'qconfig'), m.dequant.qconfig is default_qat_qconfig)
lin = nn.Linear(2, 2); lin.qconfig = default_qat_qconfig; lin.eval()
w = QuantWrapper(lin)
print(w, w.training, w.quant.qconfig is default_qat_qconfig, list(w.state_dict()))
print(type(m.dequant).__mro__[1], type(w.quant).__module__)
""")


def test_copy_save_load_and_dtype_moves():
    same_printed("""
import torch, copy, io, pickle, warnings
warnings.simplefilter("ignore")
from torch.ao.quantization import default_fake_quant, get_default_qat_qconfig, PerChannelMinMaxObserver
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(4, 3), default_fake_quant())
w = get_default_qat_qconfig().weight()
m(torch.randn(5, 4)); w(torch.randn(3, 4))
m2 = copy.deepcopy(m); print(m2, m2[1].scale is m[1].scale)
buf = io.BytesIO(); torch.save(m.state_dict(), buf); buf.seek(0); sd = torch.load(buf)
m3 = torch.nn.Sequential(torch.nn.Linear(4, 3), default_fake_quant())
print(m3.load_state_dict(sd), m3[1].scale.tolist(), m3[1].zero_point.tolist())
w2 = pickle.loads(pickle.dumps(w)); print(w2.scale.tolist(), w2.zero_point.tolist())
o = PerChannelMinMaxObserver(); o(torch.randn(3, 5)); o2 = PerChannelMinMaxObserver()
print(o2.load_state_dict(o.state_dict()), o2)
print(PerChannelMinMaxObserver().load_state_dict({'eps': torch.tensor([1e-3])}, strict=False))
m.eval(); print(m[1].training)
m.to(torch.float64); print(m[1].scale.dtype, m[1].zero_point.dtype, m[1].activation_post_process.min_val.dtype)
print(m(torch.ones(2, 4, dtype=torch.float64)).dtype)
""")
