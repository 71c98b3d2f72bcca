"""View semantics against PyTorch: shared memory, shared version counters, strides and
offsets, PyTorch's refusals, and in-place writes through views rebasing the base's graph."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from _shape_helpers import arr, check, check_error

import ember
from ember.testing import assert_close

VIEWS = [
    ("view", lambda t: t.view(4, 6)),
    ("view_as", lambda t: t.view_as(t.new_zeros(2, 12))),
    ("reshape", lambda t: t.reshape(6, 4)),
    ("flatten", lambda t: t.flatten(1)),
    ("unflatten", lambda t: t.unflatten(2, (2, 2))),
    ("squeeze", lambda t: t[:, :1].squeeze(1)),
    ("unsqueeze", lambda t: t.unsqueeze(1)),
    ("transpose", lambda t: t.transpose(0, 2)),
    ("permute", lambda t: t.permute(1, 2, 0)),
    ("movedim", lambda t: t.movedim(0, -1)),
    ("mT", lambda t: t.mT),
    ("t", lambda t: t[0].t()),
    ("narrow", lambda t: t.narrow(1, 1, 2)),
    ("select", lambda t: t.select(2, 3)),
    ("slice", lambda t: t[1:, ::2, 1:3]),
    ("int_index", lambda t: t[1, 2]),
    ("none_ellipsis", lambda t: t[None, ..., 1]),
    ("diagonal", lambda t: t.diagonal(1, 1, 2)),
    ("diagonal_neg", lambda t: t[0].diagonal(-1)),
    ("unfold", lambda t: t.unfold(2, 2, 2)),
    ("as_strided", lambda t: t.as_strided((3, 2), (4, 1), 2)),
    ("split", lambda t: t.split(1, 1)[1]),
    ("chunk", lambda t: t.chunk(2, 2)[1]),
    ("unbind", lambda t: t.unbind(1)[2]),
    ("tensor_split", lambda t: t.tensor_split([1, 3], 2)[1]),
    ("chained", lambda t: t.transpose(0, 1)[1:].narrow(2, 1, 1).squeeze(-1)),
    ("detach", lambda t: t.detach()),
]


def _pair():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    return ember.tensor(a), __import__("torch").tensor(a)


@pytest.mark.parametrize("case", VIEWS, ids=[c[0] for c in VIEWS])
def test_view_shares_memory_and_version(case, torch):
    f = case[1]
    e, t = _pair()
    ve, vt = f(e), f(t)
    assert ve.shape == vt.shape
    # layout
    assert ve.stride() == vt.stride(), (ve.stride(), vt.stride())
    assert ve.storage_offset() == vt.storage_offset()
    assert ve.is_contiguous() == vt.is_contiguous()
    # a write through the view reaches the base, and both versions move together
    v0 = e._version
    ve.mul_(-1.0)
    vt.mul_(-1.0)
    assert_close(e, t)
    assert e._version == ve._version == v0 + 1
    assert t._version == vt._version
    # a write into the base shows in the view
    e[...] = 3.0
    t[...] = 3.0
    e.add_(ember.arange(24.0).reshape(2, 3, 4))
    t.add_(torch.arange(24.0).reshape(2, 3, 4))
    assert_close(ve, vt)
    assert ve._version == e._version


def test_expanded_layout_and_readonly(torch):
    e, t = ember.zeros(3, 1), torch.zeros(3, 1)
    ve, vt = e.expand(2, 3, 4), t.expand(2, 3, 4)
    assert ve.stride() == vt.stride() and ve.is_contiguous() == vt.is_contiguous()
    e.add_(1.0)
    t.add_(1.0)
    assert_close(ve, vt)
    for f in (lambda v: v.add_(1), lambda v: v.__setitem__((slice(None), 0), 1.0),
              lambda v: v.copy_(v.new_ones(2, 3, 4))):
        check_error(lambda f=f: f(e.expand(2, 3, 4)), lambda f=f: f(t.expand(2, 3, 4)))


def test_base_attribute(torch):
    e = ember.zeros(3, 4)
    assert e[0]._base is e and e.t()._base is e and e[0].t()._base is e
    assert e.view(12)._base is e and e.diagonal()._base is e
    assert e.reshape(12)._base is e and e.t().reshape(12)._base is None
    assert e.flip(0)._base is None and e[[0, 1]]._base is None


def test_view_of_noncontiguous_raises_and_reshape_copies(torch):
    x = arr(3, 4)
    check_error(lambda: ember.tensor(x).t().view(12), lambda: torch.tensor(x).t().view(12))
    check_error(lambda: ember.tensor(x).t().view(2, 6), lambda: torch.tensor(x).t().view(2, 6))
    e = ember.tensor(x).t()
    r = e.reshape(12)
    assert r._base is None and r.is_contiguous()
    r[0] = 100.0
    assert e[0, 0].item() != 100.0
    assert_close(ember.tensor(x).t().reshape(2, 6), torch.tensor(x).t().reshape(2, 6))
    # a view that keeps a transposed layout is fine
    assert_close(ember.tensor(x).t().view(4, 3), torch.tensor(x).t().view(4, 3))
    assert ember.tensor(x)[:, :2].view(3, 2, 1).shape == (3, 2, 1)


def test_version_counter_shared_with_detach_and_data():
    x = ember.zeros(3)
    d = x.detach()
    d.add_(1.0)
    assert x._version == d._version == 1
    x.data[0] = 2.0  # .data has its own counter (as PyTorch): autograd does not see this write
    assert x._version == 1 and x[0].item() == 2.0


# ------------------------------------------------------------------ autograd through views
def _inplace_cases():
    def mul_col(m, x):
        y = x * 1
        y[:, 0].mul_(2)
        return y.sum()

    def flat_set(m, x):
        y = x.clone()
        v = y.view(-1)
        v[2] = 0
        return (y * y).sum()

    def copy_value(m, x, w):
        y = x * 2
        y.narrow(1, 1, 2).copy_(w)
        return y

    def set_value_through_transpose(m, x, w):
        y = x + 0
        y.t()[0] = w[0]
        return y * 3

    def chained(m, x, w):
        y = x * 1
        v = y[1:].transpose(0, 1)
        v[0].mul_(w[0, 0])
        return y

    def diag_mul(m, x):
        y = x * 1
        y.diagonal().mul_(3)
        return y

    def unfold_write(m, x):
        y = x.clone()
        y.unfold(1, 2, 2).mul_(-2)
        return y

    def view_then_base(m, x):
        y = x * 1
        v = y[0]
        y.mul_(2)  # an in-place op on the base: the view's history follows
        return v * 3

    def view_used_after(m, x, w):
        y = x * 1
        v = y[:, 1]
        v.add_(w[0, :3])
        return y.sum() + (v * v).sum()

    def augmented_assign(m, x, w):
        y = x * 1
        y[0] += w[0]
        y[:, 1] *= 2
        y[m.tensor([1, 2])] += 1
        h = y[2]
        y.mul_(3)  # h follows its base's new history
        return (y * h).sum() + h.sum()

    def double_inplace(m, x):
        y = x * 1
        y[0] = y[1] * 2
        y[1:] = y[:-1].clone()
        return y

    return [("mul_col", mul_col, [arr(3, 4)]), ("flat_set", flat_set, [arr(3, 4)]),
            ("copy_value", copy_value, [arr(3, 4), arr(3, 2)]),
            ("set_through_transpose", set_value_through_transpose, [arr(3, 4), arr(4, 3)]),
            ("chained", chained, [arr(3, 4), arr(2, 2)]), ("diag_mul", diag_mul, [arr(3, 4)]),
            ("unfold_write", unfold_write, [arr(3, 4)]),
            ("view_then_base", view_then_base, [arr(3, 4)]),
            ("view_used_after", view_used_after, [arr(3, 4), arr(3, 4)]),
            ("augmented_assign", augmented_assign, [arr(3, 4), arr(3, 4)]),
            ("double_inplace", double_inplace, [arr(3, 4)])]


INPLACE = _inplace_cases()


@pytest.mark.parametrize("case", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_through_view_of_nonleaf(case, torch):
    _, f, inputs = case
    check(functools.partial(f, ember), functools.partial(f, torch), *inputs, torch=torch)


def test_inplace_through_view_grad_fn(torch):
    x = ember.ones(2, 3, requires_grad=True)
    y = x * 1
    y[:, 0].mul_(2)
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    v = y.view(6)
    v.add_(1)
    assert y.grad_fn.name() == "torch::autograd::CopySlices"


LEAF_ERRORS = [
    lambda m, x: x[0].mul_(2),
    lambda m, x: x.view(-1).add_(1),
    lambda m, x: x.t().__setitem__(0, 1.0),
    lambda m, x: x.__setitem__(0, 1.0),
    lambda m, x: x.diagonal().mul_(0),
    lambda m, x: x.mul_(2),
    lambda m, x: (x * 1).split(1)[0].mul_(2),
    lambda m, x: (x * 1).unbind()[0].mul_(2),
    lambda m, x: (x * 1).split([1, 2])[1].mul_(2),
    lambda m, x: (x * 1).chunk(3)[2].add_(1),
]


@pytest.mark.parametrize("i", range(len(LEAF_ERRORS)))
def test_inplace_on_leaf_views_raises(i, torch):
    f = LEAF_ERRORS[i]
    x = arr(3, 3)
    check_error(lambda: f(ember, ember.tensor(x, requires_grad=True)),
                lambda: f(torch, torch.tensor(x, requires_grad=True)))


def test_leaf_views_writable_without_grad(torch):
    x = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        x[0] = 5.0
        x.split(1)[1].mul_(3)
    assert x.tolist() == [5.0, 3.0, 1.0] and x.grad_fn is None
    y = ember.ones(4)
    y.split(2)[0].mul_(2)  # nothing requires grad: multi-output views are writable
    assert y.tolist() == [2.0, 2.0, 1.0, 1.0]


def test_saved_tensor_modified_through_view_raises(torch):
    def f(m, x):
        y = x * 1
        z = y * y
        y[0] = 1.0
        z.sum().backward()

    x = arr(3)
    with pytest.raises(RuntimeError):
        f(torch, torch.tensor(x, requires_grad=True))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        f(ember, ember.tensor(x, requires_grad=True))


def test_tril_inplace_and_setitem_on_view_keep_aliasing(torch):
    e = ember.tensor(arr(3, 3))
    v = e[1:]
    v.tril_()
    t = torch.tensor(arr(3, 3))
    t[1:].tril_()
    assert_close(e, t)
    w = e.t()
    w[ember.tensor([0, 2])] = 9.0
    tw = t.t()
    tw[torch.tensor([0, 2])] = 9.0
    assert_close(e, t)


def test_inplace_view_ops(torch):
    def f(m, x):
        y = x * 1
        y.unsqueeze_(0)
        y.t_()
        y.transpose_(0, 1)
        v = y[0]
        v.squeeze_()
        v.mul_(2)  # still a view of y after squeeze_
        return y

    check(functools.partial(f, ember), functools.partial(f, torch), arr(3), torch=torch)
    z = ember.zeros(2, 3)
    assert z.t_() is z and z.shape == (3, 2) and z.stride() == (1, 3)
    check_error(lambda: ember.ones(3, requires_grad=True).unsqueeze_(0),
                lambda: torch.ones(3, requires_grad=True).unsqueeze_(0))


@pytest.mark.parametrize("src,dst", [("float32", "int32"), ("float32", "float64"),
                                     ("float32", "int16"), ("bool", "uint8"),
                                     ("int64", "float32"), ("float32", "float32")])
def test_view_as_another_dtype(torch, src, dst):
    """``view(dtype)`` reads the same bytes: shares memory, rescales the last dim, and is not
    differentiable; PyTorch's errors for a non-contiguous or indivisible last dim."""
    a = (np.arange(24).reshape(3, 8) % 5 - 2).astype(src)
    e, t = ember.tensor(a), torch.tensor(a)
    ev, tv = e.view(getattr(ember, dst)), t.view(getattr(torch, dst))
    assert_close(ev, tv)
    ev.view(-1)[0] = 1
    tv.view(-1)[0] = 1
    assert_close(e, t)
    if src.startswith("float"):
        x = ember.tensor(a, requires_grad=True)
        y = (x * 1).view(getattr(ember, dst))
        assert not y.requires_grad and y.grad_fn is None
    assert_close(e.view(np.int64(-1)), t.view(np.int64(-1)))  # a NumPy integer is a size
    for bad in (lambda m, x: m.zeros(4, 4).t().view(m.float64),
                lambda m, x: x[:, :3].view(m.float64),
                lambda m, x: x[0, 0].view(m.float64)):
        msgs = []
        for m, x in ((ember, ember.zeros(3, 4)), (torch, torch.zeros(3, 4))):
            with pytest.raises(RuntimeError) as info:
                bad(m, x)
            msgs.append(str(info.value))
        assert msgs[0] == msgs[1]


def test_as_strided_over_fortran_ordered_memory(torch):
    """A tensor over a Fortran-ordered NumPy array: as_strided reads and writes its memory."""
    a = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    b = a.copy(order="F")
    e = ember.from_numpy(a).as_strided((2, 2), (1, 3), 1)
    t = torch.from_numpy(b).as_strided((2, 2), (1, 3), 1)
    assert_close(e, t)
    e.mul_(10)
    t.mul_(10)
    np.testing.assert_array_equal(a, b)
