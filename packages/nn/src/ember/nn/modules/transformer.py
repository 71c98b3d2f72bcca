"""The Transformer of "Attention Is All You Need": encoder and decoder layers and stacks."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import ember
from ember import Tensor

from .. import functional as F
from .. import init
from ..functional._attention import _canonical_mask
from .activation import GELU, MultiheadAttention, ReLU
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerDecoder", "Transformer"]


def _generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
    """A (sz, sz) float mask: 0 on and below the diagonal, -inf above (built as PyTorch's,
    with its errors for a negative size or a dtype that cannot hold ``-inf``)."""
    return ember.triu(ember.full((sz, sz), float("-inf"), dtype=dtype, device=device),
                      diagonal=1)


def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None = None,
                           size: int | None = None) -> bool:
    """Whether ``mask`` is the causal mask (when ``is_causal`` is not given): PyTorch builds
    one of the mask's dtype to compare (for a boolean mask, True above the diagonal; an
    integer dtype cannot hold its ``-inf``)."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.size(-2)
        if not mask.is_floating_point() and mask.dtype != ember.bool:
            _causal_mask_overflow(mask)
        if tuple(mask.shape) == (sz, sz):
            host = np.asarray(mask._host())
            want = np.triu(np.full((sz, sz), -np.inf), 1)
            make_causal = bool(np.array_equal(host, want != 0 if host.dtype == bool else want))
    return make_causal


def _causal_mask_overflow(mask: Tensor) -> None:
    """PyTorch's error for the ``-inf`` causal mask built in ``mask``'s (non-float) dtype."""
    from ember.ops.attention import _INT_C_TYPES

    if mask.is_complex():
        return
    raise RuntimeError(f"value cannot be converted to type "
                       f"{_INT_C_TYPES.get(mask.dtype.name, mask.dtype.name)} without overflow")


def _none_or_dtype(t: Tensor | None) -> Any:
    return None if t is None else t.dtype


