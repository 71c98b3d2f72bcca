"""``ember.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp (PyTorch's API).

All are built on reverse mode: a jvp is the vjp of a vjp (the "double-backward trick").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from . import grad_mode
from ._api import grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tup(x: Any) -> tuple[tuple, bool]:
    if isinstance(x, tuple):
        return x, True
    if isinstance(x, list):
        return tuple(x), True
    return (x,), False


def _prep(inputs: tuple, create_graph: bool) -> tuple:
    out = []
    for x in inputs:
        if not isinstance(x, Tensor):
            raise TypeError(f"The inputs given to the function must be Tensors, got {type(x)}")
        t = x if create_graph and x.requires_grad else x.detach()
        out.append(t.requires_grad_(True) if not t.requires_grad else t)
    return tuple(out)


def _grad_or_zeros(outs: tuple, ins: tuple, gos: tuple, create_graph: bool,
                   strict: bool) -> tuple:
    diff = [(o, g) for o, g in zip(outs, gos) if o.requires_grad]
    if not diff:
        res = (None,) * len(ins)
    else:
        res = grad([o for o, _ in diff], ins, [g for _, g in diff], create_graph=create_graph,
                   retain_graph=True, allow_unused=True)
    if strict and any(r is None for r in res):
        raise RuntimeError("The output of the user-provided function is independent of input "
                           "0. This is not allowed in strict mode.")
    return tuple(r if r is not None else i.new_zeros(i.shape) for r, i in zip(res, ins))


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), v^T J)."""
    ins, in_tuple = _tup(inputs)
    with grad_mode.enable_grad():
        ins = _prep(ins, create_graph)
        raw = func(*ins)
        outs, out_tuple = _tup(raw)
        if v is None:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function "
                                   "returns a single Tensor with a single element.")
            vs = (outs[0].new_ones(outs[0].shape),)
        else:
            vs, _ = _tup(v)
        g = _grad_or_zeros(outs, ins, vs, create_graph, strict)
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return (outs if out_tuple else outs[0]), (g if in_tuple else g[0])


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), J v), by differentiating a vjp with respect to its cotangent."""
    ins, in_tuple = _tup(inputs)
    with grad_mode.enable_grad():
        ins = _prep(ins, create_graph)
        raw = func(*ins)
        outs, out_tuple = _tup(raw)
        if v is None:
            if len(ins) != 1 or ins[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the "
                                   "user-provided function is a single Tensor with a single "
                                   "element.")
            vs = (ins[0].new_ones(ins[0].shape),)
        else:
            vs, _ = _tup(v)
        us = tuple(o.new_zeros(o.shape).requires_grad_(True) for o in outs)
        gi = grad([o for o in outs if o.requires_grad], ins,
                  [u for o, u in zip(outs, us) if o.requires_grad], create_graph=True,
                  allow_unused=True)
        pairs = [(g, w) for g, w in zip(gi, vs) if g is not None and g.requires_grad]
        if pairs:
            jv = grad([g for g, _ in pairs], us, [w for _, w in pairs],
                      create_graph=create_graph, allow_unused=True)
        else:
            jv = (None,) * len(us)
    jv = tuple(j if j is not None else o.new_zeros(o.shape) for j, o in zip(jv, outs))
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return (outs if out_tuple else outs[0]), (jv if out_tuple else jv[0])


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian, shaped output.shape + input.shape, nested like outputs x inputs."""
    from ..ops import stack

    ins, in_tuple = _tup(inputs)
    with grad_mode.enable_grad():
        ins = _prep(ins, create_graph)
        outs, out_tuple = _tup(func(*ins))
        rows = []
        for o in outs:
            per_in: list[list] = [[] for _ in ins]
            flat = o.reshape(-1)
            for k in range(flat.numel()):
                if o.requires_grad:
                    gs = grad(flat[k], ins, retain_graph=True, create_graph=create_graph,
                              allow_unused=True)
                else:
                    gs = (None,) * len(ins)
                for j, (g, x) in enumerate(zip(gs, ins)):
                    if g is None and strict:
                        raise RuntimeError(f"Output {len(rows)} of the user-provided function is "
                                           f"independent of input {j}. This is not allowed in "
                                           "strict mode.")
                    per_in[j].append(g if g is not None else x.new_zeros(x.shape))
            row = []
            for j, x in enumerate(ins):
                if per_in[j]:
                    jac = stack(per_in[j]).reshape(tuple(o.shape) + tuple(x.shape))
                else:
                    jac = x.new_zeros(tuple(o.shape) + tuple(x.shape))
                row.append(jac if create_graph else jac.detach())
            rows.append(tuple(row) if in_tuple else row[0])
    return tuple(rows) if out_tuple else rows[0]


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient."""
    ins, in_tuple = _tup(inputs)

    def grad_fn(*xs: Tensor) -> Any:
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor "
                               "with a single element")
        gs = grad(out, xs, create_graph=True, allow_unused=True)
        gs = tuple(g if g is not None else x.new_zeros(x.shape) for g, x in zip(gs, xs))
        return gs if in_tuple else gs[0]

    return jacobian(grad_fn, ins if in_tuple else ins[0], create_graph=create_graph,
                    strict=strict)


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), v^T H)."""
    ins, in_tuple = _tup(inputs)
    with grad_mode.enable_grad():
        ins = _prep(ins, True)
        out = func(*ins)
        vs, _ = _tup(v) if v is not None else ((ins[0].new_ones(ins[0].shape),), False)
        gs = grad(out, ins, create_graph=True, allow_unused=True)
        pairs = [(g, w) for g, w in zip(gs, vs) if g is not None and g.requires_grad]
        res = grad([g for g, _ in pairs], ins, [w for _, w in pairs], create_graph=create_graph,
                   allow_unused=True) if pairs else (None,) * len(ins)
    res = tuple(r if r is not None else x.new_zeros(x.shape) for r, x in zip(res, ins))
    out = out if create_graph else out.detach()
    return out, (res if in_tuple else res[0])


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), H v); equal to vhp for the symmetric Hessian of a twice-smooth function."""
    return vhp(func, inputs, v, create_graph, strict)
