"""Views, strides and in-place semantics in whole programs, checked against PyTorch (session
25, lane W): ``retain_grad`` across in-place ops, ``resize_``'s ``memory_format``, storage
``is_shared``, casts of ambiguous channels-last layouts, and whole programs printing views."""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

import pytest

import ember

torch = pytest.importorskip("torch")


def _printed(lib: Any, code: str) -> str:
    """What ``code`` prints with ``torch`` bound to ``lib`` (an error: its type and text),
    written with ``ember`` for ``torch`` and with object addresses blanked."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            exec(code, {"torch": lib})
        except Exception as e:  # noqa: BLE001 - the error is part of the output compared
            print("raised", type(e).__name__, e)
    return re.sub(r"0x[0-9a-f]+", "0x", buf.getvalue().replace("torch", "ember"))


def same_output(code: str) -> None:
    assert _printed(ember, code) == _printed(torch, code)


# --- retain_grad follows the tensor onto the node an in-place op gives it -----------------

RETAIN = [
    # a view written in place: base and view both keep retaining (CopySlices / AsStrided)
    """
x = torch.arange(12., requires_grad=True).view(3, 4)
y = x * 2
y.retain_grad()
v = y[:, 1]
v.retain_grad()
v.mul_(3)
print(y.retains_grad, v.retains_grad)
y.sum().backward()
print(y.grad, v.grad, x.grad)
""",
    # a plain in-place op: the retained gradient is the new value's, hooks stay behind
    """
a = torch.tensor([1., 2., 3.], requires_grad=True)
b = a + 1
b.retain_grad()
b.register_hook(lambda g: print("hook", g))
b.mul_(2)
b.register_hook(lambda g: print("hook2", g))
b.pow_(2)
print(b.retains_grad, type(b.grad_fn).__name__)
b.sum().backward()
print(b.grad)
""",
    # the base changed in place: the view's regenerated node retains
    """
x = torch.tensor([1., 2., 3., 4.], requires_grad=True)
y = x * 2
v = y[:2]
v.retain_grad()
y.mul_(3)
(v * 5).sum().backward()
print(v.grad, v.retains_grad, x.grad)
""",
    # several in-place ops in a row, and a slice of it written
    """
a = torch.tensor([0.5, -1., 2.], requires_grad=True)
e = a.clone()
e.retain_grad()
e.add_(1); e.mul_(2)
e[1:].mul_(2)
(e * e).sum().backward()
print(e.grad, a.grad)
""",
    # restriding in-place view ops keep the hook where it was (PyTorch's grad keeps the shape)
    """
a = torch.tensor([1., 2., 3.], requires_grad=True)
c = a * 1
c.retain_grad()
c.unsqueeze_(0)
c.t_()
c.sum().backward()
print(c.grad, type(c.grad_fn).__name__)
""",
]


@pytest.mark.parametrize("code", RETAIN)
def test_retain_grad_moves_with_inplace_ops(code: str) -> None:
    same_output(code)


# --- resize_ with a memory format --------------------------------------------------------

@pytest.mark.parametrize("size, fmt", [
    ((2, 3, 4, 4), "channels_last"), ((2, 3, 2, 2), "channels_last"),
    ((2, 3, 4, 4), "contiguous_format"), ((2, 3, 4), "channels_last"),
    ((2, 3, 4, 4), "preserve_format"), ((1, 2, 2, 2, 2), "channels_last_3d"),
    ((2, 3, 4, 4), None), ((3, 2, 5, 5), "channels_last")])
def test_resize_with_memory_format(size: tuple, fmt: str | None) -> None:
    def run(lib: Any) -> Any:
        x = lib.arange(96.).view(2, 3, 4, 4).to(memory_format=lib.channels_last)
        try:
            x.resize_(*size, memory_format=None if fmt is None else getattr(lib, fmt))
        except RuntimeError as e:
            return str(e)
        n = min(x.numel(), 96)
        return tuple(x.shape), x.stride(), x._version, x.flatten()[:n].tolist()[:12]

    assert run(ember) == run(torch)


def test_resize_as_passes_its_memory_format() -> None:
    def run(lib: Any) -> tuple:
        y = lib.zeros(6)
        t = lib.zeros(2, 3, 2, 2)
        return (y.resize_as_(t, memory_format=lib.channels_last).stride(),
                lib.zeros(5).resize_as_(t).stride())

    assert run(ember) == run(torch)


# --- storages --------------------------------------------------------------------------

def test_storage_is_shared_and_pinned() -> None:
    same_output("""
x = torch.zeros(3)
print(x.untyped_storage().is_shared(), x.untyped_storage().is_pinned(), x.storage().is_shared())
x.share_memory_()
s = x.untyped_storage()
print(x.is_shared(), s.is_shared(), x.storage().is_shared(), x.storage().is_pinned())
y = torch.tensor([], dtype=torch.float32)
y.set_(s, 1, (2,), (1,))
y.fill_(9)
print(x, y.untyped_storage().is_shared())
""")


# --- casts keep the strides of size-1 dims (ambiguous channels-last layouts) -------------

@pytest.mark.parametrize("shape", [(2, 3, 1, 1), (2, 1, 4, 4), (1, 3, 1, 1), (3, 1, 2, 1)])
@pytest.mark.parametrize("cast", ["double", "half", "int", "to_f64", "bool"])
def test_cast_keeps_size_one_strides(shape: tuple, cast: str) -> None:
    def run(lib: Any) -> tuple:
        y = lib.zeros(shape).to(memory_format=lib.channels_last)
        r = {"double": y.double, "half": y.half, "int": y.int, "bool": y.bool,
             "to_f64": lambda: y.to(lib.float64)}[cast]()
        return y.stride(), r.stride(), lib.zeros(shape).double().stride()

    assert run(ember) == run(torch)


# --- whole programs --------------------------------------------------------------------

PROGRAMS = [
    # in-place writes through views reach the base; version counters
    """
