"""Connectionist temporal classification loss.

The forward (alpha) and backward (beta) recursions loop over time steps only; each step is
vectorised over the batch and over the positions of the blank-extended label sequence. The
gradient with respect to ``log_probs`` is PyTorch's: ``exp(log_probs) - posterior`` (the
form that assumes ``log_probs`` came from ``log_softmax``).
"""

from __future__ import annotations

from typing import Any

from ..dtypes import _c10_name
from ._autocast import autocast_op
from ._dispatch import Tensor, grad_state, make, record
from ._nn_math import reduction_enum
from .pointwise_binary import where

__all__ = ["ctc_loss"]


def _lengths(xp: Any, v: Any, n: int, what: str) -> Any:
    a = v._data if isinstance(v, Tensor) else xp.asarray(v)
    a = xp.asarray(a).astype("int64").reshape(-1)
    if a.size != n:
        raise RuntimeError(f"{what} must be of size batch_size")
    if a.size and int(xp.min(a)) < 0:
        raise RuntimeError(f"Expected {what} to have value at least 0, but got value "
                           f"{int(xp.min(a))} (while checking arguments for "
                           "ctc_loss_allocate_outputs)")
    return a


def _lse3(xp: Any, a: Any, b: Any, c: Any) -> Any:
    return xp.logaddexp(xp.logaddexp(a, b), c)


def _shift(xp: Any, a: Any, k: int, ninf: Any) -> Any:
    """``a`` moved ``k`` positions along the last axis (right for k > 0), filled with -inf."""
    out = xp.full(a.shape, ninf, dtype=a.dtype)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


# reduction "none" by default, as torch.ctc_loss (F passes its own)
@autocast_op("ctc_loss")
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: Any = "none", zero_infinity: bool = False) -> Tensor:
    """CTC loss of ``log_probs`` (T, N, C) against padded (N, S) or concatenated targets.

    Composed as PyTorch composes it (per-sample loss, then ``where`` / divide / ``mean`` or
    ``sum``), so the graph and the NaN gradients of infeasible samples are PyTorch's.
    """
    red = reduction_enum(reduction)
    if isinstance(input_lengths, Tensor) != isinstance(target_lengths, Tensor) or not all(
            isinstance(v, (Tensor, list, tuple)) for v in (input_lengths, target_lengths)):
        _refuse_lengths(input_lengths, target_lengths)
    for what, v in (("input_lengths", input_lengths), ("target_lengths", target_lengths)):
        if isinstance(v, Tensor) and v._data.dtype.kind not in "iu":
            raise RuntimeError(f"{what} must be integral")
    if log_probs.numel() == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if str(log_probs._data.dtype) not in ("float32", "float64"):  # PyTorch's kernels' dtypes
        raise NotImplementedError(f'"ctc_loss_{log_probs.device.type}" not implemented for '
                                  f"'{_c10_name(log_probs.dtype)}'")
    unbatched = log_probs.ndim == 2
    if log_probs.ndim != 3:  # PyTorch unsqueezes any other rank, then wants 3 dimensions
        log_probs = log_probs.unsqueeze(1)
    if log_probs.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional "
                           "tensor for argument #1 'log_probs' (while checking arguments for "
                           "ctc_loss_allocate_outputs)")
    xp = log_probs._device._backend.xp
    tl = _lengths(xp, target_lengths, log_probs.shape[1], "target_lengths")
    nll = _ctc_nll(log_probs, targets, input_lengths, tl, blank, zero_infinity)
    if zero_infinity:
        nll = where(nll == float("inf"), make(xp.zeros((), dtype=nll._data.dtype),
                                              nll._device), nll)
    if red == 1:
        return (nll / make(xp.maximum(tl, 1).astype(nll._data.dtype), nll._device)).mean()
    if red == 2:
        return nll.sum()
    return nll.squeeze(0) if unbatched else nll


