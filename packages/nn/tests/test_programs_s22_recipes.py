"""Session 22: the official "PyTorch Recipes" as whole programs on small synthetic data (defining
a network, what a state_dict is, saving/loading for inference and general checkpoints, multiple
models in one file, loading across devices, zeroing gradients, module hooks with kwargs and
always_call, the CPU tuning-guide items, shapes on the meta device, benchmark.Timer, profiler,
buffers, containers' printing), run under PyTorch and under Ember, comparing what each printed."""

from __future__ import annotations

import collections
import copy
import importlib
import io
import os
import pickle
import tempfile
import warnings
from collections import OrderedDict
from types import SimpleNamespace

import numpy as np
import pytest
from _programs import run

import ember  # noqa: F401
import ember.nn  # noqa: F401
import ember.nn.functional  # noqa: F401

torch = pytest.importorskip("torch")
pytest.importorskip("ember.optim")
pytest.importorskip("torch.utils.benchmark")

import ember.optim  # noqa: E402, F401
import ember.utils.data  # noqa: E402, F401


def _run(program: object) -> None:
    """Runs ``program(L)`` with both libraries and compares what it printed."""
    run(program, torch)


def define(L: SimpleNamespace) -> list:
    T, nn, F = L.torch, L.nn, L.F
    T.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()  # noqa: UP008 (as the recipe writes it)
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout2d(0.25)
            self.dropout2 = nn.Dropout2d(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = T.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            return F.log_softmax(x, dim=1)

    m = Net()
    out = [str(m), repr(m)]
    random_data = T.rand((1, 1, 28, 28))
    r = m(random_data)
    out += [r, str(r.grad_fn.name()), type(r.grad_fn).__name__]
    out.append([str(c) for c in m.children()])
    out.append([n for n, _ in m.named_children()])
    out.append([(n, type(x).__name__) for n, x in m.named_modules()])
    out.append([(n, list(p.shape), str(p.dtype)) for n, p in m.named_parameters()])
    m.eval()
    out.append(m(random_data))
    out.append(str(m.dropout1))
    out.append(m.training)
    out.append(m.dropout1.training)
    return out


def state_dict(L: SimpleNamespace) -> list:
    T, nn, F, optim = L.torch, L.nn, L.F, L.optim
    T.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(-1, 16 * 5 * 5)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    net = Net()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    out = []
    for k in net.state_dict():
        out.append(f"{k}\t{net.state_dict()[k].size()}")
    out.append(str(optimizer.state_dict()))
    x = T.randn(2, 3, 32, 32)
    loss = net(x).pow(2).mean()
    loss.backward()
    optimizer.step()
    sd = optimizer.state_dict()
    out.append(list(sd.keys()))
    out.append(sd["param_groups"])
    out.append([list(v.keys()) for v in sd["state"].values()])
    out.append([v["momentum_buffer"] for v in sd["state"].values()][:2])
    out.append(str(optimizer))
    out.append(repr(optimizer))
    a = optim.Adam(net.parameters(), lr=1e-3)
    net(x).sum().backward()
    a.step()
    s = a.state_dict()
    out.append(s["param_groups"])
    st = s["state"][0]
    out.append([(k, str(v.dtype), list(v.shape)) for k, v in st.items()])
    out.append(st["step"])
    out.append(str(a))
    out.append(str(type(net.state_dict())))
    out.append(str(net.state_dict()["fc3.bias"]))
    out.append(str(net.state_dict(keep_vars=True)["fc3.bias"]))
    out.append(repr(optim.AdamW(net.parameters())))
    out.append(str(optim.RMSprop(net.parameters())))
    return out


def save_inference(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    T.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))
    buf = io.BytesIO()
    T.save(net.state_dict(), buf)
    buf.seek(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))
    r = model.load_state_dict(T.load(buf, weights_only=True))
    out = [str(r), repr(r), r.missing_keys, bool(r) if hasattr(r, "__bool__") else None]
    model.eval()
    x = T.randn(3, 4)
    out.append(model(x))
    out.append(net.eval()(x))
    b2 = io.BytesIO()
    T.save(net, b2)
    b2.seek(0)
    m2 = T.load(b2, weights_only=False)
    m2.eval()
    out.append(str(m2))
    out.append(m2(x))
    out.append(m2.training)
    # load with map_location
    b3 = io.BytesIO()
    T.save(net.state_dict(), b3)
    b3.seek(0)
    sd = T.load(b3, map_location=T.device("cpu"))
    out.append([str(v.device) for v in sd.values()])
    b3.seek(0)
    sd = T.load(b3, map_location="cpu", weights_only=True)
    out.append(list(sd))
    b3.seek(0)
    sd = T.load(b3, map_location=lambda storage, loc: storage)
    out.append([v for v in sd.values()][:1])
    b3.seek(0)
    sd = T.load(b3, map_location={"cpu": "cpu"})
    out.append(len(sd))
    model.to(T.device("cpu"))
    out.append(str(next(model.parameters()).device))
    return out


def general_ckpt(L: SimpleNamespace) -> list:
    T, nn, optim = L.torch, L.nn, L.optim
    T.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    x, y = T.randn(16, 4), T.randint(0, 2, (16,))
    crit = nn.CrossEntropyLoss()
    for _epoch in range(3):
        optimizer.zero_grad()
        loss = crit(net(x), y)
        loss.backward()
        optimizer.step()
    EPOCH = 5
    LOSS = 0.4
    buf = io.BytesIO()
    T.save(
        {
            "epoch": EPOCH,
            "model_state_dict": net.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "loss": LOSS,
        },
        buf,
    )
    buf.seek(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt2 = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    checkpoint = T.load(buf, weights_only=True)
    model.load_state_dict(checkpoint["model_state_dict"])
    opt2.load_state_dict(checkpoint["optimizer_state_dict"])
    out = [
        checkpoint["epoch"],
        checkpoint["loss"],
        opt2.param_groups[0]["lr"],
        opt2.param_groups[0]["momentum"],
        str(opt2),
    ]
    out.append([opt2.state[p]["momentum_buffer"] for p in model.parameters()])
    model.train()
    for _ in range(2):
        opt2.zero_grad()
        lv = crit(model(x), y)
        lv.backward()
        opt2.step()
        out.append(lv.item())
    for _ in range(2):
        optimizer.zero_grad()
        lv = crit(net(x), y)
        lv.backward()
        optimizer.step()
        out.append(lv.item())
    # multiple models
    netA = nn.Linear(3, 2)
    netB = nn.Linear(2, 1)
    oA = optim.SGD(netA.parameters(), lr=0.01)
    oB = optim.Adam(netB.parameters())
    b = io.BytesIO()
    T.save(
        {
            "modelA_state_dict": netA.state_dict(),
            "modelB_state_dict": netB.state_dict(),
            "optimizerA_state_dict": oA.state_dict(),
            "optimizerB_state_dict": oB.state_dict(),
        },
        b,
    )
    b.seek(0)
    ck = T.load(b)
    out.append(list(ck))
    out.append(ck["optimizerB_state_dict"])
    nA = nn.Linear(3, 2)
    nA.load_state_dict(ck["modelA_state_dict"])
    out.append(nA.weight)
    return out


def hooks(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    T.manual_seed(0)
    out = []

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2)

        def forward(self, x, scale=1.0):
            return self.lin(x) * scale

    m = M()

    def pre(mod, args, kwargs):
        out.append(("pre", type(mod).__name__, len(args), sorted(kwargs)))
        return args, {**kwargs, "scale": 2.0}

    def fwd(mod, args, kwargs, output):
        out.append(("fwd", sorted(kwargs), output.shape))
        return output + 1

    h1 = m.register_forward_pre_hook(pre, with_kwargs=True)
    h2 = m.register_forward_hook(fwd, with_kwargs=True)
    x = T.randn(4, 3, requires_grad=True)
    y = m(x, scale=3.0)
    out.append(y)
    h1.remove()
    h2.remove()
    out.append(m(x, scale=3.0))
    # plain pre hook modifying input
    h = m.register_forward_pre_hook(lambda mod, inp: (inp[0] * 0,))
    out.append(m(x))
    h.remove()
    h = m.register_forward_pre_hook(lambda mod, inp: inp[0] * 2)
    out.append(m(x))
    h.remove()

    # backward hooks
    def bh(mod, gin, gout):
        out.append(
            (
                "bh",
                type(mod).__name__,
                [None if g is None else list(g.shape) for g in gin],
                [list(g.shape) for g in gout],
            )
        )
        out.append(gout[0])

    def bpre(mod, gout):
        out.append(("bpre", [list(g.shape) for g in gout]))
        return (gout[0] * 2,)

    hb = m.lin.register_full_backward_hook(bh)
    hp = m.lin.register_full_backward_pre_hook(bpre)
    m(x).sum().backward()
    out.append(x.grad)
    out.append(m.lin.weight.grad)
    hb.remove()
    hp.remove()

    # always_call
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    b = Boom()
    b.register_forward_hook(lambda mod, a, o: out.append(("always", o is None)), always_call=True)
    b.register_forward_hook(lambda mod, a, o: out.append(("never",)))
    try:
        b(T.ones(1))
    except ValueError as e:
        out.append(str(e))
    # prepend
    seq = nn.Linear(2, 2)
    seq.register_forward_hook(lambda *a: out.append("first"))
    seq.register_forward_hook(lambda *a: out.append("second"), prepend=True)
    seq.register_forward_pre_hook(lambda *a: out.append("pre1"))
    seq.register_forward_pre_hook(lambda *a: out.append("pre0"), prepend=True)
    seq(T.ones(2))
    out.append(type(h).__name__)
    out.append(str(type(h).__module__).replace("ember", "torch"))
    # hook on Sequential child via named_modules
    feats = {}
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))

    def get_activation(name):
        def hook(model, input, output):
            feats[name] = output.detach()

        return hook

    hs = [mm.register_forward_hook(get_activation(n)) for n, mm in net.named_modules() if n]
    net(T.randn(1, 1, 4, 4))
    out.append(list(feats))
    out.append([v.shape for v in feats.values()])
    for hh in hs:
        hh.remove()
    out.append(len(net[0]._forward_hooks))
    # with context manager
    with net[3].register_forward_hook(lambda *a: out.append("ctx")):
        net(T.randn(1, 1, 4, 4))
    net(T.randn(1, 1, 4, 4))
    # global hooks
    hg = nn.modules.module.register_module_forward_hook(
        lambda m, i, o: out.append(("g", type(m).__name__))
    )
    nn.ReLU()(T.ones(1))
    hg.remove()
    nn.ReLU()(T.ones(1))
    # tensor hook
    z = T.ones(2, requires_grad=True)
    z.register_hook(lambda g: g * 3)
    (z * 2).sum().backward()
    out.append(z.grad)
    # state_dict hooks
    lin = nn.Linear(2, 2)
    lin.register_state_dict_post_hook(
        lambda mod, sd, prefix, local_metadata: sd.__setitem__(prefix + "extra", T.zeros(1))
    )
    out.append(list(lin.state_dict()))
    return out


