"""The plugin host: hook specifications, the plugin manager and the ``hookimpl`` marker.

Write a plugin as a module with functions decorated by :data:`hookimpl` and publish it
under the ``cobrokit`` entry-point group::

    [project.entry-points.cobrokit]
    acme = "cobrokit_acme.plugin"

See ``docs/writing-an-adapter.md`` and ``docs/hooks.md``.
"""

from cobrokit.plugins.manager import (
    BUILTIN_PLUGINS,
    PluginHost,
    PluginInfo,
    PluginLoadWarning,
    get_plugin_host,
)
from cobrokit.plugins.markers import PROJECT, hookimpl, hookspec

__all__ = [
    "BUILTIN_PLUGINS",
    "PROJECT",
    "PluginHost",
    "PluginInfo",
    "PluginLoadWarning",
    "get_plugin_host",
    "hookimpl",
    "hookspec",
]
