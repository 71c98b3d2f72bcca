"""``ember.profiler``: PyTorch's profiler for Ember programs.

``with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:`` records
every Ember op call (named as PyTorch names them: ``aten::conv2d``, ``aten::addmm``, ...)
and every ``record_function`` range of the block; ``prof.key_averages().table(...)``
prints PyTorch's table, ``prof.export_chrome_trace(path)`` writes a Chrome trace, and
``schedule`` / ``prof.step()`` / ``tensorboard_trace_handler`` profile chosen steps of a
training loop. Outside a profile nothing is recorded and nothing costs.
"""

from ._events import DeviceType, EventList, FunctionEvent, FunctionEventAvg
from ._record import record_function
from .profiler import (
           ProfilerAction,
           ProfilerActivity,
           profile,
           schedule,
           supported_activities,
           tensorboard_trace_handler,
)

__all__ = ["profile", "record_function", "ProfilerActivity", "ProfilerAction", "schedule",
           "tensorboard_trace_handler", "supported_activities", "DeviceType", "EventList",
           "FunctionEvent", "FunctionEventAvg"]
