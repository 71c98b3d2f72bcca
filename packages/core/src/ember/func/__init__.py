"""``ember.func``: PyTorch's function transforms (torch.func) on Ember's autograd.

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd`` and ``hessian``
transform functions of tensors and nest (``grad(grad(f))``); ``functional_call`` runs a
module with substituted parameters and buffers; ``vmap`` maps a function over a batch
dimension. Ember has no batching rules, so ``vmap`` calls the function once per batch
entry and stacks the results: same values as PyTorch's, at a per-call cost.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd._api import grad as _autograd_grad
from ..autograd.function import run_transformed as _transformed
from ..autograd.functional import _leaves_within
from ._module_utils import functionalize, replace_all_batch_norm_modules_
from ._pytree import tree_flatten, tree_map, tree_unflatten, treespec_pprint
from .call import functional_call, stack_module_state
from .vmap import check_randomness, random_mode, vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call", "stack_module_state", "linearize", "functionalize",
           "replace_all_batch_norm_modules_"]


def _wrap_input(x: Any) -> Any:
    """A differentiable alias of ``x``: connected to an outer transform's graph, if any."""
    if not isinstance(x, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
    if x.requires_grad:
        return x.view_as(x)
    return x.detach().requires_grad_(True)


def _argnums_tuple(argnums: Any, nargs: int, api: str) -> tuple[tuple, bool]:
    """``argnums`` as a tuple of non-negative indices (PyTorch's checks and words)."""
    single = isinstance(argnums, int)
    if not single and not isinstance(argnums, tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    nums = (argnums,) if single else argnums
    for a in nums:
        if not isinstance(a, int):
            raise RuntimeError(f"argnum must be int, got: {type(a)}")
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnum={a}, but only {nargs} positional inputs")
    nums = tuple(a % nargs for a in nums)
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"argnums elements must be unique, got {nums}")
    return nums, single


def _grads(outputs: list, inputs: list, cotangents: list | None = None,
           keep: bool = False) -> list:
    """d(outputs)/d(inputs) with zeros for unused inputs; keeps the graph when nested (or
    ``keep``: the outputs also hang on tensors outside the transform)."""
    keep = keep or any(getattr(i, "_base", None) is not None or i.grad_fn is not None
                       for i in inputs)
    diff = [(o, c) for o, c in zip(outputs, cotangents or [None] * len(outputs))
            if isinstance(o, Tensor) and o.requires_grad]
    if not diff:
        return [i.new_zeros(i.shape) for i in inputs]
    res = _autograd_grad([o for o, _ in diff], inputs, [c for _, c in diff] if cotangents
                         else None, create_graph=keep, retain_graph=True, allow_unused=True)
    return [r if r is not None else i.new_zeros(i.shape) for r, i in zip(res, inputs)]


def grad_and_value(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """``f -> (x -> (grad of f at x, f(x)))`` for a function returning a scalar tensor."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> tuple:
        nums, single = _argnums_tuple(argnums, len(args), "grad_and_value(f)(*args)")
        with grad_mode.enable_grad():
            args = list(args)
            for n in nums:
                args[n] = tree_map(_wrap_input, args[n])
            out = _transformed(func, *args, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be "
                                       "a tuple: (output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(out)}")
            if out.ndim != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {out.ndim} dims. Maybe you "
                                   "wanted to use the vjp or jacrev APIs instead?")
            leaves = [tree_flatten(args[n]) for n in nums]
            flat = [x for lv, _ in leaves for x in lv if isinstance(x, Tensor)]
            outer = _reaches_outside(out, flat)
            gs = iter(_grads([out], flat, keep=outer))
            grads = tuple(tree_unflatten([next(gs) if isinstance(x, Tensor) else None
                                          for x in lv], spec) for lv, spec in leaves)
        g = grads[0] if single else grads
        value = out if out.grad_fn and (outer or _nested(flat)) else out.detach()
        return (g, (value, _unwrap_aux(aux, flat))) if has_aux else (g, value)

    return wrapper


def _nested(inputs: list) -> bool:
    return any(i._base is not None for i in inputs)


def _reaches_outside(out: Tensor, inputs: list) -> bool:
    """Whether ``out``'s graph reaches a tensor that requires grad other than the transform's
    own inputs (a module's parameters used by closure): PyTorch's result then stays on the
    outer graph, differentiable with respect to those."""
    return out.grad_fn is not None and not _leaves_within(out, {id(i) for i in inputs})


def _unwrap_aux(aux: Any, inputs: list) -> Any:
    """``has_aux``'s extra output as PyTorch gives it back: tensors only, cut from the
    transform's own inputs (detached unless they also hang on an outer graph)."""
    if _nested(inputs):
        return tree_map(_only_tensor, aux)
    own = {id(i) for i in inputs}

    def unwrap(x: Any) -> Tensor:
        _only_tensor(x)
        return x.detach() if x.requires_grad and _leaves_within(x, own) else x

    return tree_map(unwrap, aux)


def _only_tensor(x: Any) -> Any:
    if not isinstance(x, Tensor):
        raise RuntimeError(f"Expected tensors, got unsupported type {type(x)}")
    return x


def grad(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """``f -> (x -> gradient of f at x)``; ``f`` returns a scalar tensor."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` gives one gradient per primal."""
    with grad_mode.enable_grad():
        ins = [tree_map(_wrap_input, p) for p in primals]
        out = _transformed(func, *ins)
        aux = None
        if has_aux:
            out, aux = _split_aux(out, "vjp(f, *primals)")
        out_leaves, out_spec = tree_flatten(out)
        _check_vjp_outputs(out_leaves)
        in_leaves = [tree_flatten(p) for p in ins]
        flat_in = [x for lv, _ in in_leaves for x in lv]
        outer = any(_reaches_outside(o, flat_in) for o in out_leaves)

    def vjp_fn(cotangents: Any, retain_graph: bool = True, create_graph: bool | None = None) -> tuple:
        cts, ct_spec = tree_flatten(cotangents)
        if ct_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function. cotangents: "
                               f"{treespec_pprint(ct_spec)}, primal output: "
                               f"{treespec_pprint(out_spec)}")
        with grad_mode.enable_grad():
            gs = iter(_grads(out_leaves, flat_in, list(cts), keep=outer))
        return tuple(tree_unflatten([next(gs) for _ in lv], spec) for lv, spec in in_leaves)

    keep = outer or _nested(flat_in)
    detached = tree_unflatten([o.detach() if isinstance(o, Tensor) and not keep
                               else o for o in out_leaves], out_spec)
    return (detached, vjp_fn, _unwrap_aux(aux, flat_in)) if has_aux else (detached, vjp_fn)


def _split_aux(out: Any, api: str) -> tuple:
    """``(output, aux)`` of a ``has_aux`` function, refused unless it returned a pair."""
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    return out


def _check_vjp_outputs(leaves: list) -> None:
    """PyTorch's vjp checks on ``f``'s outputs: some, all tensors, all floating or complex
    (jacrev's messages are vjp's too)."""
    api = "vjp(f, *primals)"
    if not leaves or (len(leaves) == 1 and leaves[0] is None):
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got "
                           f"output = {leaves})")
    for o in leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")
    for o in leaves:
        if not (o.is_floating_point() or o.is_complex()):
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex "
                               f"Tensors, got Tensor with dtype {o.dtype}")


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """``(func(*primals), J @ tangents)``, by the vjp of a vjp; primals and tangents are
    tuples of (trees of) tensors with the same structure."""
    api = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{api}: Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    p_leaves, p_spec = tree_flatten(primals)
    t_leaves, t_spec = tree_flatten(tangents)
    if not isinstance(tangents, tuple) or p_spec != t_spec:
        raise RuntimeError(f"{api}: Expected primals and tangents to have the same python "
                           "structure. For example, if primals is a tuple of 3 tensors, "
                           f"tangents also must be. Got primals with structure {p_spec} and "
                           f"tangents with structure {t_spec}")
    for what, leaves in (("primals", p_leaves), ("tangents", t_leaves)):
        for x in leaves:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"{api}: Expected {what} to only contain Tensors, got "
                                   f"{type(x)}")
    for p, t in zip(p_leaves, t_leaves):
        if p.shape != t.shape:
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} "
                f"while the given forward gradient is of size {list(t.shape)}.")
    with grad_mode.enable_grad():
        ins = [_wrap_input(p) for p in p_leaves]
        res = _transformed(func, *tree_unflatten(ins, p_spec))
        aux = None
        if has_aux:
            if not (isinstance(res, tuple) and len(res) == 2):
                raise RuntimeError(f"{api}: output of function f should be a tuple: (output, "
                                   "aux) if has_aux is True")
            res, aux = res
        outs, spec = tree_flatten(res)
        for o in outs:
            if not isinstance(o, Tensor):
                raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                                   f"unsupported type {type(o)}")
        # u -> J^T u is linear in u; its vjp with the tangents is J @ tangents
        us = [o.new_zeros(o.shape).requires_grad_(o.is_floating_point() or o.is_complex())
              for o in outs]
        diff = [(o, u) for o, u in zip(outs, us) if o.requires_grad]
        jtu = (_autograd_grad([o for o, _ in diff], ins, [u for _, u in diff],
                              create_graph=True, allow_unused=True)
               if diff else [None] * len(ins))
        pairs = [(g, t) for g, t in zip(jtu, t_leaves) if g is not None and g.requires_grad]
        if pairs:
            jt = _autograd_grad([g for g, _ in pairs], us, [t for _, t in pairs],
                                allow_unused=True, create_graph=_nested(ins))
        else:
            jt = [None] * len(us)
    tans = [j if j is not None else o.new_zeros(o.shape).detach() for j, o in zip(jt, outs)]
    nested = _nested(ins)
    primal_out = tree_unflatten([o if nested else o.detach() for o in outs], spec)
    tangent_out = tree_unflatten(tans, spec)
    if has_aux:
        return primal_out, tangent_out, _unwrap_aux(aux, ins)
    return primal_out, tangent_out


