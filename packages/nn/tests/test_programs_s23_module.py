"""Users' nn.Module API programs against PyTorch (stretch 23, lane G): what a backward hook may
return (module full hooks, their pre-hooks, graph-node hooks, the deprecated
``register_backward_hook`` and its view of ``linear``'s gradients), buffers assigned over plain
attributes, load_state_dict post-hooks, plus a seeded differential fuzz of module trees
(state_dict, named_* iteration, get_*, load_state_dict, conversion)."""

from __future__ import annotations

import copy
import random
import warnings

import numpy as np
import pytest

import ember


def _outcome(fn):
    """What a call does, spelled for both libraries: its result, or its error type and text."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return (type(e).__name__, str(e).replace("torch", "ember"))


def _both(torch, program):
    """``program(L)`` with PyTorch and with Ember: the two outcomes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _outcome(lambda: program(torch)), _outcome(lambda: program(ember))


def _grads(L, params):
    return [None if p.grad is None else p.grad.tolist() for p in params]


# --------------------------------------------------------------------- full backward hooks
RETURNS = {
    "wrong_size": lambda L, g: (L.ones(3),),
    "same_size": lambda L, g: (L.ones(1, 2),),
    "float64": lambda L, g: (L.ones(1, 2, dtype=L.float64),),
    "two": lambda L, g: (g[0], g[0]),
    "bare_tensor": lambda L, g: g[0],
    "none": lambda L, g: (None,),
    "list": lambda L, g: [g[0] * 2],
    "int": lambda L, g: (3,),
}


@pytest.mark.parametrize("pre", [False, True])
@pytest.mark.parametrize("kind", list(RETURNS))
def test_full_backward_hook_return_is_checked_as_pytorch(torch, pre, kind):
    if pre and kind == "none":
        pytest.skip("known gap: PyTorch's parameters then get no gradient, Ember's get zeros")
    def program(L):
        lin = L.nn.Linear(2, 2)
        with L.no_grad():
            lin.weight.copy_(L.tensor([[1.0, 2.0], [3.0, 4.0]]))
            lin.bias.zero_()
        if pre:
            lin.register_full_backward_pre_hook(lambda m, go: RETURNS[kind](L, go))
        else:
            lin.register_full_backward_hook(lambda m, gi, go: RETURNS[kind](L, gi))
        x = L.ones(1, 2, requires_grad=True)
        lin(x).sum().backward()
        return None if x.grad is None else x.grad.tolist(), _grads(L, lin.parameters())

    t, e = _both(torch, program)
    assert e == t


NODE_RETURNS = {
    "wrong_size": lambda L, g: (L.ones(3),),
    "float64": lambda L, g: (L.ones(2, dtype=L.float64),),
    "int": lambda L, g: (3,),
    "bare_tensor": lambda L, g: g[0],
    "two": lambda L, g: (g[0], g[0]),
    "list": lambda L, g: [g[0]],
    "none": lambda L, g: (None,),
    "scaled": lambda L, g: (g[0] * 3,),
}


@pytest.mark.parametrize("kind", list(NODE_RETURNS))
def test_grad_fn_prehook_return_is_checked_as_pytorch(torch, kind):
    def program(L):
        x = L.ones(2, requires_grad=True)
        y = (x * 2).exp()

        def hook(grads):
            return NODE_RETURNS[kind](L, grads)

        y.grad_fn.register_prehook(hook)
        y.sum().backward()
        return None if x.grad is None else x.grad.tolist()

    t, e = _both(torch, program)
    assert e == t


@pytest.mark.parametrize("kind", ["bare_tensor", "list"])
def test_grad_fn_post_hook_must_return_a_tuple(torch, kind):
    def program(L):
        x = L.ones(2, requires_grad=True)
        y = x.exp()
        y.grad_fn.register_hook(lambda gi, go: NODE_RETURNS[kind](L, gi))
        y.sum().backward()
        return x.grad.tolist()

    t, e = _both(torch, program)
    assert e == t


def test_full_backward_hook_with_two_inputs_and_none_entries(torch):
    def program(L):
        class Two(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.l = L.nn.Linear(2, 2)

            def forward(self, x, y):
                return self.l(x) + y, None

        m = Two()
        log = []
        m.register_full_backward_hook(
            lambda mod, gi, go: log.append(([None if g is None else tuple(g.shape) for g in gi],
                                            [None if g is None else tuple(g.shape) for g in go])))
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0], L.ones(3)))
        out, _ = m(L.ones(1, 2, requires_grad=True), L.ones(1, 2, requires_grad=True))
        out.sum().backward()
        return log

    t, e = _both(torch, program)
    assert e == t


