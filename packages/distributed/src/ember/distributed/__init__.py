"""Ember distributed: torch.distributed's API for Ember.

It will hold process groups (`init_process_group`), collectives and
point-to-point messages over MPI (mpi4py) on CPUs and NCCL (through CuPy) on
GPUs, `DistributedDataParallel` and a launcher. It implements no network
transport of its own, and imports mpi4py only when a process group starts.
"""

__version__ = "0.1.0"
