"""``torch.utils.data._utils.worker``'s public names: ``get_worker_info`` and ``WorkerInfo``."""

from .._worker import WorkerInfo, get_worker_info

__all__ = ["WorkerInfo", "get_worker_info"]
