"""Plugin discovery through pluggy and entry points, loaded lazily and once."""

from .manager import BrokenPlugin, PluginError, plugin_manager

__all__ = ["BrokenPlugin", "PluginError", "plugin_manager"]
