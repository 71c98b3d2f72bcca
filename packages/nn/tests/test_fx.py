"""ember.fx against torch.fx: the same modules traced by both give the same nodes (op, name,
target), the same graph printout and generated code, and the same values; graph edits,
Interpreter and Transformer behave alike."""

from __future__ import annotations

import operator
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ember
from ember import fx, nn
from ember.nn import functional as EF
from ember.testing import assert_close

sys.path.insert(0, str(Path(__file__).parent))
from _nn_compare import copy_state, from_torch  # noqa: E402


# ---------------------------------------------------------------------------- models
def make_mlp(lib: Any) -> Any:
    tnn, F = lib.nn, lib.nn.functional

    class MLP(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1 = tnn.Linear(12, 16)
            self.act = tnn.ReLU()
            self.fc2 = tnn.Linear(16, 5)
            self.scale = tnn.Parameter(lib.ones(5) * 0.5)

        def forward(self, x: Any) -> Any:
            x = lib.flatten(x, 1)
            h = self.act(self.fc1(x))
            h = F.dropout(h, 0.2, training=self.training)
            y = self.fc2(h) * self.scale
            return F.log_softmax(y + self.scale, dim=-1)

    return MLP()


def make_cnn(lib: Any) -> Any:
    tnn, F = lib.nn, lib.nn.functional

    class Block(tnn.Module):
        def __init__(self, c: int) -> None:
            super().__init__()
            self.conv1 = tnn.Conv2d(c, c, 3, padding=1, bias=False)
            self.bn1 = tnn.BatchNorm2d(c)
            self.conv2 = tnn.Conv2d(c, c, 3, padding=1)
            self.relu = tnn.ReLU(inplace=True)

        def forward(self, x: Any) -> Any:
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.conv2(out)
            out += x
            return self.relu(out)

    class CNN(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = tnn.Sequential(tnn.Conv2d(3, 8, 3, padding=1), tnn.BatchNorm2d(8),
                                       tnn.ReLU())
            self.layer1 = tnn.Sequential(Block(8), Block(8))
            self.register_buffer("shift", lib.full((1, 8, 1, 1), 0.25))
            self.head = tnn.Linear(8, 4)

        def forward(self, x: Any) -> Any:
            x = self.layer1(self.stem(x)) - self.shift
            x = F.adaptive_avg_pool2d(x, 1)
            x = x.flatten(1)
            n = x.shape[0]
            logits = self.head(x).view(n, -1)
            a, b = logits.chunk(2, dim=1)
            return lib.cat([F.relu(a), lib.sigmoid(b)], dim=1), x.mean(dim=1, keepdim=True)

    return CNN()


def _target_name(target: Any) -> str:
    if isinstance(target, str):
        return target
    module = getattr(target, "__module__", "") or ""
    module = "operator" if module == "_operator" else module
    if module.startswith("torch") or module.startswith("ember"):
        return target.__name__  # torch.relu / ember.relu, torch.nn.functional.relu / ...
    return f"{module}.{target.__name__}"


def _nodes(gm: Any) -> list[tuple[str, str, str]]:
    return [(n.op, n.name, _target_name(n.target)) for n in gm.graph.nodes]


def _pair(torch: Any, make: Any, *shape: int, seed: int = 0) -> tuple:
    tm, em = make(torch), make(ember)
    copy_state(tm, em)
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return tm, em, torch.tensor(x), ember.tensor(x)


def _torch_text(s: str) -> str:
    return s.replace("torch._C._nn.", "torch.nn.functional.").replace("torch.", "ember.")


# ---------------------------------------------------------------------------- tracing
@pytest.mark.parametrize("make, shape", [(make_mlp, (4, 3, 4)), (make_cnn, (2, 3, 6, 6))])
def test_graph_matches_torch_fx(torch: Any, make: Any, shape: tuple) -> None:
    tm, em, tx, ex = _pair(torch, make, *shape)
    tm.eval()
    em.eval()  # dropout's training flag is read while tracing
    tg, eg = torch.fx.symbolic_trace(tm), fx.symbolic_trace(em)
    assert _nodes(eg) == _nodes(tg)
    assert str(eg.graph) == _torch_text(str(tg.graph))
    assert eg.code == _torch_text(tg.code)
    assert type(eg).__name__ == type(tm).__name__ == type(tg).__name__
    assert list(eg.state_dict()) == list(tg.state_dict())
    assert eg.training is False
    for u, v in zip(_leaves(eg(ex)), _leaves(tg(tx))):
        assert_close(u, v.detach(), rtol=1e-5, atol=1e-5)
    for u, v in zip(_leaves(eg(ex)), _leaves(em(ex))):
        assert_close(u, v)


def _leaves(out: Any) -> list:
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _leaves(o)]
    return [out]


def test_resnet18_node_names_match_torchvision(torch: Any) -> None:
    tv = pytest.importorskip("torchvision")
    vision = pytest.importorskip("ember.vision")
    tg = torch.fx.symbolic_trace(tv.models.resnet18())
    em = vision.models.resnet18()
    eg = fx.symbolic_trace(em)
    # same nodes; Ember's BasicBlock computes the downsample branch first, so compare sets
    assert sorted(_nodes(eg)) == sorted(_nodes(tg))
    assert [n for n in _nodes(eg) if "downsample" not in n[1]] == \
        [n for n in _nodes(tg) if "downsample" not in n[1]]
    assert set(eg.state_dict()) == set(em.state_dict())
    em.eval()
    eg.eval()
    x = ember.randn(1, 3, 40, 40)
    assert_close(eg(x), em(x))


def test_gradients_flow_through_graph_module(torch: Any) -> None:
    tm, em, tx, ex = _pair(torch, make_cnn, 2, 3, 5, 5)
    eg = fx.symbolic_trace(em)
    ex.requires_grad_(True)
    tx.requires_grad_(True)
    out, m = eg(ex)
    (out.sum() + m.sum()).backward()
    tout, tmean = torch.fx.symbolic_trace(tm)(tx)
    (tout.sum() + tmean.sum()).backward()
    assert_close(ex.grad, tx.grad, rtol=1e-4, atol=1e-5)
    assert_close(eg.head.weight.grad, tm.head.weight.grad, rtol=1e-4, atol=1e-5)
    assert eg.head.weight is em.head.weight  # the graph module shares the parameters


def test_concrete_args_and_defaults(torch: Any) -> None:
    def build(lib: Any) -> Any:
        class M(lib.nn.Module):
            def forward(self, x: Any, flag: bool, scale: float = 2.0) -> Any:
                return x * scale if flag else x - 1

        return M()

    tg = torch.fx.symbolic_trace(build(torch), concrete_args={"flag": True})
    eg = fx.symbolic_trace(build(ember), concrete_args={"flag": True})
    assert _nodes(eg) == _nodes(tg)  # placeholder flag_1, eq, _assert guard
    x = np.arange(3, dtype=np.float32)
    assert_close(eg(ember.tensor(x), True), tg(torch.tensor(x), True))
    with pytest.raises(AssertionError, match="flag has been specialized to have value True"):
        eg(ember.tensor(x), False)


def test_plain_function_and_tensor_operands(torch: Any) -> None:
    def build(lib: Any) -> Any:
        w = lib.full((3,), 2.0)

        def f(x: Any, y: Any) -> Any:
            return lib.relu(w * x) + lib.nn.functional.gelu(y) @ lib.ones(3, 3)

        return f

    tg, eg = torch.fx.symbolic_trace(build(torch)), fx.symbolic_trace(build(ember))
    assert _nodes(eg) == _nodes(tg)
    assert eg.code == _torch_text(tg.code)
    assert type(eg).__name__ == "f"
    x = np.linspace(-1, 1, 3, dtype=np.float32)
    assert_close(eg(ember.tensor(x), ember.tensor(x)), tg(torch.tensor(x), torch.tensor(x)))


# ---------------------------------------------------------------------------- errors
def _control(lib: Any) -> Any:
    class M(lib.nn.Module):
        def forward(self, x: Any) -> Any:
            if x.sum() > 0:
                return x
            return -x

    return M()


def _length(lib: Any) -> Any:
    class M(lib.nn.Module):
        def forward(self, x: Any) -> Any:
            return x * len(x)

    return M()


def _loop(lib: Any) -> Any:
    class M(lib.nn.Module):
        def forward(self, x: Any) -> Any:
            return [v for v in x]

    return M()


@pytest.mark.parametrize("make", [_control, _length, _loop])
def test_untraceable_code_raises_like_torch(torch: Any, make: Any) -> None:
    relu = ember.relu
    with pytest.raises(Exception) as te:
        torch.fx.symbolic_trace(make(torch))
    with pytest.raises(Exception) as ee:
        fx.symbolic_trace(make(ember))
    assert type(ee.value).__name__ == type(te.value).__name__
    assert isinstance(ee.value, type(te.value).__mro__[1])
    assert str(ee.value) == str(te.value)
    # nothing stays patched after a failed trace
    assert ember.relu is relu
    assert nn.Module.__call__ is nn.Module._call_impl
    assert_close(ember.ones(2) + ember.ones(2), ember.full((2,), 2.0))


def test_patching_is_undone(torch: Any) -> None:
    relu, f_relu, flatten = ember.relu, EF.relu, ember.flatten
    call, getattr_ = nn.Module.__call__, nn.Module.__getattr__
    add = ember.Tensor.__add__
    fx.symbolic_trace(make_cnn(ember))
    assert (ember.relu, EF.relu, ember.flatten) == (relu, f_relu, flatten)
    assert (nn.Module.__call__, nn.Module.__getattr__, ember.Tensor.__add__) == \
        (call, getattr_, add)


# ---------------------------------------------------------------------------- editing
def _swap_relu_for_gelu(gm: Any, relu_fns: tuple, gelu: Any) -> int:
    graph, count = gm.graph, 0
    for node in list(graph.nodes):
        if node.op == "call_function" and node.target in relu_fns:
            with graph.inserting_after(node):
                new = graph.call_function(gelu, (node.args[0],))
            node.replace_all_uses_with(new)
            graph.erase_node(node)
            count += 1
    graph.lint()
    gm.recompile()
    return count


def test_graph_edit_relu_to_gelu(torch: Any) -> None:
    tm, em, tx, ex = _pair(torch, make_cnn, 2, 3, 6, 6)
    tm.eval()
    em.eval()
    tg, eg = torch.fx.symbolic_trace(tm), fx.symbolic_trace(em)
    before = eg(ex)[0]
    assert _swap_relu_for_gelu(tg, (torch.relu, torch.nn.functional.relu),
                               torch.nn.functional.gelu) == 1
    assert _swap_relu_for_gelu(eg, (ember.relu, EF.relu), EF.gelu) == 1
    assert _nodes(eg) == _nodes(tg)
    assert eg.code == _torch_text(tg.code)
    assert_close(eg(ex)[0], tg(tx)[0].detach())
    assert not np.allclose(before.detach().numpy(), eg(ex)[0].detach().numpy())


def test_create_nodes_and_dead_code(torch: Any) -> None:
    def edit(lib: Any, fx_: Any) -> Any:
        graph = fx_.Graph()
        x = graph.placeholder("x")
        y = graph.placeholder("y", default_value=3)
        unused = graph.call_method("sum", (x,))
        s = graph.call_function(operator.add, (x, y))
        r = graph.call_function(lib.relu, (s,))
        graph.output((r, unused))
        assert [n.name for n in graph.nodes] == ["x", "y", "sum_1", "add", "relu", "output"]
        assert list(x.users) == [unused, s] and s.all_input_nodes == [x, y]
        with pytest.raises(RuntimeError) as e:
            graph.erase_node(s)
        graph.output_node().args = (r,)
        assert graph.eliminate_dead_code() is True
        assert [n.name for n in graph.nodes] == ["x", "y", "add", "relu", "output"]
        gm = fx_.GraphModule(lib.nn.Module(), graph)
        return gm, str(e.value)

    tgm, terr = edit(torch, torch.fx)
    egm, eerr = edit(ember, fx)
    assert eerr == terr
    assert egm.code == _torch_text(tgm.code)
    assert str(egm.graph) == _torch_text(str(tgm.graph))
    assert_close(egm(ember.tensor([-5.0, 1.0])), tgm(torch.tensor([-5.0, 1.0])))


def test_lint_finds_use_before_definition() -> None:
    gm = fx.symbolic_trace(make_mlp(ember))
    nodes = list(gm.graph.nodes)
    nodes[0].prepend(nodes[2])  # fc1 before its input
    with pytest.raises(RuntimeError, match="used before it has been defined"):
        gm.graph.lint()


def test_inserting_before_and_replace_input(torch: Any) -> None:
    def edit(lib: Any, fx_: Any) -> str:
        def f(x: Any) -> Any:
            return lib.neg(x) + 1

        gm = fx_.symbolic_trace(f)
        neg = next(n for n in gm.graph.nodes if n.name == "neg")
        with gm.graph.inserting_before(neg):
            a = gm.graph.call_function(lib.abs, (neg.args[0],))
            b = gm.graph.call_method("exp", (a,))
        neg.replace_input_with(neg.args[0], b)
        gm.recompile()
        return gm.code

    assert edit(ember, fx) == _torch_text(edit(torch, torch.fx))


# ---------------------------------------------------------------------------- interpreters
def test_interpreter_runs_and_overrides(torch: Any) -> None:
    tm, em, tx, ex = _pair(torch, make_mlp, 4, 12)
    tm.eval()
    em.eval()
    tg, eg = torch.fx.symbolic_trace(tm), fx.symbolic_trace(em)
    assert_close(fx.Interpreter(eg).run(ex), tg(tx).detach())

    def negating(base: Any, lib: Any) -> Any:
        class Negate(base):
            def call_module(self, target: Any, args: Any, kwargs: Any) -> Any:
                out = super().call_module(target, args, kwargs)
                return -out if target == "act" else out

            def call_function(self, target: Any, args: Any, kwargs: Any) -> Any:
                if target is operator.mul:
                    return lib.sub(*args, **kwargs)
                return super().call_function(target, args, kwargs)

        return Negate

    t_out = negating(torch.fx.Interpreter, torch)(tg).run(tx)
    e_out = negating(fx.Interpreter, ember)(eg).run(ex)
    assert_close(e_out, t_out.detach())


def test_interpreter_error_names_the_node(torch: Any) -> None:
    eg = fx.symbolic_trace(make_mlp(ember))
    with pytest.raises(RuntimeError, match="While executing %fc1"):
        fx.Interpreter(eg).run(ember.ones(4, 7))


def test_transformer_rewrites_graph(torch: Any) -> None:
    tm, em, tx, ex = _pair(torch, make_cnn, 1, 3, 4, 4)
    tm.eval()
    em.eval()

    def make(base: Any, lib: Any) -> Any:
        class AddToMul(base):
            def call_function(self, target: Any, args: Any, kwargs: Any) -> Any:
                if target is operator.add:
                    target = operator.mul
                return super().call_function(target, args, kwargs)

        return AddToMul

    tn = make(torch.fx.Transformer, torch)(torch.fx.symbolic_trace(tm)).transform()
    en = make(fx.Transformer, ember)(fx.symbolic_trace(em)).transform()
    assert _nodes(en) == _nodes(tn)
    assert en.code == _torch_text(tn.code)
    for u, v in zip(en(ex), tn(tx)):
        assert_close(u, v.detach())


def test_replace_pattern(torch: Any) -> None:
    def build(lib: Any) -> tuple:
        F = lib.nn.functional

        class M(lib.nn.Module):
            def forward(self, x: Any, w: Any) -> Any:
                a = F.relu(x + w)
                b = F.relu(a + w)
                return b * 2

        def pattern(x: Any, w: Any) -> Any:
            return F.relu(x + w)

        def replacement(x: Any, w: Any) -> Any:
            return lib.sigmoid(x - w)

        return M(), pattern, replacement

    tm, tp, tr = build(torch)
    em, ep, er = build(ember)
    tg, eg = torch.fx.symbolic_trace(tm), fx.symbolic_trace(em)
    t_matches = torch.fx.replace_pattern(tg, tp, tr)
    e_matches = fx.replace_pattern(eg, ep, er)
    assert len(e_matches) == len(t_matches) == 2
    assert _nodes(eg) == _nodes(tg)
    x, w = np.float32([-1, 0.5, 2]), np.float32([0.3, -0.2, 0.1])
    assert_close(eg(ember.tensor(x), ember.tensor(w)), tg(torch.tensor(x), torch.tensor(w)))


# ---------------------------------------------------------------------------- tracer API
def test_custom_leaf_modules_and_create_proxy(torch: Any) -> None:
    def build(lib: Any) -> Any:
        class Inner(lib.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.lin = lib.nn.Linear(4, 4)

            def forward(self, x: Any) -> Any:
                return self.lin(x).relu()

        class Outer(lib.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.inner = Inner()
                self.out = lib.nn.Linear(4, 2)

            def forward(self, x: Any) -> Any:
                return self.out(self.inner(x) + self.inner.lin.bias)

        return Outer()

    def tracer_for(base: Any) -> Any:
        class Leafy(base):
            def is_leaf_module(self, m: Any, qualname: str) -> bool:
                return qualname == "inner" or super().is_leaf_module(m, qualname)

            def create_proxy(self, kind: str, target: Any, args: Any, kwargs: Any,
                             name: Any = None, type_expr: Any = None, *rest: Any) -> Any:
                proxy = super().create_proxy(kind, target, args, kwargs, name, type_expr)
                proxy.node.meta["seen"] = kind
                return proxy

        return Leafy()

    tm, em = build(torch), build(ember)
    copy_state(tm, em)
    tgraph = tracer_for(torch.fx.Tracer).trace(tm)
    egraph = tracer_for(fx.Tracer).trace(em)
    assert str(egraph) == _torch_text(str(tgraph))
    assert [n.meta.get("seen") for n in egraph.nodes] == \
        [n.meta.get("seen") for n in tgraph.nodes]
    eg = fx.GraphModule(em, egraph)
    tg = torch.fx.GraphModule(tm, tgraph)
    assert list(eg.state_dict()) == list(tg.state_dict())
    x = np.ones((3, 4), np.float32)
    assert_close(eg(ember.tensor(x)), tg(torch.tensor(x)).detach())


_SCALE = 3.0


def _scaled(x: Any, k: float) -> Any:
    return x * k if k > 0 else x  # a Proxy cannot go through the `if`: wrap() records it


fx.wrap("_scaled")


def test_wrap_records_a_call_function() -> None:
    class M(nn.Module):
        def forward(self, x: Any) -> Any:
            return _scaled(x, _SCALE) + 1

    gm = fx.symbolic_trace(M())
    node = next(n for n in gm.graph.nodes if n.op == "call_function")
    assert (node.name, node.target, node.args[1]) == ("_scaled", _scaled, _SCALE)
    assert globals()["_scaled"] is _scaled  # restored
    assert_close(gm(ember.ones(2)), ember.full((2,), 4.0))


def test_print_tabular_without_tabulate(capsys: Any) -> None:
    gm = fx.symbolic_trace(make_mlp(ember))
    gm.graph.print_tabular()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["opcode", "name", "target", "args", "kwargs"]
    assert set(lines[1]) == {"-", " "}
    rows = [line.split()[:2] for line in lines[2:]]
    assert rows == [[n.op, n.name] for n in gm.graph.nodes]


def test_print_readable_and_deepcopy(torch: Any) -> None:
    import copy

    tm, em, tx, ex = _pair(torch, make_mlp, 2, 12)
    tm.eval()
    em.eval()
    tg, eg = torch.fx.symbolic_trace(tm), fx.symbolic_trace(em)
    t_text = tg.print_readable(print_output=False)
    e_text = eg.print_readable(print_output=False)
    assert e_text == t_text.replace("torch.nn.Module", "ember.nn.Module").replace(
        "torch.", "ember.")
    clone = copy.deepcopy(eg)
    assert clone.code == eg.code and clone.fc1.weight is not eg.fc1.weight
    assert_close(clone(ex), eg(ex))
    assert from_torch(tg.fc1.weight).shape == clone.fc1.weight.shape


def test_module_stack_meta_matches_torch(torch: Any) -> None:
    tm, em = make_cnn(torch), make_cnn(ember)
    tg, eg = torch.fx.symbolic_trace(tm), fx.symbolic_trace(em)

    def stacks(gm: Any) -> list:
        return [(n.name, [(k, v[0], v[1].__name__) for k, v in
                          n.meta.get("nn_module_stack", {}).items()]) for n in gm.graph.nodes]

    assert stacks(eg) == stacks(tg)


def _math_model(lib: Any) -> Any:
    import math

    class M(lib.nn.Module):
        def forward(self, x: Any) -> Any:
            return x * math.sqrt(x.size(0)) + math.pi

    return M()


def test_autowrapped_math_and_retrace(torch: Any) -> None:
    tg, eg = torch.fx.symbolic_trace(_math_model(torch)), fx.symbolic_trace(_math_model(ember))
    assert _nodes(eg) == _nodes(tg)
    assert eg.code == _torch_text(tg.code)  # includes the wrap() statement for math.sqrt
    assert [n.meta.get("is_wrapped") for n in eg.graph.nodes] == \
        [n.meta.get("is_wrapped") for n in tg.graph.nodes]
    again = fx.symbolic_trace(eg)  # the generated code re-registers math_sqrt with wrap()
    assert _nodes(again) == _nodes(torch.fx.symbolic_trace(tg))
    assert_close(again(ember.ones(4)), tg(torch.ones(4)))


def test_shape_prop_matches_torch(torch: Any) -> None:
    from torch.fx.passes.shape_prop import ShapeProp as TorchShapeProp

    from ember.fx.passes.shape_prop import ShapeProp

    tm, em, tx, ex = _pair(torch, make_cnn, 2, 3, 5, 5)
    tm.eval()
    em.eval()
    tg, eg = torch.fx.symbolic_trace(tm), fx.symbolic_trace(em)
    TorchShapeProp(tg).propagate(tx)
    ShapeProp(eg).propagate(ex)

    def metas(gm: Any) -> list:
        out = []
        for n in gm.graph.nodes:
            m = n.meta.get("tensor_meta")
            items = m if isinstance(m, tuple) and not hasattr(m, "_fields") else [m]
            out.append((n.name, n.meta["type"].__name__,
                        [None if t is None else (tuple(t.shape), str(t.dtype).split(".")[-1],
                                                 t.requires_grad, tuple(t.stride),
                                                 str(t.memory_format).split(".")[-1])
                         for t in items]))
        return out

    assert metas(eg) == metas(tg)


_CALLS = {
    "relu": lambda lib, x: lib.nn.functional.relu(x),
    "dropout": lambda lib, x: lib.nn.functional.dropout(x, 0.1, training=False),
    "softmax": lambda lib, x: lib.nn.functional.log_softmax(x, 1),
    "layer_norm": lambda lib, x: lib.nn.functional.layer_norm(x, (4,)),
    "max_pool": lambda lib, x: lib.nn.functional.max_pool2d(x[None], 2),
    "pool_top": lambda lib, x: lib.nn.functional.avg_pool1d(x, 2),
    "pad": lambda lib, x: lib.nn.functional.pad(x, (1, 1), value=0.5),
    "sigmoid_method": lambda lib, x: lib.nn.functional.sigmoid(x),
    "logsigmoid": lambda lib, x: lib.nn.functional.logsigmoid(x),
    "threshold": lambda lib, x: lib.nn.functional.threshold(x, 0.1, 0.0),
    "linalg": lambda lib, x: lib.linalg.vector_norm(x, 2, dim=1),
    "special": lambda lib, x: lib.special.erf(x) + lib.erf(x),
    "top": lambda lib, x: lib.cat([lib.sigmoid(x), lib.where(x > 0, x, 0.0)], 1),
}


@pytest.mark.parametrize("case", sorted(_CALLS))
def test_function_calls_recorded_like_torch(torch: Any, case: str) -> None:
    def f_t(x: Any) -> Any:
        return _CALLS[case](torch, x)

    def f_e(x: Any) -> Any:
        return _CALLS[case](ember, x)

    tg, eg = torch.fx.symbolic_trace(f_t), fx.symbolic_trace(f_e)

    def calls(gm: Any) -> list:
        return [(n.op, n.name, n.args, dict(n.kwargs)) for n in gm.graph.nodes]

    assert repr(calls(eg)) == repr(calls(tg))
    x = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    assert_close(eg(ember.tensor(x)), tg(torch.tensor(x)), rtol=1e-5, atol=1e-6)


def test_varargs_and_keyword_only_parameters(torch: Any) -> None:
    def build(lib: Any) -> Any:
        class M(lib.nn.Module):
            def forward(self, x: Any, *args: Any, scale: int = 2, **kw: Any) -> Any:
                a, b = args
                return x * scale + a - b + kw["c"]

        return M()

    tg, eg = torch.fx.symbolic_trace(build(torch)), fx.symbolic_trace(build(ember))
    assert str(eg.graph) == _torch_text(str(tg.graph))
    assert eg.code == _torch_text(tg.code)
    ones = [np.ones(2, np.float32) * k for k in (1, 2, 3, 4)]
    t = [torch.tensor(v) for v in ones]
    e = [ember.tensor(v) for v in ones]
    assert_close(eg(e[0], 3, e[1], e[2], c=e[3]), tg(t[0], 3, t[1], t[2], c=t[3]))


def test_pickle_and_save_round_trip(torch: Any) -> None:
    import io
    import pickle

    tm, em, tx, ex = _pair(torch, make_cnn, 1, 3, 5, 5)
    em.eval()
    tm.eval()
    eg = fx.symbolic_trace(em)
    tg = torch.fx.symbolic_trace(tm)
    e2 = pickle.loads(pickle.dumps(eg))
    t2 = pickle.loads(pickle.dumps(tg))
    assert e2.code == eg.code and type(e2).__name__ == type(t2).__name__
    assert _nodes(e2) == _nodes(t2)
    assert list(e2.state_dict()) == list(t2.state_dict())
    buf = io.BytesIO()
    ember.save(eg, buf)
    buf.seek(0)
    e3 = ember.load(buf, weights_only=False)
    for u, v in zip(e3(ex), t2(tx)):
        assert_close(u, v.detach(), rtol=1e-5, atol=1e-5)


def test_builtin_layer_signatures_print_as_torch(torch: Any) -> None:
    """Ember's layers are annotated for type checkers; generated code shows only what
    PyTorch's own layers show (a Tensor annotation, never ``Any``)."""
    e_seq = fx.symbolic_trace(ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU()))
    t_seq = torch.fx.symbolic_trace(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU()))
    assert e_seq.code == _torch_text(t_seq.code)
    e_lin, t_lin = fx.symbolic_trace(ember.nn.Linear(3, 4)), torch.fx.symbolic_trace(
        torch.nn.Linear(3, 4))
    first = [c.strip().splitlines()[0] for c in (e_lin.code, t_lin.code)]
    assert first[0] == _torch_text(first[1])


def test_user_assert_is_recorded_after_other_traces() -> None:
    """``ember._assert`` is found (and loaded) on the first trace, whatever was traced first."""
    fx.symbolic_trace(ember.nn.Sequential(ember.nn.Linear(2, 2)))

    class M(ember.nn.Module):
        def forward(self, x: Any) -> Any:
            ember._assert(x.dim() == 2, "two dims")
            return x * 2

    gm = fx.symbolic_trace(M())
    assert any(n.op == "call_function" and getattr(n.target, "__name__", "") == "_assert"
               for n in gm.graph.nodes)
    assert gm(ember.ones(2, 2)).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    with pytest.raises(AssertionError, match="two dims"):
        gm(ember.ones(2))


def test_code_names_ops_rerouted_for_sparse_after_a_first_trace() -> None:
    """Tracing before ``ember.sparse`` loads (which reroutes ``ember.relu`` & co. for sparse
    inputs) and again after names the op ``ember.relu`` both times, not a mangled global
    (a fresh interpreter: the order of loading is the point)."""
    import os
    import subprocess
    import sys

    program = (
        "import ember, ember.fx, ember.nn as nn\n"
        "class Net(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return ember.relu(x) + 1\n"
        "first = ember.fx.symbolic_trace(Net()).code\n"
        "import ember.sparse\n"
        "second = ember.fx.symbolic_trace(Net())\n"
        "x = ember.tensor([-1.0, 2.0])\n"
        "print(first == second.code, 'ember.relu(x)' in second.code,"
        " bool(ember.equal(second(x), ember.relu(x) + 1)))\n")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), check=True)
    assert out.stdout.split() == ["True", "True", "True"], out.stdout + out.stderr
