"""ember.utils.data against torch.utils.data (session 26, whole programs diffed): collating
read-only NumPy arrays warns as PyTorch's ``as_tensor`` does, ``randperm`` with a non-int ``n``
and a keyword (``random_split`` with a float length) raises PyTorch's parser error, and whole
sampler/split/dataset programs print what PyTorch prints."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import numpy as np
import pytest

import ember
from ember.utils.data import default_collate

torch = pytest.importorskip("torch")


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return type(e).__name__, str(e).replace("torch", "ember")
    return "ok"


def _printed(src: str) -> str:
    """What a program prints (stdout), run in this process."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(src, "<program>", "exec"), {"__name__": "__main__"})
    return buf.getvalue()


def _same_output(src: str) -> None:
    want = _printed(src).replace("torch", "ember")
    got = _printed(re.sub(r"\btorch\b", "ember", src))
    assert got == want


# ----------------------------------------------------------------- read-only arrays
def _collate_warnings(lib, a):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = lib.utils.data.default_collate([a, a.copy()])
    return [str(x.message) for x in w], out.tolist()


def test_collate_of_read_only_arrays_warns_like_torch():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    a.flags.writeable = False
    was = torch.is_warn_always_enabled()
    torch.set_warn_always(True)  # PyTorch warns once per process otherwise
    try:
        want = _collate_warnings(torch, a)
    finally:
        torch.set_warn_always(was)
    from ember.ops import creation

    creation._warned.discard("readonly")
    got = _collate_warnings(ember, a)
    assert "not writable" in want[0][0]
    assert got == want
    assert _collate_warnings(ember, a)[0] == []  # once per program, as PyTorch's default


