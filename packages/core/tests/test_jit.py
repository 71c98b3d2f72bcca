"""ember.jit: TorchScript entry points run code eagerly; archives PyTorch wrote raise a clear
error. (Scripted and traced modules: ember-nn's tests.)"""

from __future__ import annotations

import pytest

import ember


def test_script_and_trace_return_runnable_code():
    def f(x):
        return x * 2 + 1

    x = ember.arange(3.0)
    with pytest.warns(FutureWarning, match=r"`torch.jit.script` is deprecated"):
        s = ember.jit.script(f)
    with pytest.warns(FutureWarning, match=r"`torch.jit.trace` is deprecated"):
        t = ember.jit.trace(f, (x,))
    assert type(s).__name__ == type(t).__name__ == "ScriptFunction"
    assert s(x).tolist() == t(x).tolist() == [1.0, 3.0, 5.0]
    assert f(x).tolist() == [1.0, 3.0, 5.0]
    assert not ember.jit.is_scripting() and not ember.jit.is_tracing()


def test_decorators_and_helpers_leave_functions_alone():
    @ember.jit.ignore
    def a():
        return 1

    @ember.jit.ignore(drop=True)
    def b():
        return 2

    @ember.jit.unused
    def c():
        return 3

    assert (a(), b(), c()) == (1, 2, 3)
    assert ember.jit.annotate(list[int], []) == []
    assert ember.jit.isinstance([1], list[int]) and not ember.jit.isinstance(1, list[int])
    assert ember.jit.wait(ember.jit.fork(lambda v: v + 1, 4)) == 5
    fut = ember.jit.fork(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        ember.jit.wait(fut)


def test_archives_raise_clear_errors(tmp_path):
    with pytest.warns(FutureWarning), pytest.raises(AttributeError, match="no attribute 'save'"):
        ember.jit.save(object(), tmp_path / "m.pt")
    ember.save({"w": ember.ones(2)}, tmp_path / "plain.pt")
    with pytest.warns(FutureWarning), pytest.raises(RuntimeError,
                                                    match="was not written by ember.jit.save"):
        ember.jit.load(tmp_path / "plain.pt")


def test_loading_a_pytorch_torchscript_archive_says_what_to_do(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "scripted.pt"
    with pytest.warns(FutureWarning):
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 3)), str(path))
    with pytest.warns(FutureWarning), pytest.raises(RuntimeError,
                                                    match="TorchScript archive written by PyTorch"):
        ember.jit.load(path)
    with open(path, "rb") as fh, pytest.warns(FutureWarning), pytest.raises(RuntimeError):
        ember.jit.load(fh)
