"""ember.testing.assert_close / isclose / allclose against PyTorch: the outcome (exception type
and full message) of the same program run with both libraries."""

import random

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _outcome(fn):
    """('ok',) or the exception's type name and message, library names unified."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is the observable
        return type(e).__name__, str(e).replace("torch.", "ember.")
    return ("ok",)


def _same(program):
    """``program(lib)`` ends the same way with torch and with ember."""
    assert _outcome(lambda: program(ember)) == _outcome(lambda: program(torch))


def _t(lib, values, dtype):
    return lib.tensor(np.asarray(values, dtype=np.float64)).to(getattr(lib, dtype))


@pytest.mark.parametrize("kw", [{"rtol": 0.1}, {"atol": 1e-3}, {"rtol": 0.1, "msg": "custom"}])
def test_lone_tolerance_is_refused_before_the_dtype_check(kw):
    _same(lambda L: L.testing.assert_close(L.tensor([1.0]), L.tensor([1.0], dtype=L.float64),
                                           **kw))


def test_lone_tolerance_names_the_first_leaf_and_skips_none_pairs():
    _same(lambda L: L.testing.assert_close([None, 1.0], [1, 1.0], rtol=1e-3))
    _same(lambda L: L.testing.assert_close({"a": [1, L.tensor(1.0)]}, {"a": [1, L.tensor(1.0)]},
                                           rtol=1e-3))
    _same(lambda L: L.testing.assert_close(None, None, rtol=1e-3))


@pytest.mark.parametrize("dtype", ["int16", "uint8", "int64"])
def test_integers_take_the_given_tolerances(dtype):
    _same(lambda L: L.testing.assert_close(_t(L, [5, 7], dtype), _t(L, [6, 7], dtype),
                                           rtol=0.1, atol=1))
    _same(lambda L: L.testing.assert_close(_t(L, [5, 7], dtype), _t(L, [9, 7], dtype),
                                           rtol=0.1, atol=1))


def test_bools_take_the_given_tolerances_and_report_as_bools():
    _same(lambda L: L.testing.assert_close(L.tensor([True, False, True]),
                                           L.tensor([True, False, False]), rtol=1e-3, atol=1))
    _same(lambda L: L.testing.assert_close(L.tensor(False), L.tensor(True), rtol=0.1, atol=0))
    for a, b in [([True, False, True], [False, False, True])]:
        e = ember.isclose(ember.tensor(a), ember.tensor(b), rtol=0.0, atol=1.0)
        t = torch.isclose(torch.tensor(a), torch.tensor(b), rtol=0.0, atol=1.0)
        assert e.tolist() == t.tolist()


def test_bfloat16_differences_are_rounded_as_pytorch_rounds_them():
    a = [[1.5, -120.25], [3.0, 0.0]]
    b = [[1.5, 0.117], [3.1, 217.3]]
    _same(lambda L: L.testing.assert_close(_t(L, a, "bfloat16"), _t(L, b, "bfloat16")))
    _same(lambda L: L.testing.assert_close(_t(L, a, "bfloat16"), _t(L, b, "bfloat16"),
                                           rtol=1e-3, atol=1e-3))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_complex_differences_use_the_modulus_as_pytorch_rounds_it(dtype):
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(6) + 1j * rng.standard_normal(6)).astype(dtype)
    b = (a * 0.9 + 0.3j).astype(dtype)
    _same(lambda L: L.testing.assert_close(L.tensor(a).reshape(2, 3),
                                           L.tensor(b).reshape(2, 3)))


def test_allow_subclasses_false_refuses_a_parameter_against_a_tensor():
    pytest.importorskip("ember.nn")
    _same(lambda L: L.testing.assert_close(L.nn.Parameter(L.tensor([1.0, 2.0])),
                                           L.tensor([1.0, 2.0]), allow_subclasses=False))
    _same(lambda L: L.testing.assert_close(L.tensor([1.0]), L.tensor([1.0]),
                                           allow_subclasses=False))


def test_numpy_scalars_compare_as_python_numbers():
    _same(lambda L: L.testing.assert_close(np.float32(1.0), 1.0))
    _same(lambda L: L.testing.assert_close(np.int64(1), 1))
    _same(lambda L: L.testing.assert_close(np.float32(1.0), np.float32(1.1)))


def test_meta_tensors_compare_metadata_only():
    _same(lambda L: L.testing.assert_close(L.tensor([1.0], device="meta"),
                                           L.tensor([2.0], device="meta")))
    _same(lambda L: L.testing.assert_close(L.tensor([1.0], device="meta"),
                                           L.tensor([2.0, 1.0], device="meta")))


def test_mapping_key_mismatch_messages_and_mixed_key_types():
    _same(lambda L: L.testing.assert_close({"a": 1, "b": 2}, {"a": 1, "c": 2}))
    _same(lambda L: L.testing.assert_close({1: 1, "b": 2}, {"a": 1, "c": 2}))


def test_allclose_refuses_a_non_tensor_naming_allclose():
    _same(lambda L: L.allclose(L.tensor([1.0]), [1.0]))
    _same(lambda L: L.allclose([1.0], L.tensor([1.0])))


_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
           "float64", "complex64", "complex128"]


def _fuzz_case(rng):
    """A random pair of tensors (same data for both libraries) and assert_close options."""
    shape = rng.choice([(), (0,), (1,), (3,), (2, 3), (2, 1, 2)])
    d1 = rng.choice(_DTYPES)
    d2 = d1 if rng.random() < 0.8 else rng.choice(_DTYPES)
    nrng = np.random.default_rng(rng.randrange(10**6))
    a = np.asarray(nrng.standard_normal(shape) * rng.choice([1, 10, 1e-6]))
    b = a + (nrng.random(shape) < 0.5) * nrng.standard_normal(shape) * rng.choice(
        [1e-8, 1e-5, 1e-3, 1, 100])
    b = np.asarray(b)
    if b.size and rng.random() < 0.3:
        b.reshape(-1)[rng.randrange(b.size)] = rng.choice([np.nan, np.inf, 0.0])
    kw = {}
    if rng.random() < 0.3:
        kw = {"rtol": rng.choice([0, 1e-3, 0.1]), "atol": rng.choice([0, 1e-3, 1])}
    if rng.random() < 0.3:
        kw["equal_nan"] = rng.random() < 0.5
    if rng.random() < 0.3:
        kw["check_dtype"] = False

    def make(lib, x, dt):
        if dt == "bool":
            x = np.nan_to_num(x) > 0
        elif dt[0] in "ui":
            x = np.nan_to_num(x, posinf=5, neginf=-5).round() % (100 if dt == "uint8" else 1000)
        elif dt.startswith("complex"):  # finite: non-finite complex subtraction differs
            x = np.nan_to_num(x, posinf=7, neginf=-7)
            x = x + 0.5j * x
        return lib.tensor(np.asarray(x, dtype=np.float32 if dt == "bfloat16" else None)).to(
            getattr(lib, dt))

    return (lambda L: L.testing.assert_close(make(L, a, d1), make(L, b, d2), **kw))


def test_fuzz_assert_close_outcomes_match_pytorch():
    rng = random.Random(2024)
    with np.errstate(all="ignore"):
        for _ in range(300):
            _same(_fuzz_case(rng))