def test_collate_of_writable_arrays_stays_silent():
    a = np.arange(4.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = default_collate([a, a + 1])
    ref = torch.utils.data.default_collate([a, a + 1])
    assert out.tolist() == ref.tolist() and str(out.dtype) == str(ref.dtype).replace("torch", "ember")


# ----------------------------------------------------------------- randperm's parser errors
@pytest.mark.parametrize("kw", [{}, {"generator": "gen"}, {"dtype": "int32"}, {"requires_grad": True},
                                {"device": "cpu"}])
@pytest.mark.parametrize("n", [10.0, "a", None])
def test_randperm_bad_n_error_matches_torch(n, kw):
    def call(lib):
        k = dict(kw)
        if k.get("generator") == "gen":
            k["generator"] = lib.Generator()
        if "dtype" in k:
            k["dtype"] = getattr(lib, k["dtype"])
        return lambda: lib.randperm(n, **k)

    assert _outcome(call(ember)) == _outcome(call(torch))


def test_random_split_with_a_float_length_errors_like_torch():
    def split(lib):
        return lambda: lib.utils.data.random_split(range(10), [5, 5.0])

    assert _outcome(split(ember)) == _outcome(split(torch))
    assert _outcome(split(ember))[0] == "TypeError"


# ----------------------------------------------------------------- whole programs
SAMPLER_GEN = """\
import torch
from torch.utils.data import (RandomSampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
                              BatchSampler, DataLoader, TensorDataset)
torch.manual_seed(3)
data = list(range(10))
print(list(RandomSampler(data)))
print(list(RandomSampler(data, replacement=True)))
print(list(RandomSampler(data, replacement=True, num_samples=15)))
print(list(RandomSampler(data, num_samples=25)))
print(list(RandomSampler(data, num_samples=4)))
g = torch.Generator().manual_seed(7)
print(list(RandomSampler(data, generator=g)), list(RandomSampler(data, generator=g, replacement=True, num_samples=40)))
print(list(SubsetRandomSampler([10, 20, 30, 40], generator=g)))
print(list(SubsetRandomSampler(torch.tensor([5, 6, 7]))))
ws = WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 10)
print(list(ws), len(ws))
ws = WeightedRandomSampler(torch.tensor([1.0, 0.0, 2.0]), 3, replacement=False, generator=g)
print(list(ws))
print(list(BatchSampler(RandomSampler(data, generator=g), 3, drop_last=False)))
print(list(BatchSampler(SequentialSampler(data), 4, True)), len(BatchSampler(range(10), 4, True)), len(BatchSampler(range(10), 4, False)))
print(torch.rand(2))
s = RandomSampler(data)
it = iter(s)
print(torch.rand(1))
print(next(it), next(it))
print(torch.rand(1))
print(len(RandomSampler(data, num_samples=3)), len(SubsetRandomSampler([1, 2])))
"""


RNG_ORDER = """\
import torch
from torch.utils.data import DataLoader, TensorDataset, RandomSampler, random_split, SubsetRandomSampler, WeightedRandomSampler

ds = TensorDataset(torch.arange(10))
torch.manual_seed(0)
dl = DataLoader(ds, batch_size=4, shuffle=True)
print(torch.rand(1))
it = iter(dl)
print(torch.rand(1))
print(next(it)[0])
print(torch.rand(1))
print([b[0].tolist() for b in it])
print(torch.rand(1))
torch.manual_seed(0)
a, b = random_split(ds, [7, 3])
print(a.indices, b.indices, torch.rand(1))
torch.manual_seed(0)
print(list(SubsetRandomSampler(range(5))), torch.rand(1))
torch.manual_seed(0)
print(list(WeightedRandomSampler([1, 2, 3, 4], 6)), torch.rand(1))
torch.manual_seed(0)
print(list(WeightedRandomSampler([1, 2, 3, 4], 3, replacement=False)), torch.rand(1))
torch.manual_seed(0)
print(list(RandomSampler(range(5), replacement=True, num_samples=40)), torch.rand(1))
torch.manual_seed(0)
print(list(RandomSampler(range(5), num_samples=13)), torch.rand(1))
torch.manual_seed(0)
dl = DataLoader(ds, batch_size=3, shuffle=True, num_workers=0)
for ep in range(2):
    print([b[0].tolist() for b in dl])
print(torch.rand(1))
g = torch.Generator().manual_seed(1)
dl = DataLoader(ds, batch_size=5, shuffle=True, generator=g)
print([b[0].tolist() for b in dl], g.get_state()[:8].tolist() if False else "", torch.rand(1, generator=g))
"""


DS_ERRORS = """\
import torch
from torch.utils.data import (ChainDataset, ConcatDataset, TensorDataset, Subset, random_split, DataLoader,
                              IterableDataset, Dataset)

class It(IterableDataset):
    def __iter__(self):
        yield from [1, 2]
class M(Dataset):
    def __len__(self):
        return 2
    def __getitem__(self, i):
        if i >= 2:
            raise IndexError(i)
        return i
for f in [lambda: list(ChainDataset([It(), M()])), lambda: len(ChainDataset([It(), It()])),
          lambda: len(ChainDataset([M(), M()])),
          lambda: random_split(range(10), [3, 3, 3]), lambda: random_split(range(10), [0.5, 0.4]),
          lambda: random_split(range(10), [0.5, 0.6, -0.1]), lambda: [len(p) for p in random_split(range(10), [5, 5.0])],
          lambda: [len(p) for p in random_split(range(3), [1.0])], lambda: random_split(range(5), []),
          lambda: [len(p) for p in random_split(range(5), [0.1, 0.1, 0.8])],
          lambda: [len(p) for p in random_split(range(7), [0.25, 0.25, 0.25, 0.25])],
          lambda: Subset(M(), [0, 1])[5], lambda: TensorDataset()[0], lambda: len(TensorDataset()),
          lambda: TensorDataset(torch.ones(2), [1, 2]), lambda: TensorDataset(torch.ones(3))[3],
          lambda: ConcatDataset([M(), It()]), lambda: ConcatDataset(M()),
          lambda: len(ConcatDataset([M(), [1, 2, 3]])), lambda: ConcatDataset([M(), [1, 2, 3]])[3],
          lambda: M() + It(), lambda: It() + M(), lambda: list(It() + It()),
          ]:
    try:
        r = f()
        print("ok", r if isinstance(r, (int, list, tuple)) else type(r).__name__)
    except Exception as e:
        print(type(e).__name__, e)
"""


DATASETS_COMPOSE = """\
import torch
from torch.utils.data import (Dataset, TensorDataset, Subset, ConcatDataset, ChainDataset, IterableDataset,
                              StackDataset, DataLoader, random_split)

class Sq(Dataset):
    def __init__(self, n):
        self.n = n
    def __len__(self):
        return self.n
    def __getitem__(self, i):
        if i >= self.n or i < -self.n:
            raise IndexError(f"index {i} out of range")
        return i * i

class Cnt(IterableDataset):
    def __init__(self, n):
        self.n = n
    def __iter__(self):
        return iter(range(self.n))

a, b = Sq(3), Sq(4)
c = a + b
print(type(c).__name__, len(c), [c[i] for i in range(len(c))], c[-1], c[-7], c.cumulative_sizes)
for idx in (7, -8, 100):
    try:
        print(c[idx])
    except Exception as e:
        print(type(e).__name__, e)
s = Subset(c, [6, 0, 3])
print(len(s), s[0], s[-1], list(s), [x for x in s])
ss = Subset(s, [2, 1])
print(ss[0], ss[1], len(ss), ss.indices, type(ss.dataset).__name__)
ch = Cnt(2) + Cnt(3)
print(type(ch).__name__, list(ch))
try:
    len(ch)
except Exception as e:
    print(type(e).__name__, e)
try:
    ConcatDataset([])
except Exception as e:
    print(type(e).__name__, e)
try:
    ConcatDataset([Cnt(2)])
except Exception as e:
    print(type(e).__name__, e)
try:
    TensorDataset(torch.ones(3), torch.ones(4))
except Exception as e:
    print(type(e).__name__, e)
t = TensorDataset(torch.arange(4), torch.arange(4) * 10)
print(t[1], t[-1], len(t), t[torch.tensor(2)], t[1:3])
st = StackDataset(a, Sq(3))
print(st[1], len(st))
st = StackDataset(x=a, y=Sq(3))
print(st[2], list(DataLoader(st, batch_size=2)))
try:
    StackDataset(a, b)
except Exception as e:
    print(type(e).__name__, e)
try:
    StackDataset(a, y=b)
except Exception as e:
    print(type(e).__name__, e)
try:
    StackDataset()
except Exception as e:
    print(type(e).__name__, e)
parts = random_split(range(10), [3, 3, 4], generator=torch.Generator().manual_seed(42))
print([list(p) for p in parts])
parts = random_split(range(10), [0.33, 0.33, 0.34], generator=torch.Generator().manual_seed(42))
print([len(p) for p in parts], [list(p) for p in parts])
for lens in ([3, 3], [0.5, 0.6], [-1, 11], [0.5, 0.5, 0.0]):
    try:
        print([len(p) for p in random_split(range(10), lens)])
    except Exception as e:
        print(type(e).__name__, e)
"""


@pytest.mark.parametrize("src", [SAMPLER_GEN, RNG_ORDER, DS_ERRORS, DATASETS_COMPOSE],
                         ids=["sampler_gen", "rng_order", "ds_errors", "datasets_compose"])
def test_whole_program_prints_what_torch_prints(src):
    _same_output(src)


# ----------------------------------------------------------------- a generator that is none
@pytest.mark.parametrize("bad", [3, "a", 1.5])
def test_random_with_a_non_generator_errors_like_torch(bad):
    def draw(lib):
        return lambda: lib.empty((), dtype=lib.int64).random_(generator=bad)

    assert _outcome(draw(ember)) == _outcome(draw(torch))


def test_loader_with_a_non_generator_fails_at_iteration_like_torch():
    def first(lib):
        ds = lib.utils.data.TensorDataset(lib.arange(4))
        loader = lib.utils.data.DataLoader(ds, batch_size=2, shuffle=True, generator=3)
        return lambda: next(iter(loader))

    assert _outcome(first(ember)) == _outcome(first(torch))
    assert "random_() received an invalid combination" in _outcome(first(ember))[1]


def test_collate_of_np_matrix_samples_stacks_like_torch():
    batch = [np.matrix([[1, 2]]), np.matrix([[3, 4]])]
    got = default_collate(batch)
    want = torch.utils.data.default_collate(batch)
    assert tuple(got.shape) == tuple(want.shape) == (2, 1, 2)
    assert got.tolist() == want.tolist()
    assert repr(got) == repr(want).replace("torch", "ember")
