"""Resampling: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area, and antialiased bilinear / bicubic / lanczos), and (from interpolation_grid)
``grid_sample`` and ``affine_grid``.

Every interpolation mode is separable: ``_interp_taps`` builds, per spatial dimension, the
input positions and weights each output reads, and applies them one dimension at a time.
This module resolves the arguments (sizes, scale factors, PyTorch's checks in PyTorch's
order and words) and picks the taps of the forward and of the backward, which differ
where PyTorch's kernels differ (nearest's legacy index rule, bicubic's equal-size copy).
float32 / float64 follow PyTorch's roundings: 2-d bilinear's channels-last kernel where
PyTorch takes it, and every backward summed in PyTorch's raster order (``raster_adjoint``).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from . import _interp_taps as _t
from ._dispatch import Tensor
from ._linear import linear_op
from ._nn_math import int_dtype_name

__all__: list[str] = []

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3, "lanczos": 2}
_NAMED_WRONG = {("bilinear", 1), ("trilinear", 1), ("linear", 2), ("trilinear", 2),
                ("linear", 3), ("bilinear", 3)}
_BASE = {"nearest": "UpsampleNearest", "nearest-exact": "UpsampleNearestExact",
         "linear": "UpsampleLinear", "bilinear": "UpsampleBilinear",
         "bicubic": "UpsampleBicubic", "trilinear": "UpsampleTrilinear",
         "lanczos": "UpsampleLanczos"}
_FLOATS = ("float32", "float64", "float16", "bfloat16")
_WEIGHTED = ("linear", "bilinear", "bicubic", "trilinear")


def _is_integer(v: Any) -> bool:
    if isinstance(v, (numbers.Integral, np.integer)):
        return True
    return isinstance(v, Tensor) and not v.is_floating_point()


# ------------------------------------------------------------------ argument resolution
def _resolve(input: Tensor, size: Any, scale_factor: Any, dim: int) -> tuple:
    """``(output_size, scale_factors)``: exactly one is a list (PyTorch's Python checks)."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size "
                    f"of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    "and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(v) for v in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    "Tuple[int, int, int], but got size with types "
                    f"{[type(v) for v in size]}")
            return list(size), None
        return [size] * max(dim, 0), None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {list(input.shape[2:])} and "
                f"scale_factor of shape {scale_factor}. Please provide input tensor in (N, C, "
                "d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
        return None, list(scale_factor)
    return None, [scale_factor] * max(dim, 0)


def _kernel_name(mode: str, d: int, antialias: bool) -> str:
    if antialias:
        return f"_upsample_{mode}{d}d_aa"
    if mode == "nearest-exact":
        return f"_upsample_nearest_exact{d}d"
    return f"upsample_{mode}{d}d"


def _arg_types(op: str, size: Any, sfs: Any) -> tuple:
    """Integer output sizes and float scales, or the TypeError PyTorch's binding raises."""
    ok = size is None or all(_is_integer(v) and not isinstance(v, bool) for v in size)
    ok = ok and (sfs is None or all(isinstance(v, (numbers.Real, np.floating)) and
                                    not isinstance(v, bool) for v in sfs))
    if not ok:
        got = ", ".join("NoneType" if a is None else "list" for a in (size, sfs))
        raise TypeError(
            f"{op}() received an invalid combination of arguments - got (Tensor, {got}), but "
            "expected one of:\n * (Tensor input, tuple of ints output_size, tuple of floats "
            "scale_factors)")
    return ([int(v) for v in size] if size is not None else None,
            [float(v) for v in sfs] if sfs is not None else None)


