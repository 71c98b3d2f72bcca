"""``ember.autograd.forward_ad``: forward-mode derivatives through dual tensors.

Inside a ``dual_level``, ``make_dual(x, t)`` pairs a tensor with a tangent; ops on it run as
usual, and ``unpack_dual(y).tangent`` is the Jacobian-vector product ``J @ t`` of ``y`` with
respect to every dual tensor of the level. Ember has no per-op forward formulas: the tangent
is computed when it is asked for, as the vjp of a vjp (``u -> J^T u`` is linear in ``u``,
so its vjp with ``t`` is ``J @ t``), through the reverse-mode graph the dual tensors record.
The numbers are PyTorch's; what differs is that a dual tensor made from a tensor that does
not require grad is itself a leaf that requires grad (the graph the tangents come from), and
that where a primal requires grad a tangent's ``grad_fn`` is that of the vjp graph (and it
requires grad only where it depends on such a primal; PyTorch's formulas often make it).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

from .._tensor import Tensor
from .grad_mode import enable_grad

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]


class _Level:
    """The dual tensors of the one level that may exist, with their tangents."""

    def __init__(self) -> None:
        self.duals: list[tuple[Tensor, Tensor]] = []
        self.keeps_graph = False  # a primal required grad: tangents are differentiable too
        self.primal_graph = False  # a primal required grad: primals stay on its graph
        # tangents handed out on the graph (a primal required grad), by id while they live: in
        # PyTorch a tangent has no tangent of its own at its level
        self.tangents: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


_current: list[_Level] = []


def enter_dual_level() -> int:
    """Start a level for dual tensors; only one may exist at a time, as in PyTorch."""
    if _current:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current.append(_Level())
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """End the level: its dual tensors lose their tangents."""
    if level is None:
        level = 0 if _current else -1
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if level != 0 or not _current:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    _current.clear()


def _level(level: int | None) -> _Level | None:
    if not _current or (level is not None and level != 0):
        return None
    return _current[0]


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """``tensor`` paired with ``tangent`` (same shape) for forward-mode derivatives."""
    state = _level(level)
    if state is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    for what, t in (("primal", tensor), ("tangent", tangent)):
        if not (t.is_floating_point() or t.is_complex()):
            raise ValueError(f"Expected {what} to be floating point or complex, but got: "
                             f"{t.dtype}")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}.")
    if tangent.stride() != tensor.stride():
        tangent = _like_layout(tangent, tensor)
    if tensor.requires_grad:  # a view keeps the reverse-mode graph to ``tensor``
        dual = tensor.view_as(tensor)
        state.keeps_graph = state.primal_graph = True
    else:
        dual = tensor.detach().requires_grad_(True)
    state.keeps_graph = state.keeps_graph or tangent.requires_grad
    state.duals.append((dual, tangent))
    return dual


def _like_layout(tangent: Tensor, tensor: Tensor) -> Tensor:
    """A copy of ``tangent`` with ``tensor``'s strides, as PyTorch stores a tangent whose
    layout differs from its primal's (differentiably: ``CopyBackwards``)."""
    from .. import empty_strided

    out = empty_strided(tensor.shape, tensor.stride(), dtype=tangent.dtype,
                        device=tangent.device)
    return out.copy_(tangent)


class UnpackedDualTensor(NamedTuple):
    """A dual tensor's primal and tangent (None where it has none)."""

    primal: Tensor
    tangent: Tensor | None


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """The primal of ``tensor`` and its tangent at the level (the product of the Jacobian
    of ``tensor`` with respect to the level's dual tensors and their tangents)."""
    state = _level(level)
    if state is None:
        return UnpackedDualTensor(tensor, None)
    for dual, tangent in state.duals:
        if dual is tensor:
            return UnpackedDualTensor(_primal(tensor, state), tangent)
    if id(tensor) in state.tangents:
        return UnpackedDualTensor(_primal(tensor, state), None)
    return UnpackedDualTensor(_primal(tensor, state), _tangent(tensor, state))


def _primal(tensor: Tensor, state: _Level) -> Tensor:
    # without a primal that requires grad, the graph exists only for the tangents (a
    # tangent that requires grad puts the tangents on a graph, not the primals)
    return tensor.view_as(tensor) if state.primal_graph else tensor.detach()


def _tangent(y: Tensor, state: _Level) -> Tensor | None:
    from ._api import grad

    pairs = [(d, t) for d, t in state.duals if d.requires_grad]
    if not y.requires_grad or not pairs:
        return None
    with enable_grad():
        u = y.new_zeros(y.shape).requires_grad_(True)
        gs = grad(y, [d for d, _ in pairs], u, create_graph=True, allow_unused=True)
        used = [(g, t) for g, (_, t) in zip(gs, pairs) if g is not None]
        if not used:
            return None
        out = grad([g for g, _ in used], u, [t for _, t in used],
                   create_graph=state.keeps_graph, allow_unused=True)[0]
    if out is None:  # J^T u does not depend on u: the Jacobian is zero
        return y.new_zeros(y.shape)
    if not state.keeps_graph:
        return out.detach()
    state.tangents[id(out)] = out
    return out


def custom_jvp(cls: type, ctx: Any, args: tuple, outs: tuple) -> tuple | None:
    """The outputs of a custom Function that defines ``jvp`` (and no backward) as dual
    tensors whose tangents are ``cls.jvp(ctx, *input_tangents)``; None where no input has a
    tangent (PyTorch then skips ``jvp``). As in PyTorch, tensor inputs without a tangent get
    zeros and other arguments None."""
    state = _level(None)
    tangents = [unpack_dual(a).tangent if isinstance(a, Tensor) else None for a in args]
    if state is None or all(t is None for t in tangents):
        return None
    tangents = [a.new_zeros(a.shape) if t is None and isinstance(a, Tensor) else t
                for a, t in zip(args, tangents)]
    res = cls.jvp(ctx, *tangents)
    res = res if isinstance(res, tuple) else (res,)
    if len(res) != len(outs):
        raise RuntimeError(f"function {cls.__name__}.jvp returned an incorrect number of "
                           f"tangents (expected {len(outs)}, got {len(res)})")
    wrapped = []
    for o, t in zip(outs, res):
        if isinstance(o, Tensor) and t is not None and (o.is_floating_point() or o.is_complex()):
            dual = o.detach().requires_grad_(True)
            state.duals.append((dual, t if state.keeps_graph else t.detach()))
            o = dual
        wrapped.append(o)
    return tuple(wrapped)


class dual_level:
    """A ``with`` block (or decorator) inside which dual tensors keep their tangents."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()

    def __call__(self, fn: Callable) -> Callable:
        import functools

        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with dual_level():
                return fn(*args, **kwargs)

        return wrapped
