"""ember.utils.data: datasets, samplers, collation and the DataLoader with workers."""

from __future__ import annotations

import collections
import glob
import os
import signal
import time

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    random_split,
)


def _tensor_ds(n=50):
    x = ember.from_numpy(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    return TensorDataset(x, ember.arange(n))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_batches_arrive_in_sampler_order(num_workers):
    dl = DataLoader(_tensor_ds(), batch_size=8, num_workers=num_workers)
    labels = [int(v) for _, y in dl for v in y.tolist()]
    assert labels == list(range(50))
    assert len(dl) == 7


@pytest.mark.parametrize("num_workers", [0, 2])
def test_drop_last_and_len(num_workers):
    dl = DataLoader(_tensor_ds(), batch_size=8, drop_last=True, num_workers=num_workers)
    assert len(dl) == 6 and sum(1 for _ in dl) == 6


def test_seeded_shuffle_is_reproducible_and_independent_of_workers():
    orders = []
    for nw in (0, 2, 0):
        g = ember.Generator().manual_seed(123)
        dl = DataLoader(_tensor_ds(), batch_size=5, shuffle=True, generator=g, num_workers=nw)
        orders.append([int(v) for _, y in dl for v in y.tolist()])
    assert orders[0] == orders[1] == orders[2]
    assert sorted(orders[0]) == list(range(50)) and orders[0] != list(range(50))


def test_shuffle_order_matches_pytorch(torch):
    ember.manual_seed(7)
    torch.manual_seed(7)
    e_dl = DataLoader(_tensor_ds(), batch_size=5, shuffle=True)
    t_dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(50)),
                                       batch_size=5, shuffle=True)
    for _ in range(2):  # two epochs: the per-epoch seeds come from the global generator
        e = [int(v) for _, y in e_dl for v in y.tolist()]
        t = [int(v) for (y,) in t_dl for v in y.tolist()]
        assert e == t
    assert ember.rand(3).tolist() == pytest.approx(torch.rand(3).tolist())


class _Failing(Dataset):
    def __len__(self):
        return 20

    def __getitem__(self, i):
        if i == 13:
            raise KeyError(f"sample {i} is missing")
        return i


@pytest.mark.parametrize("num_workers", [0, 2])
def test_worker_exception_reraised_with_worker_id_and_traceback(num_workers):
    dl = DataLoader(_Failing(), batch_size=2, num_workers=num_workers)
    with pytest.raises(KeyError) as info:
        list(dl)
    if num_workers:
        msg = str(info.value)
        assert "in DataLoader worker process" in msg and "sample 13 is missing" in msg
        assert "__getitem__" in msg  # the original traceback text


class _Slow(Dataset):
    def __len__(self):
        return 1000

    def __getitem__(self, i):
        time.sleep(0.05)
        return i


def test_killed_worker_raises_promptly():
    dl = DataLoader(_Slow(), batch_size=1, num_workers=2)
    it = iter(dl)
    next(it)
    victim = it._workers[1]
    os.kill(victim.pid, signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"DataLoader worker \(pid {victim.pid}\) is killed by "
                       "signal: Killed"):
        for _ in it:
            pass
    assert time.monotonic() - start < 5
    assert not glob.glob(f"/dev/shm/ember-{victim.pid}-*")


