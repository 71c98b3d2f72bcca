"""More of ``torch.cuda``: random-number state, memory queries, NVML readings, streams.

Without a GPU each behaves as PyTorch's does on a machine without one: the queries that
PyTorch answers from its allocator's empty books give empty answers (0, ``{}``, ``[]``),
setting a random state is silently deferred (a no-op here), and anything that needs a
device raises Ember's "no CUDA device" RuntimeError. The NVML readings need
``nvidia-ml-py`` (``pynvml``) first, as in PyTorch.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["initial_seed", "get_rng_state", "set_rng_state", "get_rng_state_all",
           "set_rng_state_all", "mem_get_info", "memory_summary", "memory_snapshot",
           "memory_stats_as_nested_dict", "max_memory_reserved", "max_memory_cached",
           "memory_cached", "reset_max_memory_allocated", "reset_max_memory_cached",
           "reset_accumulated_memory_stats", "host_memory_stats", "get_allocator_backend",
           "get_arch_list", "get_gencode_flags", "is_tf32_supported", "init", "ipc_collect",
           "can_device_access_peer", "get_per_process_memory_fraction",
           "set_per_process_memory_fraction", "caching_allocator_alloc",
           "caching_allocator_delete", "check_error", "list_gpu_processes", "utilization",
           "memory_usage", "temperature", "power_draw", "clock_rate", "device_memory_used",
           "stream", "set_stream", "default_stream", "get_sync_debug_mode",
           "set_sync_debug_mode"]


def _cuda() -> Any:
    """The ``ember.cuda`` package (loaded by the time any of these run)."""
    return sys.modules[__package__]


def _index(device: Any) -> int:
    """A device argument (None, int, "cuda:1", ember.device) as a GPU index."""
    if device is None:
        return _cuda().current_device()
    if isinstance(device, int):
        return device
    from .._device import device as _dev

    d = _dev(device) if isinstance(device, str) else device
    return d.index if d.index is not None else _cuda().current_device()


def _generator(device: Any) -> Any:
    from ..random import default_generator_for

    _cuda()._backend()
    return default_generator_for(f"cuda:{_index(None if device == 'cuda' else device)}")


# ------------------------------------------------------------------ random-number state
def initial_seed() -> int:
    """The seed of the current GPU's default generator."""
    return _generator(None).initial_seed()


def get_rng_state(device: int | str | Any = "cuda") -> Any:
    """The GPU generator's state as a uint8 tensor (on the CPU)."""
    return _generator(device).get_state()


def set_rng_state(new_state: Any, device: int | str | Any = "cuda") -> None:
    """Restore a GPU generator's state; without a GPU, a no-op (PyTorch defers it until a
    GPU is initialised, which never happens)."""
    if not _cuda().is_available():
        return
    _generator(device).set_state(new_state)


def get_rng_state_all() -> list:
    """The states of every GPU's generator ([] without GPUs)."""
    return [get_rng_state(i) for i in range(_cuda().device_count())]


def set_rng_state_all(new_states: Iterable[Any]) -> None:
    for i, state in enumerate(new_states):
        set_rng_state(state, i)


# ------------------------------------------------------------------ memory
def mem_get_info(device: Any = None) -> tuple[int, int]:
    """``(free, total)`` bytes of GPU memory, from the CUDA runtime."""
    _cuda()._backend()
    import cupy

    with cupy.cuda.Device(_index(device)):
        free, total = cupy.cuda.runtime.memGetInfo()
    return int(free), int(total)


def memory_stats_as_nested_dict(device: Any = None) -> dict:
    """The allocator statistics nested by their dotted names ({} without a GPU)."""
    if not _cuda().is_available():
        return {}
    nested: dict = {}
    for key, value in _cuda().memory_stats(device).items():
        node = nested
        *path, last = key.split(".")
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return nested


def memory_summary(device: Any = None, abbreviated: bool = False) -> str:
    """A readable table of the GPU allocator's current memory use."""
    stats = _cuda().memory_stats(device)
    lines = [f"|{' Ember CUDA memory summary, device ID ' + str(_index(device)) + ' ':=^60}|"]
    for key in sorted(stats):
        lines.append(f"| {key:<40} {stats[key]:>16} |")
    return "\n".join(lines) + "\n"


