"""``gradcheck`` and ``gradgradcheck``: analytical gradients against finite differences.

As in PyTorch: central differences in the inputs' own precision (use float64),
the Jacobian compared column by column with ``|a - n| <= atol + rtol * |n|``,
and a report that names the output, the input and the first mismatching entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from . import grad_mode

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients differ."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _diff_inputs(inputs: tuple) -> list[int]:
    return [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _outputs(fn: Callable, inputs: tuple) -> tuple:
    return tuple(o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor))


def _numerical_jacobian(fn: Callable, inputs: tuple, idx: int, eps: float) -> list[np.ndarray]:
    """d(output_k)/d(input_idx) as arrays of shape (numel_in, numel_out_k)."""
    x = inputs[idx]
    flat = x._data.reshape(-1) if x._data.flags.c_contiguous else None
    if flat is None:
        raise GradcheckError("gradcheck needs contiguous inputs")
    cols: list[list[np.ndarray]] = []
    with grad_mode.enable_grad():
        for j in range(flat.size):
            orig = flat[j].copy()
            flat[j] = orig + eps
            plus = [o._host().astype(np.complex128 if o.is_complex() else np.float64).ravel()
                    for o in _outputs(fn, inputs)]
            flat[j] = orig - eps
            minus = [o._host().astype(np.complex128 if o.is_complex() else np.float64).ravel()
                     for o in _outputs(fn, inputs)]
            flat[j] = orig
            cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    n_out = len(cols[0]) if cols else len(_outputs(fn, inputs))
    if not cols:
        return [np.zeros((0, o.numel())) for o in _outputs(fn, inputs)]
    return [np.stack([c[k] for c in cols]) for k in range(n_out)]


def _analytical_jacobian(fn: Callable, inputs: tuple, idx: int, nondet_tol: float) -> list:
    from ._api import grad

    x = inputs[idx]
    outs = _outputs(fn, inputs)
    jacs = []
    for out in outs:
        n_out = out.numel()
        jac = np.zeros((x.numel(), n_out))
        if not out.requires_grad:
            jacs.append(jac)
            continue
        for k in range(n_out):
            g = np.zeros(n_out, dtype=out._data.dtype)
            g[k] = 1
            go = out.new_tensor(g.reshape(out.shape))
            (gx,) = grad(out, x, go, retain_graph=True, allow_unused=True)
            if gx is not None:
                jac[:, k] = gx._host().reshape(-1).real
        jacs.append(jac)
    return jacs


def _forward_jacobian(fn: Callable, inputs: tuple, idx: int) -> list:
    """d(output_k)/d(input_idx) by forward-mode AD, one unit tangent per input element, in
    the layout of ``_numerical_jacobian``."""
    from . import forward_ad

    x = inputs[idx]
    cols: list[list[np.ndarray]] = []
    with grad_mode.enable_grad():
        for j in range(x.numel()):
            e = np.zeros(x.numel(), dtype=x._data.dtype)
            e[j] = 1
            with forward_ad.dual_level():
                dual = forward_ad.make_dual(x.detach(), x.new_tensor(e.reshape(x.shape)))
                args = inputs[:idx] + (dual,) + inputs[idx + 1:]
                col = []
                for o in _outputs(fn, args):
                    t = forward_ad.unpack_dual(o).tangent
                    col.append(np.zeros(o.numel()) if t is None else
                               t.detach()._host().reshape(-1).real.astype(np.float64))
            cols.append(col)
    if not cols:
        return [np.zeros((0, o.numel())) for o in _outputs(fn, inputs)]
    return [np.stack([c[k] for c in cols]) for k in range(len(cols[0]))]


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against central finite differences."""
    inputs = _as_tuple(inputs)
    diff = _diff_inputs(inputs)
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of them have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            import warnings

            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ", stacklevel=2)
    try:
        with grad_mode.enable_grad():
            differentiable = any(o.requires_grad for o in _outputs(func, inputs))
        for i in diff:
            if inputs[i].is_complex():
                raise GradcheckError("gradcheck of complex inputs is not supported yet")
            numerical = _numerical_jacobian(func, inputs, i, eps)
            if not differentiable:  # PyTorch: then the function must be locally constant
                if any(np.any(n != 0) for n in numerical):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
                continue
            analytical = []  # (how PyTorch's message names the Jacobian, its columns)
            if check_backward_ad:
                analytical.append(("Jacobian", _analytical_jacobian(func, inputs, i, nondet_tol)))
            if check_forward_ad:
                analytical.append(("Jacobian computed with forward mode",
                                   _forward_jacobian(func, inputs, i)))
            for what, k, (a, n) in ((what, k, an) for what, jac in analytical
                                    for k, an in enumerate(zip(jac, numerical))):
                n = n.real if np.iscomplexobj(n) else n
                if a.shape != n.shape:
                    raise GradcheckError(
                        f"Jacobian shape mismatch for output {k} and input {i}: analytical "
                        f"{a.shape} vs numerical {n.shape}")
                bad = ~(np.abs(a - n) <= atol + rtol * np.abs(n))
                if bad.any():
                    dt = inputs[i].dtype
                    raise GradcheckError(
                        f"{what} mismatch for output {k} with respect to input {i},\n"
                        f"numerical:{_fmt(n, dt)}\nanalytical:{_fmt(a, dt)}\n")
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _fmt(a: np.ndarray, dtype: Any) -> str:
    """A Jacobian printed as PyTorch's message prints it: a tensor of the input's dtype."""
    from .._tensor import make
    from ..backends.registry import CPU

    return repr(make(np.ascontiguousarray(a).astype(dtype.np), CPU))


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Sequence | None = None,
                  *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """Check second derivatives: gradcheck of the function that returns ``func``'s gradients."""
    from ._api import grad

    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        from .. import ops

        gen = np.random.default_rng(0)
        grad_outputs = tuple(
            ops.tensor(gen.standard_normal(o.shape), dtype=o.dtype, requires_grad=True)
            for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    diff = _diff_inputs(inputs)
    n_in = len(inputs)

    def first_grads(*args: Any) -> tuple:
        ins, gos = args[:n_in], args[n_in:]
        o = _outputs(func, ins)
        gs = grad(o, [ins[i] for i in diff], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol)
