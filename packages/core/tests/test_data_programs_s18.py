"""ember.utils.data against torch.utils.data, program by program: the same seeds must give
the same batches in the same order, epoch after epoch, and leave the same RNG state behind."""

from __future__ import annotations

import collections
import random
import warnings

import numpy as np
import pytest

import ember
import ember.utils.data as ED

torch = pytest.importorskip("torch")
import torch.utils.data as TD  # noqa: E402

P2 = collections.namedtuple("P2", ["a", "b"])


def plain(x):
    """A batch as plain Python values (tensors as (dtype name, shape, values))."""
    if isinstance(x, (ember.Tensor, torch.Tensor)):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.tolist())
    if isinstance(x, dict):
        return (type(x).__name__, {k: plain(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, [plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    return x


def both(program):
    """Run ``program(lib, data)`` with torch and with ember; return the two results."""
    return program(torch, TD), program(ember, ED)


def epochs(loader, k=3):
    return [[plain(b) for b in loader] for _ in range(k)]


def outcome(fn):
    try:
        return ("ok", plain(fn()))
    except Exception as e:  # the type and message are what is compared
        return (type(e).__name__, str(e))


# ------------------------------------------------------------------ sample order and RNG

@pytest.mark.parametrize("with_generator", [False, True])
def test_shuffle_order_over_epochs_and_rng_after(with_generator):
    def program(lib, D):
        lib.manual_seed(0)
        g = lib.Generator().manual_seed(42) if with_generator else None
        dl = D.DataLoader(D.TensorDataset(lib.arange(11), lib.arange(11.0) * 2), batch_size=4,
                          shuffle=True, generator=g, drop_last=with_generator)
        out = epochs(dl)
        out.append(lib.rand(3).tolist())  # the global RNG: drawn from only without generator
        if g is not None:
            out.append(lib.rand(2, generator=g).tolist())
        return out

    t, e = both(program)
    assert e == t


def test_partial_epochs_and_interleaved_loaders_consume_rng_as_torch():
    def program(lib, D):
        lib.manual_seed(13)
        a = D.DataLoader(range(20), batch_size=4, shuffle=True)
        b = D.DataLoader(range(6), batch_size=4, shuffle=True)
        it = iter(a)
        out = [plain(next(it)), lib.rand(2).tolist(), plain(next(it))]
        out.append(plain(next(iter(a))))
        out += [[plain(x), plain(y), lib.rand(1).tolist()] for x, y in zip(a, b)]
        out.append(lib.randint(0, 100, (3,)).tolist())
        return out

    t, e = both(program)
    assert e == t


def test_samplers_match_torch():
    def program(lib, D):
        lib.manual_seed(5)
        g = lib.Generator().manual_seed(9)
        w = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
        out = [list(D.SequentialSampler(range(5))),
               list(D.RandomSampler(range(7))),
               list(D.RandomSampler(range(40), replacement=True, num_samples=70)),
               list(D.RandomSampler(range(7), num_samples=17)),
               list(D.RandomSampler(range(7), generator=g)),
               list(D.RandomSampler(range(7), replacement=True, num_samples=40, generator=g)),
               list(D.SubsetRandomSampler([10, 20, 30, 40, 50])),
               list(D.SubsetRandomSampler([10, 20, 30, 40, 50], generator=g)),
               list(D.WeightedRandomSampler(w, 5)),
               list(D.WeightedRandomSampler(w, 5, replacement=False)),
               list(D.WeightedRandomSampler(np.array([1, 2, 3]), 12, generator=g)),
               list(D.BatchSampler(D.SequentialSampler(range(10)), 3, False)),
               list(D.BatchSampler(range(10), 3, True)),
               len(D.BatchSampler(range(10), 3, True)), len(D.BatchSampler(range(10), 3, False)),
               lib.rand(2).tolist()]
        return out

    t, e = both(program)
    assert e == t


def test_sampler_argument_errors_match_torch():
    def program(lib, D):
        calls = [lambda: D.RandomSampler(range(3), replacement=1),
                 lambda: D.RandomSampler(range(3), num_samples=0),
                 lambda: D.RandomSampler([]),
                 lambda: D.WeightedRandomSampler([1.0, 2.0], 0),
                 lambda: list(D.WeightedRandomSampler([1.0, 2.0], 3, replacement=False)),
                 lambda: D.WeightedRandomSampler([[1.0, 2.0]], 1),
                 lambda: D.BatchSampler(range(3), 0, False),
                 lambda: D.BatchSampler(range(3), 2, None),
                 lambda: D.DistributedSampler(range(3), num_replicas=2, rank=2),
                 lambda: D.DistributedSampler(range(3))]
        return [outcome(f) for f in calls]

    t, e = both(program)
    assert e == t


def test_distributed_sampler_matches_torch():
    def program(lib, D):
        out = []
        for n, replicas in ((10, 3), (11, 3), (2, 5)):
            for shuffle in (True, False):
                for drop in (True, False):
                    for rank in range(replicas):
                        s = D.DistributedSampler(range(n), num_replicas=replicas, rank=rank,
                                                 shuffle=shuffle, seed=7, drop_last=drop)
                        per_epoch = []
                        for ep in range(2):
                            s.set_epoch(ep)
                            per_epoch.append(list(s))
                        out.append((len(s), s.total_size, per_epoch))
        sampler = D.DistributedSampler(range(9), num_replicas=2, rank=1)
        out.append(epochs(D.DataLoader(list(range(9)), batch_size=2, sampler=sampler), 2))
        return out

    t, e = both(program)
    assert e == t


def test_random_split_matches_torch():
    def program(lib, D):
        lib.manual_seed(8)
        out = [[list(s) for s in D.random_split(range(10), [0.3, 0.3, 0.4])]]
        g = lib.Generator().manual_seed(42)
        out.append([list(s) for s in D.random_split(range(11), [0.5, 0.5], generator=g)])
        out.append([list(s) for s in D.random_split(range(7), [3, 4], generator=g)])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out.append([list(s) for s in D.random_split(range(7), (0.7, 0.2, 0.1))])
            out.append([str(x.message) for x in w])
        out.append(outcome(lambda: D.random_split(range(5), [2, 2])))
        out.append(outcome(lambda: D.random_split(range(5), [-0.5, 1.5])))
        out.append(lib.rand(2).tolist())
        return out

    t, e = both(program)
    assert e == t


# ------------------------------------------------------------------ datasets and loaders

def test_dataset_wrappers_match_torch():
    def program(lib, D):
        x, y = lib.arange(12).reshape(6, 2), lib.arange(6)
        td = D.TensorDataset(x, y)
        cd = D.ConcatDataset([range(3), range(10, 14), [100]])
        sd = D.StackDataset(a=list(range(3)), b=["a", "b", "c"])
        return [plain(td[-1]), plain(td[1:3]), len(td),
                outcome(lambda: D.TensorDataset(x, lib.arange(5))),
                [cd[i] for i in range(len(cd))], cd[-8], cd.cumulative_sizes,
                outcome(lambda: cd[-9]), outcome(lambda: D.ConcatDataset([])),
                plain(D.Subset(list(range(100, 110)), [9, 0, 3])[-1]),
                sd[2], sd.__getitems__([0, 2]), D.StackDataset(range(2), "xy")[1],
                outcome(lambda: D.StackDataset([1], [1, 2])), outcome(D.StackDataset)]

    t, e = both(program)
    assert e == t


def test_loader_forms_and_lengths_match_torch():
    def program(lib, D):
        lib.manual_seed(3)
        ds = [np.arange(3) + i for i in range(5)]
        out = [epochs(D.DataLoader(ds, batch_size=None, shuffle=True), 2),
               epochs(D.DataLoader(list(range(10)), batch_sampler=[[0, 3], [1], [4, 2, 5]]), 1),
               epochs(D.DataLoader(D.TensorDataset(lib.arange(3)), batch_size=None), 1)]
        out += [len(D.DataLoader(range(10), batch_size=3)),
                len(D.DataLoader(range(10), batch_size=3, drop_last=True)),
                len(D.DataLoader(range(10), batch_size=None)),
                outcome(lambda: D.DataLoader(range(3), shuffle=True, sampler=[0])),
                outcome(lambda: D.DataLoader(range(3), batch_sampler=[[0]], batch_size=2)),
                outcome(lambda: D.DataLoader(range(3), batch_size=None, drop_last=True)),
                outcome(lambda: D.DataLoader(range(3), prefetch_factor=2))]
        return out

    t, e = both(program)
    assert e == t


def test_iterable_len_warning_matches_torch():
    def program(lib, D):
        class Stream(D.IterableDataset):
            def __iter__(self):
                return iter(range(6))

            def __len__(self):
                return 3

        out = [len(D.DataLoader(Stream(), batch_size=2)),
               len(D.DataLoader(Stream(), batch_size=2, drop_last=True))]
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            dl = D.DataLoader(Stream(), batch_size=None)
            out.append([len(dl), [plain(b) for b in dl]])
            name = repr(dl.dataset)
            out.append([str(x.message).replace(name, "DS") for x in w])
        return out

    t, e = both(program)
    assert e == t


# ------------------------------------------------------------------ collation

def test_default_collate_and_convert_match_torch():
    def program(lib, D):
        cases = [[1, 2, 3], [1.5, 2.0], [True, False], ["a", "b"],
                 [np.float32(1.5), np.float32(2)], [np.int16(3), np.int16(4)],
                 [np.float32(1), 1.5], [np.int16(3), 5], [np.int64(1), 2.5], [np.float16(1), 1.5],
                 [np.array([1, 2]), np.array([3, 4])],
                 [np.array([1.0, 2.0], dtype=np.float32), np.array([3, 4])],
                 [lib.tensor([1, 2]), lib.tensor([3.0, 4.0])],
                 [{"a": 1, "b": lib.tensor([1.0])}, {"a": 2, "b": lib.tensor([2.0])}],
                 [P2(1, 2.0), P2(3, 4.0)], [(1, "x", 2.0), (2, "y", 3.0)],
                 [collections.OrderedDict(a=1), collections.OrderedDict(a=2)],
                 [{"x": [np.array([1]), (1, 2)]}, {"x": [np.array([2]), (3, 4)]}],
                 [[1, 2], [3]], [lib.tensor([1, 2]), lib.tensor([3])],
                 [np.array([1, 2]), np.array([3])], [None, None], [np.array(["a"])] * 2]
        out = [outcome(lambda c=c: D.default_collate(c)) for c in cases]
        converts = [np.array([1, 2]), (np.array([1]), 3), {"a": np.float64(1.0)},
                    P2(np.array([1.0]), "s"), [np.int64(2)], "str", np.array(["a"])]
        out += [outcome(lambda c=c: D.default_convert(c)) for c in converts]
        return out

    t, e = both(program)
    # string arrays come back as NumPy arrays: compare their contents
    t = [(k, v.tolist() if isinstance(v, np.ndarray) else v) for k, v in t]
    e = [(k, v.tolist() if isinstance(v, np.ndarray) else v) for k, v in e]
    assert e == t


# ------------------------------------------------------------------ workers (few, small)

class _SeedProbe:
    """Each sample reports the seeds and first draws its worker sees."""

    def __init__(self, lib, n):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = self.lib.utils.data.get_worker_info()
        return (i, self.lib.initial_seed(), float(np.random.rand()), random.random(),
                self.lib.rand(1).item(), info.id, info.seed)


def _seed_worker(worker_id):
    info = (torch.utils.data.get_worker_info() or ED.get_worker_info())
    seed = info.seed % 2 ** 32
    np.random.seed(seed)
    random.seed(seed)


@pytest.mark.parametrize("persistent", [False, True])
def test_workers_order_seeds_and_rng_match_torch(persistent):
    def program(lib, D):
        lib.manual_seed(21)
        g = lib.Generator().manual_seed(5)
        dl = D.DataLoader(_SeedProbe(lib, 5), batch_size=2, num_workers=2, shuffle=True,
                          generator=g if persistent else None, persistent_workers=persistent,
                          worker_init_fn=_seed_worker if persistent else None,
                          multiprocessing_context="fork")  # the dataset holds a module
        out = epochs(dl, 2)
        out.append(lib.rand(2).tolist())
        return out

    t, e = both(program)
    assert e == t


def test_iterable_sharded_by_worker_info_matches_torch():
    def program(lib, D):
        class Shards(D.IterableDataset):
            def __iter__(self):
                info = D.get_worker_info()
                if info is None:
                    return iter(range(11))
                return iter(range(info.id * 6, min(info.id * 6 + 6, 11)))

        lib.manual_seed(24)
        kw = {"batch_size": 2, "num_workers": 2, "multiprocessing_context": "fork"}
        return [epochs(D.DataLoader(Shards(), **kw), 1),
                epochs(D.DataLoader(Shards(), drop_last=True, **kw), 1),
                lib.rand(1).tolist()]

    t, e = both(program)
    assert e == t
