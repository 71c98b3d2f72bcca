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


def set_num_threads(n: int) -> None:
    """Set the number of threads used for intra-op parallelism (BLAS)."""
    if int(n) < 1:
        raise RuntimeError("set_num_threads expects a positive integer")
    _threads[0] = int(n)  # the BLAS uses it for large products (ember/ops/_blas.py)


def get_num_threads() -> int:
    return _threads[0]


def set_num_interop_threads(n: int) -> None:
    _threads[1] = int(n)


def get_num_interop_threads() -> int:
    return _threads[1]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ember's ops are deterministic on the CPU; the flag is kept for programs that read it."""
    _deterministic[0], _deterministic[1] = bool(mode), bool(warn_only)


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
            backend: Any = "inductor", mode: Any = None, options: Any = None,
            disable: bool = False) -> Any:
    """Ember runs eagerly: ``compile`` returns the function unchanged, and a module in the
    wrapper PyTorch returns (its ``_orig_mod``), or itself with ``disable=True``."""
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                                 mode=mode, options=options, disable=disable)
    if disable:
        return model
    if not getattr(compile, "_warned", False):
        warnings.warn("ember.compile is a no-op: Ember runs programs eagerly", stacklevel=2)
        compile._warned = True  # type: ignore[attr-defined]
    wrap = getattr(type(model), "_compiled_wrapper", None)  # an nn.Module (ember-nn)
    return wrap(model) if wrap is not None else model


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
