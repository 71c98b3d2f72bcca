"""``ember.nn.attention.bias``: causal attention biases that ``scaled_dot_product_attention``
understands without a materialized mask (PyTorch's torch.nn.attention.bias).

``causal_upper_left(L, S)`` is the usual causal mask (``tril`` of an L x S ones matrix);
``causal_lower_right(L, S)`` aligns the triangle with the bottom-right corner, what a query
block at the end of a longer key sequence (a KV cache) needs. Passed as ``attn_mask``, a
``CausalBias`` turns into ``is_causal=True`` where that is the same thing, and into its
boolean mask otherwise.
"""

from __future__ import annotations

import warnings
from enum import IntEnum
from typing import Any

import ember
from ember import Tensor

__all__ = ["causal_upper_left", "causal_lower_right", "CausalVariant", "CausalBias"]


class CausalVariant(IntEnum):
    """Where the causal triangle is anchored: the top-left or the bottom-right corner."""

    UPPER_LEFT = 1
    LOWER_RIGHT = 2


class CausalBias(Tensor):
    """A causal bias of ``seq_len_q`` queries over ``seq_len_kv`` keys (see the module doc).

    As in PyTorch, the object is a (placeholder) tensor so that it can stand where a mask is
    expected; only ``scaled_dot_product_attention`` reads it, through ``_dispatch``.
    """

    def __init__(self, variant: CausalVariant, seq_len_q: int, seq_len_kv: int) -> None:
        if not isinstance(variant, CausalVariant):
            raise AssertionError(f"variant must be a CausalVariant, got {type(variant).__name__}")
        super().__init__()
        self.variant = variant
        self.seq_len_q = seq_len_q
        self.seq_len_kv = seq_len_kv
        if seq_len_q > seq_len_kv and variant == CausalVariant.LOWER_RIGHT:
            warnings.warn("Lower right causal bias will produce NaNs in the output when "
                          "seq_len_q > seq_len_kv!", stacklevel=2)

    def _upper_left(self, device: Any) -> Tensor:
        return ember.tril(ember.ones(self.seq_len_q, self.seq_len_kv, device=device,
                                     dtype=ember.bool))

    def _lower_right(self, device: Any) -> Tensor:
        return ember.tril(ember.ones(self.seq_len_q, self.seq_len_kv, device=device,
                                     dtype=ember.bool),
                          diagonal=self.seq_len_kv - self.seq_len_q)

    def _materialize(self, device: Any = None) -> Tensor:
        """The bias as a boolean (seq_len_q, seq_len_kv) mask (True: attend)."""
        device = ember.device("cpu") if device is None else device
        if self.variant == CausalVariant.UPPER_LEFT:
            return self._upper_left(device)
        return self._lower_right(device)

    @staticmethod
    def _dispatch(query: Tensor, key: Tensor, value: Tensor, attn_mask: CausalBias,
                  dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                  enable_gqa: bool = False) -> Tensor:
        """Attention under this bias: the causal kernel when the two corners coincide."""
        from ember.ops.attention import scaled_dot_product_attention as sdpa

        if is_causal:
            raise ValueError("CausalBias should not be used with causal=True")
        if (attn_mask.seq_len_q == attn_mask.seq_len_kv
                or attn_mask.variant == CausalVariant.UPPER_LEFT):
            return sdpa(query, key, value, None, dropout_p, True, scale, enable_gqa)
        if attn_mask.variant == CausalVariant.LOWER_RIGHT:
            return sdpa(query, key, value, attn_mask._materialize(query.device), dropout_p,
                        False, scale, enable_gqa)
        raise ValueError(f"CausalBias.variant must be a CausalVariant type, but found: "
                         f"{attn_mask.variant}")

    def __repr__(self) -> str:
        return repr(self._materialize())


def _sizes(size: tuple, name: str) -> tuple[int, int]:
    if len(size) != 2:
        raise AssertionError(f"{name} only supports 2D tensors")
    return int(size[0]), int(size[1])


def causal_upper_left(*size: int) -> CausalBias:
    """The causal bias whose triangle starts at the top-left corner (``tril(ones(L, S))``)."""
    q, kv = _sizes(size, "causal_upper_left")
    return CausalBias(CausalVariant.UPPER_LEFT, q, kv)


def causal_lower_right(*size: int) -> CausalBias:
    """The causal bias whose triangle ends at the bottom-right corner
    (``tril(ones(L, S), diagonal=S - L)``)."""
    q, kv = _sizes(size, "causal_lower_right")
    return CausalBias(CausalVariant.LOWER_RIGHT, q, kv)
