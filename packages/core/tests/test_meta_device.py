"""The ``meta`` device as PyTorch's model-ensembling tutorial uses it: a module skeleton
moved to "meta" whose tensors have shapes and dtypes but no readable data."""

from __future__ import annotations

import copy

import pytest

import ember


def test_meta_tensors_print_and_refuse_data_like_torch(torch):
    for m in (ember, torch):
        t = m.empty(2, 3, device="meta")
        assert t.is_meta and not m.ones(1).is_meta
        assert str(t.device) == "meta" and t.device.index is None
        assert tuple((t @ m.empty(3, 4, device="meta")).shape) == (2, 4)
        with pytest.raises(NotImplementedError, match="Cannot copy out of meta tensor"):
            t.cpu()
        with pytest.raises(RuntimeError):
            t + m.ones(2, 3)
    for make in (lambda m: m.empty(2, device="meta", dtype=m.float64, requires_grad=True),
                 lambda m: m.zeros(0).to("meta"), lambda m: m.tensor(3.0, device="meta"),
                 lambda m: m.empty(2, 3, device="meta", dtype=m.int64)):
        assert repr(make(ember)) == repr(make(torch)).replace("torch", "ember")


def test_meta_draws_do_not_consume_the_cpu_stream(torch):
    for m in (ember, torch):
        m.manual_seed(0)
        m.randn(5, device="meta")
    assert ember.rand(3).tolist() == pytest.approx(torch.rand(3).tolist())


def test_ensembling_base_model_on_meta(torch):
    nn = pytest.importorskip("ember.nn")
    import ember.func as ef

    ember.manual_seed(0)
    models = [nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4)).eval() for _ in range(3)]
    params, buffers = ef.stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    assert all(p.is_meta for p in base.parameters())
    tbase = torch.nn.Linear(5, 4).to("meta")
    assert repr(base[0].weight) == repr(tbase.weight)
    x = ember.randn(6, 5)
    out = ef.vmap(lambda p, b, x: ef.functional_call(base, (p, b), (x,)),
                  in_dims=(0, 0, None))(params, buffers, x)
    ember.testing.assert_close(out, ember.stack([m(x) for m in models]))
    # a skeleton built under the meta device gets real storage from to_empty / assign
    with ember.device("meta"):
        sk = nn.Linear(5, 4)
    sk.load_state_dict(models[0][0].state_dict(), assign=True)
    ember.testing.assert_close(sk(x), models[0][0](x))
