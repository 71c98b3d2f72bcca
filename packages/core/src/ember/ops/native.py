"""PyTorch's low-level top-level ops that programs and libraries call directly: LAPACK's
``geqrf``/``ormqr`` (Householder QR), ``native_dropout``/``native_group_norm`` (the op and
its saved statistics) and the functional RNN cells (``rnn_tanh_cell``, ``lstm_cell``, ...).
All but ``geqrf`` are built from Ember ops, so they are differentiable."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt
from ._autocast import autocast_op
from ._dispatch import Tensor, make, methods, renamed
from ._rowwise_moments import followed, rowwise_moments

__all__ = ["geqrf", "ormqr", "native_dropout", "native_group_norm", "rnn_tanh_cell",
           "rnn_relu_cell", "lstm_cell", "gru_cell", "norm_except_dim", "is_distributed",
           "eig", "lstsq", "solve", "symeig"]


def _vector_norm(*args: Any, **kwargs: Any) -> Tensor:
    from .linalg_norms import vector_norm

    return vector_norm(*args, **kwargs)


def _ops() -> Any:
    """Ember's functions, every op family loaded (ops sit below the top-level package)."""
    from .. import ops

    ops.load_all()
    return ops


# ------------------------------------------------------------------ Householder QR
@autocast_op("geqrf")
def geqrf(input: Tensor, *, out: Any = None) -> tuple[Tensor, Tensor]:
    """LAPACK's geqrf: ``(a, tau)``, R on and above ``a``'s diagonal and the Householder
    vectors below it (unit leading entry implied), with their scale factors ``tau``."""
    from ..return_types import geqrf as _ret

    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if not (input.dtype.is_floating_point or input.dtype.is_complex) or \
            input.dtype.itemsize == 2:  # no half / bfloat16 / complex32 kernel either
        raise NotImplementedError(f'"geqrf_cpu" not implemented for \'{_dt._c10_name(input.dtype)}\'')
    xp = input._device._backend.xp
    a = input._data
    m, n = a.shape[-2:]
    k = min(m, n)
    if a.size == 0 or k == 0:
        h = xp.array(a, copy=True)
        tau = xp.zeros(a.shape[:-2] + (k,), dtype=a.dtype)
    else:
        h, tau = xp.linalg.qr(a, mode="raw")  # h is the transposed (Fortran-order) result
        h = xp.ascontiguousarray(xp.swapaxes(h, -1, -2)).astype(a.dtype, copy=False)
        tau = tau.astype(a.dtype, copy=False)
    res = _ret((make(h, input._device), make(tau, input._device)))
    if out is not None:
        out[0].resize_(res[0].shape).copy_(res[0])
        out[1].resize_(res[1].shape).copy_(res[1])
        return _ret((out[0], out[1]))
    return res


def _householder_q(input: Tensor, tau: Tensor, rows: int) -> Tensor:
    """Q = H_1 H_2 ... H_k (rows x rows) from ``input``'s reflectors, with Ember ops."""
    ember = _ops()

    k = tau.shape[-1]
    v = ember.tril(input[..., :, :k], diagonal=-1)
    eye = ember.eye(rows, k, dtype=input.dtype, device=input.device)
    v = v + eye  # unit leading entries
    q = ember.eye(rows, dtype=input.dtype, device=input.device).expand(
        *input.shape[:-2], rows, rows)
    for i in range(k):  # the reflectors apply in order: each needs the product so far
        vi = v[..., :, i:i + 1]
        ti = tau[..., i:i + 1].unsqueeze(-1)
        q = q - (q @ vi) @ (ti * vi.conj().transpose(-2, -1))
    return q


def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True,
          transpose: bool = False, *, out: Tensor | None = None) -> Tensor:
    """``op(Q) @ other`` (or ``other @ op(Q)`` with ``left=False``), Q the product of the
    Householder reflectors ``geqrf`` left in ``input``/``tau``; ``op`` is the conjugate
    transpose with ``transpose=True``."""
    if input.ndim < 2 or other.ndim < 2:
        raise RuntimeError("torch.ormqr: input must have at least 2 dimensions.")
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(f"torch.ormqr: Expected tau to have one dimension less than input, "
                           f"but got tau.ndim equal to {tau.ndim} and input.ndim is equal to "
                           f"{input.ndim}")
    rows = other.shape[-2] if left else other.shape[-1]
    if input.shape[-2] != rows:
        side = "other.shape[-2]" if left else "other.shape[-1]"
        raise RuntimeError(f"torch.ormqr: {side} must be equal to input.shape[-2]")
    if tau.shape[-1] > input.shape[-1]:
        raise RuntimeError("torch.ormqr: tau.shape[-1] must be less than or equal to "
                           "input.shape[-1]")
    if input.dtype is not other.dtype or input.dtype is not tau.dtype:
        bad = tau if tau.dtype is not input.dtype else other
        which = "tau" if bad is tau else "other"
        raise RuntimeError(f"torch.ormqr: Expected input and {which} to have the same dtype, "
                           f"but input has dtype {input.dtype} and {which} has dtype "
                           f"{bad.dtype}")
    q = _householder_q(input, tau, rows)
    if transpose:
        q = q.conj().transpose(-2, -1)
    res = renamed(q @ other if left else other @ q, "OrmqrBackward0")
    if out is not None:
        return out.resize_(res.shape).copy_(res)
    return res


