"""Convolutions: ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d`` and their lazy forms."""

from __future__ import annotations

import math
from typing import Any

import ember
from ember import Tensor

from .. import functional as F
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module
from .utils import _pair, _reverse_repeat_tuple, _set_qualname, _single, _triple

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d"]

_PADDING_STRINGS = {"same", "valid"}
_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class _ConvNd(Module):
    __constants__ = ["stride", "padding", "dilation", "groups", "padding_mode", "output_padding",
                     "in_channels", "out_channels", "kernel_size"]

    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple, stride: tuple,
                 padding: Any, dilation: tuple, transposed: bool, output_padding: tuple,
                 groups: int, bias: bool, padding_mode: str, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in _PADDING_STRINGS:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{_PADDING_STRINGS}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's padding (last dim first, both sides) for the non-zero padding modes
        if isinstance(padding, str):
            pads = [0, 0] * len(kernel_size)
            if padding == "same":
                for i, (d, k) in enumerate(zip(reversed(dilation), reversed(kernel_size))):
                    total = d * (k - 1)
                    pads[2 * i] = total // 2
                    pads[2 * i + 1] = total - total // 2
            self._reversed_padding_repeated_twice = pads
        else:
            self._reversed_padding_repeated_twice = tuple(_reverse_repeat_tuple(padding, 2))
        shape = ((in_channels, out_channels // groups) if transposed
                 else (out_channels, in_channels // groups)) + tuple(kernel_size)
        self.weight = Parameter(ember.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(ember.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-uniform weights (a=sqrt(5)); biases uniform in ±1/sqrt(fan_in)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if not hasattr(self, "padding_mode"):
            self.padding_mode = "zeros"


def _conv_class(n: int, tup: Any, fn_name: str) -> type:
    class ConvNd(_ConvNd):
        def __init__(self, in_channels: int, out_channels: int, kernel_size: Any,
                     stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1,
                     bias: bool = True, padding_mode: str = "zeros", device: Any = None,
                     dtype: Any = None) -> None:
            super().__init__(in_channels, out_channels, tup(kernel_size), tup(stride),
                             padding if isinstance(padding, str) else tup(padding),
                             tup(dilation), False, tup(0), groups, bias, padding_mode,
                             device=device, dtype=dtype)

        def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
            conv = getattr(F, fn_name)
            if self.padding_mode != "zeros":
                return conv(F.pad(input, self._reversed_padding_repeated_twice,
                                  mode=self.padding_mode),
                            weight, bias, self.stride, tup(0), self.dilation, self.groups)
            return conv(input, weight, bias, self.stride, self.padding, self.dilation,
                        self.groups)

        def forward(self, input: Tensor) -> Tensor:
            return self._conv_forward(input, self.weight, self.bias)

    return ConvNd


def _named(cls: type, name: str, doc: str) -> type:
    cls.__name__ = cls.__qualname__ = name
    _set_qualname(cls.__init__, f"{name}.__init__")
    cls.__module__ = __name__
    cls.__doc__ = doc
    return cls


Conv1d = _named(_conv_class(1, _single, "conv1d"), "Conv1d",
                "A 1-D convolution over (N, C_in, L) inputs.")
Conv2d = _named(_conv_class(2, _pair, "conv2d"), "Conv2d",
                "A 2-D convolution over (N, C_in, H, W) inputs.")
Conv3d = _named(_conv_class(3, _triple, "conv3d"), "Conv3d",
                "A 3-D convolution over (N, C_in, D, H, W) inputs.")


class _ConvTransposeNd(_ConvNd):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        padding_mode = args[10] if len(args) > 10 else kwargs.get("padding_mode", "zeros")
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {self.__class__.__name__}')
        super().__init__(*args, **kwargs)

    def _output_padding(self, input: Tensor, output_size: Any, stride: tuple, padding: tuple,
                        kernel_size: tuple, num_spatial_dims: int,
                        dilation: tuple | None = None) -> list[int]:
        if output_size is None:
            return list(_single(self.output_padding))
        has_batch_dim = input.dim() == num_spatial_dims + 2
        non_spatial = 2 if has_batch_dim else 1
        if len(output_size) == non_spatial + num_spatial_dims:  # shown as given in errors
            output_size = output_size[non_spatial:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(
                f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must "
                f"have {num_spatial_dims} or {non_spatial + num_spatial_dims} elements (got "
                f"{len(output_size)})")
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            size = ((input.size(d + non_spatial) - 1) * stride[d] - 2 * padding[d]
                    + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1)
            min_sizes.append(size)
            max_sizes.append(size + stride[d] - 1)
        for size, lo, hi in zip(output_size, min_sizes, max_sizes):
            if size < lo or size > hi:
                raise ValueError(
                    f"requested an output size of {output_size}, but valid sizes range from "
                    f"{min_sizes} to {max_sizes} (for an input of {input.size()[2:]})")
        out = [output_size[d] - min_sizes[d] for d in range(num_spatial_dims)]
        for i, v in enumerate(out):  # PyTorch's kernel takes the differences as ints only
            if isinstance(v, float):
                fn = f"conv_transpose{num_spatial_dims}d(): argument 'output_padding'"
                raise TypeError(
                    f"{fn} (position 6) must be tuple of ints, but found element of type float "
                    "at pos 0" if i == 0 else f"{fn} failed to unpack the object at pos "
                    f'{i + 1} with error "type must be tuple of ints,but got float"')
        return out


def _conv_transpose_class(n: int, tup: Any, fn_name: str) -> type:
    class ConvTransposeNd(_ConvTransposeNd):
        def __init__(self, in_channels: int, out_channels: int, kernel_size: Any,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, bias: bool = True, dilation: Any = 1,
                     padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
            super().__init__(in_channels, out_channels, tup(kernel_size), tup(stride),
                             tup(padding), tup(dilation), True, tup(output_padding), groups,
                             bias, padding_mode, device=device, dtype=dtype)

        def forward(self, input: Tensor, output_size: list[int] | None = None) -> Tensor:
            if self.padding_mode != "zeros":
                raise ValueError(
                    f'Only "zeros" padding mode is supported for {self.__class__.__name__}')
            output_padding = self._output_padding(input, output_size, self.stride, self.padding,
                                                  self.kernel_size, n, self.dilation)
            return getattr(F, fn_name)(input, self.weight, self.bias, self.stride, self.padding,
                                       output_padding, self.groups, self.dilation)

    return ConvTransposeNd


ConvTranspose1d = _named(_conv_transpose_class(1, _single, "conv_transpose1d"),
                         "ConvTranspose1d", "A 1-D transposed convolution over (N, C_in, L).")
ConvTranspose2d = _named(_conv_transpose_class(2, _pair, "conv_transpose2d"),
                         "ConvTranspose2d", "A 2-D transposed convolution over (N, C_in, H, W).")
ConvTranspose3d = _named(_conv_transpose_class(3, _triple, "conv_transpose3d"),
                         "ConvTranspose3d",
                         "A 3-D transposed convolution over (N, C_in, D, H, W).")
for _c, _n in ((Conv1d, 1), (Conv2d, 2), (Conv3d, 3), (ConvTranspose1d, 1),
               (ConvTranspose2d, 2), (ConvTranspose3d, 3)):
    _c._num_spatial_dims = _n


class _LazyConvXdMixin(LazyModuleMixin):
    def reset_parameters(self: Any) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self: Any, input: Tensor) -> int:
        n = self._num_spatial_dims
        if input.dim() not in (n + 1, n + 2):
            raise RuntimeError(
                f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                f"{self.__class__.__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == n + 2 else input.shape[0]

    def initialize_parameters(self: Any, input: Tensor, *args: Any, **kwargs: Any) -> None:
        if not self.has_uninitialized_params():
            return
        from ember.autograd import no_grad

        self.in_channels = self._get_in_channels(input)
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        with no_grad():
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups)
            else:
                shape = (self.out_channels, self.in_channels // self.groups)
            self.weight.materialize(shape + tuple(self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


def _lazy_conv(base: type, transposed: bool) -> type:
    if transposed:
        def __init__(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
                     device: Any = None, dtype: Any = None) -> None:
            base.__init__(self, 0, 0, kernel_size, stride, padding, output_padding, groups,
                          False, dilation, padding_mode, device=device, dtype=dtype)
            _lazy_setup(self, out_channels, bias, device, dtype)
    else:
        def __init__(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1,
                     padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                     padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
            base.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False,
                          padding_mode, device=device, dtype=dtype)
            _lazy_setup(self, out_channels, bias, device, dtype)

    name = "Lazy" + base.__name__
    _set_qualname(__init__, f"{name}.__init__")
    cls = type(name, (_LazyConvXdMixin, base), {"__init__": __init__, "cls_to_become": base,
                                                 "__module__": __name__,
                                                 "__doc__": f"A ``{base.__name__}`` whose "
                                                 "in_channels is inferred from the first input."})
    return cls


def _lazy_setup(self: Any, out_channels: int, bias: bool, device: Any, dtype: Any) -> None:
    # the hooks of LazyModuleMixin (its __init__ is bypassed by calling the base directly)
    self.weight = UninitializedParameter(device=device, dtype=dtype)
    self.out_channels = out_channels
    if bias:
        self.bias = UninitializedParameter(device=device, dtype=dtype)
    self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
    self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                           with_kwargs=True)


LazyConv1d = _lazy_conv(Conv1d, False)
LazyConv2d = _lazy_conv(Conv2d, False)
LazyConv3d = _lazy_conv(Conv3d, False)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, True)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, True)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, True)
