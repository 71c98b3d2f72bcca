"""torch.autograd.functional and torch.func, second pass (fuzzed against PyTorch): the steps
and strict-mode checks of jacobian/hessian/vjp/jvp/hvp/vhp in PyTorch's order, outputs that
do not require grad, vectorized and forward-mode Jacobians (containers, requires_grad),
hessian of a one-element output, jacfwd of integer outputs, which Jacobian entries stay on an
outer graph, and the names vmap's messages give to transformed functions."""

import random

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _plain(x):
    """A comparable form: tensors by dtype, shape, requires_grad, whether they have a
    grad_fn, and values; containers by type; errors by type and text."""
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.requires_grad,
                x.grad_fn is not None, x.detach().numpy())
    if isinstance(x, (tuple, list)):
        return type(x).__name__, [_plain(a) for a in x]
    if isinstance(x, dict):
        return "dict", {k: _plain(v) for k, v in x.items()}
    return x


def _outcome(program, lib):
    try:
        return "ok", _plain(program(lib))
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return "err", type(e).__name__, str(e).replace("torch.", "ember.")


def _same(a, b, tol):
    if isinstance(a, tuple) and a and a[0] == "T":
        assert isinstance(b, tuple) and b[0] == "T" and a[1:5] == b[1:5], (a[:5], b[:5])
        np.testing.assert_allclose(b[5], a[5], rtol=tol, atol=tol)
    elif isinstance(a, tuple) and len(a) == 2 and a[0] in ("tuple", "list", "ok"):
        assert isinstance(b, tuple) and b[0] == a[0], (a, b)
        if a[0] == "ok":
            _same(a[1], b[1], tol)
            return
        assert len(a[1]) == len(b[1]), (a, b)
        for x, y in zip(a[1], b[1]):
            _same(x, y, tol)
    elif isinstance(a, tuple) and len(a) == 2 and a[0] == "dict":
        assert list(a[1]) == list(b[1])
        for k in a[1]:
            _same(a[1][k], b[1][k], tol)
    else:
        assert a == b


def check(program, tol=1e-12):
    _same(_outcome(program, torch), _outcome(program, ember), tol)


X = np.random.default_rng(24).standard_normal(3)
Y = np.random.default_rng(25).standard_normal(3)


def _xy(L, rg=False):
    return (L.tensor(X, requires_grad=rg), L.tensor(Y, requires_grad=rg))


# --- torch.autograd.functional ------------------------------------------------------------

