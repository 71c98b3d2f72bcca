"""Session 24: ``nn.init`` and ``nn.utils`` differences found by a seeded differential fuzzer
(torch vs Ember on the same seeds and numpy data): ``dirac_`` on a weight with an empty
spatial dim, ``orthogonal_`` on complex or strided 3-D weights, ``clip_grad_value_`` with no
gradients, ``pad_sequence``'s check order, and ``ln_structured``'s norms ('nuc', 'fro').

Every expected value, error type and message comes from torch at test time.
"""

from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest
from _programs import raises_same

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("torch.nn.utils.prune")  # not imported by torch.nn.utils itself


def _np(t: object) -> np.ndarray:
    return t.detach().float().numpy() if "bfloat16" in str(t.dtype) else t.detach().numpy()


def _outcome(fn: object) -> tuple:
    """What ``fn()`` did: ("ok", value) or ("err", type, message)."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - any error is compared with torch's
        return ("err", type(e), str(e).replace("ember.Size", "torch.Size"))


def _same_outcome(fn_t: object, fn_e: object) -> None:
    """Both raise the same error, or both return equal tensors."""
    ot, oe = _outcome(fn_t), _outcome(fn_e)
    assert ot[0] == oe[0], (ot, oe)
    if ot[0] == "err":
        assert oe[1:] == ot[1:]
    else:
        np.testing.assert_array_equal(_np(oe[1]), _np(ot[1]))


# ------------------------------------------------------------------ nn.init
@pytest.mark.parametrize("shape,groups", [((3, 7, 2, 4, 0), 3), ((2, 2, 0, 3), 1),
                                          ((7, 3, 2, 0), 1), ((0, 7, 1, 4, 0), 2),
                                          ((4, 0, 2, 0), 1), ((4, 2, 3), 2), ((6, 3, 3, 3), 3)])
def test_dirac_with_empty_spatial_dim(shape: tuple, groups: int) -> None:
    """An empty spatial dim: PyTorch's IndexError names the dimension when some identity
    entry is written, and nothing fails when none is (was numpy's 'axis' words / an error)."""
    _same_outcome(lambda: torch.nn.init.dirac_(torch.full(shape, 5.0), groups),
                  lambda: ember.nn.init.dirac_(ember.full(shape, 5.0), groups))


@pytest.mark.parametrize("shape", [(2, 4, 1), (3, 3), (5, 2)])
def test_orthogonal_complex_refused(shape: tuple) -> None:
    """A complex weight: PyTorch fails at the sign of R's diagonal (was filled silently)."""
    raises_same(lambda: torch.nn.init.orthogonal_(torch.zeros(shape, dtype=torch.complex64)),
                lambda: ember.nn.init.orthogonal_(ember.zeros(shape, dtype=ember.complex64)))


def test_orthogonal_strided_3d_refused_and_transposed_2d_filled() -> None:
    """PyTorch copies Q through ``tensor.view``: a transposed 3-D weight cannot be viewed
    (RuntimeError), a transposed 2-D one can and gets PyTorch's values."""
    raises_same(lambda: torch.nn.init.orthogonal_(torch.zeros(4, 3, 2).transpose(0, 1)),
                lambda: ember.nn.init.orthogonal_(ember.zeros(4, 3, 2).transpose(0, 1)))
    torch.manual_seed(3)
    ember.manual_seed(3)
    wt = torch.nn.init.orthogonal_(torch.zeros(4, 3).t(), gain=2.0)
    we = ember.nn.init.orthogonal_(ember.zeros(4, 3).t(), gain=2.0)
    assert we.stride() == wt.stride()
    np.testing.assert_allclose(_np(we), _np(wt), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ clip_grad_value_
@pytest.mark.parametrize("foreach", [None, True, False])
@pytest.mark.parametrize("form", ["empty", "no_grads", "generator"])
def test_clip_grad_value_without_gradients_raises_like_torch(foreach: bool | None,
                                                             form: str) -> None:
    """No gradient at all (before the first backward, or an empty list): PyTorch's grouping
    of the gradients fails with a RuntimeError (Ember returned silently)."""
    def params(lib: object) -> object:
        if form == "empty":
            return []
        ps = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
        return ps if form == "no_grads" else iter(ps)

    raises_same(lambda: torch.nn.utils.clip_grad_value_(params(torch), 0.5, foreach=foreach),
                lambda: ember.nn.utils.clip_grad_value_(params(ember), 0.5, foreach=foreach))


def test_clip_grad_value_with_some_gradients_clamps_them() -> None:
    """Only the parameters holding a gradient are clamped; the rest stay without one."""
    g = np.random.RandomState(0).randn(3, 4).astype("float32") * 3
    out = []
    for lib in (torch, ember):
        a, b = lib.nn.Parameter(lib.ones(3, 4)), lib.nn.Parameter(lib.ones(2))
        a.grad = lib.from_numpy(g.copy())
        assert lib.nn.utils.clip_grad_value_([a, b], 1.5) is None
        assert b.grad is None
        out.append(_np(a.grad))
    np.testing.assert_array_equal(out[1], out[0])


# ------------------------------------------------------------------ pad_sequence
@pytest.mark.parametrize("seqs", ["list", "tensor"])
def test_pad_sequence_empty_checked_before_padding_side(seqs: str) -> None:
    """An empty input and a bad ``padding_side``: PyTorch names the empty list first."""
    def run(lib: object) -> object:
        s = [] if seqs == "list" else lib.zeros(0, 3)
        return lib.nn.utils.rnn.pad_sequence(s, padding_side="bad")
    raises_same(lambda: run(torch), lambda: run(ember))
    raises_same(lambda: torch.nn.utils.rnn.pad_sequence([torch.ones(2)], padding_side="up"),
                lambda: ember.nn.utils.rnn.pad_sequence([ember.ones(2)], padding_side="up"))


# ------------------------------------------------------------------ ln_structured
_LN_CASES = [("Linear", "nuc", 1, 0), ("Linear", "nuc", 0, 0), ("Conv1d", "nuc", 1, 0),
             ("Conv1d", "nuc", 1, 2), ("Conv1d", "nuc", 0, 1), ("Conv2d", "nuc", 1, 0),
             ("Conv2d", "nuc", 1, 1), ("Conv2d", "fro", 2, 1), ("Conv2d", "fro", 1, -1),
             ("Conv1d", "fro", 1, 1), ("Conv1d", "fro", 2, -1), ("Linear", "fro", 2, 0),
             ("Linear", 1, 2, 1), ("Conv2d", float("inf"), 1, 0), ("Conv2d", 0, 1, 0)]


def _layer(lib: object, kind: str) -> object:
    return {"Linear": lambda: lib.nn.Linear(5, 4), "Conv1d": lambda: lib.nn.Conv1d(2, 3, 3),
            "Conv2d": lambda: lib.nn.Conv2d(2, 3, 2)}[kind]()


@pytest.mark.parametrize("kind,n,amount,dim", _LN_CASES)
def test_ln_structured_norms_match_torch(kind: str, n: object, amount: int, dim: int) -> None:
    """PyTorch's pruning norm: 'nuc' (and 'fro' beside exactly two dims) is a matrix norm,
    'nuc' beside three dims over the last two (a 2-D topk used as an index), 'nuc' beside one
    dim a scalar (topk's error, even with nothing to prune); 'fro' elsewhere the flat 2-norm
    (Ember refused 'nuc' and failed on 'fro' beside three dims)."""
    def run(lib: object) -> object:
        lib.manual_seed(0)
        m = _layer(lib, kind)
        lib.nn.utils.prune.ln_structured(m, "weight", amount=amount, n=n, dim=dim)
        return m.weight_mask
    _same_outcome(lambda: run(torch), lambda: run(ember))


# ------------------------------------------------------------------ seeded init fuzz
_INIT_FNS = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
             "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_", "eye_", "dirac_",
             "constant_", "zeros_", "ones_"]


def _init_case(rng: random.Random) -> tuple:
    """One random initializer call: function, shape, dtype, layout, keyword arguments."""
    fn = rng.choice(_INIT_FNS)
    nd = {"orthogonal_": rng.choice([2, 3]), "dirac_": rng.choice([3, 4, 5]), "eye_": 2,
          "sparse_": 2}.get(fn, rng.choice([1, 2, 2, 3, 4]))
    if rng.random() < 0.15:
        nd = rng.choice([0, 1, 2, 3])
    shape = tuple(rng.choice([0, 1, 2, 3, 5]) if rng.random() < 0.1 else rng.choice([1, 2, 3, 5])
                  for _ in range(nd))
    dtype = rng.choice(["float32", "float32", "float64", "float16", "bfloat16"])
    kw = {"uniform_": lambda: rng.choice([{}, {"a": -2, "b": 3}]),
          "normal_": lambda: rng.choice([{}, {"mean": 1.0, "std": 0.1}]),
          "trunc_normal_": lambda: rng.choice([{}, {"std": 0.02}, {"a": -0.1, "b": 0.1},
                                               {"a": 1, "b": 3}]),
          "xavier_uniform_": lambda: rng.choice([{}, {"gain": 2.0}]),
          "xavier_normal_": lambda: rng.choice([{}, {"gain": 2.0}]),
          "kaiming_uniform_": lambda: {"a": rng.choice([0, math.sqrt(5)]),
                                       "mode": rng.choice(["fan_in", "fan_out", "FAN_OUT", "x"]),
                                       "nonlinearity": rng.choice(["relu", "leaky_relu", "gelu"])},
          "kaiming_normal_": lambda: {"mode": rng.choice(["fan_in", "fan_out"]),
                                      "nonlinearity": rng.choice(["relu", "tanh", "selu"])},
          "orthogonal_": lambda: rng.choice([{}, {"gain": 0.5}]),
          "sparse_": lambda: {"sparsity": rng.choice([0, 0.1, 0.5, 1.0])},
          "dirac_": lambda: {"groups": rng.choice([1, 2, 3])},
          "constant_": lambda: {"val": rng.choice([0.3, 2, -1.5])}}.get(fn, dict)()
    return fn, shape, dtype, rng.choice("CCT"), kw


def _init_run(lib: object, case: tuple, seed: int) -> object:
    fn, shape, dtype, layout, kw = case
    lib.manual_seed(seed)
    if layout == "T" and len(shape) >= 2:
        t = lib.zeros((shape[1], shape[0]) + shape[2:], dtype=getattr(lib, dtype)).transpose(0, 1)
    else:
        t = lib.zeros(shape, dtype=getattr(lib, dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert getattr(lib.nn.init, fn)(t, **kw) is t
    return t


def test_seeded_init_fuzz_matches_torch() -> None:
    """300 random initializer calls (shapes incl. 0-dim and empty, half/bfloat16/float32/64,
    transposed weights, random keywords): same values under the same seed, or the same error."""
    rng = random.Random(24)
    for i in range(300):
        case = _init_case(rng)
        ot = _outcome(lambda: _init_run(torch, case, i))  # noqa: B023 - called at once
        oe = _outcome(lambda: _init_run(ember, case, i))  # noqa: B023
        assert ot[0] == oe[0], (case, ot, oe)
        if ot[0] == "err":
            assert oe[1:] == ot[1:], case
            continue
        t, e = ot[1], oe[1]
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], case
        assert tuple(e.shape) == tuple(t.shape), case
        tol = 1e-5 if t.dtype in (torch.float32, torch.float64) else 1e-2
        np.testing.assert_allclose(_np(e), _np(t), rtol=tol, atol=1e-6, err_msg=str(case))


# ------------------------------------------------------------------ fusion
@pytest.mark.parametrize("kind", ["ConvTranspose1d", "ConvTranspose2d"])
def test_fused_grouped_conv_transpose_bias_error_words(kind: str) -> None:
    """``fuse_conv_bn_eval(..., transpose=True)`` of a grouped transposed conv leaves a bias
    the weight does not fit: PyTorch's error says ``transposed=1`` (Ember's did not)."""
    def run(lib: object) -> object:
        lib.manual_seed(0)
        nd = int(kind[-2])
        conv = getattr(lib.nn, kind)(2, 2, 2, bias=False, groups=2).eval()
        bn = getattr(lib.nn, f"BatchNorm{nd}d")(2).eval()
        fused = lib.nn.utils.fusion.fuse_conv_bn_eval(conv, bn, transpose=True)
        return fused(lib.ones((1, 2) + (3,) * nd))
    raises_same(lambda: run(torch), lambda: run(ember))
    raises_same(
        lambda: torch.nn.functional.conv_transpose2d(torch.ones(1, 2, 4, 4),
                                                     torch.ones(2, 3, 2, 2), torch.ones(2)),
        lambda: ember.nn.functional.conv_transpose2d(ember.ones(1, 2, 4, 4),
                                                     ember.ones(2, 3, 2, 2), ember.ones(2)))


@pytest.mark.parametrize("kind", ["Conv2d", "ConvTranspose2d", "Linear"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_layer_matches_torch(kind: str, dtype: str) -> None:
    """conv/linear + BatchNorm with moved running statistics, fused in eval mode: PyTorch's
    output, weight, bias and parameter names."""
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        nn = lib.nn
        if kind == "Linear":
            layer, bn, x = nn.Linear(3, 4), nn.BatchNorm1d(4), lib.randn(2, 3)
        else:
            layer, bn, x = getattr(nn, kind)(3, 4, 2), nn.BatchNorm2d(4), lib.randn(2, 3, 5, 5)
        with lib.no_grad():
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.uniform_(0.5, 1.5)
        layer, bn, x = layer.to(getattr(lib, dtype)).eval(), bn.to(getattr(lib, dtype)).eval(), \
            x.to(getattr(lib, dtype))
        fusion = nn.utils.fusion
        fused = (fusion.fuse_linear_bn_eval(layer, bn) if kind == "Linear" else
                 fusion.fuse_conv_bn_eval(layer, bn, transpose=kind.startswith("ConvT")))
        outs.append((fused(x), bn(layer(x)), fused.weight, fused.bias,
                     [k for k, _ in fused.named_parameters()]))
    (yt, rt, wt, bt, nt), (ye, re_, we, be, ne) = outs
    assert ne == nt
    tol = 1e-5 if dtype == "float32" else 1e-12
    for e, t in ((ye, yt), (re_, rt), (we, wt), (be, bt)):
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(_np(e), _np(t), rtol=tol, atol=tol)


# ------------------------------------------------------------------ samplers under nn.init
@pytest.mark.parametrize("fn", ["normal_", "xavier_normal_", "trunc_normal_", "sparse_"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("shape", [(0, 3), (4, 0), (2, 3)])
def test_normal_initializers_on_integer_tensors(fn: str, dtype: str, shape: tuple) -> None:
    """PyTorch's normal kernel never runs on an empty tensor, so an empty integer weight is
    left as it is; a non-empty one fails with its NotImplementedError (Ember failed both)."""
    kw = {"sparsity": 0.5} if fn == "sparse_" else {}

    def run(lib: object) -> object:
        return getattr(lib.nn.init, fn)(lib.zeros(shape, dtype=getattr(lib, dtype)), **kw)
    _same_outcome(lambda: run(torch), lambda: run(ember))


@pytest.mark.parametrize("method", ["normal_", "log_normal_", "exponential_"])
@pytest.mark.parametrize("dtype", ["int64", "bool", "float32"])
def test_continuous_samplers_on_empty_tensors(method: str, dtype: str) -> None:
    """``normal_``/``log_normal_``/``exponential_`` of an empty integer tensor: no error, but
    a bad parameter is still refused, in PyTorch's words."""
    bad = {"normal_": {"std": -0.123456789}, "log_normal_": {"std": -1.0},
           "exponential_": {"lambd": -1.0}}[method]
    def run(lib: object, kw: dict) -> object:
        return getattr(lib.zeros(0, 2, dtype=getattr(lib, dtype)), method)(**kw)
    for kw in ({}, bad):
        _same_outcome(lambda: run(torch, kw), lambda: run(ember, kw))  # noqa: B023


@pytest.mark.parametrize("std", [float("nan"), -0.123456789, -1.0, -1e20, -2.5])
def test_init_normal_bad_std_words(std: float) -> None:
    """A negative or nan std: PyTorch's RuntimeError, the value printed as its C++ stream
    prints a double (nan raised a ValueError from Ember's formatting; long values kept all
    their digits)."""
    raises_same(lambda: torch.nn.init.normal_(torch.zeros(3), std=std),
                lambda: ember.nn.init.normal_(ember.zeros(3), std=std))
    raises_same(lambda: torch.zeros(3).log_normal_(std=std),
                lambda: ember.zeros(3).log_normal_(std=std))
    raises_same(lambda: torch.normal(torch.zeros(3), std),
                lambda: ember.normal(ember.zeros(3), std))


# ------------------------------------------------------------------ parametrize assignment
def _split(nn: object) -> type:
    class Split(nn.Module):
        def forward(self, a: object, b: object) -> object:
            return a + b

        def right_inverse(self, x: object) -> object:
            return x * 0.25, x * 0.75
    return Split


def _scale(nn: object) -> type:
    class Scale(nn.Module):
        def forward(self, x: object) -> object:
            return x * 3

        def right_inverse(self, x: object) -> object:
            return x / 3
    return Scale


@pytest.mark.parametrize("kind", ["custom", "split", "weight_norm", "spectral_norm",
                                  "orthogonal"])
def test_assigning_other_dtype_to_parametrized_weight_refused(kind: str) -> None:
    """A float32 value assigned to a float64 parametrized weight: PyTorch's ValueError from
    the ``right_inverse`` dtype check (Ember stored it, or failed later in a matmul)."""
    def run(lib: object) -> object:
        lib.manual_seed(0)
        m = lib.nn.Linear(3, 3).double()
        utils = lib.nn.utils
        if kind == "custom":
            utils.parametrize.register_parametrization(m, "weight", _scale(lib.nn)())
        elif kind == "split":
            utils.parametrize.register_parametrization(m, "weight", _split(lib.nn)())
        else:
            getattr(utils.parametrizations, kind)(m)
        m.weight = lib.eye(3)
        return m.weight
    ot, oe = _outcome(lambda: run(torch)), _outcome(lambda: run(ember))
    assert ot[:2] == ("err", ValueError)
    assert oe[:2] == ot[:2]
    assert oe[2] == ot[2].replace("torch.", "ember.")  # the dtypes as each library prints them


@pytest.mark.parametrize("ret", ["one", "three", "tensor", "number"])
def test_multi_tensor_right_inverse_result_checked(ret: str) -> None:
    """Assigning through a two-tensor parametrization whose ``right_inverse`` now returns
    the wrong thing: PyTorch's ValueError naming the length or the element's type."""
    def run(lib: object) -> object:
        class Two(lib.nn.Module):
            mode = "pair"

            def forward(self, a: object, b: object) -> object:
                return a + b

            def right_inverse(self, x: object) -> object:
                if self.mode == "pair":
                    return x, x * 0
                return {"one": (x,), "three": (x, x, x), "tensor": x, "number": (x, 1.0)}[ret]
        m = lib.nn.Linear(2, 2)
        p = Two()
        lib.nn.utils.parametrize.register_parametrization(m, "weight", p)
        p.mode = ret
        m.weight = lib.ones(2, 2)
        return m.weight
    raises_same(lambda: run(torch), lambda: run(ember))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("shape", [(5, 4), (3, 6)])
def test_orthogonal_householder_half_refused(dtype: str, shape: tuple) -> None:
    """Householder orthogonal parametrization of a half weight without trivialization:
    PyTorch has no half geqrf/orgqr, so the registration keeps the weight and the forward
    fails with NotImplementedError (Ember raised NumPy's TypeError)."""
    def run(lib: object) -> object:
        m = lib.nn.Linear(shape[1], shape[0], bias=False).to(getattr(lib, dtype))
        lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map="householder",
                                                 use_trivialization=False)
        return m.weight
    raises_same(lambda: run(torch), lambda: run(ember))
    raises_same(lambda: torch.geqrf(torch.ones(3, 3, dtype=getattr(torch, dtype))),
                lambda: ember.geqrf(ember.ones(3, 3, dtype=getattr(ember, dtype))))


@pytest.mark.parametrize("shape", [(5, 4), (4, 4), (3, 6), (2, 3, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_orthogonal_householder_without_trivialization_values(shape: tuple, dtype: str) -> None:
    """``use_trivialization=False`` stores geqrf's reflectors as ``original``: the weight
    equals PyTorch's (through Ember's geqrf)."""
    outs = []
    for lib in (torch, ember):
        lib.manual_seed(0)
        m = lib.nn.Linear(shape[-1], shape[-2], bias=False).to(getattr(lib, dtype))
        if len(shape) == 3:
            m.weight = lib.nn.Parameter(lib.randn(shape, dtype=getattr(lib, dtype)))
        lib.nn.utils.parametrizations.orthogonal(m, orthogonal_map="householder",
                                                 use_trivialization=False)
        outs.append((m.weight, m.parametrizations.weight.original))
    tol = 1e-5 if dtype == "float32" else 1e-12
    for e, t in zip(outs[1], outs[0]):
        np.testing.assert_allclose(_np(e), _np(t), rtol=tol, atol=tol)


@pytest.mark.parametrize("which", ["numpy_input", "none_input", "list_input", "none_weight",
                                   "str_bias", "module_numpy"])
def test_conv_transpose_non_tensor_operand_type_error(which: str) -> None:
    """A non-tensor operand to a transposed convolution: PyTorch's TypeError naming the
    argument and its type (Ember raised an AttributeError)."""
    def run(lib: object) -> object:
        F = lib.nn.functional
        x, w = lib.ones(1, 2, 3, 3), lib.ones(2, 2, 2, 2)
        arr = np.ones((1, 2, 3, 3), dtype="float32")
        if which == "module_numpy":
            return lib.nn.ConvTranspose2d(2, 2, 2)(arr)
        args = {"numpy_input": (arr, w), "none_input": (None, w), "list_input": ([1.0], w),
                "none_weight": (x, None), "str_bias": (x, w, "x")}[which]
        return F.conv_transpose2d(*args)
    raises_same(lambda: run(torch), lambda: run(ember))


@pytest.mark.parametrize("method", ["l1_unstructured", "random_unstructured", "random_structured",
                                    "ln_structured", "global"])
def test_prune_amount_true(method: str) -> None:
    """``amount=True`` passes PyTorch's validation (a bool is an int) and reaches its
    ``topk``/``kthvalue`` as a bool, which they refuse with TypeError; ``ln_structured``
    only subtracts it and prunes one channel (Ember pruned one entry everywhere)."""
    def run(lib: object) -> object:
        lib.manual_seed(0)
        m = lib.nn.Linear(4, 3)
        P = lib.nn.utils.prune
        if method == "global":
            P.global_unstructured([(m, "weight")], P.L1Unstructured, amount=True)
        elif method in ("random_structured", "ln_structured"):
            kw = {"n": 2} if method == "ln_structured" else {}
            getattr(P, method)(m, "weight", amount=True, dim=0, **kw)
        else:
            getattr(P, method)(m, "weight", amount=True)
        return m.weight_mask
    _same_outcome(lambda: run(torch), lambda: run(ember))
