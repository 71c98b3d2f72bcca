"""Signal processing: the window functions (``hann_window``, ``hamming_window``,
``blackman_window``, ``bartlett_window``, ``kaiser_window``) and the short-time Fourier
transform (``stft``) with its inverse (``istft``).

The transforms are compositions of differentiable Ember ops (padding, ``unfold`` into
frames, the window product, ``ember.fft``, and an overlap-add made of shifted padded
sums), so gradients reach the signal and the window and differentiate again.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from .. import dtypes as _dt
from . import _special_kernels as SK
from ._dispatch import Tensor, methods, renamed
from .creation import _warn_once
from .pointwise_unary import not_implemented

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window", "stft", "istft"]

_C_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>"}


# ------------------------------------------------------------------ windows
def _window(name: str, window_length: Any, periodic: bool, dtype: Any, device: Any,
            requires_grad: bool, values: Any) -> Tensor:
    """Checks, then ``values(n, xp_dtype)`` (a NumPy array of length n) as a tensor."""
    from .creation import tensor

    if not isinstance(window_length, (int, np.integer)) or isinstance(window_length, bool):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    dt = _dt.to_dtype(dtype) if dtype is not None else _dt.get_default_dtype()
    if dt.kind == "c":
        raise not_implemented("arange_cpu", dt.np)
    if dt.kind != "f":
        raise RuntimeError(
            f"{name} expects floating point dtypes, got: TensorOptions(dtype="
            f"{_C_NAMES.get(dt.name, dt.name)}, device=cpu, layout=Strided (default), "
            f"requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))")
    n = int(window_length)
    if n < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={n}")
    # each float dtype is computed in its own precision (step by step rounded), as PyTorch does
    work = {"float64": np.float64, "float16": np.float16,
            "bfloat16": dt.np.type}.get(dt.name, np.float32)
    if n == 0:
        arr = np.zeros((0,), dtype=work)
    elif n == 1:
        arr = np.ones((1,), dtype=work)
    else:
        m = n + 1 if periodic else n
        arr = np.asarray(values(m, work), dtype=work)
        if periodic:
            arr = arr[:-1]
    return tensor(arr, dtype=dt, device=device, requires_grad=requires_grad)


def _cosine_sum(m: int, work: Any, coeffs: tuple) -> Any:
    """``sum_j c_j cos(2 pi j k / (m - 1))`` for k = 0..m-1."""
    x = np.arange(m, dtype=work) * work(2 * math.pi / (m - 1))
    out = np.full(m, work(coeffs[0]), dtype=work)
    for j, c in enumerate(coeffs[1:], 1):
        out = out + work(c) * np.cos(x * work(j) if j > 1 else x)
    return out


_OPTIONS = ("*, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
            "bool pin_memory = False, bool requires_grad = False")


def _window_args(name: str, window_length: Any, params: tuple, defaults: tuple, args: tuple,
                 kwargs: dict, options: dict) -> tuple:
    """``periodic`` (and ``alpha``/``beta``) from the arguments after ``window_length``:
    PyTorch's overloads take them positionally or by name, each only after the ones before
    it (``kaiser_window(10, 5.)`` is refused), ``periodic`` a bool, the others numbers."""
    values = dict(zip(params, args))
    ok = len(args) <= len(params)
    for k, v in kwargs.items():
        ok = ok and k in params and k not in values
        values[k] = v
    ok = ok and all(p in values for p in params[:len(values)]) and all(
        v.__class__ is bool if k == "periodic" else
        isinstance(v, (numbers.Number, np.generic, Tensor)) for k, v in values.items())
    if not ok:
        got = [_type_name(a) for a in (window_length, *args)] + [f"{k}={_type_name(v)}" for k, v in kwargs.items()]
        got += [f"{k}={_type_name(v)}" for k, v in options.items() if v]
        lines = "".join(
            f" * (int window_length, {''.join(f'{_PARAM_TYPES[p]} {p}, ' for p in params[:i])}"
            f"{_OPTIONS})\n" for i in range(len(params) + 1))
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({', '.join(got)}), but expected one of:\n{lines}")
    return tuple(values.get(p, d) for p, d in zip(params, defaults))


_PARAM_TYPES = {"periodic": "bool", "alpha": "float", "beta": "float"}


def _type_name(x: Any) -> str:
    """A value's type as PyTorch's argument parser names it."""
    if isinstance(x, Tensor):
        return "Tensor"
    if isinstance(x, _dt.dtype):
        return "torch.dtype"
    t = type(x)
    if t.__module__ == "builtins":
        return t.__name__
    return "torch.device" if t.__name__ == "device" else f"{t.__module__}.{t.__qualname__}"


def hamming_window(window_length: int, *args: Any, dtype: Any = None, layout: Any = None,
                   device: Any = None, pin_memory: bool = False, requires_grad: bool = False,
                   **kwargs: Any) -> Tensor:
    """``alpha - beta cos(2 pi n / (N - 1))``; ``periodic`` drops the last of N + 1 points.
    After ``window_length``: ``periodic=True, alpha=0.54, beta=0.46``, each only with the ones
    before it."""
    periodic, alpha, beta = _window_args(
        "hamming_window", window_length, ("periodic", "alpha", "beta"), (True, 0.54, 0.46), args, kwargs,
        {"dtype": dtype, "layout": layout, "device": device, "pin_memory": pin_memory,
         "requires_grad": requires_grad})
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda m, w: _cosine_sum(m, w, (alpha, -beta)))


def _periodic(name: str, window_length: Any, args: tuple, kwargs: dict, dtype: Any, layout: Any, device: Any,
              pin_memory: bool, requires_grad: bool) -> bool:
    """``periodic`` (default True), the one argument after ``window_length``."""
    if not kwargs and (not args or len(args) == 1 and args[0].__class__ is bool):
        return args[0] if args else True  # the common case, without the general parse
    return _window_args(name, window_length, ("periodic",), (True,), args, kwargs,
                        {"dtype": dtype, "layout": layout, "device": device,
                         "pin_memory": pin_memory, "requires_grad": requires_grad})[0]


def hann_window(window_length: int, *args: Any, dtype: Any = None, layout: Any = None,
                device: Any = None, pin_memory: bool = False, requires_grad: bool = False,
                **kwargs: Any) -> Tensor:
    """The Hann window ``0.5 - 0.5 cos(2 pi n / (N - 1))``; ``periodic=True`` may follow
    ``window_length``."""
    periodic = _periodic("hann_window", window_length, args, kwargs, dtype, layout, device, pin_memory,
                         requires_grad)
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda m, w: _cosine_sum(m, w, (0.5, -0.5)))


def blackman_window(window_length: int, *args: Any, dtype: Any = None, layout: Any = None,
                    device: Any = None, pin_memory: bool = False, requires_grad: bool = False,
                    **kwargs: Any) -> Tensor:
    """The Blackman window ``0.42 - 0.5 cos(2 pi n / (N-1)) + 0.08 cos(4 pi n / (N-1))``;
    ``periodic=True`` may follow ``window_length``."""
    periodic = _periodic("blackman_window", window_length, args, kwargs, dtype, layout, device, pin_memory,
                         requires_grad)

    def values(m: int, w: Any) -> Any:
        x = np.arange(m, dtype=w) * w(math.pi / (m - 1))
        return w(0.08) * np.cos(x * w(4)) - w(0.5) * np.cos(x * w(2)) + w(0.42)

    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   values)


def bartlett_window(window_length: int, *args: Any, dtype: Any = None, layout: Any = None,
                    device: Any = None, pin_memory: bool = False, requires_grad: bool = False,
                    **kwargs: Any) -> Tensor:
    """The triangular window ``1 - |2n / (N - 1) - 1|``; ``periodic=True`` may follow
    ``window_length``."""
    periodic = _periodic("bartlett_window", window_length, args, kwargs, dtype, layout, device, pin_memory,
                         requires_grad)

    def values(m: int, w: Any) -> Any:
        x = np.arange(m, dtype=w) * w(2.0 / (m - 1))
        half = (m - 1) // 2 + 1
        x[half:] = w(2) - x[half:]
        return x

    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   values)


def kaiser_window(window_length: int, *args: Any, dtype: Any = None, layout: Any = None,
                  device: Any = None, pin_memory: bool = False, requires_grad: bool = False,
                  **kwargs: Any) -> Tensor:
    """``I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta)`` with ``a = (N - 1) / 2``. After
    ``window_length``: ``periodic=True, beta=12.0``, beta only with periodic."""
    periodic, beta = _window_args(
        "kaiser_window", window_length, ("periodic", "beta"), (True, 12.0), args, kwargs,
        {"dtype": dtype, "layout": layout, "device": device, "pin_memory": pin_memory,
         "requires_grad": requires_grad})
    beta = float(beta)

    def values(m: int, w: Any) -> Any:
        a = (m - 1) / 2.0
        k = np.arange(m, dtype=np.float64)
        r = np.sqrt(np.maximum(1.0 - ((k - a) / a) ** 2, 0.0))
        return SK.i0(np, beta * r) / SK.i0(np, np.asarray(beta))

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   values)


# ------------------------------------------------------------------ stft
def _torch_type(t: Tensor, prefix: str = "torch.") -> str:
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
             "complex64": "ComplexFloat", "complex128": "ComplexDouble", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
    cuda = "cuda." if t._device.type == "cuda" else ""
    return f"{prefix}{cuda}{names.get(t.dtype.name, t.dtype.name)}Tensor"


def _shape(t: Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _opt(v: Any) -> str:
    if v is None:
        return "None"
    return str(int(v)) if isinstance(v, bool) else str(v)


def _window_repr(window: Tensor | None) -> str:
    return "None" if window is None else f"{_torch_type(window)}{{{_shape(window)}}}"


def stft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,
         window: Tensor | None = None, center: bool = True, pad_mode: str = "reflect",
         normalized: bool = False, onesided: bool | None = None,
         return_complex: bool | None = None, align_to_window: bool | None = None) -> Tensor:
    """The short-time Fourier transform: ``(*, n_freq, n_frames)`` (complex unless
    ``return_complex=False``, which gives real pairs in a last dim of 2)."""
    from . import spectral as _fft
    from .conv_padding import pad as _pad

    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if center:
        signal_dim = input.ndim
        pad = int(n_fft // 2)
        extended = input.reshape((1,) * (3 - signal_dim) + tuple(input.shape))
        input = _pad(extended, [pad, pad], pad_mode)
        input = input.reshape(tuple(input.shape[-signal_dim:]) if signal_dim else ())
    if window is None:
        _warn_once("stft_window", "A window was not provided. A rectangular window will be "
                   "applied,which is known to cause spectral leakage. Other windows such as "
                   "torch.hann_window or torch.hamming_window are recommended to reduce spectral "
                   "leakage.To suppress this warning and use a rectangular window, explicitly set "
                   "`window=torch.ones(n_fft, device=<device>)`. (Triggered internally at "
                   "/__w/pytorch/pytorch/aten/src/ATen/native/SpectralOps.cpp:854.)", 3)
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    head = (f"stft({_torch_type(input)}{_shape(input)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={_window_repr(window)}, normalized={int(normalized)}, "
            f"onesided={_opt(onesided)}, return_complex={_opt(return_complex)}, "
            f"align_to_window={_opt(align_to_window)}) : ")
    complex_in = input.is_complex() or (window is not None and window.is_complex())
    rc = complex_in if return_complex is None else bool(return_complex)
    if not rc:
        if return_complex is None:
            raise RuntimeError("stft requires the return_complex parameter be given for real "
                               "inputs, and will further require that return_complex=True in a "
                               "future PyTorch release.")
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch "
                      "release, stft will return complex tensors for all inputs, and "
                      "return_complex=False will raise an error.\nNote: you can still call "
                      "torch.view_as_real on the complex output to recover the old return "
                      "format.", UserWarning, stacklevel=2)
    if input.dtype.kind not in "fc":
        raise NotImplementedError(f"{head}expected a tensor of floating point or complex values")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{head}expected a 1D or 2D tensor")
    x = input.unsqueeze(0) if input.ndim == 1 else input
    length = x.shape[-1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(f"{head}expected 0 < n_fft < {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"{head}expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(f"{head}expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(f"{head}expected a 1D window tensor of size equal to win_length="
                           f"{win}, but got window with size {_shape(window)}")
    w = window
    left = (n_fft - win) // 2
    if win < n_fft:
        from .conv_padding import constant_pad_nd
        from .creation import ones

        if w is None:
            w = ones(win, dtype=x.dtype.to_real() if x.is_complex() else x.dtype,
                     device=x._device)
        w = constant_pad_nd(w, [left, n_fft - win - left], 0)
        if align_to_window:
            x = constant_pad_nd(x, [left, n_fft - win - left], 0)
    frames = x.unfold(-1, n_fft, hop)                       # (B, n_frames, n_fft)
    if w is not None:
        frames = frames * w
    one = not complex_in if onesided is None else bool(onesided)
    norm = "ortho" if normalized else "backward"
    if complex_in:
        if one:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
        out = _fft.fft(frames, dim=-1, norm=norm)
    else:
        out = _fft.fft(frames, dim=-1, norm=norm)
        if one:
            out = out.narrow(-1, 0, n_fft // 2 + 1)
    # PyTorch transposes and squeezes in place: its nodes are TransposeBackward1/SqueezeBackward4
    out = renamed(out.transpose(-1, -2), "TransposeBackward1")
    if input.ndim == 1:
        out = renamed(out.squeeze(0), "SqueezeBackward4")
    if not rc:
        from .pointwise_complex import view_as_real

        return view_as_real(out.contiguous())
    return out


# ------------------------------------------------------------------ istft
def _overlap_add(frames: Tensor, hop: int, total: int) -> Tensor:
    """``y[t * hop + k] += frames[..., t, k]`` summed into length ``total`` (differentiable:
    one shifted, zero-padded sum per ``hop``-wide slice of the frames)."""
    from .conv_padding import constant_pad_nd

    n_frames, n_fft = frames.shape[-2:]
    lead = tuple(frames.shape[:-2])
    parts = -(-n_fft // hop)
    width = (n_frames + parts) * hop
    y = None
    for j in range(parts):  # ceil(n_fft / hop) slices, each covering every frame at once
        lo = j * hop
        chunk = frames.narrow(-1, lo, min(hop, n_fft - lo))
        if chunk.shape[-1] < hop:
            chunk = constant_pad_nd(chunk, [0, hop - chunk.shape[-1]], 0)
        flat = chunk.reshape(lead + (n_frames * hop,))
        shifted = constant_pad_nd(flat, [lo, width - lo - n_frames * hop], 0)
        y = shifted if y is None else y + shifted
    return y.narrow(-1, 0, total)


def istft(input: Tensor, n_fft: int, hop_length: int | None = None,
          win_length: int | None = None, window: Tensor | None = None, center: bool = True,
          normalized: bool = False, onesided: bool | None = None, length: int | None = None,
          return_complex: bool = False) -> Tensor:
    """The inverse of ``stft``: the least-squares signal from overlapping windowed frames."""
    from . import spectral as _fft

    if window is None:
        _warn_once("istft_window", "A window was not provided. A rectangular window will be "
                   "applied.Please provide the same window used by stft to make the inversion "
                   "lossless.To suppress this warning and use a rectangular window, explicitly set "
                   "`window=torch.ones(n_fft, device=<device>)`. (Triggered internally at "
                   "/__w/pytorch/pytorch/aten/src/ATen/native/SpectralOps.cpp:1054.)", 3)
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if not input.is_complex():
        raise TypeError("istft requires a complex-valued input tensor matching the output from "
                        "stft with return_complex=True.")
    dev = "CUDA" if input._device.type == "cuda" else "CPU"
    tname = "ComplexDouble" if input.dtype.name == "complex128" else "ComplexFloat"
    head = (f"istft({dev}{tname}Type{_shape(input)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={_window_repr(window)}, center={int(center)}, "
            f"normalized={int(normalized)}, onesided={_opt(onesided)}, length={_opt(length)}, "
            f"return_complex={int(return_complex)}) ")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{head}: expected a tensor with 3 or 4 dimensions, but got "
                           f"{input.ndim + 1}")
    x = input.unsqueeze(0) if input.ndim == 2 else input     # (B, n_freq, n_frames)
    n_freq, n_frames = x.shape[-2:]
    one = (n_freq != n_fft) if onesided is None else bool(onesided)
    if one:
        if n_fft // 2 + 1 != n_freq:
            raise RuntimeError(f"{head}: expected the frequency dimension (3rd to the last) of "
                               f"the input tensor to match n_fft / 2 + 1 when onesided=True, but "
                               f"got {n_freq}")
    elif n_fft != n_freq:
        raise RuntimeError(f"{head}: expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft when onesided=False, but got {n_freq}")
    if not (0 < hop <= win):
        raise RuntimeError(f"{head}: expected 0 < hop_length <= win_length")
    if not (0 < win <= n_fft):
        raise RuntimeError(f"{head}: expected 0 < win_length <= n_fft")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(f"{head}: Invalid window shape. window has to be 1D and length of "
                           f"`win_length`")
    if return_complex:
        if one:
            raise RuntimeError("Cannot have onesided output if window or input is complex")
    elif window is not None and window.is_complex():
        raise RuntimeError("Complex windows are incompatible with return_complex=False")
    from .conv_padding import constant_pad_nd
    from .creation import ones

    w = window if window is not None else ones(win, dtype=x.dtype.to_real(), device=x._device)
    if win != n_fft:
        left = (n_fft - win) // 2
        w = constant_pad_nd(w, [left, n_fft - win - left], 0)
    spec = x.transpose(-1, -2)                                # (B, n_frames, n_freq)
    norm = "ortho" if normalized else "backward"
    if return_complex:
        frames = _fft.ifft(spec, dim=-1, norm=norm)
    else:
        if not one:
            spec = spec.narrow(-1, 0, n_fft // 2 + 1)
        frames = _fft.irfft(spec, n=n_fft, dim=-1, norm=norm)
    expected = n_fft + hop * (n_frames - 1)
    y = _overlap_add(frames * w, hop, expected)
    env = _overlap_add((w * w).expand((1, n_frames, n_fft)), hop, expected)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    else:
        end = expected - n_fft // 2 if center else expected
    stop = min(end, expected)
    y = y.narrow(-1, start, max(stop - start, 0))
    env = env.narrow(-1, start, max(stop - start, 0))
    if env.numel() and bool((env.abs() < 1e-11).any()):
        raise RuntimeError(f"{head}window overlap add min: 1\n[ {dev}BoolType{{}} ]")
    y = y / env
    if input.ndim == 2:
        y = y.squeeze(0)
    if end > expected:
        warnings.warn("The length of signal is shorter than the length parameter. Result is "
                      "being padded with zeros in the tail. Please check your center and "
                      "hop_length settings.", UserWarning, stacklevel=2)
        y = constant_pad_nd(y, [0, end - expected], 0)
    return y


methods(stft=stft, istft=istft)
