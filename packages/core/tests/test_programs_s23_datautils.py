"""ember.utils.data against torch.utils.data (session 23, found by a differential fuzzer):
collate of NumPy scalars and arrays, layouts of collated batches, and a seeded fuzz of
default_collate / default_convert and the samplers on the same inputs."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as ED

torch = pytest.importorskip("torch")
import torch.utils.data as TD  # noqa: E402

Pt = collections.namedtuple("Pt", "x y")


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
    """``fn()``'s plain result, or its exception's type."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ("ok", plain(fn()))
    except Exception as e:  # the exception type is what is compared
        return (type(e).__name__,)


# ------------------------------------------------------------------ NumPy scalars in collate

_SCALAR_BATCHES = {
    "f32_scalar_then_array": lambda: [np.float32(1.5), np.array([1.0], np.float32)],
    "i32_scalar_then_2d_array": lambda: [np.int32(-3), np.array([[1, 2]], np.int32)],
    "u32_scalar_then_i16_array": lambda: [np.uint32(4), np.array([], np.int16)],
    "u64_scalars": lambda: [np.uint64(2), np.uint64(3)],
    "u64_scalar": lambda: [np.uint64(1)],
    "u32_with_u8": lambda: [np.uint32(4), np.uint8(2)],
    "u16_with_i16": lambda: [np.uint16(4), np.int16(2)],
    "u32_scalars": lambda: [np.uint32(4), np.uint32(5)],
    "u16_scalars": lambda: [np.uint16(4), np.uint16(5)],
    "f16_with_i8": lambda: [np.float16(1), np.int8(2)],
    "f32_with_pyfloat": lambda: [np.float32(1.5), 2.5],
}


@pytest.mark.parametrize("case", sorted(_SCALAR_BATCHES))
def test_collate_numpy_scalars_fail_and_promote_like_torch(case):
    # a dataset returning a NumPy scalar for one sample and an array for another, or
    # uint64 / mixed unsigned scalars: PyTorch's list inference decides (TypeError,
    # RuntimeError), where NumPy's ragged-array ValueError or silent promotion used to leak
    batch = _SCALAR_BATCHES[case]
    t = outcome(lambda: TD.default_collate(batch()))
    e = outcome(lambda: ED.default_collate(batch()))
    assert e == t


def test_collate_nested_sample_with_scalar_and_array_fields_like_torch():
    samples = [{"a": np.float16(6.5), "b": (np.float32(-0.1),)},
               {"a": np.uint8(0), "b": (np.array([1.0], np.float32),)}]
    t = outcome(lambda: TD.default_collate(samples))
    e = outcome(lambda: ED.default_collate(samples))
    assert e == t == ("TypeError",)


# ------------------------------------------------------------------ layout of collated arrays

_BASE = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
_LAYOUTS = {
    "transposed": lambda: [_BASE.T, _BASE.T],
    "transposed_2d": lambda: [_BASE[0].T, _BASE[1].T],
    "swapaxes": lambda: [np.swapaxes(_BASE, 1, 2), np.swapaxes(_BASE, 1, 2)],
    "fortran": lambda: [np.asfortranarray(_BASE[0]), np.asfortranarray(_BASE[1])],
    "strided_slice": lambda: [_BASE[:, :, ::2], _BASE[:, :, 1::2]],
    "broadcast": lambda: [np.broadcast_to(_BASE[:1], _BASE.shape), _BASE],
}


@pytest.mark.parametrize("case", sorted(_LAYOUTS))
def test_collated_numpy_batch_is_contiguous_like_torch(case):
    # torch.stack returns a contiguous batch; np.stack kept a transposed input's layout
    batch = _LAYOUTS[case]
    t = TD.default_collate(batch())
    e = ED.default_collate(batch())
    assert e.is_contiguous() == t.is_contiguous()
    assert e.stride() == t.stride()
    assert e.tolist() == t.tolist()
    assert e.view(-1).tolist() == t.view(-1).tolist()  # view works only on a contiguous batch