AF_CASES = {
    # an output cut from the graph: zeros, no error (PyTorch skips it in autograd.grad)
    "hessian_detached": lambda L: L.autograd.functional.hessian(
        lambda x: (x.detach() ** 2).sum(), _xy(L)[0]),
    "hessian_detached_vec": lambda L: L.autograd.functional.hessian(
        lambda x: (x.detach() ** 2).sum(), _xy(L)[0], vectorize=True),
    "jacobian_detached_tuple": lambda L: L.autograd.functional.jacobian(
        lambda x, y: (x.detach() * 2, y.sin()), _xy(L)),
    # a one-element output of shape (1,) is squeezed before the Hessian
    "hessian_one_element": lambda L: L.autograd.functional.hessian(
        lambda x: (x ** 3).sum().reshape(1), _xy(L)[0]),
    "hessian_one_element_tuple": lambda L: L.autograd.functional.hessian(
        lambda x, y: (x * y).sum().reshape(1, 1), _xy(L)),
    # size-0 outputs: the per-element loop stacks nothing, the vectorized one reads batch 0
    "jacobian_empty_output": lambda L: L.autograd.functional.jacobian(
        lambda x: x[:0] * 2, _xy(L)[0]),
    "jacobian_empty_output_vec": lambda L: L.autograd.functional.jacobian(
        lambda x: x[:0] * 2, _xy(L)[0], vectorize=True),
    "jacobian_empty_nograd_vec": lambda L: L.autograd.functional.jacobian(
        lambda x: x[:0].detach(), _xy(L)[0], vectorize=True),
    # strict mode: which check fires first, with which words
    "jvp_strict_create_graph_linear": lambda L: L.autograd.functional.jvp(
        lambda x, y: x.sum() + y.sum(), _xy(L), _xy(L), create_graph=True, strict=True),
    "hvp_strict_create_graph_quadratic": lambda L: L.autograd.functional.hvp(
        lambda x: (x * x).sum(), _xy(L)[0], _xy(L)[1], create_graph=True, strict=True),
    "vhp_strict_create_graph_quadratic": lambda L: L.autograd.functional.vhp(
        lambda x: (x * x).sum(), _xy(L)[0], _xy(L)[1], create_graph=True, strict=True),
    "hvp_strict_independent": lambda L: L.autograd.functional.hvp(
        lambda x, y: (x ** 3).sum(), _xy(L), _xy(L), strict=True),
    "jvp_strict_independent_output": lambda L: L.autograd.functional.jvp(
        lambda x, y: (x * 2, L.ones(3)), _xy(L), _xy(L), strict=True),
    "jvp_strict_grad_inputs": lambda L: L.autograd.functional.jvp(
        lambda x, y: (x ** 2).sum(), _xy(L), _xy(L), strict=True),
    "jacobian_strict_vectorize_output_first": lambda L: L.autograd.functional.jacobian(
        lambda x: x.detach(), _xy(L)[0], strict=True, vectorize=True),
    "hessian_strict_vectorize_jacobian_first": lambda L: L.autograd.functional.hessian(
        lambda x, y: (x * 0 + y).sum(), _xy(L), strict=True, vectorize=True),
    "hessian_strict_vectorize_single_output": lambda L: L.autograd.functional.hessian(
        lambda x, y: (x, y), _xy(L), strict=True, vectorize=True),
    "jacobian_strict_create_graph_linear": lambda L: L.autograd.functional.jacobian(
        lambda x: x * 2, _xy(L)[0], strict=True, create_graph=True),
    # forward-mode: lists for tuples of inputs, results on the graph where PyTorch's are
    "jacobian_forward_tuple": lambda L: L.autograd.functional.jacobian(
        lambda x, y: (x * y, y.exp()), _xy(L), vectorize=True, strategy="forward-mode"),
    "jacobian_forward_requires_grad": lambda L: L.autograd.functional.jacobian(
        lambda x: x.sin(), _xy(L, True)[0], vectorize=True, strategy="forward-mode"),
    "jacobian_forward_plain": lambda L: L.autograd.functional.jacobian(
        lambda x: x.sin(), _xy(L)[0], vectorize=True, strategy="forward-mode"),
    "hessian_forward": lambda L: L.autograd.functional.hessian(
        lambda x, y: (x * y).sum() + (x ** 3).sum(), _xy(L), vectorize=True,
        outer_jacobian_strategy="forward-mode"),
    "hessian_forward_requires_grad": lambda L: L.autograd.functional.hessian(
        lambda x, y: (x * y).sum() + (x ** 3).sum(), _xy(L, True), vectorize=True,
        outer_jacobian_strategy="forward-mode"),
    "hessian_forward_linear_part": lambda L: L.autograd.functional.hessian(
        lambda x, y: (x ** 2).sum() + y.sum(), _xy(L), vectorize=True,
        outer_jacobian_strategy="forward-mode"),
    "hessian_forward_not_vectorized": lambda L: L.autograd.functional.hessian(
        lambda x: (x ** 2).sum(), _xy(L)[0], outer_jacobian_strategy="forward-mode"),
    "hessian_forward_strict": lambda L: L.autograd.functional.hessian(
        lambda x: (x ** 2).sum(), _xy(L)[0], strict=True, vectorize=True,
        outer_jacobian_strategy="forward-mode"),
    "hessian_forward_create_graph": lambda L: L.autograd.functional.hessian(
        lambda x: (x ** 2).sum(), _xy(L)[0], create_graph=True, vectorize=True,
        outer_jacobian_strategy="forward-mode"),
    # create_graph keeps inputs that require grad on the graph
    "vjp_create_graph_requires_grad": lambda L: L.autograd.functional.vjp(
        lambda x: x.exp(), _xy(L, True)[0], _xy(L)[1], create_graph=True),
    "hvp_create_graph": lambda L: L.autograd.functional.hvp(
        lambda x, y: (x ** 2 * y).sum(), _xy(L, True), _xy(L), create_graph=True),
}


