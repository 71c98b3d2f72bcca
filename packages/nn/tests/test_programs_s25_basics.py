"""Session 25, lane A: PyTorch's "Learn the Basics" series and "What is torch.nn really?" run as
whole programs. Each program text is written against PyTorch; it runs as written and again
with ``torchvision`` -> ``ember.vision`` and ``torch`` -> ``ember`` rewritten, and what the two
printed must be the same text (object addresses aside)."""

from __future__ import annotations

import re

import pytest
from _programs import same_printed

import ember  # noqa: F401

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")
pytest.importorskip("ember.optim")


def _same_output(src: str) -> None:
    """The program prints the same under PyTorch and, rewritten, under Ember."""
    same_printed(src)


_AUTOGRAD_TUTORIAL = r"""
import torch
x = torch.ones(5)
y = torch.zeros(3)
torch.manual_seed(0)
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
z = torch.matmul(x, w)+b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
print(f"Gradient function for z = {z.grad_fn}")
print(f"Gradient function for loss = {loss.grad_fn}")
loss.backward()
print(w.grad)
print(b.grad)
z = torch.matmul(x, w)+b
print(z.requires_grad)
with torch.no_grad():
    z = torch.matmul(x, w)+b
print(z.requires_grad)
z = torch.matmul(x, w)+b
z_det = z.detach()
print(z_det.requires_grad)
inp = torch.eye(4, 5, requires_grad=True)
out = (inp+1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"First call\n{inp.grad}")
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nSecond call\n{inp.grad}")
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
print(f"\nCall after zeroing gradients\n{inp.grad}")
a = torch.tensor([2., 3.], requires_grad=True)
c = a * a
c.sum().backward()
try:
    c.sum().backward()
except RuntimeError as e:
    print(type(e).__name__, e)
try:
    w.grad.requires_grad_(False); torch.ones(2).backward()
except RuntimeError as e:
    print(type(e).__name__, e)
q = a ** 3
try:
    q.backward()
except RuntimeError as e:
    print(type(e).__name__, e)
print(z.grad_fn.next_functions)
print(loss)
print(z)
print(a.grad, a.is_leaf, c.is_leaf)
print(c.grad)
"""


_NN_REALLY_MANUAL = r"""
import torch, math
torch.manual_seed(0)
x_train = torch.rand(200, 784)
y_train = torch.randint(0, 10, (200,))
x_valid = torch.rand(100, 784)
y_valid = torch.randint(0, 10, (100,))
n, c = x_train.shape
print(x_train, y_train)
print(x_train.shape)
print(y_train.min(), y_train.max())
weights = torch.randn(784, 10) / math.sqrt(784)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)
def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)
def model(xb):
    return log_softmax(xb @ weights + bias)
bs = 64
xb = x_train[0:bs]
preds = model(xb)
print(preds[0], preds.shape)
def nll(input, target):
    return -input[range(target.shape[0]), target].mean()
loss_func = nll
yb = y_train[0:bs]
print(loss_func(preds, yb))
def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()
print(accuracy(preds, yb))
lr = 0.5
epochs = 2
for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
print(loss_func(model(xb), yb), accuracy(model(xb), yb))
import torch.nn.functional as F
loss_func = F.cross_entropy
def model(xb):
    return xb @ weights + bias
print(loss_func(model(xb), yb), accuracy(model(xb), yb))
print(weights.grad_fn, weights.is_leaf, preds.grad_fn)
"""