def memory_snapshot(mempool_id: Any = None, include_traces: bool = True) -> list:
    """The allocator's segments (Ember's CuPy pool keeps no per-segment record: [])."""
    return []


def max_memory_reserved(device: Any = None) -> int:
    """The most GPU memory the allocator has held (0 without a GPU)."""
    if not _cuda().is_available():
        return 0
    return _cuda().memory_reserved(device)


def max_memory_cached(device: Any = None) -> int:
    warnings.warn("`torch.cuda.max_memory_cached` has been renamed to "
                  "`torch.cuda.max_memory_reserved`", FutureWarning, stacklevel=2)
    return max_memory_reserved(device)


def memory_cached(device: Any = None) -> int:
    warnings.warn("`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`",
                  FutureWarning, stacklevel=2)
    if not _cuda().is_available():
        return 0
    return _cuda().memory_reserved(device)


def reset_max_memory_allocated(device: Any = None) -> None:
    warnings.warn("torch.cuda.reset_max_memory_allocated now calls "
                  "torch.cuda.reset_peak_memory_stats, which resets /all/ peak memory stats.",
                  FutureWarning, stacklevel=2)
    _cuda().reset_peak_memory_stats(device)


def reset_max_memory_cached(device: Any = None) -> None:
    warnings.warn("torch.cuda.reset_max_memory_cached now calls "
                  "torch.cuda.reset_peak_memory_stats, which resets /all/ peak memory stats.",
                  FutureWarning, stacklevel=2)
    _cuda().reset_peak_memory_stats(device)


def reset_accumulated_memory_stats(device: Any = None) -> None:
    _cuda()._backend()


def host_memory_stats() -> dict:
    """Statistics of pinned host memory (Ember keeps none: {})."""
    return {}


def get_allocator_backend() -> str:
    return "native"


def get_arch_list() -> list[str]:
    """The GPU architectures Ember's kernels run on: the present GPUs' ([] without)."""
    if not _cuda().is_available():
        return []
    caps = {_cuda().get_device_capability(i) for i in range(_cuda().device_count())}
    return [f"sm_{a}{b}" for a, b in sorted(caps)]


def get_gencode_flags() -> str:
    return " ".join(f"-gencode compute=compute_{a[3:]},code={a}" for a in get_arch_list())


def is_tf32_supported() -> bool:
    """Whether the GPU has TF32 tensor cores (Ampere, compute capability 8.0, on)."""
    return _cuda().is_available() and _cuda().get_device_capability() >= (8, 0)


def init() -> None:
    """Initialise CUDA (raises without a GPU, as PyTorch does)."""
    _cuda()._backend()


def ipc_collect() -> None:
    _cuda()._backend()


def can_device_access_peer(device: Any, peer_device: Any) -> bool:
    _cuda()._backend()
    import cupy

    a, b = _index(device), _index(peer_device)
    return a != b and bool(cupy.cuda.runtime.deviceCanAccessPeer(a, b))


_fractions: dict[int, float] = {}


def get_per_process_memory_fraction(device: Any = None) -> float:
    _cuda()._backend()
    return _fractions.get(_index(device), 1.0)


def set_per_process_memory_fraction(fraction: float, device: Any = None) -> None:
    """Cap the CuPy memory pool at ``fraction`` of the GPU's memory."""
    _cuda()._backend()
    if not 0 <= fraction <= 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    import cupy

    idx = _index(device)
    with cupy.cuda.Device(idx):
        cupy.get_default_memory_pool().set_limit(fraction=fraction)
    _fractions[idx] = float(fraction)


def caching_allocator_alloc(size: int, device: Any = None, stream: Any = None) -> int:
    """Allocate ``size`` bytes from the memory pool; returns the pointer."""
    _cuda()._backend()
    import cupy

    with cupy.cuda.Device(_index(device)):
        mem = cupy.get_default_memory_pool().malloc(int(size))
    _live[int(mem.ptr)] = mem
    return int(mem.ptr)


