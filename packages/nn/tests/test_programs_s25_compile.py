"""Session 25, lane Z: torch.compile, torch.jit and torch.fx in user programs. Each program
text is written against PyTorch; it runs as written and again with ``torch`` -> ``ember``
rewritten, and what the two print must be the same text (object addresses aside). Programs
are written to a file first: TorchScript reads the source of what it scripts."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")
pytest.importorskip("ember.nn")
pytest.importorskip("ember.optim")
fx = pytest.importorskip("ember.fx")


def _printed(src: str, path) -> str:
    """What ``src`` prints when run as the module file ``path``, addresses blanked."""
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        spec.loader.exec_module(module)
    return re.sub(r" at 0x[0-9a-f]+", " at 0x?", buf.getvalue())


def _same_output(src: str, tmp_path) -> None:
    """The program prints the same under PyTorch and, rewritten, under Ember."""
    expected = _printed(src, tmp_path / "prog_torch.py").replace("torch", "ember")
    got = _printed(src.replace("torch", "ember"), tmp_path / "prog_ember.py")
    assert got == expected


# ---------------------------------------------------------------- fx.Transformer overrides
_TRANSFORMER = r"""
import torch, torch.fx
from torch.fx import Interpreter, Transformer
class M(torch.nn.Module):
    def forward(self, x):
        return torch.neg(x).sigmoid() + 1
gm = torch.fx.symbolic_trace(M())
class NegSigmSwapXformer(Transformer):
    def call_function(self, target, args, kwargs):
        if target == torch.neg:
            return torch.relu(*args)
        return super().call_function(target, args, kwargs)
    def call_method(self, target, args, kwargs):
        if target == "sigmoid":
            return torch.tanh(args[0])
        return super().call_method(target, args, kwargs)
t = NegSigmSwapXformer(gm).transform()
print(t.code)
print(t(torch.tensor([0.5, -1.0])))
print(type(t).__name__)
x = torch.tensor([2.0, -3.0])
print(gm(x))
print(torch.neg(x))
"""


def test_transformer_overrides_call_ember_functions_on_proxies(tmp_path):
    """A Transformer's override that calls ember.relu(proxy) records a node, and compares its
    target with ember.neg as PyTorch's does; ember.neg is itself again afterwards."""
    _same_output(_TRANSFORMER, tmp_path)
    assert not hasattr(ember.neg, "__fx_original__")
    assert not hasattr(ember.Tensor.sigmoid, "__wrapped__")


def test_transformer_default_keeps_graph():
    gm = fx.symbolic_trace(lambda x: torch_free_fn(x))
    out = fx.Transformer(gm).transform()
    x = ember.tensor([1.0, -2.0])
    assert out(x).tolist() == gm(x).tolist()
    assert [n.target for n in out.graph.nodes] == [n.target for n in gm.graph.nodes]


def torch_free_fn(x):
    return ember.relu(x) * 2


# ---------------------------------------------------------------- jit.script on functions
_SCRIPT_FN = r"""
import torch
from typing import List, Optional
@torch.jit.script
def foo(x, y):
    if x.max() > y.max():
        r = x
    else:
        r = y
    return r
print(type(foo).__name__, foo.name)
print(foo(torch.ones(2, 2), 2 * torch.ones(2, 2)))
def f(x: torch.Tensor, n: int = 2) -> torch.Tensor:
    return x * n
s = torch.jit.script(f)
print(s(torch.ones(2), 3), s(torch.ones(2), n=3))
print(torch.jit.script(s) is s)
t = torch.jit.trace(f, (torch.ones(2),))
print(type(t).__name__, t(torch.arange(3.)))
@torch.jit.script
def opt(x: Optional[torch.Tensor]) -> torch.Tensor:
    if x is None:
        return torch.zeros(1)
    return x
print(opt(None), opt(torch.ones(1)))
"""


def test_scripted_functions_are_script_functions(tmp_path):
    with pytest.warns(FutureWarning):
        _same_output(_SCRIPT_FN, tmp_path)


def test_script_function_code_is_source_and_graph_refused():
    def g(x):
        return x + 1

    with pytest.warns(FutureWarning):
        s = ember.jit.script(g)
    assert s.code.startswith("    def g(x):")
    with pytest.raises(RuntimeError, match="no TorchScript graph"):
        s.graph  # noqa: B018


# ---------------------------------------------------------------- torch.export refused
_EXPORT = r"""
import torch, torch.nn as nn
from torch.export import export, Dim
torch.manual_seed(0)
m = nn.Linear(3, 2)
try:
    ep = export(m, (torch.randn(1, 3),), dynamic_shapes={"input": {0: Dim("batch")}})
    print(type(ep).__name__)
except RuntimeError as e:
    print("export failed")
"""


def test_export_absent_is_a_runtime_error():
    """Ember has no export: the failure is the RuntimeError a PyTorch program catches when
    an export fails, raised by export itself (not an AttributeError on ember.export)."""
    from ember._dynamo.exc import Unsupported

    src = _EXPORT.replace("torch", "ember")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(src, "<program>", "exec"), {"__name__": "__program__"})  # noqa: S102
    assert buf.getvalue() == "export failed\n"
    with pytest.raises(Unsupported, match="ember.export.export"):
        ember.export.export(ember.nn.Linear(1, 1), (ember.ones(1, 1),))
    assert issubclass(Unsupported, RuntimeError)


