"""``ember.compiler`` and ``ember.onnx`` (an eager framework's answers), ``ember.utils.dlpack``
and ``ember.utils.model_zoo``: the modules PyTorch programs import by these names."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import ember


def test_compiler_decorators_return_the_function():
    import ember.compiler

    def f(x):
        return x * 2

    assert ember.compiler.disable(f) is f
    assert ember.compiler.disable(recursive=False)(f) is f
    assert ember.compiler.allow_in_graph(f) is f
    assert ember.compiler.assume_constant_result(f) is f
    assert ember.compiler.substitute_in_graph(np.add)(f) is f
    assert ember.compiler.is_compiling() is False
    assert ember.compiler.is_dynamo_compiling() is False
    assert ember.compiler.is_exporting() is False
    assert ember.compiler.reset() is None
    assert ember.compiler.list_backends() == ["cudagraphs", "inductor", "openxla", "tvm"]


def test_set_stance_is_a_context_manager_and_a_decorator():
    import ember.compiler

    with ember.compiler.set_stance("force_eager"):
        inside = ember.ones(2) + 1

    @ember.compiler.set_stance("force_eager")
    def g(x):
        return x + 1

    assert ember.equal(g(ember.ones(2)), inside)


def test_compiler_disable_inside_a_module_runs_eagerly(torch):
    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(3, 2)

            @lib.compiler.disable
            def forward(self, x):
                return self.fc(x).relu()

        lib.manual_seed(0)
        return Net()(lib.arange(6.0).reshape(2, 3))

    pytest.importorskip("ember.nn")
    import ember.nn  # noqa: F401

    out = build(ember)
    ember.testing.assert_close(out, build(torch).detach())


def test_dlpack_capsules_round_trip_and_share_memory(torch):
    from ember.utils.dlpack import from_dlpack, to_dlpack

    t = ember.arange(6.0).reshape(2, 3)
    back = from_dlpack(to_dlpack(t))
    back[0, 0] = 7.0
    assert t[0, 0].item() == 7.0  # same memory
    assert back.shape == t.shape and back.dtype == t.dtype

    theirs = torch.arange(4, dtype=torch.int32)
    ours = from_dlpack(torch.utils.dlpack.to_dlpack(theirs))
    assert ours.dtype == ember.int32 and ours.tolist() == theirs.tolist()
    assert torch.utils.dlpack.from_dlpack(to_dlpack(t)).tolist() == t.tolist()
    assert ember.to_dlpack is to_dlpack


def test_to_dlpack_takes_a_tensor_that_requires_grad_as_pytorch_does(torch):
    from ember.utils.dlpack import from_dlpack, to_dlpack

    torch.utils.dlpack.to_dlpack(torch.ones(2, requires_grad=True))  # PyTorch allows it
    out = from_dlpack(to_dlpack(ember.ones(2, requires_grad=True)))
    assert out.tolist() == [1.0, 1.0] and not out.requires_grad
    with pytest.raises(BufferError) as theirs:  # the protocol method refuses, in both
        torch.ones(2, requires_grad=True).__dlpack__()
    with pytest.raises(BufferError) as ours:
        ember.ones(2, requires_grad=True).__dlpack__()
    assert str(ours.value) == str(theirs.value)


def test_model_zoo_load_url_is_hubs():
    from ember.utils import model_zoo

    assert model_zoo.load_url is ember.hub.load_state_dict_from_url


def test_onnx_answers_and_refuses_export_clearly():
    import ember.onnx

    assert ember.onnx.is_in_onnx_export() is False
    with pytest.raises(ember.onnx.OnnxExporterError, match="cannot export Linear"):
        ember.onnx.export(pytest.importorskip("ember.nn").Linear(2, 2), (ember.ones(1, 2),),
                          "model.onnx")
    assert issubclass(ember.onnx.OnnxExporterError, RuntimeError)


_COMPILE_THEN_DISTRIBUTION = """
import warnings
import torch
warnings.simplefilter("ignore")

def t(**kw):
    try:
        print(torch.distributions.Normal(0.0, -1.0, **kw).scale)
    except ValueError as e:
        print("ValueError", str(e).splitlines()[0])

t()
f = torch.compile(lambda x: x + 1, backend="eager")
t()
t(validate_args=True)
torch.distributions.Distribution.set_default_validate_args(True)
g = torch.compile(lambda x: x + 2, backend="eager")  # not the first: validation stays on
t()
torch.distributions.Distribution.set_default_validate_args(False)
t()
"""


def test_compile_turns_distribution_validation_off_as_pytorchs(torch, tmp_path):
    """PyTorch's first ``compile`` in a process patches torch for dynamo, which turns off
    distributions' argument validation: an invalid scale raises before and not after (an
    explicit ``validate_args=True`` still checks), and a later compile changes nothing. Each
    library runs the program in a fresh process, whose first compile it is."""
    import subprocess

    def run(lib):
        path = tmp_path / f"program_{lib}.py"  # (not ember.py: it would shadow the package)
        path.write_text(_COMPILE_THEN_DISTRIBUTION.replace("torch", lib))
        out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                             timeout=300, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                 p for p in sys.path if p)})
        assert out.returncode == 0, out.stderr
        return out.stdout.replace(lib, "torch")

    got = run("ember")
    assert got == run("torch")
    assert [line.split()[0] for line in got.splitlines()] == [
        "ValueError", "tensor(-1.)", "ValueError", "ValueError", "tensor(-1.)"]