def _refuse_lengths(input_lengths: Any, target_lengths: Any) -> None:
    """PyTorch's overloads take both lengths as int sequences or both as tensors."""
    got = ", ".join("Tensor" if isinstance(v, Tensor) else type(v).__name__
                    for v in (input_lengths, target_lengths))
    tail = "int blank = 0, int reduction = at::Reduction::Mean, bool zero_infinity = False)"
    why = "\n      didn't match because some of the arguments have invalid types: (Tensor, Tensor, "
    lens = [_arg_desc(v) for v in (input_lengths, target_lengths)]
    # PyTorch marks both lengths in the int-list overload, the non-tensors in the other
    ints = ", ".join(f"!{d}!" for d in lens)
    tens = ", ".join(d if d == "Tensor" else f"!{d}!" for d in lens)
    rest = ", !int!, !int!, !bool!)"
    raise TypeError(
        f"ctc_loss() received an invalid combination of arguments - got (Tensor, Tensor, {got}, "
        "int, int, bool), but expected one of:\n * (Tensor log_probs, Tensor targets, "
        f"tuple of ints input_lengths, tuple of ints target_lengths, {tail}{why}{ints}{rest}\n"
        " * (Tensor log_probs, Tensor targets, Tensor input_lengths, Tensor target_lengths, "
        f"{tail}{why}{tens}{rest}\n")


def _arg_desc(v: Any) -> str:
    """An argument's type as PyTorch's argument parser describes it: ``tuple of (int,)``."""
    if isinstance(v, Tensor):
        return "Tensor"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_arg_desc(a) for a in v)
        if isinstance(v, list):
            return f"list of [{inner}]"
        return f"tuple of ({inner}{',' if len(v) == 1 else ''})"
    return type(v).__name__


def _ctc_nll(log_probs: Tensor, targets: Any, input_lengths: Any, tl: Any, blank: int,
             zero_infinity: bool) -> Tensor:
    """The per-sample negative log likelihoods (N,), recorded as ``CtcLossBackward0``."""
    lp = log_probs._data
    xp = log_probs._device._backend.xp
    t_max, n, c = lp.shape
    tg = targets._data if isinstance(targets, Tensor) else xp.asarray(targets)
    il = _lengths(xp, input_lengths, n, "input_lengths")
    if n and int(xp.max(il)) > t_max:
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                           f"value {int(xp.max(il))} (while checking arguments for ctc_loss_allocate_outputs)")
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    s_max = int(xp.max(tl)) if n else 0
    if tg.ndim not in (1, 2):
        raise RuntimeError(f"Expected 1 to 2 dimensions, but got {tg.ndim}-dimensional tensor for "
                           "argument #2 'targets' (while checking arguments for "
                           "ctc_loss_allocate_outputs)")
    if tg.ndim == 1:  # concatenated targets: pad them into (N, S)
        if tg.size != int(tl.sum()):
            raise RuntimeError(f"Expected tensor to have size {int(tl.sum())} at dimension 0, "
                               f"but got size {tg.size} for argument #2 'targets' (while "
                               "checking arguments for ctc_loss_allocate_outputs)")
        starts = xp.concatenate([xp.zeros(1, dtype="int64"), xp.cumsum(tl)[:-1]])
        pos = starts[:, None] + xp.arange(max(s_max, 1))[None, :]
        tg = xp.where(xp.arange(max(s_max, 1))[None, :] < tl[:, None],
                      tg[xp.minimum(pos, max(tg.size - 1, 0))] if tg.size else 0, blank)
    elif tg.shape[1] < s_max:
        raise RuntimeError(f"Expected tensor to have size at least {s_max} at dimension 1, but "
                           f"got size {tg.shape[1]} for argument #2 'targets' (while checking "
                           "arguments for ctc_loss_allocate_outputs)")
    tg = tg.astype("int64")
    lpn = 2 * s_max + 1
    ext = xp.full((n, lpn), blank, dtype="int64")
    if s_max:
        ext[:, 1::2] = tg[:, :s_max]
    sidx = xp.arange(lpn)
    valid = sidx[None, :] <= 2 * tl[:, None]
    ext = xp.where(valid, ext, blank)
    skip = xp.zeros((n, lpn), dtype=bool)
    if lpn > 2:
        # PyTorch's kernels skip whenever the label differs from the one two back (a blank
        # inside the targets too)
        skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
    ninf = -xp.inf
    lpe = xp.take_along_axis(lp, xp.broadcast_to(ext[None], (t_max, n, lpn)), 2)  # (T, N, L')
    dt = lp.dtype
    alpha = xp.full((t_max, n, lpn), ninf, dtype=dt)
    if t_max:
        alpha[0, :, 0] = lpe[0, :, 0]
        if lpn > 1:
            alpha[0, :, 1] = xp.where(tl > 0, lpe[0, :, 1], ninf)
        alpha[0] = xp.where(valid, alpha[0], ninf)
    for t in range(1, t_max):
        a = alpha[t - 1]
        a2 = xp.where(skip, _shift(xp, a, 2, ninf), ninf)
        alpha[t] = xp.where(valid, lpe[t] + _lse3(xp, a, _shift(xp, a, 1, ninf), a2), ninf)
    rows = xp.arange(n)
    last = xp.maximum(il - 1, 0)
    end = alpha[last, rows, 2 * tl]
    end2 = xp.where(tl > 0, alpha[last, rows, xp.maximum(2 * tl - 1, 0)], ninf)
    nll = -xp.logaddexp(end, end2)
    nll = xp.where(il == 0, xp.where(tl == 0, 0.0, xp.inf), nll).astype(dt) if n else nll
    inf = xp.isinf(nll)
    res = make(xp.asarray(nll, dtype=dt), log_probs._device)
    if grad_state.enabled and log_probs._rg:
        def vjp(g: Tensor) -> tuple:
            grad = _ctc_grad(xp, lp, lpe, alpha, ext, skip, valid, il, tl, nll, blank)
            if zero_infinity:
                grad = xp.where(inf[None, :, None], 0.0, grad)
            grad = grad * xp.asarray(g._data, dtype=dt)[None, :, None]
            return (make(grad.astype(dt, copy=False), log_probs._device),)

        record("CtcLossBackward0", res, (log_probs,), vjp)
    return res


