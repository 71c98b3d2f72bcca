"""``__torch_function__`` on Tensor subclasses for calls through the namespaces (``torch.add``,
``F.relu``, ``torch.linalg.norm``...), as the PyTorch docs' extension examples use it.

Each program runs in a fresh interpreter: the first subclass switches the namespaces to
offering copies for the rest of a process, and each program must see that from the start.
"""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("ember.nn")

_HERE = os.path.dirname(os.path.abspath(__file__))
_SRC = os.pathsep.join(os.path.join(_HERE, "..", "..", p, "src")
                       for p in ("core", "nn", "optim", "vision"))


def _run(program: str, lib: str) -> object:
    """``program`` (written against ``torch``) run with ``lib`` imported as torch; its
    ``result`` as JSON."""
    head = (f"import {lib} as torch\nimport {lib}.nn.functional as F\nimport json\n")
    code = head + textwrap.dedent(program) + "\nprint(json.dumps(result))\n"
    env = dict(os.environ, PYTHONPATH=_SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _same(program: str) -> None:
    """Equal results, floats to within float32 rounding of PyTorch's kernels."""
    got, want = _run(program, "ember"), _run(program, "torch")
    assert got.keys() == want.keys()
    for key in want:
        if key == "values":
            assert len(got[key]) == len(want[key])
            for g, w in zip(got[key], want[key]):
                np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
        else:
            assert got[key] == want[key], key


_LOGGING = """
calls = []
class LoggingTensor(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        calls.append(func.__name__)
        return super().__torch_function__(func, types, args, kwargs or {})
"""


def test_namespace_calls_are_offered_to_a_subclass():
    _same(_LOGGING + """
t = torch.tensor([[1.0, -2.0], [3.0, 4.0]]).as_subclass(LoggingTensor)
outs = [torch.add(t, 1), torch.mul(t, t), torch.stack([t, t]), torch.cat([t, t]),
        F.relu(t), F.softmax(t, dim=1), torch.linalg.norm(t), torch.special.erf(t),
        torch.where(t > 0, t, 0.0), torch.matmul(t, t), torch.sum(t, dim=0)]
logged = list(calls)  # before tolist (itself offered to the subclass by PyTorch)
result = {"calls": logged, "types": [type(o).__name__ for o in outs],
          "values": [o.tolist() for o in outs]}
""")


def test_plain_subclass_keeps_its_type_through_namespace_functions():
    _same("""
class Mine(torch.Tensor):
    pass
m = torch.arange(6.0).reshape(2, 3).as_subclass(Mine)
outs = [torch.add(m, 1), torch.exp(m), torch.transpose(m, 0, 1), F.gelu(m), torch.max(m),
        torch.linalg.vector_norm(m)]
plain = torch.add(torch.ones(2), 1)
result = {"types": [type(o).__name__ for o in outs], "plain": type(plain).__name__,
          "values": [o.tolist() for o in outs]}
""")


def test_handler_table_overrides_a_function():
    _same("""
HANDLED = {}
class Scaled(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in HANDLED:
            return HANDLED[func](*args, **(kwargs or {}))
        return super().__torch_function__(func, types, args, kwargs or {})
def implements(f):
    def deco(g):
        HANDLED[f] = g
        return g
    return deco
@implements(torch.mean)
def mean(x, *args, **kwargs):
    return -1.0
s = torch.tensor([1.0, 2.0, 3.0]).as_subclass(Scaled)
result = {"mean": torch.mean(s), "method": s.mean() if isinstance(s.mean(), float) else
          s.mean().item(), "sum": torch.sum(s).item(), "sum_type": type(torch.sum(s)).__name__}
""")


def test_disabled_inside_the_handler_and_not_implemented_error():
    _same("""
seen = []
class Refuses(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        seen.append(func.__name__)
        if func.__name__ == "sub":
            return NotImplemented
        with torch._C.DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))
r = torch.tensor([1.0, 2.0]).as_subclass(Refuses)
out = torch.add(r, r)
try:
    torch.sub(r, 1)
    err = None
except TypeError as e:
    err = str(e).split(";")[0].replace("ember.", "torch.")
result = {"seen": seen, "type": type(out).__name__, "err": err}
""")


def test_switch_keeps_shared_functions_one_object():
    got = _run("""
import ember.functional
import ember.overrides
same = lambda: [torch.functional.einsum is torch.einsum, F.relu is torch.relu,
                torch.functional.broadcast_shapes is torch.broadcast_shapes]
before = same()
torch.overrides.get_overridable_functions()  # cached before the switch
class Mine(torch.Tensor):
    pass
result = {"before": before, "after": same(),
          "listed": torch.add in torch.overrides.get_overridable_functions()[torch],
          "name": torch.overrides.resolve_name(torch.add)}
""", "ember")
    assert got["after"] == got["before"]
    assert got["listed"] is True and got["name"] == "ember.add"
