"""Hook specifications: every hook a cobrokit plugin may implement.

Conventions:

* every hook is named ``cobrokit_*`` and is called with keyword arguments, so an
  implementation may accept only the arguments it needs;
* *registration* hooks return typed objects (never dicts); names must be unique across
  plugins, and a duplicate is refused naming both providers;
* built-in behaviour is registered through these same hooks, by ordinary plugins in
  :mod:`cobrokit.builtin`.

``docs/hooks.md`` is generated from this module (``python -m cobrokit.plugins.docs``) and a
test checks that it is up to date.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from cobrokit.plugins.markers import hookspec

if TYPE_CHECKING:
    from cobrokit.backend import BackendType
    from cobrokit.channel import ChannelType


# -- registration ------------------------------------------------------------------------


@hookspec
def cobrokit_register_backends() -> Iterable[BackendType]:
    """Announce the accounting backends this plugin provides.

    Returns:
        an iterable of :class:`cobrokit.backend.BackendType`. Each name must be unique
        across all plugins (``"sqlite"`` is taken by the built-in embedded ledger).

    Example::

        @hookimpl
        def cobrokit_register_backends():
            return [BackendType(name="acme", factory=AcmeBackend.from_settings,
                                summary="ACME ERP over its REST API")]
    """


@hookspec
def cobrokit_register_channels() -> Iterable[ChannelType]:
    """Announce the notification channels this plugin provides.

    Returns:
        an iterable of :class:`cobrokit.channel.ChannelType`, unique by name across
        plugins (the built-ins take ``"email"``, ``"letter"``, ``"call"`` and ``"outbox"``).

    Example::

        @hookimpl
        def cobrokit_register_channels():
            return [ChannelType(name="sms", factory=TwilioChannel.from_settings)]
    """