@pytest.mark.parametrize("name", sorted(AF_CASES))
def test_autograd_functional_cases(name):
    check(AF_CASES[name])


def test_grad_with_empty_batched_grad_outputs_is_an_index_error():
    def program(L):
        x = L.ones(3, requires_grad=True)
        return L.autograd.grad(x * 2, x, L.zeros(0, 3), is_grads_batched=True)

    check(program)


# --- torch.func -----------------------------------------------------------------------------

FUNC_CASES = {
    # vmap's messages name the function under grad/jacrev/jacfwd (functools.wraps)
    "vmap_grad_name": lambda L: L.func.vmap(
        L.func.grad(lambda a, b: (a * b).sum()), in_dims=(1, 0))(*_xy(L)),
    "vmap_jacrev_name": lambda L: L.func.vmap(
        L.func.jacrev(lambda a: a.sin()), in_dims=0)(L.tensor(1.0)),
    "grad_name": lambda L: L.func.grad(_named_loss).__name__,
    "jacfwd_name": lambda L: L.func.jacfwd(_named_loss).__name__,
    "hessian_name": lambda L: L.func.hessian(_named_loss).__name__,
    # jacfwd of integer/bool outputs: zeros in the output's dtype
    "jacfwd_int": lambda L: L.func.jacfwd(lambda x, y: (x > 0).long() * 3, argnums=(0, 1))(
        *_xy(L)),
    "jacfwd_bool": lambda L: L.func.jacfwd(lambda x: x > 0)(_xy(L)[0]),
    "jacfwd_int_aux": lambda L: L.func.jacfwd(lambda x: ((x > 0).sum(), x.sin()),
                                              has_aux=True)(_xy(L)[0]),
    "jacfwd_non_tensor": lambda L: L.func.jacfwd(lambda x: 3.0)(_xy(L)[0]),
    "jacfwd_mixed_dtypes": lambda L: L.func.jacfwd(lambda x: (x.float() * 2, L.ones(2)))(
        _xy(L)[0]),
    "jacrev_mixed_dtypes": lambda L: L.func.jacrev(lambda x: (x.float() * 2, L.ones(2)))(
        _xy(L)[0]),
    # PyTorch's jacfwd leaves an argument named by a negative argnum plain: zeros
    "jacfwd_negative_argnum": lambda L: L.func.jacfwd(lambda x, y: x * y, argnums=-1)(
        *_xy(L)),
    "jacfwd_negative_in_tuple": lambda L: L.func.jacfwd(
        lambda x, y: (x * y, y.exp()), argnums=(0, -1))(*_xy(L)),
    "hessian_negative_argnum": lambda L: L.func.hessian(
        lambda x, y: (x * y ** 2).sum(), argnums=-1)(*_xy(L)),
    "jacrev_negative_argnum": lambda L: L.func.jacrev(lambda x, y: x * y, argnums=-1)(
        *_xy(L)),
    "jacrev_int": lambda L: L.func.jacrev(lambda x: (x > 0).sum())(_xy(L)[0]),
    # inputs on an outer graph: all of an input's (jacrev) / output's (jacfwd) Jacobians are
    # views of one tensor, on the graph together
    "jacrev_outer_graph": lambda L: L.func.jacrev(
        lambda x, y: (x * y, x.cos(), y.sum()), argnums=(0, 1))(*_xy(L, True)),
    "jacfwd_outer_graph": lambda L: L.func.jacfwd(
        lambda x, y: (x * y, x.cos()), argnums=(0, 1))(*_xy(L, True)),
    "jacrev_outer_graph_one_arg": lambda L: L.func.jacrev(
        lambda x, y: (x * y, x.cos(), y.sum()))(*_xy(L, True)),
    "hessian_outer_graph": lambda L: L.func.hessian(
        lambda x, y: (x * x * y).sum() + y.sum(), argnums=(0, 1))(*_xy(L, True)),
    "jacrev_outer_graph_linear": lambda L: L.func.jacrev(lambda x: x * 2)(_xy(L, True)[0]),
}


def _named_loss(x):
    return (x ** 2).sum()


