"""Data-pipeline programs (session 25, lane H): whole programs written against
torch.utils.data run with torch and with Ember (the imports rewritten), their printed output
compared, and the differences they found pinned as oracle checks."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import pytest

import ember
import ember.utils.data as ED

torch = pytest.importorskip("torch")
import torch.utils.data as TD  # noqa: E402

_FORK = {"multiprocessing_context": "fork"}  # local datasets reach the workers by fork


def printed(code: str) -> str:
    """What ``code`` prints when run as a script (warnings silenced)."""
    buf = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(buf):
        warnings.simplefilter("ignore")
        exec(compile(code, "<program>", "exec"), {"__name__": "__main__"})
    return buf.getvalue()


def check_program(code: str) -> None:
    """The program prints the same with Ember as with PyTorch ("torch" read as "ember")."""
    expected = printed(code).replace("torch", "ember")
    got = printed(re.sub(r"\btorch\b", "ember", code.replace("torchvision", "ember.vision")))
    assert got == expected, (got, expected)


# ------------------------------------------------ a worker collating tensors that need grad
def _grad_batches(lib, D, nw, grad=True):
    x = lib.arange(6.).view(3, 2).requires_grad_()
    ds = D.TensorDataset(x, lib.tensor([0, 1, 0]))
    try:
        with lib.set_grad_enabled(grad):
            out = [(xb.tolist(), xb.requires_grad, type(xb.grad_fn).__name__, yb.tolist())
                   for xb, yb in D.DataLoader(ds, batch_size=2, num_workers=nw, **(
                       _FORK if nw else {}))]
        return "ok", out
    except RuntimeError as e:
        return type(e).__name__, str(e).strip().splitlines()[0], str(e).strip().splitlines()[-1]


@pytest.mark.parametrize("nw", [0, 1])
def test_worker_refuses_to_collate_tensors_that_require_grad(nw):
    # a worker stacks the batch into shared memory with out=, which autograd refuses: the
    # worker's RuntimeError reaches the main process (the main process stacks with grad)
    assert _grad_batches(ember, ED, nw) == _grad_batches(torch, TD, nw)


def test_forked_worker_under_no_grad_collates_tensors_that_require_grad():
    # a worker forked under no_grad keeps it: its samples need no grad, the stack succeeds
    assert _grad_batches(ember, ED, 1, grad=False) == _grad_batches(torch, TD, 1, grad=False)


# ------------------------------------------------------------------------- whole programs
_PROGRAMS = {
    "map_style_shuffle_two_epochs": '''
import torch
from torch.utils.data import Dataset, DataLoader

class Squares(Dataset):
    def __len__(self):
        return 10
    def __getitem__(self, i):
        return torch.tensor([float(i)]), i * i

torch.manual_seed(0)
dl = DataLoader(Squares(), batch_size=3, shuffle=True)
print(len(dl))
for epoch in range(2):
    for x, y in dl:
        print(epoch, x.squeeze(1), y, y.dtype, x.dtype)
dl2 = DataLoader(Squares(), batch_size=4, drop_last=True)
print(len(dl2), [b[1].tolist() for b in dl2], type(dl2.sampler).__name__)
print(torch.rand(2))
''',
    "iterable_sharded_workers": '''
import math
import torch
from torch.utils.data import IterableDataset, DataLoader, get_worker_info

class Range(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(3, 7))
        per = int(math.ceil(4 / float(info.num_workers)))
        s = 3 + info.id * per
        return iter(range(s, min(s + per, 7)))

print(list(DataLoader(Range(), num_workers=0)))
print(list(DataLoader(Range(), num_workers=2, multiprocessing_context="fork")))
print(list(DataLoader(Range(), num_workers=2, batch_size=2, multiprocessing_context="fork")))
try:
    len(DataLoader(Range()))
except TypeError as e:
    print(type(e).__name__, e)
''',
    "samplers": '''
import torch
from torch.utils.data import (RandomSampler, SequentialSampler, SubsetRandomSampler,
                              WeightedRandomSampler, BatchSampler)
data = list(range(10))
g = torch.Generator().manual_seed(42)
print(list(RandomSampler(data, generator=g)))
print(list(RandomSampler(data, replacement=True, num_samples=15, generator=g)))
print(list(RandomSampler(data, num_samples=13, generator=g)))
print(list(SubsetRandomSampler([1, 3, 5, 7], generator=g)))
print(list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, generator=g)))
print(list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=False, generator=g)))
print(list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True)))
torch.manual_seed(0)
print(list(RandomSampler(data)), list(WeightedRandomSampler(torch.tensor([1., 2., 3.]), 4)))
for bad in [lambda: RandomSampler(data, num_samples=0), lambda: BatchSampler(range(3), 2, 0),
            lambda: list(WeightedRandomSampler([1., 2.], 3, replacement=False))]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
''',
    "distributed_sampler_without_process_group": '''
import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler
ds = TensorDataset(torch.arange(11))
for shuffle in (False, True):
    for drop_last in (False, True):
        for rank in (0, 1):
            s = DistributedSampler(ds, num_replicas=2, rank=rank, shuffle=shuffle,
                                   drop_last=drop_last, seed=3)
            out = []
            for epoch in range(2):
                s.set_epoch(epoch)
                out.append(list(s))
            print(shuffle, drop_last, rank, len(s), s.total_size, out)
s = DistributedSampler(list(range(3)), num_replicas=4, rank=3, shuffle=True)
print(list(s), len(s))
try:
    DistributedSampler(ds, num_replicas=2, rank=2)
except ValueError as e:
    print(type(e).__name__, e)
''',
    "datasets_and_splits": '''
import torch
from torch.utils.data import (ConcatDataset, StackDataset, TensorDataset, Subset,
                              random_split, DataLoader)
a = TensorDataset(torch.arange(3), torch.arange(3) * 10)
b = TensorDataset(torch.arange(3, 7), torch.arange(3, 7) * 10)
c = ConcatDataset([a, b])
print(len(c), c[4], c[-1], c.cumulative_sizes, list(DataLoader(c, batch_size=4)))
sd = StackDataset(x=torch.arange(3), y=["a", "b", "c"])
print(sd[2], list(DataLoader(sd, batch_size=2)))
print(list(DataLoader(Subset(c, [5, 0, 2]), batch_size=2)))
for n, fr in [(10, [0.3, 0.3, 0.4]), (3, [0.1, 0.1, 0.8]), (11, [0.25] * 4)]:
    parts = random_split(range(n), fr, generator=torch.Generator().manual_seed(0))
    print([list(p) for p in parts])
try:
    random_split(range(10), [0.5, 0.6])
except ValueError as e:
    print(type(e).__name__, e)
''',
    "infinite_and_multi_epoch_loaders": '''
import torch
from torch.utils.data import DataLoader, TensorDataset

class _RepeatSampler:
    def __init__(self, sampler):
        self.sampler = sampler
    def __iter__(self):
        while True:
            yield from iter(self.sampler)

class MultiEpochsDataLoader(DataLoader):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._DataLoader__initialized = False
        self.batch_sampler = _RepeatSampler(self.batch_sampler)
        self._DataLoader__initialized = True
        self.iterator = super().__iter__()
    def __len__(self):
        return len(self.batch_sampler.sampler)
    def __iter__(self):
        for _ in range(len(self)):
            yield next(self.iterator)

torch.manual_seed(0)
dl = MultiEpochsDataLoader(TensorDataset(torch.arange(7)), batch_size=3, shuffle=True)
print(len(dl), [[b[0].tolist() for b in dl] for _ in range(2)])
try:
    DataLoader(TensorDataset(torch.arange(3))).batch_size = 3
except ValueError as e:
    print(type(e).__name__, e)
''',
    "padding_collate": '''
import torch
from torch.utils.data import Dataset, DataLoader

class Seqs(Dataset):
    def __init__(self):
        torch.manual_seed(0)
        self.data = [torch.randint(1, 10, (n,)) for n in [3, 5, 2, 4, 1]]
    def __len__(self):
        return len(self.data)
    def __getitem__(self, i):
        return self.data[i], i % 2

def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        padded[i, :len(s)] = s
    return padded, lengths, torch.tensor(labels)

dl = DataLoader(Seqs(), batch_size=2, shuffle=True, collate_fn=collate,
                generator=torch.Generator().manual_seed(1))
for epoch in range(2):
    for p, l, y in dl:
        mask = torch.arange(p.size(1)) < l.unsqueeze(1)
        print(epoch, p.tolist(), l.tolist(), y, f"{(p * mask).float().sum(1).div(l).mean():.4f}")
try:
    next(iter(DataLoader(Seqs(), batch_size=2)))
except RuntimeError as e:
    print(type(e).__name__, e)
''',
}


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_program_prints_as_with_torch(name):
    check_program(_PROGRAMS[name])
