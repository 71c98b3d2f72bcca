"""Pointwise ops, broadcasting and type promotion against PyTorch (session 23, lane A), found by
a differential fuzzer: add/sub's ``alpha`` conversions, ``out=`` of isposinf / isneginf /
signbit / conj_physical / float_power, size-mismatch errors before dtype refusals, layouts of
integer rounding and constant predicates, half-precision logit, addcmul/addcdiv's complex
``value`` and layout, and complex ``pow`` with a tensor exponent."""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _np(t: Any) -> np.ndarray:
    t = t.detach()
    if str(t.dtype).split(".")[-1] in ("bfloat16", "float16"):
        t = t.float()
    return np.asarray(t.numpy())


def same(a: Any, b: Any, rtol: float = 0.0, atol: float = 0.0, strides: bool = False) -> None:
    """``a`` (PyTorch) and ``b`` (Ember): equal dtype and shape, values within tolerance (nan
    where nan), and with ``strides`` the same element strides."""
    assert str(b.dtype).split(".")[-1] == str(a.dtype).split(".")[-1]
    assert tuple(b.shape) == tuple(a.shape)
    np.testing.assert_allclose(_np(b), _np(a), rtol=rtol, atol=atol, equal_nan=True)
    if strides:  # a size-1 dim's stride is not observable in the layout
        assert [s for s, n in zip(b.stride(), b.shape) if n != 1] == \
            [s for s, n in zip(a.stride(), a.shape) if n != 1]


