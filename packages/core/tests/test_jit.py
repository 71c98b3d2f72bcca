"""ember.jit: TorchScript entry points run code eagerly; archives raise a clear error."""

from __future__ import annotations

import pytest

import ember


def test_script_and_trace_return_runnable_code():
    def f(x):
        return x * 2 + 1

    x = ember.arange(3.0)
    assert ember.jit.script(f) is f and ember.jit.trace(f, (x,)) is f
    assert ember.jit.script(f)(x).tolist() == [1.0, 3.0, 5.0]
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
    with pytest.raises(RuntimeError, match="no TorchScript archives; save the module's state_dict"):
        ember.jit.save(object(), tmp_path / "m.pt")
    with pytest.raises(RuntimeError, match="cannot load the TorchScript archive"):
        ember.jit.load(tmp_path / "m.pt")
