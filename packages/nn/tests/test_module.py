"""The Module system: registration, iteration, hooks, modes, conversion, repr, copying."""

from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import Buffer, Parameter


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.scale = Parameter(ember.ones(3))
        self.register_buffer("steps", ember.zeros(()))
        self.register_buffer("tmp", ember.zeros(2), persistent=False)

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale


def test_parameter_basics():
    t = ember.zeros(2, 3)
    p = Parameter(t)
    assert isinstance(p, ember.Tensor) and isinstance(p, Parameter)
    assert p.requires_grad and p.is_leaf
    assert p.data_ptr() == t.data_ptr()  # shares the data
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not Parameter(t, requires_grad=False).requires_grad
    assert Parameter().shape == (0,)
    q = copy.deepcopy(p)
    assert isinstance(q, Parameter) and q.requires_grad and q.data_ptr() != p.data_ptr()
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, Parameter) and r.requires_grad and r.tolist() == p.tolist()
    assert type(p + 1) is ember.Tensor  # ops give plain tensors, as in PyTorch


def test_buffer_class_and_persistence():
    m = nn.Module()
    m.b = Buffer(ember.ones(2), persistent=False)
    m.c = Buffer(ember.ones(1))
    assert list(dict(m.named_buffers())) == ["b", "c"]
    assert list(m.state_dict()) == ["c"]


def test_registration_by_attribute():
    m = Net()
    assert list(m._parameters) == ["scale"]
    assert list(m._buffers) == ["steps", "tmp"]
    assert list(m._modules) == ["fc", "act"]
    assert [n for n, _ in m.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "tmp"]
    assert [n for n, _ in m.named_modules()] == ["", "fc", "act"]
    assert [n for n, _ in m.named_children()] == ["fc", "act"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in m.named_parameters(prefix="net")][0] == "net.scale"
    with pytest.raises(TypeError, match=r"cannot assign 'ember.FloatTensor' as parameter "
                                        r"'scale' \(ember.nn.Parameter or None expected\)"):
        m.scale = ember.zeros(3)
    with pytest.raises(TypeError, match="as child module 'fc'"):
        m.fc = 3
    with pytest.raises(TypeError, match="as buffer 'steps'"):
        m.steps = 3
    m.steps = ember.ones(())  # a tensor may replace a buffer
    assert m.steps.item() == 1.0 and list(m._buffers) == ["steps", "tmp"]
    m.scale = None
    assert m.scale is None and [n for n, _ in m.named_parameters()][0] == "fc.weight"
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("fc", ember.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        _ = m.nope
    del m.fc
    assert "fc" not in m._modules
    with pytest.raises(AttributeError, match="cannot assign parameters before"):
        class Bad(nn.Module):
            def __init__(self):
                self.p = Parameter(ember.zeros(1))
                super().__init__()
        Bad()


def test_shared_and_duplicate_members():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    assert [n for n, _ in seq.named_modules(remove_duplicate=False)] == ["", "0", "1"]


def test_get_submodule_parameter_buffer():
    m = nn.Sequential(OrderedDict(net=Net()))
    assert m.get_submodule("net.fc") is m.net.fc
    assert m.get_parameter("net.fc.bias") is m.net.fc.bias
    assert m.get_buffer("net.steps") is m.net.steps
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        m.get_submodule("net.nope")
    with pytest.raises(AttributeError, match="is not an nn.Parameter"):
        m.get_parameter("net.steps")
    with pytest.raises(AttributeError, match="is not a buffer"):
        m.get_buffer("net.scale")
    m.set_submodule("net.act", nn.Tanh())
    assert isinstance(m.net.act, nn.Tanh)


def test_train_eval_requires_grad_zero_grad():
    m = Net()
    assert m.training and m.fc.training
    m.eval()
    assert not m.training and not m.fc.training
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")
    m.train()
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_(True)
    m(ember.ones(2, 4)).sum().backward()
    assert m.fc.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert m.fc.weight.grad.abs().sum().item() == 0
    m.zero_grad()
    assert m.fc.weight.grad is None


def test_to_and_float_conversions_keep_parameter_identity():
    m = Net()
    w = m.fc.weight
    m.fc.weight.grad = ember.ones(3, 4)
    m.double()
    assert m.fc.weight is w and w.dtype == ember.float64 and w.grad.dtype == ember.float64
    assert isinstance(m.fc.weight, Parameter) and m.fc.weight.requires_grad
    assert m.steps.dtype == ember.float64
    m.to(ember.float32)
    assert w.dtype == ember.float32
    m.to("cpu", dtype=ember.float64)
    assert w.dtype == ember.float64
    m.to(ember.zeros(1, dtype=ember.float32))
    assert w.dtype == ember.float32
    with pytest.raises(TypeError, match="only accepts floating point"):
        m.to(ember.int64)
    n = nn.Embedding(3, 2)
    n.half()
    assert n.weight.dtype == ember.float16
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "ReLU", "Net"]


