"""Memory formats against PyTorch: strides, is_contiguous, clone/contiguous/to/*_like/empty,
their errors, gradients, and the layout elementwise ops give channels-last inputs."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.testing import assert_close

FORMATS = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


def _layouts(lib):
    """The same tensors built with ember or torch: every kind of stride pattern."""
    cl, cl3 = lib.channels_last, lib.channels_last_3d
    x = lib.arange(120.).reshape(2, 3, 4, 5)
    y = lib.arange(720.).reshape(2, 3, 4, 5, 6)
    return {
        "contiguous": lambda: x,
        "channels_last": lambda: x.contiguous(memory_format=cl),
        "permuted": lambda: x.permute(0, 2, 3, 1),
        "transposed": lambda: x.transpose(2, 3),
        "reversed": lambda: x.permute(3, 2, 1, 0),
        "sliced": lambda: x[:, :, ::2],
        "sliced_cl": lambda: x.contiguous(memory_format=cl)[:, :, 1:3],
        "sliced_cl_channels": lambda: x.contiguous(memory_format=cl)[:, ::2],
        "expanded": lambda: lib.arange(3.).reshape(1, 3, 1, 1).expand(2, 3, 4, 5),
        "expanded_h": lambda: lib.arange(4.).reshape(1, 1, 4, 1).expand(2, 3, 4, 5),
        "empty": lambda: lib.zeros(0, 3, 4, 5),
        "one_channel": lambda: lib.arange(40.).reshape(2, 1, 4, 5),
        "one_channel_cl": lambda: lib.arange(40.).reshape(2, 1, 4, 5).contiguous(memory_format=cl),
        "one_pixel_cl": lambda: lib.arange(6.).reshape(2, 3, 1, 1).contiguous(memory_format=cl),
        "three_d": lambda: lib.arange(60.).reshape(3, 4, 5),
        "five_d": lambda: y,
        "five_d_cl3": lambda: y.contiguous(memory_format=cl3),
        "five_d_permuted": lambda: y.permute(0, 2, 3, 4, 1),
    }


LAYOUTS = list(_layouts(ember))


def _pair(torch, name):
    return _layouts(ember)[name](), _layouts(torch)[name]()


def _same_layout(e, t, values=True):
    assert tuple(e.shape) == tuple(t.shape)
    if t.numel() == 0:  # NumPy keeps no strides for empty arrays: ember's are C order
        return
    assert e.stride() == t.stride(), (e.stride(), t.stride())
    assert e.is_contiguous() == t.is_contiguous()
    if values:
        assert_close(e, t, check_dtype=False)


def _both(fn_e, fn_t):
    """Run both; they must both succeed (returning the results) or raise alike."""
    try:
        t = fn_t()
    except Exception as err:  # noqa: BLE001 - the oracle's exception decides what to expect
        with pytest.raises(type(err)) as info:
            fn_e()
        assert str(info.value) == str(err)
        return None, None
    return fn_e(), t


@pytest.mark.parametrize("name", LAYOUTS)
def test_strides_and_is_contiguous(torch, name):
    e, t = _pair(torch, name)
    assert e.stride() == t.stride()
    for fmt in FORMATS[:3]:
        assert e.is_contiguous(memory_format=getattr(ember, fmt)) == t.is_contiguous(
            memory_format=getattr(torch, fmt)), fmt


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", LAYOUTS)
def test_clone_contiguous_to(torch, name, fmt):
    e, t = _pair(torch, name)
    fe, ft = getattr(ember, fmt), getattr(torch, fmt)
    for op in (lambda x, f: x.clone(memory_format=f),
               lambda x, f: x.contiguous(memory_format=f),
               lambda x, f: x.to(memory_format=f),
               lambda x, f: x.to(x.dtype, memory_format=f, copy=True),
               lambda x, f: x.to(_f64(x), memory_format=f),
               lambda x, f: x.float(memory_format=f)):
        re, rt = _both(lambda op=op: op(e, fe), lambda op=op: op(t, ft))
        if rt is not None:
            _same_layout(re, rt)
            # aliasing as in PyTorch (contiguous/to return the input when nothing changes)
            if t.numel():
                assert (re.data_ptr() == e.data_ptr()) == (rt.data_ptr() == t.data_ptr())


def _f64(x):
    return ember.float64 if isinstance(x, ember.Tensor) else __import__("torch").float64


@pytest.mark.parametrize("name", LAYOUTS)
def test_default_preserve(torch, name):
    e, t = _pair(torch, name)
    for op in (lambda x: x.clone(), lambda x: x.contiguous(), lambda x: x.double(),
               lambda x: x.half(), lambda x: x.to("cpu", copy=True), lambda x: x.cpu()):
        _same_layout(op(e), op(t))


LIKE = ["empty_like", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like",
        "randint_like"]


@pytest.mark.parametrize("fmt", FORMATS + [None])
@pytest.mark.parametrize("name", LAYOUTS)
@pytest.mark.parametrize("op", LIKE)
def test_like(torch, op, name, fmt):
    e, t = _pair(torch, name)
    kw_e = {} if fmt is None else {"memory_format": getattr(ember, fmt)}
    kw_t = {} if fmt is None else {"memory_format": getattr(torch, fmt)}
    args = (2.5,) if op == "full_like" else (7,) if op == "randint_like" else ()
    re, rt = _both(lambda: getattr(ember, op)(e, *args, **kw_e),
                   lambda: getattr(torch, op)(t, *args, **kw_t))
    if rt is not None:
        _same_layout(re, rt, values=op in ("zeros_like", "ones_like", "full_like"))


@pytest.mark.parametrize("op", ["rand_like", "randn_like"])
def test_like_draws_in_memory_order(torch, op):
    """A seeded draw fills the result in its memory order, as PyTorch's does."""
    e, t = _pair(torch, "channels_last")
    ember.manual_seed(3)
    torch.manual_seed(3)
    assert_close(getattr(ember, op)(e), getattr(torch, op)(t))
    ember.manual_seed(4)
    torch.manual_seed(4)
    assert_close(getattr(ember, op)(e, memory_format=ember.contiguous_format),
                 getattr(torch, op)(t, memory_format=torch.contiguous_format))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 3, 4, 5, 6), (3, 4), (0, 3, 2, 2)])
