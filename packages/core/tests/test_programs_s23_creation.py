"""Creation and conversion against PyTorch (session 23, lane I, from a differential fuzzer):
ragged data whose first elements give an empty shape, the order of tensor()'s element
errors, numbers a bool or integer dtype takes, huge ints, the strides of converted NumPy
arrays, arange's near-zero float values, range/linspace/logspace dtype refusals, legacy
type strings, complex scalars with float tensors, and nested 0-d tensors."""

from __future__ import annotations

import operator
import random

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _run(m, fn):
    """``fn(m)`` as a comparable record: a tensor's dtype/shape/strides/values, a Python
    value with its type, or an exception's type and text."""
    try:
        r = fn(m)
    except Exception as e:  # noqa: BLE001 - the exception is the observable result
        return ("err", type(e).__name__, str(e))
    if isinstance(r, (torch.Tensor, ember.Tensor)):
        vals = r.detach().float().tolist() if "bfloat16" in str(r.dtype) else r.tolist()
        return (str(r.dtype).split(".")[-1], tuple(r.shape), r.stride(), repr(vals))
    return (type(r).__name__, repr(r))


def _same(fn) -> None:
    assert _run(ember, fn) == _run(torch, fn)


def _bits(t) -> np.ndarray:
    return t.numpy().view(np.uint8)


