"""PyTorch's private ``torch.utils.data._utils`` paths, which programs import from
(``_utils.collate.collate`` and its type map, ``_utils.worker.get_worker_info``)."""

from . import collate, worker

MP_STATUS_CHECK_INTERVAL = 5.0  # PyTorch's value (seconds); ember's loader polls more often

__all__ = ["MP_STATUS_CHECK_INTERVAL", "collate", "worker"]
