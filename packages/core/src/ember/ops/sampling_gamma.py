"""Samplers with rejection loops and their reparameterized gradients: ``_standard_gamma``,
``_sample_dirichlet``, ``binomial`` (and the kernel behind ``poisson``), with
``_standard_gamma_grad`` and ``_dirichlet_grad``.

Values follow PyTorch's CPU kernels draw for draw (``_rejection_kernels``); elements
are filled in the logical (row-major) order of the result, as PyTorch's freshly
allocated outputs are.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import dtypes as _dt
from . import _gamma_grad_kernels as G
from . import _rejection_kernels as R
from ._dispatch import Tensor, grad_state, make, record
from .sampling import _TORCH_NAMES, _generator, _new

# ``binomial`` (PyTorch's stream) is not exported here: ``ops.sampling_binomial`` owns the
# public ``ember.binomial``; ``distributions.Binomial`` samples with this one.
__all__ = ["_standard_gamma", "_standard_gamma_grad", "_sample_dirichlet", "_dirichlet_grad"]


def _name(t: Tensor) -> str:
    return _TORCH_NAMES.get(t.dtype.name, t.dtype.name)


def _check_float(t: Tensor, op: str) -> None:
    if t.dtype not in (_dt.float32, _dt.float64):
        raise NotImplementedError(f'"{op}" not implemented for \'{_name(t)}\'')


def _same_dtype(a: Tensor, b: Tensor) -> None:
    if a.dtype != b.dtype:
        raise RuntimeError(f"Found dtype {_name(b)} but expected {_name(a)}")


def _on(arr: np.ndarray, like: Tensor) -> Tensor:
    dev = like._device
    return make(arr if dev._backend.xp is np else dev._backend.asarray(arr, index=dev.index),
                dev)


def _standard_gamma(input: Tensor, generator: Any = None) -> Tensor:
    """Samples of ``Gamma(input, 1)``; differentiable in ``input`` (implicit
    reparameterization, ``StandardGammaBackward0``)."""
    _check_float(input, "gamma_cpu")
    alpha = input.detach()._host()
    gen = _generator(generator, input._device)
    with gen.lock:
        vals = R.standard_gamma(gen, alpha, alpha.dtype == np.float32)
    npd = alpha.dtype
    out = np.maximum(vals.astype(npd), np.finfo(npd).tiny).reshape(alpha.shape)
    res = _on(out, input)
    if grad_state.enabled and input._rg:
        record("StandardGammaBackward0", res, (input,),
               lambda g, a, r: (g * _standard_gamma_grad(a, r),), (input, res))
    return res


def _standard_gamma_grad(self: Tensor, output: Tensor) -> Tensor:
    """``d output / d self`` for ``output`` drawn from ``Gamma(self, 1)``."""
    _same_dtype(self, output)
    _check_float(self, "_standard_gamma_grad_cpu")
    g = G.standard_gamma_grad(self.detach()._host(), output.detach()._host())
    return _on(g.astype(self._data.dtype), self)


def _sample_dirichlet(input: Tensor, generator: Any = None) -> Tensor:
    """Samples of ``Dirichlet(input)`` over the last dim (gamma draws normalised)."""
    _check_float(input, "dirichlet")
    alpha = input.detach()._host()
    gen = _generator(generator, input._device)
    with gen.lock:
        out = R.dirichlet(gen, alpha, alpha.dtype)
    return _on(np.ascontiguousarray(out), input)


def _dirichlet_grad(x: Tensor, alpha: Tensor, total: Tensor) -> Tensor:
    """``dx/dalpha`` for ``x`` the marginal of a Dirichlet with concentration ``alpha``
    summing to ``total``."""
    _same_dtype(x, alpha)
    _same_dtype(x, total)
    _check_float(x, "_dirichlet_grad_cpu")
    if not (x.shape == alpha.shape == total.shape):
        raise RuntimeError(f"_dirichlet_grad: expected x, alpha and total to have the same "
                           f"shape, but got {tuple(x.shape)}, {tuple(alpha.shape)} and "
                           f"{tuple(total.shape)}")
    g = G.dirichlet_grad(x.detach()._host(), alpha.detach()._host(), total.detach()._host())
    return _on(g.astype(x._data.dtype), x)


def binomial(count: Tensor, prob: Tensor, generator: Any = None) -> Tensor:
    """Samples of ``Binomial(count, prob)`` (float counts; shapes broadcast)."""
    if count.dtype.category != _dt._FLOAT:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{_name(count)}")
    if prob.dtype.category != _dt._FLOAT:
        raise ValueError(f"binomial only supports floating-point dtypes for prob, got: "
                         f"{_name(prob)}")
    _same_dtype(count, prob)
    _check_float(count, "binomial_cpu")
    c, p = np.broadcast_arrays(count.detach()._host(), prob.detach()._host())
    gen = _generator(generator, count._device)
    with gen.lock:
        vals = R.binomial(gen, np.ascontiguousarray(c), np.ascontiguousarray(p))
    return _on(vals.reshape(c.shape), count)


def poisson_values(input: Tensor, generator: Any = None) -> Tensor:
    """PyTorch's CPU Poisson samples for the rates ``input`` (the kernel of ``poisson``)."""
    if input.dtype.category != _dt._FLOAT:
        raise NotImplementedError(f'"poisson_cpu" not implemented for \'{_name(input)}\'')
    lam = input.detach()._host()
    gen = _generator(generator, input._device)
    ok = (lam >= 0).ravel()
    if lam.size and not ok.all():  # PyTorch checks each rate as it samples: the ones before draw
        with gen.lock:
            R.poisson(gen, lam.ravel()[:int(np.argmin(ok))])
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    with gen.lock:
        vals = R.poisson(gen, lam)
    res = _new(vals.astype(lam.dtype).reshape(lam.shape), input._device, False)
    if grad_state.enabled and input._rg:
        record("PoissonBackward0", res, (input,), lambda g: (g * 0,))
    return res
