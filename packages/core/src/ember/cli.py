"""The ``ember`` command: ``ember info`` and subcommands that plugins add."""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence

__all__ = ["main", "info_lines"]

_DISTRIBUTIONS = ("ember-core", "ember-nn", "ember-optim", "ember-vision", "ember-text",
                  "ember-audio", "ember-distributed")


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def info_lines() -> list[str]:
    """Everything ``ember info`` prints, as lines."""
    import numpy as np

    from .backends.cupy._plugin import cupy_usable
    from .backends.registry import registry
    from .plugins.manager import BACKENDS_GROUP, PLUGINS_GROUP, plugin_manager

    lines = [f"Python        {platform.python_version()} ({sys.executable})",
             f"NumPy         {np.__version__}"]
    cupy_v = _version("cupy-cuda12x") or _version("cupy-cuda13x") or _version("cupy")
    lines.append(f"CuPy          {cupy_v or 'not installed'}"
                 + (f" (GPU usable: {'yes' if cupy_usable() else 'no'})" if cupy_v else ""))
    lines.append("")
    lines.append("Distributions:")
    for dist in _DISTRIBUTIONS:
        v = _version(dist)
        lines.append(f"  {dist:<20} {v if v else 'not installed'}")
    plugin_manager.load_group(BACKENDS_GROUP)
    for ep in plugin_manager._entry_points(BACKENDS_GROUP):
        for module in plugin_manager.load_backend(ep.name):
            if hasattr(module, "ember_register_backends"):
                module.ember_register_backends(registry)
    registry._discover("cuda")
    lines.append("")
    lines.append("Backends:")
    for dtype in registry.device_types():
        for entry in sorted(registry.entries(dtype), key=lambda e: -e.priority):
            try:
                backend = registry.get(dtype)
                chosen = backend.__class__ is not None and entry.instance is backend
                count = backend.device_count() if chosen else "-"
                avail = backend.is_available() if chosen else "-"
            except Exception as e:  # a backend that fails to start is reported, not fatal
                chosen, count, avail = False, "-", f"error: {e}"
            mark = "*" if chosen else " "
            lines.append(f" {mark}{dtype:<10} {entry.name:<16} priority={entry.priority:<4} "
                         f"devices={count} available={avail}")
    plugin_manager.load_group(PLUGINS_GROUP)
    lines.append("")
    lines.append("Plugins:")
    for name, hooks in plugin_manager.plugin_hooks().items():
        lines.append(f"  {name}: {', '.join(hooks) if hooks else '(no hooks)'}")
    for extra in plugin_manager.hook.ember_info():
        for line in extra or []:
            lines.append(f"  {line}")
    if plugin_manager.broken:
        lines.append("")
        lines.append("Broken plugins:")
        for b in plugin_manager.broken:
            lines.append(f"  {b.group}:{b.name} ({b.value}): BROKEN - {b.error}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ember`` command."""
    from .plugins.manager import PLUGINS_GROUP, plugin_manager

    parser = argparse.ArgumentParser(prog="ember", description="Ember command-line tools")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("info", help="versions, backends and plugins")
    plugin_manager.load_group(PLUGINS_GROUP)
    plugin_manager.hook.ember_cli(subparsers=sub)
    args = parser.parse_args(argv)
    if args.command in (None, "info"):
        print("\n".join(info_lines()))
        return 0
    handler = getattr(args, "func", None)
    if handler is None:
        parser.error(f"the {args.command!r} command has no handler")
    return int(handler(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
