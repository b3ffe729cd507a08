"""The edge between plugins and notice rendering.

:mod:`cobrokit.rendering` knows nothing about pluggy: it takes extra template context and
a pay-now link as arguments. The functions here ask the plugins for them —
``cobrokit_template_context`` (every plugin's mapping, merged) and
``cobrokit_payment_link`` (the first plugin that answers) — and then render.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cobrokit.channel import Attachment, Message
from cobrokit.errors import PluginError
from cobrokit.notice import Notice
from cobrokit.plugins.manager import PluginHost
from cobrokit.rendering import NoticeRenderer

__all__ = ["collect_template_context", "payment_link", "render_with_plugins"]


def collect_template_context(host: PluginHost, notice: Notice) -> dict[str, Any]:
    """Merge every plugin's ``cobrokit_template_context(notice)`` answer.

    Built-in plugins answer first and later-registered plugins override them key by key.

    Raises:
        PluginError: a plugin returned something that is not a mapping with string keys.
    """
    merged: dict[str, Any] = {}
    caller = host.hook.cobrokit_template_context
    for impl in caller.get_hookimpls():  # registration order: built-ins first
        result = impl.function(notice=notice) if "notice" in impl.argnames else impl.function()
        if result is None:
            continue
        plugin = host.pm.get_name(impl.plugin) or repr(impl.plugin)
        if not isinstance(result, Mapping):
            raise PluginError(
                f"plugin {plugin!r}: cobrokit_template_context returned {type(result).__name__}, expected a mapping"
            )
        for key, value in result.items():
            if not isinstance(key, str) or not key.isidentifier():
                raise PluginError(f"plugin {plugin!r}: cobrokit_template_context key {key!r} is not an identifier")
            merged[key] = value
    return merged


def payment_link(host: PluginHost, notice: Notice) -> str | None:
    """The first plugin's answer to ``cobrokit_payment_link(notice)``, or ``None``.

    Raises:
        PluginError: the answer is not a string.
    """
    link = host.hook.cobrokit_payment_link(notice=notice)
    if link is None or link == "":
        return None
    if not isinstance(link, str):
        raise PluginError(f"cobrokit_payment_link returned {type(link).__name__}, expected a URL string")
    return link


def render_with_plugins(
    host: PluginHost,
    notice: Notice,
    channel: str,
    *,
    renderer: NoticeRenderer | None = None,
    kind: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> Message:
    """Ask the plugins for context and a pay-now link, then render *notice* for *channel*.

    Raises:
        RenderError: the template failed (see :meth:`NoticeRenderer.render`).
        PluginError: a plugin answered with the wrong type.
    """
    renderer = renderer or NoticeRenderer()
    return renderer.render(
        notice,
        channel,
        kind=kind,
        extra_context=collect_template_context(host, notice),
        pay_link=payment_link(host, notice),
        attachments=attachments,
    )
