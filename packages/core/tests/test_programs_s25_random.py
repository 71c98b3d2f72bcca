"""Seeded randomness against PyTorch (session 25, lane S): differences found by running whole
programs under PyTorch and Ember and diffing what they print.

Each test runs the same code with ``torch`` and with ``ember`` as ``T`` under the same seed and
compares the values drawn, the graph nodes, and for failures the exception type and message
(PyTorch's text with ``torch`` written ``ember``).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import ember


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _outcome(T, code: str, seed: int = 0):
    """What ``code`` (an expression in ``T``) gives: its values, or its exception."""
    T.manual_seed(seed)
    try:
        r = eval(code, {"T": T, "np": np})
    except Exception as e:  # noqa: BLE001  (the type and message are compared)
        return "err", type(e).__name__, str(e).replace("torch", "ember")
    if hasattr(r, "detach"):
        return "ok", str(r.dtype).split(".")[-1], np.array(r.detach().float().numpy()).tolist()
    return "ok", r


def _check(torch, code: str, seed: int = 0) -> None:
    want, got = _outcome(torch, code, seed), _outcome(ember, code, seed)
    assert want == got, (code, want, got)


@pytest.mark.parametrize("code", [
    "T.empty(3).geometric_(0)", "T.empty(3).geometric_(1)", "T.empty(3).geometric_(-1)",
    "T.empty(3).geometric_(2.5e10)", "T.empty(3).cauchy_(0, -1)", "T.empty(3).cauchy_(0, -0.0)",
    "T.empty(3).cauchy_(0, -0.1234567)", "T.empty(3).bernoulli_(-1)",
    "T.empty(3).bernoulli_(123456789.0)", "T.bernoulli(T.zeros(3), 2)",
])
def test_sampler_parameter_errors_print_the_double_as_cpp_streams_do(torch, code):
    _check(torch, code)


@pytest.mark.parametrize("code", [
    "T.randint(3.5, (2,))", "T.randint(3.0, (2,))", "T.randint(0, 3.0, (2,))",
    "T.randint(0.0, 3, (2,))", "T.randint(np.float64(3), (2,))", "T.randint(T.tensor(3.), (2,))",
    "T.randint(True, (2,))", "T.randint(None, (2,))", "T.randint(10)", "T.randint(1, 10)",
    "T.randint(3, 2)", "T.randint(0, 3, (2,), 7)", "T.randint(0, 3, (2,), generator=5)",
    "T.randint(3, size=(2,), low=1)", "T.randint(0, 3.5, size=(2,))",
    "T.randint(high=3.5, size=(2,))",
    # the accepted spellings still draw PyTorch's numbers
    "T.randint(np.int64(3), (4,))", "T.randint(T.tensor(3), (4,))",
    "T.randint(T.tensor([3], dtype=T.uint8), (4,))", "T.randint(3, size=(4,))",
    "T.randint(low=1, high=4, size=(4,))", "T.randint(high=4, size=(2, 2))", "T.randint(3, [])",
])
def test_randint_parses_its_arguments_as_pytorch(torch, code):
    _check(torch, code)


@pytest.mark.parametrize("code", [
    "T.rand(3, generator=3)", "T.randn(2, 3, generator='g')", "T.randperm(5, generator=3)",
    "T.rand(3, names=('a',))", "T.randn(3, names=('a',))", "T.rand(3, foo=1)",
])
def test_arguments_the_parser_refuses_in_rand_randn_randperm(torch, code):
    _check(torch, code)


def test_graphsafe_states_are_refused_on_a_cpu_generator(torch):
    for T in (torch, ember):
        g = T.Generator().manual_seed(3)
        with pytest.raises(NotImplementedError, match="is not supported in this Generator"):
            g.graphsafe_get_state()
        with pytest.raises(NotImplementedError, match="is not supported in this Generator"):
            g.graphsafe_set_state(g.clone_state())
    _check(torch, "T.Generator().graphsafe_get_state()")


def _node(T, code: str):
    T.manual_seed(0)
    p = T.full((3,), 0.5, requires_grad=True)
    x = T.ones(3, requires_grad=True)
    r = eval(code, {"T": T, "p": p, "x": x})
    name = r.grad_fn.name() if r.grad_fn is not None else None
    r.sum().backward()
    grads = [None if t.grad is None else t.grad.tolist() for t in (p, x)]
    return name, r.tolist(), grads, T.rand(2).tolist()


@pytest.mark.parametrize("code", [
    "T.bernoulli(p)", "(x * 1).bernoulli_(0.3)", "(x * 1).bernoulli_(T.rand(3))",
    "T.zeros(3).bernoulli_(p)", "(x * 1).bernoulli_(p)", "(x * 1).log_normal_()",
    "(x * 1).random_(0, 3)", "(x * 1).random_(3)", "(x * 1).random_()", "(x * 1).random_(to=3)",
    "(x * 1).random_(2, to=5)", "(x * 1).random_(1, None)",
    "(x * 1).random_(**{'from': 1, 'to': 3})",
])
def test_random_fills_record_pytorchs_graph_nodes(torch, code):
    assert _node(torch, code) == _node(ember, code)


@pytest.mark.parametrize("fill", ["uniform_()", "normal_()", "bernoulli_(0.5)",
                                  "exponential_()", "random_(0, 5)"])
def test_a_refused_in_place_fill_of_a_leaf_draws_nothing(torch, fill):
    def run(T):
        T.manual_seed(0)
        x = T.ones(4, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            eval(f"x.{fill}", {"x": x})
        return T.rand(3).tolist()

    assert run(torch) == run(ember)


@pytest.mark.parametrize("code", [
    "T.multinomial(T.ones(2**24 + 1), 1)",
    "T.multinomial(T.ones(3), 0, out=T.empty(0, dtype=T.int32))",
    "T.multinomial(T.ones(3), 0)",
])
def test_multinomial_refusals_in_pytorchs_order(torch, code):
    _check(torch, code)


def test_bernoulli_with_a_probability_tensor_that_does_not_expand(torch):
    _check(torch, "T.empty(3, 4).bernoulli_(T.rand(5))")
    _check(torch, "T.empty(3, 4).bernoulli_(T.rand(3, 1))")
    for T in (torch, ember):  # the other expand message names the tensor type: type only
        with pytest.raises(RuntimeError, match="the number of sizes provided"):
            T.empty(3, 4).bernoulli_(T.rand(2, 3, 4))


@pytest.mark.parametrize("code", [
    "T.normal(0, 1)", "T.normal(0., 1.)", "T.normal(0., 1., (3,))", "T.normal(0, 1, [2, 2])",
])
def test_normal_of_two_numbers_needs_a_size_tuple(torch, code):
    _check(torch, code)
    for T in (torch, ember):
        with pytest.raises(TypeError, match="invalid combination of arguments"):
            T.normal(0., 1., size=3)


_PROGRAM = """
import torch
import torch.nn.functional as F
torch.manual_seed(0)
x = torch.ones(4, requires_grad=True)
def show(name, t):
    print(name, t, t.grad_fn.__class__.__name__ if t.grad_fn is not None else None)
