"""``ember.profiler.profile``: PyTorch's profiler API over Ember's op calls.

A profile collects the op calls and ``record_function`` ranges of its block (or of the
active steps of its ``schedule``), then summarizes them: ``key_averages().table(...)``,
``events()``, ``export_chrome_trace(path)``. Times are wall-clock CPU times of Ember's
own work (on a GPU, the time to queue it, as PyTorch's "CPU" columns are).
"""

from __future__ import annotations

import enum
import gzip
import json
import os
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from ._events import EventList, FunctionEvent, chrome_trace
from ._record import RawEvent, collector, patches, record_function

__all__ = ["profile", "schedule", "ProfilerAction", "ProfilerActivity",
           "tensorboard_trace_handler", "supported_activities"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


def supported_activities() -> set[ProfilerActivity]:
    """The activities Ember can profile: the CPU side of every op."""
    return {ProfilerActivity.CPU}


class ProfilerAction(enum.Enum):
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """The action for each step: after ``skip_first`` steps, cycles of ``wait`` idle,
    ``warmup`` discarded and ``active`` recorded steps (the last one saves the trace),
    ``repeat`` times (0: forever)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError("Invalid profiler schedule arguments")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)

    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step should be non-negative, got {step}")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:  # the first cycle starts without its wait
            step += wait
        cycle = wait + warmup + active
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return schedule_fn


def _always_record(_: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None,
                              use_gzip: bool = False) -> Callable[[Any], None]:
    """An ``on_trace_ready`` handler writing ``<worker>.<time_ns>.pt.trace.json[.gz]`` to
    ``dir_name`` (what TensorBoard's profiler plugin reads)."""

    def handler(prof: Any) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, name))

    return handler


def _to_events(raw: list[RawEvent], t0: int, use_device: str | None) -> EventList:
    """FunctionEvents (microseconds since the profile started) with their parent links."""
    raw = sorted(raw, key=lambda r: (r.start, -r.end))
    made: dict[int, FunctionEvent] = {}
    out = EventList(use_device=use_device)
    for r in raw:
        e = FunctionEvent(r.id, r.name, r.tid, (r.start - t0) / 1e3, (r.end - t0) / 1e3,
                          input_shapes=r.shapes, stack=r.stack, cpu_memory_usage=r.mem,
                          flops=r.flops, is_user_annotation=r.user)
        made[id(r)] = e
        out.append(e)
    for r in raw:
        parent = made.get(id(r.parent)) if r.parent is not None else None
        if parent is not None:
            e = made[id(r)]
            e.cpu_parent = parent
            parent.cpu_children.append(e)
    return out