# --------------------------------------------------------- deprecated register_backward_hook
OLD_RETURNS = [
    None,
    lambda L, gi: tuple(None if g is None else g * 2 for g in gi),
    lambda L, gi: gi[:-1],
    lambda L, gi: tuple(None if g is None else L.ones(7) for g in gi),
    lambda L, gi: (3,) * len(gi),
    lambda L, gi: tuple(L.ones(g.shape) if g is not None else L.ones(3, 2) for g in gi),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_grad", [True, False])
@pytest.mark.parametrize("k", range(len(OLD_RETURNS)))
def test_old_backward_hook_sees_addmm_layout_of_linear(torch, bias, x_grad, k):
    """PyTorch's Linear on a batch is ``addmm``: the deprecated hook's grad_input is
    ``(bias, input, weight.t())`` (``mm``: ``(input, weight.t())``), and what it returns
    is checked against those and flows on."""
    def program(L):
        lin = L.nn.Linear(2, 3, bias=bias)
        with L.no_grad():
            lin.weight.copy_(L.tensor(np.arange(6.0).reshape(3, 2)))
            if bias:
                lin.bias.fill_(1)
        log = []

        def myhook(m, gi, go):
            log.append([None if g is None else (tuple(g.shape), g.tolist()) for g in gi])
            return OLD_RETURNS[k](L, gi) if OLD_RETURNS[k] else None

        lin.register_backward_hook(myhook)
        x = L.ones(4, 2, requires_grad=x_grad)
        lin(x).sum().backward()
        return log, _grads(L, lin.parameters()), None if x.grad is None else x.grad.tolist()

    t, e = _both(torch, program)
    assert e == t


@pytest.mark.parametrize("shape", [(2,), (5, 4, 2), (3, 1, 4, 2)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("k", range(4))
def test_old_backward_hook_sees_folded_view_of_nd_linear(torch, shape, bias, k):
    """On a 1-D or N-D input PyTorch's Linear ends in a view of the folded product: the
    deprecated hook sees one gradient, ``grad_output`` folded to rows."""
    rets = [None, lambda L, gi: (gi[0] * 2,), lambda L, gi: (L.ones(2),), lambda L, gi: (None,)]

    def program(L):
        lin = L.nn.Linear(2, 3, bias=bias)
        with L.no_grad():
            lin.weight.copy_(L.tensor(np.arange(6.0).reshape(3, 2)))
        log = []

        def h(m, gi, go):
            log.append(([None if g is None else tuple(g.shape) for g in gi],
                        [tuple(g.shape) for g in go]))
            return rets[k](L, gi) if rets[k] else None

        lin.register_backward_hook(h)
        x = L.ones(*shape, requires_grad=True)
        y = lin(x)
        y.sum().backward()
        return (y.grad_fn.name(), log, _grads(L, lin.parameters()),
                None if x.grad is None else x.grad.sum().item())

    t, e = _both(torch, program)
    assert e == t


# ------------------------------------------------------------------ registration, state dict
@pytest.mark.parametrize("name", ["plain", "weight", "sub", "buf"])
def test_buffer_assigned_over_an_attribute(torch, name):
    def program(L):
        m = L.nn.Linear(2, 2)
        m.plain = 5
        m.sub = L.nn.ReLU()
        m.register_buffer("buf", L.zeros(2))
        setattr(m, name, L.nn.Buffer(L.ones(3), persistent=False))
        return (list(m._parameters), list(m._buffers), sorted(m._non_persistent_buffers_set),
                list(m._modules), list(m.state_dict()), m.__dict__.get("plain"))

    t, e = _both(torch, program)
    assert e == t


def test_load_state_dict_post_hook_returning_a_value(torch):
    def program(L):
        m = L.nn.Linear(1, 1)
        m.register_load_state_dict_post_hook(lambda mod, keys: 5)
        return m.load_state_dict(m.state_dict())

    t, e = _both(torch, program)
    assert e == t
    assert t[0] == "AssertionError"


def test_public_state_dict_post_hook_must_return_none(torch):
    def program(L):
        lin = L.nn.Linear(1, 1)
        lin.register_state_dict_post_hook(lambda m, sd, prefix, meta: {"x": 1})
        return list(lin.state_dict())

    t, e = _both(torch, program)
    assert e == t
    assert t[0] == "RuntimeError"


def test_private_state_dict_hook_result_replaces_only_at_the_root(torch):
    def program(L):
        net = L.nn.Sequential(L.nn.Linear(1, 1))
        net[0]._register_state_dict_hook(lambda m, sd, prefix, meta: {"child": 1})
        keys = [list(net.state_dict())]
        net._register_state_dict_hook(lambda m, sd, prefix, meta: {"root": 1})
        return keys + [list(net.state_dict())]

    t, e = _both(torch, program)
    assert e == t


def test_state_dict_post_hook_registered_both_ways(torch):
    def program(L):
        def hook(m, sd, prefix, meta):
            return None

        lin = L.nn.Linear(1, 1)
        lin.register_state_dict_post_hook(hook)
        return lin._register_state_dict_hook(hook)

    t, e = _both(torch, program)
    assert e == t
    assert t[0] == "RuntimeError"


@pytest.mark.parametrize("src_shape", [(), (1,), (2,), (0,), (1, 1)])
@pytest.mark.parametrize("kind", ["param", "buffer"])
@pytest.mark.parametrize("assign", [False, True])
@pytest.mark.parametrize("src_dtype", ["float32", "float64", "int64"])
def test_load_into_a_0_dim_entry(torch, src_shape, kind, assign, src_dtype):
    """Only a one-element 1-D checkpoint entry loads into a 0-dim one (PyTorch 0.3
    compatibility); any other shape is a size mismatch."""
    def program(L):
        m = L.nn.Module()
        if kind == "param":
            m.register_parameter("w", L.nn.Parameter(L.ones(())))
        else:
            m.register_buffer("w", L.ones(()))
        n = int(np.prod(src_shape)) if src_shape else 1
        src = (L.arange(n).reshape(src_shape) + 2).to(getattr(L, src_dtype))
        result = _outcome(lambda: repr(m.load_state_dict({"w": src}, assign=assign)))
        return result, str(m.w.dtype).split(".")[-1], tuple(m.w.shape), type(m.w).__name__, m.w.tolist()

    t, e = _both(torch, program)
    assert e == t


@pytest.mark.parametrize("conv", ["float", "double", "cpu", "to32"])
def test_overwrite_params_on_conversion_makes_new_parameters(torch, conv):
    """Under ``__future__.set_overwrite_module_params_on_conversion(True)`` every conversion,
    even a no-op one (``float()`` of float32), puts new Parameter objects in the module."""
    def program(L):
        L.__future__.set_overwrite_module_params_on_conversion(True)
        try:
            m = L.nn.Linear(2, 2)
            m.weight.requires_grad_(False)
            m(L.ones(1, 2)).sum().backward()
            w0, b0, g0 = m.weight, m.bias, m.bias.grad
            {"float": m.float, "double": m.double, "cpu": m.cpu,
             "to32": lambda: m.to(L.float32)}[conv]()
            return (m.weight is w0, m.bias is b0, type(m.bias).__name__, m.weight.requires_grad,
                    m.bias.requires_grad, m.bias.grad is g0, str(m.bias.grad.dtype)[-7:])
        finally:
            L.__future__.set_overwrite_module_params_on_conversion(False)

    t, e = _both(torch, program)
    assert e == t


@pytest.mark.parametrize("ctor", ["Linear(1, 1)", "Sequential()", "ModuleList()", "ModuleDict()",
                                  "ParameterList()", "ParameterDict()", "Module()"])
def test_public_names_in_dir_of_a_module(torch, ctor):
    """``dir(model)`` lists PyTorch's public names (``T_destination`` included)."""
    def public(L):
        return sorted(d for d in dir(eval("L.nn." + ctor)) if not d.startswith("_"))

    assert public(ember) == public(torch)


# ------------------------------------------------------------------------- seeded fuzz
def _tensor(L, rng, shape, dt):
    a = np.asarray(rng.standard_normal(shape) * 3)
    return L.tensor(a.astype(np.float64)).to(getattr(L, dt))


_DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "bool",
           "complex64"]


def _build(L, rng, nprng, depth, shared):
    """A random module tree: layers, containers, shared modules and a plain Module holding
    parameters, (non-persistent) buffers of many dtypes and None entries."""
    nn = L.nn
    k = rng.randrange(11 if depth < 3 else 6)
    if k == 0:
        return nn.Linear(rng.randint(1, 3), rng.randint(1, 3), bias=rng.random() < 0.7)
    if k == 1:
        return nn.BatchNorm1d(2, affine=rng.random() < 0.7,
                              track_running_stats=rng.random() < 0.7)
    if k == 2:
        return rng.choice([nn.ReLU(), nn.Identity(), nn.Dropout(0.5)])
    if k == 3:
        return nn.Embedding(rng.randint(1, 4), 2, padding_idx=rng.choice([None, 0]))
    if k == 4:
        return nn.LayerNorm(2, elementwise_affine=rng.random() < 0.7)
    if k == 5:
        if not shared:
            shared.append(nn.Linear(2, 2))
        return shared[0]
    if k in (6, 7):
        return nn.Sequential(*[_build(L, rng, nprng, depth + 1, shared)
                               for _ in range(rng.randint(0, 3))])
    if k == 8:
        return nn.ModuleList([_build(L, rng, nprng, depth + 1, shared)
                              for _ in range(rng.randint(0, 3))])
    if k == 9:
        return nn.ModuleDict({f"m{i}": _build(L, rng, nprng, depth + 1, shared)
                              for i in range(rng.randint(0, 2))})
    m = nn.Module()
    for i in range(rng.randint(0, 4)):
        kind = rng.randrange(4)
        shape = tuple(rng.randint(0, 2) for _ in range(rng.randint(0, 2)))
        dt = rng.choice(_DTYPES)
        if kind == 0 and dt in ("float32", "float64", "float16", "bfloat16", "complex64"):
            m.register_parameter(f"p{i}", nn.Parameter(_tensor(L, nprng, shape, dt)))
        elif kind == 1:
            m.register_buffer(f"b{i}", _tensor(L, nprng, shape, dt),
                              persistent=rng.random() < 0.6)
        elif kind == 2:
            m.register_buffer(f"n{i}", None)
        else:
            m.add_module(f"c{i}", _build(L, rng, nprng, depth + 1, shared))
    return m


def _fuzz_program(L, seed):
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    L.manual_seed(0)
    m = _build(L, rng, nprng, 0, [])
    out = [repr(m)]
    sd = m.state_dict()
    out.append([(k, str(v.dtype), tuple(v.shape)) for k, v in sd.items()])
    out.append(dict(sd._metadata))
    for rd in (True, False):
        out.append([n for n, _ in m.named_parameters(prefix="p", remove_duplicate=rd)])
        out.append([n for n, _ in m.named_buffers(recurse=rd, remove_duplicate=rd)])
        out.append([n for n, _ in m.named_modules(remove_duplicate=rd)])
    names = [n for n, _ in m.named_modules()] + [n for n, _ in m.named_parameters()]
    for target in rng.sample(names + ["nope", "0.x", "weight", "training"], 3):
        out.append(_outcome(lambda t=target: type(m.get_submodule(t)).__name__))
        out.append(_outcome(lambda t=target: tuple(m.get_parameter(t).shape)))
        out.append(_outcome(lambda t=target: tuple(m.get_buffer(t).shape)))
    mut = dict(sd)
    keys = list(sd)
    if keys and rng.random() < 0.5:
        del mut[rng.choice(keys)]
    if rng.random() < 0.5:
        mut[rng.choice(["extra", "0.extra", "m0.zzz"])] = L.zeros(2)
    if keys and rng.random() < 0.3:
        mut[rng.choice(keys)] = L.zeros(7, 1)
    strict = rng.random() < 0.5
    out.append(_outcome(lambda: repr(m.load_state_dict(mut, strict=strict))))
    out.append(list(copy.deepcopy(m).state_dict()))
    conv = rng.choice(["double", "half", "float", "bfloat16"])
    getattr(m, conv)()
    out.append([(n, str(t.dtype)) for n, t in m.state_dict(keep_vars=True).items()])
    return str(out).replace("torch", "ember")


def test_seeded_module_tree_fuzz(torch):
    for seed in range(150):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = _outcome(lambda s=seed: _fuzz_program(torch, s))
            e = _outcome(lambda s=seed: _fuzz_program(ember, s))
        assert e == t, seed
