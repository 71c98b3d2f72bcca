"""A small typed facade over pluggy.

Nothing here imports pluggy or ``importlib.metadata`` until a plugin is first
needed: ``import ember`` stays cheap. Entry points load once, under a lock. A
plugin that fails to import is recorded as broken (``ember info`` shows it) and
re-raised only when ``EMBER_STRICT_PLUGINS=1``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

BACKENDS_GROUP = "ember.backends"
PLUGINS_GROUP = "ember.plugins"


class PluginError(RuntimeError):
    """A plugin could not be loaded or used."""


@dataclass(frozen=True)
class BrokenPlugin:
    group: str
    name: str
    value: str
    error: str


class _PluginManager:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._pm: Any = None
        self._loaded_groups: set[str] = set()
        self._loaded_backends: set[str] = set()
        self.broken: list[BrokenPlugin] = []
        self.modules: dict[str, Any] = {}  # "group:name" -> module

    @property
    def pm(self) -> Any:
        """The pluggy PluginManager, created on first use."""
        if self._pm is None:
            with self._lock:
                if self._pm is None:
                    import pluggy

                    from . import hookspecs

                    class _Manager(pluggy.PluginManager):
                        # like pytest: a plain function named ember_* is a hook implementation
                        def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
                            opts = super().parse_hookimpl_opts(plugin, name)
                            if opts is None and name.startswith("ember_") and callable(
                                    getattr(plugin, name, None)):
                                opts = {}
                            return opts

                    pm = _Manager("ember")
                    pm.add_hookspecs(hookspecs)
                    self._pm = pm
        return self._pm

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def _entry_points(self, group: str) -> list[Any]:
        from importlib.metadata import entry_points

        return list(entry_points(group=group))

    def _load(self, ep: Any) -> Any:
        key = f"{ep.group}:{ep.name}:{ep.value}"
        if key in self.modules:
            return self.modules[key]
        try:
            module = ep.load()
            self.pm.register(module, name=key)
        except Exception as e:  # a broken plugin must not break ember
            if os.environ.get("EMBER_STRICT_PLUGINS") == "1":
                raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to load: {e!r}") from e
            self.broken.append(BrokenPlugin(ep.group, ep.name, ep.value, f"{type(e).__name__}: {e}"))
            self.modules[key] = None
            return None
        self.modules[key] = module
        return module

    def register_module(self, module: Any, name: str) -> None:
        """Register a module that is known statically (the built-in backends)."""
        with self._lock:
            # already there (e.g. loaded through its entry point under another name): keep it
            if name not in self.modules and not self.pm.is_registered(module):
                self.pm.register(module, name=name)
                self.modules[name] = module

    def load_group(self, group: str = PLUGINS_GROUP) -> list[Any]:
        """Load every entry point of a group once; return the modules that loaded."""
        with self._lock:
            if group not in self._loaded_groups:
                for ep in self._entry_points(group):
                    self._load(ep)
                self._loaded_groups.add(group)
            return [m for k, m in self.modules.items() if k.startswith(group + ":") and m]

    def load_backend(self, device_type: str) -> list[Any]:
        """Load only the ``ember.backends`` entry points named ``device_type``."""
        with self._lock:
            if device_type not in self._loaded_backends and BACKENDS_GROUP not in self._loaded_groups:
                for ep in self._entry_points(BACKENDS_GROUP):
                    if ep.name == device_type:
                        self._load(ep)
                self._loaded_backends.add(device_type)
            prefix = f"{BACKENDS_GROUP}:{device_type}:"
            return [m for k, m in self.modules.items() if k.startswith(prefix) and m]

    def broken_for(self, group: str, name: str) -> list[BrokenPlugin]:
        return [b for b in self.broken if b.group == group and b.name == name]

    def plugin_hooks(self) -> dict[str, list[str]]:
        """Each registered plugin's name and the hooks it implements."""
        out: dict[str, list[str]] = {}
        for name, plugin in self.pm.list_name_plugin():
            out[name] = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
        return out


plugin_manager = _PluginManager()
