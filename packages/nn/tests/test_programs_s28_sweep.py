"""Session 28, lane M: a sweep of ``torch.nn`` modules, ``nn.functional`` and ``nn.init``
against PyTorch.

Fixed here (each test failed before the fix):
- ``nn.LazyInstanceNorm1d/2d/3d`` take PyTorch's keyword-only ``bias`` (no bias parameter
  when ``affine=True, bias=False``);
- ``F.batch_norm`` (so ``nn.BatchNorm*d``) refuses ``eps <= 0`` when normalizing with batch
  statistics and ``eps < 0`` otherwise, with PyTorch's ValueErrors;
- ``F.conv_transpose1d/2d/3d`` (and ``nn.ConvTranspose*d``) refuse a negative output_padding
  with PyTorch's RuntimeError, not a NumPy reshape error;
- ``torch.cosine_similarity`` / ``F.cosine_similarity`` / ``nn.CosineSimilarity`` refuse a
  negative (or NaN) eps, the value in C++'s default float format;
- batch and instance norm of an integer, bool or complex input with float parameters or
  statistics: PyTorch's NotImplementedError ('"batch_norm" not implemented for 'Long''), not
  the mixed-dtype RuntimeError;
- instance norm of an empty batch: with an affine weight/bias PyTorch's IndexError; with
  running statistics NaN statistics without NumPy's "Mean of empty slice" warning, and
  float16/bfloat16 forward and backward no longer crash;
- ``F.margin_ranking_loss`` with input1/input2 sizes that do not broadcast names them in
  PyTorch's order (input1 is tensor a);
- ``F.conv_tbc`` was missing (``torch.conv_tbc`` re-exported);
- ``F.max_pool1d/2d/3d_with_indices`` default ``return_indices`` to False as PyTorch's.

Guarded (already matching, easy to break): for a table of module classes constructed with
typical and keyword arguments, ``repr``, the ``state_dict`` names/shapes/dtypes, and, with
PyTorch's state loaded, the train and eval outputs and input/parameter gradients; a table of
``nn.functional`` calls in positional and all-keyword forms (output and input gradient);
``nn.init`` functions under the same seed.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import pytest
from _programs import same_printed

import ember

torch = pytest.importorskip("torch")


# ---------------------------------------------------------------- fixes, as whole programs

LAZY_INSTANCE_NORM_BIAS = """
import torch
torch.manual_seed(0)
x = torch.randn(2, 3, 5, 4, 2)
for cls, inp in ((torch.nn.LazyInstanceNorm1d, x[..., 0, 0]),
                 (torch.nn.LazyInstanceNorm2d, x[..., 0]), (torch.nn.LazyInstanceNorm3d, x)):
    m = cls(affine=True, bias=False)
    y = m(inp)
    print(m)
    print([(k, tuple(v.shape)) for k, v in m.state_dict().items()])
    print(m.bias, y.shape)
    m = cls(1e-3, 0.2, True, False, bias=True)
    m(inp)
    print(m, [k for k, _ in m.named_parameters()])
"""

BATCH_NORM_EPS = """
import torch
import torch.nn.functional as F
torch.manual_seed(0)
x = torch.randn(4, 3, 5)
def show(f):
    try:
        print(f().shape)
    except Exception as e:
        print(type(e).__name__, e)
show(lambda: F.batch_norm(x, None, None, training=True, eps=0.0))
show(lambda: F.batch_norm(x, None, None, training=True, eps=-1))
show(lambda: F.batch_norm(x, torch.zeros(3), torch.ones(3), training=False, eps=-1e-5))
show(lambda: F.batch_norm(x, torch.zeros(3), torch.ones(3), training=False, eps=0))
show(lambda: F.batch_norm(x[:1, :, :1], None, None, training=True, eps=0.0))
show(lambda: torch.nn.BatchNorm1d(3, eps=0)(x))
show(lambda: torch.nn.BatchNorm1d(3, eps=0).eval()(x))
show(lambda: torch.nn.BatchNorm1d(3, eps=-2.5).eval()(x))
show(lambda: torch.nn.BatchNorm1d(3, eps=0.0, track_running_stats=False).eval()(x))
show(lambda: torch.nn.BatchNorm2d(3, eps=0.0)(x[..., None]))
"""

CONV_TRANSPOSE_NEGATIVE_OUTPUT_PADDING = """
import torch
import torch.nn.functional as F
torch.manual_seed(0)
x = torch.randn(2, 3, 4, 4, 4)
def show(f):
    try:
        print(f().shape)
    except Exception as e:
        print(type(e).__name__, e)