_DATA_UTILITIES = r"""
import torch
from torch.utils.data import (Dataset, IterableDataset, DataLoader, ConcatDataset, TensorDataset, Subset,
    random_split, SequentialSampler, RandomSampler, BatchSampler, WeightedRandomSampler, SubsetRandomSampler)
td = TensorDataset(torch.arange(5.), torch.arange(5))
cd = td + td
print(type(cd).__name__, len(cd), cd[7], cd.cumulative_sizes)
cd2 = ConcatDataset([td, Subset(td, [0, 1])])
print(len(cd2), cd2[-1])
print(list(SequentialSampler(td)))
print(list(RandomSampler(td, generator=torch.Generator().manual_seed(0))))
print(list(RandomSampler(td, replacement=True, num_samples=8, generator=torch.Generator().manual_seed(0))))
print(list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)))
print(list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True)))
print(list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7], 6, generator=torch.Generator().manual_seed(1))))
print(list(SubsetRandomSampler([5, 6, 7, 8], generator=torch.Generator().manual_seed(2))))
class It(IterableDataset):
    def __init__(self, n): self.n = n
    def __iter__(self): return iter(range(self.n))
for b in DataLoader(It(7), batch_size=3):
    print(b)
dl = DataLoader(td, batch_size=2, sampler=SequentialSampler(td))
print([b[1].tolist() for b in dl])
dl = DataLoader(td, batch_sampler=BatchSampler(RandomSampler(td, generator=torch.Generator().manual_seed(3)), 2, False))
print([b[1].tolist() for b in dl], len(dl))
dl = DataLoader(td, batch_size=None)
print(next(iter(dl)))
dl = DataLoader(td, batch_size=2, collate_fn=lambda b: b)
print(next(iter(dl)))
try:
    DataLoader(td, batch_size=2, shuffle=True, sampler=SequentialSampler(td))
except ValueError as e:
    print(type(e).__name__, e)
try:
    random_split(td, [2, 2])
except ValueError as e:
    print(type(e).__name__, e)
try:
    TensorDataset(torch.ones(3), torch.ones(4))
except AssertionError as e:
    print(type(e).__name__, e)
torch.manual_seed(0)
dl = DataLoader(td, batch_size=2, shuffle=True)
print([b[1].tolist() for b in dl])
print([b[1].tolist() for b in dl])
a, b, c = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(42))
print(list(a), list(b), list(c))
a, b = random_split(range(7), [0.5, 0.5], generator=torch.Generator().manual_seed(42))
print(list(a), list(b))
print(dl.batch_size, dl.drop_last, dl.num_workers, type(dl.sampler).__name__, dl.dataset is td)
class D(Dataset):
    def __getitem__(self, i): return {"x": torch.tensor([i, i]), "y": i * 0.5, "name": f"n{i}", "t": (i, [i])}
    def __len__(self): return 4
print(next(iter(DataLoader(D(), batch_size=3))))
"""


_COLLATE_AND_LOADER_ERRORS = r"""
import torch, collections
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, default_collate, default_convert
def tryit(f):
    try:
        r = f(); print("ok", r)
    except Exception as e:
        print(type(e).__name__, e)
P = collections.namedtuple("P", ["x", "y"])
tryit(lambda: default_collate([P(1, torch.ones(2)), P(2, torch.zeros(2))]))
tryit(lambda: default_collate(["a", "b"]))
tryit(lambda: default_collate([torch.ones(2), torch.ones(3)]))
tryit(lambda: default_collate([[1, 2], [3]]))
tryit(lambda: default_collate([[1, 2], [3, 4]]))
tryit(lambda: default_collate([object(), object()]) and None)
tryit(lambda: default_collate([None, None]))
tryit(lambda: default_collate([1, 2.5]))
tryit(lambda: default_collate([{"a": 1}, {"a": 2.0}]))
tryit(lambda: default_collate([torch.tensor(1.), torch.tensor(2)]))
tryit(lambda: default_convert([1, 2]))
tryit(lambda: default_collate([]))
class It(IterableDataset):
    def __iter__(self): return iter(range(5))
tryit(lambda: len(DataLoader(It(), batch_size=2)))
tryit(lambda: DataLoader(It(), shuffle=True))
tryit(lambda: DataLoader(TensorDataset(torch.ones(4)), batch_size=0))
tryit(lambda: DataLoader(TensorDataset(torch.ones(4)), batch_size=2, num_workers=-1))
tryit(lambda: DataLoader(TensorDataset(torch.ones(4)), batch_size=2, persistent_workers=True))
tryit(lambda: DataLoader(TensorDataset(torch.ones(4)), batch_size=None, drop_last=True))
tryit(lambda: list(DataLoader(TensorDataset(torch.arange(5)), batch_size=2, pin_memory=False)))
tryit(lambda: TensorDataset(torch.arange(5))[1])
tryit(lambda: TensorDataset(torch.arange(5))[10])
dl = DataLoader(TensorDataset(torch.arange(5)), batch_size=2)
it = iter(dl)
print(next(it), next(it), next(it))
tryit(lambda: next(it))
tryit(lambda: len(it))
class NoLen(Dataset):
    def __getitem__(self, i): return i
tryit(lambda: len(NoLen()))
tryit(lambda: DataLoader(NoLen(), batch_size=2, shuffle=True))
tryit(lambda: list(DataLoader([1, 2, 3, 4, 5], batch_size=2)))
tryit(lambda: list(DataLoader([(1, "a"), (2, "b"), (3, "c")], batch_size=2)))
tryit(lambda: list(DataLoader(torch.arange(6).view(3, 2), batch_size=2)))
tryit(lambda: list(DataLoader({"a": 1}, batch_size=2)))
tryit(lambda: torch.utils.data.get_worker_info())
"""