def meta(L: SimpleNamespace) -> list:
    T, nn, F = L.torch, L.nn, L.F
    out = []
    x = T.empty(1, 3, 224, 224, device="meta")
    out.append(repr(x))
    out.append(str(x.device))
    out.append(x.is_meta)
    conv = nn.Conv2d(3, 64, 7, 2, 3, device="meta")
    y = conv(x)
    out.append(y.shape)
    out.append(repr(y)[:60])
    y = F.max_pool2d(y, 3, 2, 1)
    out.append(y.shape)
    with T.device("meta"):
        model = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(),
            nn.Linear(8, 10),
        )
    out.append(str(next(model.parameters()).device))
    r = model(T.randn(2, 3, 16, 16, device="meta"))
    out.append(r.shape)
    out.append(str(r.dtype))
    out.append(r.grad_fn.name())
    out.append(repr(model[0].weight))
    out.append(repr(model[1].running_mean))
    t = T.ones(2, 3, device="meta")
    out.append(repr(t + 1))
    out.append((t @ T.ones(3, 4, device="meta")).shape)
    out.append(repr(T.zeros(3, dtype=T.int64, device="meta")))
    out.append(repr(T.empty((), device="meta")))
    try:
        t.item()
    except Exception as e:
        out.append(type(e).__name__)
    try:
        t.to("cpu")
    except Exception as e:
        out.append(type(e).__name__)
    m = nn.Linear(5, 3, device="meta")
    out.append(repr(m))
    out.append(repr(m.weight))
    m.to_empty(device="cpu")
    out.append(str(m.weight.device))
    out.append(m.weight.shape)
    m.reset_parameters()
    out.append(m.weight.shape)
    out.append(T.empty_like(t).device.type)
    out.append(str(T.device("meta")))
    out.append(repr(T.device("meta")))
    return out


def timer(L: SimpleNamespace) -> list:
    T = L.torch
    benchmark = importlib.import_module(T.__name__ + ".utils.benchmark")
    x = T.randn(100, 64)
    t0 = benchmark.Timer(
        stmt="batched_dot_mul_sum(x, x)",
        globals={"x": x, "batched_dot_mul_sum": lambda a, b: a.mul(b).sum(-1)},
    )
    m = t0.timeit(5)
    out = [
        type(m).__name__,
        m.number_per_run if hasattr(m, "number_per_run") else None,
        len(m.times) if hasattr(m, "times") else None,
    ]
    out.append(isinstance(m.mean, float))
    out.append(isinstance(m.median, float))
    out.append(m.stmt if hasattr(m, "stmt") else None)
    t1 = benchmark.Timer(
        stmt="x.sum()", globals={"x": x}, label="sum", sub_label="x", description="d", num_threads=1
    )
    m1 = t1.timeit(3)
    out.append([m1.label, m1.sub_label, m1.description, m1.num_threads, m1.task_spec.stmt])
    lines = str(m1).splitlines()
    out.append(lines[1:3])
    out.append(lines[-1])
    out.append(len(lines))
    out.append(
        lines[0].startswith(
            "<" + T.__name__ + ".utils.benchmark.utils.common.Measurement object at"
        )
    )
    return out


def handle(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    hk = importlib.import_module(T.__name__ + ".utils.hooks")
    m = nn.Linear(2, 2)
    hs = [
        m.register_forward_hook(lambda *a: None),
        m.register_forward_pre_hook(lambda *a: None),
        m.register_full_backward_hook(lambda *a: None),
        T.ones(1, requires_grad=True).register_hook(lambda g: g),
        m.register_state_dict_pre_hook(lambda *a: None),
        m.register_load_state_dict_post_hook(lambda *a: None),
    ]
    out = [
        [isinstance(h, hk.RemovableHandle) for h in hs],
        [type(h).__name__ for h in hs],
        [type(h).__module__ for h in hs],
    ]
    out.append(isinstance(hs[0].id, int))
    return out


def tuning(L: SimpleNamespace) -> list:
    T, nn, F, optim = L.torch, L.nn, L.F, L.optim
    T.manual_seed(0)
    out = []
    out.append(T.backends.cudnn.benchmark)
    out.append(T.backends.cudnn.deterministic)
    T.backends.cudnn.benchmark = True
    out.append(T.backends.cudnn.benchmark)
    T.backends.cudnn.benchmark = False
    out.append(T.backends.mkldnn.is_available() in (True, False))
    out.append(T.backends.cuda.matmul.allow_tf32)
    out.append(T.backends.cudnn.allow_tf32)
    out.append(T.get_float32_matmul_precision())
    T.set_float32_matmul_precision("high")
    out.append(T.get_float32_matmul_precision())
    T.set_float32_matmul_precision("highest")
    out.append(T.backends.mps.is_available())
    out.append(T.cuda.is_available())
    out.append(T.are_deterministic_algorithms_enabled())
    T.use_deterministic_algorithms(True)
    out.append(T.are_deterministic_algorithms_enabled())
    T.use_deterministic_algorithms(False)
    out.append(T.get_num_threads() >= 1)
    out.append(
        T.backends.cpu.get_cpu_capability()
        in ("DEFAULT", "AVX2", "AVX512", "NO AVX", "ZVECTOR", "VSX", "SVE256")
    )
    out.append(T.backends.opt_einsum.is_available() in (True, False))
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 4, 3),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 2),
    )
    model = model.to(memory_format=T.channels_last)
    out.append(model[0].weight.is_contiguous(memory_format=T.channels_last))
    out.append(model[0].weight.stride())
    out.append(model[6].weight.stride())
    x = T.randn(2, 3, 8, 8).to(memory_format=T.channels_last)
    out.append(x.stride())
    out.append(x.is_contiguous())
    out.append(x.is_contiguous(memory_format=T.channels_last))
    h = model[:3](x)
    out.append(h.stride())
    out.append(h.is_contiguous(memory_format=T.channels_last))
    y = model(x)
    out.append(y)
    opt = optim.SGD(model.parameters(), lr=0.1)
    y.sum().backward()
    opt.step()
    out.append(model[0].weight.grad.stride())
    out.append(model[0].weight.stride())
    opt.zero_grad(set_to_none=True)
    out.append([p.grad is None for p in model.parameters()])
    model(x).sum().backward()
    opt.zero_grad(set_to_none=False)
    out.append([p.grad.abs().sum().item() for p in model.parameters()])
    out.append(model[0].weight.grad.stride())
    model.zero_grad()
    out.append(model[0].weight.grad is None)
    model.eval()
    with T.no_grad():
        r = model(x)
    out.append([r.requires_grad, r.grad_fn is None])
    with T.inference_mode():
        r2 = model(x)
    out.append([r2.requires_grad, r2.is_inference(), x.is_inference()])
    try:
        r2.requires_grad_()
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    try:
        (r2 * T.ones(2, requires_grad=True)).sum().backward()
        out.append("ok")
    except Exception as e:
        out.append((type(e).__name__, str(e)))

    @T.inference_mode()
    def f(z):
        return z * 2

    out.append(f(x).is_inference())

    @T.no_grad()
    def g(z):
        return model(z)

    out.append(g(x).requires_grad)
    out.append(T.is_inference_mode_enabled())
    out.append(T.is_grad_enabled())
    with T.inference_mode(mode=False):
        out.append(T.is_inference_mode_enabled())
    with T.set_grad_enabled(False):
        out.append(T.is_grad_enabled())
    try:
        r2.add_(1)
        out.append("inplace ok")
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    x2 = T.ones(2, 3, 4, 5)
    out.append(x2.contiguous(memory_format=T.channels_last).stride())
    out.append(T.empty(2, 3, 4, 5, memory_format=T.channels_last).stride())
    out.append(T.empty_like(x).stride())
    out.append(str(T.channels_last))
    out.append(str(T.contiguous_format))
    out.append(str(T.preserve_format))
    out.append((x + 1).stride())
    out.append(F.relu(x).stride())
    out.append(x.clone().stride())
    return out


