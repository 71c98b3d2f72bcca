"""``ember.autograd.forward_ad`` against PyTorch's: tangents of functions, of modules with
dual parameters, differentiable tangents, and the level rules and errors."""

from __future__ import annotations

import numpy as np
import pytest

import ember

RNG = np.random.default_rng(0)


def _pair(torch, *shape, requires_grad=False):
    a = RNG.standard_normal(shape)
    return (ember.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def _jvp(lib, fn, x, t):
    fwAD = lib.autograd.forward_ad
    with fwAD.dual_level():
        out = fn(lib, fwAD.make_dual(x, t))
        primal, tangent = fwAD.unpack_dual(out)
    return primal, tangent


FUNCTIONS = {
    "sin_sum": lambda lib, d: (d * 2).sin().sum(),
    "softmax": lambda lib, d: lib.softmax(d, dim=-1),
    "matmul": lambda lib, d: d @ d.T,
    "norm_div": lambda lib, d: d / d.norm(dim=-1, keepdim=True),
    "cumprod": lambda lib, d: d.cumprod(0).exp(),
    "index": lambda lib, d: d[1:, ::2] ** 3,
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_tangents_match_pytorch(torch, name):
    (x, tx), (t, tt) = _pair(torch, 4, 5), _pair(torch, 4, 5)
    ours, theirs = _jvp(ember, FUNCTIONS[name], x, t), _jvp(torch, FUNCTIONS[name], tx, tt)
    ember.testing.assert_close(ours[0], theirs[0])
    ember.testing.assert_close(ours[1], theirs[1])
    assert not ours[0].requires_grad and not ours[1].requires_grad


def test_tangent_matches_finite_differences():
    x = ember.tensor(RNG.standard_normal((3, 4)))
    t = ember.tensor(RNG.standard_normal((3, 4)))

    def f(v):
        return (v.tanh() * v.exp()).cumsum(1)

    _, tangent = _jvp(ember, lambda lib, d: f(d), x, t)
    eps = 1e-6
    numeric = (f(x + eps * t) - f(x - eps * t)) / (2 * eps)
    ember.testing.assert_close(tangent, numeric, rtol=1e-6, atol=1e-8)


def test_module_with_dual_parameters_as_the_tutorial(torch):
    nn = pytest.importorskip("ember.nn")
    theirs = torch.nn.Linear(5, 3, dtype=torch.float64)
    ours = nn.Linear(5, 3, dtype=ember.float64)
    ours.load_state_dict({k: ember.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal((4, 5))
    tangents = {n: RNG.standard_normal(tuple(p.shape)) for n, p in theirs.named_parameters()}
    outs = []
    for lib, model in ((ember, ours), (torch, theirs)):
        fwAD = lib.autograd.forward_ad
        params = dict(model.named_parameters())
        with fwAD.dual_level():
            for name, p in params.items():
                delattr(model, name)
                setattr(model, name, fwAD.make_dual(p, lib.tensor(tangents[name])))
            outs.append(fwAD.unpack_dual(model(lib.tensor(x))))
    ember.testing.assert_close(outs[0].tangent, outs[1].tangent.detach())
    ember.testing.assert_close(outs[0].primal, outs[1].primal.detach())


def test_dual_of_a_tensor_that_requires_grad_keeps_reverse_mode(torch):
    (x, tx), (t, tt) = _pair(torch, 3, requires_grad=True), _pair(torch, 3)
    grads = []
    for lib, xx, tn in ((ember, x, t), (torch, tx, tt)):
        fwAD = lib.autograd.forward_ad
        with fwAD.dual_level():
            d = fwAD.make_dual(xx, tn)
            primal, tangent = fwAD.unpack_dual((d ** 2).sum())
        tangent.backward()  # d/dx <2x, t> = 2t
        grads.append(xx.grad)
    ember.testing.assert_close(grads[0], grads[1])


def test_unpacking_the_dual_itself_and_plain_tensors(torch):
    fwAD = ember.autograd.forward_ad
    x, t = ember.randn(3), ember.randn(3)
    assert fwAD.unpack_dual(x).tangent is None  # no level
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        primal, tangent = fwAD.unpack_dual(d)
        assert tangent is t
        ember.testing.assert_close(primal, x)
        assert fwAD.unpack_dual(ember.ones(3) * 5).tangent is None
        assert type(fwAD.unpack_dual(d)).__name__ == "UnpackedDualTensor"
    assert fwAD.unpack_dual(d).tangent is None  # the level ended


def _errors(lib):
    fwAD = lib.autograd.forward_ad
    x = lib.ones(3)
    cases = [lambda: fwAD.make_dual(x, x), lambda: fwAD.exit_dual_level()]
    inside = [lambda: fwAD.enter_dual_level(),
              lambda: fwAD.make_dual(x, lib.ones(4)),
              lambda: fwAD.make_dual(x, lib.ones(3, dtype=lib.int64)),
              lambda: fwAD.make_dual(lib.ones(3, dtype=lib.int64), lib.ones(3, dtype=lib.int64))]
    seen = []
    for case in cases:
        try:
            case()
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            seen.append((type(error).__name__, str(error).replace("torch.", "ember.")))
    with fwAD.dual_level():
        for case in inside:
            try:
                case()
            except Exception as error:  # noqa: BLE001
                seen.append((type(error).__name__, str(error).replace("torch.", "ember.")))
    return seen


def test_errors_match_pytorch(torch):
    assert _errors(ember) == _errors(torch)


def test_dual_level_as_a_decorator():
    fwAD = ember.autograd.forward_ad

    @fwAD.dual_level()
    def jvp_of_square(x, t):
        return fwAD.unpack_dual(fwAD.make_dual(x, t) ** 2).tangent

    x, t = ember.tensor([1.0, 2.0]), ember.tensor([1.0, 1.0])
    assert jvp_of_square(x, t).tolist() == [2.0, 4.0]


def _jvp_function(lib, calls, scale=2.0):
    """The forward-AD tutorial's kind of custom Function: forward and jvp, no backward;
    ``scale`` != 2 gives a wrong jvp (for gradcheck to catch)."""

    class Fn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            ctx.save_for_forward(a, b)
            return a * b * k, a.exp()

        @staticmethod
        def jvp(ctx, ga, gb, gk):
            calls.append((ga is None, gb is None, gk))
            a, b = ctx.saved_tensors
            return ga * b * scale + gb * a * scale, ga * a.exp()

    return Fn


def test_custom_function_jvp_gives_the_tangents_as_pytorch(torch):
    """Tangents of a Function with only ``jvp`` come from it (tensor inputs without a tangent
    get zeros, other arguments None); it is not called when no input is dual."""
    (x, tx), (y, ty), (t, tt) = _pair(torch, 3), _pair(torch, 3), _pair(torch, 3)
    results = []
    for lib, a, b, tan in ((ember, x, y, t), (torch, tx, ty, tt)):
        calls = []
        Fn = _jvp_function(lib, calls)
        fwAD = lib.autograd.forward_ad
        with fwAD.dual_level():
            d = fwAD.make_dual(a, tan)
            o1, o2 = Fn.apply(d, b, 2)
            z = o1 * 3 + d.sin()
            plain = Fn.apply(b, b, 2)[0]
            results.append([fwAD.unpack_dual(o1).tangent, fwAD.unpack_dual(o2).tangent,
                            fwAD.unpack_dual(z).tangent, fwAD.unpack_dual(o1).primal,
                            fwAD.unpack_dual(plain).tangent, calls])
    for ours, theirs in zip(results[0][:4], results[1][:4]):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)
    assert results[0][4] is None and results[1][4] is None
    assert results[0][5] == results[1][5] == [(False, False, None)]


def _check_forward_ad(lib, err, x, y):
    kw = dict(check_forward_ad=True, check_backward_ad=False, check_undefined_grad=False,
              check_batched_grad=False)
    a = lib.tensor(x, requires_grad=True)
    b = lib.tensor(y)
    good = _jvp_function(lib, [])
    bad = _jvp_function(lib, [], scale=3.0)
    assert lib.autograd.gradcheck(lambda a: good.apply(a, b, 2), (a,), **kw)
    with pytest.raises(err, match="Jacobian computed with forward mode mismatch for output 0 with "
                                         "respect to input 0"):
        lib.autograd.gradcheck(lambda a: bad.apply(a, b, 2), (a,), **kw)
    assert not lib.autograd.gradcheck(lambda a: bad.apply(a, b, 2), (a,),
                                      raise_exception=False, **kw)


def test_gradcheck_checks_forward_ad_of_a_jvp_only_function(torch):
    """``gradcheck(check_forward_ad=True, check_backward_ad=False)`` checks the jvp (the
    tutorial's call) and reports a wrong one, as PyTorch does."""
    import importlib

    x = RNG.standard_normal((2, 3))
    y = RNG.standard_normal((2, 3))
    _check_forward_ad(ember, ember.autograd.GradcheckError, x, y)
    _check_forward_ad(torch, importlib.import_module("torch.autograd.gradcheck").GradcheckError,
                      x, y)


@pytest.mark.parametrize("case", ["transposed_tangent", "transposed_primal", "sliced_primal",
                                  "same_layout", "tangent_requires_grad"])
def test_tangent_takes_the_primal_layout_as_pytorch(torch, case):
    """``make_dual`` stores a tangent whose strides differ from the primal's as a copy with
    the primal's strides (the same object when they agree), differentiably."""
    p = RNG.standard_normal((4, 6))
    t = RNG.standard_normal((6, 4))
    res = []
    for lib in (ember, torch):
        fwAD = lib.autograd.forward_ad
        primal, tangent = lib.tensor(p), lib.tensor(t, requires_grad=case.endswith("grad"))
        pairs = {"transposed_tangent": (primal, tangent.T), "transposed_primal": (primal.T, tangent),
                 "sliced_primal": (primal[::2, :3], tangent[:2, :3]),
                 "same_layout": (primal, tangent.T.contiguous()),
                 "tangent_requires_grad": (primal, tangent.T)}
        a, b = pairs[case]
        with fwAD.dual_level():
            got = fwAD.unpack_dual(fwAD.make_dual(a, b)).tangent
            res.append((got.stride(), got is b, got.tolist(), type(got.grad_fn).__name__))
    assert res[0] == res[1]