show(lambda: F.conv_transpose1d(x[..., 0, 0], torch.randn(3, 2, 3), stride=2, output_padding=-1))
show(lambda: F.conv_transpose2d(x[..., 0], torch.randn(3, 2, 3, 3), stride=2,
                                output_padding=(0, -1)))
show(lambda: F.conv_transpose3d(x, torch.randn(3, 2, 2, 2, 2), stride=2,
                                output_padding=(-1, 0, 0)))
show(lambda: torch.nn.ConvTranspose2d(3, 2, 3, stride=2, output_padding=-1)(x[..., 0]))
show(lambda: torch.nn.ConvTranspose2d(3, 2, 3, stride=2, output_padding=1)(x[..., 0]))
"""

COSINE_SIMILARITY_NEGATIVE_EPS = """
import torch
import torch.nn.functional as F
torch.manual_seed(0)
a, b = torch.randn(3, 4), torch.randn(3, 4)
def show(f):
    try:
        print(f().shape)
    except Exception as e:
        print(type(e).__name__, e)
show(lambda: F.cosine_similarity(a, b, eps=-1))
show(lambda: F.cosine_similarity(a, b, dim=0, eps=-0.1))
show(lambda: torch.cosine_similarity(a, b, 1, -1e-20))
show(lambda: torch.nn.CosineSimilarity(eps=-123456789.0)(a, b))
show(lambda: F.cosine_similarity(a, b.double(), eps=-2.5))
show(lambda: F.cosine_similarity(a, b, eps=float('nan')))
show(lambda: F.cosine_similarity(a, b, eps=0.0))
"""

NORM_NON_FLOAT_INPUT = """
import torch
import torch.nn.functional as F
x = torch.ones(4, 3, 5, dtype=torch.long)
def show(f):
    try:
        print(f().shape)
    except Exception as e:
        print(type(e).__name__, e)
show(lambda: torch.nn.BatchNorm1d(3)(x))
show(lambda: torch.nn.BatchNorm1d(3).eval()(x.int()))
show(lambda: F.batch_norm(x.bool(), torch.zeros(3), torch.ones(3)))
show(lambda: F.batch_norm(x.to(torch.complex64), torch.zeros(3), torch.ones(3)))
show(lambda: torch.nn.InstanceNorm1d(3, affine=True)(x))
show(lambda: F.batch_norm(x.double(), torch.zeros(3), torch.ones(3)))
show(lambda: F.batch_norm(x, None, None, training=True))
"""

INSTANCE_NORM_EMPTY_BATCH = """
import warnings
import torch
import torch.nn.functional as F
warnings.simplefilter("error")
def show(f):
    try:
        print(f().shape)
    except Exception as e:
        print(type(e).__name__, e)
x = torch.randn(0, 3, 6)
show(lambda: torch.nn.InstanceNorm1d(3, affine=True)(x))
show(lambda: F.instance_norm(x, bias=torch.ones(3)))
show(lambda: F.instance_norm(torch.randn(2, 0, 6), weight=torch.ones(0)))
show(lambda: F.instance_norm(x.long(), weight=torch.ones(3)))
show(lambda: F.instance_norm(torch.randn(0, 3, 1), weight=torch.ones(3)))
for dt in (torch.float32, torch.float16, torch.bfloat16, torch.float64):
    m = torch.nn.InstanceNorm2d(3, track_running_stats=True).to(dt)
    m.running_mean.fill_(0.5)
    x = torch.randn(0, 3, 4, 4, dtype=dt, requires_grad=True)
    y = m(x)
    y.sum().backward()
    print(y.shape, y.dtype, m.running_mean, m.running_var, m.num_batches_tracked, x.grad.shape)
"""

MARGIN_RANKING_MISMATCH = """
import torch
import torch.nn.functional as F
def show(f):
    try:
        print(f().shape)
    except Exception as e:
        print(type(e).__name__, e)