def outcome(fn: Any) -> tuple:
    """``("ok", result)`` or ``(exception type name, first message line)``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the type and message are the observation
        return type(e).__name__, str(e).split("\n")[0]


def same_outcome(make: Any, rtol: float = 0.0) -> None:
    """``make(lib)`` runs the same program on each library: both fail with the same exception
    type (Ember's message holds PyTorch's), or both succeed with equal results."""
    kt, rt = outcome(lambda: make(torch))
    ke, re_ = outcome(lambda: make(ember))
    assert ke == kt, (kt, rt, ke, re_)
    if kt == "ok":
        same(rt, re_, rtol=rtol)
    else:
        assert rt in re_ or rt.replace("torch.", "ember.") in re_, (rt, re_)


def pair(v: Any, dtype: str | None = None) -> tuple:
    x = np.asarray(v)
    t, e = torch.from_numpy(x.copy()), ember.from_numpy(x.copy())
    if dtype is not None:
        t, e = t.to(getattr(torch, dtype)), e.to(getattr(ember, dtype))
    return t, e


# ------------------------------------------------------------------ shapes before dtypes
@pytest.mark.parametrize("fn", [
    lambda m: m.ones(3) // m.ones(2),
    lambda m: m.ones(3, dtype=m.int32) // m.ones(2, 1, 4, dtype=m.int32),
    lambda m: m.div(m.ones(3, 4), m.ones(3), rounding_mode="trunc"),
    lambda m: m.div(m.ones(3, 4).long(), m.ones(3).long(), rounding_mode="trunc"),
    lambda m: m.floor_divide(m.ones(2, 3).half(), m.ones(2)),
    lambda m: m.lerp(m.ones(3, 1, 2), m.ones(3), 0.5),
    lambda m: m.lerp(m.ones(3, 2), m.ones(4, 2), m.ones(3, 2)),
    lambda m: m.lerp(m.ones(3).long(), m.ones(4, 4).long(), m.ones(3).long()),
    lambda m: m.bitwise_or(m.ones(3, 4).half(), m.ones(1, 3).half()),
    lambda m: m.ones(3, 3).bool() & m.ones(0, 3).double(),
    lambda m: m.atan2(m.ones(3).cfloat(), m.ones(4).cfloat()),
    lambda m: m.gcd(m.ones(3, 2).float(), m.ones(2, 3).float()),
    lambda m: m.remainder(m.ones(2).byte(), m.ones(3).cfloat()),
], ids=lambda f: "")
def test_size_mismatch_is_reported_before_the_dtype(fn: Any) -> None:
    same_outcome(fn)


@pytest.mark.parametrize("fn", [
    lambda m: m.ones(1).long().atan2_(m.ones(3)),
    lambda m: m.ones(2).long().atan2_(m.ones(3)),
    lambda m: m.ones(1).half().bitwise_and_(m.ones(3).half()),
    lambda m: m.ones(1).long().clamp_(m.ones(3), None),
    lambda m: m.ones(1, 1).cfloat().copysign_(m.ones(4, 1).int()),
    lambda m: m.ones(()).bool().floor_divide_(m.ones(4, 3, 1).bool()),
    lambda m: m.ones(1).cfloat().ge_(m.ones(3).cfloat()),
    lambda m: m.ones(2, 1, 4).double().bitwise_xor_(m.ones(2, 3, 4).double()),
    lambda m: m.ones(()).bool().gcd_(m.ones(3, 1).bool()),
    lambda m: m.ones(3, 1).long().hypot_(m.ones(3, 1).short()),
], ids=lambda f: "")
def test_inplace_shape_errors_come_before_dtype_errors(fn: Any) -> None:
    same_outcome(fn)


# ------------------------------------------------------------------ alpha
@pytest.mark.parametrize("alpha", [-4, -255, -256, 255, 300, 2])
@pytest.mark.parametrize("op", ["add", "sub"])
def test_uint8_alpha_wraps_or_overflows_as_pytorch(op: str, alpha: int) -> None:
    a = np.array([1, 2, 3, 200], dtype=np.uint8)
    b = np.array([1, 2, 100, 7], dtype=np.uint8)
    same_outcome(lambda m: getattr(m, op)(m.from_numpy(a.copy()), m.from_numpy(b.copy()),
                                          alpha=alpha))
    same_outcome(lambda m: getattr(m, op)(m.from_numpy(a.copy()), m.from_numpy(b[1:2].copy())[0],
                                          alpha=alpha))
    same_outcome(lambda m: getattr(m, op)(m.from_numpy(a.copy()), 5, alpha=alpha))
    same_outcome(lambda m: getattr(m.from_numpy(a.copy()), op + "_")(3, alpha=alpha))


@pytest.mark.parametrize("dtype,alpha", [("int8", 200), ("int8", -128), ("int8", -129),
                                         ("int32", -2 ** 31), ("int32", 2 ** 31),
                                         ("int64", 2 ** 40)])
def test_signed_alpha_range(dtype: str, alpha: int) -> None:
    a = np.array([1, -2, 3], dtype=dtype)
    same_outcome(lambda m: m.add(m.from_numpy(a.copy()), m.from_numpy(a[::-1].copy()),
                                 alpha=alpha))


@pytest.mark.parametrize("fn", [
    lambda m, x: m.add(x.byte(), x.byte(), alpha=1.0),
    lambda m, x: m.sub(x.long(), x.long(), alpha=1.0),
    lambda m, x: x.byte().add_(x.byte(), alpha=1.0),
    lambda m, x: x.clone().sub_(x, alpha=True),
    lambda m, x: m.add(x, x, alpha=True),
    lambda m, x: m.sub(x, x, alpha=True),
    lambda m, x: m.add(x.half(), x.half(), alpha=True),
    lambda m, x: m.add(x, x, alpha=1 + 0j),
    lambda m, x: m.add(x.bool(), x.bool(), alpha=1.0),
    lambda m, x: m.add(x.bool(), x.bool(), alpha=True),
    lambda m, x: m.add(x.cfloat(), x, alpha=1 + 0j),
    lambda m, x: m.add(x, x, alpha=1.0),
    lambda m, x: m.add(x.byte(), x, alpha=1.0),
], ids=lambda f: "")
def test_alpha_kind_checks(fn: Any) -> None:
    v = np.array([1.0, 0.0, 3.0], dtype=np.float32)
    same_outcome(lambda m: fn(m, m.from_numpy(v.copy())))


# ------------------------------------------------------------------ out=
@pytest.mark.parametrize("name", ["isposinf", "isneginf", "signbit"])
@pytest.mark.parametrize("out_dtype", ["bool", "float32", "int64", "complex64"])
@pytest.mark.parametrize("dtype", ["float32", "int32", "complex64"])
def test_predicates_with_out(name: str, out_dtype: str, dtype: str) -> None:
    v = np.array([[1.0, -0.0, np.inf], [-np.inf, 3.0, np.nan]]).T

    def run(m: Any) -> Any:
        x = m.from_numpy(v.copy()).to(getattr(m, dtype)) if dtype != "int32" else \
            m.from_numpy(np.nan_to_num(v).clip(-5, 5).copy()).to(m.int32)
        o = m.zeros(0, dtype=getattr(m, out_dtype))
        r = getattr(m, name)(x, out=o)
        assert r is o
        return r

    same_outcome(run)


@pytest.mark.parametrize("out_dtype,shape", [("float32", (0,)), ("float32", (3, 2)),
                                             ("float64", (3, 2)), ("bool", (0,)),
                                             ("complex64", (0,))])
@pytest.mark.parametrize("dtype", ["float32", "complex64"])
def test_conj_physical_out(dtype: str, out_dtype: str, shape: tuple) -> None:
    v = np.array([[1 + 2j, -3j, 2], [0.5, 1j, -1 - 1j]]).T

    def run(m: Any) -> Any:
        x = m.from_numpy(v.copy()).to(getattr(m, dtype))
        o = m.zeros(shape, dtype=getattr(m, out_dtype))
        r = m.conj_physical(x, out=o)
        assert r is o
        return r

    same_outcome(run)


@pytest.mark.parametrize("out_dtype", ["float64", "float32", "int32", "bfloat16", "complex128",
                                       "bool"])
@pytest.mark.parametrize("base,exp", [("uint8", 2.5), ("float32", "float16"),
                                      ("int64", "int64"), ("complex64", 2)])
def test_float_power_out(base: str, exp: Any, out_dtype: str) -> None:
    v = np.array([[1, 2, 3], [4, 0, 2]])

    def run(m: Any) -> Any:
        a = m.from_numpy(v.copy()).to(getattr(m, base))
        b = exp if not isinstance(exp, str) else m.from_numpy(v[::-1].copy()).to(getattr(m, exp))
        o = m.empty(0, dtype=getattr(m, out_dtype))
        r = m.float_power(a, b, out=o)
        assert r is o
        return r

    same_outcome(run, rtol=1e-12)


@pytest.mark.parametrize("in_dtype,out_dtype", [("uint8", "complex64"), ("int16", "int16"),
                                                ("bool", "int16"), ("float32", "float64"),
                                                ("float64", "float64"), ("int32", "bfloat16")])
def test_nan_to_num_out_dtype_must_match(in_dtype: str, out_dtype: str) -> None:
    v = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])

    def run(m: Any) -> Any:
        x = m.from_numpy(v.copy() if in_dtype.startswith("float") else np.nan_to_num(
            v, posinf=3, neginf=-3).copy()).to(getattr(m, in_dtype))
        return m.nan_to_num(x, out=m.empty(0, dtype=getattr(m, out_dtype)))

    same_outcome(run)


_UNARY_NAMES = ["abs", "neg", "sign", "sgn", "exp", "sqrt", "rsqrt", "sigmoid", "erf", "erfinv",
                "floor", "ceil", "round", "trunc", "fix", "frac", "reciprocal", "square",
                "bitwise_not", "logical_not", "i0", "deg2rad", "rad2deg", "logit", "angle"]


@pytest.mark.parametrize("out_dtype", ["int64", "float32", "complex64", "bool", "float64"])
@pytest.mark.parametrize("dtype", ["complex64", "float32", "int64", "bool", "float16"])
def test_unary_out_dtype_checks_in_pytorch_order(dtype: str, out_dtype: str) -> None:
    # an out= the result can't be cast to is refused before a kernel refuses the dtype
    # (erfinv of complex into int64); op-specific refusals (floor of complex) come first
    for name in _UNARY_NAMES:
        same_outcome(lambda m, name=name: getattr(m, name)(
            m.ones(3, dtype=getattr(m, dtype)), out=m.empty(3, dtype=getattr(m, out_dtype))),
                     rtol=1e-6)  # float32 libm results may differ by an ulp


@pytest.mark.parametrize("fn", [
    lambda m: m.floor_divide(m.ones(2, 3).cfloat(), m.ones(3), out=m.empty(0).long()),
    lambda m: m.div(m.ones(2, 3).cfloat(), 2, rounding_mode="trunc", out=m.empty(0)),
    lambda m: m.atan2(m.ones(2, 3).cfloat(), m.ones(3), out=m.empty(0).int()),
    lambda m: m.hypot(m.ones(3).cfloat(), m.ones(3).cfloat(), out=m.empty(0).bool()),
    lambda m: m.gcd(m.ones(3).long(), m.ones(3).long(), out=m.empty(0).bool()),
    lambda m: m.lcm(m.ones(3).half(), m.ones(3).half(), out=m.empty(0).long()),
    lambda m: m.gcd(m.ones(3).long(), m.ones(3).long(), out=m.empty(0)),
    lambda m: m.nextafter(m.ones(3), m.ones(3), out=m.empty(0).long()),
    lambda m: m.ldexp(m.ones(3), m.ones(3), out=m.empty(0).to(m.int8)),
    lambda m: m.ldexp(m.ones(3).long(), m.ones(3).long(), out=m.empty(0).long()),
    lambda m: m.ldexp(m.ones(3), m.ones(3).long(), out=m.empty(0).double()),
    lambda m: m.heaviside(m.ones(3), m.ones(3), out=m.empty(0).double()),
    lambda m: m.heaviside(m.ones(3), m.ones(3), out=m.empty(0)),
], ids=lambda f: "")
def test_binary_out_dtype_checks(fn: Any) -> None:
    same_outcome(fn)


@pytest.mark.parametrize("out_dtype", ["bool", "float32", "int64"])
def test_neg_of_bool_with_out_refuses_the_bool_first(out_dtype: str) -> None:
    same_outcome(lambda m: m.neg(m.tensor([True, False]), out=m.empty(2, dtype=getattr(
        m, out_dtype))))
    same_outcome(lambda m: m.negative(m.tensor([True]), out=m.empty(0, dtype=getattr(
        m, out_dtype))))


# ------------------------------------------------------------------ layouts
@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "fix", "isinf", "isnan",
                                  "isfinite", "isreal", "isposinf", "signbit", "nan_to_num",
                                  "sign", "sgn"])
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
def test_integer_inputs_keep_the_transposed_layout(name: str, dtype: str) -> None:
    if dtype == "bool" and name in ("floor", "ceil", "round", "trunc", "fix"):
        pytest.skip("PyTorch has no bool kernel for rounding")
    v = np.arange(24).reshape(2, 3, 4) % 5

    def run(m: Any) -> Any:
        x = m.from_numpy(v.copy()).to(getattr(m, dtype)).permute(2, 0, 1)
        return getattr(m, name)(x)

    t, e = run(torch), run(ember)
    same(t, e, strides=True)
    assert e.is_contiguous() == t.is_contiguous()


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("dt", ["float32", "float64", "bfloat16"])
def test_addc_result_follows_a_transposed_input(op: str, dt: str) -> None:
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(s).astype(np.float32) + 2 for s in ((4, 3, 5), (5,), (3, 5)))

    def run(m: Any) -> Any:
        d = getattr(m, dt)
        x = m.from_numpy(a.copy()).to(d).permute(2, 1, 0)
        return getattr(m, op)(x, m.from_numpy(b.copy()).to(d)[:, None, None],
                              m.from_numpy(c.copy()).to(d).t()[:, :, None], value=0.5)

    t, e = run(torch), run(ember)
    same(t, e, rtol=1e-6 if dt != "bfloat16" else 1e-2, strides=True)


# ------------------------------------------------------------------ addcmul / addcdiv value
@pytest.mark.parametrize("value", [1.5 - 0.5j, 1 + 0j, -2 + 0j])
@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64", "float16", "bfloat16", "float32",
                                   "float64", "complex64"])
@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
def test_addc_complex_value(op: str, dtype: str, value: complex) -> None:
    v = np.array([1.0, 2.0, 4.0])
    same_outcome(lambda m: getattr(m, op)(*(m.from_numpy(v.copy()).to(getattr(m, dtype))
                                            for _ in range(3)), value=value), rtol=1e-6)


# ------------------------------------------------------------------ logit in half precision
@pytest.mark.parametrize("eps", [None, 1e-6, 1e-3, 1e-2, 0.3, 0.7])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_logit_rounds_each_step_as_pytorch(dtype: str, eps: Any) -> None:
    v = np.concatenate([np.random.default_rng(23).uniform(-0.1, 1.1, 600),
                        [0.0, 1.0, 0.5, 0.999, 0.001]]).astype(np.float32)
    t, e = pair(v, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same(torch.logit(t, eps=eps), ember.logit(e, eps=eps))
        same(t.clone().logit_(eps=eps), e.clone().logit_(eps=eps))


# ------------------------------------------------------------------ complex pow
def _zero_bases(dt: str) -> tuple:
    a = np.array([0j, 0j, 0j, 0j, 1 + 1j, 0j, 0j, -2 + 0.5j])
    b = np.array([0j, 2 + 0j, 0.5 + 0j, 1j, 0j, -1 + 0j, -0.5 + 1j, 1.5 - 2j])
    return pair(a, dt), pair(b, dt)


@pytest.mark.parametrize("dt", ["complex64", "complex128"])
@pytest.mark.parametrize("fn", [
    lambda m, a, b: m.pow(a, b),
    lambda m, a, b: a ** b,
    lambda m, a, b: a.clone().pow_(b),
    lambda m, a, b: m.pow(a, b.real),
    lambda m, a, b: m.pow(a, b.real.long()),
    lambda m, a, b: m.pow(a.real, b),
    lambda m, a, b: m.pow(a, m.tensor(2 + 0j)),
    lambda m, a, b: m.pow(0j, b),
    lambda m, a, b: m.pow(2.0, b),
    lambda m, a, b: (1 + 1j) ** b,
], ids=lambda f: "")
def test_complex_pow_with_a_tensor_exponent(dt: str, fn: Any) -> None:
    # PyTorch computes exp(b * log(a)): 0 ** 0 is nan, 0 ** -1 is inf + nan j; a number base
    # takes the exponent's dtype (complex64 stays complex64)
    (ta, ea), (tb, eb) = _zero_bases(dt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, e = fn(torch, ta, tb), fn(ember, ea, eb)
    same(t, e, rtol=1e-6 if dt == "complex64" else 1e-12, atol=1e-6)


# ------------------------------------------------------------------ NumPy scalars
_NP_SCALARS = [np.float64(2.5), np.float32(2.5), np.int32(3), np.uint8(3), np.bool_(True),
               np.int8(-2), np.complex128(1 + 2j)]


@pytest.mark.parametrize("s", _NP_SCALARS, ids=repr)
@pytest.mark.parametrize("dtype", ["uint8", "float16", "bool"])
@pytest.mark.parametrize("fn", [
    lambda m, x, s: x + s,
    lambda m, x, s: s * x,
    lambda m, x, s: x // s,
    lambda m, x, s: x & s,
    lambda m, x, s: m.where(x > 0, x, s),
    lambda m, x, s: m.where(x > 0, s, 0),
    lambda m, x, s: x.add_(s),
    lambda m, x, s: x == s,
    lambda m, x, s: m.clamp(x, s),
    lambda m, x, s: m.clamp(x, max=s),
    lambda m, x, s: x ** s,
], ids=lambda f: "")
def test_numpy_scalars_read_as_pytorch_reads_them(fn: Any, dtype: str, s: Any) -> None:
    # PyTorch's argument parser takes NumPy integers as ints, np.float64 / np.complex128 as
    # themselves and the other NumPy scalars (np.bool_, np.float32, ...) as floats
    if dtype == "float16" and isinstance(s, np.complexfloating):
        pytest.skip("Ember has no complex32")
    same_outcome(lambda m: fn(m, m.ones(2, dtype=getattr(m, dtype)), s), rtol=1e-3)


# ------------------------------------------------------------------ operators, seeded fuzz
_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
        "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "&": operator.and_,
        "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift,
        "==": operator.eq, "<": operator.lt, ">=": operator.ge}
_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]


def _operand(rng: np.random.Generator, dt: str, shape: tuple) -> np.ndarray:
    if dt == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dt.startswith("float"):
        v = np.round(rng.standard_normal(shape) * 3, 2)
        v.flat[:: 5] = 0.0
        return np.asarray(v, dtype=dt)
    lo = 0 if dt == "uint8" else -6
    return np.asarray(rng.integers(lo, 7, shape), dtype=dt)


def _case(rng: np.random.Generator) -> tuple:
    sym = str(rng.choice(list(_OPS)))
    shape = tuple(int(rng.choice([1, 2, 3])) for _ in range(int(rng.integers(0, 4))))
    other = tuple(1 if rng.random() < 0.4 else d for d in shape)[int(rng.integers(0, 2)):]
    a = _operand(rng, str(rng.choice(_DTYPES)), shape)
    r = rng.random()
    b: Any = _operand(rng, str(rng.choice(_DTYPES)), other) if r < 0.6 else \
        [True, 3, -2, 2.5, 0][int(rng.integers(0, 5))]
    return sym, a, b, bool(rng.random() < 0.25), bool(rng.random() < 0.3)


def _run_case(m: Any, sym: str, a: np.ndarray, b: Any, reflected: bool, transposed: bool) -> Any:
    x = m.from_numpy(a.copy())
    if transposed and x.ndim >= 2:
        x = x.mT.contiguous().mT
    y = m.from_numpy(np.ascontiguousarray(b)) if isinstance(b, np.ndarray) else b
    if reflected and not isinstance(b, np.ndarray):
        return _OPS[sym](y, x)
    return _OPS[sym](x, y)


def test_seeded_operator_fuzz() -> None:
    # operators on random dtypes, broadcast shapes, 0-d operands, transposed layouts and
    # Python numbers on either side: same success, dtype, shape, values and layout
    rng = np.random.default_rng(2323)
    bad = []
    for i in range(300):
        case = _case(rng)
        kt, rt = outcome(lambda case=case: _run_case(torch, *case))
        ke, re_ = outcome(lambda case=case: _run_case(ember, *case))
        if (kt == "ok") != (ke == "ok"):
            bad.append((i, case[0], kt, rt if kt != "ok" else "", ke, re_ if ke != "ok" else ""))
            continue
        if kt == "ok":
            try:
                same(rt, re_, rtol=1e-6, atol=1e-6, strides=rt.numel() > 1)
            except AssertionError as err:
                bad.append((i, case[0], str(err)[:200]))
    assert not bad, bad
