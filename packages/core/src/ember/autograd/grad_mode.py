"""Grad modes: whether ops record the graph. Thread-local, as in PyTorch."""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class _State(threading.local):
    enabled = True  # whether ops record the graph
    inference = False
    requested = False  # grad mode switched on inside inference_mode, which still records nothing


state = _State()


def _apply(mode: bool) -> None:
    """Set grad mode; inside inference_mode it is only remembered (nothing records there)."""
    if state.inference:
        state.requested = mode
    else:
        state.enabled = mode


def is_grad_enabled() -> bool:
    return state.enabled or (state.inference and state.requested)


def is_inference_mode_enabled() -> bool:
    return state.inference


class _Mode:
    """Base of the grad-mode context managers, which also work as decorators (of functions,
    and of generator functions: each resumption of the generator runs in the mode)."""

    def __call__(self, fn: Callable) -> Callable:
        if isinstance(fn, type):
            import warnings

            warnings.warn(
                "Decorating classes is deprecated and will be disabled in future versions. You "
                "should only decorate functions or methods. To preserve the current behavior of "
                "class decoration, you can directly decorate the `__init__` method and nothing "
                "else.", FutureWarning, stacklevel=2)
            cls = fn
            fn = lambda *args, **kwargs: cls(*args, **kwargs)  # noqa: E731
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(self.clone, fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper

    def clone(self) -> _Mode:
        return type(self)()

    def __enter__(self) -> None:
        self._prev, self._prev_req = state.enabled, state.requested
        _apply(self._target())

    def __exit__(self, *exc: Any) -> None:
        state.enabled, state.requested = self._prev, self._prev_req

    def _target(self) -> bool:
        raise NotImplementedError


def _wrap_generator(mode: Callable[[], _Mode], fn: Callable) -> Callable:
    """A generator function whose every step (start, send, throw, close) runs under a fresh
    ``mode()``, while the caller's code between steps runs in the caller's mode."""

    @functools.wraps(fn)
    def generator(*args: Any, **kwargs: Any) -> Any:
        gen = fn(*args, **kwargs)
        try:
            with mode():
                out = gen.send(None)
            while True:
                try:
                    request = yield out
                except GeneratorExit:
                    with mode():
                        gen.close()
                    raise
                except BaseException:
                    with mode():
                        out = gen.throw(*sys.exc_info())
                else:
                    with mode():
                        out = gen.send(request)
        except StopIteration as stop:
            return stop.value

    return generator


class no_grad(_Mode):
    """Ops inside do not record the graph."""

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)  # bare ``@no_grad``

    def _target(self) -> bool:
        return False


class enable_grad(_Mode):
    """Ops inside record the graph, even within ``no_grad``."""

    def __new__(cls, orig_func: Callable | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def _target(self) -> bool:
        return True


class set_grad_enabled(_Mode):
    """Turn recording on or off; takes effect at once, and as a context restores the old mode.
    As a decorator it leaves the mode as it was and applies ``mode`` inside the function."""

    def __init__(self, mode: bool) -> None:
        self._prev, self._prev_req = state.enabled, state.requested
        self._mode = bool(mode)
        _apply(self._mode)

    def __call__(self, fn: Callable) -> Callable:
        # decorating must not switch the mode of the caller
        state.enabled, state.requested = self._prev, self._prev_req
        return super().__call__(fn)

    def clone(self) -> set_grad_enabled:
        return set_grad_enabled(self._mode)

    def __repr__(self) -> str:
        return f"ember.autograd.grad_mode.set_grad_enabled(mode={self._mode})"

    def __enter__(self) -> None:
        _apply(self._mode)

    def _target(self) -> bool:
        return self._mode


class inference_mode(_Mode):
    """Like ``no_grad``: nothing inside records the graph (``inference_mode(False)`` is a no-op)."""

    def __new__(cls, mode: Any = True) -> Any:
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare ``@inference_mode``

    def __init__(self, mode: bool = True) -> None:
        self._mode = bool(mode)

    def clone(self) -> inference_mode:
        return inference_mode(self._mode)

    def __enter__(self) -> None:
        self._prev = state.enabled
        self._prev_inf, self._prev_req = state.inference, state.requested
        if self._mode:
            state.enabled = False
            state.inference = True
            state.requested = False

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self._prev
        state.inference, state.requested = self._prev_inf, self._prev_req
