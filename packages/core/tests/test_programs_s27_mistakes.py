"""Beginner mistakes vs PyTorch (s27 lane F): the exception type and full message of each."""

import pytest

import ember

torch = pytest.importorskip("torch")


def _error(mod, fn):
    """``(type name, message)`` of what ``fn(mod)`` raises (None when it returns)."""
    try:
        fn(mod)
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return type(e).__name__, str(e)
    return None


def _same_error(fn):
    want = _error(torch, fn)
    assert want is not None
    assert _error(ember, fn) == want


_JOIN_MISTAKES = [
    lambda m: m.cat(m.zeros(2, 3), m.zeros(2, 3)),  # cat(a, b) instead of cat([a, b])
    lambda m: m.cat(m.zeros(2, 3)),
    lambda m: m.cat(m.zeros(2, 3), 1),
    lambda m: m.stack(m.zeros(2, 3)),
    lambda m: m.stack(m.zeros(2, 3), 0),
    lambda m: m.cat([m.zeros(2, 3)], m.zeros(2, 3)),
    lambda m: m.stack([m.zeros(2, 3)], m.zeros(2, 3)),
    lambda m: m.hstack(m.zeros(2, 3)),
    lambda m: m.vstack(m.zeros(2, 3)),
    lambda m: m.dstack(m.zeros(2, 3)),
    lambda m: m.column_stack(m.zeros(2, 3)),
    lambda m: m.concat(m.zeros(2, 3)),
    lambda m: m.concatenate(m.zeros(2, 3)),
    lambda m: m.cat(5),
    lambda m: m.cat(None),
]


@pytest.mark.parametrize("i", range(len(_JOIN_MISTAKES)))
def test_join_given_a_tensor_instead_of_a_list(i):
    _same_error(_JOIN_MISTAKES[i])


def test_joins_still_take_lists_tuples_and_aliases():
    for m in (torch, ember):
        x = m.arange(6.0).reshape(2, 3)
        assert m.concatenate([x, x], 1).shape == (2, 6)
        assert m.concat((x, x), dim=1).shape == (2, 6)
        assert m.stack((x, x), 1).shape == (2, 2, 3)


_SIZE_MISTAKES = [
    lambda m: m.zeros(6).view(-1, 6 / 2),  # true division gives a float size
    lambda m: m.zeros(6).view(1, 2, 3.0),
    lambda m: m.zeros(6).view(2, None),
    lambda m: m.zeros(6).view(2, "3"),
    lambda m: m.zeros(6).reshape(2, 3.0),
    lambda m: m.zeros(6).reshape((2, 3.0)),
    lambda m: m.zeros(6).reshape([2, 3.0]),
    lambda m: m.zeros(6).reshape((2.0, 3)),
    lambda m: m.zeros(6).reshape(6 / 2, 2),
    lambda m: m.zeros(6).reshape(2.0),
    lambda m: m.zeros(6).reshape(None),
    lambda m: m.reshape(m.zeros(6), (2, 3.0)),
    lambda m: m.zeros(6).expand(2, 6.0),
    lambda m: m.zeros(6).expand(2.0),
    lambda m: m.zeros(6).expand((2.0, 6)),
    lambda m: m.zeros(6).repeat(2, 1.0),
    lambda m: m.zeros(6).repeat(2.0, 1),
    lambda m: m.zeros(2, 3).permute(0, 1.0),
    lambda m: m.zeros(2, 3).permute((1, 0.0)),
    lambda m: m.zeros(2, 3).permute(0.0, 1),
]


@pytest.mark.parametrize("i", range(len(_SIZE_MISTAKES)))
def test_non_int_sizes_get_the_parsers_message(i):
    _same_error(_SIZE_MISTAKES[i])


_FACTORY_SIZE_MISTAKES = [
    lambda m: m.zeros(2, 3.0),
    lambda m: m.zeros((2, 3.0)),
    lambda m: m.zeros(3.0, 2),
    lambda m: m.zeros((3.0, 2)),
    lambda m: m.ones(2.0),
    lambda m: m.empty(2, None),
    lambda m: m.empty(3.5),
    lambda m: m.randn(2, 3.0),
    lambda m: m.rand((2, 3.0)),
    lambda m: m.randint(0, 5, (2, 2.0)),
    lambda m: m.full((2, 2.0), 1.0),
    lambda m: m.zeros(1).new_zeros(2, 3.0),
    lambda m: m.zeros(1).new_empty(2, "a"),
]


@pytest.mark.parametrize("i", range(len(_FACTORY_SIZE_MISTAKES)))
def test_factories_with_non_int_sizes(i):
    _same_error(_FACTORY_SIZE_MISTAKES[i])


def test_missing_attribute_of_a_size():
    want = _error(torch, lambda m: m.zeros(2, 3).shape.shape)
    assert want == ("AttributeError", "'torch.Size' object has no attribute 'shape'")
    got = _error(ember, lambda m: m.zeros(2, 3).shape.shape)
    assert got == (want[0], want[1].replace("torch.Size", "ember.Size"))


def _warning_texts(mod, fn):
    import warnings

    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        fn(mod)
    return [(w.category.__name__, str(w.message).replace("ember.", "torch.")) for w in ws]


