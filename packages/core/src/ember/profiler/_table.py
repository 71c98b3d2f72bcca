"""The text table of profiler events, in PyTorch's layout: right-aligned columns of width
12 (the name column as wide as the longest name, up to 55), two spaces between columns,
dashed rules around the header, and the "Self CPU time total" footer."""

from __future__ import annotations

import math
from typing import Any

from ._events import _format_memory, _format_share, _format_time

__all__ = ["build_table"]

_WIDTH = 12
_SPACING = 2
_FLOP_UNITS = ("FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs")


def _time(us: float, default: str, unit: str | None) -> str:
    if unit == "s":
        return f"{us / 1e6:.3f}s"
    if unit == "ms":
        return f"{us / 1e3:.3f}ms"
    if unit == "us":
        return f"{us:.3f}us"
    return default


def _trim_path(path: str, width: int) -> str:
    if len(path) > width:
        path = path[len(path) - width:]
        if len(path) > 3:
            path = "..." + path[3:]
    return path


def build_table(events: Any, sort_by: str | None = None, header: str | None = None,
                row_limit: int = 100, max_src_column_width: int = 75,
                max_name_column_width: int = 55, max_shapes_column_width: int = 80,
                with_flops: bool = False, profile_memory: bool = False,
                top_level_events_only: bool = False, time_unit: str | None = None) -> str:
    """The table of ``events`` (FunctionEvents or their averages)."""
    if len(events) == 0:
        return ""
    events = list(events)
    has_device_time = any(e.self_device_time_total > 0 for e in events)
    device = (events[0].use_device or "cuda").upper()
    has_shapes = any(e.input_shapes for e in events)
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device")
        events.sort(key=lambda e: getattr(e, attr), reverse=True)
    name_width = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_width = min(name_width, max_name_column_width)
    shapes_width = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_width = min(shapes_width, max_shapes_column_width)
    stacks = [e.stack for e in events if e.stack]
    src_width = 0
    if stacks:
        src_width = max(len(s) for stack in stacks for s in stack) + 4
        if max_src_column_width is not None:
            src_width = min(src_width, max_src_column_width)

    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if has_device_time:
        headers += [f"Self {device}", f"Self {device} %", f"{device} total",
                    f"{device} time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [(name_width, ">")] + [(_WIDTH, ">")] * (len(headers) - 1)
    if has_shapes:
        headers.append("Input Shapes")
        widths.append((shapes_width, ">"))
    if stacks:
        headers.append("Source Location")
        widths.append((src_width, "<"))
    flops_scale, flops_on = 1.0, False
    if with_flops:
        raw = [e.flops for e in events if e.flops > 0]
        if raw:
            level = int(max(0, min(math.log10(min(raw)) / 3, len(_FLOP_UNITS) - 1)))
            flops_scale, flops_on = 10.0 ** (-3 * level), True
            headers.append(f"Total {_FLOP_UNITS[level]}")
            widths.append((_WIDTH, ">"))
    row_format = "".join("{: " + d + str(w) + "}" + " " * _SPACING for w, d in widths)
    rule = "".join("-" * w + " " * _SPACING for w, _ in widths)
    line_length = sum(w + _SPACING for w, _ in widths) - _SPACING

    total_self = sum(e.self_cpu_time_total for e in events)
    total_device = sum(e.self_device_time_total for e in events if not e.is_user_annotation)
    out: list[str] = []
    if header is not None:
        out += ["=" * line_length, header]
    if top_level_events_only:
        out += ["=" * line_length, "This report only display top-level ops statistics"]
    out += [rule, row_format.format(*headers), rule]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row: list[Any] = [
            name, _format_share(e.self_cpu_time_total, total_self),
            _time(e.self_cpu_time_total, e.self_cpu_time_total_str, time_unit),
            _format_share(e.cpu_time_total, total_self) if not e.is_async else 0,
            _time(e.cpu_time_total, e.cpu_time_total_str, time_unit),
            _time(e.cpu_time, e.cpu_time_str, time_unit)]
        if has_device_time:
            row += [_time(e.self_device_time_total, e.self_device_time_total_str, time_unit),
                    _format_share(e.self_device_time_total, total_device),
                    _time(e.device_time_total, e.device_time_total_str, time_unit),
                    _time(e.device_time, e.device_time_str, time_unit)]
        if profile_memory:
            row += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        row.append(e.count)
        if has_shapes:
            row.append(str(e.input_shapes)[:shapes_width])
        if stacks:
            row.append(_trim_path(e.stack[0], src_width) if e.stack else "")
        if flops_on:
            row.append("--" if e.flops <= 0 else f"{e.flops * flops_scale:8.3f}")
        out.append(row_format.format(*row))
        if stacks:
            blank = [""] * (len(headers) - 1)
            for frame in (e.stack or [])[1:]:
                out.append(row_format.format(*blank, _trim_path(frame, src_width)))
            out.append(row_format.format(*blank, ""))
    out.append(rule)
    out.append("Self CPU time total: "
               + _time(total_self, _format_time(total_self), time_unit))
    if has_device_time:
        out.append(f"Self {device} time total: "
                   + _time(total_device, _format_time(total_device), time_unit))
    return "\n".join(out) + "\n"
