"""``torch.autograd.profiler``'s API (the legacy profiler), kept in ``ember.profiler``."""

from ..profiler._legacy import (  # noqa: F401
    EventList,
    FunctionEvent,
    FunctionEventAvg,
    profile,
    record_function,
)
