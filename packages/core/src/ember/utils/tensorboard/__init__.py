"""``ember.utils.tensorboard``: PyTorch's ``torch.utils.tensorboard`` for Ember.

``SummaryWriter`` writes TensorBoard event files through the ``tensorboard`` package's own
protobufs and event-file writer, so TensorBoard shows Ember's logs as it shows PyTorch's. As
in PyTorch, importing this module needs ``tensorboard`` (not a dependency of ember-core:
``pip install ember-core[tensorboard]``), and ``import ember`` never imports it.
"""

try:
    import tensorboard as _tensorboard
except ImportError as exc:  # pragma: no cover - exercised without tensorboard installed
    raise ImportError(
        "ember.utils.tensorboard requires the 'tensorboard' package, which is not installed: "
        "pip install tensorboard (or pip install ember-core[tensorboard])") from exc


def _version_tuple(version: str) -> tuple:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


if _version_tuple(getattr(_tensorboard, "__version__", "0")) < (1, 15):
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above")
del _tensorboard

from tensorboard.summary.writer.record_writer import RecordWriter  # noqa: E402

from .writer import FileWriter, SummaryWriter  # noqa: E402

__all__ = ["FileWriter", "RecordWriter", "SummaryWriter"]
