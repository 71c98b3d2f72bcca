"""``ember.autograd.functional``: jacobian, hessian, vjp, jvp, hvp, vhp (PyTorch's API).

All are built on reverse mode: a jvp is the vjp of a vjp (the "double-backward trick"), as
in PyTorch. The steps, their strict-mode checks (in PyTorch's order and words) and the
containers returned follow PyTorch's ``torch.autograd.functional``. The forward-mode
Jacobian is computed in reverse mode too; its results keep a graph where PyTorch's
forward-mode tangents would (they depend on something that requires grad).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from . import grad_mode
from ._api import grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(inp: Any, arg_name: str | None = None, fn_name: str | None = None) -> Any:
    """``(is_tuple, tuple)`` with PyTorch's check that it holds tensors only; without names,
    just the tuple."""
    if arg_name is None and fn_name is None:
        return inp if isinstance(inp, tuple) else tuple(inp) if isinstance(inp, list) else (inp,)
    is_tuple = isinstance(inp, tuple)
    xs = inp if is_tuple else (inp,)
    for i, el in enumerate(xs):
        if not isinstance(el, Tensor):
            which = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but the {which} has type {type(el)}.")
    return is_tuple, xs


def _tuple_postprocess(res: Any, to_unpack: Any) -> Any:
    """Unwrap the one-element levels of ``res`` that were not tuples in the user's call."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Inputs cut from the user's graph (kept as views with ``create_graph``)."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad
                 else x.detach().requires_grad_(need_graph) for x in inputs)


def _grad_postprocess(inputs: tuple, create_graph: bool) -> tuple:
    if isinstance(inputs[0], Tensor):
        return inputs if create_graph else tuple(x.detach() for x in inputs)
    return tuple(_grad_postprocess(x, create_graph) for x in inputs)


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


_NOT_REQ = {
    "hessian": ("The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should ensure "
                "that your function is thrice differentiable and that the hessian depends on the "
                "inputs."),
    "jacobian": ("While computing the hessian, found that the jacobian of the user-provided "
                 "function with respect to input {i} is independent of the input. This is not "
                 "allowed in strict mode. You should ensure that your function is twice "
                 "differentiable and that the jacobian depends on the inputs (this would be "
                 "violated by a linear function for example)."),
    "grad_inputs": ("The gradient with respect to input {i} is independent of the inputs of the "
                    "user-provided function. This is not allowed in strict mode."),
    "outputs": ("Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when running "
                "in strict mode."),
}


def _check_requires_grad(inputs: tuple, input_type: str, strict: bool) -> None:
    """Strict mode: every entry exists and requires grad."""
    if not strict:
        return
    for i, x in enumerate(inputs):
        if x is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not x.requires_grad:
            raise RuntimeError(_NOT_REQ[input_type].format(i=i))


def _autograd_grad(outputs: tuple, inputs: tuple, grad_outputs: tuple | None = None,
                   create_graph: bool = False, retain_graph: bool | None = None,
                   is_grads_batched: bool = False) -> tuple:
    """``autograd.grad`` over the outputs that require grad (None for all without any)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad(tuple(o for o, _ in pairs), inputs, tuple(g for _, g in pairs),
                allow_unused=True, create_graph=create_graph, retain_graph=retain_graph,
                is_grads_batched=is_grads_batched)


_STRICT_NONE = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
            "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward mode "
                         "AD.",
}


def _fill_in_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool,
                   stage: str) -> tuple:
    """Missing gradients as zeros (refused in strict mode, with the stage's words)."""
    from ..ops import zeros_like

    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_STRICT_NONE[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        res.append(g)
    return tuple(res)


def _prepare_v(v: Any, other: tuple, is_other_tuple: bool, create_graph: bool,
               fn: str) -> tuple:
    _, vs = _as_tuple(v, "v", fn)
    vs = _grad_preprocess(vs, create_graph=create_graph, need_graph=False)
    _validate_v(vs, other, is_other_tuple)
    return vs


def _v_none_for_input(inputs: tuple) -> None:
    if len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError("The vector v can only be None if the input to the user-provided "
                           "function is a single Tensor with a single element.")


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), v^T J)."""
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), _OUT, "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if v is not None:
            v = _prepare_v(v, outputs, is_outputs_tuple, create_graph, "vjp")
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(res, inputs, strict, create_graph, "back")
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_grad_postprocess(res, create_graph), is_inputs_tuple))


_OUT = "outputs of the user-provided function"


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), J v), by differentiating a vjp with respect to its cotangent."""
    from ..ops import zeros_like

    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        if v is not None:
            v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "jvp")
        else:
            _v_none_for_input(inputs)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), _OUT, "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        grad_outputs = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        res = _fill_in_zeros(res, outputs, strict, create_graph, "back_trick")
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_grad_postprocess(res, create_graph), is_outputs_tuple))


