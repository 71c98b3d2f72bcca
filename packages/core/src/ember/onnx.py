"""``ember.onnx``: the ONNX questions model code asks, and a clear refusal to export.

Ember records no traced program to translate, so ``export`` raises ``OnnxExporterError``
(saying so) instead of writing a file; ``is_in_onnx_export()``, which model code checks to
pick an export-friendly path, is always False.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OnnxExporterError", "export", "is_in_onnx_export"]


class OnnxExporterError(RuntimeError):
    """Raised when a model cannot be exported to ONNX."""


def is_in_onnx_export() -> bool:
    """Whether an ONNX export is tracing the calling code: never in Ember."""
    return False


def export(model: Any, args: tuple = (), f: Any = None, **kwargs: Any) -> None:
    """PyTorch's ONNX export; Ember cannot export (it traces no graph) and says so."""
    raise OnnxExporterError(
        f"ember.onnx.export: Ember cannot export {type(model).__name__} to ONNX: it runs "
        "programs eagerly and records no traced graph to translate. Save the weights with "
        "ember.save(model.state_dict(), path) and export from PyTorch, which loads them.")