_TRANSFORMS_AND_FAKEDATA = r"""
import torch
import numpy as np
from PIL import Image
from torchvision import transforms, datasets
from torchvision.transforms import ToTensor, Lambda, Compose, Normalize
torch.manual_seed(0)
rgb = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
t = ToTensor()(rgb)
print(t.shape, t.dtype, t[:, 0, 0])
tf = Compose([ToTensor(), Normalize((0.5,), (0.5,))])
print(tf)
g = Image.fromarray(np.full((3, 3), 255, dtype=np.uint8))
print(tf(g))
print(transforms.PILToTensor()(rgb).dtype, transforms.PILToTensor()(rgb)[:, 0, 1])
print(transforms.Resize((2, 2))(rgb).size)
print(transforms.CenterCrop(2)(t).shape)
print(transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]))
fd = datasets.FakeData(size=4, image_size=(3, 8, 8), num_classes=3, transform=Compose([ToTensor(), Normalize([0.5]*3, [0.5]*3)]))
x, y = fd[1]
print(x.shape, y, x.mean())
fd2 = datasets.FakeData(size=3, image_size=(3, 4, 4), num_classes=5)
img, lbl = fd2[0]
print(type(img).__name__, img.size, img.mode, lbl)
print([fd2[i][1] for i in range(3)])
print(fd2)
oh = Lambda(lambda y: torch.zeros(5, dtype=torch.float).scatter_(0, torch.tensor(y), value=1))
print(oh(3), oh(torch.tensor(1)))
print(torch.zeros(3, 5).scatter_(1, torch.tensor([[1], [0], [4]]), 1.0))
print(torch.nn.functional.one_hot(torch.tensor([0, 2, 1]), num_classes=4))
print(torch.nn.functional.one_hot(torch.tensor([0, 2, 1])).dtype)
try:
    torch.zeros(5).scatter_(0, torch.tensor(7), value=1)
except RuntimeError as e:
    print(type(e).__name__, e)
try:
    ToTensor()(torch.ones(2))
except TypeError as e:
    print(type(e).__name__, e)
"""


@pytest.mark.parametrize("src", [_AUTOGRAD_TUTORIAL, _NN_REALLY_MANUAL, _DATA_UTILITIES,
                                 _COLLATE_AND_LOADER_ERRORS],
                         ids=["autograd", "nn_really_manual", "data_utilities", "collate"])
def test_program_prints_like_pytorch(src: str) -> None:
    _same_output(src)


def test_transforms_program_prints_like_pytorch() -> None:
    pytest.importorskip("torchvision")
    pytest.importorskip("ember.vision")
    pytest.importorskip("PIL")
    _same_output(_TRANSFORMS_AND_FAKEDATA)


@pytest.mark.parametrize("name", ["MNIST", "FashionMNIST", "KMNIST"])
def test_missing_mnist_message_is_pytorchs(tmp_path, name: str) -> None:
    """The Data tutorial's FashionMNIST without download=True: PyTorch's exact message (Ember
    used to add the raw folder's path, so a printed error differed)."""
    tv = pytest.importorskip("torchvision.datasets")
    ev = pytest.importorskip("ember.vision.datasets")
    with pytest.raises(RuntimeError) as want:
        getattr(tv, name)(tmp_path / "t", train=True, download=False)
    with pytest.raises(RuntimeError) as got:
        getattr(ev, name)(tmp_path / "e", train=True, download=False)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("meth", ["parameters", "named_parameters", "buffers", "named_buffers",
                                  "children", "named_children", "modules", "named_modules"])
def test_module_generator_reprs_are_pytorchs(meth: str) -> None:
    """``print(model.named_parameters())`` shows ``<generator object Module.named_parameters
    at 0x...>`` (Ember's showed ``Module._named_members``)."""
    got, want = (repr(getattr(lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2)),
                              meth)()) for lib in (ember, torch))
    assert re.sub(" at 0x[0-9a-f]+", "", got) == re.sub(" at 0x[0-9a-f]+", "", want)