# ------------------------------------------------------------------ ops with their statistics
def native_dropout(input: Tensor, p: float, train: bool | None) -> tuple[Tensor, Tensor]:
    """``(output, mask)``: dropout and the boolean mask of the kept elements (all True, and
    the output a copy of ``input``, when not training)."""
    ember = _ops()

    if train is False:
        return input.clone(), ember.ones_like(input, dtype=_dt.bool)
    keep = ember.dropout(ember.ones_like(input), p, True) != 0  # dropout's own random stream
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    return input * keep * scale, keep


def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, N: int,
                      C: int, HxW: int, group: int, eps: float) -> tuple[Tensor, Tensor,
                                                                        Tensor]:
    """``(output, mean, rstd)``: group normalization and each sample's group mean and
    inverse standard deviation, shaped ``(N, group)``."""
    ember = _ops()

    if input.numel() != N * C * HxW:
        raise RuntimeError(f"Expected input to have {N * C * HxW} elements, got "
                           f"{input.numel()}")
    out = ember.group_norm(input, group, weight, bias, eps)
    x = input.detach().reshape(N, group, -1)
    a = input._data
    if getattr(a, "flags", None) is not None and a.flags.c_contiguous and a.size \
            and followed(a, a.size // (N * group)):  # float32: PyTorch's order (as group_norm)
        xp = input._device._backend.xp
        mean, var = rowwise_moments(a.reshape(N * group, -1))
        rstd = 1.0 / xp.sqrt(xp.maximum(var, 0).astype(xp.float64) + eps)
        return (out, make(mean.reshape(N, group), input._device),
                make(rstd.astype(xp.float32).reshape(N, group), input._device))
    var, mean = ember.var_mean(x, dim=-1, correction=0)
    return out, mean, ember.rsqrt(var + eps)


# ------------------------------------------------------------------ functional RNN cells
def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    y = x @ w.t()
    return y if b is None else y + b


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One step of an Elman RNN: ``tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    return (_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One step of an Elman RNN with ReLU."""
    return (_linear(input, w_ih, b_ih) + _linear(hx, w_hh, b_hh)).relu()


def lstm_cell(input: Tensor, hx: Any, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
              b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step: ``hx`` is ``(h, c)``; gates in PyTorch's order i, f, g, o."""
    if len(hx) != 2:
        raise RuntimeError("lstm_cell: Expected hx to be a pair (h, c)")
    h, c = hx
    gates = _linear(input, w_ih, b_ih) + _linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, -1)
    c1 = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c1.tanh(), c1


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step; gates in PyTorch's order r, z, n (the reset gate scales W_hh h + b_hh)."""
    xr, xz, xn = _linear(input, w_ih, b_ih).chunk(3, -1)
    hr, hz, hn = _linear(hx, w_hh, b_hh).chunk(3, -1)
    r = (xr + hr).sigmoid()
    z = (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return (1 - z) * n + z * hx


# ------------------------------------------------------------------ small leftovers
def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of ``v`` over every dimension but ``dim`` (kept, size 1, so it
    broadcasts back against ``v``: old ``weight_norm`` code calls it); ``dim=-1`` the norm of
    all of ``v``, as a 0-d tensor."""
    if dim == -1:
        return _vector_norm(v, pow)
    dim = v._wrap_dim(dim, "norm_except_dim")  # PyTorch's transpose(0, dim) refuses others
    others = tuple(d for d in range(v.ndim) if d != dim)
    if not others:  # nothing to reduce over: the norm of each single element
        return v.abs()
    return _vector_norm(v, pow, dim=others, keepdim=True)


def is_distributed(input: Tensor) -> bool:
    """False: an Ember tensor lives whole on one device."""
    return False


# PyTorch's texts (torch/_linalg_utils.py) for the linalg functions removed in 1.9
_REMOVED = {
    "eig": "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than "
           "real tensors mimicking complex tensors.\n\n"
           "L, _ = torch.eig(A) should be replaced with:\n"
           "L_complex = torch.linalg.eigvals(A)\n\n"
           "and\n\n"
           "L, V = torch.eig(A, eigenvectors=True) should be replaced with:\n"
           "L_complex, V_complex = torch.linalg.eig(A)",
    "lstsq": "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n"
             "`torch.linalg.lstsq` has reversed arguments and does not return the QR "
             "decomposition in the returned tuple (although it returns other information about "
             "the problem).\n\n"
             "To get the QR decomposition consider using `torch.linalg.qr`.\n\n"
             "The returned solution in `torch.lstsq` stored the residuals of the solution in the "
             "last m - n columns of the returned value whenever m > n. In torch.linalg.lstsq, "
             "the residuals are in the field 'residuals' of the returned named tuple.\n\n"
             "The unpacking of the solution, as in\n"
             "X, _ = torch.lstsq(B, A).solution[:A.size(1)]\n"
             "should be replaced with:\n"
             "X = torch.linalg.lstsq(A, B).solution",
    "solve": "`torch.solve` is deprecated in favor of `torch.linalg.solve`. "
             "`torch.linalg.solve` has its arguments reversed and does not return the LU "
             "factorization.\n\n"
             "To get the LU factorization see `torch.lu`, which can be used with "
             "`torch.lu_solve` or `torch.lu_unpack`.\n"
             "X = torch.solve(B, A).solution should be replaced with:\n"
             "X = torch.linalg.solve(A, B)",
    "symeig": "The default behavior has changed from using the upper triangular portion of the "
              "matrix by default to using the lower triangular portion.\n\n"
              "L, _ = torch.symeig(A, upper=upper) should be replaced with:\n"
              "L = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\n"
              "and\n\n"
              "L, V = torch.symeig(A, eigenvectors=True) should be replaced with:\n"
              "L, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')",
    "cholesky": "`torch.cholesky` is deprecated in favor of `torch.linalg.cholesky`.\n"
                "L = torch.cholesky(A) should be replaced with:\n"
                "L = torch.linalg.cholesky(A)\n"
                "U = torch.cholesky(A, upper=True) should be replaced with:\n"
                "U = torch.linalg.cholesky(A).mH",
    "qr": "`torch.qr` is deprecated in favor of `torch.linalg.qr` and the boolean parameter "
          "`some` has been replaced with a string parameter `mode`.\n\n"
          "Q, R = torch.qr(A) should be replaced with:\n"
          "Q, R = torch.linalg.qr(A, mode='reduced')\n\n"
          "and\n\n"
          "Q, R = torch.qr(A, some=False) should be replaced with:\n"
          "Q, R = torch.linalg.qr(A, mode='complete')\n\n"
          "Since `some` was set to {some}, use mode='{mode}'.",
}


def _removed(name: str, **fmt: Any) -> RuntimeError:
    text = _REMOVED[name].format(**fmt) if fmt else _REMOVED[name]
    return RuntimeError("This function was deprecated since version 1.9 and is now removed. "
                        + text)


def eig(input: Tensor, eigenvectors: bool = False, *, e: Any = None, v: Any = None) -> Any:
    """Removed from PyTorch (use ``linalg.eig``): raises PyTorch's RuntimeError."""
    raise _removed("eig")


def lstsq(input: Tensor, A: Tensor, *, out: Any = None) -> Any:
    """Removed from PyTorch (use ``linalg.lstsq``): raises PyTorch's RuntimeError."""
    raise _removed("lstsq")


def solve(input: Tensor, A: Tensor, *, out: Any = None) -> Any:
    """Removed from PyTorch (use ``linalg.solve``): raises PyTorch's RuntimeError."""
    raise _removed("solve")


def symeig(input: Tensor, eigenvectors: bool = False, upper: bool = True, *,
           out: Any = None) -> Any:
    """Removed from PyTorch (use ``linalg.eigh``): raises PyTorch's RuntimeError."""
    raise _removed("symeig")


symeig.__name__ = symeig.__qualname__ = "_symeig"  # PyTorch's name for it


def cholesky(input: Tensor, upper: bool = False, *, out: Any = None) -> Tensor:
    """Removed from PyTorch (use ``linalg.cholesky``): raises PyTorch's RuntimeError."""
    raise _removed("cholesky")


@autocast_op("qr")
def qr(input: Tensor, some: bool = True, *, out: Any = None) -> Any:
    """Removed from PyTorch (use ``linalg.qr``): raises PyTorch's RuntimeError."""
    raise _removed("qr", some=some, mode="reduced" if some else "complete")


def _volatile(self: Tensor) -> bool:
    import warnings

    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning,
                  stacklevel=2)
    return False


def _ccol_indices(self: Tensor) -> Tensor:
    raise RuntimeError("ccol_indices expected sparse column compressed tensor layout but got "
                       f"{_layout_name(self)}")


def _row_indices(self: Tensor) -> Tensor:
    raise RuntimeError("row_indices expected sparse column compressed tensor layout but got "
                       f"{_layout_name(self)}")


def _layout_name(t: Tensor) -> str:
    return "Sparse" if getattr(t, "is_sparse", False) else "Strided"


methods(geqrf=geqrf, ormqr=ormqr, norm_except_dim=norm_except_dim,
        is_distributed=is_distributed, eig=eig, lstsq=lstsq, solve=solve, symeig=symeig,
        cholesky=cholesky, qr=qr,
        ccol_indices=_ccol_indices, row_indices=_row_indices, volatile=property(_volatile))
