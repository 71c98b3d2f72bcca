"""The hooks that Ember's plugins implement.

Every hook runs at registration time only (never on the hot path). Plugins may
implement a hook with fewer arguments than its spec, so a spec can grow.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("ember")
hookimpl = pluggy.HookimplMarker("ember")


@hookspec
def ember_register_backends(registry: Any) -> None:
    """Add compute backends: ``registry.add(device_type, factory, priority=...)``.

    Called: once per loaded ``ember.backends`` entry point, the first time its
    device type is asked for (or when ``ember info`` lists every backend).
    Returns: nothing; every implementation runs (no first result wins).
    """


@hookspec
def ember_register_ops(registry: Any) -> None:
    """Add ops with kernels and derivatives: ``registry.add(name, fn, ...)``.

    Called: once, the first time the op registry is read (``ember.ops.registry``).
    Returns: nothing; every implementation runs (no first result wins).
    """


@hookspec
def ember_register_models(registry: Any) -> None:
    """Add model builders by name: ``registry.add(name, builder, domain=...)``.

    Called: once, the first time the model registry is read
    (``ember.hub.list_models()``, ``ember.vision.models.get_model()``).
    Returns: nothing; every implementation runs (no first result wins).
    """


@hookspec
def ember_cli(subparsers: Any) -> None:
    """Add subcommands to the ``ember`` command with ``subparsers.add_parser``.

    Called: once, when the ``ember`` command builds its argument parser.
    Returns: nothing; every implementation runs (no first result wins).
    """


@hookspec
def ember_info() -> list[str] | None:
    """Lines about the plugin for ``ember info`` to print.

    Called: once per ``ember info`` run, after plugins are loaded.
    Returns: a list of lines or None; every result is printed (no first result wins).
    """
