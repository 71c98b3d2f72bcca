"""``vmap``: a function mapped over a dimension of its inputs.

Ember has no batching rules: the function runs once per index along the mapped dimension
and the results are stacked. Values, shapes and gradients equal PyTorch's.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

from .._tensor import Tensor
from ..autograd.function import run_transformed as _transformed
from ._pytree import TreeSpec, tree_flatten, tree_unflatten


def _name(func: Any) -> str:
    """How PyTorch's vmap messages name the mapped function."""
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def _broadcast_flat(dims: Any, spec: TreeSpec) -> list | None:
    """``dims`` (a prefix of the tree ``spec`` describes) repeated over each subtree's
    leaves, flat; None where ``dims`` is no prefix of it."""
    full = tree_unflatten([0] * spec.num_leaves, spec)
    leaves, dims_spec = tree_flatten(dims)
    try:
        subtrees = dims_spec.flatten_up_to(full)
    except ValueError:
        return None
    return [d for d, sub in zip(leaves, subtrees) for _ in range(len(tree_flatten(sub)[0]))]


def _flat_in_dims(in_dims: Any, args: tuple, func: Any) -> tuple[list, list, TreeSpec]:
    """The leaves of ``args``, their in_dims (non-negative) and the structure (PyTorch's
    checks, in its order and words)."""
    head = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"{head}: expected `in_dims` to be int or a (potentially nested) tuple "
                         f"matching the structure of inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add "
                         "inputs, or you are trying to vmap over a function with no inputs. The "
                         "latter is unsupported.")
    leaves, spec = tree_flatten(args)
    dims = _broadcast_flat(in_dims, spec)
    if dims is None:
        raise ValueError(f"{head}: in_dims is not compatible with the structure of `inputs`. "
                         f"in_dims has structure {tree_flatten(in_dims)[1]} but inputs has "
                         f"structure {spec}.")
    for i, (x, d) in enumerate(zip(leaves, dims)):
        if d is not None and not isinstance(d, int):
            raise ValueError(f"{head}: Got in_dim={d} for an input but in_dim must be either an "
                             "integer dimension or None.")
        if d is not None and not isinstance(x, Tensor):
            raise ValueError(f"{head}: Got in_dim={d} for an input but the input is of type "
                             f"{type(x)}. We cannot vmap over non-Tensor arguments, please use "
                             "None as the respective in_dim")
        if d is not None and not -x.ndim <= d < x.ndim:
            raise ValueError(f"{head}: Got in_dim={d} for some input, but that input is a Tensor "
                             f"of dimensionality {x.ndim} so expected in_dim to satisfy "
                             f"-{x.ndim} <= in_dim < {x.ndim}.")
        if d is not None:
            dims[i] = d % x.ndim
    return leaves, dims, spec