def test_forward_pre_and_post_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre") or (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 1)
    out = m(ember.ones(1, 2))
    assert calls == ["pre", "post"]
    np.testing.assert_allclose(out.detach().numpy(), (m.bias + 1).detach().numpy()[None])
    h1.remove()
    h2.remove()
    assert not m._forward_pre_hooks and not m._forward_hooks

    def pre_kw(mod, args, kwargs):
        return args, {**kwargs}

    def post_kw(mod, args, kwargs, out):
        calls.append(("kw", tuple(kwargs)))

    m.register_forward_pre_hook(pre_kw, with_kwargs=True)
    m.register_forward_hook(post_kw, with_kwargs=True)
    m.register_forward_hook(lambda *a: calls.append("first"), prepend=True)
    calls.clear()
    m(input=ember.ones(2))
    assert calls == ["first", ("kw", ("input",))]
    with pytest.raises(RuntimeError, match="forward pre-hook must return None or a tuple"):
        m.register_forward_pre_hook(lambda mod, a, k: 3, with_kwargs=True)
        m(ember.ones(2))


def test_forward_hook_always_call():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    seen = []
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(ember.ones(1))
    assert seen == [None]


def test_full_backward_hooks_see_grad_input_and_output():
    m = nn.Linear(3, 2)
    x = ember.randn(4, 3, requires_grad=True)
    seen = {}

    def pre(mod, grad_output):
        seen["pre"] = grad_output[0].detach().clone()

    def hook(mod, grad_input, grad_output):
        seen["in"] = grad_input[0].detach().clone()
        seen["out"] = grad_output[0].detach().clone()
        return (grad_input[0] * 2,)

    m.register_full_backward_pre_hook(pre)
    m.register_full_backward_hook(hook)
    y = m(x)
    g = ember.randn(4, 2)
    y.backward(g)
    np.testing.assert_allclose(seen["pre"].numpy(), g.numpy())
    np.testing.assert_allclose(seen["out"].numpy(), g.numpy())
    expected = g.numpy() @ m.weight.detach().numpy()
    np.testing.assert_allclose(seen["in"].numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), 2 * expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks"):
        m.register_backward_hook(lambda *a: None)


def test_backward_hook_without_input_grad_and_pre_hook_replacing():
    m = nn.Linear(3, 2)
    seen = []
    m.register_full_backward_pre_hook(lambda mod, go: (go[0] * 0,))
    m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    m(ember.ones(1, 3)).sum().backward()
    assert seen[0][0] == (None,)
    assert m.weight.grad.abs().sum().item() == 0  # the pre-hook zeroed grad_output


def test_global_forward_hook():
    from ember.nn.modules.module import register_module_forward_hook

    names = []
    h = register_module_forward_hook(lambda mod, args, out: names.append(type(mod).__name__))
    try:
        nn.Sequential(nn.Linear(2, 2), nn.ReLU())(ember.ones(1, 2))
    finally:
        h.remove()
    assert names == ["Linear", "ReLU", "Sequential"]


def test_repr_matches_torch(torch):
    def both(make):
        return repr(make(ember.nn)), repr(make(torch.nn)).replace("torch", "ember")

    cases = [
        lambda n: n.Sequential(n.Linear(4, 3), n.ReLU()),
        lambda n: n.ModuleList([n.Linear(2, 2) for _ in range(3)] + [n.ReLU(), n.ReLU()]),
        lambda n: n.ModuleDict({"a": n.Conv2d(1, 2, 3), "b": n.BatchNorm2d(2)}),
        lambda n: n.Sequential(n.Conv2d(2, 4, 3, padding="same", padding_mode="reflect"),
                               n.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
                               n.MaxPool2d(2), n.AvgPool1d(2), n.AdaptiveAvgPool2d((2, None)),
                               n.Dropout(0.2), n.Embedding(3, 4, padding_idx=0),
                               n.EmbeddingBag(3, 4, mode="sum"), n.LayerNorm(4),
                               n.GroupNorm(2, 4), n.InstanceNorm2d(3), n.RMSNorm(4),
                               n.LocalResponseNorm(2), n.Upsample(scale_factor=2),
                               n.Flatten(), n.Unflatten(1, (2, 2)), n.ZeroPad2d(1),
                               n.ConstantPad1d(2, 3.5), n.PixelShuffle(2), n.Fold(4, 2),
                               n.LeakyReLU(), n.GELU("tanh"), n.Softmax(1), n.Hardtanh(),
                               n.ReLU(inplace=True), n.PReLU(), n.Threshold(0.1, 2.0),
                               n.Bilinear(2, 3, 4), n.Identity(), n.CrossEntropyLoss(),
                               n.LSTM(3, 4, 2, bidirectional=True), n.GRUCell(2, 3, bias=False),
                               n.RNNCell(2, 3, nonlinearity="relu"), n.MultiheadAttention(8, 2),
                               n.LazyLinear(3), n.ChannelShuffle(2), n.CosineSimilarity()),
        lambda n: n.TransformerEncoderLayer(8, 2, 16),
        lambda n: n.ParameterList([n.Parameter(ember_or_torch(n).zeros(2)),
                                   n.Parameter(ember_or_torch(n).zeros(2, 3))]),
        lambda n: n.ParameterDict({"a": n.Parameter(ember_or_torch(n).zeros(2))}),
    ]
    for make in cases:
        mine, theirs = both(make)
        assert mine == theirs


