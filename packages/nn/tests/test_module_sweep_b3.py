"""Module sweep, part 2: loss reductions (the legacy 'elementwise_mean'), the transformer
layers' default activation, ``nn.utils.stateless.functional_call``'s keyword, pruning's
custom-mask refusal and ``nn.modules.utils._list_with_default``, against PyTorch."""

from __future__ import annotations

import importlib
import inspect
import warnings
from typing import Any

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def _r(lib: Any, *shape: int, seed: int = 0) -> Any:
    return lib.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=lib.float32)


def _loss_args(lib: Any, name: str) -> tuple:
    x, y = _r(lib, 3, 4), _r(lib, 3, 4, seed=1)
    cls_t = lib.tensor([0, 3, 1])
    pm = lib.tensor([1.0, -1.0, 1.0])
    return {
        "L1Loss": (x, y), "MSELoss": (x, y), "HuberLoss": (x, y), "SmoothL1Loss": (x, y),
        "CrossEntropyLoss": (x, cls_t), "NLLLoss": (x, cls_t),
        "BCELoss": (x.sigmoid(), y.sigmoid()), "BCEWithLogitsLoss": (x, y.sigmoid()),
        "KLDivLoss": (x, y.sigmoid()), "HingeEmbeddingLoss": (x, y.sign()),
        "MultiLabelMarginLoss": (x, lib.tensor([[0, 1, -1, 0]] * 3)),
        "MultiMarginLoss": (x, cls_t), "SoftMarginLoss": (x, y.sign()),
        "CosineEmbeddingLoss": (x, y, pm), "MarginRankingLoss": (x[:, 0], y[:, 0], pm),
        "TripletMarginLoss": (x, y, _r(lib, 3, 4, seed=2)),
        "CTCLoss": (_r(lib, 5, 3, 4).log_softmax(2), lib.tensor([[1, 2], [3, 3], [1, 1]]),
                    lib.tensor([5, 5, 4]), lib.tensor([2, 2, 1])),
        "PoissonNLLLoss": (x, y.abs()), "MultiLabelSoftMarginLoss": (x, y.gt(0).float()),
        "GaussianNLLLoss": (x, y, _r(lib, 3, 4, seed=3).abs()),
        "TripletMarginWithDistanceLoss": (x, y, _r(lib, 3, 4, seed=2)),
    }[name]


ACCEPTS = ["L1Loss", "MSELoss", "HuberLoss", "SmoothL1Loss", "CrossEntropyLoss", "NLLLoss",
           "BCELoss", "BCEWithLogitsLoss", "KLDivLoss", "HingeEmbeddingLoss",
           "MultiLabelMarginLoss", "MultiMarginLoss", "SoftMarginLoss", "CosineEmbeddingLoss",
           "MarginRankingLoss", "TripletMarginLoss", "CTCLoss"]
REFUSES = ["PoissonNLLLoss", "MultiLabelSoftMarginLoss", "GaussianNLLLoss",
           "TripletMarginWithDistanceLoss"]


def _run(lib: Any, name: str) -> tuple:
    with warnings.catch_warnings(record=True) as wl:
        warnings.simplefilter("always")
        try:
            out = getattr(lib.nn, name)(reduction="elementwise_mean")(*_loss_args(lib, name))
        except Exception as e:  # noqa: BLE001 - compared with PyTorch's
            out = (type(e).__name__, str(e))
    return out, sorted({str(w.message) for w in wl})


@pytest.mark.parametrize("name", ACCEPTS + REFUSES)
def test_elementwise_mean_reduction(torch, name):
    """PyTorch still maps 'elementwise_mean' to 'mean' (with a warning) in the losses that go
    through its reduction enum, and refuses it in the others."""
    (eo, ew), (to, tw) = _run(ember, name), _run(torch, name)
    assert ew == tw
    if isinstance(to, tuple):
        assert eo == to
    else:
        assert not isinstance(eo, tuple), eo
        assert_close(eo, to)
        mean = getattr(ember.nn, name)(reduction="mean")(*_loss_args(ember, name))
        assert_close(eo, mean)


@pytest.mark.parametrize("cls", ["TransformerEncoderLayer", "TransformerDecoderLayer",
                                 "Transformer"])
def test_transformer_default_activation_is_relu_function(torch, cls):
    e = inspect.signature(getattr(ember.nn, cls)).parameters["activation"].default
    t = inspect.signature(getattr(torch.nn, cls)).parameters["activation"].default
    assert e is ember.nn.functional.relu and t is torch.nn.functional.relu
    if cls != "Transformer":
        layer = getattr(ember.nn, cls)(4, 2, 8)
        assert layer.activation is ember.nn.functional.relu
        tl = getattr(torch.nn, cls)(4, 2, 8)  # the decoder layer has no such attribute
        assert getattr(layer, "activation_relu_or_gelu", None) == getattr(
            tl, "activation_relu_or_gelu", None)


def test_stateless_functional_call_keyword(torch):
    """``parameters_and_buffers=`` as PyTorch names it (the call is deprecated: FutureWarning)."""
    outs = []
    for lib in (ember, torch):
        lin = lib.nn.Linear(3, 2)
        w = _r(lib, 2, 3, seed=4)
        b = _r(lib, 2, seed=5)
        with pytest.warns(FutureWarning):
            outs.append(lib.nn.utils.stateless.functional_call(
                lin, parameters_and_buffers={"weight": w, "bias": b}, args=(_r(lib, 4, 3),)))
    assert_close(*outs)


def test_custom_from_mask_shape_refusal(torch):
    importlib.import_module("torch.nn.utils.prune")
    msgs = []
    for lib in (ember, torch):
        with pytest.raises(AssertionError) as info:
            lib.nn.utils.prune.custom_from_mask(lib.nn.Linear(2, 2), "weight", lib.ones(3))
        msgs.append(str(info.value).replace("torch", "ember"))
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("size", [5, [None, 3], [2, None, None], (None,), [1, 2, 3]])
def test_list_with_default(torch, size):
    def call(mod: Any) -> Any:
        try:
            return mod._list_with_default(size, [7, 8, 9])
        except ValueError as e:
            return str(e)
    eu = importlib.import_module("ember.nn.modules.utils")
    tu = importlib.import_module("torch.nn.modules.utils")
    assert call(eu) == call(tu)


TRIPLET_SHAPES = [((4, 5), (4, 3), (4, 5)), ((4, 5), (4, 5), (4, 3)), ((4, 5), (2, 5), (4, 5)),
                  ((4, 5), (4, 5), (3, 5)), ((4, 5), (1, 5), (4, 5)), ((5,), (5,), (3,)),
                  ((4, 5), (4, 5), (2, 5))]


@pytest.mark.parametrize("shapes", TRIPLET_SHAPES)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("fn", ["triplet_margin_loss", "triplet_margin_with_distance_loss"])
def test_triplet_shape_refusals(torch, shapes, swap, fn):
    def call(lib: Any) -> Any:
        args = [_r(lib, *s, seed=i) for i, s in enumerate(shapes)]
        try:
            return getattr(lib.nn.functional, fn)(*args, swap=swap)
        except RuntimeError as e:
            return str(e)
    e, t = call(ember), call(torch)
    if isinstance(t, str):
        assert e == t
    else:
        assert_close(e, t)
