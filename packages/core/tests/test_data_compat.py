"""ember.utils.data against torch.utils.data: worker seeding, dataset and collate details,
DataLoader argument checks and warnings."""

from __future__ import annotations

import collections
import importlib
import random
import warnings

import numpy as np
import pytest

import ember
from ember.utils.data import (
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    Sampler,
    StackDataset,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
)
from ember.utils.data._utils.collate import collate, default_collate_fn_map


class _Squares(Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return i * i


class _Range(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


class _Draws:
    """Each sample: what the worker's random sources give (NumPy, Python, the library's)."""

    lib = "ember"

    def __len__(self) -> int:
        return 6

    def __getitem__(self, i: int) -> tuple:
        lib = importlib.import_module(self.lib)
        info = importlib.import_module(self.lib + ".utils.data").get_worker_info()
        return (i, info.id, info.seed, lib.initial_seed(), int(np.random.randint(0, 2**31)),
                random.random(), float(lib.rand(())))


class _EmberDraws(_Draws, Dataset):
    lib = "ember"


def _draws(lib_mod, dataset, **kw):
    data = importlib.import_module(lib_mod.__name__ + ".utils.data")
    lib_mod.manual_seed(1234)
    np.random.seed(0)
    return [tuple(v) for v in data.DataLoader(dataset, batch_size=None, **kw)]


@pytest.mark.parametrize("num_workers", [1, 2])
@pytest.mark.parametrize("seeded_generator", [False, True])
def test_worker_random_sources_match_pytorch(num_workers, seeded_generator, torch):
    # the base seed comes from the (loader's) generator; NumPy is reseeded per worker from it
    tdata = pytest.importorskip("torch.utils.data")

    class TorchDraws(_Draws, tdata.Dataset):
        lib = "torch"

    t_gen = torch.Generator().manual_seed(99) if seeded_generator else None
    e_gen = ember.Generator().manual_seed(99) if seeded_generator else None
    theirs = _draws(torch, TorchDraws(), num_workers=num_workers, generator=t_gen)
    ours = _draws(ember, _EmberDraws(), num_workers=num_workers, generator=e_gen)
    assert ours == theirs
    # workers draw different NumPy streams from each other
    if num_workers == 2:
        assert ours[0][4] != ours[1][4]


def test_numpy_worker_seed_is_pytorchs_hash(torch):
    worker = pytest.importorskip("torch.utils.data._utils.worker")
    from ember.utils.data._worker import numpy_worker_seed

    rng = random.Random(0)
    for _ in range(200):
        base = rng.getrandbits(63)
        wid = rng.randrange(32)
        assert numpy_worker_seed(base, wid) == worker._generate_state(base, wid)


def test_stack_dataset_getitems_and_errors(torch):
    tdata = pytest.importorskip("torch.utils.data")
    for lib, data in ((ember, ember.utils.data), (torch, tdata)):
        pos = data.StackDataset(data.TensorDataset(lib.arange(4)), [10, 11, 12, 13])
        kw = data.StackDataset(a=[1, 2, 3, 4], b=data.Subset([5, 6, 7, 8, 9], [4, 3, 2, 1]))
        got = (pos.__getitems__([3, 0]), kw.__getitems__([1, 2]), kw[0])
        if lib is torch:
            theirs = got
        else:
            ours = got
    assert [(a[0].item(), b) for a, b in ours[0]] == [(a[0].item(), b) for a, b in theirs[0]]
    assert ours[1:] == theirs[1:]
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset([1, 2], [1])
    loader = DataLoader(StackDataset(_Squares(5), TensorDataset(ember.arange(5.0))), batch_size=2)
    first = next(iter(loader))
    assert first[0].tolist() == [0, 1] and first[1][0].tolist() == [0.0, 1.0]


def test_iterable_dataset_is_abstract_and_generic_subscripts(torch):
    tdata = pytest.importorskip("torch.utils.data")
    with pytest.raises(TypeError, match="abstract"):
        IterableDataset()
    for name in ("Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset",
                 "Subset", "StackDataset", "Sampler", "SequentialSampler", "RandomSampler",
                 "BatchSampler", "DistributedSampler", "DataLoader"):
        def subscriptable(cls):
            try:
                cls[int]
            except TypeError:
                return False
            return True
        assert subscriptable(getattr(ember.utils.data, name)) == subscriptable(
            getattr(tdata, name)), name

    class MySampler(Sampler[int]):
        def __iter__(self):
            return iter([2, 0])

    assert [b.tolist() for b in DataLoader(_Squares(3), sampler=MySampler())] == [[4], [0]]


def test_subset_subclass_overriding_only_getitem_is_refused():
    class Broken(Subset):
        def __getitem__(self, idx):
            return 0

    with pytest.raises(NotImplementedError, match="overrides __getitem__ but not __getitems__"):
        Broken(_Squares(3), [0])

    class Fine(Broken):
        def __getitems__(self, indices):
            return [self[i] for i in indices]

    assert [b.tolist() for b in DataLoader(Fine(_Squares(3), [1, 2]), batch_size=2)] == [[0, 0]]


def test_concat_and_chain_details():
    with pytest.warns(FutureWarning, match="renamed to `cumulative_sizes`"):
        assert ConcatDataset([_Squares(2), _Squares(3)]).cummulative_sizes == [2, 5]
    assert len(ChainDataset([_Range(2), _Range(3)])) == 5
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        len(ChainDataset([_Squares(2)]))


def test_collate_keeps_mutable_container_types_and_custom_maps(torch):
    tcollate = pytest.importorskip("torch.utils.data._utils.collate")

    def both(fn_name, batch_for):
        return (getattr(importlib.import_module("ember.utils.data._utils.collate"), fn_name)(
            batch_for(ember)), getattr(tcollate, fn_name)(batch_for(torch)))

    ours, theirs = both("default_collate", lambda lib: [
        collections.defaultdict(list, a=1, b=np.ones(2)),
        collections.defaultdict(list, a=2, b=np.zeros(2))])
    assert type(ours) is type(theirs) is collections.defaultdict
    assert ours.default_factory is list
    ember.testing.assert_close(ours["a"], ember.from_numpy(theirs["a"].numpy()))
    ember.testing.assert_close(ours["b"], ember.from_numpy(theirs["b"].numpy()))
    converted = default_convert(collections.defaultdict(int, x=np.arange(3)))
    assert type(converted) is collections.defaultdict and converted.default_factory is int

    def as_f32(lib):
        def fn(batch, *, collate_fn_map=None):
            return lib.tensor(batch, dtype=lib.float32)
        return fn

    sample = [{"a": 1.5, "b": (np.ones(2, np.int16), "s")}, {"a": 2.5, "b": (np.zeros(2, np.int16), "t")}]
    ours = collate(sample, collate_fn_map={**default_collate_fn_map, float: as_f32(ember)})
    theirs = tcollate.collate(sample, collate_fn_map={**tcollate.default_collate_fn_map,
                                                      float: as_f32(torch)})
    assert str(ours["a"].dtype) == "ember.float32" and ours["a"].tolist() == theirs["a"].tolist()
    assert str(ours["b"][0].dtype) == "ember.int16"
    assert ours["b"][0].tolist() == theirs["b"][0].tolist() and ours["b"][1] == theirs["b"][1]


def test_collate_numpy_dtype_promotion_and_size_mismatch_as_tensors(torch):
    tdata = pytest.importorskip("torch.utils.data")
    mixed = [np.ones(2, np.int32), np.ones(2, np.float32)]
    ours, theirs = default_collate(mixed), tdata.default_collate(mixed)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    with pytest.raises(RuntimeError) as e_ours:
        default_collate([np.ones(2), np.ones(3)])
    with pytest.raises(RuntimeError) as e_theirs:
        tdata.default_collate([np.ones(2), np.ones(3)])
    assert str(e_ours.value) == str(e_theirs.value)


def test_loader_attributes_are_frozen_after_init():
    loader = DataLoader(_Squares(4), batch_size=2)
    for attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                 "persistent_workers"):
        with pytest.raises(ValueError, match=f"{attr} attribute should not be set after "
                                             "DataLoader is initialized"):
            setattr(loader, attr, None)
    loader.num_workers = 0  # other attributes stay settable
    loader.collate_fn = lambda b: b
    assert list(loader) == [[0, 1], [4, 9]]


def test_multiprocessing_context_is_validated(torch):
    tdata = pytest.importorskip("torch.utils.data")
    import multiprocessing

    cases = [dict(num_workers=1, multiprocessing_context="nope"),
             dict(num_workers=1, multiprocessing_context=3),
             dict(num_workers=0, multiprocessing_context="spawn")]
    for kw in cases:
        with pytest.raises(Exception) as e_theirs:
            tdata.DataLoader([1, 2], **kw)
        with pytest.raises(type(e_theirs.value)) as e_ours:
            DataLoader([1, 2], **kw)
        assert str(e_ours.value) == str(e_theirs.value)
    ctx = DataLoader([1, 2], num_workers=1, multiprocessing_context="spawn").multiprocessing_context
    assert isinstance(ctx, multiprocessing.context.BaseContext)
    assert ctx.get_start_method() == "spawn"


def test_too_many_workers_warns_at_init_and_iteration(monkeypatch, torch):
    tdata = pytest.importorskip("torch.utils.data")
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    messages = []
    for data in (tdata, ember.utils.data):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            loader = data.DataLoader(list(range(4)), batch_size=2, num_workers=2)
            assert len(caught) == 1
            assert [b.tolist() for b in loader] == [[0, 1], [2, 3]]
        messages.append([str(w.message) for w in caught if "worker processes" in str(w.message)])
    assert len(messages[1]) == 2 and messages[0] == messages[1]


def test_len_promised_by_iterable_dataset_warns_when_exceeded(torch):
    tdata = pytest.importorskip("torch.utils.data")
    for num_workers in (0, 2):
        ds = _Range(5)
        loader = DataLoader(ds, batch_size=2, num_workers=num_workers)
        assert len(loader) == 3
        ds.n = 14  # the stream now yields more batches than len(dataset) said
        with pytest.warns(UserWarning, match="was reported to be 5") as caught:
            batches = [b.tolist() for b in loader]
        counts = [str(w.message).split("but ")[1].split(" samples")[0] for w in caught
                  if "was reported" in str(w.message)]
        expected = [b for b in range(1, len(batches) + 1) if b > 5]
        assert counts == [str(b) for b in expected]
        assert ("multiprocessing" in str(caught[0].message)) == (num_workers > 0)
    it = iter(DataLoader(_Range(3)))
    with pytest.raises(TypeError):
        len(it)  # as PyTorch: the iterator's length is its index sampler's (infinite here)
    assert len(iter(DataLoader(_Squares(5), batch_size=2))) == len(
        iter(tdata.DataLoader(list(range(5)), batch_size=2)))


@pytest.mark.skipif(ember.cuda.is_available(), reason="the no-GPU behaviour")
def test_pin_memory_device_is_deprecated_as_in_pytorch():
    loader = DataLoader(_Squares(3), batch_size=2, pin_memory=True, pin_memory_device="cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [b.tolist() for b in loader] == [[0, 1], [4]]
    assert [str(w.message) for w in caught] == [
        "pin_memory_device is deprecated, the current accelerator will be used as the device,"
        "ignore pin_memory_device='cpu'.",
        "'pin_memory' argument is set as true but no accelerator is found, then device pinned "
        "memory won't be used."]


def test_distributed_sampler_without_group_raises_like_pytorch(torch):
    tdist = pytest.importorskip("torch.utils.data.distributed")
    with pytest.raises(ValueError) as e_theirs:
        tdist.DistributedSampler(range(4))
    with pytest.raises(ValueError) as e_ours:
        DistributedSampler(range(4))
    assert str(e_ours.value) == str(e_theirs.value)
