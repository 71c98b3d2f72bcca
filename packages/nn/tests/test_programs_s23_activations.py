"""Session 23: activations under a differential fuzzer (random shapes incl. 0-d and empty,
transposed / stepped / expanded layouts, every float dtype, random keyword arguments against
PyTorch), and the differences it exposed: float16/bfloat16 rounding of leaky_relu (and
rrelu), hardsigmoid, glu, softsign and tanhshrink; rrelu's contiguous output, its bfloat16
training values and its double backward; the layout of activations of expanded half inputs;
softplus's double backward at the threshold; normalize's inf norm over an empty dim.

Every test runs the same inputs through torch and Ember and compares values (bit-exact for
half precision where PyTorch's CPU kernel is deterministic), dtypes, layouts or the error.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
F = torch.nn.functional

HALF = ["float16", "bfloat16"]


def _np(t: object) -> np.ndarray:
    """Values as float64 (bfloat16 has no NumPy dtype in torch)."""
    return t.detach().double().numpy()


def _pair(values: np.ndarray, dtype: str, requires_grad: bool = False) -> tuple:
    t = torch.tensor(values).to(getattr(torch, dtype)).requires_grad_(requires_grad)
    e = ember.tensor(values).to(getattr(ember, dtype)).requires_grad_(requires_grad)
    return t, e


def _data(seed: int, shape: tuple, scale: float = 4.0) -> np.ndarray:
    return np.random.RandomState(seed).randn(*shape) * scale


def _bit_exact(t: object, e: object) -> None:
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_array_equal(_np(e), _np(t))


# ------------------------------------------------------------------ half-precision rounding
@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5])
def test_leaky_relu_half_computes_in_float32(dtype: str, slope: float) -> None:
    """PyTorch multiplies by the float32 slope and rounds once (not by a half-rounded slope)."""
    t, e = _pair(_data(0, (64, 33), 30.0), dtype)
    _bit_exact(F.leaky_relu(t, slope), EF.leaky_relu(e, slope))
    _bit_exact(torch.nn.LeakyReLU(slope)(t), ember.nn.LeakyReLU(slope)(e))


@pytest.mark.parametrize("dtype", HALF)
def test_rrelu_eval_half_matches(dtype: str) -> None:
    t, e = _pair(_data(1, (40, 25)), dtype)
    _bit_exact(F.rrelu(t, 0.1, 0.3), EF.rrelu(e, 0.1, 0.3))


@pytest.mark.parametrize("dtype", HALF)
def test_hardsigmoid_half_computes_in_float32(dtype: str) -> None:
    t, e = _pair(_data(2, (50, 40)), dtype)
    _bit_exact(F.hardsigmoid(t), EF.hardsigmoid(e))
    _bit_exact(torch.nn.Hardsigmoid()(t.T), ember.nn.Hardsigmoid()(e.T))


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("op", ["softsign", "tanhshrink"])
def test_composite_activations_round_each_half_step(dtype: str, op: str) -> None:
    """PyTorch composes softsign (x / (1 + |x|)) and tanhshrink (x - tanh(x)) of half ops,
    each rounded: rounding once in float32 differs in the last bit."""
    t, e = _pair(_data(3, (60, 50)), dtype)
    _bit_exact(getattr(F, op)(t), getattr(EF, op)(e))
    _bit_exact(getattr(F, op)(t[:, ::3]), getattr(EF, op)(e[:, ::3]))


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("dim", [0, -1])
def test_glu_half_computes_in_float32(dtype: str, dim: int) -> None:
    t, e = _pair(_data(4, (40, 30)), dtype)
    r_t, r_e = F.glu(t, dim), EF.glu(e, dim)
    # one float32 ulp of exp may flip a half rounding: all but a handful equal, none far
    a, b = _np(r_t), _np(r_e)
    assert (a != b).sum() <= 2
    np.testing.assert_allclose(b, a, rtol=8e-3, atol=0)
    assert (_np(F.glu(t.T, dim)) != _np(EF.glu(e.T, dim))).sum() <= 2


# ------------------------------------------------------------------ rrelu
def test_rrelu_training_bfloat16_values_under_seed() -> None:
    """PyTorch's bfloat16 rrelu multiplies by the float32 noise and rounds once."""
    t, e = _pair(_data(5, (6, 7, 8)), "bfloat16")
    torch.manual_seed(3)
    ember.manual_seed(3)
    _bit_exact(F.rrelu(t, 0.1, 0.3, training=True), EF.rrelu(e, 0.1, 0.3, training=True))


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
def test_rrelu_output_is_contiguous(training: bool, dtype: str) -> None:
    """PyTorch allocates rrelu's output C-contiguous, whatever the input's layout."""
    t, e = _pair(_data(6, (5, 4, 3)), dtype)
    torch.manual_seed(0)
    ember.manual_seed(0)
    r_t = F.rrelu(t.transpose(0, 2), training=training)
    r_e = EF.rrelu(e.transpose(0, 2), training=training)
    assert r_e.is_contiguous() == r_t.is_contiguous()
    assert r_e.stride() == r_t.stride()
    np.testing.assert_array_equal(_np(r_e), _np(r_t))