def buffers(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    T.manual_seed(0)

    class RunningStat(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.register_buffer("mean", T.zeros(n))
            self.register_buffer("count", T.tensor(0))
            self.register_buffer("tmp", T.ones(n), persistent=False)
            self.register_buffer("nothing", None)
            self.lin = nn.Linear(n, n)
            self.scale = nn.Parameter(T.ones(1))

        def forward(self, x):
            if self.training:
                self.count += 1
                self.mean.mul_(0.9).add_(0.1 * x.mean(0))
            return self.lin(x - self.mean) * self.scale

    m = RunningStat(3)
    out = [
        list(m.state_dict()),
        [n for n, _ in m.named_buffers()],
        [n for n, _ in m.named_parameters()],
        str(m),
        m.nothing is None,
        list(m._buffers),
        sorted(m._non_persistent_buffers_set),
    ]
    x = T.randn(5, 3)
    for _ in range(3):
        m(x)
    out += [m.mean, m.count, str(m.count.dtype)]
    m.double()
    out += [str(m.mean.dtype), str(m.count.dtype), str(m.tmp.dtype)]
    m2 = RunningStat(3)
    r = m2.load_state_dict(m.state_dict())
    out += [str(r), m2.mean, str(m2.mean.dtype)]
    try:
        m.register_buffer("lin", T.ones(1))
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    try:
        m.register_buffer("a.b", T.ones(1))
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    try:
        m.register_buffer("z", [1, 2])
    except Exception as e:
        out.append((type(e).__name__, str(e).split(" (")[0]))  # the rest names the library
    try:
        m.register_parameter("w", T.ones(1))
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    m.mean = T.ones(3)
    out.append(list(m._buffers))
    out.append("mean" in m.__dict__)
    out.append(m.get_buffer("count"))
    out.append(m.get_parameter("lin.weight").shape)
    try:
        m.get_buffer("lin.weight")
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    try:
        m.mean = nn.Parameter(T.ones(3))
        out.append("assigned")
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    del m.tmp
    out.append(list(m.state_dict()))
    out.append([n for n, _ in m.named_buffers()])
    return out


def containers(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    T.manual_seed(0)

    class MyModule(nn.Module):
        def __init__(self):
            super().__init__()
            self.linears = nn.ModuleList([nn.Linear(10, 10) for i in range(3)])
            self.choices = nn.ModuleDict({"conv": nn.Conv2d(10, 10, 3), "pool": nn.MaxPool2d(3)})
            self.activations = nn.ModuleDict([["lrelu", nn.LeakyReLU()], ["prelu", nn.PReLU()]])
            self.params = nn.ParameterList([nn.Parameter(T.randn(10, 10)) for i in range(2)])
            self.pdict = nn.ParameterDict(
                {"left": nn.Parameter(T.randn(5, 10)), "right": nn.Parameter(T.randn(5, 10))}
            )

        def forward(self, x, choice="conv", act="prelu"):
            for i, lin in enumerate(self.linears):
                x = self.linears[i // 2](x) + lin(x)
            for p in self.params:
                x = x.mm(p)
            return x

    m = MyModule()
    out = [str(m), [n for n, _ in m.named_parameters()], list(m.state_dict())]
    out.append(m(T.randn(2, 10)))
    out.append(str(m.params))
    out.append(str(m.pdict))
    pl = nn.ParameterList(
        [nn.Parameter(T.ones(2)), T.zeros(3, dtype=T.float64), "hi", nn.Linear(1, 1)]
    )
    out.append(str(pl))
    pl.append(nn.Parameter(T.ones(1, 2, 3)))
    out.append(len(pl))
    out.append(str(pl))
    out.append(type(pl[1]).__name__)
    pd = nn.ParameterDict({"a": T.ones(2), "b": 3})
    out.append(str(pd))
    out.append(type(pd["a"]).__name__)
    ml = nn.ModuleList()
    out.append(str(ml))
    out.append(repr(nn.ModuleDict()))
    ml.append(nn.ReLU())
    ml += [nn.Tanh(), nn.ReLU()]
    out.append(str(ml))
    ml2 = nn.ModuleList([nn.Linear(2, 2) for _ in range(4)])
    out.append(str(ml2))
    out.append(str(ml2[1:3]))
    out.append(str(nn.Sequential(*[nn.Linear(2, 2) for _ in range(3)], nn.ReLU(), nn.ReLU())))
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Linear(1, 1)})
    md.update({"c": nn.Tanh()})
    out.append(list(md))
    out.append(str(md))
    out.append(str(md.pop("b")))
    out.append(list(md.keys()))
    s = nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(1, 20, 5)),
                ("relu1", nn.ReLU()),
                ("conv2", nn.Conv2d(20, 64, 5)),
                ("relu2", nn.ReLU()),
            ]
        )
    )
    out.append(str(s))
    out.append(str(s.conv1))
    out.append(str(s[-1]))
    out.append([n for n, _ in s.named_children()])
    try:
        ml[10]
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    try:
        md["zz"]
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    try:
        s[10]
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    try:
        pl[10]
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    return out


