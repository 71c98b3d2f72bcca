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


def _tup(x: Any, arg: str = "inputs", fn: str | None = None) -> tuple[tuple, bool]:
    """``x`` as a tuple, and whether it was one; with ``fn``, PyTorch's check that it holds
    tensors only."""
    is_tuple = isinstance(x, tuple)
    xs = x if is_tuple else (x,)
    if fn is not None:
        for i, el in enumerate(xs):
            if not isinstance(el, Tensor):
                which = f"value at index {i}" if is_tuple else f"given {arg}"
                raise TypeError(f"The {arg} given to {fn} must be either a Tensor or a tuple of "
                                f"Tensors but the {which} has type {type(el)}.")
    return xs, is_tuple


_OUT = "outputs of the user-provided function"


def _validate_v(v: tuple, other: tuple, is_tuple: bool) -> None:
    """PyTorch's refusal of a ``v`` not shaped like the tensors it multiplies."""
    if len(other) != len(v):
        if is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            where = f"Entry {i} in " if is_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {b.shape} but got "
                               f"{a.shape}.")


def _check_outputs_require_grad(outs: tuple, strict: bool) -> None:
    if strict:
        for i, o in enumerate(outs):
            if not o.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not require "
                                   "gradients. The outputs must be computed in a differentiable "
                                   "manner from the input when running in strict mode.")


def _check_jacobian_requires_grad(jac: tuple, strict: bool) -> None:
    if strict:
        for i, g in enumerate(jac):
            if g is None:
                raise RuntimeError(f"The output of the user-provided function is independent of "
                                   f"input {i}. This is not allowed in strict mode.")
            if not g.requires_grad:
                raise RuntimeError(
                    "While computing the hessian, found that the jacobian of the user-provided "
                    f"function with respect to input {i} is independent of the input. This is "
                    "not allowed in strict mode. You should ensure that your function is twice "
                    "differentiable and that the jacobian depends on the inputs (this would be "
                    "violated by a linear function for example).")


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
    ins, in_tuple = _tup(inputs, "inputs", "vjp")
    with grad_mode.enable_grad():
        ins = _prep(ins, create_graph)
        raw = func(*ins)
        outs, out_tuple = _tup(raw, _OUT, "vjp")
        _check_outputs_require_grad(outs, strict)
        if v is not None:
            vs, _ = _tup(v, "v", "vjp")
            _validate_v(vs, outs, out_tuple)
        else:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function "
                                   "returns a single Tensor with a single element.")
            vs = (outs[0].new_ones(outs[0].shape),)
        g = _grad_or_zeros(outs, ins, vs, create_graph, strict)
    outs = tuple(o if create_graph else o.detach() for o in outs)
    return (outs if out_tuple else outs[0]), (g if in_tuple else g[0])


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), J v), by differentiating a vjp with respect to its cotangent."""
    ins, in_tuple = _tup(inputs, "inputs", "jvp")
    with grad_mode.enable_grad():
        ins = _prep(ins, create_graph)
        if v is None:
            if len(ins) != 1 or ins[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the "
                                   "user-provided function is a single Tensor with a single "
                                   "element.")
            vs = (ins[0].new_ones(ins[0].shape),)
        else:
            vs, _ = _tup(v, "v", "jvp")
            _validate_v(vs, ins, in_tuple)
        raw = func(*ins)
        outs, out_tuple = _tup(raw, _OUT, "jvp")
        _check_outputs_require_grad(outs, strict)
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

    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":  # computed by reverse mode, with forward mode's refusals
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`strict=False` or `strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                "only implemented for `vectorize=True`.")
    elif vectorize and strict:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
            "supported together. Please either set `strict=False` or `vectorize=False`.")
    ins, in_tuple = _tup(inputs, "inputs", "jacobian")
    with grad_mode.enable_grad():
        ins = _prep(ins, create_graph)
        outs, out_tuple = _tup(func(*ins), _OUT, "jacobian")
        _check_outputs_require_grad(outs, strict)
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
            rows.append(_inner(row, in_tuple, strategy))
    if not out_tuple:
        return rows[0]
    return rows if in_tuple and strategy == "forward-mode" else tuple(rows)


def _inner(row: list, in_tuple: bool, strategy: str) -> Any:
    """One output's Jacobians, one per input: a tuple, or a list for forward mode (as
    PyTorch's forward-mode Jacobian returns them)."""
    if not in_tuple:
        return row[0]
    return row if strategy == "forward-mode" else tuple(row)


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient."""
    ins, in_tuple = _tup(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def grad_fn(*xs: Tensor) -> Any:
        out = func(*xs)
        outs, out_tuple = _tup(out, _OUT, "hessian")
        _check_outputs_require_grad(outs, strict)
        if out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        gs = grad(out, xs, create_graph=True, allow_unused=True)
        _check_jacobian_requires_grad(gs, strict)
        gs = tuple(g if g is not None else x.new_zeros(x.shape) for g, x in zip(gs, xs))
        return gs if in_tuple else gs[0]

    return jacobian(grad_fn, ins if in_tuple else ins[0], create_graph=create_graph,
                    strict=strict, vectorize=vectorize, strategy=outer_jacobian_strategy)


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), v^T H)."""
    return _vhp(func, inputs, v, create_graph, strict, "vhp")


def _vhp(func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool,
         fn: str) -> tuple:
    ins, in_tuple = _tup(inputs, "inputs", fn)
    with grad_mode.enable_grad():
        ins = _prep(ins, True)
        if v is not None:
            vs, _ = _tup(v, "v", fn)
            _validate_v(vs, ins, in_tuple)
        else:
            if len(ins) != 1 or ins[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the "
                                   "user-provided function is a single Tensor with a single "
                                   "element.")
            vs = (ins[0].new_ones(ins[0].shape),)
        out = func(*ins)
        outs, out_tuple = _tup(out, _OUT, fn)
        _check_outputs_require_grad(outs, strict)
        if out_tuple:
            raise RuntimeError(f"The function given to {fn} should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn} should "
                               "contain a single element")
        gs = grad(out, ins, create_graph=True, allow_unused=True)
        _check_jacobian_requires_grad(gs, strict)
        pairs = [(g, w) for g, w in zip(gs, vs) if g is not None and g.requires_grad]
        res = grad([g for g, _ in pairs], ins, [w for _, w in pairs], create_graph=create_graph,
                   allow_unused=True) if pairs else (None,) * len(ins)
    res = tuple(r if r is not None else x.new_zeros(x.shape) for r, x in zip(res, ins))
    out = out if create_graph else out.detach()
    return out, (res if in_tuple else res[0])


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), H v); equal to vhp for the symmetric Hessian of a twice-smooth function."""
    return _vhp(func, inputs, v, create_graph, strict, "hvp")