def test_loader_batches_of_transposed_images_are_contiguous_like_torch():
    # an HWC -> CHW transpose in __getitem__, then .view on the batch
    imgs = np.random.default_rng(0).random((5, 4, 3, 2)).astype(np.float32)

    class Images:
        def __len__(self):
            return len(imgs)

        def __getitem__(self, i):
            return imgs[i].transpose(2, 0, 1), i

    def run(lib, D):
        return [(x.is_contiguous(), x.stride(), x.reshape(len(x), -1).tolist(), y.tolist())
                for x, y in D.DataLoader(Images(), batch_size=2)]

    assert run(ember, ED) == run(torch, TD)


# ------------------------------------------------------------------ seeded fuzz

_NP_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16,
              np.float32, np.float64, np.complex64, np.uint16, np.uint32, np.uint64]
_T_DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16,
             np.float32, np.float64, np.complex64]


class _TensorLeaf:
    """Stands for a tensor leaf until the batch is built for one library."""

    def __init__(self, a):
        self.a = a


def _kind(r):
    c = r.integers(0, 10)
    if c < 3:
        return ("nd", _NP_DTYPES[r.integers(0, len(_NP_DTYPES))])
    if c < 4:
        return ("nps", _NP_DTYPES[r.integers(0, len(_NP_DTYPES))])
    if c < 7:
        return ("tensor", _T_DTYPES[r.integers(0, len(_T_DTYPES))])
    return (["int", "float", "bool", "str", "bytes", "none", "complex"][r.integers(0, 7)],)


def _structure(r, depth=0):
    c = r.integers(0, 6) if depth < 2 else 5
    if c == 0:
        return ("dict", {k: _structure(r, depth + 1) for k in "abc"[: r.integers(1, 4)]})
    if c in (1, 2):
        return (("list", "tuple")[c - 1], [_structure(r, depth + 1) for _ in range(r.integers(1, 3))])
    if c == 3:
        return ("nt", [_structure(r, depth + 1) for _ in range(2)])
    return ("leaf", _kind(r), tuple(int(s) for s in r.integers(0, 3, size=r.integers(0, 3))))


def _leaf(r, kind, shape):
    name = kind[0]
    if name in ("nd", "tensor"):
        dt = kind[1]
        a = r.random(shape) > 0.5 if dt is np.bool_ else (r.standard_normal(shape) * 5).astype(dt)
        if a.ndim and r.random() < 0.5:
            m = r.integers(0, 3)
            a = a.T if m == 0 else (np.repeat(a, 2, axis=0)[::2] if m == 1
                                    else np.broadcast_to(a[:1], a.shape))
        return _TensorLeaf(np.array(a, order="K")) if name == "tensor" else a
    return {"nps": lambda: kind[1](r.integers(0, 5)), "int": lambda: int(r.integers(-5, 5)),
            "float": lambda: float(r.standard_normal()), "bool": lambda: bool(r.integers(0, 2)),
            "str": lambda: f"s{r.integers(0, 9)}", "bytes": lambda: b"b%d" % r.integers(0, 9),
            "none": lambda: None, "complex": lambda: complex(1, 2)}[name]()


def _sample(r, st, mutate):
    kind = st[0]
    if kind == "dict":
        return {k: _sample(r, v, mutate) for k, v in st[1].items()}
    if kind in ("list", "tuple", "nt"):
        parts = [_sample(r, v, mutate) for v in st[1]]
        return {"list": list, "tuple": tuple, "nt": lambda p: Pt(*p)}[kind](parts)
    leaf_kind, shape = st[1], st[2]
    if mutate and r.random() < 0.15:
        shape = tuple(int(s) for s in r.integers(0, 3, size=r.integers(0, 3)))
    if mutate and r.random() < 0.1:
        leaf_kind = _kind(r)
    return _leaf(r, leaf_kind, shape)