def _get_clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_activation_fn(activation: str) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _relu_or_gelu(activation: Any) -> int:
    if activation is getattr(F, "relu", None) or isinstance(activation, ReLU):
        return 1
    if activation is getattr(F, "gelu", None) or isinstance(activation, GELU):
        return 2
    return 0


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with residual, dropout and LayerNorm."""

    __constants__ = ["norm_first"]

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        self.activation_relu_or_gelu = _relu_or_gelu(activation)
        self.activation = activation

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if not hasattr(self, "activation"):
            self.activation = F.relu

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        # both masks as float masks of the input's dtype, warning on mixed types (as PyTorch)
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(src_mask), "src_mask", src.dtype)
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype, check_other=False)
        nan_rows = act = None
        tanh_gelu = isinstance(self.activation, GELU) and self.activation.approximate != "none"
        fast = (self._fast_path_mask(src, src_mask, src_key_padding_mask)
                if is_causal or tanh_gelu or src_mask is not None
                or src_key_padding_mask is not None else None)
        if fast is not None:  # PyTorch's fused layer: its own reading of the masks, no hint,
            nan_rows, src_mask, src_key_padding_mask, is_causal = fast[0], fast[1], None, False
            act = F.gelu if tanh_gelu else None  # and the exact GELU
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x), act)
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x, act))
        if nan_rows is not None:
            x = x.masked_fill(nan_rows.unsqueeze(-1), float("nan"))
        return x

    def _fast_path_mask(self, src: Tensor, src_mask: Tensor | None, src_key_padding_mask:
                        Tensor | None) -> tuple[Tensor | None, Tensor | None] | None:
        """Where PyTorch's fused inference layer runs: the (N, L) rows it returns as NaN and
        the (N * H, L, L) float mask it applies (both None without masks; it ignores
        ``is_causal``). It adds the two (float) masks and hides every key where the sum is
        not zero (its masked softmax takes the mask as boolean), so a row hidden entirely in
        some head is NaN there (the general path's attention gives such rows zeros). None
        when PyTorch would not take that path."""
        attn = self.self_attn
        if not (
                ember.backends.mha.fastpath_applies() and src.dim() == 3
                and not self.training and attn.batch_first and attn.in_proj_bias is not None
                and attn._qkv_same_embed_dim and self.activation_relu_or_gelu
                and self.norm1.eps == self.norm2.eps and attn.num_heads % 2 == 0
                and not ember.is_autocast_enabled()):
            return None
        if any(getattr(m, "_forward_hooks", None) or getattr(m, "_forward_pre_hooks", None)
               for m in self.modules()):
            return None
        args = [src, attn.in_proj_weight, attn.in_proj_bias, attn.out_proj.weight,
                attn.out_proj.bias]
        for m in (self.norm1, self.norm2, self.linear1, self.linear2):
            args += [m.weight, m.bias]
        args = [a for a in args if a is not None]
        if any(a.device.type not in ("cpu", "cuda") for a in args) or (
                ember.is_grad_enabled() and any(a.requires_grad for a in args)):
            return None
        # PyTorch merges the masks (view errors), then its kernel checks the embedding size
        # (after the first LayerNorm when norm_first) and returns an empty batch as it is
        attn._merge_masks(src, src_key_padding_mask, src_mask)
        if src.size(-1) != attn.embed_dim and not self.norm_first:
            raise RuntimeError(f"passed-in embed_dim {attn.embed_dim} didn't match last dim of "
                               f"query {src.size(-1)}")
        if (src_mask is None and src_key_padding_mask is None) or src.numel() == 0:
            return None, None
        n, length, _ = src.shape
        heads = attn.num_heads
        kpm = src_key_padding_mask
        if src_mask is None:  # PyTorch's mask type 1: the padding mask alone
            if kpm.dim() == 2 and tuple(kpm.shape) != (n, length):
                raise RuntimeError("For mask_type == 1 mask shape should be (B, L)")
            merged = kpm.view(n, 1, 1, length) if kpm.dim() == 2 else kpm
        else:  # type 2: the masks' sum, per head
            merged = (src_mask.view(n, -1, length, length) if src_mask.dim() == 3
                      else src_mask.view(1, 1, length, length).expand(n, heads, -1, -1))
            if kpm is not None:
                merged = merged + kpm.view(n, 1, 1, length).expand(-1, heads, -1, -1)
        if merged.dim() != 4 or (src_mask is not None
                                 and tuple(merged.shape) != (n, heads, length, length)):
            raise RuntimeError("For mask_type == 2 mask shape should match input shape")
        hidden = (merged != 0).expand(n, attn.num_heads, length, length)
        nan_rows = hidden.all(-1).any(1)
        mask = _canonical_mask(hidden.reshape(n * attn.num_heads, length, length), "src_mask",
                               None, "", src.dtype, check_other=False)
        return nan_rows, mask

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None,
                  is_causal: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor, act: Callable | None = None) -> Tensor:
        x = self.linear2(self.dropout((act or self.activation)(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's memory, and a feed-forward block."""

    __constants__ = ["norm_first"]

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable = F.relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                            batch_first=batch_first, bias=bias, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                 batch_first=batch_first, bias=bias, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        self.activation = activation  # no fused path: no activation_relu_or_gelu (PyTorch's)

    def __setstate__(self, state: dict) -> None:
        if "activation" not in state:
            state["activation"] = F.relu
        super().__setstate__(state)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None,
                  is_causal: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask: Tensor | None,
                   key_padding_mask: Tensor | None, is_causal: bool = False) -> Tensor:
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


def _why_not_nested(layer: Any) -> str:
    """Why PyTorch's encoder would not use nested tensors with ``layer`` ('' if it would)."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    if layer.norm_first:
        return f"{name}.norm_first was True"
    if not layer.self_attn.batch_first:
        return (f"{name}.self_attn.batch_first was not True"
                "(use batch_first for better inference performance)")
    if not layer.self_attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if not layer.norm1.eps == layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""


_NESTED_WARNED = [False]


def _warn_nested_prototype() -> None:
    """PyTorch's warning, once a process, when its encoder builds a nested tensor."""
    if _NESTED_WARNED[0]:
        return
    _NESTED_WARNED[0] = True
    warnings.warn(
        "The PyTorch API of nested tensors is in prototype stage and will change in the near "
        "future. We recommend specifying layout=torch.jagged when constructing a nested tensor, "
        "as this layout receives active development, has better operator coverage, and works "
        "with torch.compile. (Triggered internally at "
        "/__w/pytorch/pytorch/aten/src/ATen/NestedTensorImpl.cpp:177.)", UserWarning,
        stacklevel=2)