@pytest.mark.parametrize("name", sorted(FUNC_CASES))
def test_func_cases(name):
    check(FUNC_CASES[name])


def test_jacrev_entries_share_a_view_grad_fn():
    """The grad_fn PyTorch shows for a Jacobian handed out as a view."""
    def program(L):
        x, y = _xy(L, True)
        jac = L.func.jacrev(lambda a, b: (a * b, a.cos()), argnums=(0, 1))(x, y)
        return [[type(j.grad_fn).__name__ for j in row] for row in jac]

    check(program)


# --- forward AD ---------------------------------------------------------------------------

def _dual_program(op, tangent_requires_grad):
    def program(L):
        F = L.autograd.forward_ad
        x = L.tensor(X.reshape(3, 1) * Y)
        t = L.tensor(Y.reshape(3, 1) * X, requires_grad=tangent_requires_grad)
        with F.dual_level():
            d = F.make_dual(x.t(), t.t())
            p, tangent = F.unpack_dual(op(d))
            return p, tangent, F.unpack_dual(d).primal
    return program


@pytest.mark.parametrize("op", ["sin", "sum", "exp_slice"])
def test_tangent_that_requires_grad_leaves_the_primals_off_the_graph(op):
    fn = {"sin": lambda d: d.sin() * d, "sum": lambda d: d.sum(),
          "exp_slice": lambda d: d[:, 1:].exp()}[op]
    check(_dual_program(fn, True))


# --- a seeded fuzz over torch.autograd.functional -------------------------------------------

def _fuzz_fn(k, L):
    return [
        lambda x: (x ** 2).sum() * x.sin().sum(),
        lambda x: x.exp() * 2,
        lambda x, y: (x * y).sum() + (x ** 3).sum(),
        lambda x, y: (x.sin() * y, x.cos() + y),
        lambda x, y: (x * 2, L.ones(3)),
        lambda x, y: x ** 2,
        lambda x: x.sum() * 3,
        lambda x: x.detach() * 2,
        lambda x, y: (x.sum() + y.sum()) * 1.0,
        lambda x: (x.sum(),),
    ][k]


_ARITY = [1, 1, 2, 2, 2, 2, 1, 1, 2, 1]


def _fuzz_case(rng):
    k = rng.randrange(len(_ARITY))
    api = rng.choice(["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"])
    shape = (3,) if k == 4 else rng.choice([(), (1,), (3,), (2, 3)])
    arrs = [np.random.default_rng(rng.randrange(1000)).standard_normal(shape)
            for _ in range(_ARITY[k])]
    kw = {}
    for key in ("create_graph", "strict"):
        if rng.random() < 0.4:
            kw[key] = True
    if api in ("jacobian", "hessian") and rng.random() < 0.4:
        kw["vectorize"] = True
        if rng.random() < 0.4:
            kw["strategy" if api == "jacobian" else "outer_jacobian_strategy"] = "forward-mode"
    return k, api, arrs, kw, _ARITY[k] > 1 or rng.random() < 0.3, rng.random() < 0.3


def _fuzz_program(case):
    k, api, arrs, kw, tup, rg = case

    def program(L):
        fn = _fuzz_fn(k, L)
        xs = tuple(L.tensor(a, requires_grad=rg) for a in arrs)
        inputs = xs if tup else xs[0]
        AF = L.autograd.functional
        if api in ("jacobian", "hessian"):
            return getattr(AF, api)(fn, inputs, **kw)
        if api == "vjp":
            with L.no_grad():
                out = fn(*xs)
            v = (tuple(L.ones_like(o) * 0.5 for o in out) if isinstance(out, tuple)
                 else L.ones_like(out) * 0.5)
        else:
            vs = tuple(L.tensor(a * 0.7 + 0.1) for a in arrs)
            v = vs if tup else vs[0]
        return getattr(AF, api)(fn, inputs, v, **kw)

    return program


def test_fuzz_autograd_functional():
    rng = random.Random(2424)
    for _ in range(150):
        case = _fuzz_case(rng)
        try:
            check(_fuzz_program(case), 1e-10)
        except AssertionError as e:
            raise AssertionError(f"case {case[:2]} {case[3:]}: {e}") from None