class profile:
    """Profile the op calls of a block: ``with profile(...) as prof: ...``.

    ``record_shapes`` keeps each op's input shapes, ``profile_memory`` the bytes of its new
    outputs, ``with_stack`` the Python frames that called it, ``with_flops`` the
    floating-point operations of products and convolutions. With a ``schedule``, call
    ``prof.step()`` after each step; ``on_trace_ready(prof)`` runs after each recorded
    window (and at the end without a schedule).
    """

    def __init__(self, *, activities: Iterable[ProfilerActivity] | None = None,
                 schedule: Callable[[int], ProfilerAction] | None = None,
                 on_trace_ready: Callable[[Any], Any] | None = None,
                 record_shapes: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, experimental_config: Any = None,
                 execution_trace_observer: Any = None, acc_events: bool = False,
                 use_cuda: bool | None = None, custom_trace_id_callback: Any = None,
                 enabled: bool = True) -> None:
        self.activities = set(activities) if activities else supported_activities()
        if use_cuda:
            self.activities.add(ProfilerActivity.CUDA)
        self.use_device = "cuda" if ProfilerActivity.CUDA in self.activities else None
        self.record_steps = schedule is not None
        self.schedule = schedule or _always_record
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.acc_events = acc_events
        self.enabled = enabled
        self.step_num = 0
        self.current_action = self.schedule(self.step_num)
        self.step_rec_fn: record_function | None = None
        self.profiler = self  # PyTorch programs read prof.profiler.function_events
        self._raw: list[RawEvent] = []
        self._collecting = False
        self._patched = False
        self._t0 = 0
        self._events: EventList | None = EventList()

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> None:
        if not self.enabled:
            return
        self._transit(ProfilerAction.NONE, self.current_action)
        if self.record_steps:
            self.step_rec_fn = record_function(f"ProfilerStep#{self.step_num}")
            self.step_rec_fn.__enter__()

    def stop(self) -> None:
        if not self.enabled:
            return
        if self.step_rec_fn is not None:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        self._transit(self.current_action, None)

    def step(self) -> None:
        """Mark the end of a training step: the schedule moves on."""
        if self.step_rec_fn is not None:
            self.step_rec_fn.__exit__(None, None, None)
            self.step_rec_fn = None
        prev = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if self.enabled:
            self._transit(prev, self.current_action)
        if self.record_steps and self.enabled:
            self.step_rec_fn = record_function(f"ProfilerStep#{self.step_num}")
            self.step_rec_fn.__enter__()

    def _transit(self, prev: ProfilerAction, curr: ProfilerAction | None) -> None:
        A = ProfilerAction
        running = prev in (A.WARMUP, A.RECORD, A.RECORD_AND_SAVE)
        if prev == A.WARMUP and curr in (A.RECORD, A.RECORD_AND_SAVE):
            self._raw.clear()  # the warm-up steps are not part of the trace
            collector.take()
            return
        if prev == A.RECORD and curr in (A.RECORD, A.RECORD_AND_SAVE):
            return
        if running:
            if curr == A.NONE and prev in (A.WARMUP, A.RECORD):
                warnings.warn(f"Incorrect schedule: {prev.name} followed by NONE", stacklevel=3)
            self._stop_collecting()
            if prev != A.WARMUP:  # a warm-up's events are never a trace
                self._finish()
        if curr in (A.WARMUP, A.RECORD, A.RECORD_AND_SAVE):
            self._start_collecting()

    def _start_collecting(self) -> None:
        if collector.active:
            raise RuntimeError("Profiler is already enabled on this process: another "
                               "ember.profiler.profile is collecting")
        collector.record_shapes = self.record_shapes
        collector.profile_memory = self.profile_memory
        collector.with_stack = self.with_stack
        collector.with_flops = self.with_flops
        collector.take()
        collector.local = threading.local()  # ranges left open by an earlier profile
        patches.install()
        self._patched = True
        self._raw = []
        self._t0 = time.perf_counter_ns()
        self._wall0_us = time.time_ns() / 1e3
        collector.active = True
        self._collecting = True

    def _stop_collecting(self) -> None:
        if not self._collecting:
            return
        collector.active = False
        self._collecting = False
        self._raw.extend(collector.take())
        if self._patched:
            patches.uninstall()
            self._patched = False

    def _finish(self) -> None:
        """Turn the window's events into results and hand them to ``on_trace_ready``."""
        events = _to_events(self._raw, self._t0, self.use_device)
        events._profile_memory = self.profile_memory
        events._with_flops = self.with_flops
        events._base_us = self._wall0_us
        if self.acc_events and self._events:
            events = EventList(list(self._events) + list(events), use_device=self.use_device,
                               profile_memory=self.profile_memory, with_flops=self.with_flops)
            events._base_us = self._wall0_us
        self._events = events
        self._raw = []
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    # ------------------------------------------------------------------ results
    def events(self) -> EventList:
        """Every recorded range of the last window, in start order."""
        return self._events

    @property
    def function_events(self) -> EventList:
        return self._events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """The events averaged per name (and input shapes / stack, where asked)."""
        return self._events.key_averages(group_by_input_shape, group_by_stack_n,
                                         group_by_overload_name)

    def total_average(self) -> Any:
        return self._events.total_average()

    @property
    def self_cpu_time_total(self) -> float:
        return self._events.self_cpu_time_total

    def table(self, **kwargs: Any) -> str:
        return self._events.table(**kwargs)

    def export_chrome_trace(self, path: str) -> None:
        """Write the last window's events as Chrome trace JSON (gzip for ``*.gz``)."""
        trace = chrome_trace(self._events, os.path.basename(path))
        trace["with_stack"] = int(self.with_stack)
        if path.endswith(".gz"):
            with gzip.open(path, "wt") as f:
                json.dump(trace, f)
        else:
            with open(path, "w") as f:
                json.dump(trace, f)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        self._events.export_stacks(path, metric)