def _check_kernel(input: Tensor, S: tuple, out: list, mode: str, d: int, antialias: bool
                  ) -> None:
    """The C++ checks, in PyTorch's order: sizes, then a non-empty plane, then the dtype."""
    if any(v <= 0 for v in S) or any(v <= 0 for v in out):
        names = ("D", "H", "W")[3 - d:]
        fin = ", ".join(f"{a}: {v}" for a, v in zip(names, S))
        fout = ", ".join(f"{a}: {v}" for a, v in zip(names, out))
        sep = " and" if d == 1 else ""
        raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                           f"({fin}){sep} output ({fout})")
    shape = tuple(input.shape)
    if input.numel() == 0 and int(np.prod(shape[1:])) == 0:
        raise RuntimeError(f"Non-empty {input.ndim}D data tensor expected but got a tensor "
                           f"with sizes {list(shape)}")
    name = str(input._data.dtype)
    if antialias:  # (an unchanged size is a plain copy, of any dtype)
        ok = name in ("float32", "float64", "uint8") or tuple(out) == tuple(S)
        kern = "compute_index_ranges_weights"
    elif mode in ("nearest", "nearest-exact"):
        ok = name in _FLOATS or name == "uint8"
        kern = ("upsample_nearest2d_channels_last" if d == 2
                else "compute_indices_weights_nearest")
    elif mode == "bilinear":
        ok, kern = name in _FLOATS or name == "uint8", "upsample_bilinear2d_channels_last"
    elif mode == "bicubic":
        ok, kern = name in _FLOATS or name == "uint8", "compute_indices_weights_cubic"
    else:
        ok, kern = name in _FLOATS, "compute_indices_weights_linear"
    if not ok:
        raise NotImplementedError(f"\"{kern}\" not implemented for '{int_dtype_name(name)}'")


def _channels_last(a: Any) -> bool:
    """Whether an NC(D)HW array is laid out channels-last (PyTorch keeps that layout)."""
    if a.ndim not in (4, 5) or a.shape[1] <= 1 or a.size <= 1:
        return False
    if getattr(getattr(a, "flags", None), "c_contiguous", True):
        return False
    st = a.strides
    others = [st[i] for i in range(2, a.ndim) if a.shape[i] > 1]
    return all(st[1] < s for s in others) and st[1] < st[0]


# ------------------------------------------------------------------ taps per mode
def _taps(mode: str, S: tuple, out: list, sfs: list, align_corners: bool, antialias: bool,
          op: type) -> tuple:
    """``(forward taps, backward taps)`` for one call."""
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        legacy_fwd = len(S) == 2 and sum(out) <= 128
        fwd = [_t.taps_nearest(n, o, sf, exact, op, legacy_fwd) for n, o, sf in zip(S, out, sfs)]
        bwd = [_t.taps_nearest(n, o, sf, exact, op, True) for n, o, sf in zip(S, out, sfs)]
        return fwd, bwd
    if antialias:
        # the forward copies a dimension whose size is unchanged; the backward does not
        bwd = [_t.taps_aa(n, o, align_corners, sf, mode, op) for n, o, sf in zip(S, out, sfs)]
        return [None if o == n else t for n, o, t in zip(S, out, bwd)], bwd
    if mode == "bicubic":
        fwd = [_t.taps_cubic(n, o, align_corners, sf, op) for n, o, sf in zip(S, out, sfs)]
        return fwd, ([None] * len(S) if tuple(out) == tuple(S) else fwd)
    taps = [_t.taps_linear(n, o, align_corners, sf, op) for n, o, sf in zip(S, out, sfs)]
    return taps, taps


