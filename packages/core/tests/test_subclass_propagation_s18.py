"""A user's Tensor subclass keeps its type through Tensor methods and operators, and each
result is an alias in the graph, as PyTorch's default __torch_function__ makes them."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

OPS = {
    "mul": lambda t, lib: t * 2,
    "radd": lambda t, lib: lib.ones(3) + t,
    "neg": lambda t, lib: -t,
    "matmul": lambda t, lib: t @ t,
    "sum": lambda t, lib: t.sum(),
    "getitem": lambda t, lib: t[1:],
    "exp": lambda t, lib: t.exp(),
    "reshape": lambda t, lib: t.reshape(3, 1),
    "max_values": lambda t, lib: t.max(0)[0],
    "sort_indices": lambda t, lib: t.sort()[1],
    "unbind": lambda t, lib: t.unbind()[0],
    "iterate": lambda t, lib: list(t)[0],
    "eq": lambda t, lib: t == t,
    "detach": lambda t, lib: t.detach(),
    "float": lambda t, lib: t.double().float(),
}


def _sub(lib):
    class MyT(lib.Tensor):
        pass

    return MyT


@pytest.mark.parametrize("name", sorted(OPS))
def test_results_keep_the_subclass(name):
    got = []
    for lib in (ember, torch):
        MyT = _sub(lib)
        t = lib.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True).as_subclass(MyT)
        out = OPS[name](t, lib)
        node = type(out.grad_fn).__name__ if out.grad_fn is not None else None
        got.append((type(out).__name__, node, type(out.max(0)).__name__ if out.ndim else None))
    assert got[0] == got[1]


def test_gradients_reach_the_leaf_through_the_aliases():
    results = []
    for lib in (ember, torch):
        MyT = _sub(lib)
        x = lib.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
        t = x.as_subclass(MyT)
        ((t * t).sum() + t.exp().mean()).backward()
        results.append(x.grad.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_in_place_methods_return_the_subclass_and_hash():
    MyT = _sub(ember)
    q = ember.ones(2).as_subclass(MyT)
    q += 1
    assert type(q) is MyT
    assert q.tolist() == [2.0, 2.0]
    assert {q: 1}[q] == 1  # defining __eq__ for the subclass kept it hashable


def test_own_subclasses_are_left_alone():
    nn = pytest.importorskip("ember.nn")
    p = nn.Parameter(ember.ones(2))
    assert type(p * 2) is ember.Tensor  # PyTorch's Parameter gives plain tensors too

    class Custom(ember.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented

        def double(self):
            return self * 2

    c = ember.ones(2).as_subclass(Custom)
    with pytest.raises(TypeError, match="unsupported operand"):  # as PyTorch: refused
        c.double()