def _standard_basis(tensors: tuple, numels: tuple) -> tuple:
    """One (total, numel) block per tensor; together the rows of the identity."""
    total = sum(numels)
    chunks = tuple(t.new_zeros(total, n) for t, n in zip(tensors, numels))
    start = 0
    for chunk, n in zip(chunks, numels):
        chunk.diagonal(start).fill_(1)
        start -= n
    return chunks


def _leaves_within(t: Tensor, own: set) -> bool:
    """Whether every leaf ``t``'s graph reaches is one of the tensors with ids in ``own``."""
    seen, stack = set(), [t._edge()[0]]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        var = getattr(node, "variable", None)
        if var is not None:
            if id(var) not in own:
                return False
            continue
        stack.extend(n for n, _ in node.next_functions)
    return True


def _jacfwd(func: Callable, inputs: Any, strict: bool, vectorize: bool,
            keep_graph: bool = False) -> Any:
    """The forward-mode Jacobian (``vectorize=True`` only, as PyTorch), computed in reverse
    mode; an entry keeps its graph where it depends on a tensor that requires grad (all
    inputs count with ``keep_graph``, as in the forward-over-reverse Hessian)."""
    from ..ops import stack, zeros_like

    if strict:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `strategy=\"forward-mode\"` "
            "are not supported together (yet). Please either set `strict=False` or "
            "`strategy=\"reverse-mode\"`.")
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian isonly implemented for `vectorize=True`.")
    with grad_mode.enable_grad():
        duals = tuple(x.view_as(x) if x.requires_grad else x.detach().requires_grad_(True)
                      for x in inputs)
        own = set() if keep_graph else {id(d) for d, x in zip(duals, inputs)
                                        if not x.requires_grad}
        out = func(*duals)
        is_outputs_tuple = isinstance(out, tuple)
        outputs = _as_tuple(out, "outputs", None)[1]
        jac = []
        for o in outputs:
            flat = o.reshape(-1)
            rows = [_autograd_grad((flat[k],), duals, create_graph=True, retain_graph=True)
                    for k in range(flat.numel())]
            # PyTorch's tangent of an output requires grad where the output does (through
            # a tensor that requires grad), unless no dual input reaches it
            keep = (o.requires_grad and not _leaves_within(o, own)
                    and any(g is not None for r in rows for g in r))
            per_in = []
            for j, x in enumerate(inputs):
                col = [r[j] if r[j] is not None else zeros_like(x) for r in rows]
                m = (stack(col).reshape(tuple(o.shape) + tuple(x.shape)) if col
                     else o.new_zeros(tuple(o.shape) + tuple(x.shape)))
                if m.dtype != o.dtype:  # a tangent has its output's dtype
                    m = m.to(o.dtype)
                if keep and not m.requires_grad:  # a constant tangent, still on the graph
                    m = m + flat[:0].sum()
                per_in.append(m if keep else m.detach())
            jac.append(per_in)
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian, shaped output.shape + input.shape, nested like outputs x inputs."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.')
        return _jacfwd(func, inputs, strict, vectorize)
    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), _OUT, "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize:
            if strict:
                raise RuntimeError(
                    "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                    "are not supported together. Please either set `strict=False` or "
                    "`vectorize=False`.")
            jac = _jacobian_vectorized(outputs, inputs, create_graph)
        else:
            jac = tuple(_jacobian_rows(i, o, inputs, create_graph, strict)
                        for i, o in enumerate(outputs))
        jac = _grad_postprocess(jac, create_graph)
        return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def _jacobian_vectorized(outputs: tuple, inputs: tuple, create_graph: bool) -> tuple:
    """All outputs' Jacobians from one batched vjp with the standard basis."""
    from ..ops import zeros_like

    numels = tuple(o.numel() for o in outputs)
    basis = _standard_basis(outputs, numels)
    flat = tuple(o.reshape(-1) for o in outputs)
    vj = list(_autograd_grad(flat, inputs, basis, create_graph=create_graph,
                             is_grads_batched=True))
    for k, el in enumerate(vj):
        if el is None:
            vj[k] = zeros_like(inputs[k]).expand((sum(numels),) + tuple(inputs[k].shape))
    per_input = [[jac.view(tuple(o.shape) + tuple(x.shape))
                  for jac, o in zip(j_in.split(numels, dim=0), outputs)]
                 for j_in, x in zip(vj, inputs)]
    return tuple(zip(*per_input))