def _upsample(input: Tensor, out: list, sfs: list | None, mode: str, align_corners: bool,
              antialias: bool) -> Tensor:
    d = input.ndim - 2
    S = tuple(input.shape[2:])
    _check_kernel(input, S, out, mode, d, antialias)
    sfs = sfs if sfs is not None else [None] * d
    dt = str(input._data.dtype)
    op = _t.opmath(dt)
    if dt == "uint8" and mode != "nearest" and mode != "nearest-exact":
        op = np.float32 if mode == "bicubic" and not antialias else np.float64
    fwd, bwd = _taps(mode, S, out, sfs, align_corners, antialias, op)
    if dt == "uint8" and mode == "bicubic" and not antialias:
        # PyTorch's separable uint8 kernel copies a dim whose size is unchanged, whatever the scale
        fwd = [None if o == n else t for n, o, t in zip(S, out, fwd)]
    if mode == "bicubic" and not antialias and dt in ("float16", "bfloat16"):
        # PyTorch's generic kernel stores the weights in the input's dtype
        half = input._data.dtype
        fwd = [t if t is None else (t[0], t[1].astype(half).astype(op)) for t in fwd]
    cl = _channels_last(input._data)
    name = f"{_BASE[mode]}{d}D{'Aa' if antialias else ''}Backward0"

    # PyTorch's antialiased float kernel on a (N, C, H, 1) output that resizes H writes the
    # first output row into every row of a plane unless the input is channels-last
    first_row = antialias and dt != "uint8" and not cl and out[-1] == 1 and out[-2] != S[-2]

    exact = not antialias and dt in ("float32", "float64")
    # PyTorch's 2-d bilinear takes its channels-last kernel for small outputs and for
    # channels-last inputs of more than 3 channels; its roundings differ from the generic one
    cl_kernel = exact and mode == "bilinear" and (cl and input.shape[1] > 3 or
                                                   out[0] + out[1] <= 128) \
        and input._data.size < _t.EXACT_MAX

    def f(xp: Any, a: Any) -> Any:
        if cl_kernel:
            # (its vectors hold 32 bytes, as measured on an AVX512 machine too)
            y = _t.bilinear_cl(xp, a, fwd, 8 if dt == "float32" else 4)
            if cl:
                return xp.ascontiguousarray(y.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
            return xp.ascontiguousarray(y)
        # the last dim innermost, as PyTorch's kernels nest their taps
        y = _t.separable(xp, a, fwd, d, cl, last_first=antialias or mode in _WEIGHTED)
        if first_row:
            y[..., 1:, :] = y[..., :1, :]
        return y

    # the gradient takes the incoming gradient's layout (bicubic's and 3-d nearest's: C order)
    follows = mode == ("trilinear" if d == 3 else "bilinear") or d == 2 and mode != "bicubic"

    def b(xp: Any, g: Any) -> Any:
        if antialias and dt in ("float16", "bfloat16"):  # (only a same-size copy ran forward)
            raise NotImplementedError(f"\"upsample_{mode}{d}d_aa_backward_cpu\" not implemented "
                                      f"for '{int_dtype_name(dt)}'")
        gcl = follows and _channels_last(g)
        if antialias and d == 2 and str(g.dtype) != "uint8":
            return _t.aa_adjoint_2d(xp, g, bwd, S, gcl)
        if exact and g.size < _t.EXACT_GRAD_MAX and not (
                mode == "bicubic" and all(t is None for t in bwd)):
            kind = ("sum" if mode in ("nearest", "nearest-exact") else
                    "cubic" if mode == "bicubic" else "linear")
            taps = bwd
            if kind == "cubic":
                taps = [_t.taps_cubic_plain(n, o, align_corners, sf, op)
                        for n, o, sf in zip(S, out, sfs)]
            return _t.raster_adjoint(xp, g, taps, S, kind, gcl)
        return _t.separable_adj(xp, g, bwd, d, S, gcl)

    return linear_op(input, f, b, name)


# ------------------------------------------------------------------ interpolate
def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of ``(N, C, *spatial)`` by ``size`` or ``scale_factor``,
    with PyTorch's index rules, dtypes, layouts and errors (``torch.nn.functional``)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    out, sfs = _resolve(input, size, scale_factor, dim)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and out is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        out = [int(input.shape[i + 2] * sfs[i]) for i in range(dim)]
        sfs = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if dim in (1, 2, 3) and mode in ("nearest", "nearest-exact", "area") or \
            _RANK.get(mode) == dim:
        if mode == "lanczos":
            if align_corners:
                raise ValueError("Lanczos mode does not support align_corners=True")
            if not antialias:
                raise ValueError("Lanczos mode requires antialias=True")
        if mode == "area":
            from . import pooling

            return getattr(pooling, f"adaptive_avg_pool{dim}d")(input, out)
        aa = antialias and mode != "nearest"
        out, sfs = _arg_types(_kernel_name(mode, dim, aa), out, sfs)
        if sfs is not None:
            out = [_t.out_size(n, s) for n, s in zip(input.shape[2:], sfs)]
        return _upsample(input, out, sfs, mode, align_corners, aa)
    if (mode, dim) in _NAMED_WRONG:
        need = {"linear": 3, "bilinear": 4, "trilinear": 5}[mode]
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need}D input")
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
        f"modes: {_MODES} (got {mode})")


# (interpolation_grid is its own family in ops.LAZY: adding its names to this __all__ here,
# at the end, missed them whenever load_all ran while this module was still importing)
from .interpolation_grid import *  # noqa: E402,F403
