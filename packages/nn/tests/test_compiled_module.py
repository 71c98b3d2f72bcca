"""``ember.compile(module)`` returns PyTorch's ``OptimizedModule`` shape: the model under
``_orig_mod`` in ``print``, ``state_dict`` and parameter names; attributes and the training
mode are the wrapped model's. (PyTorch's compiled module is never called here: that would
compile it.)"""

from __future__ import annotations

import copy
import warnings

import pytest

import ember
from ember import nn


def _net(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.BatchNorm1d(4))


def _compiled(lib, model, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lib.compile(model, **kwargs)


def test_wrapper_structure_matches_pytorch(torch):
    ours, theirs = _compiled(ember, _net(ember)), _compiled(torch, _net(torch))
    assert type(ours).__name__ == type(theirs).__name__ == "OptimizedModule"
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert ours._orig_mod._modules.keys() == theirs._orig_mod._modules.keys()


def test_attributes_and_mode_are_the_wrapped_models(torch):
    results = []
    for lib in (ember, torch):
        inner = lib.nn.Linear(2, 3)
        outer = _compiled(lib, inner)
        outer.eval()
        seen = [outer.training, inner.training, outer.weight is inner.weight,
                outer.in_features]
        outer.note = "kept"  # written through to the wrapped module
        seen.append(getattr(inner, "note", None))
        outer.train()
        seen.append(inner.training)
        try:
            lib.nn.Linear(2, 3).load_state_dict(outer.state_dict())
        except RuntimeError as error:
            seen.append(str(error).replace("torch.", "ember."))
        results.append(seen)
    assert results[0] == results[1]


def test_calling_runs_the_wrapped_model_and_trains():
    model = _net(ember)
    compiled = _compiled(ember, model)
    x = ember.randn(5, 3)
    ember.testing.assert_close(compiled(x), model(x))
    optim = pytest.importorskip("ember.optim")
    opt = optim.SGD(compiled.parameters(), lr=0.1)
    before = model[0].weight.detach().clone()
    compiled(x).sum().backward()
    opt.step()
    assert not ember.equal(model[0].weight, before)


def test_deepcopy_keeps_the_wrapper():
    compiled = _compiled(ember, _net(ember))
    twin = copy.deepcopy(compiled)
    assert type(twin).__name__ == "OptimizedModule"
    assert twin._orig_mod is not compiled._orig_mod
    assert list(twin.state_dict()) == list(compiled.state_dict())
    x = ember.randn(4, 3)
    ember.testing.assert_close(twin(x), compiled(x))


def test_disable_and_functions_are_left_alone():
    model = nn.Linear(2, 2)
    assert _compiled(ember, model, disable=True) is model

    def f(x):
        return x + 1

    assert _compiled(ember, f) is f
    decorated = _compiled(ember, None, mode="reduce-overhead")(model)
    assert type(decorated).__name__ == "OptimizedModule" and decorated._orig_mod is model
