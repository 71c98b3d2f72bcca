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
