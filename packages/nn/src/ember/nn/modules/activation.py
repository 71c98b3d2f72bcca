"""Activation modules, each a thin wrapper over its ``ember.nn.functional`` function."""

from __future__ import annotations

from typing import Any

import ember
from ember import Tensor

from .. import functional as F
from .. import init
from ..functional._attention import _canonical_mask
from ..parameter import Parameter
from .linear import NonDynamicallyQuantizableLinear
from .module import Module

__all__ = ["Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh",
           "SiLU", "Mish", "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink",
           "LeakyReLU", "LogSigmoid", "Softplus", "Softshrink", "MultiheadAttention", "PReLU",
           "Softsign", "Tanhshrink", "Softmin", "Softmax", "Softmax2d", "LogSoftmax"]


def _inplace_str(inplace: bool, first: bool = False) -> str:
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class _Inplace(Module):
    """An activation whose only option is ``inplace``."""

    __constants__ = ["inplace"]
    _fn = "relu"

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return getattr(F, self._fn)(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class _Plain(Module):
    """An activation without options."""

    _fn = "sigmoid"

    def forward(self, input: Tensor) -> Tensor:
        return getattr(F, self._fn)(input)


class Threshold(Module):
    """``y = x if x > threshold else value``."""

    __constants__ = ["threshold", "value", "inplace"]

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}{_inplace_str(self.inplace)}"


class ReLU(_Inplace):
    """``max(0, x)``."""

    _fn = "relu"


class RReLU(Module):
    """Randomized leaky ReLU: slope drawn from U(lower, upper) in training, their mean in eval."""

    __constants__ = ["lower", "upper", "inplace"]

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}{_inplace_str(self.inplace)}"


class Hardtanh(Module):
    """``clamp(x, min_val, max_val)``."""

    __constants__ = ["min_val", "max_val", "inplace"]

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        if min_value is not None:
            min_val = min_value
        if max_value is not None:
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        if not self.max_val > self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_str(self.inplace)}"


class ReLU6(Hardtanh):
    """``min(max(0, x), 6)``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``."""

    def forward(self, input: Tensor) -> Tensor:
        return ember.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, input: Tensor) -> Tensor:
        return ember.tanh(input)


class Hardsigmoid(_Inplace):
    """Piecewise-linear sigmoid: ``relu6(x + 3) / 6``."""

    _fn = "hardsigmoid"

    def extra_repr(self) -> str:
        return ""


class SiLU(_Inplace):
    """``x * sigmoid(x)``."""

    _fn = "silu"


class Mish(_Inplace):
    """``x * tanh(softplus(x))``."""

    _fn = "mish"


class Hardswish(_Inplace):
    """``x * relu6(x + 3) / 6``."""

    _fn = "hardswish"

    def extra_repr(self) -> str:
        return ""


class _ELUBase(Module):
    """ELU and CELU: an ``alpha`` and ``inplace`` (separate classes in PyTorch)."""

    __constants__ = ["alpha", "inplace"]
    _fn = "elu"

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return getattr(F, self._fn)(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_str(self.inplace)}"


class ELU(_ELUBase):
    """``x if x > 0 else alpha * (exp(x) - 1)``."""

    _fn = "elu"


class CELU(_ELUBase):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""

    _fn = "celu"


class SELU(_Inplace):
    """Scaled ELU with the self-normalizing constants."""

    _fn = "selu"


class GLU(Module):
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves of ``dim``."""

    __constants__ = ["dim"]

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GELU(Module):
    """Gaussian error linear unit (``approximate='tanh'`` for the tanh approximation)."""

    __constants__ = ["approximate"]

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class _ShrinkBase(Module):
    """Hardshrink and Softshrink: one ``lambd`` (separate classes in PyTorch)."""

    __constants__ = ["lambd"]
    _fn = "hardshrink"

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input: Tensor) -> Tensor:
        return getattr(F, self._fn)(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Hardshrink(_ShrinkBase):
    """``x if |x| > lambd else 0``."""

    _fn = "hardshrink"


class Softshrink(_ShrinkBase):
    """``x - lambd if x > lambd, x + lambd if x < -lambd, else 0``."""

    _fn = "softshrink"


class LeakyReLU(Module):
    """``x if x >= 0 else negative_slope * x``."""

    __constants__ = ["inplace", "negative_slope"]

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_str(self.inplace)}"


class LogSigmoid(_Plain):
    """``log(sigmoid(x))``."""

    _fn = "logsigmoid"


class Softsign(_Plain):
    """``x / (1 + |x|)``."""

    _fn = "softsign"


class Tanhshrink(_Plain):
    """``x - tanh(x)``."""

    _fn = "tanhshrink"


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``."""

    __constants__ = ["beta", "threshold"]

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class PReLU(Module):
    """Leaky ReLU with a learned slope (one, or one per channel)."""

    __constants__ = ["num_parameters"]

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(ember.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class _SoftmaxBase(Module):
    __constants__ = ["dim"]
    _fn = "softmax"

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def forward(self, input: Tensor) -> Tensor:
        return getattr(F, self._fn)(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(_SoftmaxBase):
    """``softmax(-x)`` along ``dim``."""

    _fn = "softmin"


class Softmax(_SoftmaxBase):
    """``exp(x) / sum(exp(x))`` along ``dim``."""

    _fn = "softmax"


class LogSoftmax(_SoftmaxBase):
    """``log(softmax(x))`` along ``dim``, computed stably."""

    _fn = "log_softmax"


class Softmax2d(Module):
    """Softmax over the channels of (N, C, H, W) or (C, H, W) inputs."""

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3)


def _refuse_mask_types(query: Tensor, key_padding_mask: Tensor | None,
                       attn_mask: Tensor | None) -> None:
    """PyTorch's module reads both masks first: an integer one is refused (after the
    warning on mixed mask types) whatever path it would take next."""
    other = None if attn_mask is None else attn_mask.dtype
    _canonical_mask(key_padding_mask, "key_padding_mask", other, "attn_mask", query.dtype)
    _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)


