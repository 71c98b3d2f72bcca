"""ember.utils.data against torch.utils.data (session 22): user programs run with both
libraries on the same inputs; batches, dtypes, errors and RNG state must agree."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as ED

torch = pytest.importorskip("torch")
import torch.utils.data as TD  # noqa: E402


def plain(x):
    """A result as plain Python values (tensors as (dtype name, shape, values))."""
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, {k: plain(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    return x


def outcome(fn):
    """``fn()``'s plain result, or its exception's type and message."""
    try:
        return ("ok", plain(fn()))
    except Exception as e:  # the type and message are what is compared
        return (type(e).__name__, str(e))


def both(program):
    """Run ``program(lib, data)`` with torch and with ember; return the two results."""
    return program(torch, TD), program(ember, ED)


# ------------------------------------------------------------------ flipped NumPy arrays

def _flipped_batches():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    return {
        "1d": [np.arange(4)[::-1], np.arange(4)],
        "2d_cols": [base[:, ::-1], base],
        "np_flip": [np.flip(base, 0), base],
        "first_ok_second_flipped": [base, base[::-1]],
    }


@pytest.mark.parametrize("case", sorted(_flipped_batches()))
def test_default_collate_refuses_flipped_arrays_like_torch(case):
    # np.flip augmentations give negative strides: PyTorch's collate refuses them
    batch = _flipped_batches()[case]
    t, e = both(lambda lib, D: outcome(lambda: D.default_collate(batch)))
    assert t[0] == "ValueError"
    assert e == t


@pytest.mark.parametrize("make", ["as_tensor", "asarray", "from_numpy"])
def test_tensor_from_flipped_array_raises_torchs_error(make):
    arrays = [np.arange(6)[::-1], np.arange(6.0).reshape(2, 3)[:, ::-1],
              np.arange(6.0).reshape(2, 3)[::-1]]
    for a in arrays:
        t, e = both(lambda lib, D, a=a: outcome(lambda: getattr(lib, make)(a)))
        assert t[0] == "ValueError"
        assert e == t


def test_default_convert_and_unbatched_loader_refuse_flipped_arrays():
    a = np.arange(6.0)[::-1]
    t, e = both(lambda lib, D: outcome(lambda: D.default_convert(a)))
    assert e == t and t[0] == "ValueError"
    t, e = both(lambda lib, D: outcome(lambda: list(D.DataLoader([a], batch_size=None))))
    assert e == t and t[0] == "ValueError"


def test_flipped_array_copies_still_collate_like_torch():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    batch = [base[:, ::-1].copy(), base, np.ascontiguousarray(base[::-1])]
    t, e = both(lambda lib, D: outcome(lambda: D.default_collate(batch)))
    assert t[0] == "ok" and e == t


def test_collate_of_arrays_mixed_with_tensors_like_torch():
    def program(lib, D):
        return [outcome(lambda: D.default_collate([np.ones(2), lib.ones(2)])),
                outcome(lambda: D.default_collate([np.ones(2)[::-1], lib.ones(2)])),
                outcome(lambda: D.default_collate([np.ones(2, np.float32), np.zeros(2)])),
                outcome(lambda: D.default_collate([np.array(1.5), np.array(2.5)])),
                outcome(lambda: D.default_collate([np.array(1.5), np.arange(2.0)[::-1]]))]

    t, e = both(program)
    assert e == t


# ------------------------------------------------------------------ random_split lengths

@pytest.mark.parametrize("lengths", [[3.0, 7.0], [8.0, 2.0], [2.5, 7.5]])
def test_random_split_float_lengths_raise_typeerror_and_keep_rng(lengths):
    # random_split(ds, [0.8 * n, 0.2 * n]): float counts, a common slip
    def program(lib, D):
        lib.manual_seed(0)
        err = outcome(lambda: D.random_split(list(range(10)), lengths))
        return err[0], lib.rand(3).tolist()

    t, e = both(program)
    assert t[0] == "TypeError"
    assert e == t


@pytest.mark.parametrize("n", [5.0, np.float64(5), True, "5", None])
def test_randperm_refuses_non_integer_n_before_drawing(n):
    def program(lib, D):
        lib.manual_seed(1)
        err = outcome(lambda: lib.randperm(n))
        return err, lib.rand(2).tolist()

    t, e = both(program)
    assert t[0][0] == "TypeError"
    assert e == t


def test_randperm_takes_integer_like_n_like_torch():
    def program(lib, D):
        lib.manual_seed(2)
        return [lib.randperm(np.int64(6)).tolist(), lib.randperm(lib.tensor(5)).tolist(),
                outcome(lambda: lib.randperm(lib.tensor(5.0)))[0]]

    t, e = both(program)
    assert e == t


def test_random_split_int_and_fraction_lengths_still_match():
    def program(lib, D):
        lib.manual_seed(3)
        a = [s.indices for s in D.random_split(range(10), [3, 7])]
        b = [s.indices for s in D.random_split(range(11), [0.5, 0.5])]
        g = lib.Generator().manual_seed(42)
        c = [s.indices for s in D.random_split(range(7), [0.1, 0.2, 0.7], generator=g)]
        return a, b, c, lib.rand(2).tolist()

    t, e = both(program)
    assert e == t


# ------------------------------------------------------------------ private module paths

@pytest.mark.parametrize("path,names", [
    ("utils.data._utils", ["collate", "worker", "pin_memory", "MP_STATUS_CHECK_INTERVAL",
                           "IS_WINDOWS"]),
    ("utils.data._utils.pin_memory", ["pin_memory"]),
])
def test_private_data_utils_paths_exist(path, names):
    for lib in ("torch", "ember"):
        mod = importlib.import_module(f"{lib}.{path}")
        assert all(hasattr(mod, n) for n in names), (lib, path)
    t = importlib.import_module(f"torch.{path}")
    e = importlib.import_module(f"ember.{path}")
    if hasattr(t, "IS_WINDOWS"):
        assert e.IS_WINDOWS == t.IS_WINDOWS


def test_utils_pin_memory_without_accelerator_raises_like_torch():
    if torch.cuda.is_available() or ember.cuda.is_available():
        pytest.skip("an accelerator is present: pinning works")
    from torch.utils.data._utils.pin_memory import pin_memory as tp

    from ember.utils.data._utils.pin_memory import pin_memory as ep

    def program(lib, p):
        return outcome(lambda: p({"x": lib.arange(3), "y": [lib.ones(2), "s"]}, None))[0]

    assert program(ember, ep) == program(torch, tp) == "RuntimeError"


# ------------------------------------------------------------------ bad sampling weights

_NAN, _INF = float("nan"), float("inf")


@pytest.mark.parametrize("weights", [[1.0, _NAN], [_NAN, 1.0], [1.0, _INF], [_INF, -1.0],
                                     [-1.0, _INF], [_INF, _NAN], [], [0.0, 0.0], [1.0, -1.0]])
@pytest.mark.parametrize("replacement", [True, False])
def test_weighted_sampler_with_bad_weights_fails_like_torch(weights, replacement):
    # class weights 1 / count with an empty class give inf (0 / 0: NaN)
    def program(lib, D):
        lib.manual_seed(0)
        s = D.WeightedRandomSampler(weights, 3 if replacement else 2, replacement=replacement)
        return outcome(lambda: list(s))

    t, e = both(program)
    assert t[0] == "RuntimeError"
    assert e == t


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
@pytest.mark.parametrize("rows", [[[1.0, 2.0], [1.0, _NAN]], [[1.0, _INF], [-1.0, 1.0]],
                                  [[0.0, 1.0], [_NAN, 1.0]], [[]], [[3.0, 1.0], [0.0, 0.0]]])
@pytest.mark.parametrize("n,replacement", [(1, True), (3, True), (1, False), (2, False)])
def test_multinomial_error_for_first_bad_entry_like_torch(dtype, rows, n, replacement):
    def program(lib, D):
        p = lib.tensor(rows, dtype=getattr(lib, dtype))
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no NumPy NaN-compare warning
            return outcome(lambda: lib.multinomial(p, n, replacement))

    t, e = both(program)
    assert e == t