@pytest.mark.parametrize("training", [False, True])
def test_rrelu_double_backward_is_zeros(training: bool) -> None:
    v = _data(7, (3, 4))
    out = []
    for lib, fn in ((torch, F), (ember, EF)):
        lib.manual_seed(11)
        x = lib.tensor(v, requires_grad=True)
        y = fn.rrelu(x, training=training)
        (g,) = lib.autograd.grad(y, x, lib.ones_like(y) * 2, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        out.append((y.grad_fn.name(), g.grad_fn.name(), _np(g), _np(gg)))
    (tn, tgn, tg, tgg), (en, egn, eg, egg) = out
    assert (en, egn) == (tn, tgn)
    np.testing.assert_array_equal(eg, tg)
    np.testing.assert_array_equal(egg, tgg)


# ------------------------------------------------------------------ layouts
@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("op", ["silu", "mish", "gelu", "selu", "softsign", "hardswish",
                                "leaky_relu", "hardsigmoid", "elu", "softplus"])
def test_activation_of_expanded_half_input_is_contiguous(dtype: str, op: str) -> None:
    """A broadcast (stride-0) half input gives a C-contiguous result, as PyTorch's
    TensorIterator allocates it."""
    t, e = _pair(_data(8, (1, 4, 5)), dtype)
    r_t = getattr(F, op)(t.expand(3, 4, 5))
    r_e = getattr(EF, op)(e.expand(3, 4, 5))
    assert r_e.stride() == r_t.stride()
    np.testing.assert_allclose(_np(r_e), _np(r_t), rtol=8e-3, atol=1e-6)


# ------------------------------------------------------------------ gradients
@pytest.mark.parametrize("threshold", [0.5, 1.0, 20.0])
def test_softplus_double_backward_zero_from_threshold(threshold: float) -> None:
    """PyTorch's softplus double backward masks ``beta * x < threshold`` (strict): at the
    threshold the second derivative is 0 while the first is still the sigmoid."""
    v = np.array([0.4, 0.5, 0.6, 1.0, 20.0, 21.0, -3.0])
    res = []
    for lib, fn in ((torch, F), (ember, EF)):
        x = lib.tensor(v, requires_grad=True)
        (g,) = lib.autograd.grad(fn.softplus(x, 1.0, threshold).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        res.append((_np(g), _np(gg)))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-12)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-12, atol=1e-300)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("p", [float("inf"), float("-inf")])
@pytest.mark.parametrize("shape,dim", [((0,), 0), ((2, 0), 1), ((2, 0), -1)])
def test_normalize_inf_norm_over_empty_dim(p: float, shape: tuple, dim: int) -> None:
    with pytest.raises(RuntimeError) as te:
        F.normalize(torch.zeros(shape), p, dim)
    with pytest.raises(RuntimeError) as ee:
        EF.normalize(ember.zeros(shape), p, dim)
    assert str(ee.value) == str(te.value)


# ------------------------------------------------------------------ seeded fuzz
_EXACT = {"relu": {}, "relu6": {}, "leaky_relu": {"negative_slope": 0.2},
          "hardtanh": {"min_val": -0.5, "max_val": 2.0}, "hardsigmoid": {},
          "threshold": {"threshold": 0.5, "value": -1.0}, "hardshrink": {"lambd": 0.25},
          "softshrink": {"lambd": 0.5}, "softsign": {}, "rrelu": {}}
