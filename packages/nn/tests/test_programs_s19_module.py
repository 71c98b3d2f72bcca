"""Users' nn.Module and nn.utils programs against PyTorch: ``Module.to``'s argument rules,
``requires_grad_``, loading into meta modules, and nn.utils' messages."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.utils as U


def _same_error(fe, ft):
    """Both raise the same exception class, with PyTorch's message spelled ember."""
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(Exception) as ee:
        fe()
    assert type(ee.value).__name__ == type(te.value).__name__
    assert str(ee.value) == str(te.value).replace("torch", "ember")


TO_CALLS = [
    lambda L: ("cpu", 5), lambda L: ("cpu", L.float64, 3), lambda L: (L.float32, "cpu"),
    lambda L: ("cpu", True, True, True), lambda L: (L.zeros(1), "cpu"), lambda L: (L.float64, 1),
    lambda L: (L.float64, True, False), lambda L: ("cpu", L.float64, True, False),
]


@pytest.mark.parametrize("k", range(len(TO_CALLS)))
def test_module_to_rejects_what_pytorch_rejects(torch, k):
    _same_error(lambda: ember.nn.Linear(1, 1).to(*TO_CALLS[k](ember)),
                lambda: torch.nn.Linear(1, 1).to(*TO_CALLS[k](torch)))


def test_module_to_copy_keyword_is_refused(torch):
    _same_error(lambda: ember.nn.Linear(1, 1).to(copy=False),
                lambda: torch.nn.Linear(1, 1).to(copy=False))


TO_OK = [
    lambda L: (None,), lambda L: ("cpu", None, True), lambda L: (L.float64,),
    lambda L: (L.float64, True), lambda L: (L.zeros(1, dtype=L.float64),),
    lambda L: (L.device("cpu"),), lambda L: ("cpu", L.float64), lambda L: ("cpu",),
    lambda L: (L.zeros(1, dtype=L.float64), True),
]


@pytest.mark.parametrize("k", range(len(TO_OK)))
def test_module_to_accepts_pytorchs_overloads(torch, k):
    e = ember.nn.Linear(2, 2).to(*TO_OK[k](ember))
    t = torch.nn.Linear(2, 2).to(*TO_OK[k](torch))
    assert str(e.weight.dtype) == str(t.weight.dtype).replace("torch", "ember")
    assert str(e.weight.device) == str(t.weight.device)
    e = ember.nn.Linear(2, 2).to(dtype=ember.float64, device="cpu", non_blocking=True)
    assert e.weight.dtype == ember.float64


@pytest.mark.parametrize("value", [0, 1, None, "yes"])
def test_requires_grad_wants_a_bool(torch, value):
    _same_error(lambda: ember.nn.Linear(1, 1).requires_grad_(value),
                lambda: torch.nn.Linear(1, 1).requires_grad_(value))
    # no parameters: nothing checks the flag, in either library
    assert isinstance(ember.nn.ReLU().requires_grad_(value), ember.nn.ReLU)
    torch.nn.ReLU().requires_grad_(value)


def test_loading_into_meta_module_warns_as_pytorch(torch):
    def run(L):
        m = L.nn.Linear(3, 3, device="meta")
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.load_state_dict({"weight": L.ones(3, 3), "bias": L.ones(3)})
        return [str(x.message) for x in w], m.weight.device.type

    we, de = run(ember)
    wt, dt = run(torch)
    assert we == wt
    assert de == dt == "meta"


def test_assign_into_meta_module_does_not_warn(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = nn.Linear(3, 3, device="meta")
        m.load_state_dict({"weight": ember.ones(3, 3), "bias": ember.ones(3)}, assign=True)
    assert m.weight.device.type == "cpu"
    assert isinstance(m.weight, nn.Parameter)


def test_vector_to_parameters_type_error_is_pytorchs(torch):
    _same_error(lambda: U.vector_to_parameters([1], nn.Linear(1, 1).parameters()),
                lambda: torch.nn.utils.vector_to_parameters([1],
                                                            torch.nn.Linear(1, 1).parameters()))


def test_clip_grad_norm_deprecation_names_ember(torch):
    def run(L):
        p = L.nn.Parameter(L.ones(3))
        p.grad = L.tensor(np.array([3.0, 4.0, 0.0], dtype=np.float32))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            n = L.nn.utils.clip_grad_norm(p, 1.0)
        return [str(x.message) for x in w], float(n), p.grad.tolist()

    (we, ne, ge), (wt, nt, gt) = run(ember), run(torch)
    assert we == [m.replace("torch", "ember") for m in wt]
    assert ne == pytest.approx(nt)
    assert ge == pytest.approx(gt)