def jacrev(func: Callable, argnums: Any = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable:
    """``f -> (x -> Jacobian of f at x)``, shaped ``output.shape + input.shape``."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian(func, argnums, has_aux, forward=False)


def _jacobian(func: Callable, argnums: Any, has_aux: bool, forward: bool) -> Callable:
    """jacrev's (``forward=False``) or jacfwd's Jacobian, both computed in reverse mode; the
    checks, and which entries share a graph, follow the PyTorch transform named."""
    api = "jvp(f, primals, tangents)" if forward else "vjp(f, *primals)"

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums, single = _argnums_tuple(argnums, len(args), "jacrev")
        with grad_mode.enable_grad():
            args = list(args)
            for n in nums:
                args[n] = tree_map(_wrap_input, args[n])
            # each differentiated argument may be a tree (dict, tuple, ...) of tensors
            trees = [tree_flatten(args[n]) for n in nums]
            ins = [x for lv, _ in trees for x in lv]
            out = _transformed(func, *args, **kwargs)
            aux = None
            if has_aux:
                out, aux = _split_aux(out, api)
            outs, spec = tree_flatten(out)
            if forward:
                _check_jvp_outputs(outs, api)
            else:
                _check_vjp_outputs(outs)
            outer = any(_reaches_outside(o, ins) for o in outs)
            jac = [_jacobian_of(o, ins, outer) for o in outs]
            if forward:  # a tangent has its output's dtype
                jac = [[m if m.dtype == o.dtype else m.to(o.dtype) for m in row]
                       for row, o in zip(jac, outs)]
                _zero_negative_argnums(jac, argnums, trees)
            keep = outer or _nested(ins)
            if keep:
                _share_graph(jac, by_output=forward)
            per_out = []
            for row in jac:
                it = iter(row if keep else [m.detach() for m in row])
                per_arg = tuple(tree_unflatten([next(it) for _ in lv], sp) for lv, sp in trees)
                per_out.append(per_arg[0] if single else per_arg)
        result = tree_unflatten(per_out, spec)
        return (result, _unwrap_aux(aux, ins)) if has_aux else result

    return wrapper


def _zero_negative_argnums(jac: list, argnums: Any, trees: list) -> None:
    """PyTorch's jacfwd puts its dual inputs in place by comparing positions with the
    argnums as given, so an argument named by a negative index stays plain and its
    Jacobians are zeros: the same here."""
    raw = argnums if isinstance(argnums, tuple) else (argnums,)
    neg = [a < 0 for a, (lv, _) in zip(raw, trees) for _ in lv]
    if not any(neg):
        return
    for row in jac:
        for j, m in enumerate(row):
            if neg[j]:
                row[j] = m.new_zeros(m.shape).detach()


def _check_jvp_outputs(leaves: list, api: str) -> None:
    for o in leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got "
                               f"unsupported type {type(o)}")


def _jacobian_of(o: Tensor, ins: list, keep: bool = False) -> list:
    """d o / d x for each x of ``ins``, shaped ``o.shape + x.shape`` (zeros, in ``o``'s
    dtype, for an output that is not differentiable, as forward mode gives them); ``keep``
    keeps the graph (``o`` hangs on tensors outside the transform)."""
    from ..ops import stack

    shapes = [tuple(o.shape) + tuple(x.shape) for x in ins]
    if not (o.is_floating_point() or o.is_complex()):
        return [o.new_zeros(s) for s in shapes]
    flat = o.reshape(-1)
    rows = [_grads([flat[k]], ins, keep=keep) for k in range(flat.numel())]
    return [stack([r[j] for r in rows]).reshape(s) if rows else x.new_zeros(s)
            for j, (x, s) in enumerate(zip(ins, shapes))]


def _share_graph(jac: list, by_output: bool) -> None:
    """PyTorch computes all of an input's Jacobians (jacrev), or all of an output's (jacfwd),
    as one tensor and hands out views of it: they are on the graph together or not at all."""
    from ..ops import cat

    groups = ([[(i, j) for j in range(len(jac[i]))] for i in range(len(jac))] if by_output
              else [[(i, j) for i in range(len(jac))] for j in range(len(jac[0]) if jac else 0)])
    for group in groups:
        ms = [jac[i][j] for i, j in group]
        if not any(m.requires_grad for m in ms) or not all(m.is_floating_point()
                                                            or m.is_complex() for m in ms):
            continue
        whole = cat([m.reshape(-1) for m in ms])
        parts = whole.split([m.numel() for m in ms])
        for (i, j), m, p in zip(group, ms, parts):
            jac[i][j] = p.view(m.shape)


def jacfwd(func: Callable, argnums: Any = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The Jacobian (computed in reverse mode here; the values are the same). Random ops
    inside ``func`` are refused, as under PyTorch's vmap, unless ``randomness`` allows them."""
    rev = _jacobian(func, argnums, has_aux, forward=True)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_randomness(randomness)
        with random_mode(randomness):
            return rev(*args, **kwargs)

    return wrapper


def hessian(func: Callable, argnums: Any = 0) -> Callable:
    """``f -> (x -> Hessian of f at x)``: the Jacobian of the Jacobian."""
    return jacfwd(jacrev(func, argnums), argnums)


def linearize(func: Callable, *primals: Any) -> tuple:
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is the Jacobian-vector product at
    ``primals`` (each call re-runs ``func``; the values are PyTorch's)."""
    p_leaves, p_spec = tree_flatten(primals)
    for p in p_leaves:
        if not isinstance(p, Tensor):
            raise AttributeError(f"'{type(p).__name__}' object has no attribute 'new_empty'")
    with grad_mode.no_grad():
        out = func(*primals)

    def jvp_fn(*tangents: Any) -> Any:
        _check_linearize_tangents(p_leaves, p_spec, tangents)
        return jvp(func, primals, tangents)[1]

    return out, jvp_fn


def _check_linearize_tangents(p_leaves: list, p_spec: Any, tangents: tuple) -> None:
    """PyTorch's refusals of tangents not shaped like linearize's primals."""
    t_leaves, t_spec = tree_flatten(tangents)
    if t_spec != p_spec:
        raise RuntimeError(f"Expected the tangents {t_spec} to have the same argspec as the "
                           f"primals {p_spec}")
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        if not isinstance(t, Tensor):
            raise AttributeError(f"'{type(t).__name__}' object has no attribute 'shape'")
        for what in ("shape", "dtype"):
            if getattr(t, what) != getattr(p, what):
                raise RuntimeError(f"tangent:{i} with {what} {getattr(t, what)} in flattened "
                                   f"pytree doesn't match the {what} {getattr(p, what)} of the "
                                   "corresponding primal.")
