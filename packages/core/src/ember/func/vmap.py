"""``vmap``: a function mapped over a dimension of its inputs.

Ember has no batching rules: the function runs once per index along the mapped dimension
and the results are stacked. Values, shapes and gradients equal PyTorch's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from ..autograd.function import run_transformed as _transformed
from ._pytree import tree_flatten, tree_unflatten


def _name(func: Any) -> str:
    """How PyTorch's vmap messages name the mapped function."""
    return getattr(func, "__name__", repr(func))


def _dims_like(in_dims: Any, args: tuple, func: Any = None) -> list:
    """``in_dims`` expanded to one entry per leaf of ``args``."""
    if in_dims is None and func is not None:  # (None for every input maps nothing)
        raise ValueError(f"vmap({_name(func)}, in_dims=None, ...)(<inputs>): expected `in_dims` "
                         "to be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(None)}.")
    if isinstance(in_dims, int) or in_dims is None:
        return [in_dims] * len(tree_flatten(args)[0])
    if not isinstance(in_dims, tuple) or len(in_dims) != len(args):
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): "
                         f"in_dims is not compatible "
                         f"with the structure of `inputs`. in_dims has structure "
                         f"{type(in_dims).__name__} but inputs has {len(args)} positional "
                         "arguments")
    out = []
    for d, a in zip(in_dims, args):
        n = len(tree_flatten(a)[0])
        if isinstance(d, int) or d is None:
            out += [d] * n
        else:
            leaves, _ = tree_flatten(d)
            if len(leaves) != n:
                raise ValueError("vmap: in_dims is not compatible with the structure of inputs")
            out += leaves
    return out


def _batched(col: list, mapped_ids: set) -> bool:
    """Whether an output of the mapped calls depends on the mapped inputs (PyTorch's
    BatchedTensor): a mapped input itself, or a tensor that differs between calls."""
    if not isinstance(col[0], Tensor):
        return False
    if any(id(t) in mapped_ids for t in col):
        return True
    first = col[0]
    for t in col[1:]:
        if not isinstance(t, Tensor) or t.shape != first.shape or t.dtype != first.dtype:
            return True
        xp = t._device._backend.xp
        if t._device is not first._device or not bool(
                xp.array_equal(t._data, first._data, equal_nan=t.is_floating_point())):
            return True
    return False


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``func`` mapped over dimension ``in_dims`` of its inputs, results stacked at
    ``out_dims``."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    @functools.wraps(func)
    def mapped(*args: Any, **kwargs: Any) -> Any:
        from ..ops import stack

        leaves, spec = tree_flatten(args)
        dims = _dims_like(in_dims, args, func)
        for x, d in zip(leaves, dims):
            if d is not None and not isinstance(x, Tensor):
                raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): "
                                 f"Got in_dim={d} "
                                 f"for an input but the input is of type {type(x)}. We cannot "
                                 "vmap over non-Tensor arguments, please use None as the "
                                 "respective in_dim")
            if d is not None and not -x.ndim <= d < x.ndim:
                raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): "
                                 f"Got in_dim={d} "
                                 f"for some input, but that input is a Tensor of dimensionality "
                                 f"{x.ndim} so expected in_dim to satisfy -{x.ndim} <= in_dim < "
                                 f"{x.ndim}.")
        sizes = {x.shape[d] for x, d in zip(leaves, dims)
                 if d is not None and isinstance(x, Tensor)}
        if not sizes:
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): "
                             f"at least one input "
                             "must be a Tensor mapped over a dimension (in_dim not None)")
        if len(sizes) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
        n = sizes.pop()
        results = []
        mapped_ids: set = set()
        keep = []  # the mapped slices stay alive: their ids mark outputs that are inputs
        from .. import random as _random

        gen = _random.default_generator
        state = gen.get_state() if randomness == "same" else None
        prev = _random._forbid_random[0]
        _random._forbid_random[0] = randomness == "error"
        try:
            for i in range(n):
                if state is not None:  # "same": every entry draws what the first one drew
                    gen.set_state(state)
                sliced = [x.select(d, i) if d is not None else x for x, d in zip(leaves, dims)]
                mapped_ids.update(id(x) for x, d in zip(sliced, dims) if d is not None)
                keep.append(sliced)
                results.append(_transformed(func, *tree_unflatten(sliced, spec), **kwargs))
        finally:
            _random._forbid_random[0] = prev
        outs = [tree_flatten(r) for r in results]
        out_spec = outs[0][1]
        if isinstance(out_dims, tuple) and isinstance(results[0], tuple):
            od = _dims_like(out_dims, results[0])
        elif isinstance(out_dims, tuple):
            od = _dims_like(out_dims, (results[0],))
        else:
            od = [out_dims] * len(outs[0][0])
        stacked = []
        for j in range(len(outs[0][0])):
            col = [o[0][j] for o in outs]
            d = od[j]
            if d is None:  # not mapped: the first entry's value (any type), as it is
                if _batched(col, mapped_ids):
                    raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` can not return "
                                     "a BatchedTensor when out_dim is None")
                stacked.append(col[0])
                continue
            if not isinstance(col[0], Tensor):
                raise ValueError(f"vmap({getattr(func, '__name__', func)}, ...): `"
                                 f"{getattr(func, '__name__', func)}` must only return Tensors, "
                                 f"got type {type(col[0])}. Did you mean to set out_dims= to "
                                 "None for output?")
            stacked.append(stack(col, d % (col[0].ndim + 1)))
        return tree_unflatten(stacked, out_spec)

    return mapped
