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

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cobrokit.plugins.markers import hookspec

if TYPE_CHECKING:
    from cobrokit.backend import BackendType
    from cobrokit.channel import ChannelType
    from cobrokit.notice import Notice


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


# -- notices ------------------------------------------------------------------------------


@hookspec
def cobrokit_template_context(notice: Notice) -> Mapping[str, Any] | None:
    """Add variables to the template context of *notice* (branding, account manager…).

    Every plugin's mapping is merged, built-ins first, later plugins overriding earlier
    ones key by key, into the template variable ``extra`` (never into the top level, so a
    plugin cannot change ``total_due`` or ``debtor``). Values should be plain data
    (str, int, Decimal, date, Money, lists and dicts of those): templates run in a
    sandbox and must not receive objects whose methods have side effects.

    Args:
        notice: the :class:`cobrokit.notice.Notice` about to be rendered.

    Returns:
        a mapping of string keys to values, or ``None`` to add nothing.

    Example::

        @hookimpl
        def cobrokit_template_context(notice):
            return {"account_manager": "Ana García", "brand_color": "#0a5"}
    """


@hookspec(firstresult=True)
def cobrokit_payment_link(notice: Notice) -> str | None:
    """Offer a pay-now URL for *notice* (a payment page for the debtor's open invoices).

    The first plugin that returns a non-empty string wins; the link is shown in the
    notice as ``pay_link`` (and replaces ``notice.pay_link``). A backend that can create
    payment links (:attr:`cobrokit.backend.Capability.PAYMENT_LINK`) implements this.

    Args:
        notice: the :class:`cobrokit.notice.Notice` about to be rendered; its ``lines``
            say which invoices and ``total_due`` how much.

    Returns:
        an ``https://`` URL, or ``None`` to let another plugin answer.

    Example::

        @hookimpl
        def cobrokit_payment_link(notice):
            return f"https://pay.example.com/{notice.debtor.id}?amount={notice.total_due.amount}"
    """
