"""``DistributedSampler``: each replica's share of the indices (index logic only)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, TypeVar

from .sampler import Sampler

__all__ = ["DistributedSampler", "set_process_group_info"]

# Set by ember-distributed when a process group is initialised (core never imports it):
# returns (world_size, rank) of the default group, or None when there is none.
_process_group_info: Any = None


def set_process_group_info(fn: Any) -> None:
    """Called by ember.distributed: ``fn()`` gives (world_size, rank) of the default group."""
    global _process_group_info
    _process_group_info = fn


T_co = TypeVar("T_co", covariant=True)


class DistributedSampler(Sampler[T_co]):
    """Restricts loading to a ``num_replicas``-th of the dataset for replica ``rank``."""

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            info = _process_group_info() if _process_group_info is not None else None
            if info is None:  # as PyTorch without init_process_group
                raise ValueError("Default process group has not been initialized, please make "
                                 "sure to call init_process_group.")
            num_replicas = info[0] if num_replicas is None else num_replicas
            rank = info[1] if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(dataset) % num_replicas != 0:
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            from ... import ops
            from ...random import Generator

            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = ops.randperm(len(self.dataset), generator=g).tolist()
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        assert len(indices) == self.total_size
        indices = indices[self.rank:self.total_size:self.num_replicas]
        return iter(indices)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Make each epoch's shuffle different (and the same on every replica)."""
        self.epoch = epoch