class TransformerEncoder(Module):
    """``num_layers`` deep copies of an encoder layer, then an optional norm."""

    __constants__ = ["norm"]

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        # PyTorch's sparsity fast path (nested tensors) and why it may be off; Ember computes
        # the padded way and gives what that path gives: zeros at the padded positions
        why = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False "
                          f"because {why}", stacklevel=2)
        self.use_nested_tensor = enable_nested_tensor and not why
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        src_key_padding_mask = _canonical_mask(src_key_padding_mask, "src_key_padding_mask",
                                               _none_or_dtype(mask), "mask", src.dtype)
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, check_other=False)
        batch_first = self.layers[0].self_attn.batch_first  # IndexError without layers
        seq_len = src.size(1 if batch_first and src.dim() == 3 else 0)
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        padded = self._nested_padding(src, mask, src_key_padding_mask)
        if padded is not None:  # the nested path drops the padded keys whatever the values
            _warn_nested_prototype()
            if bool(padded.all()):
                raise RuntimeError("to_padded_tensor: at least one constituent tensor should "
                                   "have non-zero numel")
            src_key_padding_mask = _canonical_mask(padded, "src_key_padding_mask", None, "",
                                                   src.dtype, check_other=False)
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal,
                         src_key_padding_mask=src_key_padding_mask)
        if padded is not None:
            output = output.masked_fill(padded.unsqueeze(-1), 0.0)
        if self.norm is not None:
            output = self.norm(output)
        return output

    def _nested_padding(self, src: Tensor, mask: Tensor | None,
                        src_key_padding_mask: Tensor | None) -> Tensor | None:
        """Where PyTorch's nested-tensor path would run (evaluation, no graph, a 3-D batch-first
        input, a padding mask with padding only at the ends unless ``mask_check`` is off, no
        attention mask), the padded positions it leaves as zeros; else None."""
        if (not ember.backends.mha.fastpath_applies() or not self.use_nested_tensor
                or not len(self.layers) or self.layers[0].training or src.dim() != 3
                or src_key_padding_mask is None):
            return None
        kpm = src_key_padding_mask
        padded = kpm if kpm.dtype == ember.bool else kpm != 0
        valid = None
        if self.mask_check:  # PyTorch checks the mask here, with or without a graph
            _check_nested_mask(padded, src)
            valid = (~padded).long()
            if bool((valid[:, 1:] > valid[:, :-1]).any()):
                return None  # not left-aligned: PyTorch takes the padded path too
        if mask is not None or ember.is_autocast_enabled():
            return None
        first = self.layers[0]
        if ember.is_grad_enabled() and (src.requires_grad or any(
                p.requires_grad for p in first.parameters())):
            return None
        if valid is None:  # no mask_check: the nested path still refuses a bad mask
            _check_nested_mask(padded, src)
            valid = (~padded).long()
        # the nested tensor holds each row's first (count of valid) positions
        counts = valid.sum(1, keepdim=True)
        return ember.arange(src.shape[1], device=src.device).unsqueeze(0) >= counts


def _check_nested_mask(padded: Tensor, src: Tensor) -> None:
    """PyTorch's errors for a padding mask that cannot make a nested tensor of ``src``."""
    if padded.dim() != 2:
        raise RuntimeError("Padding mask should be 2D")
    if tuple(padded.shape) != tuple(src.shape[:2]):
        raise RuntimeError("Mask size should match input size")


class TransformerDecoder(Module):
    """``num_layers`` deep copies of a decoder layer, then an optional norm."""

    __constants__ = ["norm"]

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        batch_first = self.layers[0].self_attn.batch_first  # IndexError without layers
        seq_len = tgt.size(1 if batch_first and tgt.dim() == 3 else 0)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask,
                         memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """An encoder-decoder Transformer with PyTorch's defaults (d_model=512, 8 heads, 6+6)."""

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable = F.relu, custom_encoder: Any = None,
                 custom_decoder: Any = None, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                            layer_norm_eps, batch_first, norm_first, bias, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
                                            layer_norm_eps, batch_first, norm_first, bias, **kw)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        is_batched = src.dim() == 3
        if is_batched:
            bdim = 0 if self.batch_first else 1
            if src.size(bdim) != tgt.size(bdim):
                raise RuntimeError("the batch number of src and tgt must be equal")
        if src.size(-1) != self.d_model or tgt.size(-1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None,
                                        dtype: Any = None) -> Tensor:
        """A causal mask: -inf above the diagonal, 0 elsewhere."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)
