"""Profiler results: ``FunctionEvent`` (one range), ``FunctionEventAvg`` (ranges averaged
under one key) and ``EventList`` with PyTorch's ``table``, ``key_averages`` and Chrome
trace export. Times are in microseconds, as in PyTorch.
"""

from __future__ import annotations

import enum
import json
import os
import re
import socket
from collections.abc import Iterable
from typing import Any

__all__ = ["DeviceType", "Interval", "FunctionEvent", "FunctionEventAvg", "EventList"]


class DeviceType(enum.Enum):
    CPU = 0
    CUDA = 1


class Interval:
    """A time range in microseconds."""

    def __init__(self, start: float, end: float) -> None:
        self.start = start
        self.end = end

    def elapsed_us(self) -> float:
        return self.end - self.start


def _format_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _format_share(us: float, total: float) -> str:
    return "NaN" if total == 0 else f"{us * 100.0 / total:.2f}%"


def _format_memory(nbytes: int) -> str:
    for size, unit in ((1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


class _Formatted:
    """The ``*_str`` views and averages shared by events and their averages."""

    count: int
    cpu_time_total: float
    self_cpu_time_total: float
    device_time_total: float
    self_device_time_total: float

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    @property
    def device_time(self) -> float:
        return self.device_time_total / max(self.count, 1)

    cuda_time = device_time

    @property
    def self_cuda_time_total(self) -> float:
        return self.self_device_time_total

    @property
    def cuda_time_total(self) -> float:
        return self.device_time_total

    @property
    def cpu_time_str(self) -> str:
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self) -> str:
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self) -> str:
        return _format_time(self.self_cpu_time_total)

    @property
    def device_time_str(self) -> str:
        return _format_time(self.device_time)

    @property
    def device_time_total_str(self) -> str:
        return _format_time(self.device_time_total)

    @property
    def self_device_time_total_str(self) -> str:
        return _format_time(self.self_device_time_total)


class FunctionEvent(_Formatted):
    """One profiled range: an op call or a ``record_function`` block."""

    def __init__(self, id: int, name: str, thread: int, start_us: float, end_us: float,
                 input_shapes: list | None = None, stack: list[str] | None = None,
                 cpu_memory_usage: int = 0, flops: int = 0,
                 is_user_annotation: bool = False) -> None:
        self.id = id
        self.name = name
        self.key = name
        self.thread = thread
        self.time_range = Interval(start_us, end_us)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.self_cpu_memory_usage = cpu_memory_usage
        self.flops = flops
        self.is_user_annotation = is_user_annotation
        self.cpu_children: list[FunctionEvent] = []
        self.cpu_parent: FunctionEvent | None = None
        self.count = 1
        self.node_id = -1
        self.device_type = DeviceType.CPU
        self.device_index = 0
        self.is_async = self.is_remote = self.is_legacy = False
        self.use_device: str | None = None
        self.overload_name = ""
        self.sequence_nr = -1
        self.scope = 0
        self.device_time_total = self.self_device_time_total = 0.0
        self.device_memory_usage = self.self_device_memory_usage = 0
        self.kernels: list = []

    @property
    def cpu_time_total(self) -> float:
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_memory_usage(self) -> int:
        return self.self_cpu_memory_usage + sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} device_type={self.device_type} "
                f"cpu_time={self.cpu_time_str} start_us={self.time_range.start:.3f} "
                f"end_us={self.time_range.end:.3f} "
                f"cpu_children={[c.id for c in self.cpu_children]} thread={self.thread} "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage}>")


class FunctionEventAvg(_Formatted):
    """The sums (and ``cpu_time``, the average) of the events that share a key."""

    def __init__(self) -> None:
        self.key: str | None = None
        self.count = 0
        self.node_id = 0
        self.is_async = self.is_remote = self.is_legacy = False
        self.use_device: str | None = None
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.device_time_total = self.self_device_time_total = 0.0
        self.input_shapes: list | None = None
        self.overload_name: str | None = None
        self.stack: list[str] | None = None
        self.scope: int | None = None
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.device_memory_usage = self.self_device_memory_usage = 0
        self.cpu_children: list | None = None
        self.cpu_parent: Any = None
        self.device_type = DeviceType.CPU
        self.is_user_annotation = False
        self.flops = 0

    def add(self, other: Any) -> FunctionEventAvg:
        if self.key is None:  # the first event gives the key and its descriptive fields
            self.key = other.key
            self.node_id = other.node_id
            self.is_async, self.is_remote = other.is_async, other.is_remote
            self.cpu_parent, self.cpu_children = other.cpu_parent, other.cpu_children
            self.input_shapes, self.overload_name = other.input_shapes, other.overload_name
            self.stack, self.scope = other.stack, other.scope
            self.device_type, self.use_device = other.device_type, other.use_device
            self.is_user_annotation = other.is_user_annotation
        self.cpu_time_total += other.cpu_time_total
        self.device_time_total += other.device_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.self_device_time_total += other.self_device_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.count += other.count
        self.flops += other.flops
        return self

    __iadd__ = add

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str}"
                f" cpu_time={self.cpu_time_str}  input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