def hooks2(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    T.manual_seed(0)
    out = []
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))

    def bh(name):
        def h(mod, gin, gout):
            out.append(
                (name, [None if g is None else g.shape for g in gin], [g.shape for g in gout])
            )

        return h

    for n, m in net.named_modules():
        m.register_full_backward_hook(bh(n or "root"))
    x = T.randn(5, 3)
    net(x).sum().backward()
    out.append(net[0].weight.grad)
    x.requires_grad_()
    net(x).pow(2).sum().backward()
    out.append(x.grad)
    r = nn.ReLU(inplace=True)
    r.register_full_backward_hook(lambda *a: None)
    try:
        r(T.randn(3, requires_grad=True) * 1)
        out.append("no error")
    except Exception as e:
        out.append((type(e).__name__, str(e)[:80]))
    lin = nn.Linear(2, 2)

    def modify(mod, gin, gout):
        return (gin[0] * 0,)

    lin.register_full_backward_hook(modify)
    z = T.ones(1, 2, requires_grad=True)
    lin(z).sum().backward()
    out.append(z.grad)
    out.append(lin.weight.grad)
    # register_backward_hook (old) warning
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        hh = nn.Linear(2, 2)
        hh.register_backward_hook(lambda m, gi, go: None)
        hh(T.ones(1, 2, requires_grad=True)).sum().backward()
        out.append([str(x.category.__name__) for x in w])

    # forward hook with kwargs that returns None; pre hook with kwargs must return tuple
    class K(nn.Module):
        def forward(self, a, b=1, *, c=2):
            return a * b + c

    k = K()
    k.register_forward_pre_hook(
        lambda m, args, kwargs: out.append(("kw", args[0].shape, kwargs)), with_kwargs=True
    )
    k.register_forward_hook(
        lambda m, args, kwargs, o: out.append(("kwf", kwargs, o)), with_kwargs=True
    )
    out.append(k(T.ones(2), b=3, c=4))
    k2 = K()
    k2.register_forward_pre_hook(lambda m, args, kwargs: (args,), with_kwargs=True)
    try:
        k2(T.ones(1))
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    k3 = K()
    k3.register_forward_pre_hook(lambda m, args: 5)
    out.append(k3(T.ones(1)))
    # always_call with hook in forward pre failing
    out.append([n for n, _ in nn.Sequential(nn.Linear(1, 1)).named_modules(prefix="model")])
    shared = nn.Linear(2, 2)
    s = nn.Sequential(shared, nn.ReLU(), shared)
    out.append([n for n, _ in s.named_modules()])
    out.append([n for n, _ in s.named_modules(remove_duplicate=False)])
    out.append([n for n, _ in s.named_parameters()])
    out.append([n for n, _ in s.named_parameters(remove_duplicate=False)])
    out.append(list(s.state_dict()))
    out.append(len(list(s.modules())))
    out.append(len(list(s.children())))

    def init(m):
        out.append(type(m).__name__)
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    s.apply(init)
    out.append(shared.weight)
    out.append(str(s))
    out.append(s.get_submodule("0").weight.shape)
    try:
        s.get_submodule("5")
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    return out


def zero_grad(L: SimpleNamespace) -> list:
    T, nn, F, optim = L.torch, L.nn, L.F, L.optim
    T.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = x.view(-1, 16 * 5 * 5)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    net = Net()
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    inputs = T.randn(4, 3, 32, 32)
    labels = T.randint(0, 10, (4,))
    out = []
    for epoch in range(2):
        running_loss = 0.0
        for _i in range(3):
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            running_loss += loss.item()
        out.append(f"[{epoch + 1}, {_i + 1:5d}] loss: {running_loss / 3:.3f}")
    net.zero_grad()
    out.append(net.conv1.bias.grad)
    out.append(optimizer.state_dict()["state"][1]["momentum_buffer"])
    out.append(f"{loss:.4f}")
    out.append(str(loss))
    out.append(repr(outputs[0]))
    return out


def devices(L: SimpleNamespace) -> list:
    T, nn, optim = L.torch, L.nn, L.optim
    T.manual_seed(0)
    out = []
    net = nn.Sequential(nn.Linear(3, 2))
    d = tempfile.mkdtemp()
    PATH = os.path.join(d, "model.pt")
    T.save(net.state_dict(), PATH)
    device = T.device("cpu")
    model = nn.Sequential(nn.Linear(3, 2))
    model.load_state_dict(T.load(PATH, map_location=device))
    out.append(model[0].weight)
    for ml in ("cuda:0", T.device("cuda"), {"cpu": "cuda:0"}):
        try:
            T.load(PATH, map_location=ml)
            out.append("loaded")
        except Exception as e:
            out.append((type(e).__name__, str(e)[:200]))
    try:
        T.zeros(1).to("cuda")
    except Exception as e:
        out.append(type(e).__name__)
    sd = T.load(PATH, mmap=True, weights_only=True)
    out.append(list(sd))
    out.append(sd["0.weight"].clone())
    # DataParallel-style prefix
    dp_sd = {"module." + k: v for k, v in net.state_dict().items()}
    nn.modules.utils.consume_prefix_in_state_dict_if_present(dp_sd, "module.")
    out.append(list(dp_sd))
    # save a tensor list and dict
    T.save([T.arange(3), {"a": T.ones(2, dtype=T.float16)}], PATH)
    obj = T.load(PATH)
    out.append(obj[0])
    out.append(str(obj[1]["a"].dtype))
    # save optimizer and whole model with weights_only default
    opt = optim.Adam(net.parameters(), lr=0.01)
    net(T.ones(1, 3)).sum().backward()
    opt.step()
    T.save(opt.state_dict(), PATH)
    osd = T.load(PATH)
    out.append(osd["param_groups"])
    out.append(osd["state"][0]["step"])
    T.save(net, PATH)
    try:
        T.load(PATH)
        out.append("loaded whole")
    except Exception as e:
        out.append(type(e).__name__)
    out.append(str(T.load(PATH, weights_only=False)))
    # parameter saved directly
    T.save(net[0].weight, PATH)
    p = T.load(PATH)
    out.append(type(p).__name__)
    out.append(p.requires_grad)
    T.save({"w": nn.Parameter(T.ones(2))}, PATH)
    out.append(type(T.load(PATH)["w"]).__name__)
    T.save(T.tensor(3.5), PATH)
    out.append(repr(T.load(PATH)))
    T.save(T.ones(2, 3).t(), PATH)
    out.append(T.load(PATH).stride())
    T.save(T.ones(2, requires_grad=True) * 2, PATH)
    try:
        t = T.load(PATH)
        out.append((t.requires_grad, t.grad_fn is None))
    except Exception as e:
        out.append(type(e).__name__)
    return out


