"""Complex numbers and the less common dtypes (float16/bfloat16 rounding, uint16/32/64, bool,
int8 wraparound), found by running short PyTorch programs side by side with Ember (session
20): each test runs the same code with both libraries and compares dtypes, values and errors."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import ember


def _np(t: Any) -> np.ndarray:
    t = t.detach()
    if str(t.dtype).split(".")[-1] in ("bfloat16", "float16"):
        t = t.float()
    return np.asarray(t.numpy())


def same(a: Any, b: Any, exact: bool = False) -> None:
    """``a`` (PyTorch) and ``b`` (Ember): equal dtypes, shapes and values (bitwise with
    ``exact``; signed zeros are not compared)."""
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y, exact)
        return
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    assert tuple(a.shape) == tuple(b.shape)
    if exact:
        np.testing.assert_array_equal(_np(b), _np(a))
    else:
        np.testing.assert_allclose(_np(b), _np(a), rtol=1e-6, atol=1e-12)


def error_of(fn: Any) -> tuple[str, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001 - the type and message are what we compare
        return type(e).__name__, str(e).split("\n")[0]
    return "no error", ""


def same_error(torch: Any, make: Any) -> None:
    """``make(lib)`` returns a thunk; both libraries raise the same type and message."""
    kind, msg = error_of(make(torch))
    assert kind != "no error"
    assert error_of(make(ember)) == (kind, msg.replace("torch.", "ember."))


def _near_half_ties(n: int = 4000, seed: int = 1) -> np.ndarray:
    """Doubles a hair above the midpoint of two neighbouring float16 values: rounded to half
    directly they go up, through float32 (as PyTorch converts) they tie and go to even."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(n).astype(np.float16).astype(np.float64)
    ulp = np.spacing(base.astype(np.float16)).astype(np.float64)
    return base + ulp / 2 + rng.uniform(0, 1e-12, n) * np.abs(base)


# ------------------------------------------------------------------ complex pow
@pytest.mark.parametrize("exponent", [0.5, -0.5, -1, 2, 3])
def test_complex_pow_special_exponents(torch, exponent):
    vals = [complex(a, b) for a in (-2.0, 0.0, 1.5) for b in (-1.0, 0.0, 3.0)]
    vals += [complex(-4, 0), complex(float("inf"), 0), complex(0, 2)]
    for dt in ("complex64", "complex128"):
        z = np.array(vals, dt)
        same(torch.tensor(z) ** exponent, ember.tensor(z) ** exponent)


def test_complex_sqrt_by_pow_is_exact_on_the_axes(torch):
    z = np.array([-4 + 0j, -1 + 0j, 4j], np.complex128)
    r = ember.tensor(z) ** 0.5
    np.testing.assert_array_equal(r.numpy(), (torch.tensor(z) ** 0.5).numpy())
    assert r.real[0].item() == 0.0  # not 8.7e-17 as exp(log(z) / 2) leaves


def test_complex_to_bool_reads_both_parts(torch):
    z = np.array([1j, 0, 2 + 0j, -0.5j], np.complex64)
    for f in (lambda L, t: t.bool(), lambda L, t: t.to(L.bool), lambda L, t: t.reshape(2, 2).t().bool()):
        same(f(torch, torch.tensor(z)), f(ember, ember.tensor(z)), exact=True)


# ------------------------------------------------------------------ creation and views
def test_arange_refuses_complex_bool_and_shell_uints(torch):
    for name in ("complex64", "complex128", "bool", "uint16", "uint32", "uint64"):
        same_error(torch, lambda L, n=name: lambda: L.arange(3, dtype=getattr(L, n)))
    same(torch.arange(3, dtype=torch.uint8), ember.arange(3, dtype=ember.uint8), exact=True)


def test_view_as_complex_of_a_0d_tensor(torch):
    same_error(torch, lambda L: lambda: L.view_as_complex(L.tensor(1.0)))
    same_error(torch, lambda L: lambda: L.view_as_complex(L.ones(3, 3)))


# ------------------------------------------------------------------ uint16 / uint32 / uint64
SHELL = ["uint16", "uint32", "uint64"]


@pytest.mark.parametrize("name", SHELL)
def test_shell_uints_refuse_promotion_like_torch(torch, name):
    for other in ("bool", "uint8", "int8", "int32", "int64", "complex64"):
        same_error(torch, lambda L, o=other: lambda: L.promote_types(getattr(L, name),
                                                                      getattr(L, o)))
        same_error(torch, lambda L, o=other: lambda: L.ones(2, dtype=getattr(L, name))
                   + L.ones(2, dtype=getattr(L, o)))
    for other in ("float16", "float32", "float64", name):
        assert str(ember.promote_types(getattr(ember, name), getattr(ember, other))) == \
            str(torch.promote_types(getattr(torch, name), getattr(torch, other))).replace(
                "torch", "ember")


