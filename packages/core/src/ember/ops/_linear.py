"""Linear ops as adjoint pairs: an op's derivative is its adjoint, and the adjoint's is the op.

Padding, pooling by averaging, resampling, unfold/fold and shuffles are linear in their
input; writing each as a pair of array functions gives gradients of every order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._dispatch import Tensor, grad_state, make, record

__all__ = ["adjoint_of", "linear_op"]


def linear_op(x: Tensor, fwd: Callable[[Any, Any], Any], adj: Callable[[Any, Any], Any],
              name: str, adj_name: str | None = None, keeps_input: bool = False) -> Tensor:
    """``fwd(xp, array)`` on ``x``, recorded so that its gradient is ``adj(xp, grad)``.

    ``keeps_input``: PyTorch's backward of the op takes its input (pooling, border padding),
    so the gradient's node links the input with a zero derivative (see ``adjoint_of``)."""
    xp = x._device._backend.xp
    res = make(fwd(xp, x._data), x._device)
    if grad_state.enabled and x._rg:
        back = adj_name or name.replace("Backward0", "BackwardBackward0")
        if keeps_input:
            record(name, res, (x,), lambda g, x: (adjoint_of(g, x, adj, fwd, back, name),),
                   (x,))
        else:
            def vjp(g: Tensor) -> tuple:
                return (linear_op(g, adj, fwd, back, name),)

            record(name, res, (x,), vjp)
    return res


def adjoint_of(g: Tensor, x: Tensor, adj: Callable[[Any, Any], Any],
               fwd: Callable[[Any, Any], Any], name: str, fwd_name: str) -> Tensor:
    """``adj(xp, g)``: the gradient of a linear op on ``x``, whose node (PyTorch's
    ``<Op>BackwardBackward0``) takes ``x`` too with a zero derivative, so a Hessian through
    the op is zeros rather than "not used in the graph"."""
    if not (grad_state.enabled and x._rg):
        return linear_op(g, adj, fwd, name, fwd_name)
    res = make(adj(g._device._backend.xp, g._data), g._device)
    record(name, res, (g, x),
           lambda gg: (linear_op(gg, fwd, adj, fwd_name, name), x.new_zeros(x.shape)))
    return res
