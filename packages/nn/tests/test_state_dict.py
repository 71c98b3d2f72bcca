"""state_dict / load_state_dict: keys and order as PyTorch, round trips, errors, hooks."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn


def _keys(m):
    return list(m.state_dict())


def test_keys_and_order_match_torch(torch):
    makers = [
        lambda n: n.Sequential(n.Conv2d(1, 2, 3), n.BatchNorm2d(2), n.ReLU(), n.Flatten(),
                               n.Linear(8, 2)),
        lambda n: n.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2),
        lambda n: n.GRU(3, 4, bias=False),
        lambda n: n.MultiheadAttention(8, 2, add_bias_kv=True),
        lambda n: n.MultiheadAttention(8, 2, kdim=3, vdim=5),
        lambda n: n.Transformer(8, 2, 1, 1, 16),
        lambda n: n.InstanceNorm1d(3, affine=True, track_running_stats=True),
        lambda n: n.EmbeddingBag(4, 2),
        lambda n: n.ParameterDict({"a": n.Parameter(ember_or_torch(n).zeros(1))}),
    ]
    import sys

    def ember_or_torch(n):
        return ember if n is ember.nn else sys.modules["torch"]

    for make in makers:
        tm, em = make(torch.nn), make(ember.nn)
        assert _keys(em) == _keys(tm)
        for (k, e), (_, t) in zip(em.state_dict().items(), tm.state_dict().items()):
            assert tuple(e.shape) == tuple(t.shape), k
        assert em.state_dict()._metadata.keys() == tm.state_dict()._metadata.keys()


def test_round_trip_and_keep_vars():
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert type(sd["0.weight"]) is ember.Tensor and not sd["0.weight"].requires_grad
    assert m.state_dict(keep_vars=True)["0.weight"] is m[0].weight
    assert list(m.state_dict(prefix="x.")) [0] == "x.0.weight"
    m2 = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    res = m2.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    assert m2[0].weight.tolist() == m[0].weight.tolist()
    w = m2[0].weight
    m2.load_state_dict(sd)
    assert m2[0].weight is w  # copied in place
    m2.load_state_dict(sd, assign=True)
    assert m2[0].weight is not w and isinstance(m2[0].weight, nn.Parameter)


def test_errors_list_every_problem():
    m = nn.Sequential(OrderedDict(fc=nn.Linear(4, 10), out=nn.Linear(10, 2)))
    sd = m.state_dict()
    sd["fc.weight"] = ember.zeros(10, 5)
    sd["out.bias"] = ember.zeros(3)
    sd["extra"] = ember.zeros(1)
    del sd["out.weight"]
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:\n\t")
    assert 'Missing key(s) in state_dict: "out.weight". ' in msg
    assert 'Unexpected key(s) in state_dict: "extra". ' in msg
    assert ("size mismatch for fc.weight: copying a param with shape ember.Size([10, 5]) from "
            "checkpoint, the shape in current model is ember.Size([10, 4]).") in msg
    assert "size mismatch for out.bias" in msg
    del sd["fc.weight"], sd["out.bias"]
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc.weight", "out.weight", "out.bias"]
    assert res.unexpected_keys == ["extra"]
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([1, 2])


def test_batchnorm_old_checkpoint_without_num_batches_tracked():
    bn = nn.BatchNorm1d(3)
    sd = bn.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""] = {"version": 1}
    bn.load_state_dict(sd)  # version < 2: filled in, no missing key


def test_hooks_and_extra_state():
    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.value = 3

        def get_extra_state(self):
            return {"value": self.value}

        def set_extra_state(self, state):
            self.value = state["value"]

    m = WithExtra()
    sd = m.state_dict()
    assert list(sd) == ["_extra_state", "lin.weight", "lin.bias"]  # own state before children
    m2 = WithExtra()
    m2.value = 0
    m2.load_state_dict(sd)
    assert m2.value == 3
    calls = []
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append("pre"))
    m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: calls.append("post"))
    m.register_load_state_dict_pre_hook(lambda mod, sd, *a: calls.append("lpre"))
    m.register_load_state_dict_post_hook(lambda mod, keys: calls.append("lpost"))
    m.load_state_dict(m.state_dict())
    assert calls == ["pre", "post", "lpre", "lpost"]


def test_load_from_torch_state_dict(torch):
    tm = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    em = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    em.load_state_dict(tm.state_dict())  # torch tensors are converted
    np.testing.assert_allclose(em[0].weight.numpy(force=True), tm[0].weight.detach().numpy())
    assert em[1].num_batches_tracked.dtype == ember.int64


def test_whole_pytorch_model_and_optimizer_checkpoint_load_as_ember_objects(torch, tmp_path):
    import warnings

    import ember.nn

    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.BatchNorm1d(4))
    opt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    tm(torch.randn(6, 3)).sum().backward()
    opt.step()
    torch.save({"model": tm, "opt": opt.state_dict(), "epoch": 3}, tmp_path / "full.pt")
    with pytest.raises(ember.serialization.UnsafeCheckpointError):
        ember.load(tmp_path / "full.pt")  # weights_only=True refuses module classes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ck = ember.load(tmp_path / "full.pt", weights_only=False)
    model = ck["model"]
    assert isinstance(model, ember.nn.Sequential) and isinstance(model[0], ember.nn.Linear)
    assert isinstance(model[0].weight, ember.nn.Parameter)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    tm.eval()
    model.eval()
    np.testing.assert_allclose(model(ember.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    assert ck["epoch"] == 3 and set(ck["opt"]["state"]) == {0, 1, 2, 3}
