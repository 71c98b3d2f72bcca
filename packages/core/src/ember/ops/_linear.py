"""Linear ops as adjoint pairs: an op's derivative is its adjoint, and the adjoint's is the op.

Padding, pooling by averaging, resampling, unfold/fold and shuffles are linear in their
input; writing each as a pair of array functions gives gradients of every order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._dispatch import Tensor, grad_state, make, record

__all__ = ["linear_op"]


def linear_op(x: Tensor, fwd: Callable[[Any, Any], Any], adj: Callable[[Any, Any], Any],
              name: str, adj_name: str | None = None) -> Tensor:
    """``fwd(xp, array)`` on ``x``, recorded so that its gradient is ``adj(xp, grad)``."""
    xp = x._device._backend.xp
    res = make(fwd(xp, x._data), x._device)
    if grad_state.enabled and x._rg:
        back = adj_name or name.replace("Backward0", "BackwardBackward0")

        def vjp(g: Tensor) -> tuple:
            return (linear_op(g, adj, fwd, back, name),)

        record(name, res, (x,), vjp)
    return res