def profiler(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    prof_mod = importlib.import_module(T.__name__ + ".profiler")
    out = []
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
    x = T.randn(2, 4)
    with prof_mod.profile(activities=[prof_mod.ProfilerActivity.CPU], record_shapes=True) as prof:
        with prof_mod.record_function("model_inference"):
            model(x)
    ka = prof.key_averages()
    out.append(type(ka).__name__)
    names = [e.key for e in ka]
    out.append("model_inference" in names)
    t = ka.table(sort_by="cpu_time_total", row_limit=10)
    out.append(isinstance(t, str))
    out.append(str(prof_mod.ProfilerActivity.CPU))
    ka2 = prof.key_averages(group_by_input_shape=True)
    out.append(isinstance(ka2.table(sort_by="cpu_time_total", row_limit=10), str))
    return out


def default_device(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    out = []
    out.append(str(T.get_default_device()))
    T.set_default_device("meta")
    try:
        out.append(str(T.ones(2).device))
        out.append(str(nn.Linear(2, 2).weight.device))
        out.append(str(T.get_default_device()))
    finally:  # None, not "cpu": PyTorch keeps a device mode for "cpu", changing later tests
        T.set_default_device(None)
    out.append(str(T.ones(2).device))
    with T.device("meta"):
        out.append(str(T.arange(3).device))
        out.append(str(T.tensor([1.0]).device))
    out.append(str(T.get_default_device()))
    return out


def shapes(L: SimpleNamespace) -> list:
    T, nn, F = L.torch, L.nn, L.F
    out = []
    t = T.rand(2, 3, 10, 10, device="meta")
    conv = nn.Conv2d(3, 5, 2, device="meta")
    out.append(str(conv(t).shape))
    params = sum(p.numel() for p in conv.parameters())
    out.append(params)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = T.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    def fw_hook(module, input, output):
        out.append(f"Shape of output to {module} is {output.shape}.")

    with T.device("meta"):
        net = Net()
        inp = T.randn((1024, 3, 32, 32))
    for _name, layer in net.named_modules():
        layer.register_forward_hook(fw_hook)
    o = net(inp)
    out.append(str(o))
    out.append(repr(inp.sum()))
    out.append(repr(T.ones(3, dtype=T.float16, device="meta")))
    out.append(repr(nn.Parameter(T.ones(2, device="meta"))))
    out.append(repr(T.ones(2, 3, device="meta", requires_grad=True) * 2))
    return out


def _err(out: list, f: object) -> None:
    """Appends what ``f()`` returned (as text) or the error it raised."""
    try:
        r = f()
        out.append(("ok", str(r)))
    except Exception as e:
        out.append((type(e).__name__, str(e)))


def load_errors(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    T.manual_seed(0)
    out = []
    a = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    b = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Linear(5, 2))
    _err(out, lambda: b.load_state_dict(a.state_dict()))
    _err(out, lambda: b.load_state_dict(a.state_dict(), strict=False))
    sd = a.state_dict()
    sd["extra"] = T.ones(1)
    del sd["0.bias"]
    _err(out, lambda: a.load_state_dict(sd))
    _err(out, lambda: a.load_state_dict(sd, strict=False))
    _err(out, lambda: a.load_state_dict([1, 2]))
    sd2 = a.state_dict()
    sd2["0.weight"] = [[1.0]]
    _err(out, lambda: a.load_state_dict(sd2))
    md = a.state_dict()._metadata
    out.append({k: dict(v) for k, v in md.items()})
    out.append(list(a.state_dict(prefix="net.")))
    out.append([n for n, _ in a.named_parameters(prefix="m", recurse=True)])
    out.append([n for n, _ in a.named_parameters(recurse=False)])
    sd3 = a.state_dict()
    sd3["1.num_batches_tracked"] = T.tensor(7)
    a.load_state_dict(sd3)
    out.append(a[1].num_batches_tracked)
    sd4 = a.state_dict()
    del sd4["1.num_batches_tracked"]
    _err(out, lambda: a.load_state_dict(sd4))
    sd5 = a.state_dict()
    sd5["0.weight"] = T.ones(4, 3, dtype=T.float64)
    a.load_state_dict(sd5)
    out.append(str(a[0].weight.dtype))
    out.append(a[0].weight)
    sd6 = a.state_dict()
    sd6["0.weight"] = T.ones(12)
    _err(out, lambda: a.load_state_dict(sd6))
    out.append(repr(a.load_state_dict(a.state_dict())))
    r = a.load_state_dict(a.state_dict())
    out.append(r == ([], []))
    out.append(tuple(r))
    out.append(type(r).__name__)
    c = nn.Linear(2, 2)
    p_before = c.weight
    c.load_state_dict({"weight": T.zeros(2, 2), "bias": T.zeros(2)})
    out.append(c.weight is p_before)
    c.load_state_dict({"weight": T.ones(2, 2), "bias": T.ones(2)}, assign=True)
    out.append(c.weight is p_before)
    out.append(type(c.weight).__name__)
    out.append(c.weight.requires_grad)
    return out


def tuning_debug_apis(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    out = []
    T.autograd.set_detect_anomaly(False)
    out.append(T.is_anomaly_enabled())
    T.autograd.profiler.profile(enabled=False)
    with T.autograd.profiler.emit_nvtx(enabled=False) as nv:
        out.append(type(nv).__name__)
    with T.autograd.profiler.emit_itt() as itt:
        out.append(type(itt).__name__)
    try:
        with T.autograd.profiler.emit_nvtx():
            out.append("entered")
    except RuntimeError:
        out.append("RuntimeError")
    with T.autograd.profiler.profile(enabled=False) as prof:
        T.ones(2).sum()
    out.append(type(prof).__name__)
    out.append(T.backends.cudnn.enabled)
    out.append(T.backends.mkldnn.enabled)
    out.append(T.backends.cuda.matmul.allow_fp16_reduced_precision_reduction)
    out.append(T.backends.cuda.flash_sdp_enabled())
    out.append(T.backends.cuda.math_sdp_enabled())
    with T.autograd.set_detect_anomaly(True):
        out.append(T.is_anomaly_enabled())
    with T.autograd.detect_anomaly():
        out.append(T.is_anomaly_enabled())

    @T.jit.script
    def fused_gelu(x):
        return x * 0.5 * (1.0 + T.erf(x / 1.41421))

    out.append(fused_gelu(T.linspace(-2, 2, 5)))
    out.append(T.get_num_interop_threads() >= 1)
    T.set_num_threads(T.get_num_threads())
    m = nn.Linear(3, 3)
    with T.no_grad():
        m.weight.fill_(0.1)
    out.append(m.weight.requires_grad)
    m2 = copy.deepcopy(m)
    out.append(T.equal(m2.weight, m.weight))
    out.append(m2.weight is m.weight)
    m.register_forward_hook(lambda *a: None)
    m3 = copy.deepcopy(m)
    out.append(len(m3._forward_hooks))
    try:
        pickle.dumps(m)
        out.append("pickled")
    except Exception as e:
        out.append(type(e).__name__)
    buf = io.BytesIO()
    try:
        T.save(m, buf)
        out.append("saved")
    except Exception as e:
        out.append(type(e).__name__)
    m4 = nn.Linear(2, 2)
    m4.requires_grad_(False)
    out.append([p.requires_grad for p in m4.parameters()])
    m4.train(False)
    out.append(m4.training)
    out.append(str(m4.bfloat16().weight.dtype))
    out.append(str(m4.to(T.float64).weight.dtype))
    out.append(str(m4.float().weight.dtype))
    out.append(m4.type(T.float64) is m4 if hasattr(m4, "type") else None)
    out.append(str(m4.weight.dtype))

    # mixed output tuple backward hooks
    class Two(nn.Module):
        def forward(self, a, b):
            return a * b, a + b

    t = Two()
    t.register_full_backward_hook(
        lambda mod, gi, go: out.append(("two", len(gi), len(go), [g is None for g in gi]))
    )
    a = T.ones(2, requires_grad=True)
    b = T.ones(2) * 3
    p, q = t(a, b)
    (p.sum() + 2 * q.sum()).backward()
    out.append(a.grad)
    t.register_forward_hook(lambda mod, inp, o: (o[0] * 10, o[1]))
    p, q = t(T.ones(1), T.ones(1))
    out.append([p, q])
    return out


def ckpt_tips(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    T.manual_seed(0)
    out = []

    class SomeModule(nn.Module):
        def __init__(self, size):
            super().__init__()
            self.linears = nn.ModuleList([nn.Linear(size, size) for _ in range(10)])

        def forward(self, x):
            return self.linears(x)

    m = SomeModule(8)
    d = tempfile.mkdtemp()
    path = os.path.join(d, "checkpoint.pth")
    T.save(m.state_dict(), path)
    state_dict = T.load(path, mmap=True, weights_only=True)
    with T.device("meta"):
        meta_m = SomeModule(8)
    out.append(str(meta_m.linears[0].weight.device))
    r = meta_m.load_state_dict(state_dict, assign=True)
    out.append(str(r))
    out.append(str(meta_m.linears[0].weight.device))
    out.append(T.equal(meta_m.linears[3].bias, m.linears[3].bias))
    out.append(type(meta_m.linears[0].weight).__name__)
    out.append(meta_m.linears[0].weight.requires_grad)
    try:
        meta_m(T.ones(2, 8))
    except Exception as e:
        out.append(type(e).__name__)
    out.append(T.__future__.get_overwrite_module_params_on_conversion())
    out.append(T.__future__.get_swap_module_params_on_conversion())
    lin = nn.Linear(2, 2)
    w = lin.weight
    lin.double()
    out.append(lin.weight is w)
    out.append(str(w.dtype))
    T.__future__.set_swap_module_params_on_conversion(True)
    try:
        lin2 = nn.Linear(2, 2)
        w2 = lin2.weight
        lin2.double()
        out.append(lin2.weight is w2)
        out.append(str(w2.dtype))
        lin3 = nn.Linear(2, 2)
        w3 = lin3.weight
        lin3.load_state_dict({"weight": T.ones(2, 2, dtype=T.float64), "bias": T.ones(2)})
        out.append(lin3.weight is w3)
        out.append(str(lin3.weight.dtype))
    finally:
        T.__future__.set_swap_module_params_on_conversion(False)
    T.__future__.set_overwrite_module_params_on_conversion(True)
    try:
        lin4 = nn.Linear(2, 2)
        w4 = lin4.weight
        lin4.double()
        out.append(lin4.weight is w4)
        out.append(str(w4.dtype))
        lin5 = nn.Linear(2, 2)
        lin5(T.ones(1, 2)).sum().backward()
        g5 = lin5.weight.grad
        lin5.bias.requires_grad_(False)
        lin5.to(T.float64)
        out += [
            str(lin5.weight.grad.dtype),
            lin5.weight.grad is g5,
            str(g5.dtype),
            lin5.weight.grad,
            lin5.bias.requires_grad,
            type(lin5.weight).__name__,
            lin5.weight.is_leaf,
            [n for n, _ in lin5.named_parameters()],
        ]
    finally:
        T.__future__.set_overwrite_module_params_on_conversion(False)
    return out


def state_dict_hooks(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    T.manual_seed(0)
    out = []
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))

    def pre(
        module,
        state_dict,
        prefix,
        local_metadata,
        strict,
        missing_keys,
        unexpected_keys,
        error_msgs,
    ):
        out.append(("pre", type(module).__name__, prefix, strict, sorted(state_dict)[:2]))
        k = prefix + "old_weight"
        if k in state_dict:
            state_dict[prefix + "weight"] = state_dict.pop(k)

    m[0]._register_load_state_dict_pre_hook(pre, with_module=True)

    def post(module, incompatible_keys):
        out.append(
            (
                "post",
                type(module).__name__,
                list(incompatible_keys.missing_keys),
                list(incompatible_keys.unexpected_keys),
            )
        )
        incompatible_keys.unexpected_keys.clear() if type(module).__name__ == "Sequential" else None

    m.register_load_state_dict_post_hook(post)
    sd = m.state_dict()
    sd["0.old_weight"] = sd.pop("0.weight")
    sd["junk"] = T.ones(1)
    r = m.load_state_dict(sd)
    out.append(str(r))
    m2 = nn.Linear(2, 2)
    h = m2.register_load_state_dict_pre_hook(
        lambda mod, sd, prefix, *a: out.append(("newpre", type(mod).__name__, prefix))
    )
    m2.load_state_dict(nn.Linear(2, 2).state_dict())
    h.remove()
    m3 = nn.Linear(1, 1)
    m3.register_state_dict_pre_hook(
        lambda mod, prefix, keep_vars: out.append(("sdpre", prefix, keep_vars))
    )
    m3._register_state_dict_hook(lambda mod, sd, prefix, lm: out.append(("sdpost", list(sd))))
    m3.state_dict(prefix="x.", keep_vars=True)

    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(T.ones(2))

        def extra_repr(self):
            return f"w_shape={tuple(self.w.shape)}\nsecond line"

    c = nn.Sequential(Custom(), nn.Linear(2, 2))
    out.append(str(c))
    c.add_module("extra", nn.ReLU())
    out.append(str(c))
    del c[0]
    out.append(str(c))
    out.append([n for n, _ in c.named_children()])
    for bad in ("", "a.b", 5):
        try:
            c.add_module(bad, nn.ReLU())
        except Exception as e:
            out.append((type(e).__name__, str(e)))
    try:
        c.add_module("x", 5)
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    c.register_module("rm", nn.Tanh())
    out.append(str(c))
    c.rm = None
    out.append(str(c))
    out.append(list(c._modules))
    return out


def fused_channels_last_autocast(L: SimpleNamespace) -> list:
    T, nn, optim = L.torch, L.nn, L.optim
    out = []
    for kw in (
        dict(fused=True),
        dict(foreach=True),
        dict(foreach=False),
        dict(fused=True, amsgrad=True),
    ):
        for name in ("Adam", "AdamW", "SGD", "Adagrad"):
            T.manual_seed(0)
            m = nn.Sequential(
                nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 2)
            ).to(memory_format=T.channels_last)
            kk = dict(kw)
            if name != "Adam" and name != "AdamW":
                kk.pop("amsgrad", None)
            if name == "SGD":
                kk["lr"] = 0.1
                kk["momentum"] = 0.9
            try:
                o = getattr(optim, name)(m.parameters(), **kk)
            except Exception as e:
                out.append((name, str(kw), type(e).__name__, str(e)))
                continue
            x = T.randn(2, 3, 6, 6).to(memory_format=T.channels_last)
            for _ in range(2):
                o.zero_grad(set_to_none=True)
                with T.autocast("cpu", dtype=T.bfloat16):
                    y = m(x)
                    out.append(str(y.dtype))
                loss = y.float().pow(2).mean()
                loss.backward()
                o.step()
            out.append(str(o))
            out.append(m[0].weight)
            out.append(m[0].weight.stride())
            out.append(o.state_dict()["param_groups"])
    return out


def printed_state(L: SimpleNamespace) -> list:
    T, nn, optim = L.torch, L.nn, L.optim
    T.manual_seed(0)
    out = []
    m = nn.Sequential(
        nn.Conv2d(1, 2, 2),
        nn.BatchNorm2d(2),
        nn.Flatten(),
        nn.Linear(2, 1, bias=False),
        nn.Embedding(3, 2, padding_idx=0),
    )
    out.append(str(m.state_dict()))
    out.append(str(list(m.parameters())))
    out.append(str(dict(m.named_buffers())))
    out.append(str(m.state_dict(keep_vars=True)["1.weight"]))
    o = optim.SGD(m.parameters(), lr=0.1)
    out.append(str(o.param_groups[0]["lr"]))
    out.append(str({k: v for k, v in o.param_groups[0].items() if k != "params"}))
    out.append(str(m[4].weight))
    out.append(str(m[3].weight.T))
    out.append(str(m[3].weight * 2))
    out.append(str(m[3].weight.detach()))
    out.append(str(m[3].weight.data))
    out.append(str(m[0].weight.grad))
    out.append(str(T.nn.Parameter(T.ones(2, dtype=T.float64))))
    out.append(str(T.nn.Parameter(T.ones(2), requires_grad=False)))
    out.append(str(T.nn.Parameter(T.ones(2, dtype=T.float16))))
    out.append(str(T.nn.Parameter(T.tensor(2.0))))
    out.append(str(T.nn.Parameter(T.empty(0, 3))))
    out.append(str(T.nn.Buffer(T.ones(2))) if hasattr(T.nn, "Buffer") else None)
    out.append(
        str(T.nn.UninitializedParameter()) if hasattr(T.nn, "UninitializedParameter") else None
    )
    lz = nn.LazyLinear(3)
    out.append(str(lz))
    out.append(str(lz.weight))
    out.append(str(list(lz.state_dict())))
    lz(T.ones(2, 4))
    out.append(str(lz))
    out.append(lz.weight.shape)
    out.append(type(lz).__name__)
    return out


def global_hooks_order(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    mm = nn.modules.module
    out = []
    hs = []
    hs.append(
        mm.register_module_forward_pre_hook(lambda m, i: out.append(("gpre", type(m).__name__)))
    )
    hs.append(
        mm.register_module_forward_hook(lambda m, i, o: out.append(("gfwd", type(m).__name__)))
    )
    hs.append(
        mm.register_module_full_backward_hook(
            lambda m, gi, go: out.append(("gbwd", type(m).__name__))
        )
    )
    hs.append(
        mm.register_module_full_backward_pre_hook(
            lambda m, go: out.append(("gbpre", type(m).__name__))
        )
    )
    hs.append(
        mm.register_module_forward_hook(
            lambda m, i, o: out.append(("galways", type(m).__name__)), always_call=True
        )
    )
    try:
        lin = nn.Linear(2, 2)
        lin.register_forward_pre_hook(lambda m, i: out.append("lpre"))
        lin.register_forward_hook(lambda m, i, o: out.append("lfwd"))
        lin.register_full_backward_hook(lambda m, gi, go: out.append("lbwd"))
        lin.register_full_backward_pre_hook(lambda m, go: out.append("lbpre"))
        x = T.ones(1, 2, requires_grad=True)
        lin(x).sum().backward()

        class Bad(nn.Module):
            def forward(self, x):
                raise RuntimeError("bad")

        b = Bad()
        b.register_forward_hook(
            lambda m, a, kw, o: out.append(("always_kw", kw, o)), with_kwargs=True, always_call=True
        )
        try:
            b(T.ones(1))
        except RuntimeError as e:
            out.append(str(e))
    finally:
        for h in hs:
            h.remove()
    nn.ReLU()(T.ones(1))
    out.append("after")
    # forward hook modifying output + full backward hook
    lin2 = nn.Linear(2, 2)
    lin2.register_full_backward_hook(lambda m, gi, go: out.append(("bw", go[0])))
    lin2.register_forward_hook(lambda m, i, o: o * 3)
    y = lin2(T.ones(1, 2, requires_grad=True))
    out.append(y.grad_fn.name())
    y.sum().backward()
    lin3 = nn.Linear(2, 2)
    lin3.register_forward_hook(lambda m, i, o: o * 3)
    lin3.register_full_backward_hook(lambda m, gi, go: out.append(("bw3", go[0])))
    y3 = lin3(T.ones(1, 2, requires_grad=True))
    out.append(y3.grad_fn.name())
    y3.sum().backward()
    return out


def default_dtype_printoptions(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    out = []
    T.set_default_dtype(T.float64)
    try:
        out.append(str(T.tensor([1.5]).dtype))
        out.append(str(T.tensor([1.5j]).dtype))
        out.append(str(nn.Linear(2, 2).weight.dtype))
        out.append(str(T.arange(3.0).dtype))
        out.append(str(T.get_default_dtype()))
        out.append(str(T.randn(2).dtype))
        out.append(str(T.tensor(2).dtype))
        out.append(str((T.tensor(2) / 2).dtype))
        out.append(str(T.zeros(2, dtype=T.float32).mean().dtype))
        out.append(str((T.ones(2, dtype=T.float32) * 2.5).dtype))
    finally:
        T.set_default_dtype(T.float32)
    try:
        T.set_default_dtype(T.int64)
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    T.set_default_dtype(T.float16)
    try:
        out.append(str(T.tensor([1.5]).dtype))  # (complex32, its complex default, is absent)
    finally:
        T.set_default_dtype(T.float32)
    T.set_flush_denormal(True)
    T.set_flush_denormal(False)
    out.append(T.set_flush_denormal(False))
    T.set_printoptions(precision=2)
    try:
        out.append(str(T.tensor([1.23456, 2.5])))
        out.append(str(nn.Parameter(T.tensor([1.23456]))))
    finally:
        T.set_printoptions(profile="default")
    out.append(str(T.tensor([1.23456])))
    return out


def tensorboard_scalars(L: SimpleNamespace) -> list:
    T, nn, optim = L.torch, L.nn, L.optim
    EventAccumulator = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator"
    ).EventAccumulator
    tb = importlib.import_module(T.__name__ + ".utils.tensorboard")
    T.manual_seed(0)
    d = tempfile.mkdtemp()
    writer = tb.SummaryWriter(log_dir=d)
    x = T.arange(-5, 5, 0.1).view(-1, 1)
    y = -5 * x + 0.1 * T.randn(x.size())
    model = nn.Linear(1, 1)
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(5):
        y1 = model(x)
        loss = criterion(y1, y)
        writer.add_scalar("Loss/train", loss, epoch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    writer.add_histogram("w", model.weight, 0)
    writer.add_scalars("run", {"a": 1.0, "b": 2.0}, 0)
    writer.add_text("note", "hello", 0)
    writer.flush()
    writer.close()
    ea = EventAccumulator(d)
    ea.Reload()
    tags = ea.Tags()
    out = [sorted(tags["scalars"]), sorted(tags["histograms"]), sorted(tags.get("tensors", []))]
    out.append([(e.step, e.value) for e in ea.Scalars("Loss/train")])
    out.append(len([f for f in os.listdir(d) if f.startswith("events.out.tfevents")]))
    out.append(sorted(p for p in os.listdir(d) if not p.startswith("events")))
    return out


class Cfg:
    """A user's config object saved in a checkpoint (refused by weights_only loads)."""

    def __init__(self):
        self.a = 1


def serialization_formats(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    T.manual_seed(0)
    out = []
    m = nn.Linear(2, 2)
    b = io.BytesIO()
    T.save(m.state_dict(), b, _use_new_zipfile_serialization=False)
    b.seek(0)
    sd = T.load(b, weights_only=True)
    out.append(list(sd))
    out.append(sd["weight"])
    b = io.BytesIO()
    T.save({"x": T.ones(2)}, b, pickle_protocol=2)
    b.seek(0)
    out.append(T.load(b)["x"])
    b = io.BytesIO()
    T.save({"cfg": Cfg()}, b)
    b.seek(0)
    try:
        T.load(b)
    except Exception as e:
        out.append(type(e).__name__)
        out.append(type(e).__module__)
    b.seek(0)
    out.append(T.load(b, weights_only=False)["cfg"].a)
    b = io.BytesIO()
    T.save(
        {
            "od": collections.OrderedDict(a=T.ones(1)),
            "t": (1, 2.5, "s", None, True),
            "dt": T.float16,
            "dev": T.device("cpu"),
            "sz": T.Size([2, 3]),
        },
        b,
    )
    b.seek(0)
    o = T.load(b)
    out.append(type(o["od"]).__name__)
    out.append(list(o["t"]))
    out.append(str(o["dt"]))
    out.append(str(o["dev"]))
    out.append(str(o["sz"]))
    b = io.BytesIO()
    T.save(
        [
            T.ones(2, dtype=T.bfloat16),
            T.tensor([1, 2], dtype=T.int8),
            T.tensor([True]),
            T.tensor([1 + 2j]),
        ],
        b,
    )
    b.seek(0)
    out.append([str(t.dtype) for t in T.load(b)])
    try:
        T.load(io.BytesIO(b"not a checkpoint"))
    except Exception as e:
        out.append(type(e).__name__)
    b = io.BytesIO()
    T.save(nn.Linear(2, 2).state_dict(), b)
    b.seek(0)
    T.serialization.add_safe_globals([Cfg])
    b2 = io.BytesIO()
    T.save(Cfg(), b2)
    b2.seek(0)
    out.append(type(T.load(b2, weights_only=True)).__name__)
    T.serialization.clear_safe_globals()
    out.append(T.serialization.get_safe_globals())
    with T.serialization.safe_globals([Cfg]):
        b2.seek(0)
        out.append(T.load(b2).a)
    return out


def versioned_load_from_state_dict(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    out = []

    class V(nn.Module):
        _version = 2

        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(T.ones(2))
            self.register_buffer("count", T.tensor(0))

        def _load_from_state_dict(
            self,
            state_dict,
            prefix,
            local_metadata,
            strict,
            missing_keys,
            unexpected_keys,
            error_msgs,
        ):
            version = local_metadata.get("version", None)
            out.append(("load", prefix, version, sorted(local_metadata)))
            if version is None or version < 2:
                key = prefix + "w_old"
                if key in state_dict:
                    state_dict[prefix + "weight"] = state_dict.pop(key)
            super()._load_from_state_dict(
                state_dict,
                prefix,
                local_metadata,
                strict,
                missing_keys,
                unexpected_keys,
                error_msgs,
            )

        def _save_to_state_dict(self, destination, prefix, keep_vars):
            super()._save_to_state_dict(destination, prefix, keep_vars)
            destination[prefix + "note"] = T.tensor(7)

    m = nn.Sequential(V(), nn.Linear(2, 2))
    sd = m.state_dict()
    out.append(list(sd))
    out.append({k: dict(v) for k, v in sd._metadata.items()})
    b = io.BytesIO()
    T.save(sd, b)
    b.seek(0)
    sd2 = T.load(b)
    out.append(hasattr(sd2, "_metadata"))
    out.append({k: dict(v) for k, v in sd2._metadata.items()})
    r = m.load_state_dict(sd2, strict=False)
    out.append(str(r))
    old = {
        "0.w_old": T.full((2,), 3.0),
        "0.count": T.tensor(1),
        "1.weight": T.zeros(2, 2),
        "1.bias": T.zeros(2),
    }
    r = m.load_state_dict(old, strict=False)
    out.append(str(r))
    out.append(m[0].weight)
    try:
        m.load_state_dict(old)
    except Exception as e:
        out.append((type(e).__name__, str(e)))
    return out


def _e(out: list, f: object) -> None:
    """Appends the repr of what ``f()`` returned, or the error it raised."""
    try:
        r = f()
        out.append(("ok", repr(r)))
    except Exception as e:
        out.append((type(e).__name__, str(e)[:150]))


def meta_errors(L: SimpleNamespace) -> list:
    T, nn, F = L.torch, L.nn, L.F
    out = []
    m = T.ones(2, 3, device="meta")
    c = T.ones(2, 3)
    _e(out, lambda: m + c)
    _e(out, lambda: m.numpy())
    _e(out, lambda: m.tolist())
    _e(out, lambda: str(m))
    _e(out, lambda: bool(m.sum() > 0))
    _e(out, lambda: T.cat([m, c]))
    _e(out, lambda: m.to("cpu"))
    _e(out, lambda: m.cpu())
    _e(out, lambda: m.sum(0).shape)
    _e(out, lambda: F.softmax(m, -1).shape)
    _e(out, lambda: c + m)
    _e(out, lambda: T.cat([c, m]))
    _e(out, lambda: m.sum().item())
    _e(out, lambda: float(m.sum()))
    _e(out, lambda: int(m.sum()))
    _e(out, lambda: m.item())
    _e(out, lambda: m.nonzero(as_tuple=True))
    _e(out, lambda: T.where(m > 0))
    _e(out, lambda: m.max(1).indices.dtype)
    _e(out, lambda: T.nonzero(m))
    _e(out, lambda: m.view(3, 2).shape)
    _e(out, lambda: T.randn(3, device="meta").dtype)
    _e(out, lambda: m.new_empty(4).device)
    _e(out, lambda: T.tensor([1.0], device="meta"))
    lin = nn.Linear(3, 4, device="meta")
    _e(out, lambda: lin.weight.sum().backward())
    _e(out, lambda: lin.state_dict()["weight"].device)
    _e(out, lambda: nn.Linear(3, 4).load_state_dict(lin.state_dict()))
    return out


def user_mistakes(L: SimpleNamespace) -> list:
    T, nn = L.torch, L.nn
    T.manual_seed(0)
    out = []

    class NoInit(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    _err(out, lambda: NoInit())

    class NoInit2(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(T.ones(1))

    _err(out, lambda: NoInit2())

    class NoInit3(nn.Module):
        def __init__(self):
            self.register_buffer("b", T.ones(1))

    _err(out, lambda: NoInit3())

    class NoFwd(nn.Module):
        pass

    _err(out, lambda: NoFwd()(T.ones(1)))
    lin = nn.Linear(4, 3)
    _err(out, lambda: lin(T.ones(2, 5)))
    _err(out, lambda: lin(T.ones(2, 4, dtype=T.int64)))
    _err(out, lambda: lin(T.ones(2, 4, dtype=T.float64)))
    _err(out, lambda: lin(np.ones((2, 4), dtype=np.float32)))
    _err(out, lambda: lin([1.0, 2.0, 3.0, 4.0]))
    conv = nn.Conv2d(3, 4, 3)
    _err(out, lambda: conv(T.ones(1, 1, 5, 5)))
    _err(out, lambda: conv(T.ones(5, 5)))
    _err(out, lambda: conv(T.ones(1, 3, 2, 2)))
    _err(out, lambda: nn.CrossEntropyLoss()(T.randn(3, 5), T.tensor([1.0, 2.0, 0.0])))
    _err(out, lambda: nn.CrossEntropyLoss()(T.randn(3, 5), T.tensor([1, 2, 7])))
    _err(out, lambda: nn.CrossEntropyLoss()(T.randn(3, 5), T.tensor([1, 2])))
    _err(out, lambda: nn.MSELoss()(T.randn(3), T.randn(3, 1)).shape)
    _err(out, lambda: nn.NLLLoss()(T.randn(3, 5), T.tensor([1, 2, 3], dtype=T.int32)))
    _err(out, lambda: nn.BCELoss()(T.tensor([0.5, 1.2]), T.tensor([0.0, 1.0])))
    _err(out, lambda: nn.BatchNorm1d(3)(T.ones(1, 3)))
    _err(out, lambda: nn.Embedding(5, 2)(T.tensor([5])))
    _err(out, lambda: nn.Embedding(5, 2)(T.tensor([1.0])))
    _err(out, lambda: T.ones(2, 3).view(4, 2))
    _err(out, lambda: T.ones(2, 3).t().view(6))
    _err(out, lambda: nn.LSTM(3, 4)(T.ones(2, 5)))
    _err(out, lambda: nn.Sequential(nn.Linear(2, 2), nn.ReLU())(T.ones(3, 2), T.ones(1)))
    _err(out, lambda: T.ones(2, requires_grad=True).numpy())
    _err(out, lambda: T.ones(2).backward())
    _err(out, lambda: T.ones(1).backward())
    x = T.ones(2, requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    _err(out, lambda: y.backward())
    _err(out, lambda: x.add_(1))
    _err(out, lambda: nn.Linear(2, 2).weight.add_(1))
    return out


def _first_line(out: list, f: object) -> None:
    """Appends the type name of what ``f()`` returned, or the error's type and first line."""
    try:
        out.append(("ok", type(f()).__name__))
    except Exception as e:
        out.append((type(e).__name__, str(e).splitlines()[0]))


def numpy_into_layers(L: SimpleNamespace) -> list:
    T, nn, F = L.torch, L.nn, L.F
    a4 = np.ones((1, 3, 5, 5), dtype=np.float32)
    a2 = np.ones((2, 3), dtype=np.float32)
    out = []
    for m, a in (
        (nn.Conv2d(3, 2, 3), a4),
        (nn.Conv1d(2, 2, 1), a2),
        (nn.Embedding(5, 2), np.array([1, 2])),
        (nn.ReLU(), a2),
        (nn.Flatten(), a4),
        (nn.BatchNorm1d(3), a2),
        (nn.Dropout(0.5), a2),
        (nn.LayerNorm(3), a2),
        (nn.Sigmoid(), a2),
        (nn.Softmax(1), a2),
        (nn.MaxPool2d(2), a4),
        (nn.Tanh(), a2),
        (nn.GELU(), a2),
        (nn.LSTM(3, 2), a2),
    ):
        _first_line(out, lambda m=m, a=a: m(a))  # (conv's overload list not kept)
    _err(out, lambda: nn.CrossEntropyLoss()(T.ones(2, 3), np.array([0, 1])))
    _err(out, lambda: nn.MSELoss()(T.ones(2, 3), a2))
    _err(out, lambda: F.relu([1.0]))
    return out


def numpy_into_functionals(L: SimpleNamespace) -> list:
    T, nn, F = L.torch, L.nn, L.F
    out = []
    a2 = np.ones((2, 3), dtype=np.float32)
    _err(out, lambda: F.softmax(a2, 1))
    _err(out, lambda: F.log_softmax(a2, 1))
    _err(out, lambda: F.log_softmax([1.0], 0))
    _err(out, lambda: nn.LogSoftmax(1)(a2))
    _err(out, lambda: F.linear(T.ones(2, 3), a2))
    _err(out, lambda: F.max_pool1d(a2, 2))
    _err(out, lambda: F.mse_loss(T.ones(2), np.ones(2)))
    _err(out, lambda: F.cross_entropy(a2, T.tensor([0, 1])))
    return out


def test_define_matches_torch() -> None:
    _run(define)


def test_state_dict_matches_torch() -> None:
    _run(state_dict)


def test_save_inference_matches_torch() -> None:
    _run(save_inference)


def test_general_ckpt_matches_torch() -> None:
    _run(general_ckpt)


def test_hooks_matches_torch() -> None:
    _run(hooks)


def test_meta_matches_torch() -> None:
    _run(meta)


def test_timer_matches_torch() -> None:
    _run(timer)


def test_handle_matches_torch() -> None:
    _run(handle)


def test_tuning_matches_torch() -> None:
    _run(tuning)


def test_buffers_matches_torch() -> None:
    _run(buffers)


def test_containers_matches_torch() -> None:
    _run(containers)


def test_hooks2_matches_torch() -> None:
    _run(hooks2)


def test_zero_grad_matches_torch() -> None:
    _run(zero_grad)


def test_devices_matches_torch() -> None:
    _run(devices)


def test_profiler_matches_torch() -> None:
    _run(profiler)


def test_default_device_matches_torch() -> None:
    _run(default_device)


def test_shapes_matches_torch() -> None:
    _run(shapes)


def test_load_errors_matches_torch() -> None:
    _run(load_errors)


def test_tuning_debug_apis_matches_torch() -> None:
    _run(tuning_debug_apis)


def test_ckpt_tips_matches_torch() -> None:
    _run(ckpt_tips)


def test_state_dict_hooks_matches_torch() -> None:
    _run(state_dict_hooks)


def test_fused_channels_last_autocast_matches_torch() -> None:
    _run(fused_channels_last_autocast)


def test_printed_state_matches_torch() -> None:
    _run(printed_state)


def test_global_hooks_order_matches_torch() -> None:
    _run(global_hooks_order)


def test_default_dtype_printoptions_matches_torch() -> None:
    _run(default_dtype_printoptions)


def test_tensorboard_scalars_matches_torch() -> None:
    _run(tensorboard_scalars)


def test_serialization_formats_matches_torch() -> None:
    _run(serialization_formats)


def test_versioned_load_from_state_dict_matches_torch() -> None:
    _run(versioned_load_from_state_dict)


def test_meta_errors_matches_torch() -> None:
    _run(meta_errors)


def test_user_mistakes_matches_torch() -> None:
    _run(user_mistakes)


def test_numpy_into_layers_matches_torch() -> None:
    _run(numpy_into_layers)


def test_numpy_into_functionals_matches_torch() -> None:
    _run(numpy_into_functionals)
