"""The autograd engine's observable semantics, checked against PyTorch where installed."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import ember
from ember.testing import assert_close


def _pair(torch, values, dtype="float64"):
    e = ember.tensor(values, dtype=getattr(ember, dtype), requires_grad=True)
    t = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    return e, t


def test_gradients_accumulate_across_backward_calls(torch):
    e, t = _pair(torch, [1.0, -2.0, 3.0])
    for _lib, x in ((ember, e), (torch, t)):
        (x * x).sum().backward()
        (x * 3).sum().backward()
    assert_close(e.grad, t.grad)


def test_backward_twice_without_retain_graph_raises_pytorch_error():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_close(x.grad, np.array([4.0, 8.0], dtype=np.float32))


def test_double_backward_matches_torch(torch):
    e, t = _pair(torch, [0.5, -1.5, 2.0])
    (ge,) = ember.autograd.grad((e ** 3).sum(), e, create_graph=True)
    (gt,) = torch.autograd.grad((t ** 3).sum(), t, create_graph=True)
    assert_close(ge, gt)
    (gge,) = ember.autograd.grad(ge.sum(), e)
    (ggt,) = torch.autograd.grad(gt.sum(), t)
    assert_close(gge, ggt)


def test_third_order_gradient():
    x = ember.tensor(1.5, dtype=ember.float64, requires_grad=True)
    y = x ** 4
    (g1,) = ember.autograd.grad(y, x, create_graph=True)
    (g2,) = ember.autograd.grad(g1, x, create_graph=True)
    (g3,) = ember.autograd.grad(g2, x)
    assert g3.item() == pytest.approx(24 * 1.5)


def test_grad_does_not_accumulate_into_leaves():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (g,) = ember.autograd.grad((x * x).sum(), x)
    assert x.grad is None
    assert_close(g, np.array([2.0, 4.0], dtype=np.float32))


def test_grad_unused_input_errors_unless_allowed():
    x = ember.tensor([1.0], requires_grad=True)
    z = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        ember.autograd.grad((x * 2).sum(), [x, z])
    gx, gz = ember.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
    assert gz is None and gx.item() == 2.0
    gx, gz = ember.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    assert gz.item() == 0.0


def test_grad_with_respect_to_non_leaf(torch):
    e, t = _pair(torch, [1.0, 2.0, 3.0])
    me, mt = e * 2, t * 2
    (ge,) = ember.autograd.grad((me * me).sum(), me)
    (gt,) = torch.autograd.grad((mt * mt).sum(), mt)
    assert_close(ge, gt)


def test_backward_with_inputs_only_fills_those(torch):
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None
    assert_close(a.grad, np.array([3.0, 4.0], dtype=np.float32))


def test_non_scalar_backward_needs_gradient():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()
    (x * 2).backward(ember.tensor([1.0, 10.0]))
    assert_close(x.grad, np.array([2.0, 20.0], dtype=np.float32))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        ember.tensor([1.0]).sum().backward()


def _saved_then_changed(lib, case: str):
    """A loss whose backward needs a tensor that was changed in place after it was saved."""
    x = lib.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    if case == "input":  # the mul saved y; y's node is now the add's
        y = x * 1
        z = (y * y).sum()
        y.add_(1)
    elif case == "output":  # exp saved its own output
        y = (x * 2).exp()
        z = y.sum()
        y.add_(1)
    elif case == "second output":
        lo, hi = lib.aminmax(x * 2, dim=1)
        z = (lo * hi).sum()
        lib.relu_(hi)
    else:  # a tensor outside the graph
        c = lib.ones(2, 2)
        z = (x * c).sum()
        c.add_(1)
    return z


@pytest.mark.parametrize("case", ["input", "output", "second output", "constant"])
def test_inplace_modification_of_saved_tensor_is_detected(torch, case):
    """The refusal names the tensor, the node that makes it and the versions in PyTorch's
    words."""
    messages = []
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
            _saved_then_changed(lib, case).backward()
        messages.append(str(info.value).replace("torch.DoubleTensor", "torch.FloatTensor"))
    assert messages[0] == messages[1]


def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with ember.no_grad():
        x.add_(1)  # allowed without grad mode
    assert x.item() == 2.0


def test_inplace_ops_rebase_graph(torch):
    e, t = _pair(torch, [1.0, -2.0, 3.0])
    for x in (e, t):
        y = x * 2
        y.mul_(x)
        y.add_(x, alpha=3)
        y.div_(2)
        (y * y).sum().backward()
    assert_close(e.grad, t.grad)


def test_inplace_after_save_raises_like_torch(torch):
    e, t = _pair(torch, [1.0, -2.0, 3.0])
    for _lib, x in ((ember, e), (torch, t)):
        y = x * 2
        y.mul_(y)
        y.add_(x, alpha=3)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_version_counter_moves_on_inplace():
    x = ember.tensor([1.0, 2.0])
    v0 = x._version
    x.add_(1)
    x.mul_(2)
    assert x._version == v0 + 2


def test_grad_modes_and_decorators():
    x = ember.tensor([1.0], requires_grad=True)
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        assert (x * 2).grad_fn is None
        with ember.enable_grad():
            assert (x * 2).grad_fn is not None
    assert ember.is_grad_enabled()

    @ember.no_grad()
    def f():
        return x * 2

    @ember.no_grad
    def g():
        return x * 2

    assert f().grad_fn is None and g().grad_fn is None
    ember.set_grad_enabled(False)
    assert not ember.is_grad_enabled()
    ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    with ember.inference_mode():
        assert (x * 2).grad_fn is None
        assert ember.is_inference_mode_enabled()


def test_grad_mode_is_thread_local():
    seen = []
    with ember.no_grad():
        th = threading.Thread(target=lambda: seen.append(ember.is_grad_enabled()))
        th.start()
        th.join()
    assert seen == [True]


def test_tensor_hook_replaces_gradient(torch):
    e, t = _pair(torch, [1.0, 2.0])
    for x in (e, t):
        y = x * 3
        y.register_hook(lambda g: g * 10)
        y.sum().backward()
    assert_close(e.grad, t.grad)


def test_leaf_hook_and_removal():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 0)
    (x * 2).sum().backward()
    assert_close(x.grad, np.zeros(2, dtype=np.float32))
    h.remove()
    x.grad = None
    (x * 2).sum().backward()
    assert_close(x.grad, np.full(2, 2.0, dtype=np.float32))


def test_post_accumulate_grad_hook_sees_accumulated_grad():
    x = ember.tensor([1.0], requires_grad=True)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.item()))
    (x * 5).sum().backward()
    assert seen == [5.0]


def test_node_hooks_and_graph_walk(torch):
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    assert y.grad_fn.name() == "SumBackward0"
    (mul_node, _), = y.grad_fn.next_functions
    assert mul_node.name() == "MulBackward0"
    acc = mul_node.next_functions[0][0]
    assert acc.name() == "torch::autograd::AccumulateGrad" and acc.variable is x
    calls = []
    mul_node.register_prehook(lambda gout: calls.append("pre"))
    mul_node.register_hook(lambda gin, gout: calls.append("post"))
    y.backward()
    assert calls == ["pre", "post"]


def test_retain_grad_keeps_non_leaf_grad(torch):
    e, t = _pair(torch, [1.0, 2.0])
    me, mt = e * e, t * t
    me.retain_grad()
    mt.retain_grad()
    (me * 3).sum().backward()
    (mt * 3).sum().backward()
    assert_close(me.grad, mt.grad)
    assert me.retains_grad


def test_detach_and_requires_grad_rules():
    x = ember.tensor([1.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d.add_(1)
    assert x._version == d._version  # shared version counter
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        ember.tensor([1, 2]).requires_grad_()
    y = x * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        y.requires_grad = False


def test_diamond_graph_runs_each_node_once(torch):
    e, t = _pair(torch, [0.3, 0.7])
    for x in (e, t):
        a = x * x
        b = a * 3
        c = a * 4
        (b * c + a).sum().backward()
    assert_close(e.grad, t.grad)


def test_graph_and_saved_tensors_freed_after_backward():
    gc.disable()
    try:
        x = ember.tensor(np.ones(4), requires_grad=True)
        y = x * 2
        z = (y * y).sum()
        node_ref = weakref.ref(z.grad_fn)
        y_ref = weakref.ref(y)
        del y
        z.backward()
        assert y_ref() is None  # the saved intermediate is released by backward
        del z
        assert node_ref() is None  # no Tensor <-> node reference cycle
    finally:
        gc.enable()


def test_no_memory_growth_over_many_iterations():
    import tracemalloc

    w = ember.tensor(np.ones((8, 8)), requires_grad=True)
    x = ember.tensor(np.ones((8, 8)))

    def step():
        loss = ((w * x + w) * w).mean()
        loss.backward()
        w.grad = None

    gc.disable()
    tracemalloc.start()
    try:
        # warm-up: NumPy, the interpreter's free lists and the allocator settle first
        for _ in range(2000):
            step()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            step()
        grown = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
        gc.enable()
    assert grown < 8 * 1024, f"memory grew by {grown} bytes over 1000 iterations"


class _Cube(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


def test_custom_function_forward_backward_and_double_backward():
    x = ember.tensor([0.5, 2.0], dtype=ember.float64, requires_grad=True)
    y = _Cube.apply(x)
    assert y.grad_fn.name() == "_CubeBackward"
    assert ember.autograd.gradcheck(_Cube.apply, (x,))
    assert ember.autograd.gradgradcheck(_Cube.apply, (x,))


def test_custom_function_setup_context_style_and_needs_input_grad():
    seen = {}

    class Scale(ember.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.k = inputs[1]
            seen["needs"] = ctx.needs_input_grad

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None

    x = ember.tensor([1.0, 2.0], requires_grad=True)
    Scale.apply(x, 3.0).sum().backward()
    assert seen["needs"] == (True, False)
    assert_close(x.grad, np.full(2, 3.0, dtype=np.float32))


def test_custom_function_non_differentiable_and_materialize():
    class Two(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            idx = x * 0
            ctx.mark_non_differentiable(idx)
            return x * 2, idx

        @staticmethod
        def backward(ctx, g, gidx):
            assert gidx is None
            return g * 2

    x = ember.tensor([1.0], requires_grad=True)
    y, idx = Two.apply(x)
    assert not idx.requires_grad
    y.sum().backward()
    assert x.grad.item() == 2.0


def test_custom_function_wrong_gradient_count_errors():
    class Bad(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return (g,)

    a = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, a).sum().backward()


def test_gradcheck_reports_first_mismatch():
    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2*x*g

    x = ember.tensor([3.0, 4.0], dtype=ember.float64, requires_grad=True)
    with pytest.raises(ember.autograd.GradcheckError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(Wrong.apply, (x,))
    assert ember.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False


def test_detect_anomaly_names_the_forward_op():
    class NanBack(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = ember.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = ember.autograd.detect_anomaly()
    with mode:
        y = NanBack.apply(x)
        with pytest.raises(RuntimeError, match="NanBackBackward.*returned nan") as info, \
                pytest.warns(UserWarning, match="Error detected in NanBackBackward") as rec:
            y.sum().backward()
    # as PyTorch: a one-line error; the forward call's traceback goes to a warning
    assert "\n" not in str(info.value)
    assert any("test_detect_anomaly_names_the_forward_op" in str(w.message) for w in rec)


def test_checkpoint_gives_same_gradients():
    from ember.utils.checkpoint import checkpoint

    w = ember.tensor(np.linspace(-1, 1, 6), requires_grad=True)
    x = ember.tensor(np.linspace(0, 2, 6), requires_grad=True)

    def seg(a):
        return (a * w + w * w) * a

    checkpoint(seg, x, use_reentrant=False).sum().backward()
    gw, gx = w.grad, x.grad
    w.grad = x.grad = None
    seg(x).sum().backward()
    assert_close(gw, w.grad)
    assert_close(gx, x.grad)


def test_checkpoint_peak_memory_on_20_layer_mlp():
    import tracemalloc

    from ember.utils.checkpoint import checkpoint

    ember.manual_seed(0)
    weights = [(ember.randn(256, 256) * 0.05).requires_grad_() for _ in range(20)]
    x = ember.randn(512, 256)

    def layer(a, w):
        # a linear map, a normalisation and a nonlinearity: several saved activations per layer
        h = a @ w
        h = (h - h.mean(-1, keepdim=True)) * (h.var(-1, keepdim=True) + 1e-5).rsqrt()
        return h.tanh()

    def peak(use_checkpoint: bool) -> int:
        for w in weights:
            w.grad = None
        tracemalloc.start()
        try:
            h = x
            for w in weights:
                h = checkpoint(layer, h, w, use_reentrant=False) if use_checkpoint else layer(h, w)
            h.sum().backward()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    plain_grads = None
    plain = peak(False)
    plain_grads = [w.grad.numpy().copy() for w in weights]
    ckpt = peak(True)
    for w, g in zip(weights, plain_grads):
        np.testing.assert_allclose(w.grad.numpy(), g, rtol=1e-5, atol=1e-6)
    assert ckpt <= 0.6 * plain, f"checkpointed peak {ckpt} vs plain {plain}"


def test_first_gradient_is_kept_without_copy_only_when_unshared():
    # a fresh gradient becomes .grad as is; shared ones (the user's, or one object sent to
    # two leaves) are copied, so later accumulation never writes into someone else's array
    a, b = ember.ones(3, requires_grad=True), ember.ones(3, requires_grad=True)
    (a + b).sum().backward()
    a.grad.add_(1)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    v = ember.ones(3)
    for make_root in (lambda t: t + 1, lambda t: t):
        x = ember.ones(3, requires_grad=True)
        make_root(x).backward(v)
        x.grad.mul_(5)
        assert v.tolist() == [1.0, 1.0, 1.0]
    w = ember.ones(4, 3, requires_grad=True)
    (ember.ones(2, 4) @ w).sum().backward()
    assert w.grad.is_contiguous() and w.grad.tolist() == [[2.0] * 3] * 4
    (ember.ones(2, 4) @ w).sum().backward()
    assert w.grad.tolist() == [[4.0] * 3] * 4 and w.grad.grad_fn is None


def test_gradients_take_their_inputs_dtype_in_mixed_graphs(torch):
    for lib in (ember, torch):
        a = lib.ones(3, requires_grad=True)
        b = lib.ones(3, dtype=lib.float64, requires_grad=True)
        (a * 2 - b).sum().backward()
        assert (str(a.grad.dtype).split(".")[-1], str(b.grad.dtype).split(".")[-1]) == \
            ("float32", "float64")
        x = lib.ones(2, requires_grad=True)
        (g,) = lib.autograd.grad((x * lib.ones(2, dtype=lib.float64)).sum(), x)
        assert str(g.dtype).endswith("float32") and g.tolist() == [1.0, 1.0]


OVERWRITES = {  # name -> an in-place overwrite of (part of) a non-leaf
    "fill_": lambda lib, y, v: y.fill_(3.0),
    "zero_": lambda lib, y, v: y.zero_(),
    "fill_ tensor": lambda lib, y, v: y.fill_(v),
    "fill_ view": lambda lib, y, v: y[0].fill_(5.0),
    "zero_ view": lambda lib, y, v: y[1:].zero_(),
    "fill_ transposed view": lambda lib, y, v: y.t()[0].fill_(2.0),
    "copy_": lambda lib, y, v: y.copy_(lib.ones(2, 3)),
    "copy_ view": lambda lib, y, v: y[:, 1].copy_(v),
}


@pytest.mark.parametrize("name", sorted(OVERWRITES))
def test_overwritten_values_get_no_gradient(torch, name):
    """fill_/zero_/copy_ on a non-leaf (or its view): the overwritten values pass no gradient,
    the rest do, a 0-d fill value gets the sum, and the node names are PyTorch's."""
    grads, names = [], []
    for lib in (ember, torch):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        v = lib.tensor(0.5, requires_grad=True)
        y = x * 2
        OVERWRITES[name](lib, y, v)
        names.append(type(y.grad_fn).__name__)
        (y * y).sum().backward()
        grads.append((x.grad, v.grad))
    assert names[0] == names[1]
    assert_close(grads[0][0], grads[1][0])
    if grads[1][1] is None:
        assert grads[0][1] is None
    else:
        assert_close(grads[0][1], grads[1][1])


def test_overwriting_a_saved_output_is_caught(torch):
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # saves its output
        y.zero_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_retain_grad_once_and_after_hooks(torch):
    """retain_grad twice keeps one gradient; it stores the gradient after the tensor's hooks,
    whichever was registered first."""
    out = []
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.retain_grad()
        (y * 3).sum().backward()
        z = x * 2
        z.retain_grad()
        z.register_hook(lambda g: g * 10)
        assert z.retains_grad
        w = x * 2
        w.register_hook(lambda g: g + 1)
        assert not w.retains_grad
        (z * 3).sum().backward()
        out.append((y.grad, z.grad))
    for a, b in zip(*out):
        assert_close(a, b)
