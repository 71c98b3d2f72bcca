"""Matrix products with the BLAS thread count fitted to their size.

OpenBLAS hands every product above a tiny size to all its threads. For the small and
middle-sized products of neural-network layers the hand-off costs more than it saves,
and on a busy machine waiting threads make it many times slower. Products below
``SMALL_WORK`` multiply-adds run on one thread; larger ones on all the threads that
``ember.set_num_threads`` allows. The count is changed (through threadpoolctl, where
installed) only when a product crosses the threshold, so runs of similar products
pay nothing. ``ember.set_num_threads`` sets the count large products use.
"""

from __future__ import annotations

from typing import Any

from .._runtime import _threads
from ._dispatch import quiet

__all__ = ["matmul", "fit_threads", "SMALL_WORK"]

SMALL_WORK = 1 << 25  # multiply-adds
_state: dict[str, Any] = {"lib": None, "ready": False, "current": None}


def _controller() -> Any:
    if not _state["ready"]:
        _state["ready"] = True
        try:
            from threadpoolctl import ThreadpoolController

            libs = ThreadpoolController().select(user_api="blas").lib_controllers
            # NumPy's own BLAS (another library, e.g. PyTorch's, may be loaded too)
            libs = sorted(libs, key=lambda lib: "numpy" not in str(lib.filepath))
            if libs:
                _state["lib"] = libs[0]
                _state["current"] = libs[0].num_threads
        except Exception:  # threadpoolctl absent or unable to see the BLAS: leave it alone
            _state["lib"] = None
    return _state["lib"]


def fit_threads(work: int) -> None:
    """Before a product of ``work`` multiply-adds: one thread if small, all if large."""
    lib = _state["lib"] if _state["ready"] else _controller()
    if lib is None:
        return
    want = 1 if work < SMALL_WORK else _threads[0]
    if want != _state["current"]:
        lib.set_num_threads(want)
        _state["current"] = want


def matmul(xp: Any, a: Any, b: Any) -> Any:
    """``xp.matmul(a, b)``, on NumPy with the thread count fitted to the product."""
    if xp.__name__ == "numpy" and a.ndim and b.ndim:
        m = a.shape[-2] if a.ndim > 1 else 1
        n = b.shape[-1] if b.ndim > 1 else 1
        k = a.shape[-1]
        batch = max(a.size // max(m * k, 1), b.size // max(k * n, 1))
        fit_threads(batch * m * k * n)
        return quiet(xp.matmul, a, b)  # inf/NaN products warn in NumPy, never in PyTorch
    return xp.matmul(a, b)