_STEP = re.compile(r"ProfilerStep#\d+")


class EventList(list):
    """A list of events (or of averages) with PyTorch's summaries."""

    def __init__(self, *args: Any, use_device: str | None = None, profile_memory: bool = False,
                 with_flops: bool = False) -> None:
        super().__init__(*args)
        self._use_device = use_device
        self._profile_memory = profile_memory
        self._with_flops = with_flops

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shapes: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """One average per name (and input shapes / top stack frames, where asked), in the
        order each first appears; ``ProfilerStep#N`` ranges average as ``ProfilerStep*``."""
        groups: dict[tuple, FunctionEventAvg] = {}
        for e in self:
            key = ["ProfilerStep*" if _STEP.fullmatch(e.key) else e.key, e.node_id]
            if group_by_input_shapes:
                key.append(str(e.input_shapes))
            if group_by_stack_n > 0:
                key.append(tuple(e.stack[:group_by_stack_n]))
            if group_by_overload_name:
                key.append(e.overload_name)
            avg = groups.get(tuple(key))
            if avg is None:
                avg = groups[tuple(key)] = FunctionEventAvg()
            avg.add(e)
        out = EventList(groups.values(), use_device=self._use_device,
                        profile_memory=self._profile_memory, with_flops=self._with_flops)
        for avg in out:
            if avg.key and _STEP.fullmatch(avg.key):
                avg.key = "ProfilerStep*"
            if not group_by_input_shapes:
                avg.input_shapes = ""
            if group_by_stack_n == 0:
                avg.stack = []
        return out

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg()
        for e in self:
            total.add(e)
        total.key = "Total"
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_src_column_width: int = 75, max_name_column_width: int = 55,
              max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """PyTorch's profiler table (Name, Self CPU %, Self CPU, CPU total %, CPU total,
        CPU time avg, [CPU Mem, Self CPU Mem,] # of Calls[, Input Shapes, ...])."""
        from ._table import build_table

        return build_table(self, sort_by=sort_by, header=header, row_limit=row_limit,
                           max_src_column_width=max_src_column_width,
                           max_name_column_width=max_name_column_width,
                           max_shapes_column_width=max_shapes_column_width,
                           with_flops=self._with_flops, profile_memory=self._profile_memory,
                           top_level_events_only=top_level_events_only, time_unit=time_unit)

    def __str__(self) -> str:
        return self.table()

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as Chrome trace JSON (chrome://tracing, Perfetto)."""
        with open(path, "w") as f:
            json.dump(chrome_trace(self, os.path.basename(path)), f)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """Write ``frame;frame;... value`` lines (flame-graph input) for events with stacks."""
        with open(path, "w") as f:
            for e in self:
                if e.stack:
                    frames = ";".join(s.replace(";", ":") for s in reversed(e.stack))
                    f.write(f"{frames};{e.name.replace(' ', '_')} "
                            f"{int(getattr(e, metric.replace('cuda', 'device')))}\n")


def chrome_trace(events: Iterable[FunctionEvent], name: str = "") -> dict:
    """Chrome's JSON trace format: complete ("X") events in microseconds since the epoch."""
    pid = os.getpid()
    base = getattr(events, "_base_us", 0.0)
    trace: list[dict] = [
        {"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": "python"}},
        {"ph": "M", "name": "process_labels", "pid": pid, "tid": 0, "args": {"labels": "CPU"}},
    ]
    threads = sorted({e.thread for e in events})
    for tid in threads:
        trace.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                      "args": {"name": f"thread {tid} (python)"}})
    for e in events:
        args: dict[str, Any] = {"External id": e.id, "Ev Idx": e.id}
        if e.input_shapes:
            args["Input Dims"] = e.input_shapes
        if e.stack:
            args["Call stack"] = ";".join(e.stack)
        trace.append({"ph": "X", "cat": "user_annotation" if e.is_user_annotation else "cpu_op",
                      "name": e.name, "pid": pid, "tid": e.thread,
                      "ts": base + e.time_range.start, "dur": e.time_range.elapsed_us(),
                      "args": args})
    return {"schemaVersion": 1, "deviceProperties": [], "with_stack": 0,
            "host_name": socket.gethostname(), "displayTimeUnit": "ms",
            "baseTimeNanoseconds": 0, "traceEvents": trace, "traceName": name}
