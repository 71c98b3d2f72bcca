"""User programs run with ``torch`` and with ``ember``: differentiable optimizer steps
(meta-learning through SGD/Adam), L-BFGS iterates and the learning-rate checks."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest

import ember
import ember.optim


def _meta_program(lib, name: str, kw: dict, dtype: str, lr_tensor: bool, steps: int = 7):
    """Inner steps of a differentiable optimizer on ``w = w0.clone()`` with gradients taken
    with ``create_graph=True``; then an outer loss differentiated back to ``w0`` (and lr)."""
    rng = np.random.default_rng(3)
    w0 = lib.tensor(rng.standard_normal((3, 2)).astype(dtype), requires_grad=True)
    x = lib.tensor(rng.standard_normal((5, 3)).astype(dtype))
    y = lib.tensor(rng.standard_normal((5, 2)).astype(dtype))
    w = w0.clone()
    lr = lib.tensor(0.05, dtype=getattr(lib, dtype), requires_grad=True) if lr_tensor else 0.05
    opt = getattr(lib.optim, name)([w], lr=lr, differentiable=True, **kw)
    names = []
    for _ in range(steps):
        loss = ((x @ w - y) ** 2).mean()
        w.grad = lib.autograd.grad(loss, w, create_graph=True)[0]
        opt.step()
        names.append(w.grad_fn.name())
    outer = ((x @ w) ** 2).sum()
    grads = lib.autograd.grad(outer, [w0, lr] if lr_tensor else [w0])
    state = {k: (v.grad_fn.name() if v.grad_fn is not None else None, v.detach().numpy().copy())
             for k, v in opt.state[w].items()}
    return w.detach().numpy().copy(), names, [g.numpy().copy() for g in grads], state


META = [
    ("SGD", {}, True),
    ("SGD", dict(momentum=0.9), False),
    ("SGD", dict(momentum=0.9), True),  # PyTorch's in-place update breaks its own graph
    ("SGD", dict(momentum=0.9, nesterov=True, weight_decay=0.1), True),
    ("SGD", dict(momentum=0.5, dampening=0.3, maximize=True), False),
    ("Adam", {}, False),
    ("Adam", dict(amsgrad=True, weight_decay=0.1), False),  # the same error
    ("Adam", dict(betas=(0.5, 0.7), eps=1e-3, amsgrad=True), False),
    ("AdamW", dict(betas=(0.5, 0.7), eps=1e-2, weight_decay=0.1, maximize=True), False),
    ("RMSprop", {}, False),
    ("RMSprop", dict(centered=True, momentum=0.5, weight_decay=0.1, maximize=True), False),
    ("Adagrad", dict(lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1), False),
    ("Adagrad", dict(maximize=True), False),
    ("Adamax", dict(weight_decay=0.1, maximize=True, betas=(0.5, 0.8)), False),
    ("Adadelta", dict(rho=0.5, weight_decay=0.1, maximize=True), False),
    ("NAdam", dict(weight_decay=0.1, maximize=True, momentum_decay=0.01), False),
    ("NAdam", dict(weight_decay=0.1, decoupled_weight_decay=True), False),
    ("RAdam", dict(weight_decay=0.1, maximize=True, betas=(0.5, 0.8)), False),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True), False),
    ("ASGD", dict(t0=1, lambd=0.01, alpha=0.5, weight_decay=0.1, maximize=True), False),
    ("Rprop", dict(maximize=True, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2)), False),
    # an lr that requires grad: a meta-gradient for it, or PyTorch's errors
    ("Adam", dict(weight_decay=0.1, decoupled_weight_decay=True), True),
    ("NAdam", dict(momentum_decay=0.01), True),
    ("RAdam", dict(weight_decay=0.1, decoupled_weight_decay=True), True),
    ("ASGD", {}, True),
    ("RMSprop", dict(momentum=0.5), True),
    ("Adagrad", {}, True),
    ("Adamax", {}, True),
    ("Adadelta", {}, True),
]


@contextlib.contextmanager
def _float64_default(torch):
    """float64 default dtype in both libraries: the optimizers' ``step`` is float64 then."""
    before = torch.get_default_dtype(), ember.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(before[0])
        ember.set_default_dtype(before[1])


def _outcome(lib, *args):
    try:
        return _meta_program(lib, *args)
    except (RuntimeError, TypeError) as e:
        return type(e), str(e) if isinstance(e, TypeError) else None


@pytest.mark.parametrize("name,kw,lr_tensor", META)
def test_differentiable_step_records_the_update_as_pytorch(torch, name, kw, lr_tensor):
    """float64 steps (PyTorch's float32 ``sqrt`` is not correctly rounded, NumPy's is)."""
    with _float64_default(torch):
        t = _outcome(torch, name, kw, "float64", lr_tensor)
        e = _outcome(ember, name, kw, "float64", lr_tensor)
    if not isinstance(t[0], np.ndarray):
        assert e == t
        return
    np.testing.assert_allclose(e[0], t[0], rtol=1e-12, atol=1e-14)
    assert e[1] == t[1]  # grad_fn of the parameter after each step
    for ge, gt in zip(e[2], t[2]):
        np.testing.assert_allclose(ge, gt, rtol=1e-10, atol=1e-12)
    assert list(e[3]) == list(t[3])
    for k in t[3]:
        assert e[3][k][0] == t[3][k][0], k
        np.testing.assert_allclose(e[3][k][1], t[3][k][1], rtol=1e-12, atol=1e-14)


ONE_STEP = [
    ("Adamax", dict(weight_decay=0.1, maximize=True), False),
    ("Rprop", dict(maximize=True), False),
    ("RMSprop", dict(centered=True, momentum=0.5), False),
    ("Adam", dict(amsgrad=True, weight_decay=0.1), False),
    ("NAdam", {}, True),
]