# ---------------------------------------------------------------- inference_mode in serving code
def _grad_inside_inference(lib):
    lin = lib.nn.Linear(2, 2)
    out = []
    with lib.inference_mode():
        with lib.enable_grad():
            q = lin(lib.ones(1, 2))
            out += [lib.is_grad_enabled(), q.requires_grad, q.grad_fn is None, q.is_inference()]
        with lib.set_grad_enabled(True):
            out += [lib.is_grad_enabled(), lin(lib.ones(1, 2)).requires_grad]
        out.append(lib.is_grad_enabled())
    out.append(lib.is_grad_enabled())

    @lib.enable_grad()
    def f(x):
        return lin(x)

    with lib.inference_mode():
        out.append(f(lib.ones(1, 2)).requires_grad)
    with lib.no_grad(), lib.inference_mode():
        out.append(lib.is_grad_enabled())
    out.append(lib.is_grad_enabled())
    return out


def test_enable_grad_inside_inference_mode_records_nothing():
    """Grad mode switched on inside inference_mode reads as on but records no graph (it
    raised 'Inference tensors cannot be saved for backward' before)."""
    assert _grad_inside_inference(ember) == _grad_inside_inference(torch)


_COMPILED_TRAINING = r"""
import torch, torch.nn as nn, torch.nn.functional as F
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
cm = torch.compile(model, backend="eager", fullgraph=True)
print(type(cm).__name__, cm._orig_mod is model)
print(cm)
opt = torch.optim.SGD(cm.parameters(), lr=0.1)
x = torch.randn(16, 4); y = torch.randint(0, 2, (16,))
for i in range(3):
    opt.zero_grad(); loss = F.cross_entropy(cm(x), y); loss.backward(); opt.step()
    print(f"{loss.item():.4f}")
print(list(cm.state_dict().keys()))
cm.eval()
with torch.inference_mode():
    out = cm(x[:2])
print(out, out.is_inference())
torch._dynamo.reset()
@torch.compile(backend="eager")
def f(a, b):
    return torch.sin(a) + torch.cos(b)
print(f(x[0], x[1]))
"""


def test_compiled_model_trains_as_eager(tmp_path):
    with warnings.catch_warnings():  # ember.compile's once-per-process "no-op" note
        warnings.simplefilter("ignore", UserWarning)
        _same_output(_COMPILED_TRAINING, tmp_path)


def _find_nodes(lib):
    gm = lib.fx.symbolic_trace(lambda x: lib.relu(x) + x.sum())
    out = [[n.name for n in gm.graph.find_nodes(op="call_function", target=lib.relu)],
           [n.name for n in gm.graph.find_nodes(op="placeholder")],
           [n.name for n in gm.graph.find_nodes(op="call_method", target="sum")]]
    try:
        gm.graph.find_nodes(op="call_function")
    except AssertionError as e:
        out.append(str(e))
    return out


def test_graph_find_nodes_call_function_needs_target():
    import torch.fx  # noqa: F401

    assert _find_nodes(ember) == _find_nodes(torch)


def _trace_dict_output(lib):
    class M(lib.nn.Module):
        def forward(self, x):
            return {"a": x * 2, "b": x.sum()}

    out = []
    try:
        lib.jit.trace(M(), lib.ones(2))
        out.append("traced")
    except RuntimeError as e:
        out.append(str(e))
    t = lib.jit.trace(M(), lib.ones(2), strict=False)
    out.append({k: v.tolist() for k, v in t(lib.arange(2.0)).items()})
    return out


def test_trace_of_dict_output_needs_strict_false():
    with pytest.warns(FutureWarning):
        got = _trace_dict_output(ember)
    with pytest.warns(FutureWarning):
        want = _trace_dict_output(torch)
    assert got == want


_HAND_BUILT_GRAPH = r"""
import torch, torch.fx
from torch.fx import GraphModule, Graph
g = Graph()
x = g.placeholder("x")
y = g.placeholder("y")
s = g.call_function(torch.add, (x, y))
m = g.call_method("mul", (s, 3))
r = g.call_function(torch.nn.functional.relu, (m,), {"inplace": False})
g.output(r)
print(g)
gm = GraphModule(torch.nn.Module(), g)
print(gm.code)
print(gm(torch.tensor([1., -2.]), torch.tensor([0., 0.])))
"""


def test_hand_built_graph_names_functions_before_any_trace(tmp_path):
    """A graph built by hand, before anything was traced in the process, prints ember.add
    and ember.nn.functional.relu (it printed their defining modules' paths)."""
    import os
    import subprocess
    import sys

    expected = _printed(_HAND_BUILT_GRAPH, tmp_path / "hb_torch.py").replace("torch", "ember")
    path = tmp_path / "hb_ember.py"  # a fresh process: nothing traced there yet
    path.write_text(_HAND_BUILT_GRAPH.replace("torch", "ember"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    got = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert got == expected
