"""Scripted and traced modules as PyTorch's: shared tensors, reprs, save and load."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")


def _net(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(3, 2)
            self.bn = lib.nn.BatchNorm1d(2)
            self.act = lib.nn.ReLU()

        def forward(self, x):
            return self.act(self.bn(self.fc(x)))

    lib.manual_seed(0)
    return Net()


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


class Net(nn.Module):  # importable, so that a saved module can be loaded again
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.bn = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.bn(self.fc(x))


@pytest.mark.parametrize("how", ["script", "trace"])
def test_scripted_and_traced_modules_print_and_share_as_pytorch(how):
    m, tm = _net(ember), _net(torch)
    if how == "trace":  # a trace keeps the mode it was recorded in (eval() can't change it)
        m.eval()
        tm.eval()
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    args = () if how == "script" else ((ember.tensor(x),),)
    targs = () if how == "script" else ((torch.tensor(x),),)
    with pytest.warns(FutureWarning, match=f"`torch.jit.{how}` is deprecated"):
        s = getattr(ember.jit, how)(m, *args)
    t = _quiet(getattr(torch.jit, how), tm, *targs)
    assert repr(s) == repr(t)
    assert type(s).__name__ == type(t).__name__
    assert type(s.fc).__name__ == type(t.fc).__name__
    assert s.original_name == t.original_name == "Net"
    assert isinstance(s, nn.Module) and isinstance(s, ember.jit.ScriptModule)
    assert list(s.state_dict()) == list(t.state_dict())
    assert s.fc.weight is m.fc.weight and s.bn.running_mean is m.bn.running_mean
    s.eval()
    t.eval()
    assert m.training == (how == "script") and not s.training and not s.fc.training
    np.testing.assert_allclose(s(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    with ember.no_grad():
        m.fc.weight.fill_(0.5)  # the scripted module sees the original's parameters
    assert np.all(s.fc.weight.detach().numpy() == 0.5)


def test_jit_save_and_load_round_trip(tmp_path):
    m = Net()
    m.train()
    m(ember.randn(5, 3))  # running statistics to save
    s = _quiet(ember.jit.script, m)
    path = tmp_path / "scripted.pt"
    with warnings.catch_warnings():  # the method gives no warning (PyTorch's neither)
        warnings.simplefilter("error")
        s.save(str(path))
    with pytest.warns(FutureWarning, match="`torch.jit.load` is deprecated"):
        loaded = ember.jit.load(path, map_location="cpu")
    assert type(loaded).__name__ == "RecursiveScriptModule" and loaded.original_name == "Net"
    for k, v in m.state_dict().items():
        assert np.array_equal(loaded.state_dict()[k].numpy(), v.numpy()), k
    m.eval()
    loaded.eval()
    x = ember.randn(2, 3)
    assert np.array_equal(loaded(x).detach().numpy(), m(x).detach().numpy())
    buf, extra = io.BytesIO(), {"meta.txt": b"v1"}
    _quiet(ember.jit.save, s, buf, extra)
    buf.seek(0)
    got = {"meta.txt": ""}
    again = _quiet(ember.jit.load, buf, None, got)
    assert got == {"meta.txt": b"v1"} and again.fc.weight.shape == (2, 3)


@pytest.mark.parametrize("dropout", [0.5, 0.0])
@pytest.mark.parametrize("check_trace,checks", [(True, None), (True, 2), (False, None)])
def test_trace_runs_forward_as_often_as_pytorch(check_trace, checks, dropout):
    # buffers and the random stream end where PyTorch's tracing leaves them
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Dropout(dropout), lib.nn.BatchNorm1d(3))

    m, tm = build(ember), build(torch)
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    _quiet(ember.jit.trace, m, ember.tensor(x), None, check_trace,
           None if checks is None else [(ember.tensor(x),)] * checks)
    _quiet(torch.jit.trace, tm, torch.tensor(x), None, check_trace,
           None if checks is None else [(torch.tensor(x),)] * checks)
    assert int(m[1].num_batches_tracked) == int(tm[1].num_batches_tracked)
    np.testing.assert_allclose(m[1].running_mean.numpy(), tm[1].running_mean.numpy(),
                               rtol=1e-6)
    assert ember.rand(1).item() == torch.rand(1).item()
