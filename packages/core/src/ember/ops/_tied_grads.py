"""Gradients that PyTorch's fused double-backward nodes tie to the graph.

Under ``create_graph``, PyTorch computes a fused op's input gradients with one
multi-output backward op (``convolution_backward``, ``native_batch_norm_backward``,
``native_layer_norm_backward``), so every one of those gradients requires grad as soon as
any input of that backward op does, even one that does not depend on it (the bias
gradient, a sum of the incoming gradient; the input gradient of a convolution when only the
input requires grad). Ember computes each gradient on its own; ``tied`` gives them
PyTorch's ``requires_grad`` through a node whose derivative is zero (None).
"""

from __future__ import annotations

from ._dispatch import grad_state, record

__all__ = ["tied"]


def _no_grads(n: int) -> tuple:
    return (None,) * n


def tied(grads: tuple, name: str, inputs: tuple) -> tuple:
    """``grads`` (freshly computed under create_graph, after some of ``inputs``, the inputs
    of PyTorch's backward node ``name``, required grad), each one that does not require grad
    marked as an output of that node."""
    if not grad_state.enabled:
        return grads
    n = len(inputs)
    return tuple(g if g is None or g._rg else record(name, g, inputs, lambda gg: _no_grads(n))
                 for g in grads)