UINT_REFUSED = {
    "add": lambda L, t: t + t, "add_scalar": lambda L, t: t + 1, "sub": lambda L, t: t - 1,
    "rsub": lambda L, t: 1 - t, "iadd": lambda L, t: t.clone().add_(1),
    "lt": lambda L, t: t < t, "gt_scalar": lambda L, t: t > 1, "le": lambda L, t: t <= 1,
    "ge": lambda L, t: t >= t, "maximum": lambda L, t: L.maximum(t, t),
    "minimum": lambda L, t: L.minimum(t, t), "pow": lambda L, t: t ** 2,
    "rpow": lambda L, t: 2 ** t, "mod": lambda L, t: t % 3, "fmod": lambda L, t: t.fmod(2),
    "floordiv": lambda L, t: t // 2, "div_trunc": lambda L, t: L.div(t, 2, rounding_mode="trunc"),
    "lshift": lambda L, t: t << 1, "rshift": lambda L, t: t >> 1, "bitnot": lambda L, t: ~t,
    "neg": lambda L, t: -t, "abs": lambda L, t: t.abs(), "sign": lambda L, t: t.sign(),
    "max": lambda L, t: t.max(), "min_dim": lambda L, t: t.min(0),
    "argmax": lambda L, t: t.argmax(), "amax": lambda L, t: t.amax(),
    "mean": lambda L, t: t.mean(), "mul_float_inplace": lambda L, t: t.clone().mul_(1.5),
    "clamp": lambda L, t: t.clamp(0, 3), "clamp_max": lambda L, t: t.clamp(max=3),
    "clamp_tensors": lambda L, t: t.clamp(t[:1], t[1:2]), "topk": lambda L, t: t.topk(2),
    "dot": lambda L, t: t @ t, "mm": lambda L, t: t.reshape(2, 2) @ t.reshape(2, 2),
    "mv": lambda L, t: t.reshape(2, 2) @ t[:2], "vm": lambda L, t: t[:2] @ t.reshape(2, 2),
    "bmm": lambda L, t: t.reshape(1, 2, 2) @ t.reshape(1, 2, 2),
}


@pytest.mark.parametrize("name", SHELL)
@pytest.mark.parametrize("op", sorted(UINT_REFUSED))
def test_shell_uint_ops_without_a_kernel_raise_like_torch(torch, name, op):
    arr = np.array([0, 1, 7, 65535]).astype(name)
    f = UINT_REFUSED[op]
    same_error(torch, lambda L: lambda: f(L, L.tensor(arr)))


UINT_OK = {
    "mul": lambda L, t: t * 3, "eq": lambda L, t: t == 1, "ne": lambda L, t: t != t,
    "and": lambda L, t: t & 3, "xor": lambda L, t: t ^ t, "sum": lambda L, t: t.sum(),
    "prod": lambda L, t: t[:3].prod(), "cumsum": lambda L, t: t.cumsum(0),
    "div": lambda L, t: t / 2, "sqrt": lambda L, t: t.sqrt(), "float": lambda L, t: t.float(),
    "add_float": lambda L, t: t + 1.5, "sort": lambda L, t: t.sort()[0],
    "where": lambda L, t: L.where(t == 1, t, t), "round": lambda L, t: t.round(),
    "cat": lambda L, t: L.cat([t, t]), "index": lambda L, t: t[1:3],
}


@pytest.mark.parametrize("name", SHELL)
@pytest.mark.parametrize("op", sorted(UINT_OK))
def test_shell_uint_ops_with_a_kernel_still_work(torch, name, op):
    arr = np.array([0, 1, 7, 65535]).astype(name)
    f = UINT_OK[op]
    same(f(torch, torch.tensor(arr)), f(ember, ember.tensor(arr)), exact=True)


# ------------------------------------------------------------------ half precision rounding
@pytest.mark.parametrize("op", ["sigmoid", "rsqrt", "tanh", "exp", "log1p", "erf", "reciprocal"])
def test_float16_unary_ops_round_once_from_float32(torch, op):
    a = np.abs(np.random.default_rng(0).standard_normal(4096) * 3).astype(np.float32) + 0.01
    same(getattr(torch.tensor(a).half(), op)(), getattr(ember.tensor(a).half(), op)(),
         exact=True)


@pytest.mark.parametrize("exponent", [2, 3, -1, -2, 2.5, 0.5, -0.5])
def test_bfloat16_pow_rounds_as_torch(torch, exponent):
    a = np.abs(np.random.default_rng(0).standard_normal(4096) * 3).astype(np.float32) + 0.01
    same(torch.tensor(a).bfloat16() ** exponent, ember.tensor(a).bfloat16() ** exponent,
         exact=True)


