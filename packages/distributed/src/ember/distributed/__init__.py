"""Ember distributed: torch.distributed's API for Ember.

It will hold process groups (`init_process_group`), collectives and
point-to-point messages over MPI (mpi4py) on CPUs and NCCL (through CuPy) on
GPUs, `DistributedDataParallel` and a launcher. It implements no network
transport of its own, and imports mpi4py only when a process group starts.

Until then it answers the questions single-process programs ask before they take a
distributed path (``if dist.is_available() and dist.is_initialized(): ...``): none is
available, none is initialized, so those programs run their single-process path.
"""

__version__ = "0.1.0"

__all__ = ["is_available", "is_initialized", "is_torchelastic_launched"]


def is_available() -> bool:
    """Whether process groups can be made: not yet in Ember."""
    return False


def is_initialized() -> bool:
    """Whether the default process group exists: never, while none can be made."""
    return False


def is_torchelastic_launched() -> bool:
    """Whether this process was started by a distributed launcher: Ember has none yet."""
    return False
