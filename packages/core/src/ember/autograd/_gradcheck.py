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


class _Strided:
    """Element ``j`` (in C order) of a strided array, read and written in place."""

    def __init__(self, a: np.ndarray) -> None:
        self.a, self.size = a, a.size

    def __getitem__(self, j: int) -> Any:
        return self.a[np.unravel_index(j, self.a.shape)]

    def __setitem__(self, j: int, v: Any) -> None:
        self.a[np.unravel_index(j, self.a.shape)] = v


def _numerical_jacobian(fn: Callable, inputs: tuple, idx: int, eps: float) -> list[np.ndarray]:
    """d(output_k)/d(input_idx) as arrays of shape (numel_in, numel_out_k)."""
    x = inputs[idx]
    # a strided input (a non-contiguous grad_output of gradgradcheck) is perturbed in place
    # element by element through a C-ordered view of its indices
    flat = x._data.reshape(-1) if x._data.flags.c_contiguous else _Strided(x._data)
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


def _analytical_rows(out: Tensor, inputs: tuple, diff: list) -> list:
    """d(out)/d(input_i) for every input needing grad, one backward per element of ``out``
    (as PyTorch's ``_compute_analytical_jacobian_rows``, all inputs per call)."""
    from ._api import grad

    n_out = out.numel()
    jacs = [np.zeros((inputs[i].numel(), n_out)) for i in diff]
    for k in range(n_out):
        g = np.zeros(n_out, dtype=out._data.dtype)
        g[k] = 1
        gs = grad(out, [inputs[i] for i in diff], out.new_tensor(g.reshape(out.shape)),
                  retain_graph=True, allow_unused=True)
        for jac, gx in zip(jacs, gs):
            if gx is not None:
                jac[:, k] = gx._host().reshape(-1).real
    return jacs


def _analytical_jacobian(out: Tensor, inputs: tuple, diff: list, nondet_tol: float) -> list:
    """The rows computed twice, as PyTorch's slow gradcheck, to refuse a backward that gives
    different values for the same grad_output (its "reentrant" check)."""
    first = _analytical_rows(out, inputs, diff)
    second = _analytical_rows(out, inputs, diff)
    if any(np.abs(a - b).max(initial=0.0) > nondet_tol for a, b in zip(first, second)):
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with same input and "
            "grad_output multiple times gives different values, although analytical gradient "
            f"matches numerical gradient.The tolerance for nondeterminism was {nondet_tol}."
            "\n\nNOTE: If your op relies on non-deterministic operations i.e., it is listed "
            "here:\nhttps://pytorch.org/docs/stable/generated/torch.use_deterministic_"
            "algorithms.html\nthis failure might be expected.\n\nIf you are adding a new "
            "operator, please file an issue and then use one of the\nworkarounds. The "
            "workaround depends on how your test invokes gradcheck/gradgradcheck.\nIf the "
            "test\n- manually invokes gradcheck/gradgradcheck, then call gradcheck/"
            "gradgradcheck\n  with `nondet_tol=<tol>` as a keyword argument.\n- is OpInfo-"
            "based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test\n  to"
            " have `gradcheck_nondet_tol=<tol>`.\n- is a Module test (e.g., in common_nn.py), "
            "then modify the corresponding\n  module_test entry to have `gradcheck_nondet_tol"
            "=<tol>`\n")
    return first


def _zero_grad_outputs_check(outs: list, inputs: tuple, diff: list, msg: str) -> None:
    """Backward with zero grad_outputs must give zero input grads (PyTorch's
    ``_test_backward_mul_by_grad_output`` and undefined-grad checks)."""
    from ._api import grad

    gs = grad(outs, [inputs[i] for i in diff], [o.new_zeros(o.shape) for o in outs],
              allow_unused=True)
    if any(g is not None and bool((g != 0).any()) for g in gs):
        raise GradcheckError(msg)


_UNDEFINED_MSG = ("Expected all input grads to be undefined or zero when all output grads "
                  'are undefined or zero. Please look at "Notes about undefined output '
                  'gradients" in "tools/autograd/derivatives.yaml"')


