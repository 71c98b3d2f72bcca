"""Creation functions against PyTorch (session 21, lane P): arange's float values as its
vectorised CPU kernel writes them, range/arange argument errors, full's size argument,
asarray(copy=False) refusals, new_* without a size, randint's complex dtype, and the
strides *_like/clone keep on dense inputs with size-1 dims."""

from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

FLOATS = ["float32", "float64", "float16", "bfloat16"]
RANGES = [(0, 1, 1e-3), (-1.3, 2.7, 0.037), (10, -3, -0.0123), (0, 5, 0.1), (0.1, 300.7, 0.3),
          (1.2573, 2.7046, 0.0064042), (-457.7258, -2590.0394, -1.00961818), (0, 1, 0.1)]


def _bits(t) -> np.ndarray:
    """The raw element bits (bfloat16 through its int16 view)."""
    if str(t.dtype).endswith("bfloat16"):
        t = t.view(ember.int16 if isinstance(t, ember.Tensor) else torch.int16)
    return t.detach().numpy().view(np.uint8)


def _same_bits(e, t) -> None:
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape) and e.stride() == t.stride()
    np.testing.assert_array_equal(_bits(e), _bits(t))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("args", RANGES)
def test_arange_float_bits(args, dtype):
    _same_bits(ember.arange(*args, dtype=getattr(ember, dtype)),
               torch.arange(*args, dtype=getattr(torch, dtype)))


def test_arange_default_dtype_bits():
    _same_bits(ember.arange(0, 1, 1e-3), torch.arange(0, 1, 1e-3))
    ember.set_default_dtype(ember.float64)
    try:
        got = ember.arange(-1.3, 2.7, 0.037)
    finally:
        ember.set_default_dtype(ember.float32)
    torch.set_default_dtype(torch.float64)
    try:
        want = torch.arange(-1.3, 2.7, 0.037)
    finally:
        torch.set_default_dtype(torch.float32)
    _same_bits(got, want)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_arange_long_parallel_chunks(dtype):
    """Past 32768 elements PyTorch splits the range between its threads."""
    old_t, old_e = torch.get_num_threads(), ember.get_num_threads()
    torch.set_num_threads(2)
    ember.set_num_threads(2)
    try:
        _same_bits(ember.arange(0, 50000, 0.7, dtype=getattr(ember, dtype)),
                   torch.arange(0, 50000, 0.7, dtype=getattr(torch, dtype)))
    finally:
        torch.set_num_threads(old_t)
        ember.set_num_threads(old_e)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_range_float_bits(dtype):
    with pytest.warns(UserWarning):
        e = ember.range(-3.3, 7.1, 0.013, dtype=getattr(ember, dtype))
    with pytest.warns(UserWarning):
        t = torch.range(-3.3, 7.1, 0.013, dtype=getattr(torch, dtype))
    _same_bits(e, t)


ERRS = [lambda m: m.arange(0, 10, -1), lambda m: m.arange(10, 0, 1), lambda m: m.arange(0, 10, 0),
        lambda m: m.arange(float("inf")), lambda m: m.arange(0, float("nan")),
        lambda m: m.range(5, 0, 1), lambda m: m.range(0, 5, 0), lambda m: m.linspace(0, 1, -1),
        lambda m: m.full(3, 1.0), lambda m: m.full(np.int64(3), 1.0),
        lambda m: m.full(m.tensor(3), 1.0), lambda m: m.full(3.0, 1.0),
        lambda m: m.asarray([1, 2], copy=False), lambda m: m.asarray(3.0, copy=False),
        lambda m: m.asarray(np.arange(3.0), copy=False, dtype=m.float32),
        lambda m: m.asarray(m.ones(2), copy=False, dtype=m.float64),
        lambda m: m.from_numpy(np.float64(3.0)),
        lambda m: m.ones(2).new_zeros(), lambda m: m.ones(2).new_ones(),
        lambda m: m.ones(2).new_empty(),
        lambda m: m.randint(10, (2,), dtype=m.complex64)]


@pytest.mark.filterwarnings("ignore:torch.range is deprecated")
@pytest.mark.parametrize("case", range(len(ERRS)))
def test_errors_match_torch(case):
    with pytest.raises(Exception) as want:
        ERRS[case](torch)
    with pytest.raises(Exception) as got:
        ERRS[case](ember)
    assert type(got.value) is type(want.value)
    assert str(got.value) == str(want.value)


def test_asarray_copy_false_shares_when_it_can():
    a = np.arange(3.0)
    e, t = ember.asarray(a, copy=False, dtype=ember.float64), torch.asarray(a, copy=False,
                                                                            dtype=torch.float64)
    a[0] = 9.0
    np.testing.assert_array_equal(e.numpy(), t.numpy())


LIKE_INPUTS = [((2, 3, 1, 1), None), ((1, 3, 1, 1), None), ((2, 1, 4, 4), None),
               ((2, 3, 4, 1), None), ((3, 1, 6), (0, 1)), ((1, 6, 1), (0, 2)), ((6, 1), (0, 1))]


def _made(m, shape, swap):
    x = m.from_numpy(np.arange(float(np.prod(shape))).reshape(shape))
    if swap is None:
        return x.to(memory_format=m.channels_last)
    return x.transpose(*swap)


@pytest.mark.parametrize("shape,swap", LIKE_INPUTS)
@pytest.mark.parametrize("op", ["zeros_like", "ones_like", "empty_like", "rand_like", "clone"])
def test_like_and_clone_keep_dense_strides(shape, swap, op):
    e, t = _made(ember, shape, swap), _made(torch, shape, swap)
    assert e.stride() == t.stride()
    re, rt = getattr(ember, op)(e), getattr(torch, op)(t)
    assert re.stride() == rt.stride()
    if op == "clone":
        np.testing.assert_array_equal(re.numpy(), rt.numpy())


def test_full_like_keeps_dense_strides():
    e, t = _made(ember, (2, 1, 4, 4), None), _made(torch, (2, 1, 4, 4), None)
    _same_bits(ember.full_like(e, 2.5), torch.full_like(t, 2.5))


def test_full_out_resizes_silently_as_torch() -> None:
    """full(out=) resizes its out with no warning (a factory), and returns that tensor."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        o = ember.empty(0)
        r = ember.full((2, 3), 7.0, out=o)
    assert r is o and tuple(o.shape) == (2, 3) and o.tolist() == [[7.0] * 3] * 2


@pytest.mark.parametrize("op,args", [("ones_like", ()), ("zeros_like", ()), ("empty_like", ()),
                                     ("full_like", (3,)), ("rand_like", ()), ("randn_like", ()),
                                     ("randint_like", (5,))])
def test_like_of_a_non_tensor_is_a_type_error(op: str, args: tuple) -> None:
    """*_like of a list: PyTorch's TypeError, naming the op (its argument parser refuses it)."""
    with pytest.raises(TypeError) as want:
        getattr(torch, op)([1, 2], *args)
    with pytest.raises(TypeError, match=rf"^{op}\(\)") as got:
        getattr(ember, op)([1, 2], *args)
    if op != "randint_like":  # PyTorch lists its overloads there; the first words agree
        assert str(got.value) == str(want.value)
