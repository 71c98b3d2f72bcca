"""``ember.jit``: PyTorch's TorchScript entry points for code that uses them in passing.

Ember runs eagerly and has no TorchScript compiler: ``script`` and ``trace`` return what
they are given, which then runs as ordinary Python, and the decorators (``ignore``,
``unused``, ``export``, ``interface``) leave functions as they are. ``is_scripting()``
and ``is_tracing()`` are False. Saving or loading TorchScript archives raises an error
that says to save the ``state_dict`` with ``ember.save`` instead.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Final

__all__ = ["script", "trace", "trace_module", "is_scripting", "is_tracing", "ignore", "unused",
           "export", "interface", "annotate", "isinstance", "Final", "fork", "wait", "save",
           "load", "freeze", "optimize_for_inference", "script_if_tracing", "ScriptModule",
           "ScriptFunction", "Error"]

Error = RuntimeError


class ScriptModule:
    """Never instantiated: scripted modules stay the modules they were."""


class ScriptFunction:
    """Never instantiated: scripted functions stay the functions they were."""


def script(obj: Any, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """``obj`` itself: Ember runs it eagerly."""
    return obj


def trace(func: Any, example_inputs: Any = None, *args: Any, **kwargs: Any) -> Any:
    """``func`` itself: Ember runs it eagerly (no graph is recorded)."""
    return func


def trace_module(mod: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
    return mod


def script_if_tracing(fn: Callable) -> Callable:
    return fn


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """Usable as ``@ignore`` and ``@ignore(drop=True)``."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn: Callable) -> Callable:
    return fn


def export(fn: Callable) -> Callable:
    return fn


def interface(obj: Any) -> Any:
    return obj


def annotate(the_type: Any, the_value: Any) -> Any:
    return the_value


def isinstance(obj: Any, target_type: Any) -> bool:  # noqa: A001
    """``builtins.isinstance``, with ``typing`` generics (List[int], ...) read as their origin."""
    origin = getattr(target_type, "__origin__", None)
    return builtins.isinstance(obj, origin if origin is not None else target_type)


def fork(func: Callable, *args: Any, **kwargs: Any) -> Future:
    """Run ``func`` now; a completed future holds its result (or exception)."""
    fut: Future = Future()
    try:
        fut.set_result(func(*args, **kwargs))
    except Exception as e:  # delivered by wait(), as PyTorch's futures do
        fut.set_exception(e)
    return fut


def wait(fut: Future) -> Any:
    return fut.result()


def freeze(mod: Any, preserved_attrs: Any = None, optimize_numerics: bool = True) -> Any:
    return mod


def optimize_for_inference(mod: Any, other_methods: Any = None) -> Any:
    return mod


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    raise RuntimeError("ember.jit.save: Ember runs eagerly and has no TorchScript archives; "
                       "save the module's state_dict with ember.save(model.state_dict(), f)")


def load(f: Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    raise RuntimeError(f"ember.jit.load: cannot load the TorchScript archive {f!r}: Ember has no "
                       "TorchScript interpreter; load a state_dict with ember.load instead")


Final = Final