show(lambda: F.margin_ranking_loss(torch.randn(6), torch.randn(5), torch.ones(5)))
show(lambda: F.margin_ranking_loss(torch.randn(5), torch.randn(6), torch.ones(5)))
show(lambda: F.margin_ranking_loss(torch.randn(5), torch.randn(5), torch.ones(6)))
show(lambda: torch.nn.MarginRankingLoss()(torch.randn(2, 3), torch.randn(2, 4), torch.ones(2, 3)))
show(lambda: F.margin_ranking_loss(torch.randn(5), torch.randn(1), torch.ones(5), reduction="none"))
"""

CONV_TBC = """
import torch
import torch.nn.functional as F
torch.manual_seed(0)
x = torch.randn(5, 2, 3, requires_grad=True)
w = torch.randn(3, 3, 4, requires_grad=True)
b = torch.randn(4, requires_grad=True)
y = F.conv_tbc(x, w, b, 1)
print(y.shape, y.grad_fn.name())
y.pow(2).sum().backward()
print(y.detach().numpy().round(4).tolist())
print(x.grad.numpy().round(3).tolist(), w.grad.shape, b.grad.shape)
print(F.conv_tbc(x, w, b, pad=0).shape)
"""


@pytest.mark.parametrize("src", [CONV_TBC, LAZY_INSTANCE_NORM_BIAS, BATCH_NORM_EPS,
                                 CONV_TRANSPOSE_NEGATIVE_OUTPUT_PADDING,
                                 COSINE_SIMILARITY_NEGATIVE_EPS, NORM_NON_FLOAT_INPUT,
                                 INSTANCE_NORM_EMPTY_BATCH, MARGIN_RANKING_MISMATCH],
                         ids=["conv_tbc", "lazy_instance_norm_bias", "batch_norm_eps",
                              "conv_transpose_negative_output_padding",
                              "cosine_similarity_negative_eps", "norm_non_float_input",
                              "instance_norm_empty_batch", "margin_ranking_mismatch"])
def test_program(src: str) -> None:
    same_printed(src)


def test_lazy_instance_norm_signature() -> None:
    for n in ("LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"):
        t = inspect.signature(getattr(torch.nn, n).__init__).parameters
        e = inspect.signature(getattr(ember.nn, n).__init__).parameters
        assert [(p.name, p.kind, p.default) for p in e.values()] == \
            [(p.name, p.kind, p.default) for p in t.values()], n


def test_max_pool_with_indices_signature() -> None:
    """PyTorch's ``F.max_poolNd_with_indices`` default ``return_indices`` to False (and
    return the indices whatever it is)."""
    x = ember.randn(1, 2, 4, 4, 4)
    for d in (1, 2, 3):
        name = f"max_pool{d}d_with_indices"
        t = inspect.signature(getattr(torch.nn.functional, name)).parameters
        e = inspect.signature(getattr(ember.nn.functional, name)).parameters
        assert [(p.name, p.default) for p in e.values()] == \
            [(p.name, p.default) for p in t.values()], name
        xd = x[(0,) * (3 - d)]
        out = getattr(ember.nn.functional, name)(xd, 2, return_indices=False)
        assert isinstance(out, tuple) and len(out) == 2


# ---------------------------------------------------------------- module sweep (guard)

_R = np.random.default_rng(28)


def _rn(*s: int) -> np.ndarray:
    return _R.standard_normal(s).astype(np.float32)


def _rp(*s: int) -> np.ndarray:
    return (np.abs(_R.standard_normal(s)) + 0.1).astype(np.float32)


def _sg(x: np.ndarray) -> np.ndarray:
    return (1 / (1 + np.exp(-x))).astype(np.float32)


# name: (positional args, keyword args, inputs)
MODULES: dict[str, tuple[tuple, dict, list]] = {
    "Linear": ((4,), dict(out_features=3, bias=True), [_rn(2, 4)]),
    "Bilinear": ((4, 5, 3), {}, [_rn(2, 4), _rn(2, 5)]),
    "LazyLinear": ((), dict(out_features=3), [_rn(2, 4)]),
    "Conv1d": ((3, 4, 3), dict(stride=2, padding=1, dilation=1, groups=1, bias=True,
                               padding_mode="zeros"), [_rn(2, 3, 9)]),
    "Conv2d": ((), dict(in_channels=4, out_channels=6, kernel_size=3, padding="same", groups=2,
                        padding_mode="reflect"), [_rn(2, 4, 7, 7)]),
    "Conv3d": ((2, 3, 2), dict(padding=1, padding_mode="circular"), [_rn(1, 2, 4, 4, 4)]),
    "ConvTranspose1d": ((3, 4, 3), dict(stride=2, output_padding=1), [_rn(2, 3, 5)]),
    "ConvTranspose2d": ((4, 2, 3), dict(stride=2, padding=1, groups=2, dilation=2),
                        [_rn(2, 4, 5, 5)]),
    "LazyConv2d": ((4, 3), dict(stride=2), [_rn(2, 3, 7, 7)]),
    "Unfold": ((2,), dict(dilation=1, padding=1, stride=2), [_rn(2, 3, 5, 5)]),
    "Fold": ((), dict(output_size=(4, 5), kernel_size=(2, 2)), [_rn(2, 12, 12)]),
    "MaxPool1d": ((3,), dict(stride=2, padding=1, ceil_mode=True), [_rn(2, 3, 10)]),
    "MaxPool2d": ((3, 2), dict(padding=1, dilation=2), [_rn(2, 3, 10, 10)]),
    "AvgPool1d": ((3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                  [_rn(2, 3, 10)]),
    "AvgPool2d": ((3,), dict(stride=2, divisor_override=2), [_rn(2, 3, 9, 9)]),
    "LPPool2d": ((2, 2), {}, [_rn(2, 3, 6, 6)]),
    "AdaptiveAvgPool2d": (((3, None),), {}, [_rn(2, 3, 7, 8)]),
    "AdaptiveMaxPool1d": ((4,), {}, [_rn(2, 3, 11)]),
    "ReflectionPad2d": (((1, 2, 0, 1),), {}, [_rn(2, 3, 5, 5)]),
    "ReplicationPad3d": ((1,), {}, [_rn(1, 2, 3, 3, 3)]),
    "ConstantPad1d": ((), dict(padding=2, value=1.5), [_rn(2, 3, 5)]),
    "CircularPad2d": ((1,), {}, [_rn(2, 3, 5, 5)]),
    "ELU": ((), dict(alpha=0.5, inplace=False), [_rn(3, 4)]),
    "Hardtanh": ((-0.5, 0.7), {}, [_rn(3, 4)]),
    "PReLU": ((), dict(num_parameters=3, init=0.1), [_rn(2, 3, 4)]),
    "GELU": ((), dict(approximate="tanh"), [_rn(3, 4)]),
    "Softplus": ((), dict(beta=2, threshold=5), [_rn(3, 4) * 4]),
    "Threshold": ((0.1, 20.0), {}, [_rn(3, 4)]),
    "GLU": ((), dict(dim=1), [_rn(3, 4)]),
    "Softmax2d": ((), {}, [_rn(2, 3, 4, 4)]),
    "LogSoftmax": ((), dict(dim=1), [_rn(3, 4)]),
    "BatchNorm1d": ((3,), dict(momentum=0.2, eps=1e-3), [_rn(4, 3, 5)]),
    "BatchNorm2d": ((3,), dict(affine=False), [_rn(4, 3, 5, 5)]),
    "BatchNorm3d": ((2,), dict(track_running_stats=False), [_rn(2, 2, 3, 3, 3)]),
    "LazyBatchNorm1d": ((), dict(momentum=None), [_rn(4, 3)]),
    "GroupNorm": ((2, 4), dict(eps=1e-4), [_rn(2, 4, 3, 3)]),
    "InstanceNorm1d": ((3,), dict(affine=True, track_running_stats=True), [_rn(2, 3, 6)]),
    "LazyInstanceNorm2d": ((), dict(affine=True, bias=False), [_rn(2, 3, 5, 5)]),
    "LayerNorm": (([4, 5],), dict(elementwise_affine=True, bias=False), [_rn(3, 4, 5)]),
    "RMSNorm": ((5,), dict(eps=1e-5), [_rn(3, 4, 5)]),
    "LocalResponseNorm": ((3,), dict(alpha=1e-3, beta=0.7, k=2.0), [_rn(2, 5, 4, 4)]),
    "RNN": ((4, 5), dict(num_layers=2, nonlinearity="relu", batch_first=True,
                         bidirectional=True), [_rn(2, 3, 4)]),
    "LSTM": ((4, 5), dict(num_layers=2, proj_size=3), [_rn(3, 2, 4)]),
    "GRU": ((), dict(input_size=4, hidden_size=5, bias=False, bidirectional=True),
            [_rn(3, 2, 4)]),
    "GRUCell": ((4, 5), {}, [_rn(2, 4)]),
    "TransformerEncoderLayer": ((8, 2, 16, 0.0), dict(norm_first=True, activation="gelu"),
                                [_rn(3, 2, 8)]),
    "TransformerDecoderLayer": ((), dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0,
                                         batch_first=True), [_rn(2, 3, 8), _rn(2, 4, 8)]),
    "CosineSimilarity": ((), dict(dim=1, eps=1e-6), [_rn(3, 4), _rn(3, 4)]),
    "PairwiseDistance": ((), dict(p=3.0, keepdim=True), [_rn(3, 4), _rn(3, 4)]),
    "PixelShuffle": ((2,), {}, [_rn(2, 8, 3, 3)]),
    "Upsample": ((), dict(scale_factor=2, mode="bilinear", align_corners=False),
                 [_rn(2, 3, 4, 4)]),
    "UpsamplingBilinear2d": ((), dict(size=(5, 7)), [_rn(2, 3, 4, 4)]),
    "Unflatten": ((1, (2, 2)), {}, [_rn(3, 4)]),
    "HuberLoss": ((), dict(delta=0.5), [_rn(3, 4), _rn(3, 4)]),
    "KLDivLoss": ((), dict(reduction="batchmean", log_target=True), [_rn(3, 4), _rn(3, 4)]),
    "BCELoss": ((), dict(reduction="sum"), [_sg(_rn(3, 4)), _sg(_rn(3, 4))]),
    "GaussianNLLLoss": ((), dict(full=True, eps=1e-5), [_rn(3, 4), _rn(3, 4), _rp(3, 4)]),
    "TripletMarginLoss": ((), dict(margin=0.5, p=1.0, swap=True),
                          [_rn(3, 4), _rn(3, 4), _rn(3, 4)]),
}


def _flat(out: Any) -> list:
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out] if out is not None else []


def _sig(sd: dict) -> list:
    return [(k, tuple(v.shape), str(v.dtype).split(".")[-1]) for k, v in sd.items()]


@pytest.mark.parametrize("name", list(MODULES))
def test_module_sweep(name: str) -> None:
    args, kw, inputs = MODULES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        tm = getattr(torch.nn, name)(*args, **kw)
        em = getattr(ember.nn, name)(*args, **kw)
        assert repr(em) == repr(tm)
        if name.startswith("Lazy"):  # materialized by a first call
            tm(*[torch.tensor(a) for a in inputs])
            em(*[ember.tensor(a) for a in inputs])
            assert repr(em) == repr(tm)
        assert _sig(em.state_dict()) == _sig(tm.state_dict())
        em.load_state_dict({k: ember.tensor(v.detach().numpy())
                            for k, v in tm.state_dict().items()})
        for mode in ("train", "eval"):
            getattr(tm, mode)()
            getattr(em, mode)()
            tin = [torch.tensor(a).requires_grad_() for a in inputs]
            ein = [ember.tensor(a).requires_grad_() for a in inputs]
            to, eo = _flat(tm(*tin)), _flat(em(*ein))
            assert len(eo) == len(to)
            for a, b in zip(to, eo):
                assert tuple(b.shape) == tuple(a.shape)
                assert str(b.dtype).split(".")[-1] == str(a.dtype).split(".")[-1]
                np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(),
                                           rtol=1e-5, atol=1e-6)
            if not to[0].requires_grad:
                continue
            sum(x.sum() * (i + 1) for i, x in enumerate(to)).backward()
            sum(x.sum() * (i + 1) for i, x in enumerate(eo)).backward()
            for a, b in zip(tin, ein):
                assert (a.grad is None) == (b.grad is None)
                if a.grad is not None:
                    np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-5,
                                               atol=1e-5)
            ep = dict(em.named_parameters())
            for k, p in tm.named_parameters():
                if p.grad is not None:
                    np.testing.assert_allclose(ep[k].grad.numpy(), p.grad.numpy(), rtol=1e-4,
                                               atol=1e-5, err_msg=k)
            tm.zero_grad()
            em.zero_grad()


def test_public_names_present() -> None:
    """Every public module class of torch.nn and callable of torch.nn.init is in Ember; of
    nn.functional all but the few listed (CUDA-only matmuls and torch-function plumbing)."""
    missing_nn = [n for n in dir(torch.nn) if not n.startswith("_")
                  and inspect.isclass(getattr(torch.nn, n)) and not hasattr(ember.nn, n)]
    assert missing_nn == []
    missing_init = [n for n in ("uniform_", "normal_", "constant_", "ones_", "zeros_", "eye_",
                                "dirac_", "xavier_uniform_", "xavier_normal_",
                                "kaiming_uniform_", "kaiming_normal_", "trunc_normal_",
                                "orthogonal_", "sparse_", "calculate_gain")
                    if not hasattr(ember.nn.init, n)]
    assert missing_init == []
    allowed = {"Callable", "DType", "Optional", "ScalingType", "SwizzleType", "Tensor",
               "assert_int_or_pair", "boolean_dispatch", "grouped_mm",
               "handle_torch_function", "has_torch_function", "has_torch_function_unary",
               "has_torch_function_variadic", "scaled_grouped_mm", "scaled_mm"}
    missing_f = [n for n in dir(torch.nn.functional) if not n.startswith("_")
                 and callable(getattr(torch.nn.functional, n))
                 and not hasattr(ember.nn.functional, n) and n not in allowed]
    assert missing_f == []


# ---------------------------------------------------------------- functional sweep (guard)

_x4, _x3, _x2 = _rn(2, 3, 6, 6), _rn(2, 3, 8), _rn(4, 5)
_tgt = _R.integers(0, 5, 4)

FUNCTIONAL = [
    ("conv1d", (_x3, _rn(4, 3, 3)), dict(bias=_rn(4), stride=2, padding=1, dilation=1,
                                         groups=1)),
    ("conv_transpose2d", (_x4, _rn(3, 2, 3, 3)), dict(stride=2, padding=0, output_padding=1)),
    ("unfold", (_x4,), dict(kernel_size=2, dilation=1, padding=1, stride=2)),
    ("avg_pool2d", (_x4,), dict(kernel_size=3, stride=2, padding=1, ceil_mode=False,
                                count_include_pad=True, divisor_override=3)),
    ("max_pool1d", (_x3,), dict(kernel_size=3, stride=2, padding=1, dilation=1,
                                ceil_mode=True, return_indices=True)),
    ("lp_pool1d", (_x3,), dict(norm_type=2, kernel_size=2, stride=2, ceil_mode=False)),
    ("adaptive_avg_pool2d", (_x4,), dict(output_size=(4, None))),
    ("threshold", (_x2,), dict(threshold=0.1, value=2.0, inplace=False)),
    ("hardtanh", (_x2,), dict(min_val=-0.5, max_val=0.5)),
    ("softplus", (_x2 * 5,), dict(beta=0.5, threshold=2)),
    ("softmin", (_x2,), dict(dim=1)),
    ("gelu", (_x2,), dict(approximate="none")),
    ("batch_norm", (_x4, _rn(3), _rp(3)), dict(weight=_rn(3), bias=_rn(3), training=False,
                                               momentum=0.2, eps=1e-3)),
    ("instance_norm", (_x4,), dict(running_mean=None, running_var=None, weight=_rn(3),
                                   bias=_rn(3), use_input_stats=True, momentum=0.1, eps=1e-5)),
    ("layer_norm", (_x4,), dict(normalized_shape=(6, 6), weight=_rn(6, 6), bias=None,
                                eps=1e-5)),
    ("group_norm", (_x4,), dict(num_groups=3, weight=_rn(3), bias=_rn(3), eps=1e-5)),
    ("normalize", (_x2,), dict(p=1.0, dim=0, eps=1e-12)),
    ("bilinear", (_x2, _rn(4, 3), _rn(2, 5, 3)), dict(bias=_rn(2))),
    ("pairwise_distance", (_x2, _rn(4, 5)), dict(p=1.5, eps=1e-6, keepdim=True)),
    ("pad", (_x4,), dict(pad=(1, 1, 2, 2), mode="reflect")),
    ("interpolate", (_x4,), dict(size=None, scale_factor=1.5, mode="bicubic",
                                 align_corners=True, recompute_scale_factor=None,
                                 antialias=False)),
    ("grid_sample", (_x4, np.clip(_rn(2, 5, 5, 2), -1.1, 1.1)),
     dict(mode="bilinear", padding_mode="border", align_corners=False)),
    ("embedding_bag", (_R.integers(0, 10, 8), _rn(10, 3)),
     dict(offsets=np.array([0, 3, 5]), mode="sum", per_sample_weights=_rn(8))),
    ("cross_entropy", (_x2, _tgt), dict(weight=_rp(5), ignore_index=2, reduction="mean",
                                        label_smoothing=0.1)),
    ("binary_cross_entropy_with_logits", (_x2, _sg(_rn(4, 5))),
     dict(weight=None, pos_weight=_rp(5), reduction="sum")),
    ("gaussian_nll_loss", (_x2, _rn(4, 5), _rp(4, 1)), dict(full=True, eps=1e-3,
                                                             reduction="sum")),
    ("multi_margin_loss", (_x2, _tgt), dict(p=1, margin=0.7, weight=_rp(5))),
    ("triplet_margin_with_distance_loss", (_x2, _rn(4, 5), _rn(4, 5)),
     dict(distance_function=None, margin=0.5, swap=False)),
    ("scaled_dot_product_attention", (_rn(2, 4, 3, 4), _rn(2, 2, 5, 4), _rn(2, 2, 5, 4)),
     dict(attn_mask=_rn(3, 5), dropout_p=0.0, is_causal=False, scale=0.3, enable_gqa=True)),
]


def _call(lib: Any, name: str, args: tuple, kw: dict, keyword: bool) -> list:
    def conv(v: Any) -> Any:
        return lib.tensor(v) if isinstance(v, np.ndarray) else v

    a = [conv(v) for v in args]
    k = {q: conv(v) for q, v in kw.items()}
    if a[0].is_floating_point():
        a[0].requires_grad_()
    first = a[0]
    if keyword:
        try:
            names = list(inspect.signature(getattr(torch.nn.functional, name)).parameters)
        except ValueError:  # a builtin: Ember's names (both libraries get the same call)
            names = list(inspect.signature(getattr(ember.nn.functional, name)).parameters)
        if names[0] == "args":  # boolean dispatch
            names = list(inspect.signature(getattr(ember.nn.functional, name)).parameters)
        k = {**dict(zip(names, a)), **k}
        a = []
    out = _flat(getattr(lib.nn.functional, name)(*a, **k))
    res = [(tuple(o.shape), str(o.dtype).split(".")[-1], o.detach().double().numpy())
           for o in out]
    if out[0].requires_grad:
        out[0].sum().backward()
        res.append(first.grad.double().numpy())
    return res


@pytest.mark.parametrize("keyword", [False, True], ids=["positional", "keyword"])
@pytest.mark.parametrize("case", FUNCTIONAL, ids=[c[0] for c in FUNCTIONAL])
def test_functional_sweep(case: tuple, keyword: bool) -> None:
    name, args, kw = case
    expected = _call(torch, name, args, kw, keyword)
    got = _call(ember, name, args, kw, keyword)
    assert len(got) == len(expected)
    for e, t in zip(got, expected):
        if isinstance(t, tuple):
            assert e[:2] == t[:2]
            e, t = e[2], t[2]
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- init sweep (guard)

INIT = [("uniform_", (3, 4), dict(a=-2, b=0.5)), ("normal_", (3, 4), dict(mean=1., std=0.1)),
        ("eye_", (3, 4), {}), ("dirac_", (4, 2, 3), dict(groups=2)),
        ("xavier_uniform_", (5, 6), dict(gain=2.0)), ("xavier_normal_", (5, 6, 3), {}),
        ("kaiming_uniform_", (5, 6), dict(a=0.1, mode="fan_out", nonlinearity="leaky_relu")),
        ("kaiming_normal_", (5, 6, 2), dict(nonlinearity="relu")),
        ("trunc_normal_", (50, 6), dict(mean=0., std=1., a=-2., b=2.)),
        ("orthogonal_", (5, 3), dict(gain=1.5)), ("sparse_", (6, 4), dict(sparsity=0.5)),
        ("kaiming_uniform_", (5, 6), dict(mode="fan_avg")), ("dirac_", (3, 4), {})]


def _init(lib: Any, name: str, shape: tuple, kw: dict) -> Any:
    lib.manual_seed(0)
    t = lib.empty(*shape)
    try:
        r = getattr(lib.nn.init, name)(t, **kw)
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return type(e).__name__, str(e)
    return r is t, t.numpy().copy()


@pytest.mark.parametrize("case", INIT, ids=[f"{c[0]}{c[1]}" for c in INIT])
def test_init_sweep(case: tuple) -> None:
    t, e = _init(torch, *case), _init(ember, *case)
    if isinstance(t[1], np.ndarray):
        assert e[0] == t[0]
        np.testing.assert_allclose(e[1], t[1], rtol=1e-6, atol=1e-7)
    else:
        assert e == t
