"""``ShapeProp``: run a ``GraphModule`` on sample inputs and record every node's tensor
metadata (``node.meta["tensor_meta"]``: shape, dtype, strides, memory format, ...) and
result type (``node.meta["type"]``)."""

from __future__ import annotations

import traceback
from typing import Any, NamedTuple

import ember

from ..interpreter import Interpreter
from ..node import Node, map_aggregate

__all__ = ["ShapeProp", "TensorMetadata"]


class TensorMetadata(NamedTuple):
    shape: Any
    dtype: Any
    requires_grad: bool
    stride: tuple[int, ...]
    memory_format: Any
    is_quantized: bool
    qparams: dict[str, Any]


def _extract_tensor_metadata(result: ember.Tensor, include_contiguity: bool = True
                             ) -> TensorMetadata:
    memory_format = None
    if include_contiguity:
        for query in (ember.contiguous_format, ember.channels_last, ember.channels_last_3d):
            try:
                if result.is_contiguous(memory_format=query):
                    memory_format = query
                    break
            except RuntimeError:  # channels_last asked of a tensor of another rank
                continue
    return TensorMetadata(result.shape, result.dtype, result.requires_grad, result.stride(),
                          memory_format, bool(getattr(result, "is_quantized", False)), {})


class ShapeProp(Interpreter):
    """``ShapeProp(gm).propagate(*sample_inputs)`` fills ``meta`` of every node."""

    def __init__(self, gm: Any, fake_mode: Any = None) -> None:
        super().__init__(gm)
        self.fake_mode = fake_mode
        self.real_module = self.module

    def run_node(self, n: Node) -> Any:
        try:
            result = super().run_node(n)
        except Exception as e:
            traceback.print_exc()
            raise RuntimeError(
                f"ShapeProp error for: node={n.format_node()} with meta={n.meta}") from e
        found = False

        def extract(obj: Any) -> Any:
            nonlocal found
            if isinstance(obj, ember.Tensor):
                found = True
                return _extract_tensor_metadata(obj)
            return obj

        meta = map_aggregate(result, extract)
        if found:
            n.meta["tensor_meta"] = meta
        n.meta["type"] = type(result)
        return result

    def propagate(self, *args: Any) -> Any:
        """Run the module on ``args``, recording each node's shape and type."""
        return super().run(*args)