def ember_or_torch(n):
    import sys

    return ember if n is ember.nn else sys.modules["torch"]


def test_deepcopy_pickle_and_dir():
    m = Net()
    m2 = copy.deepcopy(m)
    assert m2.fc.weight is not m.fc.weight
    assert m2.fc.weight.tolist() == m.fc.weight.tolist()
    m3 = pickle.loads(pickle.dumps(m))
    assert isinstance(m3.fc.weight, Parameter) and list(m3.state_dict()) == list(m.state_dict())
    assert {"fc", "scale", "steps", "forward"} <= set(dir(m))
    m.share_memory()


def test_containers():
    a, b, c = nn.Linear(1, 1), nn.ReLU(), nn.Tanh()
    s = nn.Sequential(a, b)
    assert s[0] is a and s[-1] is b and len(s) == 2 and list(s) == [a, b]
    assert isinstance(s[0:1], nn.Sequential) and list(s[0:1]) == [a]
    s.append(c)
    s.insert(0, nn.Identity())
    assert [type(x).__name__ for x in s] == ["Identity", "Linear", "ReLU", "Tanh"]
    assert s.pop(0).__class__.__name__ == "Identity"
    del s[0]
    assert list(s._modules) == ["0", "1"] and list(s) == [b, c]
    s2 = s + nn.Sequential(a)
    assert list(s2) == [b, c, a]
    s.extend([a])
    assert len(s) == 3
    with pytest.raises(IndexError, match="index 5 is out of range"):
        s[5]
    ml = nn.ModuleList([a, b])
    ml += [c]
    ml.insert(1, nn.Identity())
    assert [type(x).__name__ for x in ml] == ["Linear", "Identity", "ReLU", "Tanh"]
    del ml[1]
    assert list(ml._modules) == ["0", "1", "2"]
    md = nn.ModuleDict({"x": a})
    md["y"] = b
    assert list(md.keys()) == ["x", "y"] and "x" in md and md.pop("x") is a
    pl = nn.ParameterList([ember.zeros(2)])
    pl.append(Parameter(ember.ones(1)))
    assert isinstance(pl[0], Parameter) and len(pl) == 2
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pd = nn.ParameterDict({"b": ember.zeros(1), "a": ember.ones(1)})
    assert list(pd.keys()) == ["a", "b"]  # a plain dict is sorted, as in PyTorch
    assert isinstance(pd["a"], Parameter)
    with pytest.raises(RuntimeError, match="should not be called"):
        pl()


def test_lazy_linear_and_conv_materialize():
    m = nn.LazyLinear(3)
    assert m.has_uninitialized_params()
    out = m(ember.ones(2, 5))
    assert type(m) is nn.Linear and m.in_features == 5 and tuple(m.weight.shape) == (3, 5)
    assert tuple(out.shape) == (2, 3) and isinstance(m.weight, Parameter)
    c = nn.LazyConv2d(4, 3)
    c(ember.ones(1, 2, 5, 5))
    assert type(c) is nn.Conv2d and tuple(c.weight.shape) == (4, 2, 3, 3)
    t = nn.LazyConvTranspose1d(4, 3)
    t(ember.ones(1, 2, 5))
    assert type(t) is nn.ConvTranspose1d and tuple(t.weight.shape) == (2, 4, 3)
    b = nn.LazyBatchNorm2d()
    b(ember.randn(2, 3, 4, 4))
    assert type(b) is nn.BatchNorm2d and tuple(b.running_mean.shape) == (3,)
    assert list(b.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"]
    lazy = nn.LazyLinear(2)
    lazy.load_state_dict(nn.Linear(4, 2).state_dict())
    assert tuple(lazy.weight.shape) == (2, 4)


def test_parameter_and_buffer_print_as_pytorch(torch):
    """Parameter and Buffer print their values as ``tensor(...)`` (other Tensor subclasses
    print under their own name)."""
    for make in (lambda n, m: n.Parameter(m.arange(3.0)), lambda n, m: n.Buffer(m.ones(2)),
                 lambda n, m: n.Parameter(m.zeros(14), requires_grad=False)):
        ours, theirs = make(ember.nn, ember), make(torch.nn, torch)
        assert str(ours) == str(theirs).replace("torch.", "ember.")
        assert repr(ours) == repr(theirs).replace("torch.", "ember.")