class _Stuck(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(30)
        return i


def test_timeout_raises():
    dl = DataLoader(_Stuck(), batch_size=1, num_workers=1, timeout=0.5)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        next(iter(dl))
    assert time.monotonic() - start < 5


class _Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("num_workers", [0, 1, 3])
def test_iterable_dataset_sharded_with_worker_info(num_workers):
    dl = DataLoader(_Stream(20), batch_size=4, num_workers=num_workers)
    got = sorted(int(v) for b in dl for v in b.tolist())
    assert got == list(range(20))
    assert len(dl) == 5
    assert get_worker_info() is None


def test_worker_init_fn_and_seeds_differ():
    class Seeds(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            info = get_worker_info()
            return (info.id, info.seed, float(ember.rand(1).item()))

    dl = DataLoader(Seeds(), batch_size=None, num_workers=2,
                    worker_init_fn=lambda wid: None)
    rows = list(dl)
    seeds = {int(r[0]): int(r[1]) for r in rows}
    assert seeds[1] - seeds[0] == 1
    assert len({r[2] for r in rows}) == 4


def test_persistent_workers_reuse_processes():
    dl = DataLoader(_tensor_ds(20), batch_size=5, num_workers=2, persistent_workers=True)
    first = [int(v) for _, y in dl for v in y.tolist()]
    pids = [w.pid for w in dl._iterator._workers]
    second = [int(v) for _, y in dl for v in y.tolist()]
    assert first == second == list(range(20))
    assert [w.pid for w in dl._iterator._workers] == pids
    dl._iterator._shutdown_workers()


def test_large_batches_travel_through_shared_memory():
    class Big(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return np.full((64, 64), i, dtype=np.float32)

    dl = DataLoader(Big(), batch_size=4, num_workers=2)
    batches = list(dl)
    assert batches[1].shape == (4, 64, 64) and batches[1][0, 0, 0].item() == 4.0
    base = batches[1].numpy()
    while isinstance(base.base, np.ndarray):
        base = base.base
    import mmap

    owner = base.base.obj if isinstance(base.base, memoryview) else base.base
    assert isinstance(owner, mmap.mmap)  # a view of the shared segment, not a copy
    assert not glob.glob(f"/dev/shm/ember-{os.getpid()}-*")


def test_default_collate_structures():
    Point = collections.namedtuple("Point", "x y")
    batch = [{"a": 1, "b": 1.5, "c": "s", "d": np.ones(2, dtype=np.float32),
              "e": Point(1, ember.ones(2)), "f": [True, 2]} for _ in range(3)]
    out = default_collate(batch)
    assert out["a"].dtype is ember.int64 and out["b"].dtype is ember.float64
    assert out["c"] == ["s", "s", "s"]
    assert out["d"].shape == (3, 2) and out["d"].dtype is ember.float32
    assert isinstance(out["e"], Point) and out["e"].y.shape == (3, 2)
    assert out["f"][0].dtype is ember.bool
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [1]])


def test_default_collate_matches_pytorch(torch):
    batch = [(np.float64(1.5), 3, np.arange(3, dtype=np.int32)) for _ in range(2)]
    e = default_collate(batch)
    t = torch.utils.data.default_collate(batch)
    for a, b in zip(e, t):
        assert a.dtype.name == str(b.dtype).replace("torch.", "")
        assert a.tolist() == b.tolist()


def test_samplers():
    ds = list(range(10))
    assert list(SequentialSampler(ds)) == ds
    g = ember.Generator().manual_seed(0)
    perm = list(RandomSampler(ds, generator=g))
    assert sorted(perm) == ds
    g = ember.Generator().manual_seed(0)
    draws = list(RandomSampler(ds, replacement=True, num_samples=40, generator=g))
    assert len(draws) == 40 and all(0 <= d < 10 for d in draws)
    assert sorted(SubsetRandomSampler([3, 5, 7])) == [3, 5, 7]
    w = list(WeightedRandomSampler([0, 0, 1.0], 5))
    assert w == [2] * 5
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(3), 0, False)


def test_dataset_combinators_and_random_split():
    a, b = _tensor_ds(5), _tensor_ds(7)
    cat = ConcatDataset([a, b])
    assert len(cat) == 12 and int(cat[6][1]) == 1 and int(cat[-1][1]) == 6
    sub = Subset(b, [6, 0])
    assert [int(s[1]) for s in sub] == [6, 0]
    st = StackDataset(x=a, y=a)
    assert set(st[0]) == {"x", "y"}
    parts = random_split(range(10), [0.5, 0.3, 0.2], generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [5, 3, 2]
    assert sorted(i for p in parts for i in p) == list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])


def test_random_split_matches_pytorch(torch):
    e = random_split(range(10), [4, 6], generator=ember.Generator().manual_seed(3))
    t = torch.utils.data.random_split(range(10), [4, 6],
                                      generator=torch.Generator().manual_seed(3))
    assert [list(p) for p in e] == [list(p) for p in t]


def test_bad_arguments_raise_pytorch_errors():
    ds = _tensor_ds()
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(_Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(ds, prefetch_factor=2)


@pytest.mark.parametrize("shuffle,drop_last", [(True, False), (False, False), (True, True)])
def test_distributed_sampler_matches_pytorch(shuffle, drop_last, torch):
    from ember.utils.data import DistributedSampler

    for rank in range(3):
        e = DistributedSampler(range(10), num_replicas=3, rank=rank, shuffle=shuffle, seed=5,
                               drop_last=drop_last)
        t = torch.utils.data.DistributedSampler(range(10), num_replicas=3, rank=rank,
                                                shuffle=shuffle, seed=5, drop_last=drop_last)
        for epoch in (0, 1):
            e.set_epoch(epoch)
            t.set_epoch(epoch)
            assert list(e) == list(t) and len(e) == len(t)


def test_distributed_sampler_needs_a_group_or_explicit_ranks():
    from ember.utils.data import DistributedSampler

    # as PyTorch without init_process_group
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match="Invalid rank 3"):
        DistributedSampler(range(4), num_replicas=2, rank=3)


@pytest.mark.skipif(ember.cuda.is_available(), reason="the no-GPU behaviour")
def test_pin_memory_without_gpu_warns_like_pytorch_and_yields_plain_batches():
    x = ember.arange(6.0)
    assert not x.is_pinned()
    with pytest.raises(RuntimeError, match="pin_memory"):
        x.pin_memory()
    loader = DataLoader(TensorDataset(x), batch_size=4, pin_memory=True)
    with pytest.warns(UserWarning, match="no accelerator is found"):
        batches = list(loader)
    assert [b[0].tolist() for b in batches] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]
    assert not batches[0][0].is_pinned()