def _batch_size(leaves: list, dims: list) -> int:
    sizes = [x.shape[d] for x, d in zip(leaves, dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def _flat_out_dims(out_dims: Any, result: Any, spec: TreeSpec, func: Any) -> list:
    """``out_dims`` broadcast over the outputs' leaves (PyTorch's rules and message)."""
    if isinstance(result, Tensor):
        flat = ([out_dims] if out_dims is None or isinstance(out_dims, int) else
                list(out_dims) if isinstance(out_dims, tuple) and len(out_dims) == 1 else None)
    else:
        flat = _broadcast_flat(out_dims, spec)
    if flat is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is "
                         "not compatible with the structure of `outputs`. out_dims has structure "
                         f"{tree_flatten(out_dims)[1]} but outputs has structure {spec}.")
    return flat


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
    check_randomness(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def mapped(*args: Any, **kwargs: Any) -> Any:
        _check_out_dims(out_dims, func)
        leaves, dims, spec = _flat_in_dims(in_dims, args, func)
        n = _batch_size(leaves, dims)
        mapped_ids: set = set()
        keep = []  # the mapped slices stay alive: their ids mark outputs that are inputs

        def call(i: int) -> Any:
            sliced = [x if d is None else x.select(d, i) if n else x.new_zeros(
                x.shape[:d] + x.shape[d + 1:]) for x, d in zip(leaves, dims)]
            mapped_ids.update(id(x) for x, d in zip(sliced, dims) if d is not None)
            keep.append(sliced)
            return _transformed(func, *tree_unflatten(sliced, spec), **kwargs)

        results = _run_each(call, max(n, 1), randomness)
        outs = [tree_flatten(r) for r in results]
        out_spec = outs[0][1]
        od = _flat_out_dims(out_dims, results[0], out_spec, func)
        stacked = [_stack_column([o[0][j] for o in outs], d, n, mapped_ids, func)
                   for j, d in enumerate(od)]
        return tree_unflatten(stacked, out_spec)

    return mapped


def _check_out_dims(out_dims: Any, func: Any) -> None:
    """PyTorch's refusal of out_dims that are not ints or None (possibly nested)."""
    if not all(d is None or isinstance(d, int) for d in tree_flatten(out_dims)[0]):
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an "
                         "int, None or a python collection of ints representing where in the "
                         "outputs the vmapped dimension should appear.")


def check_randomness(randomness: str) -> None:
    """PyTorch's refusal of a ``randomness`` other than "error", "different" or "same"."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


@contextlib.contextmanager
def random_mode(randomness: str) -> Iterator[None]:
    """Random ops refused inside (``randomness="error"``) or allowed, for the duration."""
    from .. import random as _random

    prev = _random._forbid_random[0]
    _random._forbid_random[0] = randomness == "error"
    try:
        yield
    finally:
        _random._forbid_random[0] = prev


def _run_each(call: Callable, n: int, randomness: str) -> list:
    """``call(i)`` for each batch index, with random ops refused ("error") or replayed from
    one generator state ("same")."""
    from .. import random as _random

    gen = _random.default_generator
    state = gen.get_state() if randomness == "same" else None
    results = []
    with random_mode(randomness):
        for i in range(n):
            if state is not None:  # "same": every entry draws what the first one drew
                gen.set_state(state)
            results.append(call(i))
    return results


def _stack_column(col: list, d: Any, n: int, mapped_ids: set, func: Any) -> Any:
    """One output of every mapped call, stacked at ``d`` (an empty batch keeps none)."""
    from ..ops import stack

    if d is None:  # not mapped: the first entry's value (any type), as it is
        if _batched(col, mapped_ids):
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` can not return a "
                             "BatchedTensor when out_dim is None")
        return col[0]
    if not isinstance(col[0], Tensor):
        raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, "
                         f"got type {type(col[0])}. Did you mean to set out_dims= to None for "
                         "output?")
    nd = col[0].ndim + 1
    if not -nd <= d < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                         f"but got {d})")
    out = stack(col, d)
    _name_as_batched(out, col[0])
    return out if n else out.narrow(d % out.ndim, 0, 0)


# the node PyTorch's batched op shows where one entry's op differs (a full reduction of an
# entry is a reduction over dims of the batch; a dot product a matmul then squeezed)
_BATCHED_NODE = {"SumBackward0": "SumBackward1", "MeanBackward0": "MeanBackward1",
                 "ProdBackward0": "ProdBackward1", "MaxBackward1": "MaxBackward0",
                 "MinBackward1": "MinBackward0", "DotBackward0": "SqueezeBackward1",
                 "TraceBackward0": "SumBackward1", "MmBackward0": "UnsafeViewBackward0",
                 "MvBackward0": "SqueezeBackward1", "MseLossBackward0": "MeanBackward1"}


def _name_as_batched(out: Tensor, first: Tensor) -> None:
    """The stacked result's graph node shown under the name PyTorch's batched computation
    gives it: that of the last op each call ran (not Ember's stack)."""
    from ..ops._dispatch import renamed

    node = first.grad_fn
    if node is not None and out.grad_fn is not None:
        name = node.name()
        renamed(out, _BATCHED_NODE.get(name, name))