CONVERSIONS = {
    "half()": lambda L, x: L.tensor(x).half(),
    "to(float16)": lambda L, x: L.tensor(x).to(L.float16),
    "tensor(list, dtype)": lambda L, x: L.tensor(x.tolist(), dtype=L.float16),
    "tensor(array, dtype)": lambda L, x: L.tensor(x, dtype=L.float16),
    "as_tensor": lambda L, x: L.as_tensor(x, dtype=L.float16),
    "copy_": lambda L, x: L.zeros(len(x), dtype=L.float16).copy_(L.tensor(x)),
    "full": lambda L, x: L.full((2,), float(x[0]), dtype=L.float16),
    "fill_": lambda L, x: L.zeros(3, dtype=L.float16).fill_(float(x[0])),
    "add scalar": lambda L, x: L.zeros(3, dtype=L.float16) + float(x[0]),
    "sub scalar": lambda L, x: L.tensor(x, dtype=L.float16) - float(x[0]),
    "add_ scalar": lambda L, x: L.tensor(x, dtype=L.float16).add_(float(x[0])),
    "where scalar": lambda L, x: L.where(L.tensor(x) > 0, L.tensor(x, dtype=L.float16),
                                         float(x[0])),
    "clamp": lambda L, x: L.tensor(x, dtype=L.float16).clamp(min=float(x[0])),
    "masked_fill": lambda L, x: L.tensor(x, dtype=L.float16).masked_fill(L.tensor(x) > 0,
                                                                          float(x[0])),
}


@pytest.mark.parametrize("how", sorted(CONVERSIONS))
def test_doubles_round_to_half_through_float(torch, how):
    x = _near_half_ties()
    f = CONVERSIONS[how]
    same(f(torch, x), f(ember, x), exact=True)


@pytest.mark.parametrize("scalar", [0.1, 1.00048828125 + 1e-12, 1.00390625 + 1e-12, 1e5])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_inplace_arithmetic_with_numbers(torch, scalar, dtype):
    x = np.random.default_rng(1).standard_normal(4096)
    for op in ("add_", "sub_", "mul_", "div_"):
        r = [getattr(L.tensor(x, dtype=getattr(L, dtype)), op)(scalar) for L in (torch, ember)]
        same(*r, exact=True)


# ------------------------------------------------------------------ bool and small ints
def test_bool_and_int8_programs(torch):
    def run(L):
        m = L.tensor([True, True, False])
        i8 = L.tensor([100, -100, 127], dtype=L.int8)
        return (m + m, m.sum(), m.cumsum(0), ~m, m * 2, m + 0.5, i8 + i8, i8 * 3, i8.sum(),
                L.tensor([30000, 30000], dtype=L.int16).sum(), -L.tensor([-128], dtype=L.int8),
                L.tensor([-2.7, 2.7, 300.5]).to(L.uint8), L.tensor([1.7, -1.7]).long())

    same(run(torch), run(ember), exact=True)
    same_error(torch, lambda L: lambda: -L.tensor([True]))
    same_error(torch, lambda L: lambda: L.tensor([True]) - L.tensor([True]))


def test_float_to_int_casts_match_torch_on_this_platform(torch):
    # truncation toward zero; NaN, inf and out-of-range values give the platform's values in
    # PyTorch (x86: INT_MIN for int32/int64), which Ember's NumPy casts reproduce here
    v = [float("nan"), float("inf"), -float("inf"), 3e9, -3e9, 300.5, -1.5, 2.7, -0.0]
    for src in ("float16", "float32", "float64"):
        for dst in ("int64", "int32", "int16", "int8", "uint8", "bool"):
            t = torch.tensor(v, dtype=getattr(torch, src)).to(getattr(torch, dst))
            e = ember.tensor(v, dtype=getattr(ember, src)).to(getattr(ember, dst))
            assert e.tolist() == t.tolist(), (src, dst)


WIRTINGER = {
    "abs_squared": lambda L, z: (z.abs() ** 2).sum(),
    "z_conj_z_real": lambda L, z: (z * z.conj()).real.sum(),
    "angle": lambda L, z: z.angle().sum(),
    "abs": lambda L, z: z.abs().sum(),
    "mse_to_target": lambda L, z: ((z - (1 + 1j)).abs() ** 2).mean(),
    "pow_half_abs": lambda L, z: ((z + 5) ** 0.5).abs().sum(),
    "pow_minus_one_imag": lambda L, z: ((z + 3) ** -1).imag.sum(),
}


@pytest.mark.parametrize("name", sorted(WIRTINGER))
def test_complex_gradients_follow_conjugate_wirtinger(torch, name):
    z = np.array([1 + 2j, -3 + 0.5j, 0j, -1 - 1j], np.complex128)  # 0: abs/angle at zero
    grads = []
    for L in (torch, ember):
        t = L.tensor(z, requires_grad=True)
        WIRTINGER[name](L, t).backward()
        grads.append(t.grad)
    same(*grads)


@pytest.mark.parametrize("name", ["uint8", "uint16", "uint32", "uint64"])
def test_negative_ints_into_unsigned_tensors(torch, name):
    # uint8/16/32 wrap negative Python ints down to -max; uint64 refuses them (OverflowError)
    for v in (-1, -255, -256, -65535, -65536, -2**31, -2**32, 70000, 2**32, [1, -1], [[-3, 2]]):
        data = v if isinstance(v, list) else [v]
        t = error_of(lambda L=torch, d=data: L.tensor(d, dtype=getattr(L, name)))
        if t[0] == "no error":
            same(torch.tensor(data, dtype=getattr(torch, name)),
                 ember.tensor(data, dtype=getattr(ember, name)), exact=True)
        else:
            assert error_of(lambda d=data: ember.tensor(d, dtype=getattr(ember, name))) == t