_TRIGGERED_WARNINGS = [
    lambda m: m.zeros(2, 3, 4).T,
    lambda m: m.lu(m.eye(2)),
    lambda m: m.chain_matmul(m.eye(2), m.eye(2)),
    lambda m: m.stft(m.zeros(64), 16, return_complex=True),
    lambda m: m.istft(m.stft(m.zeros(64), 16, window=m.ones(16), return_complex=True), 16),
]


@pytest.mark.parametrize("i", range(len(_TRIGGERED_WARNINGS)))
def test_deprecation_warnings_end_with_the_triggered_line(i):
    from ember.ops import _deprecated_overload, creation, linalg

    # once-per-process warnings: forget ember's earlier ones, and have PyTorch warn always
    creation._warned.clear()
    linalg._chain_warned.clear()
    _deprecated_overload._warned.clear()
    torch.set_warn_always(True)
    try:
        want = _warning_texts(torch, _TRIGGERED_WARNINGS[i])
    finally:
        torch.set_warn_always(False)
    assert want and _warning_texts(ember, _TRIGGERED_WARNINGS[i]) == want


def test_meshgrid_without_indexing_warns_once_per_process():
    from ember.ops import _deprecated_overload

    _deprecated_overload._warned.discard("meshgrid")
    fn = lambda m: [m.meshgrid(m.arange(2), m.arange(3)) for _ in range(2)]  # noqa: E731
    got = _warning_texts(ember, fn)
    torch.set_warn_always(True)
    try:
        want = _warning_texts(torch, lambda m: m.meshgrid(m.arange(2), m.arange(3)))
    finally:
        torch.set_warn_always(False)
    assert got == want


_MISSING_DIM = [
    lambda m: m.ones(2, 3).softmax(),
    lambda m: m.ones(2, 3).log_softmax(),
    lambda m: m.softmax(m.ones(2, 3)),
    lambda m: m.log_softmax(m.ones(2, 3)),
    lambda m: m.softmax(m.ones(2, 3, dtype=m.long)),  # the parser speaks before the kernel
    lambda m: m.ones(2, 3).softmax(dtype=m.float64),
    lambda m: m.ones(2, 3).cumsum(),
    lambda m: m.cumsum(m.ones(2, 3)),
    lambda m: m.ones(2, 3).cumprod(),
    lambda m: m.ones(2, 3).cummax(),
    lambda m: m.cummin(m.ones(2, 3)),
    lambda m: m.ones(2, 3).logcumsumexp(),
    lambda m: m.ones(2, 3).cumsum_(),
    lambda m: m.ones(2, 3).cumprod_(),
]


@pytest.mark.parametrize("i", range(len(_MISSING_DIM)))
def test_dim_left_out(i):
    _same_error(_MISSING_DIM[i])


def test_softmax_and_scans_with_a_dim_unchanged():
    for m in (torch, ember):
        x = m.arange(6.0).reshape(2, 3)
        assert x.softmax(1).shape == (2, 3) and m.log_softmax(x, dim=0).shape == (2, 3)
        assert x.cumsum(1).tolist() == [[0.0, 1.0, 3.0], [3.0, 7.0, 12.0]]
        assert x.cummax(dim=0).values.shape == (2, 3)


_BAD_FILL_VALUES = ["a", None, [1, 2], [1, 2.0], (1,), (1, 2)]


@pytest.mark.parametrize("value", _BAD_FILL_VALUES, ids=repr)
@pytest.mark.parametrize("method", ["masked_fill", "masked_fill_"])
def test_masked_fill_with_a_value_that_is_not_a_number(method, value):
    _same_error(lambda m: getattr(m.ones(2, 3), method)(m.ones(2, 3) > 0, value))


def test_masked_fill_takes_numpy_scalars_and_bools():
    import numpy as np

    for v in (np.float32(2.5), np.int64(3), True, np.bool_(True)):
        want = torch.ones(2, 2).masked_fill(torch.eye(2) > 0, v)
        got = ember.ones(2, 2).masked_fill(ember.eye(2) > 0, v)
        assert got.tolist() == want.tolist() and str(got.dtype) == str(want.dtype).replace(
            "torch", "ember")


@pytest.mark.parametrize("name", ["str", "numpy_type", "numpy_dtype"])
def test_tensor_given_a_dtype_name_or_numpy_dtype(name):
    import numpy as np

    bad = {"str": "float32", "numpy_type": np.float32, "numpy_dtype": np.dtype("float32")}[name]
    want = _error(torch, lambda m: m.tensor([1, 2], dtype=bad))
    assert want is not None
    got = _error(ember, lambda m: m.tensor([1, 2], dtype=bad))
    assert got == (want[0], want[1].replace("torch.dtype", "ember.dtype"))


def test_tensor_takes_python_number_types_as_dtypes():
    for kind_ in (float, int, bool, complex):
        want = torch.tensor([1, 0], dtype=kind_)
        got = ember.tensor([1, 0], dtype=kind_)
        assert str(got.dtype) == str(want.dtype).replace("torch", "ember")
        assert got.tolist() == want.tolist()