def _check_undefined_grads(func: Callable, inputs: tuple, diff: list) -> None:
    """PyTorch's ``_test_undefined_backward_mode``: one forward whose outputs all get zero
    (undefined) grads, then with several outputs one forward per output."""
    with grad_mode.enable_grad():  # every forward first, then the checks, as PyTorch
        runs = [[o for o in _outputs(func, inputs) if o.requires_grad]]
        if len(runs[0]) > 1:
            runs += [[o for o in _outputs(func, inputs) if o.requires_grad]
                     for _ in range(len(runs[0]))]
        for outs in runs:
            _zero_grad_outputs_check(outs, inputs, diff, _UNDEFINED_MSG)


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
    if any(inputs[i].is_complex() for i in diff):
        func, inputs = _as_real_pairs(func, inputs, diff)
    for i in diff:
        if inputs[i].dtype.name not in ("float64", "complex128"):
            import warnings

            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ", stacklevel=2)
    try:
        with grad_mode.enable_grad():  # PyTorch's order: one forward, every input's finite
            outs = _outputs(func, inputs)  # differences, then each output's backward rows
        numerical = [_numerical_jacobian(func, inputs, i, eps) for i in diff]
        if not any(o.requires_grad for o in outs):  # then the function must be constant
            if any(np.any(n != 0) for num in numerical for n in num):
                raise GradcheckError("Numerical gradient for function expected to be zero")
            return True
        if check_backward_ad:
            with grad_mode.enable_grad():
                for k, out in enumerate(outs):
                    if out.requires_grad:
                        jacs = _analytical_jacobian(out, inputs, diff, nondet_tol)
                        for j, i in enumerate(diff):
                            _compare("Jacobian", jacs[j], numerical[j][k], k, i, inputs[i].dtype,
                                     atol, rtol)
        if check_forward_ad:
            for j, i in enumerate(diff):
                for k, a in enumerate(_forward_jacobian(func, inputs, i)):
                    _compare("Jacobian computed with forward mode", a, numerical[j][k], k, i,
                             inputs[i].dtype, atol, rtol)
        if check_backward_ad:
            with grad_mode.enable_grad():
                _zero_grad_outputs_check([o for o in outs if o.requires_grad], inputs, diff,
                                         "backward not multiplied by grad_output")
            if check_undefined_grad:
                _check_undefined_grads(func, inputs, diff)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _as_real_pairs(func: Callable, inputs: tuple, diff: list) -> tuple[Callable, tuple]:
    """``func`` seen as a map of real pairs: each complex input needing grad becomes its
    ``view_as_real`` (a leaf), each complex output its real pairs. Its real Jacobian holds
    both Wirtinger derivatives, so checking it checks what PyTorch's complex gradcheck does
    (a real loss's gradient is ``dL/dRe + i dL/dIm`` in both conventions)."""
    from ..ops.pointwise_complex import view_as_complex, view_as_real

    cplx = {i for i in diff if inputs[i].is_complex()}
    pairs = tuple(view_as_real(x.detach().resolve_conj()).clone().requires_grad_(True)
                  if i in cplx else x for i, x in enumerate(inputs))

    def real_func(*args: Any) -> tuple:
        outs = _as_tuple(func(*(view_as_complex(a) if i in cplx else a
                                for i, a in enumerate(args))))
        return tuple(view_as_real(o.resolve_conj()) if isinstance(o, Tensor) and o.is_complex()
                     else o for o in outs)

    return real_func, pairs


def _compare(what: str, a: np.ndarray, n: np.ndarray, k: int, i: int, dt: Any, atol: float,
             rtol: float) -> None:
    """Refuse an analytical Jacobian that is not close to the numerical one."""
    n = n.real if np.iscomplexobj(n) else n
    if a.shape != n.shape:
        raise GradcheckError(f"Jacobian shape mismatch for output {k} and input {i}: "
                             f"analytical {a.shape} vs numerical {n.shape}")
    if (~(np.abs(a - n) <= atol + rtol * np.abs(n))).any():
        raise GradcheckError(f"{what} mismatch for output {k} with respect to input {i},\n"
                             f"numerical:{_fmt(n, dt)}\nanalytical:{_fmt(a, dt)}\n")


def _fmt(a: np.ndarray, dtype: Any) -> str:
    """A Jacobian printed as PyTorch's message prints it: a tensor of the input's dtype."""
    from .._tensor import make
    from ..backends.registry import CPU

    return repr(make(np.ascontiguousarray(a).astype(dtype.np), CPU))


def _uniform_grad_output(o: Tensor, noncontiguous: bool) -> Tensor:
    """A grad_output for ``o`` as PyTorch's ``make_tensor(low=-1, high=1, requires_grad=True,
    noncontiguous=...)`` draws it from the global generator (float64 for a non-float ``o``):
    a noncontiguous one is every other column of one twice as wide."""
    from .. import empty, float64, view_as_real

    dtype = o.dtype if o.is_floating_point() or o.is_complex() else float64
    shape = tuple(o.shape)
    wide = noncontiguous and o.numel() > 1
    r = empty(shape[:-1] + (2 * shape[-1],) if wide else shape, dtype=dtype)
    (view_as_real(r) if dtype.is_complex else r).uniform_(-1, 1)
    return (r[..., 1::2] if wide else r).requires_grad_(True)


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
    if grad_outputs is None:  # drawn from the global generator in [-1, 1), as PyTorch's
        grad_outputs = tuple(_uniform_grad_output(o, gen_non_contig_grad_outputs)
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