def test_empty(torch, shape, fmt):
    re, rt = _both(lambda: ember.empty(shape, memory_format=getattr(ember, fmt)),
                   lambda: torch.empty(shape, memory_format=getattr(torch, fmt)))
    if rt is not None and 0 not in shape:  # NumPy keeps no strides for empty arrays
        _same_layout(re, rt, values=False)


def test_errors(torch):
    x = ember.randn(3, 4, 5)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        x.contiguous(memory_format=ember.channels_last)
    with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d"):
        ember.randn(2, 3, 4, 5).clone(memory_format=ember.channels_last_3d)
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
        ember.randn(2, 3, 4, 5).transpose(1, 2).contiguous(memory_format=ember.preserve_format)
    with pytest.raises(RuntimeError, match="unsupported memory format Preserve"):
        ember.empty(2, 3, 4, 5, memory_format=ember.preserve_format)


@pytest.mark.parametrize("fmt", ["contiguous_format", "channels_last"])
@pytest.mark.parametrize("name", ["contiguous", "channels_last", "permuted", "sliced"])
def test_gradients(torch, name, fmt):
    e, t = _pair(torch, name)
    e = e.detach().double().requires_grad_()
    t = t.detach().double().requires_grad_()
    for op in ("clone", "contiguous", "to"):
        ye = getattr(e, op)(memory_format=getattr(ember, fmt))
        yt = getattr(t, op)(memory_format=getattr(torch, fmt))
        assert (ye.grad_fn is None) == (yt.grad_fn is None)
        if yt.grad_fn is not None:
            assert ye.grad_fn.name() == yt.grad_fn.name()
        w_e = ember.linspace(-1, 1, ye.numel(), dtype=ember.float64).reshape(ye.shape)
        w_t = torch.linspace(-1, 1, yt.numel(), dtype=torch.float64).reshape(yt.shape)
        ge, = ember.autograd.grad((ye * w_e).sum(), e)
        gt, = torch.autograd.grad((yt * w_t).sum(), t)
        assert_close(ge, gt)
    assert ember.autograd.gradcheck(
        lambda a: a.contiguous(memory_format=ember.channels_last) * 2 if a.ndim == 4 else a,
        (e.detach().contiguous().requires_grad_(),))


UNARY = ["exp", "neg", "abs", "sigmoid", "tanh", "relu", "sqrt", "sin"]


@pytest.mark.parametrize("name", LAYOUTS)
def test_elementwise_keep_layout(torch, name):
    """Unary ops, ops with a scalar and ops between same-layout tensors keep the input's
    layout (NumPy's order='K' gives what PyTorch's TensorIterator does)."""
    e, t = _pair(torch, name)
    if 0 in e.shape:
        pytest.skip("NumPy keeps no strides for empty arrays")
    for op in UNARY:
        _same_layout(getattr(e, op)(), getattr(t, op)())
    for op in (lambda x: x + x, lambda x: x * 2, lambda x: 1 - x, lambda x: x / 3,
               lambda x: x ** 2, lambda x: x > 3, lambda x: x.clamp(1, 50),
               lambda x: x.clone().add_(1), lambda x: x * x.clone()):
        _same_layout(op(e), op(t))
    if e.ndim >= 4:  # a per-channel bias broadcast against the input
        ones = (1,) * (e.ndim - 2)
        be, bt = ember.ones(e.shape[1], *ones), torch.ones(t.shape[1], *ones)
        _same_layout(e + be, t + bt)


def test_is_contiguous_fast_path_unchanged():
    x = ember.randn(4, 5)
    assert x.is_contiguous() and x.contiguous() is x
    assert x.t().is_contiguous() is False
    assert np.shares_memory(x.t().contiguous().numpy(), x.numpy()) is False


def test_mixed_layout_binary_follows_first_operand(torch):
    e, t = _pair(torch, "channels_last")
    _same_layout(e + e.contiguous(), t + t.contiguous())