class MultiheadAttention(Module):
    """Attention from ``num_heads`` heads over projections of query, key and value.

    Parameters are PyTorch's: ``in_proj_weight`` (3E, E) and ``in_proj_bias`` when
    the key and value sizes equal ``embed_dim``, else ``q/k/v_proj_weight``; then
    ``out_proj`` and, with ``add_bias_kv``, ``bias_k`` and ``bias_v``.
    """

    __constants__ = ["batch_first"]

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(ember.empty((embed_dim, embed_dim), **kw))
            self.k_proj_weight = Parameter(ember.empty((embed_dim, self.kdim), **kw))
            self.v_proj_weight = Parameter(ember.empty((embed_dim, self.vdim), **kw))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(ember.empty((3 * embed_dim, embed_dim), **kw))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(ember.empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(ember.empty((1, 1, embed_dim), **kw))
            self.bias_v = Parameter(ember.empty((1, 1, embed_dim), **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def __setstate__(self, state: dict) -> None:
        if "_qkv_same_embed_dim" not in state:
            state["_qkv_same_embed_dim"] = True
        super().__setstate__(state)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """Attention output (L, N, E) (or (N, L, E) with batch_first) and, if asked, weights."""
        is_batched = query.dim() == 3
        if (self.batch_first and is_batched and query is key and key is value
                and not need_weights and attn_mask is None and key_padding_mask is None
                and not is_causal and self._qkv_same_embed_dim and self.bias_k is None
                and self.bias_v is None and not self.add_zero_attn
                and query.size(-1) == self.embed_dim):
            out = self._batch_first_self_attention(query)
            if not self.training and self._fast_path_kind(query, key, value, None, None,
                                                          True) == 2:
                out = out.contiguous()  # PyTorch's fused kernel writes a fresh (N, L, E) tensor
            return out, None
        nan_rows = None
        if any(m is not None and m.dtype != ember.bool and not m.is_floating_point()
               for m in (key_padding_mask, attn_mask)):
            _refuse_mask_types(query, key_padding_mask, attn_mask)
        kind = 0 if self.training else self._fast_path_kind(
            query, key, value, key_padding_mask, attn_mask, is_batched)
        if kind:  # PyTorch merges the masks (its view errors), then runs its fused kernel
            self._merge_masks(query, key_padding_mask, attn_mask)
            if kind == 2 and query.size(-1) != self.embed_dim:
                raise RuntimeError(f"passed-in embed_dim {self.embed_dim} didn't match last dim "
                                   f"of query {query.size(-1)}")
            if kind == 2 and query.numel() == 0:  # the kernel's empty result, no weights
                return ember.empty_like(query), None
        if kind == 2:
            is_causal = False  # PyTorch's fused kernel takes no hint, only the masks
            if attn_mask is not None or key_padding_mask is not None:
                hidden = self._fast_path_mask(query, key_padding_mask, attn_mask)
                n, length = query.shape[:2]
                nan_rows = hidden.all(-1).any(1).expand(n, length)
                attn_mask = hidden.reshape(n * self.num_heads, length, length)
                key_padding_mask = None
        elif key_padding_mask is not None and attn_mask is not None:
            # PyTorch's module reads both masks first (warning on mixed types), then its
            # functional form reads them again
            key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                               attn_mask.dtype, "attn_mask", query.dtype)
            attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if self.batch_first and is_batched:
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        attn_output, attn_weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight if separate else None,
            k_proj_weight=self.k_proj_weight if separate else None,
            v_proj_weight=self.v_proj_weight if separate else None,
            average_attn_weights=average_attn_weights, is_causal=is_causal)
        if self.batch_first and is_batched:
            attn_output = attn_output.transpose(1, 0)
            if kind == 2:  # PyTorch's fused kernel writes a fresh (N, L, E) tensor
                attn_output = attn_output.contiguous()
        if nan_rows is not None:
            attn_output = attn_output.masked_fill(nan_rows.unsqueeze(-1), float("nan"))
        return attn_output, attn_weights

    def _fast_path_kind(self, query: Tensor, key: Tensor, value: Tensor,
                        key_padding_mask: Tensor | None, attn_mask: Tensor | None,
                        is_batched: bool) -> int:
        """2 where PyTorch would run its fused inference kernel (boolean masks only), 1 where
        it goes as far as merging the masks (no input projection bias), else 0."""
        if any(m is not None and m.dtype != ember.bool for m in (key_padding_mask, attn_mask)):
            return 0
        weight, bias = self.in_proj_weight, self.in_proj_bias
        if not (ember.backends.mha.fastpath_applies() and is_batched and query is key
                and key is value and weight is not None
                and (bias is None or query.dtype == bias.dtype) and query.dtype == weight.dtype
                and not self.training and self.num_heads % 2 == 0 and self.batch_first
                and self.bias_k is None and self.bias_v is None and not self.add_zero_attn
                and self._qkv_same_embed_dim and not ember.is_autocast_enabled()):
            return 0
        args = (query, weight, bias, self.out_proj.weight, self.out_proj.bias)
        if any(a is not None and a.device.type not in ("cpu", "cuda") for a in args) or (
                ember.is_grad_enabled() and any(a is not None and a.requires_grad for a in args)):
            return 0
        return 1 if bias is None else 2

    def _merge_masks(self, query: Tensor, key_padding_mask: Tensor | None,
                     attn_mask: Tensor | None) -> None:
        """The errors of PyTorch's ``merge_masks``: the attention mask viewed per batch and
        head, added to the padding mask viewed as (N, 1, 1, L) (expanded to the heads)."""
        if attn_mask is None:
            return
        n, length, _ = query.shape
        heads = self.num_heads
        merged = (attn_mask.view(n, -1, length, length) if attn_mask.dim() == 3
                  else attn_mask.view(1, 1, length, length).expand(n, heads, -1, -1))
        if key_padding_mask is not None:
            kpm = key_padding_mask.view(n, 1, 1, length).expand(-1, heads, -1, -1)
            for i in reversed(range(4)):  # the sum's broadcast, in PyTorch's words
                a, b = merged.shape[i], kpm.shape[i]
                if a != b and 1 not in (a, b):
                    raise RuntimeError(f"The size of tensor a ({a}) must match the size of "
                                       f"tensor b ({b}) at non-singleton dimension {i}")

    def _fast_path_mask(self, query: Tensor, key_padding_mask: Tensor | None,
                        attn_mask: Tensor | None) -> Tensor:
        """The (N, H, L, L) boolean mask that PyTorch's fused kernel merges from the masks
        (it takes a plain softmax: query rows hidden entirely in some head are NaN, while the
        general path's attention gives such rows zeros), or its errors for their shapes."""
        n, length, _ = query.shape
        kpm = key_padding_mask
        if attn_mask is None:  # PyTorch's mask type 1: the padding mask alone
            if kpm.dim() == 2 and tuple(kpm.shape) != (n, length):
                raise RuntimeError("For mask_type == 1 mask shape should be (B, L)")
            if kpm.dim() != 2:
                raise RuntimeError("For mask_type == 2 mask shape should match input shape")
            hidden = kpm.view(n, 1, 1, length)
        else:  # type 2: both, per head
            hidden = (attn_mask.view(n, -1, length, length) if attn_mask.dim() == 3
                      else attn_mask.view(1, 1, length, length).expand(n, self.num_heads, -1, -1))
            if kpm is not None:
                hidden = hidden | kpm.view(n, 1, 1, length).expand(-1, self.num_heads, -1, -1)
            if tuple(hidden.shape) != (n, self.num_heads, length, length):
                raise RuntimeError("For mask_type == 2 mask shape should match input shape")
        return hidden.expand(n, self.num_heads, length, length)

    def _batch_first_self_attention(self, x: Tensor) -> Tensor:
        """Self-attention of a (N, L, E) batch without masks: the heads are views of the
        input projection in batch-first order (no transposed copies); the output is laid out
        as in the general path, a (L, N, E) result seen as (N, L, E)."""
        n, length, e = x.shape
        heads = self.num_heads
        proj = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        q, k, v = proj.unflatten(-1, (3, heads, e // heads)).permute(2, 0, 3, 1, 4).unbind(0)
        out = F.scaled_dot_product_attention(q, k, v, None,
                                             self.dropout if self.training else 0.0)
        out = out.permute(2, 0, 1, 3).reshape(length * n, e)
        out = F.linear(out, self.out_proj.weight, self.out_proj.bias).reshape(length, n, e)
        return out.transpose(1, 0)