# ------------------------------------------------------------------ arange near zero
@pytest.mark.parametrize("args", [(-2.5, 0.5, 0.1), (4.4, -3.35, -0.05), (4.0, -14.2, -0.1),
                                  (3.9, -30.0, -0.3), (-0.4, 0.0057, 0.01)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_arange_values_through_zero_are_fused(args, dtype):
    """PyTorch's kernel computes start + i*step as one fused multiply-add for float32 too:
    the value that should be 0 is its tiny rounding error, not NumPy's."""
    e = ember.arange(*args, dtype=getattr(ember, dtype))
    t = torch.arange(*args, dtype=getattr(torch, dtype))
    np.testing.assert_array_equal(_bits(e), _bits(t))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_arange_negative_zero_start_keeps_its_sign(dtype):
    e = ember.arange(-0.0, -1, -0.25, dtype=getattr(ember, dtype))
    t = torch.arange(-0.0, -1, -0.25, dtype=getattr(torch, dtype))
    np.testing.assert_array_equal(_bits(e), _bits(t))


@pytest.mark.parametrize("args", [(-3, 7, 1), (-3, 5, 2), (5, -3, -1), (-200, 100, 37)])
@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_arange_int_bounds_outside_the_type_wrap(args, dtype):
    _same(lambda m: m.arange(*args, dtype=getattr(m, dtype)))


# ------------------------------------------------------------------ tensor(): ragged data
EMPTY_RAGGED = [([[], [1]], None), ([[], [1]], "int32"), ([(), [[1]], 2], None),
                ([[], [1j]], None), ([[], [1]], "bool"), ([[], [np.True_]], None),
                ([[], [1]], "float16"), ((([], [], ((),))), "bfloat16"),
                ([(), (3.0, False), (False, False)], "float64")]


@pytest.mark.parametrize("data,dtype", EMPTY_RAGGED)
def test_ragged_data_with_an_empty_first_shape_is_empty(data, dtype):
    """PyTorch reads the shape off the first elements; holding a 0 it stores nothing, and
    each empty list counts as the default float in the dtype."""
    _same(lambda m: m.tensor(data, dtype=getattr(m, dtype) if dtype else None))


RAGGED_ERRORS = [([[1j], [2, 3]], "int64"), ([[1], [2, 1j]], "int64"), ([[1, 1j], [2]], "int64"),
                 ([[1.5, np.float32(2)], [1]], "int32"), ([[1.5, 1j], [1]], "float32"),
                 ([[1.5, np.True_], [1]], "uint8"), ([[1j], [2, 3]], "bool"),
                 ([[np.float32(2)], [1, 1]], "int8"), ([[1.5, np.float32(2)], [1]], "float32")]


@pytest.mark.parametrize("data,dtype", RAGGED_ERRORS)
def test_ragged_data_reports_the_first_failure_depth_first(data, dtype):
    """PyTorch converts each number as it stores it: a number that does not convert before
    the sequence of the wrong length is the error."""
    _same(lambda m: m.tensor(data, dtype=getattr(m, dtype)))


# ------------------------------------------------------------------ tensor(): numbers
NUMBERS = [([np.True_], "bool"), ([1j, 0j], "bool"), (1j, "bool"), ([[1j, 0], [2, 3]], "bool"),
           ([np.float32(0)], "bool"), ([np.complex64(1j)], "bool"), ([np.int8(3)], "bool"),
           ([np.float32(2)], "int8"), (np.float32(2), "int64"), ([np.complex128(1j)], "int32"),
           ([np.float16(1.5), 2], "int16"), ([np.complex128(1j)], "float32"),
           (10**20, "bfloat16"), ([10**20, 1], "bfloat16"), (10**400, "float64"),
           ([1.5, 10**400], None), ([1, 2**64], "float64"), (2**64, None),
           ([1.5, None, 2], "bfloat16")]


@pytest.mark.parametrize("data,dtype", NUMBERS)
def test_numbers_a_dtype_takes(data, dtype):
    """A bool dtype reads a complex as nonzero; integer dtypes refuse NumPy floats and bools
    (no __index__); a float dtype takes any int a double holds (bfloat16 included)."""
    _same(lambda m: m.tensor(data, dtype=getattr(m, dtype) if dtype else None))


@pytest.mark.parametrize("inner", ["complex64", "bfloat16", "int64", "float32"])
@pytest.mark.parametrize("out", [None, "bool", "int32", "float64"])
def test_nested_lists_of_0d_tensors(inner, out):
    """0-d tensors in a list of lists are numbers as in a flat list: any dtype, and read
    as an index where the result is integral."""
    def fn(m):
        d = getattr(m, inner)
        return m.tensor([[m.tensor(1, dtype=d)], [m.tensor(0, dtype=d)]],
                        dtype=getattr(m, out) if out else None)
    _same(fn)


# ------------------------------------------------------------------ NumPy array strides
BASE = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
ARRAYS = {"bcast": lambda: np.broadcast_to(BASE[0, 0], (3, 4)),
          "colT": lambda: BASE[0][:, :1].T, "T": lambda: BASE.T,
          "row": lambda: BASE[:, :1, :].astype(np.int32)[:, :, ::2]}


@pytest.mark.parametrize("name", list(ARRAYS))
@pytest.mark.parametrize("op", ["tensor", "as_tensor", "asarray"])
@pytest.mark.parametrize("dtype", [None, "float32", "float64", "int64"])
def test_converted_numpy_array_strides(name, op, dtype):
    """A copy keeps a dense array's strides and makes others dense in their dim order
    (a broadcast array C-contiguous), as PyTorch's copy does, whatever NumPy's order 'K'."""
    a = ARRAYS[name]()
    _same(lambda m: getattr(m, op)(a, dtype=getattr(m, dtype) if dtype else None))


# ------------------------------------------------------------------ scalar extraction
@pytest.mark.parametrize("shape", [(2,), (2, 3), (0,)])
@pytest.mark.parametrize("conv", [complex, float, int])
def test_python_number_of_several_elements_is_a_value_error(shape, conv):
    _same(lambda m: conv(m.ones(shape)))


def test_index_of_a_float_tensor_is_a_type_error():
    _same(lambda m: operator.index(m.tensor(2.0)))


# ------------------------------------------------------------------ range family
RANGE_CASES = [
    lambda m: m.range(2), lambda m: m.range(2.5, dtype=m.int32),
    lambda m: m.range(0, 1, dtype=m.bool), lambda m: m.range(0, -1, dtype=m.bool),
    lambda m: m.range(0, 1, dtype=m.complex128), lambda m: m.range(0, 1, dtype=m.uint16),
    lambda m: m.arange(True, 0.1, dtype=m.complex64), lambda m: m.arange(3.7, -1, dtype=m.bool),
    lambda m: m.linspace(0, 1, 0, dtype=m.bool), lambda m: m.linspace(0, 1, 1, dtype=m.bool),
    lambda m: m.linspace(0.1, 6, 2, dtype=m.bool), lambda m: m.logspace(0, 1, 3, dtype=m.bool),
    lambda m: m.logspace(0, 1, 1, dtype=m.bool), lambda m: m.logspace(0, 1, 0, dtype=m.bool),
    lambda m: m.logspace(3.7, 1, 1, dtype=m.int64), lambda m: m.logspace(3.7, 1, 0, dtype=m.int64),
    lambda m: m.logspace(3.7, 1, -1, dtype=m.int64),
    lambda m: m.logspace(3.7, 1.2, 4, base=2.7, dtype=m.int32),
    lambda m: m.logspace(2.5, 2.5, 1, base=3, dtype=m.uint8),
    lambda m: m.logspace(-3.7, 2.2, 4, base=2, dtype=m.int32),
]


@pytest.mark.parametrize("i", range(len(RANGE_CASES)))
def test_range_family_dtypes_and_errors(i):
    """range has no one-argument form; bool/complex refused by the kernels before the
    bounds are checked (linspace/logspace: only past one step); an integer logspace of one
    step is base ** start in double, truncated."""
    _same(RANGE_CASES[i])


# ------------------------------------------------------------------ Tensor.type strings
@pytest.mark.parametrize("name", ["torch.ComplexFloatTensor", "torch.ComplexDoubleTensor",
                                  "torch.FloatTensor", "torch.LongTensor", "torch.UInt16Tensor",
                                  "torch.BFloat16Tensor", "FloatTensor", "torch.float32",
                                  "float", "torch.Foo"])
def test_type_with_a_string(name):
    """Only a legacy tensor type name is a type; anything else is PyTorch's ValueError."""
    def fn(m):
        x = m.ones(2)
        r = x.type(name)
        return (r.type(), r is x, str(r.dtype).split(".")[-1])
    _same(fn)


def test_type_of_unsigned_tensors():
    for d in ["uint16", "uint32", "uint64"]:
        _same(lambda m, d=d: m.ones(2, dtype=getattr(m, d)).type())


# ------------------------------------------------------------------ complex scalars
@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("src", ["float32", "float64", "int64", "bool", "complex64"])
@pytest.mark.parametrize("op", ["mul", "add", "rsub", "div"])
def test_complex_scalar_keeps_a_float_tensors_precision(default, src, op):
    """A float tensor with a complex Python scalar gives that float's complex type; the
    default complex type is only for integer and bool tensors."""
    def fn(m):
        old = m.get_default_dtype()
        m.set_default_dtype(getattr(m, default))
        try:
            x = m.ones(2, dtype=getattr(m, src))
            return {"mul": lambda: x * 1.5j, "add": lambda: m.add(x, 1.5j),
                    "rsub": lambda: 1.5j - x, "div": lambda: x / 1.5j}[op]()
        finally:
            m.set_default_dtype(old)
    _same(fn)


# ------------------------------------------------------------------ seeded fuzz
def _nested(rng: random.Random, depth: int):
    kind = rng.choice("bifc")
    leaf = {"b": lambda: rng.choice([True, False]), "i": lambda: rng.randint(-5, 9),
            "f": lambda: rng.choice([0.5, -1.25, 3.0]), "c": lambda: complex(1, rng.randint(-2, 2))}

    def build(d):
        if d == 0:
            return leaf[rng.choice("bifc") if rng.random() < 0.2 else kind]()
        return rng.choice([list, tuple])(build(d - 1) for _ in range(rng.choice([0, 1, 2, 3])))
    return build(depth)


def test_fuzz_tensor_from_nested_data():
    """300 random nested lists/tuples of bools, ints, floats and complexes (ragged ones
    included), each with a random dtype: the same tensor or the same error as PyTorch."""
    rng = random.Random(23)
    dtypes = [None, None, "bool", "uint8", "int8", "int32", "int64", "float16", "bfloat16",
              "float32", "float64", "complex64"]
    bad = []
    for _ in range(300):
        data = _nested(rng, rng.choice([0, 1, 2, 3]))
        dt = rng.choice(dtypes)

        def fn(m, data=data, dt=dt):
            return m.tensor(data, dtype=getattr(m, dt) if dt else None)
        e, t = _run(ember, fn), _run(torch, fn)
        if e != t:
            bad.append(f"tensor({data!r}, dtype={dt}): ember {e} torch {t}")
    assert not bad, "\n".join(bad[:10])


# ------------------------------------------------------------------ full's fill value
@pytest.mark.parametrize("fill", ["1d", "0d", "2d", "none", "np0d", "npf32", "str"])
def test_full_fill_value_must_be_a_number(fill):
    """A 0-d tensor or NumPy scalar is a number to full(); a 1-element tensor, a 0-d array,
    None or a str is PyTorch's TypeError."""
    def fn(m):
        v = {"1d": lambda: m.tensor([3]), "0d": lambda: m.tensor(3), "2d": lambda: m.tensor([[3.5]]),
             "none": lambda: None, "np0d": lambda: np.array(2.0), "npf32": lambda: np.float32(2),
             "str": lambda: "3"}[fill]()
        return m.full((2,), v)
    _same(fn)


def test_complex_to_real_conversion_warns_as_pytorch():
    """tensor(complex data, dtype=float) drops the imaginary part with PyTorch's UserWarning
    (once per process), never NumPy's ComplexWarning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        warnings.simplefilter("ignore", UserWarning)
        got = ember.tensor(ember.tensor([1 + 2j, 3j]), dtype=ember.float64)
        got2 = ember.as_tensor(np.array([1 + 1j, 2]), dtype=ember.int32)
    want = torch.tensor(torch.tensor([1 + 2j, 3j]), dtype=torch.float64)
    want2 = torch.as_tensor(np.array([1 + 1j, 2]), dtype=torch.int32)
    assert got.tolist() == want.tolist() and got2.tolist() == want2.tolist()


@pytest.mark.parametrize("args", [(True, -2.5, 5), (0, -1, 3), (0, -2.5, 3), (0, 256, 3),
                                  (-300, 5, 3), (-1, 1, 3), (-1.5, 3, 3), (-100, 100, 5)])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32"])
@pytest.mark.parametrize("op", ["linspace", "logspace"])
def test_integer_linspace_ends_convert_as_pytorch(args, dtype, op):
    """The ends are converted to the integer type first: out of range is PyTorch's
    overflow RuntimeError, a negative int wraps into an unsigned type."""
    _same(lambda m: getattr(m, op)(*args, dtype=getattr(m, dtype)))
