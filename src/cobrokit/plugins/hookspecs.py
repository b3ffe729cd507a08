# mypy: disable-error-code=empty-body
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
    from cobrokit.channel import Attachment, ChannelType, DeliveryReceipt, Message
    from cobrokit.credit import ExternalCredit
    from cobrokit.interest.regimes import Regime
    from cobrokit.ladder.config import Config
    from cobrokit.notice import Notice
    from cobrokit.plugins.manager import PluginHost
    from cobrokit.store.sqlite import SQLiteStore


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


@hookspec
def cobrokit_register_regimes() -> Iterable[Regime]:
    """Announce the late-payment interest regimes (jurisdictions, contracts) this plugin provides.

    A regime bundles the rate rule, default day count, fixed compensation per invoice,
    imputation order, limitation rule and legal sources of one jurisdiction; see
    ``docs/interest.md``. Adding a country needs no change to the core.

    Returns:
        an iterable of :class:`cobrokit.interest.regimes.Regime`, unique by name across
        plugins (the built-ins take ``"es-commercial"``, ``"es-legal"``, ``"eu-directive"``,
        ``"uk-late-payment"``, ``"mx-commercial"``, ``"mx-civil"``, ``"co-usury"`` and
        ``"contractual"``).

    Example::

        from decimal import Decimal
        from cobrokit.interest import eu_directive_regime

        @hookimpl
        def cobrokit_register_regimes():
            return [eu_directive_regime("fr-commercial", margin=Decimal("10"), country="FR",
                                        sources=("Code de commerce art. L441-10",))]
    """


# -- effects: "no pay, no service", hand-offs, creditor alerts ----------------------------------


@hookspec
def cobrokit_suspend_service(
    tenant: str,
    debtor_id: str,
    stage: str,
    cycle: str,
    payload: Mapping[str, Any],
    store: SQLiteStore,
    config: Config,
    host: PluginHost,
) -> str | None:
    """Suspend the debtor's service ("no pay, no service"); called once per cycle.

    The ladder's ``suspend_service`` stage plans this effect; whoever owns the service (a
    SaaS billing backend such as Stripe pausing subscriptions, an ISP, a utility) carries
    it out. Return a short description of what was done (recorded in the journal), or
    ``None`` if this plugin does not own the debtor's service. Raise to have the effect
    retried later. It is undone by :func:`cobrokit_restore_service` on payment or on an
    accepted payment plan.

    Args:
        tenant: the creditor.
        debtor_id: the debtor.
        stage: the ladder stage that asked for it.
        cycle: the dunning cycle (part of the idempotency key).
        payload: the decision's facts (``invoices``: ``[[invoice_id, open_minor], …]``).
        store: the embedded store (read the debtor's records; do not write the ledger).
        config: the run's configuration (``config.channels[...]`` holds plugin settings).
        host: the plugin host (to reach backends and other plugins).

    The same effect hooks (:func:`cobrokit_restore_service`, :func:`cobrokit_handoff`,
    :func:`cobrokit_creditor_alert`) take the same arguments; implement only those you need.
    """


@hookspec
def cobrokit_restore_service(
    tenant: str,
    debtor_id: str,
    stage: str,
    cycle: str,
    payload: Mapping[str, Any],
    store: SQLiteStore,
    config: Config,
    host: PluginHost,
) -> str | None:
    """Restore a service suspended by :func:`cobrokit_suspend_service`.

    Called when the overdue balance is paid or a payment plan is accepted. Return a short
    description of what was done, or ``None`` if not yours.
    """


@hookspec
def cobrokit_handoff(
    tenant: str,
    debtor_id: str,
    stage: str,
    cycle: str,
    payload: Mapping[str, Any],
    store: SQLiteStore,
    config: Config,
    host: PluginHost,
) -> str | None:
    """Hand the case to a collection agency or a lawyer (the ladder's ``handoff`` stage).

    Implementations typically build the case file (``cobrokit dossier``) and send it to
    their agency. Return a short description (e.g. the agency's case number) or ``None``.
    """


@hookspec
def cobrokit_creditor_alert(
    tenant: str,
    debtor_id: str,
    stage: str,
    cycle: str,
    payload: Mapping[str, Any],
    store: SQLiteStore,
    config: Config,
    host: PluginHost,
) -> str | None:
    """Tell the creditor something needs a person (e.g. a debt is about to become time-barred).

    ``stage`` says what (``"limitation"``); ``payload["reason"]`` explains it. Return a
    short description of how the creditor was told, or ``None``.
    """


# -- credit decisions ------------------------------------------------------------------------


@hookspec
def cobrokit_credit_data(tenant: str, debtor_id: str) -> ExternalCredit | None:
    """Add outside data (a credit bureau, a trade-credit insurer) to a credit decision.

    Called by ``cobrokit credit check`` (:func:`cobrokit.store.credit.check_credit`) once
    per decision; every plugin's answer is used. The outside score is blended with the
    debtor's own payment-behaviour score (``bureau_weight`` of the credit policy), the
    lowest credit limit in the order's currency applies, and a flag listed in the policy's
    ``refuse_flags`` (``"insolvency"``, ``"court_judgment"``…) refuses credit. Look the
    debtor up by its id (or its tax id, read from the store); keep API keys in the
    environment. Raise to make the check fail with your error rather than decide without
    your data.

    Args:
        tenant: the creditor.
        debtor_id: the debtor.

    Returns:
        a :class:`cobrokit.credit.ExternalCredit` (score normalised to 0–100, higher is
        better), or ``None`` when you know nothing about this debtor.

    Example::

        from cobrokit.credit import ExternalCredit

        @hookimpl
        def cobrokit_credit_data(tenant, debtor_id):
            report = acme_bureau.lookup(debtor_id)
            return ExternalCredit(source="acme-bureau", score=report.score // 10,
                                  flags={"court_judgment"} if report.judgments else set())
    """


# -- notifications ---------------------------------------------------------------------------


@hookspec
def cobrokit_notice_sent(message: Message, receipt: DeliveryReceipt) -> None:
    """A notice was accepted by its channel. Observers only (CRM notes, chat alerts).

    Do not send anything to the debtor from here; use a channel.
    """


@hookspec
def cobrokit_delivery_failed(message: Message, receipt: DeliveryReceipt) -> None:
    """A notice failed permanently on its channel (the next channel of the stage is tried)."""


@hookspec
def cobrokit_notice_attachments(notice: Notice, channel: str) -> Iterable[Attachment] | None:
    """Files to attach to a notice (copies of the invoices a backend keeps, a contract…).

    Called for channels that carry attachments (email). Every plugin's answers are
    attached, after the debtor statement that stages with ``attach_statement`` get.

    Example::

        @hookimpl
        def cobrokit_notice_attachments(notice, channel):
            return [Attachment(f"{line.number}.pdf", "application/pdf", erp.invoice_pdf(line.invoice_id))
                    for line in notice.lines]
    """