_SMOOTH = {"elu": {"alpha": 0.5}, "selu": {}, "celu": {"alpha": 2.0}, "silu": {}, "mish": {},
           "hardswish": {}, "softplus": {"beta": 2.0, "threshold": 5.0}, "tanhshrink": {},
           "logsigmoid": {}, "glu": {"dim": -1}, "softmax": {"dim": -1},
           "log_softmax": {"dim": 0}, "softmin": {"dim": -1}, "normalize": {"dim": -1}}


def _layout(t: object, kind: str) -> object:
    if kind == "t" and t.dim() >= 2:
        return t.transpose(0, 1)
    if kind == "step" and t.dim() >= 1:
        return t[..., ::2]
    if kind == "expand" and t.dim() >= 1 and t.shape[0] == 1:
        return t.expand(3, *t.shape[1:])
    return t


def test_seeded_activation_fuzz() -> None:
    """300 random cases: values (bit-exact for the piecewise ops in every float dtype),
    dtype, shape and contiguity against PyTorch."""
    rng = np.random.RandomState(23)
    ops = sorted(_EXACT) + sorted(_SMOOTH)
    dtypes = ["float16", "bfloat16", "float32", "float64"]
    tol = {"float16": 2e-3, "bfloat16": 1.6e-2, "float32": 1e-5, "float64": 1e-12}
    for case in range(300):
        op = ops[rng.randint(len(ops))]
        dtype = dtypes[rng.randint(4)]
        shape = tuple(int(s) for s in rng.randint(0 if rng.rand() < 0.1 else 1, 5,
                                                  size=rng.randint(0, 4)))
        kind = ["c", "t", "step", "expand"][rng.randint(4)]
        if op == "glu":  # every dimension even: the halved one stays even in any layout
            shape, kind = tuple(2 * s for s in shape) or (4,), "t" if kind == "t" else "c"
        v = rng.randn(*shape) * 4
        t, e = _pair(v, dtype)
        t, e = _layout(t, kind), _layout(e, kind)
        kw = _EXACT.get(op, _SMOOTH.get(op))
        r_t, r_e = getattr(F, op)(t, **kw), getattr(EF, op)(e, **kw)
        what = f"case {case}: {op} {dtype} {shape} {kind}"
        assert str(r_e.dtype).split(".")[-1] == str(r_t.dtype).split(".")[-1], what
        assert tuple(r_e.shape) == tuple(r_t.shape), what
        assert r_e.is_contiguous() == r_t.is_contiguous(), what
        if op in _EXACT:
            np.testing.assert_array_equal(_np(r_e), _np(r_t), err_msg=what)
        else:
            np.testing.assert_allclose(_np(r_e), _np(r_t), rtol=tol[dtype], atol=tol[dtype],
                                       err_msg=what)


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("src", ["float32", "float64", "float16", "bfloat16"])
@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_dtype_bfloat16_argument(op: str, src: str, dim: int) -> None:
    """``dtype=torch.bfloat16`` casts the input and computes as for a bfloat16 input (Ember
    refused it as an unsupported kernel dtype)."""
    t, e = _pair(_data(9, (6, 9)), src)
    _bit_exact(getattr(F, op)(t, dim, dtype=torch.bfloat16),
               getattr(EF, op)(e, dim, dtype=ember.bfloat16))


@pytest.mark.parametrize("dtype", HALF)
@pytest.mark.parametrize("op", ["leaky_relu", "rrelu", "hardsigmoid"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_piecewise_half_backward_in_float32(dtype: str, op: str, create_graph: bool) -> None:
    """PyTorch's half backward kernels multiply the gradient by the float32 slope (0.01,
    1/6, the rrelu mean) and round once; a half-rounded slope differs in the last bit."""
    v, gv = _data(10, (40, 30)), _data(11, (40, 30), 3.0)
    res = []
    for lib, fn in ((torch, F), (ember, EF)):
        x = lib.tensor(v).to(getattr(lib, dtype)).requires_grad_()
        g = lib.tensor(gv).to(getattr(lib, dtype))
        (gx,) = lib.autograd.grad(getattr(fn, op)(x), x, g, create_graph=create_graph)
        res.append(gx)
    _bit_exact(*res)
