"""More parity with PyTorch: layers built with less common arguments (repr, state, outputs,
gradients in train and eval mode) and the errors PyTorch raises for mixed dtypes and bad
shapes in normalization, embedding bags, attention and losses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ember

_R = np.random.default_rng(0)


def _x(*s: int) -> np.ndarray:
    return _R.standard_normal(s).astype(np.float32)


_CASES = [
    ("Conv1d", (3, 4, 3), {"padding_mode": "circular", "padding": 1}, [_x(2, 3, 7)]),
    ("Conv1d", (3, 4, 3), {"padding": "same", "dilation": 2}, [_x(2, 3, 7)]),
    ("Conv2d", (4, 6, 3), {"groups": 2, "padding_mode": "reflect", "padding": 1, "stride": 2},
     [_x(2, 4, 7, 7)]),
    ("Conv2d", (4, 6, (3, 2)), {"padding_mode": "replicate", "padding": (1, 2), "bias": False},
     [_x(2, 4, 7, 7)]),
    ("ConvTranspose2d", (4, 6, 3), {"stride": 2, "groups": 2, "dilation": 2, "padding": 1},
     [_x(2, 4, 5, 5)]),
    ("BatchNorm2d", (4,), {"momentum": None}, [_x(3, 4, 5, 5)]),
    ("InstanceNorm1d", (4,), {"affine": True, "track_running_stats": True}, [_x(3, 4, 6)]),
    ("LayerNorm", ([4, 5],), {"bias": False}, [_x(3, 4, 5)]),
    ("RMSNorm", ([4, 5],), {"eps": 1e-5}, [_x(3, 4, 5)]),
    ("RNN", (4, 5), {"num_layers": 2, "nonlinearity": "relu"}, [_x(6, 2, 4)]),
    ("RNN", (4, 5), {"batch_first": True, "bidirectional": True, "bias": False}, [_x(2, 6, 4)]),
    ("LSTM", (4, 5), {"proj_size": 3, "num_layers": 2}, [_x(6, 2, 4)]),
    ("LSTM", (4, 5), {"bidirectional": True, "batch_first": True, "proj_size": 2},
     [_x(2, 6, 4)]),
    ("GRU", (4, 5), {"num_layers": 2, "bidirectional": True}, [_x(6, 2, 4)]),
    ("MultiheadAttention", (8, 2), {"batch_first": True, "kdim": 6, "vdim": 4},
     [_x(3, 5, 8), _x(3, 4, 6), _x(3, 4, 4)]),
    ("MultiheadAttention", (8, 2), {"add_bias_kv": True, "add_zero_attn": True, "bias": False},
     [_x(5, 3, 8), _x(4, 3, 8), _x(4, 3, 8)]),
    ("TransformerEncoderLayer", (8, 2, 16),
     {"dropout": 0.0, "norm_first": True, "activation": "gelu", "batch_first": True},
     [_x(3, 5, 8)]),
    ("TransformerDecoderLayer", (8, 2, 16), {"dropout": 0.0, "norm_first": True, "bias": False},
     [_x(5, 3, 8), _x(4, 3, 8)]),
    ("EmbeddingBag", (10, 3), {"mode": "sum", "padding_idx": 1},
     [np.array([[1, 2, 1], [3, 4, 1]])]),
    ("EmbeddingBag", (10, 3), {"mode": "max"}, [_R.integers(0, 10, (4, 5))]),
    ("Fold", ((4, 5), (2, 2)), {}, [_x(2, 12, 12)]),
    ("Unfold", ((2, 3),), {"padding": 1, "stride": 2}, [_x(2, 3, 5, 6)]),
    ("AdaptiveLogSoftmaxWithLoss", (8, 10, [4, 8]), {"div_value": 2.0},
     [_x(5, 8), _R.integers(0, 10, 5)]),
]


@pytest.mark.parametrize("case", _CASES, ids=lambda c: f"{c[0]}-{sorted(c[2])}")
def test_uncommon_arguments(compare_layer: Any, torch: Any, case: tuple) -> None:
    name, args, kw, inputs = case
    tm, em = compare_layer(lambda nn: getattr(nn, name)(*args, **kw), inputs)
    assert repr(em) == repr(tm)


_NORMS = {
    "batch_norm": lambda F, x, w: F.batch_norm(x, None, None, w, w, training=True),
    "batch_norm_stats": lambda F, x, w: F.batch_norm(x, w * 0, w, training=False),
    "instance_norm": lambda F, x, w: F.instance_norm(x, weight=w),
    "group_norm": lambda F, x, w: F.group_norm(x, 2, w, w),
    "layer_norm": lambda F, x, w: F.layer_norm(x.transpose(1, 2), (4,), w, w),
}


@pytest.mark.parametrize("fn", list(_NORMS))
@pytest.mark.parametrize("xdt", ["float64", "float32", "float16", "bfloat16"])
@pytest.mark.parametrize("wdt", ["float64", "float32", "bfloat16"])
def test_norm_mixed_dtypes(torch: Any, fn: str, xdt: str, wdt: str) -> None:
    x = np.random.default_rng(1).standard_normal((3, 4, 5))
    res = []
    for lib in (torch, ember):
        xt = lib.tensor(x).to(getattr(lib, xdt))
        w = lib.ones(4, dtype=getattr(lib, wdt))
        try:
            res.append(str(_NORMS[fn](lib.nn.functional, xt, w).dtype).split(".")[-1])
        except RuntimeError as err:
            res.append(str(err))
    assert res[1] == res[0]


def _outcome(f: Any) -> Any:
    try:
        out = f()
    except (RuntimeError, ValueError, AssertionError, IndexError) as err:
        return type(err).__name__, str(err).replace("torch.Size", "Size")
    return tuple(out.shape)


def _same(torch: Any, make: Any) -> None:
    t = _outcome(lambda: make(torch))
    e = _outcome(lambda: make(ember))
    if isinstance(e, tuple) and len(e) == 2 and isinstance(e[1], str):
        e = (e[0], e[1].replace("ember.Size", "Size"))
    assert e == t


@pytest.mark.parametrize("inp,off,kw", [
    ([0, 1, 2, 3], [0.0, 2.0], {}),
    ([0.0, 1, 2, 3], [0, 2], {}),
    ([0], [0, 3], {}),
    ([0, 1, 2, 3], [0, 9], {"include_last_offset": True}),
    ([0, 1, 2, 3], [0], {"include_last_offset": True}),
    ([0, 1, 2, 3], [0, 2], {"include_last_offset": True}),
    ([0, 1, 2, 3], [0, 2], {"mode": "max"}),
])
def test_embedding_bag_offsets(torch: Any, inp: list, off: list, kw: dict) -> None:
    w = np.random.default_rng(2).standard_normal((10, 3)).astype(np.float32)
    _same(torch, lambda lib: lib.nn.functional.embedding_bag(lib.tensor(inp), lib.tensor(w),
                                                             lib.tensor(off), **kw))


_BAD = {
    "mha_kdim": lambda lib: lib.nn.MultiheadAttention(8, 2, batch_first=True, kdim=6, vdim=4)(
        lib.ones(3, 5, 8), lib.ones(3, 4, 1), lib.ones(3, 4, 4))[0],
    "mha_vdim": lambda lib: lib.nn.MultiheadAttention(8, 2, batch_first=True, kdim=6, vdim=4)(
        lib.ones(3, 5, 8), lib.ones(3, 4, 6), lib.ones(3, 4, 2))[0],
    "softmax2d": lambda lib: lib.nn.Softmax2d()(lib.ones(5)),
    "prelu": lambda lib: lib.nn.PReLU(3)(lib.ones(2, 3, dtype=lib.float64)),
    "bilinear": lambda lib: lib.nn.functional.bilinear(
        lib.ones(2, 3, dtype=lib.float64), lib.ones(2, 3), lib.ones(2, 3, 3), lib.ones(2)),
    "ce_batch": lambda lib: lib.nn.functional.cross_entropy(lib.ones(5, 4), lib.ones(20)),
    "nll_batch": lambda lib: lib.nn.functional.nll_loss(lib.ones(5, 4), lib.ones(20)),
    "ce_weight": lambda lib: lib.nn.functional.cross_entropy(
        lib.ones(5, 4, dtype=lib.float64), lib.zeros(5, dtype=lib.int64), lib.ones(4)),
    "ce_weight_probs": lambda lib: lib.nn.functional.cross_entropy(
        lib.ones(5, 4, dtype=lib.float64), lib.ones(5, 4, dtype=lib.float64), lib.ones(4)),
    "nll_weight": lambda lib: lib.nn.functional.nll_loss(
        lib.ones(5, 4), lib.zeros(5, dtype=lib.int64), lib.ones(4, dtype=lib.float64)),
    "soft_margin_bcast": lambda lib: lib.nn.functional.soft_margin_loss(
        lib.ones(5, 1), lib.ones(5, 4), reduction="none"),
    "soft_margin_ok": lambda lib: lib.nn.functional.soft_margin_loss(
        lib.ones(5, 4), lib.ones(4), reduction="none"),
    "soft_margin_target_grad": lambda lib: lib.nn.functional.soft_margin_loss(
        lib.ones(5, 4), lib.ones(5, 4, requires_grad=True)),
    "multi_margin_target": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(5, 4), lib.zeros(5, 1, dtype=lib.int64)),
    "multi_margin_3d": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(2, 5, 4), lib.zeros(5, dtype=lib.int64)),
    "multi_margin_weight": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(5, 4, dtype=lib.float64), lib.zeros(5, dtype=lib.int64), weight=lib.ones(4)),
    "multi_margin_1d": lambda lib: lib.nn.functional.multi_margin_loss(
        lib.ones(4), lib.tensor(1)),
    "multilabel_float_target": lambda lib: lib.nn.functional.multilabel_margin_loss(
        lib.ones(5, 4), lib.ones(5, 4)),
}


@pytest.mark.parametrize("name", list(_BAD))
def test_errors_like_torch(torch: Any, name: str) -> None:
    _same(torch, _BAD[name])


def test_pad_sequence_bad_side(torch: Any) -> None:
    _same(torch, lambda lib: lib.nn.utils.rnn.pad_sequence([lib.ones(2), lib.ones(3)],
                                                           padding_side="middle"))
