"""Process-wide runtime settings PyTorch programs set: threads and determinism.

The intra-op thread count is the number of BLAS threads large matrix products use
(small ones use one: see ``ember/ops/_blas.py``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "set_float32_matmul_precision", "get_float32_matmul_precision", "compile"]

_threads = [os.cpu_count() or 1, os.cpu_count() or 1]
_deterministic = [False, False]
_matmul_precision = ["highest"]


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def _thread_count(n: Any, fn: str) -> int:
    """``n`` as a thread count, refused as PyTorch refuses it (ints only, at least 1)."""
    if not hasattr(n, "__index__") or isinstance(n, bool):
        raise RuntimeError(f"{fn} expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"{fn} expects a positive integer")
    return int(n)


def set_num_threads(n: int) -> None:
    """Set the number of threads used for intra-op parallelism (BLAS)."""
    _threads[0] = _thread_count(n, "set_num_threads")  # the BLAS reads it (ops/_blas.py)


def get_num_threads() -> int:
    return _threads[0]


_interop_set = [False]


def set_num_interop_threads(n: int) -> None:
    """Set the inter-op thread count: once per process, as PyTorch allows."""
    n = _thread_count(n, "set_num_interop_threads")
    if _interop_set[0]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _threads[1] = n
    _interop_set[0] = True


def get_num_interop_threads() -> int:
    return _threads[1]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ember's ops are deterministic on the CPU; the flag is kept for programs that read it."""
    for name, value in (("mode' (position 1)", mode), ("warn_only'", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name} must be bool, "
                            f"not {type(value).__name__}")
    _deterministic[0], _deterministic[1] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic[0]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic[1]


def set_float32_matmul_precision(precision: str) -> None:
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: expected highest, high or medium")
    _matmul_precision[0] = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision[0]


def compile(model: Callable | None = None, *, fullgraph: bool = False, dynamic: Any = None,  # noqa: A001
            backend: Any = None, mode: Any = None, options: Any = None, name: Any = None,
            disable: bool = False, recompile_limit: Any = None, isolate_recompiles: bool = False,
            dynamic_shapes: Any = None) -> Any:
    """Ember runs eagerly: ``compile`` returns the function unchanged, and a module in the
    wrapper PyTorch returns (its ``_orig_mod``), or itself with ``disable=True``. The
    arguments are checked as PyTorch checks them."""
    if model is None:
        def apply(model: Callable) -> Any:
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, disable=disable)

        return apply
    _check_compile_args(backend, mode, options)
    if disable:
        return model
    _first_compile()
    if not getattr(compile, "_warned", False):
        warnings.warn("ember.compile is a no-op: Ember runs programs eagerly", stacklevel=2)
        compile._warned = True  # type: ignore[attr-defined]
    wrap = getattr(type(model), "_compiled_wrapper", None)  # an nn.Module (ember-nn)
    return wrap(model) if wrap is not None else model


# What PyTorch's first compile changes for the rest of the process (torch._dynamo patches
# torch once): modules above this one register the change here (distributions stop
# validating their arguments by default); one registered after that compile runs at once.
_compile_patches: list = []
_compiled = [False]


def on_first_compile(patch: Callable[[], None]) -> None:
    """Run ``patch`` at the process's first ``compile`` (now, if that has happened)."""
    if _compiled[0]:
        patch()
    else:
        _compile_patches.append(patch)


def _first_compile() -> None:
    if not _compiled[0]:
        _compiled[0] = True
        for patch in _compile_patches:
            patch()


_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def _check_compile_args(backend: Any, mode: Any, options: Any) -> None:
    """PyTorch's refusals at ``compile`` time: mode with options, an unknown inductor mode,
    a backend name nobody registered."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    from ._dynamo.exc import lookup_backend

    lookup_backend(backend)
    if backend in (None, "inductor") and mode not in (None, *_MODES):
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")


# NumPy's floating-point warnings (overflow in exp, log(0), 0/0) must not reach users, even
# under ``warnings.simplefilter("error")``: the kernels run with NumPy's error state set to
# "ignore" through its context variable (0.2 us; ``np.errstate`` costs several).
try:
    from numpy._core._ufunc_config import _extobj_contextvar as _np_fp_state

    with np.errstate(all="ignore"):
        _QUIET = _np_fp_state.get()
except (ImportError, AttributeError):  # pragma: no cover - other NumPy versions
    _np_fp_state = _QUIET = None


def quiet(kernel: Callable, *args: Any) -> Any:
    """``kernel(*args)`` with NumPy's floating-point warnings off."""
    if _np_fp_state is None:  # pragma: no cover
        with np.errstate(all="ignore"):
            return kernel(*args)
    token = _np_fp_state.set(_QUIET)
    try:
        return kernel(*args)
    finally:
        _np_fp_state.reset(token)


def lazy_submodules(package: str, names: tuple) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports the submodules ``names`` of ``package`` on first
    access (``ember.utils.data``, ``ember.vision.models``), as attributes PyTorch's have."""
    import importlib
    import sys

    def getattr_(name: str) -> Any:
        if name in names:
            module = importlib.import_module(f"{package}.{name}")
            setattr(sys.modules[package], name, module)
            return module
        raise AttributeError(f"module '{package}' has no attribute '{name}'")

    return getattr_