def _for(lib, x):
    """The sample with its tensor leaves made in ``lib``."""
    if isinstance(x, _TensorLeaf):
        return lib.from_numpy(x.a.copy(order="K"))
    if isinstance(x, dict):
        return {k: _for(lib, v) for k, v in x.items()}
    if isinstance(x, Pt):
        return Pt(*(_for(lib, v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(_for(lib, v) for v in x)
    return x


def test_seeded_fuzz_of_collate_and_convert_matches_torch():
    # random nested samples (dicts, lists, tuples, namedtuples; arrays, NumPy scalars and
    # tensors of every dtype, incl. transposed, strided and broadcast ones; Python numbers,
    # strings, bytes, None), sometimes with mismatched shapes or element types
    mismatches = []
    for seed in range(400):
        r = np.random.default_rng(seed)
        st = _structure(r)
        mutate = r.random() < 0.4
        batch = [_sample(r, st, mutate) for _ in range(int(r.integers(1, 4)))]
        for name, arg in (("default_collate", batch), ("default_convert", batch[0])):
            t = outcome(lambda name=name, arg=arg: getattr(TD, name)(_for(torch, arg)))
            e = outcome(lambda name=name, arg=arg: getattr(ED, name)(_for(ember, arg)))
            if t != e:
                mismatches.append((seed, name, t, e))
    assert not mismatches, mismatches[:3]


def _sampler_program(r):
    c, n, seed = int(r.integers(0, 5)), int(r.integers(0, 12)), int(r.integers(0, 1000))
    with_gen = bool(r.integers(0, 2))

    def gen(lib):
        if not with_gen:
            lib.manual_seed(seed)
            return None
        return lib.Generator().manual_seed(seed)

    if c == 0:
        repl, ns = bool(r.integers(0, 2)), [None, int(r.integers(-1, 30))][r.integers(0, 2)]
        return lambda lib, D: (lambda s: [len(s), list(s), list(s)])(
            D.RandomSampler(range(n), replacement=repl, num_samples=ns, generator=gen(lib)))
    if c == 1:
        idx = [int(i) for i in r.integers(0, 100, size=n)]
        return lambda lib, D: (lambda s: [len(s), list(s), list(s)])(
            D.SubsetRandomSampler(idx, generator=gen(lib)))
    if c == 2:
        w = [float(x) for x in r.random(n)]
        repl, ns = bool(r.integers(0, 2)), int(r.integers(-1, 15))
        return lambda lib, D: (lambda s: [len(s), list(s), list(s)])(
            D.WeightedRandomSampler(w, ns, replacement=repl, generator=gen(lib)))
    if c == 3:
        k = int(r.integers(1, 4))
        if r.random() < 0.5:
            lengths = [int(x) for x in r.multinomial(n, [1 / k] * k)]
        else:
            f = r.random(k)
            lengths = [float(x) for x in f / f.sum()]
        return lambda lib, D: [list(s) for s in D.random_split(range(n), lengths, generator=gen(lib))]
    bs, shuffle, drop = [None, 1, 2, 3][r.integers(0, 4)], bool(r.integers(0, 2)), bool(r.integers(0, 2))

    def loader(lib, D):
        ds = D.TensorDataset(lib.arange(2 * n).reshape(n, 2).float(), lib.arange(n))
        dl = D.DataLoader(ds, batch_size=bs, shuffle=shuffle, drop_last=drop, generator=gen(lib))
        return [len(dl), [b for b in dl], [b for b in dl]]

    return loader


def test_seeded_fuzz_of_samplers_splits_and_shuffled_epochs_matches_torch():
    # the indices drawn (global seed or a Generator), lengths, and the errors for bad args
    mismatches = []
    for seed in range(200):
        program = _sampler_program(np.random.default_rng(seed))
        t = outcome(lambda program=program: program(torch, TD))
        e = outcome(lambda program=program: program(ember, ED))
        if t != e:
            mismatches.append((seed, t, e))
    assert not mismatches, mismatches[:3]


@pytest.mark.parametrize("make", [
    lambda lib: [lib.zeros(2), lib.zeros(3), np.zeros(2)],
    lambda lib: [lib.zeros(2, 3), lib.zeros(4), "x"],
    lambda lib: [lib.zeros(2), lib.zeros(3)],
])
def test_collate_checks_element_types_before_sizes_like_torch(make):
    # a sample returning an array where the others return tensors of mismatched shapes:
    # PyTorch names the non-tensor element (TypeError) before comparing sizes
    t = outcome(lambda: TD.default_collate(make(torch)))
    e = outcome(lambda: ED.default_collate(make(ember)))
    assert e == t
    for op in ("stack", "cat"):
        t = outcome(lambda op=op: getattr(torch, op)(make(torch)))
        e = outcome(lambda op=op: getattr(ember, op)(make(ember)))
        assert e == t, op
