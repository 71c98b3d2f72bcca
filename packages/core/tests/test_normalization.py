"""Normalization kernels against PyTorch: batch (train/eval, running statistics over several
steps), layer, group, instance, RMS and local response norm; gradients of input, weight and
bias; finite differences; double backward; errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _nn_check import check, gradcheck, rand, randn

import ember
from ember.ops import normalization as N
from ember.testing import assert_close

DTYPES = ["float32", "float64"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 5), (2, 3, 2, 2, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training(torch, dtype, shape, affine):
    c = shape[1]
    w, b = (randn(c, dtype=dtype), randn(c, dtype=dtype)) if affine else (None, None)
    x = randn(*shape, dtype=dtype) * 2 + 1
    check(torch, lambda x, w, b: N.batch_norm(x, w, b, None, None, True, 0.1, 1e-5),
          lambda x, w, b: torch.nn.functional.batch_norm(x, None, None, w, b, True),
          [x, w, b])


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_eval(torch, dtype):
    x = randn(4, 3, 5, dtype=dtype)
    rm, rv = randn(3, dtype=dtype), rand(3, dtype=dtype) + 0.5
    check(torch, lambda x, w, b: N.batch_norm(x, w, b, ember.tensor(rm), ember.tensor(rv), False,
                                              0.1, 1e-5),
          lambda x, w, b: torch.nn.functional.batch_norm(x, torch.tensor(rm), torch.tensor(rv),
                                                         w, b, False),
          [x, randn(3, dtype=dtype), randn(3, dtype=dtype)])


@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_running_stats(torch, momentum):
    rm_e, rv_e = ember.zeros(3), ember.ones(3)
    rm_t, rv_t = torch.zeros(3), torch.ones(3)
    for step in range(4):
        x = randn(6, 3, 4, dtype="float32") * (step + 1) + step
        ye = N.batch_norm(ember.tensor(x), None, None, rm_e, rv_e, True, momentum, 1e-5)
        yt = torch.nn.functional.batch_norm(torch.tensor(x), rm_t, rv_t, None, None, True,
                                            momentum)
        assert_close(ye, yt)
    assert_close(rm_e, rm_t)
    assert_close(rv_e, rv_t)
    v0 = rm_e._version
    x = randn(6, 3, dtype="float32")
    N.batch_norm(ember.tensor(x), None, None, rm_e, rv_e, True, momentum, 1e-5)
    torch.nn.functional.batch_norm(torch.tensor(x), rm_t, rv_t, None, None, True, momentum)
    assert rm_e._version > v0
    xe = ember.tensor(randn(5, 3, dtype="float32"))
    assert_close(N.batch_norm(xe, None, None, rm_e, rv_e, False, momentum, 1e-5),
                 torch.nn.functional.batch_norm(torch.tensor(xe.numpy()), rm_t, rv_t))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_empty_batch(torch, training):
    """An empty batch leaves the running statistics alone and still gives weight and bias
    gradients (zeros), with no warning; PyTorch returns ``input.clone() * w[0] + b[0]``."""
    x = randn(0, 3, 4, 4, dtype="float32")
    w, b = randn(3, dtype="float32"), randn(3, dtype="float32")
    stats = {}
    for lib in (ember, torch):
        rm, rv = lib.zeros(3), lib.ones(3)
        xs, ws, bs = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = (N.batch_norm(xs, ws, bs, rm, rv, training, 0.1, 1e-5) if lib is ember else
                 torch.nn.functional.batch_norm(xs, rm, rv, ws, bs, training))
        y.sum().backward()
        stats[lib] = (y, rm, rv, xs.grad, ws.grad, bs.grad, type(y.grad_fn).__name__)
    for e, t in zip(stats[ember], stats[torch]):
        if isinstance(e, str):
            assert e == t
        else:
            assert_close(e, t)


def test_batch_norm_gradcheck():
    x = randn(4, 3, 2)
    gradcheck(lambda x, w, b: N.batch_norm(x, w, b, None, None, True, 0.1, 1e-5), x,
              randn(3), randn(3))
    rm, rv = ember.tensor(randn(3)), ember.tensor(rand(3) + 0.5)
    gradcheck(lambda x, w, b: N.batch_norm(x, w, b, rm, rv, False, 0.1, 1e-5), x, randn(3),
              randn(3))


def test_batch_norm_errors(torch):
    x = ember.randn(4, 3)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 2"):
        N.batch_norm(x, None, None, ember.zeros(2), ember.ones(3), True, 0.1, 1e-5)
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        N.batch_norm(x, None, None, None, None, False, 0.1, 1e-5)


def test_native_batch_norm_outputs(torch):
    x = randn(4, 3, 5, dtype="float32")
    out, mean, invstd = ember.native_batch_norm(ember.tensor(x), None, None, None, None, True,
                                                0.1, 1e-5)
    to, tm, ti = torch.native_batch_norm(torch.tensor(x), None, None, None, None, True, 0.1, 1e-5)
    assert_close(out, to)
    assert_close(mean, tm)
    assert_close(invstd, ti)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,ns", [((4, 5), (5,)), ((2, 3, 5), (5,)), ((2, 3, 5), (3, 5)),
                                      ((5,), (5,)), ((0, 4), (4,))])
def test_layer_norm(torch, dtype, shape, ns):
    x = randn(*shape, dtype=dtype) * 3 + 1
    w, b = randn(*ns, dtype=dtype), randn(*ns, dtype=dtype)
    check(torch, lambda x, w, b: N.layer_norm(x, ns, w, b),
          lambda x, w, b: torch.nn.functional.layer_norm(x, ns, w, b), [x, w, b])
    check(torch, lambda x: N.layer_norm(x, ns, eps=1e-3),
          lambda x: torch.nn.functional.layer_norm(x, ns, eps=1e-3), [x])


def test_layer_norm_noncontiguous_and_grads(torch):
    x = randn(6, 4)
    check(torch, lambda x: N.layer_norm(x.t(), (6,)),
          lambda x: torch.nn.functional.layer_norm(x.t(), (6,)), [x])
    gradcheck(lambda x, w, b: N.layer_norm(x, (4,), w, b), randn(3, 4), randn(4), randn(4))


def test_layer_norm_double_backward(torch):
    x = randn(3, 4)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    we, wt = ember.tensor(randn(4), requires_grad=True), None
    wt = torch.tensor(we.detach().numpy(), requires_grad=True)
    (ge,) = ember.autograd.grad((N.layer_norm(xe, (4,), we) ** 3).sum(), xe, create_graph=True)
    (gt,) = torch.autograd.grad((torch.nn.functional.layer_norm(xt, (4,), wt) ** 3).sum(), xt,
                                create_graph=True)
    assert_close(ge, gt)
    gge = ember.autograd.grad((ge * ge).sum(), [xe, we])
    ggt = torch.autograd.grad((gt * gt).sum(), [xt, wt])
    assert_close(gge[0], ggt[0], rtol=1e-6, atol=1e-8)
    assert_close(gge[1], ggt[1], rtol=1e-6, atol=1e-8)


def test_native_layer_norm(torch):
    x = randn(2, 3, 4)
    o, m, r = ember.native_layer_norm(ember.tensor(x), (4,), None, None, 1e-5)
    to, tm, tr = torch.native_layer_norm(torch.tensor(x), (4,), None, None, 1e-5)
    for a, b in [(o, to), (m, tm), (r, tr)]:
        assert_close(a, b)


def test_layer_norm_errors():
    x = ember.randn(4, 3, 2)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[3\], expected input with "
                                           r"shape \[\*, 3\], but got input of size\[4, 3, 2\]"):
        N.layer_norm(x, (3,))
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape as "
                                           "normalized_shape"):
        N.layer_norm(x, (3, 2), ember.ones(3))


@pytest.mark.parametrize("dtype", DTYPES)
# (groups of two values are left out: their normalized values are always +-1, so the input
# gradient is rounding noise scaled by a huge inverse std, in PyTorch as here)
@pytest.mark.parametrize("shape,groups", [((2, 6, 4), 3), ((2, 6, 4), 6), ((3, 6), 2),
                                          ((2, 4, 3, 3), 1)])
def test_group_norm(torch, dtype, shape, groups):
    c = shape[1]
    x = randn(*shape, dtype=dtype) * 2
    check(torch, lambda x, w, b: N.group_norm(x, groups, w, b),
          lambda x, w, b: torch.nn.functional.group_norm(x, groups, w, b),
          [x, randn(c, dtype=dtype), randn(c, dtype=dtype)])
    check(torch, lambda x: N.group_norm(x, groups),
          lambda x: torch.nn.functional.group_norm(x, groups), [x])


def test_group_norm_errors_and_gradcheck():
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be "
                                           "divisible by num_groups"):
        N.group_norm(ember.randn(2, 6, 4), 4)
    gradcheck(lambda x, w, b: N.group_norm(x, 2, w, b), randn(2, 4, 3), randn(4), randn(4))


@pytest.mark.parametrize("dtype", DTYPES)
def test_instance_norm(torch, dtype):
    x = randn(3, 4, 5, 2, dtype=dtype)
    check(torch, lambda x, w, b: N.instance_norm(x, w, b, None, None, True, 0.1, 1e-5),
          lambda x, w, b: torch.nn.functional.instance_norm(x, weight=w, bias=b),
          [x, randn(4, dtype=dtype), randn(4, dtype=dtype)])


def test_instance_norm_running_stats(torch):
    rm_e, rv_e = ember.zeros(4), ember.ones(4)
    rm_t, rv_t = torch.zeros(4), torch.ones(4)
    for step in range(3):
        x = randn(3, 4, 6, dtype="float32") * (step + 1)
        N.instance_norm(ember.tensor(x), None, None, rm_e, rv_e, True, 0.2, 1e-5)
        torch.nn.functional.instance_norm(torch.tensor(x), rm_t, rv_t, momentum=0.2)
    assert_close(rm_e, rm_t)
    assert_close(rv_e, rv_t)
    x = randn(3, 4, 6, dtype="float32")
    check(torch, lambda x: N.instance_norm(x, None, None, rm_e, rv_e, False, 0.1, 1e-5),
          lambda x: torch.nn.functional.instance_norm(x, rm_t, rv_t, use_input_stats=False),
          [x])


@pytest.mark.parametrize("dtype", DTYPES)
def test_rms_norm(torch, dtype):
    x = randn(3, 4, 5, dtype=dtype)
    for ns in [(5,), (4, 5)]:
        check(torch, lambda x, w, ns=ns: N.rms_norm(x, ns, w),
              lambda x, w, ns=ns: torch.nn.functional.rms_norm(x, ns, w), [x, randn(*ns, dtype=dtype)])
        check(torch, lambda x, ns=ns: N.rms_norm(x, ns, eps=1e-3),
              lambda x, ns=ns: torch.nn.functional.rms_norm(x, ns, eps=1e-3), [x])
    assert ember.rms_norm is N.rms_norm
    gradcheck(lambda x, w: N.rms_norm(x, (4,), w), randn(3, 4), randn(4))


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 4), (2, 5, 3, 3)])
def test_local_response_norm(torch, size, shape):
    x = randn(*shape)
    check(torch, lambda x: N.local_response_norm(x, size, 1e-2, 0.75, 2.0),
          lambda x: torch.nn.functional.local_response_norm(x, size, 1e-2, 0.75, 2.0), [x])


def test_local_response_norm_gradcheck():
    gradcheck(lambda x: N.local_response_norm(x, 3, 0.1), randn(2, 5, 3))


def test_half_input_float_stats(torch):
    x = randn(5, 3, dtype="float32")
    ye = N.batch_norm(ember.tensor(x).half(), None, None, ember.zeros(3), ember.ones(3), True,
                      0.1, 1e-5)
    yt = torch.nn.functional.batch_norm(torch.tensor(x).half(), torch.zeros(3), torch.ones(3),
                                        training=True)
    assert ye.dtype == ember.float16
    assert_close(ye, yt, rtol=2e-3, atol=2e-3)
    assert np.isfinite(ye.numpy()).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_layer_norm_weight_or_bias_only(torch, dtype):
    x = randn(3, 4, 6, dtype=dtype) * 2 - 1
    check(torch, lambda x, w: N.layer_norm(x, (6,), w),
          lambda x, w: torch.nn.functional.layer_norm(x, (6,), w), [x, randn(6, dtype=dtype)])
    check(torch, lambda x, b: N.layer_norm(x, (6,), None, b),
          lambda x, b: torch.nn.functional.layer_norm(x, (6,), None, b),
          [x, randn(6, dtype=dtype)])
    gradcheck(lambda x, b: N.layer_norm(x, (4, 6), None, b), randn(2, 4, 6), randn(4, 6))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_rms_norm_half_default_eps(torch, dtype):
    # PyTorch computes half inputs in float32, with float32's epsilon as the default eps
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    x = np.random.default_rng(3).standard_normal((5, 7)) * 1e-2  # small: eps matters
    t = torch.nn.functional.rms_norm(torch.tensor(x).to(getattr(torch, dtype)), (7,))
    e = N.rms_norm(ember.tensor(x).to(getattr(ember, dtype)), (7,))
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    np.testing.assert_array_equal(e.double().numpy(), t.double().numpy())