def _jacobian_rows(i: int, out: Tensor, inputs: tuple, create_graph: bool,
                   strict: bool) -> tuple:
    """Output ``i``'s Jacobians, one row (vjp) per output element."""
    from ..ops import stack, zeros_like

    cols: tuple[list, ...] = tuple([] for _ in inputs)
    flat = out.reshape(-1)
    for j in range(out.numel()):
        vj = _autograd_grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph)
        for k, (col, el, x) in enumerate(zip(cols, vj, inputs)):
            if el is not None:
                if strict and create_graph and not el.requires_grad:
                    raise RuntimeError(f"The jacobian of the user-provided function is "
                                       f"independent of input {i}. This is not allowed in "
                                       "strict mode when create_graph=True.")
                col.append(el)
            else:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is "
                                       f"independent of input {k}. This is not allowed in "
                                       "strict mode.")
                col.append(zeros_like(x))
    return tuple(stack(col, dim=0).view(tuple(out.shape) + tuple(inputs[k].shape))
                 for k, col in enumerate(cols))


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar function: the Jacobian of its gradient."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp: Tensor) -> Tensor:
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, _OUT, "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def jac_func(*inp: Tensor) -> Any:
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    if outer_jacobian_strategy == "forward-mode":
        if create_graph:
            return jacobian(jac_func, inputs, create_graph=True, strategy="forward-mode")
        res = _jacfwd(jac_func, inputs, strict, vectorize, keep_graph=True)
    else:
        res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                       vectorize=vectorize)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), v^T H)."""
    return _second_order(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """(func(inputs), H v), by the double-backward trick on the gradient's vjp."""
    return _second_order(func, inputs, v, create_graph, strict, "hvp")


def _second_order(func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool,
                  fn: str) -> tuple:
    """vhp (``v`` times the Jacobian of the gradient) or hvp (its double-backward trick)."""
    from ..ops import zeros_like

    with grad_mode.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        if v is not None:
            v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, fn)
        else:
            _v_none_for_input(inputs)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), _OUT, fn)
        _check_requires_grad(outputs, "outputs", strict=strict)
        if is_outputs_tuple or not isinstance(outputs[0], Tensor):
            raise RuntimeError(f"The function given to {fn} should return a single Tensor")
        if outputs[0].numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {fn} should "
                               "contain a single element")
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        if fn == "hvp":
            grad_jac = tuple(zeros_like(x, requires_grad=True) for x in inputs)
            double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
            _check_requires_grad(jac, "hessian", strict=strict)
    with grad_mode.set_grad_enabled(create_graph or grad_mode.is_grad_enabled()):
        if fn == "hvp":
            res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
            res = _fill_in_zeros(res, inputs, strict, create_graph, "double_back_trick")
        else:
            res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
            res = _fill_in_zeros(res, inputs, strict, create_graph, "double_back")
    return (_tuple_postprocess(_grad_postprocess(outputs, create_graph), is_outputs_tuple),
            _tuple_postprocess(_grad_postprocess(res, create_graph), is_inputs_tuple))