show("dropout", F.dropout(x, 0.5))
m = torch.zeros(3, requires_grad=True)
s = torch.ones(3, requires_grad=True)
show("normal_tt", torch.normal(m, s))
p = torch.full((3,), 0.5, requires_grad=True)
show("bernoulli", torch.bernoulli(p))
w = x + 0
show("bernoulli_", w.bernoulli_(0.5))
try:
    x.uniform_()
except Exception as e:
    print(type(e).__name__, e)
show("rrelu", F.rrelu(x - 2, training=True))
show("poisson", torch.poisson(torch.ones(3, requires_grad=True)))
show("mult", torch.multinomial(p, 2))
show("rand_like_rg", torch.rand_like(x, requires_grad=True))
try:
    torch.multinomial(torch.ones(2**24 + 1), 1)
except Exception as e:
    print(type(e).__name__, e)
print(torch.multinomial(torch.rand(4, 7) ** 3, 7))
"""


def _printed(program: str, module) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(program.replace("import torch.nn.functional as F", "F = torch.nn.functional")
             .replace("import torch\n", ""), {"torch": module})
    return buf.getvalue().replace("torch", "ember")


def test_a_program_drawing_through_graph_nodes_and_refusals_prints_as_pytorch(torch):
    pytest.importorskip("ember.nn")
    assert _printed(_PROGRAM, torch) == _printed(_PROGRAM, ember)


@pytest.mark.parametrize("code", [
    "[T.poisson(T.tensor([float('inf'), 3., float('inf'), 40.])), T.rand(2)]",
    "[T.poisson(T.tensor([float('inf')] * 5, dtype=T.float64)), T.rand(2)]",
])
def test_poisson_of_an_infinite_rate_casts_as_pytorchs_kernel(torch, code):
    def run(T):
        T.manual_seed(0)
        return [t.tolist() for t in eval(code, {"T": T})]

    assert run(torch) == run(ember)


@pytest.mark.parametrize("code", [
    "T.multinomial(T.tensor([[1., 1.], [0., 0.]]), 3, True)",
    "T.multinomial(T.tensor([[1., 1.], [1., 2.], [1., -1.]]), 3, True)",
    "T.multinomial(T.tensor([[1., 1.], [float('inf'), 1.]]), 2, True)",
    "T.bernoulli(T.tensor([0.5, 0.2, 1.5]))",
    "T.bernoulli(T.tensor([0.5, float('nan')], dtype=T.float64))",
    "T.empty(2, 3).bernoulli_(T.tensor([0.5, 2., 0.5]))",
    "T.empty(3, 2).t().bernoulli_(T.tensor([[0.5, 0.1, 0.2], [0.3, -1., 0.5]]))",
    "T.poisson(T.tensor([1., 30., -1.]))",
    "T.ones(3).expand(2, 3).normal_()", "T.ones(3).expand(2, 3).uniform_()",
    "T.ones(3).expand(2, 3).bernoulli_(0.5)",
])
def test_a_refused_draw_advances_the_stream_as_far_as_pytorchs_kernel(torch, code):
    def run(T):
        T.manual_seed(0)
        try:
            eval(code, {"T": T})
        except RuntimeError as e:
            return str(e), T.rand(3).tolist()
        raise AssertionError(code)

    assert run(torch) == run(ember)
