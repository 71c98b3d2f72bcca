"""Autocast (automatic mixed precision): the per-thread state and the op policies.

Inside ``ember.autocast(device_type)`` an op on that device type runs in the precision
PyTorch's autocast gives it: "lower" ops (matrix products, convolutions) cast their
floating inputs to the autocast dtype, "fp32" ops (losses, reductions prone to overflow)
cast them to float32, "promote" ops cast to the widest floating input type. float64
inputs are never cast. Outside an autocast region an op pays one global check.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any

from .. import dtypes as _dt

LOWER, FP32, PROMOTE = "lower", "fp32", "promote"

# PyTorch 2.14's lists (torch.amp documentation), for the ops Ember has
_CPU_LOWER = {"conv1d", "conv2d", "conv3d", "bmm", "mm", "linalg_vecdot", "baddbmm", "addmm",
              "addbmm", "linear", "matmul", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "prelu", "scaled_dot_product_attention"}
_CPU_FP32 = {"avg_pool3d", "binary_cross_entropy", "grid_sampler", "polar", "prod", "quantile",
             "nanquantile", "stft", "cdist", "trace", "view_as_complex", "cholesky",
             "cholesky_inverse", "cholesky_solve", "inverse", "lu_solve", "pinverse",
             "max_pool3d", "max_unpool2d", "max_unpool3d", "adaptive_avg_pool3d",
             "reflection_pad", "replication_pad", "mse_loss", "cosine_embedding_loss",
             "nll_loss", "hinge_embedding_loss", "poisson_nll_loss", "smooth_l1_loss",
             "cross_entropy", "l1_loss", "huber_loss", "margin_ranking_loss", "soft_margin_loss",
             "triplet_margin_loss", "multi_margin_loss", "ctc_loss", "kl_div",
             "multilabel_margin_loss", "binary_cross_entropy_with_logits",
             "fft_fft", "fft_ifft", "fft_fft2", "fft_ifft2", "fft_fftn", "fft_ifftn", "fft_rfft",
             "fft_irfft", "fft_rfft2", "fft_irfft2", "fft_rfftn", "fft_irfftn", "fft_hfft",
             "fft_ihfft", "linalg_cond", "linalg_matrix_rank", "linalg_solve", "linalg_cholesky",
             "linalg_svdvals", "linalg_eigvals", "linalg_eigvalsh", "linalg_inv",
             "linalg_householder_product", "linalg_tensorinv", "linalg_tensorsolve", "geqrf",
             "qr", "svd", "fractional_max_pool2d", "fractional_max_pool3d",
             "adaptive_max_pool3d", "linalg_qr", "linalg_cholesky_ex", "linalg_svd", "linalg_eig",
             "linalg_eigh", "linalg_lstsq", "linalg_inv_ex"}
_CPU_PROMOTE = {"stack", "cat", "index_copy"}
_CUDA_LOWER = {"matmul", "addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "chain_matmul",
               "multi_dot", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d", "linear", "mm", "mv", "prelu", "scaled_dot_product_attention"}
_CUDA_FP32 = {"pow", "acos", "asin", "binary_cross_entropy_with_logits", "cosh",
              "cosine_embedding_loss", "cdist", "cosine_similarity", "cross_entropy", "cumprod",
              "cumsum", "dist", "erfinv", "exp", "expm1", "group_norm", "hinge_embedding_loss",
              "kl_div", "l1_loss", "layer_norm", "log", "log_softmax", "log10", "log1p", "log2",
              "margin_ranking_loss", "mse_loss", "multilabel_margin_loss", "multi_margin_loss",
              "nll_loss", "norm", "normalize", "pdist", "poisson_nll_loss", "prod",
              "reciprocal", "rsqrt", "sinh", "smooth_l1_loss", "soft_margin_loss", "softmax",
              "softmin", "softplus", "sum", "renorm", "tan", "triplet_margin_loss"}
_CUDA_PROMOTE = {"addcdiv", "addcmul", "atan2", "bilinear", "cross", "dot", "grid_sampler",
                 "index_put", "scatter_add", "tensordot"}


def _table(lower: set, fp32: set, promote: set) -> dict[str, str]:
    table = {name: FP32 for name in fp32}
    table.update({name: PROMOTE for name in promote})
    table.update({name: LOWER for name in lower})
    return table


POLICIES = {"cpu": _table(_CPU_LOWER, _CPU_FP32, _CPU_PROMOTE),
            "cuda": _table(_CUDA_LOWER, _CUDA_FP32, _CUDA_PROMOTE)}
DEFAULT_DTYPES = {"cpu": _dt.bfloat16, "cuda": _dt.float16}

#: number of autocast regions open in any thread (the cheap check ops make)
active = [0]


class _Local(threading.local):
    def __init__(self) -> None:
        self.enabled: dict[str, bool] = {}
        self.dtype: dict[str, _dt.dtype] = {}
        self.cache_enabled = True
        self.nesting = 0
        self.pinned: set[str] = set()  # device types set_autocast_enabled turned on


local = _Local()


def enabled_for(device_type: str) -> bool:
    return local.enabled.get(device_type, False)


def dtype_for(device_type: str) -> _dt.dtype:
    return local.dtype.get(device_type, DEFAULT_DTYPES.get(device_type, _dt.float16))


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "_data") and hasattr(x, "_device")


def _first_device_type(args: tuple, kwargs: dict) -> str | None:
    for a in (*args, *kwargs.values()):
        if _is_tensor(a):
            return a._device.type
        if isinstance(a, (list, tuple)):
            for b in a:
                if _is_tensor(b):
                    return b._device.type
    return None


def _eligible(x: Any) -> bool:
    return _is_tensor(x) and x.dtype.is_floating_point and x.dtype is not _dt.float64


def _cast_all(value: Any, dtype: _dt.dtype) -> Any:
    if _eligible(value):
        return value if value.dtype is dtype else value.to(dtype)
    if isinstance(value, (list, tuple)) and any(_is_tensor(v) for v in value):
        return type(value)(_cast_all(v, dtype) for v in value)
    return value


#: PyTorch's cache of the low-precision casts of float32 leaves that require grad (the
#: weights): by id, with a weak reference to the source; kept until the outermost autocast
#: region exits, so a weight changed in place inside the region is read stale, as there
_cast_cache: dict[int, tuple[Any, Any]] = {}


def _cast_lower(value: Any, dtype: _dt.dtype) -> Any:
    """``_cast_all`` to the autocast dtype, reusing (and filling) the weights' cast cache as
    PyTorch's ``cached_cast``: the cast is made with grad on (it serves later grad-mode uses
    too); none is cached or reused in inference mode or with the cache disabled."""
    if isinstance(value, (list, tuple)) and any(_is_tensor(v) for v in value):
        return type(value)(_cast_lower(v, dtype) for v in value)
    if not (_is_tensor(value) and value._rg and value.dtype is _dt.float32
            and value.grad_fn is None and value._base is None and local.cache_enabled):
        return _cast_all(value, dtype)
    from ..autograd import grad_mode

    gm = grad_mode.state
    if gm.inference:
        return _cast_all(value, dtype)
    hit = _cast_cache.get(id(value))
    if hit is not None and hit[0]() is value:
        return hit[1]
    saved, gm.enabled = gm.enabled, True
    try:
        cast = value.to(dtype)
    finally:
        gm.enabled = saved
    _cast_cache[id(value)] = (weakref.ref(value), cast)
    return cast


def clear_cache() -> None:
    """Forget the cached weight casts (the outermost autocast region exits)."""
    _cast_cache.clear()


def _promote_dtype(args: tuple, kwargs: dict, device_type: str) -> _dt.dtype:
    """The dtype a "promote" op casts to, found as PyTorch's ``at::autocast::prioritize``
    finds it: the autocast dtype unless a float32 input appears; float64 inputs are
    skipped, and a low-precision input of the other kind first raises RuntimeError."""
    low = dtype_for(device_type)
    current = low
    for a in (*args, *kwargs.values()):
        for t in (a if isinstance(a, (list, tuple)) else (a,)):
            if not (_is_tensor(t) and t.dtype.is_floating_point) or t.dtype is _dt.float64:
                continue
            if current is _dt.float32 or t.dtype is _dt.float32:
                current = _dt.float32
            elif t.dtype is not low:
                raise RuntimeError("Unexpected floating ScalarType in at::autocast::prioritize")
    return current


def _call_autocast(fn: Callable, name: str, args: tuple, kwargs: dict) -> Any:
    device_type = _first_device_type(args, kwargs)
    if device_type is None or not local.enabled.get(device_type, False):
        return fn(*args, **kwargs)
    policy = POLICIES.get(device_type, {}).get(name)
    if policy is None:
        return fn(*args, **kwargs)
    if kwargs.get("out") is not None:
        # PyTorch's autocast kernels are the functional overloads: ``out=`` runs uncast
        return _run_uncast(fn, device_type, args, kwargs)
    if policy == LOWER:
        dtype = dtype_for(device_type)
        args = tuple(_cast_lower(a, dtype) for a in args)
        kwargs = {k: _cast_lower(v, dtype) for k, v in kwargs.items()}
        return _run_uncast(fn, device_type, args, kwargs)
    if policy == FP32:
        dtype = _dt.float32
    else:
        dtype = _promote_dtype(args, kwargs, device_type)
    args = tuple(_cast_all(a, dtype) for a in args)
    kwargs = {k: _cast_all(v, dtype) for k, v in kwargs.items()}
    return _run_uncast(fn, device_type, args, kwargs)


def _run_uncast(fn: Callable, device_type: str, args: tuple, kwargs: dict) -> Any:
    """``fn`` run with autocast off, as PyTorch's autocast kernels (and ``out=`` kernels)
    run: the ops it calls inside are not cast again."""
    saved = local.enabled.get(device_type, False)
    local.enabled[device_type] = False
    try:
        return fn(*args, **kwargs)
    finally:
        local.enabled[device_type] = saved


def lower_as_inner_mm(operands: list) -> list:
    """``operands`` cast as the autocast ``mm`` inside a composite op (einsum, tensordot)
    casts them: an op with no policy of its own runs its matrix product in low precision."""
    device_type = _first_device_type(tuple(operands), {})
    if not active[0] or device_type is None or not local.enabled.get(device_type, False):
        return operands
    if POLICIES.get(device_type, {}).get("mm") != LOWER:
        return operands
    dtype = dtype_for(device_type)
    return [_cast_lower(t, dtype) for t in operands]


def inner_mm_dtype(t: Any) -> _dt.dtype | None:
    """The dtype the autocast ``mm``/``bmm`` inside a composite op with its own backward
    (``affine_grid_generator``) computes in for input ``t``; None outside autocast."""
    if not active[0] or not _eligible(t) or not local.enabled.get(t._device.type, False):
        return None
    if POLICIES.get(t._device.type, {}).get("bmm") != LOWER:
        return None
    return dtype_for(t._device.type)


def autocast_op(name: str) -> Callable[[Callable], Callable]:
    """Decorate op ``fn`` (PyTorch's op ``name``) so autocast regions apply its policy."""
    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def op(*args: Any, **kwargs: Any) -> Any:
            if not active[0]:
                return fn(*args, **kwargs)
            return _call_autocast(fn, name, args, kwargs)

        return op

    return decorate
