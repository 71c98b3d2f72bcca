"""ember.utils.data against torch.utils.data (session 24, second pass, differential fuzzer):
batches from worker processes are in shared memory with PyTorch's layouts, the private
``_utils`` / ``_DatasetKind`` names programs reach for, and a seeded fuzz of whole loaders
(datasets of every dtype and layout, samplers, batch samplers, collate functions, bad args)."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as ED

torch = pytest.importorskip("torch")
import torch.utils.data as TD  # noqa: E402

NT = collections.namedtuple("NT", "a b")
_FORK = {"multiprocessing_context": "fork"}  # the datasets below are local classes


def plain(x):
    """A result as plain Python values (tensors as dtype name, shape, values, layout)."""
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), repr(x.tolist()),
                x.is_contiguous(), x.stride() if x.numel() else None)
    if isinstance(x, dict):
        return (type(x).__name__, {k: plain(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return ("NT", type(x).__name__, [plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    if isinstance(x, np.ndarray):
        return ("nd", x.dtype.str, x.tolist())
    return (type(x).__name__, repr(x))


def outcome(fn):
    """``fn()``'s plain result and warnings, or its exception's type and message."""
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            result = plain(fn())
        return ("ok", result, sorted({(x.category.__name__, str(x.message)[:60]) for x in w}))
    except Exception as e:  # the exception type and message are what is compared
        return (type(e).__name__, str(e))


def both(program):
    return outcome(lambda: program(torch, TD)), outcome(lambda: program(ember, ED))


# ------------------------------------------------------------------ batches from workers

def _worker_batches(lib, D, bs):
    out = []
    for d in (lib.bool, lib.bfloat16, lib.int64, lib.complex64):
        ds = [(lib.zeros(0, dtype=d), lib.ones(2, 3, dtype=d).t(), lib.tensor(1, dtype=d),
               lib.arange(24).reshape(2, 3, 4).permute(2, 0, 1).to(d)) for _ in range(3)]
        for b in D.DataLoader(ds, batch_size=bs, num_workers=1, **_FORK):
            out.append([(x.is_shared(), plain(x)) for x in b])
    return out


@pytest.mark.parametrize("bs", [None, 2])
def test_worker_batches_are_shared_with_torchs_layout(bs):
    # every non-empty tensor a worker hands over lives in shared memory (small ones too),
    # and a transposed sample (batch_size=None) keeps its strides, as in PyTorch
    t, e = both(lambda lib, D: _worker_batches(lib, D, bs))
    assert e == t


def test_small_label_batch_from_worker_is_shared_like_torch():
    def program(lib, D):
        ds = D.TensorDataset(lib.arange(8.).reshape(4, 2), lib.arange(4))
        return [[(x.is_shared(), plain(x)) for x in b]
                for b in D.DataLoader(ds, batch_size=3, num_workers=1, **_FORK)]

    t, e = both(program)
    assert e == t
    b = next(iter(ED.DataLoader([ember.zeros(2)] * 2, batch_size=2)))
    assert not b.is_shared()  # the main process's batches stay private, as PyTorch's


# ------------------------------------------------------------------ private names

def test_private_data_names_reachable_like_torch():
    # ``ember.utils.data._utils.collate`` without importing it; loader._dataset_kind numbers
    def program(lib, D):
        class Stream(D.IterableDataset):
            def __iter__(self):
                return iter([1])

        from importlib import import_module
        kind = import_module(lib.__name__ + ".utils.data.dataloader")._DatasetKind
        return [lib.utils.data._utils.collate.default_collate([1, 2]),
                lib.utils.data._utils.worker.get_worker_info(),
                lib.utils.data._utils.MP_STATUS_CHECK_INTERVAL,
                kind.Map, kind.Iterable,
                D.DataLoader([1])._dataset_kind, D.DataLoader(Stream())._dataset_kind,
                plain(kind.create_fetcher(kind.Map, [5, 6], True, D.default_collate, False)
                      .fetch([1, 0]))]

    t, e = both(program)
    assert e == t


# ------------------------------------------------------------------ seeded loader fuzz

_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32,
           np.float64, np.complex64]


def _tensor(lib, a, layout):
    t = lib.from_numpy(a.copy())
    if layout == 1 and t.dim() >= 2:
        return t.transpose(0, 1).contiguous().transpose(0, 1)
    if layout == 2 and t.dim() >= 1:
        return lib.from_numpy(np.repeat(a, 2, axis=0).copy())[::2]
    if layout == 3 and t.dim() == 2:
        return t[:, :1].expand(-1, t.shape[1])
    return t


def _loader_program(seed):
    r = np.random.default_rng(seed)
    n = int(r.choice([0, 1, 2, 5, 7, 10]))
    kind, samp, coll, bad = (int(r.integers(0, k)) for k in (5, 8, 4, 12))
    specs = [(_DTYPES[r.integers(0, len(_DTYPES))],
              tuple(int(s) for s in r.integers(0, 3, size=r.integers(0, 3))),
              int(r.integers(0, 4))) for _ in range(int(r.integers(1, 3)))]
    arrays = [r.random((n,) + sh) > .5 if dt is np.bool_
              else (r.standard_normal((n,) + sh) * 5).astype(dt) for dt, sh, _ in specs]
    kw = {"batch_size": [None, 1, 2, 3, 4, 16][r.integers(0, 6)]}
    if r.random() < .4:
        kw["shuffle"] = bool(r.integers(0, 2))
    if r.random() < .4:
        kw["drop_last"] = bool(r.integers(0, 2))
    gseed, use_gen = int(r.integers(0, 10000)), bool(r.random() < .5)

    def program(lib, D):
        lib.manual_seed(gseed + 1)
        tens = [_tensor(lib, a, sp[2]) for a, sp in zip(arrays, specs)]
        ds = [lambda: D.TensorDataset(*tens),
              lambda: [{"x": arrays[0][i], "y": i, "f": i / 2, "s": f"s{i}"} for i in range(n)],
              lambda: [NT(arrays[0][i], tens[0][i]) for i in range(n)],
              lambda: D.StackDataset(D.TensorDataset(*tens), [(i, b"b") for i in range(n)]),
              lambda: D.Subset(D.TensorDataset(*tens), list(range(n))[::-1])][kind]()
        k = dict(kw)
        g = lib.Generator().manual_seed(gseed) if use_gen else None
        if g is not None:
            k["generator"] = g
        if samp == 1:
            k["sampler"] = D.RandomSampler(ds, generator=g)
        elif samp == 2:
            k["sampler"] = D.SubsetRandomSampler(list(range(n))[::2], generator=g)
        elif samp == 3:
            k["sampler"] = D.WeightedRandomSampler([1.0] * n, max(n, 1), generator=g) if n else [0]
        elif samp == 4:
            k["batch_sampler"] = (D.BatchSampler(D.RandomSampler(range(n), generator=g), 2, False)
                                  if n else [[]])
        elif samp == 5:
            k["sampler"] = D.DistributedSampler(ds, num_replicas=2, rank=1, seed=gseed)
        k["collate_fn"] = [None, D.default_convert, lambda b: b, None][coll]
        k.update([{}, {"batch_size": 0}, {"drop_last": 1}, {"prefetch_factor": 2},
                  {"timeout": -1.5}][bad] if bad < 5 else {})
        dl = D.DataLoader(ds, **k)
        out = []
        for ep in range(2):
            if samp == 5:
                k["sampler"].set_epoch(ep)
            out.append(list(dl))
        try:
            length = len(dl)
        except TypeError as e:
            length = str(e)
        return [length, out, lib.rand(1)] + ([lib.rand(1, generator=g)] if g is not None else [])

    return program


def test_seeded_fuzz_of_whole_loaders_matches_torch():
    # batches (values, dtypes, containers, layouts), lengths, both epochs, the RNG left
    # behind, and the argument errors, for random datasets, samplers and collate functions
    mismatches = []
    for seed in range(200):
        t, e = both(_loader_program(seed))
        if t != e:
            mismatches.append((seed, t, e))
    assert not mismatches, mismatches[:2]


# ------------------------------------------------------------------ NumPy scalars, wider first

@pytest.mark.parametrize("batch", [
    [np.int64(0), np.uint32(10)],
    [np.int32(1), np.uint16(2), np.int32(3)],
    [np.int64(5), np.uint64(1)],
    [np.float64(1.5), np.uint32(2)],
    [np.float64(0.5), np.float32(1.5)],
    [np.int64(7), 3],
    [np.uint8(1), np.bool_(True)],
], ids=lambda b: "-".join(type(x).__name__ for x in b))
def test_collate_numpy_scalars_after_a_wider_first_one_like_torch(batch):
    # NumPy gives [int64, uint32] the first element's dtype, so the batch passed as uniform:
    # PyTorch's list inference refuses the unsigned promotion (RuntimeError)
    t = outcome(lambda: TD.default_collate(list(batch)))
    e = outcome(lambda: ED.default_collate(list(batch)))
    assert e == t


# ------------------------------------------------------------------ bytes where numbers go

@pytest.mark.parametrize("make", [
    lambda: [np.zeros((2, 0), bool), np.ones((1, 1), bool), b"b8"],
    lambda: [np.zeros(2), b"ab"],
    lambda: [np.zeros(2), np.zeros(2), b"ab"],
])
def test_collate_of_arrays_then_bytes_fails_like_torch(make):
    # a sample giving bytes where the others give arrays: PyTorch's as_tensor refuses the
    # bytes (TypeError) before any size check; ember built a bytes "tensor" from it
    t = outcome(lambda: TD.default_collate(make()))
    e = outcome(lambda: ED.default_collate(make()))
    assert e == t


@pytest.mark.parametrize("data", [b"b8", b"", [b"ab", b"cd"], [1, b"x"], [[1], [b"x"]],
                                  ["a", b"b"], [b"a", "b"]])
def test_tensor_of_bytes_raises_torchs_error(data):
    for name in ("tensor", "as_tensor"):
        t = outcome(lambda name=name: getattr(torch, name)(data))
        e = outcome(lambda name=name: getattr(ember, name)(data))
        assert e == t, name


@pytest.mark.parametrize("make", [
    lambda lib: [np.zeros(2, np.uint16), np.zeros(2, np.uint8)],
    lambda lib: [np.zeros(2, np.uint16), np.ones(2, np.uint16), lib.zeros(2, dtype=lib.uint8)],
    lambda lib: [np.zeros((2, 0), np.uint16), lib.zeros(2, 0, dtype=lib.uint8)],
    lambda lib: [np.zeros(2, np.int32), np.ones(2, np.uint32)],
    lambda lib: [np.ones(2, np.float64), np.ones(2, np.float32), lib.ones(2, dtype=lib.bool)],
])
def test_collate_of_arrays_with_other_dtypes_promotes_like_torch(make):
    # arrays of several dtypes (or tensors among them): PyTorch stacks tensors, refusing
    # unsigned promotions NumPy's stack made silently when the first dtype won
    t = outcome(lambda: TD.default_collate(make(torch)))
    e = outcome(lambda: ED.default_collate(make(ember)))
    assert e == t


@pytest.mark.parametrize("make", [
    lambda lib: [np.uint64(3), np.uint64(4), lib.tensor(-1.5, dtype=lib.float64)],
    lambda lib: [np.uint64(2), lib.ones(1, 1)],
    lambda lib: [np.uint64(2), lib.tensor([[1]])],
])
def test_unsigned_numpy_scalars_beside_a_float_tensor_like_torch(make):
    # PyTorch converts every element to the list's inferred dtype (float here): a uint64
    # NumPy scalar was refused on its own ("an integer is required")
    t = outcome(lambda: TD.default_collate(make(torch)))
    e = outcome(lambda: ED.default_collate(make(ember)))
    assert e == t
    t = outcome(lambda: torch.as_tensor(make(torch)))
    e = outcome(lambda: ember.as_tensor(make(ember)))
    assert e == t