def _ctc_grad(xp: Any, lp: Any, lpe: Any, alpha: Any, ext: Any, skip: Any, valid: Any, il: Any,
              tl: Any, nll: Any, blank: int) -> Any:
    """``exp(lp) - exp(log(sum_s alpha * beta at label c) + nll - lp)``, zero past each length."""
    t_max, n, c = lp.shape
    lpn = ext.shape[1]
    ninf = -xp.inf
    beta = xp.full((t_max, n, lpn), ninf, dtype=lp.dtype)
    rows = xp.arange(n)
    sidx = xp.arange(lpn)
    # where each sequence ends: the last blank and the last label of its extended targets
    init = (sidx[None, :] == 2 * tl[:, None]) | ((sidx[None, :] == 2 * tl[:, None] - 1)
                                                 & (tl[:, None] > 0))
    skip_next = xp.zeros((n, lpn), dtype=bool)
    if lpn > 2:
        skip_next[:, :-2] = skip[:, 2:]
    nxt = xp.full((n, lpn), ninf, dtype=lp.dtype)
    for t in range(t_max - 1, -1, -1):
        start = (il - 1 == t)[:, None]
        b1 = _shift(xp, nxt, -1, ninf)
        b2 = xp.where(skip_next, _shift(xp, nxt, -2, ninf), ninf)
        rec = lpe[t] + _lse3(xp, nxt, b1, b2)
        cur = xp.where(start, xp.where(init, lpe[t], ninf), xp.where((il - 1 > t)[:, None],
                                                                     rec, ninf))
        cur = xp.where(valid, cur, ninf)
        beta[t] = cur
        nxt = cur
    ab = alpha + beta
    # PyTorch's CPU kernel sets, not adds, the last label's term at the last step, so where that
    # label is the blank (a blank inside the targets) the final blank's term drops out
    odd = xp.maximum(2 * tl - 1, 0)
    drop = (tl > 0) & (il > 0) & (ext[rows, odd] == blank)
    if drop.any():
        ab[il[drop] - 1, rows[drop], 2 * tl[drop]] = ninf
    mx = xp.max(ab, axis=2, keepdims=True)
    mx = xp.where(xp.isfinite(mx), mx, 0)
    e = xp.exp(ab - mx)
    acc = xp.zeros((t_max, n * c), dtype=lp.dtype)
    flat = (rows[:, None] * c + ext).reshape(-1)
    xp.add.at(acc, (slice(None), flat), e.reshape(t_max, n * lpn))
    with_acc = acc.reshape(t_max, n, c)
    lcab = xp.log(xp.where(with_acc > 0, with_acc, 1.0)) + mx
    rest = nll[None, :, None] - lp
    # no path through (t, c): PyTorch's exp(-inf + rest) is 0, or NaN where rest is +inf (an
    # infeasible sample's infinite loss, or a -inf log-probability)
    post = xp.where(with_acc > 0, xp.exp(lcab + rest), xp.where(rest == xp.inf, xp.nan, 0.0))
    grad = xp.exp(lp) - post
    live = xp.arange(t_max)[:, None] < il[None, :]
    return xp.where(live[:, :, None], grad, 0.0)