_live: dict[int, Any] = {}


def caching_allocator_delete(mem_ptr: int) -> None:
    """Give back memory from ``caching_allocator_alloc``."""
    _live.pop(int(mem_ptr), None)


def check_error(res: int) -> None:
    """Raise for a non-zero CUDA runtime status code."""
    if res != 0:
        raise RuntimeError(f"CUDA error: status {res}")


# ------------------------------------------------------------------ NVML readings
def _nvml(device: Any) -> Any:
    try:
        import pynvml
    except ImportError as e:
        raise ModuleNotFoundError(
            "nvidia-ml-py does not seem to be installed or it can't be imported.") from e
    _cuda()._backend()
    pynvml.nvmlInit()
    return pynvml, pynvml.nvmlDeviceGetHandleByIndex(_index(device))


def list_gpu_processes(device: Any = None) -> str:
    try:
        import pynvml  # noqa: F401
    except ImportError:
        return "pynvml module not found, please install nvidia-ml-py"
    nv, h = _nvml(device)
    procs = nv.nvmlDeviceGetComputeRunningProcesses(h)
    lines = [f"GPU:{_index(device)}"]
    if not procs:
        lines.append("no processes are running")
    for p in procs:
        lines.append(f"process {p.pid:>10d} uses {p.usedGpuMemory / 1024 / 1024:>12.3f} MB GPU "
                     "memory")
    return "\n".join(lines)


def utilization(device: Any = None) -> int:
    """Percent of the last sample period in which a kernel ran on the GPU (NVML)."""
    nv, h = _nvml(device)
    return int(nv.nvmlDeviceGetUtilizationRates(h).gpu)


def memory_usage(device: Any = None) -> int:
    """Percent of the last sample period in which GPU memory was read or written (NVML)."""
    nv, h = _nvml(device)
    return int(nv.nvmlDeviceGetUtilizationRates(h).memory)


def temperature(device: Any = None) -> int:
    """The GPU's temperature in degrees Celsius (NVML)."""
    nv, h = _nvml(device)
    return int(nv.nvmlDeviceGetTemperature(h, 0))


def power_draw(device: Any = None) -> int:
    """The GPU's power draw in milliwatts (NVML)."""
    nv, h = _nvml(device)
    return int(nv.nvmlDeviceGetPowerUsage(h))


def clock_rate(device: Any = None) -> int:
    """The GPU's SM clock in MHz (NVML)."""
    nv, h = _nvml(device)
    return int(nv.nvmlDeviceGetClockInfo(h, 1))


def device_memory_used(device: Any = None) -> int:
    """Bytes of GPU memory in use by all processes (NVML)."""
    nv, h = _nvml(device)
    return int(nv.nvmlDeviceGetMemoryInfo(h).used)


# ------------------------------------------------------------------ streams
@contextlib.contextmanager
def stream(stream: Any) -> Iterator[None]:
    """Make ``stream`` current inside the block (``None``: nothing changes)."""
    if stream is None:
        yield
        return
    inner = getattr(stream, "_stream", None)
    if inner is None:
        yield
        return
    with inner:
        yield


def set_stream(stream: Any) -> None:
    """Make ``stream`` current (``None``: nothing changes)."""
    if stream is None:
        return
    inner = getattr(stream, "_stream", None)
    if inner is not None:
        inner.use()


def default_stream(device: Any = None) -> Any:
    _cuda()._backend()
    return _cuda().Stream(device)


_sync_debug = [0]


def get_sync_debug_mode() -> int:
    _cuda()._backend()
    return _sync_debug[0]


def set_sync_debug_mode(debug_mode: int | str) -> None:
    """0/"default", 1/"warn" or 2/"error" (kept; Ember does not watch synchronisations)."""
    _cuda()._backend()
    if isinstance(debug_mode, str):
        modes = {"default": 0, "warn": 1, "error": 2}
        if debug_mode not in modes:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = modes[debug_mode]
    _sync_debug[0] = int(debug_mode)