a = torch.zeros(5)
b = a[1:4]
c = b[::2]
c += 1
print(a, a._version, b._version, c._version)
b.copy_(torch.tensor([7., 8., 9.]))
torch.add(b, 1, out=b)
torch.mul(a[:2], 3, out=a[:2])
a[[0, 4]] = torch.tensor([-1., -2.])
a.index_fill_(0, torch.tensor([2]), 0.5)
a.masked_fill_(a > 5, 5)
print(a, a._version)
v = a.view(5, 1)
v.add_(torch.arange(5.).view(5, 1))
print(a, a._version, v.stride(), v._base is a)
x = torch.zeros(4, 3)
for i, row in enumerate(x):
    row.add_(i)
for i, col in enumerate(x.t()):
    col.mul_(i + 1)
x.t_()
x.unsqueeze_(0)
print(x, x.shape, x.stride(), x._version)
""",
    # refusals: expanded tensors, leaf views, saved tensors changed in place
    """
e = torch.ones(1, 3).expand(2, 3)
for f in (lambda: e.add_(1), lambda: e.__setitem__((0, 0), 2.), lambda: torch.exp(e, out=e)):
    try:
        f()
    except RuntimeError as ex:
        print(type(ex).__name__, ex)
w = torch.ones(3, requires_grad=True)
for f in (lambda: w.__setitem__(0, 2.), lambda: w.add_(1), lambda: w.view(3).mul_(2),
          lambda: w.unbind()[0].zero_()):
    try:
        f()
    except RuntimeError as ex:
        print(type(ex).__name__, ex)
x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
y = x.exp()
z = y * 2
y.add_(1)
try:
    z.sum().backward()
except RuntimeError as ex:
    print(type(ex).__name__, ex)
""",
    # strides and bases of the view ops of a 3-d tensor
    """
x = torch.arange(24.).reshape(2, 3, 4)
for name, v in [("perm", x.permute(2, 0, 1)), ("mT", x.mT), ("narrow", x.narrow(2, 1, 2)),
                ("step", x[:, ::2, 1::2]), ("unf", x.unfold(2, 2, 1)), ("diag", x.diagonal(1, 1, 2)),
                ("unflat", x.unflatten(2, (2, 2))), ("movedim", x.movedim(0, -1)),
                ("exp", x[:, :1].expand(2, 5, 4)), ("as_strided", x.as_strided((3, 3), (1, 2), 1))]:
    print(name, tuple(v.shape), v.stride(), v.is_contiguous(), v.storage_offset(), v._base is x)
    print("  ", v.contiguous().stride(), v.clone().stride(), v.reshape(-1)._base is x,
          torch.empty_like(v).stride(), (v * 2).stride(), v.sum(-1, keepdim=True).stride())
""",
    # channels-last through ops, cat/stack and conversions
    """
x = torch.arange(96.).view(2, 3, 4, 4).to(memory_format=torch.channels_last)
y = torch.zeros(2, 3, 4, 4)
print(x.stride(), x.is_contiguous(), x.is_contiguous(memory_format=torch.channels_last))
print((x + y).stride(), (y + x).stride(), (x + torch.ones(3, 1, 1)).stride(), x.relu().stride())
print(torch.cat([x, x], 1).stride(), torch.cat([x, y]).stride(), torch.stack([x, x]).stride())
print(x.sum(1, keepdim=True).stride(), x.mean((2, 3), keepdim=True).stride(), x.double().stride())
print(x.clone().stride(), x.clone(memory_format=torch.contiguous_format).stride(),
      torch.zeros_like(x).stride(), x.contiguous().stride(), x.flatten(1).stride())
g = torch.zeros(2, 1, 4, 4).to(memory_format=torch.channels_last)
print(g.stride(), g.double().stride(), g.float() is g, g.clone().stride())
""",
]


@pytest.mark.parametrize("code", PROGRAMS)
def test_whole_programs(code: str) -> None:
    same_output(code)


# --- which changed saved view a backward error names -----------------------------------

_BINARY = {"mul": "torch.mul(a, b)", "div": "torch.div(a, b)", "atan2": "torch.atan2(a, b)",
           "maximum": "torch.maximum(a, b)", "minimum": "torch.minimum(a, b)",
           "pow": "torch.pow(a, b)", "xlogy": "torch.xlogy(a, b)", "hypot": "torch.hypot(a, b)",
           "logaddexp": "torch.logaddexp(a, b)", "fmod": "torch.fmod(a, b)",
           "mm": "torch.mm(a.expand(3, 3), b.expand(3, 3))", "sub": "a - b",
           "matmul": "a.mT @ b.mT", "split": "a * b"}


@pytest.mark.parametrize("op", sorted(_BINARY))
def test_backward_error_names_the_saved_view_pytorch_unpacks_first(op: str) -> None:
    same_output(f"""
w = torch.tensor([1., 2., 3.], requires_grad=True) * 1
a, b = w.view(1, 3), w.view(3, 1)
if {op == "split"}:
    a, b = w[:2].split(1)
z = {_BINARY[op]}
w.add_(1)
try:
    z.sum().backward()
    print("ok")
except RuntimeError as e:
    print(e)
""")