@pytest.mark.parametrize("name,kw,lr_tensor", ONE_STEP)
def test_differentiable_single_step_as_pytorch(torch, name, kw, lr_tensor):
    """Steps whose second in-place update breaks PyTorch's own graph: one step of each."""
    with _float64_default(torch):
        t = _meta_program(torch, name, kw, "float64", lr_tensor, steps=1)
        e = _meta_program(ember, name, kw, "float64", lr_tensor, steps=1)
    np.testing.assert_allclose(e[0], t[0], rtol=1e-12, atol=1e-14)
    assert e[1] == t[1]
    for ge, gt in zip(e[2], t[2]):
        np.testing.assert_allclose(ge, gt, rtol=1e-10, atol=1e-12)


def test_differentiable_adam_raises_beta_to_the_float32_step(torch):
    """PyTorch's differentiable Adam computes ``1 - beta1 ** step`` in float32 (the step's
    dtype); ``beta2 = 0`` keeps its float32 ``sqrt`` out of the comparison."""
    def run(lib):
        w = lib.tensor(np.linspace(-1, 1, 7), dtype=lib.float64)
        opt = lib.optim.Adam([w], lr=0.1, betas=(0.9, 0.0), differentiable=True)
        for k in range(8):
            w.grad = lib.tensor(np.cos(np.arange(7.0) + k))
            opt.step()
        return w.numpy().copy()
    np.testing.assert_allclose(run(ember), run(torch), rtol=1e-15, atol=0)


def _rosenbrock_lbfgs(lib, dtype: str, max_iter: int, history_size: int, steps: int = 3):
    p = lib.tensor(np.array([-1.5, 2.0], dtype=dtype), requires_grad=True)
    opt = lib.optim.LBFGS([p], lr=1, max_iter=max_iter, history_size=history_size)

    def closure():
        opt.zero_grad()
        loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        loss.backward()
        return loss

    out = []
    for _ in range(steps):
        loss = opt.step(closure)
        st = opt.state_dict()["state"][0]
        out.append((p.detach().numpy().tolist(), loss.item(), st["n_iter"], st["func_evals"]))
    return out


@pytest.mark.parametrize("max_iter,history_size", [(20, 100), (5, 3)])
def test_lbfgs_float32_iterates_bit_for_bit(torch, max_iter, history_size):
    """The two-loop recursion and the step ``p.add_(d, alpha=t)`` round once, as PyTorch's."""
    assert _rosenbrock_lbfgs(ember, "float32", max_iter, history_size) == \
        _rosenbrock_lbfgs(torch, "float32", max_iter, history_size)


def test_lr_tensor_that_requires_grad_is_not_converted(torch):
    import ember._tensor
    ember._tensor._warned_scalar[0] = False  # the warning is once per process
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for name in ("SGD", "Adam", "RMSprop"):
                getattr(lib.optim, name)([lib.zeros(2)], lr=lib.tensor(0.1, requires_grad=True))


@pytest.mark.parametrize("name", ["SGD", "Adam", "Adagrad"])
@pytest.mark.parametrize("lr", [float("nan"), -0.5])
def test_invalid_learning_rates_as_pytorch(torch, name, lr):
    """SGD checks ``lr < 0.0`` (NaN passes), the others ``not 0.0 <= lr``."""
    def outcome(lib):
        try:
            getattr(lib.optim, name)([lib.zeros(2)], lr=lr)
        except ValueError as e:
            return str(e)
        return None
    assert outcome(ember) == outcome(torch)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adamax", "Adadelta", "Adagrad", "ASGD",
                                  "NAdam", "RAdam", "RMSprop", "Rprop"])
def test_foreach_differentiable_step_as_pytorch(torch, name):
    """PyTorch's multi-tensor steps refuse ``differentiable`` (all but SGD's) at step time."""
    def outcome(lib):
        w0 = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        w = w0 * 1
        opt = getattr(lib.optim, name)([w], lr=0.1, foreach=True, differentiable=True)
        try:
            w.grad = lib.autograd.grad((w ** 3).sum(), w, create_graph=True)[0]
            opt.step()
        except AssertionError as e:
            return str(e)
        try:
            meta = lib.autograd.grad(w.sum(), w0)[0].numpy().tolist()
        except RuntimeError as e:  # SGD's multi-tensor step overwrites what its graph saved
            meta = type(e)
        return w.detach().numpy().tolist(), meta
    assert outcome(ember) == outcome(torch)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adagrad", dict(lr=0.1)),
                                     ("Adagrad", dict(lr=0.1, weight_decay=0.1))])
def test_differentiable_step_with_sparse_gradients(torch, name, kw):
    """A differentiable SGD/Adagrad still takes PyTorch's sparse path (or its error)."""
    def run(lib):
        w = lib.zeros(6, 2, dtype=lib.float64)
        opt = getattr(lib.optim, name)([w], differentiable=True, **kw)
        try:
            for _ in range(3):
                w.grad = lib.sparse_coo_tensor(
                    lib.tensor([[1, 3, 1]]),
                    lib.tensor([[1.0, 2.0], [3.0, 4.0], [0.5, 0.5]], dtype=lib.float64), (6, 2))
                opt.step()
        except RuntimeError as e:
            return str(e)
        state = [v.to_dense() if v.is_sparse else v for v in opt.state[w].values()]
        return [w.numpy().tolist()] + [v.numpy().tolist() for v in state]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's sparse invariant-check notice
        e, t = run(ember), run(torch)
    if isinstance(t, str):
        assert e == t
        return
    for a, b in zip(e, t, strict=True):  # the sparse updates round apart in the last bit
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
