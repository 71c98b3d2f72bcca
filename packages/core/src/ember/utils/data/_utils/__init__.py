"""PyTorch's private ``torch.utils.data._utils`` paths, which programs import from
(``_utils.collate.collate`` and its type map, ``_utils.worker.get_worker_info``,
``_utils.pin_memory.pin_memory``)."""

import sys

from . import collate, pin_memory, worker

IS_WINDOWS = sys.platform == "win32"
MP_STATUS_CHECK_INTERVAL = 5.0  # PyTorch's value (seconds); ember's loader polls more often

__all__ = ["IS_WINDOWS", "MP_STATUS_CHECK_INTERVAL", "collate", "pin_memory", "worker"]
