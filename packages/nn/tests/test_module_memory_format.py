"""``Module.to(memory_format=...)`` against PyTorch: 4-D (and 5-D) parameters and buffers
change layout, others are left alone, and the rank errors match."""

from __future__ import annotations

import pytest

import ember
import ember.nn as enn
from ember.testing import assert_close


def _build(nn):
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4, 2))


def _tensors(m):
    return dict(list(m.named_parameters()) + list(m.named_buffers()))


@pytest.mark.parametrize("args", [(), ("float64",)])
def test_module_to_channels_last(torch, args):
    me, mt = _build(enn), _build(torch.nn)
    mt.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                        for k, v in me.state_dict().items()})
    dt_e = [getattr(ember, a) for a in args]
    dt_t = [getattr(torch, a) for a in args]
    params_before = {k: id(v) for k, v in me.named_parameters()}
    assert me.to(*dt_e, memory_format=ember.channels_last) is me
    mt.to(*dt_t, memory_format=torch.channels_last)
    te, tt = _tensors(me), _tensors(mt)
    assert te.keys() == tt.keys()
    for k in tt:
        assert te[k].stride() == tt[k].stride(), k
        assert te[k].dtype.name == str(tt[k].dtype).split(".")[-1], k
        assert_close(te[k].detach(), tt[k].detach(), check_dtype=False)
    assert params_before == {k: id(v) for k, v in me.named_parameters()}  # same Parameters
    assert me[0].weight.is_contiguous(memory_format=ember.channels_last)
    x = ember.randn(2, 3, 3, 3, dtype=dt_e[0] if dt_e else None)
    assert_close(me(x), mt(torch.from_numpy(x.numpy().copy())))


def test_module_to_memory_format_errors_and_3d(torch):
    for fmt in ("channels_last", "channels_last_3d"):
        ce, ct = enn.Conv3d(2, 2, 3), torch.nn.Conv3d(2, 2, 3)
        try:
            ct.to(memory_format=getattr(torch, fmt))
        except RuntimeError as err:
            with pytest.raises(RuntimeError, match=str(err)):
                ce.to(memory_format=getattr(ember, fmt))
        else:
            ce.to(memory_format=getattr(ember, fmt))
            assert ce.weight.stride() == ct.weight.stride()
    lin = enn.Linear(3, 2).to(memory_format=ember.channels_last)  # nothing 4-D: untouched
    assert lin.weight.is_contiguous()
