"""Building the plugin manager: built-ins first, then third-party entry points.

There is no global manager: :func:`get_plugin_host` builds a fresh one each call, so tests
and embedding applications never leak plugins into each other.

Environment switches:

``COBROKIT_DISABLE_PLUGIN_AUTOLOAD=1``
    do not load third-party plugins from the ``cobrokit`` entry-point group.
``COBROKIT_BLOCK_PLUGINS=name1,name2``
    never register these plugins (entry-point names such as ``twilio``, or built-in names:
    ``builtin.sqlite_backend``, ``builtin.regimes``, ``builtin.email``, ``builtin.letter``,
    ``builtin.calls``, ``builtin.handoff``). ``cobrokit plugins`` lists them as blocked,
    and warns about a blocked name that matches no plugin.
``COBROKIT_TRACE_PLUGINS=1``
    log every hook call at DEBUG level.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import attrs
import pluggy

from cobrokit.backend import BackendType
from cobrokit.channel import ChannelType
from cobrokit.errors import DuplicateNameError, PluginError
from cobrokit.interest.regimes import Regime
from cobrokit.plugins import hookspecs
from cobrokit.plugins.markers import PROJECT

__all__ = ["BUILTIN_PLUGINS", "PluginHost", "PluginInfo", "PluginLoadWarning", "get_plugin_host"]

log = logging.getLogger(__name__)

BUILTIN_PLUGINS: tuple[str, ...] = (
    "cobrokit.builtin.sqlite_backend",
    "cobrokit.builtin.regimes",
    "cobrokit.builtin.email",
    "cobrokit.builtin.letter",
    "cobrokit.builtin.calls",
    "cobrokit.builtin.handoff",
)
"""Modules registered as plugins before any third-party plugin, in this order."""

ENV_DISABLE_AUTOLOAD = "COBROKIT_DISABLE_PLUGIN_AUTOLOAD"
ENV_BLOCK = "COBROKIT_BLOCK_PLUGINS"
ENV_TRACE = "COBROKIT_TRACE_PLUGINS"

T = TypeVar("T")


class PluginLoadWarning(UserWarning):
    """A third-party plugin failed to load; the others were loaded."""


@attrs.frozen(slots=True)
class PluginInfo:
    """One plugin, as ``cobrokit plugins`` shows it.

    Attributes:
        name: the plugin name (entry-point name, or ``builtin.<module>``).
        distribution: the distribution that provides it (``"cobrokit"`` for built-ins).
        version: that distribution's version.
        hooks: the hooks it implements (empty when blocked).
        builtin: shipped with cobrokit.
        blocked: installed but blocked (``COBROKIT_BLOCK_PLUGINS``): not registered.
    """

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]
    builtin: bool
    blocked: bool = False


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _split(value: str | None) -> set[str]:
    return {p.strip() for p in (value or "").split(",") if p.strip()}


class _Manager(pluggy.PluginManager):
    """Only ``cobrokit_*`` attributes are treated as hook implementations."""

    def parse_hookimpl_opts(self, plugin: object, name: str) -> Any:
        if not name.startswith("cobrokit_"):
            return None
        return super().parse_hookimpl_opts(plugin, name)


class PluginHost:
    """A plugin manager plus typed accessors for what plugins register.

    Use :func:`get_plugin_host` to build one. ``host.hook`` is pluggy's hook relay, for
    calling event hooks; the ``backends()``/``channels()`` accessors collect registration
    hooks and refuse duplicate names.
    """

    def __init__(self) -> None:
        self.pm = _Manager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._dists: dict[str, tuple[str, str]] = {}
        self._builtin: set[str] = set()
        self._blocked_offers: dict[str, tuple[tuple[str, str], bool]] = {}
        """Blocked plugins that were offered for registration: name → (distribution, builtin)."""
        self.load_errors: list[tuple[str, str]] = []
        """(plugin name, error) for every third-party plugin that failed to load."""

    @property
    def hook(self) -> Any:
        """pluggy's hook relay, for calling event hooks on every plugin, e.g.
        ``host.hook.cobrokit_notice_sent(message=message, receipt=receipt)``.
        """
        return self.pm.hook

    # -- registration ---------------------------------------------------------------------
    def register(
        self, plugin: object, name: str, *, builtin: bool = False, distribution: tuple[str, str] = ("", "")
    ) -> None:
        """Register *plugin* (a module or object) under *name* unless that name is blocked."""
        if self.pm.is_blocked(name):
            log.debug("plugin %s is blocked", name)
            self._blocked_offers[name] = (distribution, builtin)
            return
        self.pm.register(plugin, name=name)
        if builtin:
            self._builtin.add(name)
        self._dists[name] = distribution

    def load_builtins(self, modules: Sequence[str] = BUILTIN_PLUGINS) -> None:
        """Import and register the built-in plugin modules."""
        import cobrokit

        for path in modules:
            short = "builtin." + path.rsplit(".", 1)[-1]
            module = importlib.import_module(path)
            self.register(module, short, builtin=True, distribution=("cobrokit", cobrokit.__version__))

    def load_entrypoints(self) -> int:
        """Load third-party plugins from the ``cobrokit`` entry-point group.

        A plugin that fails to import or register emits :class:`PluginLoadWarning` and is
        skipped; the others still load. Returns how many were registered.
        """
        count = 0
        for ep in importlib.metadata.entry_points(group=PROJECT):
            if self.pm.is_blocked(ep.name) or self.pm.get_plugin(ep.name) is not None:
                continue
            dist = getattr(ep, "dist", None)
            dist_info = (dist.name, dist.version) if dist is not None else ("", "")
            try:
                plugin = ep.load()
                self.register(plugin, ep.name, distribution=dist_info)
                self.pm.check_pending()
            except Exception as exc:  # a broken plugin must not take the others down
                if self.pm.get_plugin(ep.name) is not None:
                    self.pm.unregister(name=ep.name)
                message = f"{type(exc).__name__}: {exc}"
                self.load_errors.append((ep.name, message))
                warnings.warn(
                    f"cobrokit plugin {ep.name!r} ({dist_info[0] or 'unknown distribution'}) "
                    f"failed to load and was skipped: {message}",
                    PluginLoadWarning,
                    stacklevel=2,
                )
                continue
            count += 1
        return count

    # -- typed collection -----------------------------------------------------------------
    def collect(
        self,
        hook_name: str,
        kind: str,
        cls: type[T],
        key: Callable[[T], str] = lambda item: str(getattr(item, "name")),  # noqa: B009 (T is unbound)
    ) -> dict[str, T]:
        """Call a registration hook on every plugin and index the results by name.

        Raises:
            PluginError: a plugin returned something other than *cls*.
            DuplicateNameError: two plugins registered the same name.
        """
        caller = getattr(self.pm.hook, hook_name)
        found: dict[str, T] = {}
        owner: dict[str, str] = {}
        for impl in caller.get_hookimpls():  # registration order: built-ins first
            plugin_name = self.pm.get_name(impl.plugin) or repr(impl.plugin)
            result = impl.function()
            for item in result or ():
                if not isinstance(item, cls):
                    raise PluginError(
                        f"plugin {plugin_name!r}: {hook_name} returned {type(item).__name__}, expected {cls.__name__}"
                    )
                name = key(item)
                if name in found:
                    raise DuplicateNameError(kind, name, owner[name], plugin_name)
                found[name] = item
                owner[name] = plugin_name
        return dict(sorted(found.items()))

    def backends(self) -> dict[str, BackendType]:
        """Every registered backend type, by name."""
        return self.collect("cobrokit_register_backends", "backend", BackendType)

    def channels(self) -> dict[str, ChannelType]:
        """Every registered channel type, by name."""
        return self.collect("cobrokit_register_channels", "channel", ChannelType)

    def regimes(self) -> dict[str, Regime]:
        """Every registered late-payment interest regime (built-in and plugin), by name."""
        return self.collect("cobrokit_register_regimes", "regime", Regime)

    def backend(self, name: str, settings: Mapping[str, Any] | None = None) -> Any:
        """Build the backend *name* with *settings*.

        Raises:
            PluginError: no plugin provides *name* (the message lists the known ones).
        """
        types = self.backends()
        if name not in types:
            known = ", ".join(types) or "none"
            raise PluginError(f"unknown backend {name!r}; installed backends: {known}")
        return types[name].factory(dict(settings or {}))

    def channel(self, name: str, settings: Mapping[str, Any] | None = None) -> Any:
        """Build the channel *name* with *settings*."""
        types = self.channels()
        if name not in types:
            known = ", ".join(types) or "none"
            raise PluginError(f"unknown channel {name!r}; installed channels: {known}")
        return types[name].factory(dict(settings or {}))

    # -- introspection --------------------------------------------------------------------
    def plugins(self) -> list[PluginInfo]:
        """Registered plugins with their distribution, version and implemented hooks, and
        the installed plugins that are blocked (``blocked=True``, no hooks).

        A blocked name that matches no plugin is not listed: see :meth:`unmatched_blocks`.
        """
        infos = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:  # pluggy lists a blocked name with no plugin
                found = self._blocked_plugin(name)
                if found is not None:
                    (dist, version), builtin = found
                    infos.append(PluginInfo(name, dist, version, (), builtin, blocked=True))
                continue
            hooks = tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))
            dist, version = self._dists.get(name, ("", ""))
            infos.append(PluginInfo(name, dist, version, hooks, name in self._builtin))
        return sorted(infos, key=lambda i: (not i.builtin, i.name))

    def unmatched_blocks(self) -> list[str]:
        """Blocked names that match no built-in or installed plugin (a typo, or an
        uninstalled plugin), sorted.
        """
        return sorted(
            name for name, plugin in self.pm.list_name_plugin() if plugin is None and self._blocked_plugin(name) is None
        )

    def _blocked_plugin(self, name: str) -> tuple[tuple[str, str], bool] | None:
        """(distribution, builtin) of the blocked plugin *name*, or ``None`` if none is installed."""
        if name in self._blocked_offers:
            return self._blocked_offers[name]
        for ep in importlib.metadata.entry_points(group=PROJECT, name=name):
            dist = getattr(ep, "dist", None)
            return ((dist.name, dist.version) if dist is not None else ("", "")), False
        return None


def get_plugin_host(
    *,
    autoload: bool | None = None,
    blocked: Iterable[str] = (),
    plugins: Iterable[tuple[str, object]] = (),
    builtins: Sequence[str] = BUILTIN_PLUGINS,
    environ: Mapping[str, str] | None = None,
) -> PluginHost:
    """Build a fresh :class:`PluginHost`.

    Args:
        autoload: load third-party entry points; ``None`` means "unless
            ``COBROKIT_DISABLE_PLUGIN_AUTOLOAD`` is set".
        blocked: plugin names never to register, added to ``COBROKIT_BLOCK_PLUGINS``.
        plugins: extra ``(name, plugin)`` pairs registered after the built-ins (tests,
            applications that embed cobrokit).
        builtins: built-in plugin modules to load (default: all).
        environ: environment to read switches from (default ``os.environ``).
    """
    env = os.environ if environ is None else environ
    host = PluginHost()
    for name in _split(env.get(ENV_BLOCK)) | set(blocked):
        host.pm.set_blocked(name)
    if _truthy(env.get(ENV_TRACE)):
        host.pm.trace.root.setwriter(lambda text: log.debug("%s", text.rstrip()))
        host.pm.enable_tracing()
    host.load_builtins(builtins)
    for name, plugin in plugins:
        host.register(plugin, name)
    if autoload is None:
        autoload = not _truthy(env.get(ENV_DISABLE_AUTOLOAD))
    if autoload:
        host.load_entrypoints()
    host.pm.check_pending()
    return host
