"""Rendering notices: every stage, locale and channel kind; overrides; failures; the sandbox."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import attrs
import jinja2
import pytest

from cobrokit.channel import Message
from cobrokit.errors import RenderError
from cobrokit.money import Money
from cobrokit.plugins import get_plugin_host, hookimpl
from cobrokit.plugins.templating import collect_template_context, payment_link, render_with_plugins
from cobrokit.rendering import (
    BUILTIN_KINDS,
    BUILTIN_STAGES,
    NoticeRenderer,
    RenderLimits,
    build_context,
    render_notice,
)
from tests.notices.sample import FIRM, make_notice

NBSP = "\xa0"
RENDERER = NoticeRenderer()

# Figures of make_notice() (hand computed in conftest): total 13 445.98 EUR, oldest invoice
# F-2025-101 due 2025-05-15, firm date 2025-08-14. Babel's output for each locale:
TOTAL = {"en_US": "€13,445.98", "es_ES": f"13.445,98{NBSP}€", "es_MX": f"EUR{NBSP}13,445.98"}
PRINCIPAL = {"en_US": "€13,080.23", "es_ES": f"13.080,23{NBSP}€", "es_MX": f"EUR{NBSP}13,080.23"}
DUE_MEDIUM = {"en_US": "May 15, 2025", "es_ES": "15 may 2025", "es_MX": "15 may 2025"}
FIRM_LONG = {"en_US": "August 14, 2025", "es_ES": "14 de agosto de 2025", "es_MX": "14 de agosto de 2025"}
NEXT_INSTALMENT = {"en_US": "€4,360.08", "es_ES": f"4.360,08{NBSP}€", "es_MX": f"EUR{NBSP}4,360.08"}
LOCALES = tuple(TOTAL)
TEMPLATE_LOCALE = {"en_US": "en", "es_ES": "es", "es_MX": "es_419"}


def _all_text(message: Message) -> str:
    return "\n".join([message.subject, message.text, message.html])


@pytest.mark.parametrize(("stage", "locale", "kind"), list(itertools.product(BUILTIN_STAGES, LOCALES, BUILTIN_KINDS)))
def test_every_stage_renders_with_formatted_figures(stage: str, locale: str, kind: str) -> None:
    message = RENDERER.render(make_notice(stage=stage, locale=locale), kind)
    text = _all_text(message)
    assert message.metadata["template"] == f"{TEMPLATE_LOCALE[locale]}/{kind}/{stage}.txt"
    assert "{{" not in text and "{%" not in text
    if kind == "sms" and stage in ("plan_confirmation", "instalment_reminder"):
        # These short messages quote the instalment, not the whole debt.
        assert NEXT_INSTALMENT[locale] in text
    else:
        assert TOTAL[locale] in text
    if kind != "sms":
        # Emails, letters and call scripts list the invoices with their due dates.
        assert DUE_MEDIUM[locale] in text
        assert "F-2025-101" in text and "F-2025-117" in text
    if kind in ("email", "letter"):
        assert message.subject.strip()
    if kind == "email":
        assert message.html.startswith("<!DOCTYPE html>")
        assert message.recipient == "pagos@pena.example, admin@pena.example"
    if kind == "letter":
        assert message.recipient.splitlines()[0] == "Construcciones Peña S.A."
        assert message.metadata["letter"]["debt"]["totals"][-1][1] == TOTAL[locale]
    if kind in ("sms", "call"):
        assert message.recipient == "+34 600 111 222"


@pytest.mark.parametrize(("stage", "locale", "kind"), list(itertools.product(BUILTIN_STAGES, LOCALES, BUILTIN_KINDS)))
def test_every_stage_renders_without_optional_figures(stage: str, locale: str, kind: str) -> None:
    """No interest, no plan, no firm date, no pay link: every template copes."""
    message = RENDERER.render(make_notice(stage=stage, locale=locale, full=False), kind)
    text = _all_text(message)
    assert "{{" not in text
    if not (kind == "sms" and stage in ("plan_confirmation", "instalment_reminder")):
        assert PRINCIPAL[locale] in text  # total = principal when nothing else is owed


@pytest.mark.parametrize("kind", ["email", "letter"])
@pytest.mark.parametrize("stage", ["whats_wrong", "penalty_warning", "ultimatum", "instalment_missed", "plan_breach"])
@pytest.mark.parametrize("locale", LOCALES)
def test_firm_date_is_stated(stage: str, locale: str, kind: str) -> None:
    message = RENDERER.render(make_notice(stage=stage, locale=locale), kind)
    assert FIRM_LONG[locale] in message.text


@pytest.mark.parametrize("stage", ["penalty_warning", "ultimatum"])
@pytest.mark.parametrize(
    ("locale", "rate", "segment"),
    [
        ("en_US", "10.15%", "€150.50"),
        ("es_ES", f"10,15{NBSP}%", f"150,50{NBSP}€"),
        ("es_MX", "10.15%", f"EUR{NBSP}150.50"),
    ],
)
def test_interest_is_explained_with_its_sources(stage: str, locale: str, rate: str, segment: str) -> None:
    for kind in ("email", "letter"):
        message = RENDERER.render(make_notice(stage=stage, locale=locale), kind)
        assert rate in message.text, kind
        assert segment in message.text, kind
        assert "Ley 3/2004, art. 7" in message.text, kind
    letter = RENDERER.render(make_notice(stage=stage, locale=locale), "letter").metadata["letter"]
    assert len(letter["interest"]["rows"]) == 2  # one row per rate segment


def test_ultimatum_letter_names_next_steps_in_each_language() -> None:
    en = RENDERER.render(make_notice(stage="ultimatum", locale="en_GB"), "letter").text
    assert "collection agency" in en and "legal action" in en and "suspend all services" in en
    es = RENDERER.render(make_notice(stage="ultimatum", locale="es_ES"), "letter").text
    assert "empresa especializada" in es and "procedimiento monitorio" in es
    assert "interrupción de la prescripción" in es
    mx = RENDERER.render(make_notice(stage="ultimatum", locale="es_MX"), "letter").text
    assert "agencia de cobranza" in mx and "acciones legales" in mx
    assert "monitorio" not in mx  # a Spanish procedure, not Latin American


@pytest.mark.parametrize("kind", BUILTIN_KINDS)
@pytest.mark.parametrize("stage", BUILTIN_STAGES)
def test_latin_american_texts_use_regional_vocabulary(stage: str, kind: str) -> None:
    text = _all_text(RENDERER.render(make_notice(stage=stage, locale="es_CO", currency="COP"), kind)).lower()
    for word in ("importe", "recobro", "justificante", "vosotros", "costes", "intereses de demora"):
        assert word not in text, word


@pytest.mark.parametrize("kind", ["email", "letter"])
@pytest.mark.parametrize("stage", BUILTIN_STAGES)
def test_spanish_notices_address_the_client_as_usted(stage: str, kind: str) -> None:
    text = RENDERER.render(make_notice(stage=stage, locale="es_ES"), kind).text
    assert "Estimado cliente:" in text
    assert "Dear" not in text and "Invoice" not in text


def test_thank_you_says_the_account_is_up_to_date_when_nothing_is_owed() -> None:
    notice = make_notice(stage="thank_you", locale="es_ES", full=False)
    settled = tuple(attrs.evolve(line, open=Money("0", "EUR")) for line in notice.lines)
    notice = attrs.evolve(notice, lines=settled, principal=Money("0", "EUR"))
    message = RENDERER.render(notice, "email")
    assert "al corriente de pago" in message.text
    assert "Detalle de la deuda" not in message.text  # no table of settled invoices
    assert "las facturas F-2025-101, F-2025-117" in message.text


def test_unknown_channel_kinds_use_the_sms_text() -> None:
    whatsapp = RENDERER.render(make_notice(stage="oops", locale="es_ES"), "whatsapp")
    sms = RENDERER.render(make_notice(stage="oops", locale="es_ES"), "sms")
    assert whatsapp.text == sms.text
    assert whatsapp.channel == "whatsapp" and whatsapp.metadata["kind"] == "sms"


def test_message_carries_key_and_json_safe_figures() -> None:
    notice = make_notice(stage="oops", locale="en_US")
    message = render_notice(notice, "email")
    assert (message.key, message.tenant, message.debtor_id, message.stage) == (
        notice.key,
        "acme",
        "D-042",
        "oops",
    )
    assert message.locale == "en_US"
    assert message.metadata["figures"]["total_due"] == {"amount": "13445.98", "currency": "EUR"}
    assert message.metadata["figures"]["firm_date"] == FIRM.isoformat()


def test_html_escapes_debtor_data() -> None:
    notice = make_notice(stage="oops", locale="en_US")
    notice = attrs.evolve(notice, extra={"contact_name": "<script>alert(1)</script>"})
    message = RENDERER.render(notice, "email")
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert "<script>alert(1)</script>" in message.text  # plain text is not HTML


# -- overrides ----------------------------------------------------------------------------


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_override_folder_wins_over_the_builtin(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "es/email/oops.txt",
        "{% block subject %}Aviso de {{ creditor.name }}{% endblock %}"
        "{% block message %}Hola, le debe {{ total_due|money }} desde el {{ due_date|date }}.{% endblock %}",
    )
    renderer = NoticeRenderer(override_dirs=[tmp_path])
    message = renderer.render(make_notice(stage="oops", locale="es_ES"), "email")
    assert message.subject == "Aviso de Suministros Ibéricos S.L."
    assert message.text.startswith(f"Hola, le debe 13.445,98{NBSP}€ desde el 15 de mayo de 2025.")
    assert message.metadata["template"] == "es/email/oops.txt"
    # The other stages still come from the built-in templates.
    assert "Estimado cliente" in renderer.render(make_notice(stage="whats_wrong", locale="es_ES"), "email").text


def test_more_specific_builtin_locale_beats_a_less_specific_override(tmp_path: Path) -> None:
    _write(tmp_path, "es/sms/oops.txt", "override {{ total_due|money }}")
    renderer = NoticeRenderer(override_dirs=[tmp_path])
    assert renderer.render(make_notice(stage="oops", locale="es_ES"), "sms").text.startswith("override")
    # es_MX resolves es_MX → es_419 → es: the built-in es_419 text is more specific.
    mexican = renderer.render(make_notice(stage="oops", locale="es_MX"), "sms")
    assert mexican.metadata["template"] == "es_419/sms/oops.txt"


def test_new_stage_from_an_override_folder(tmp_path: Path) -> None:
    _write(tmp_path, "en/sms/second_nudge.txt", "Second nudge: {{ total_due|money }}")
    renderer = NoticeRenderer(override_dirs=[tmp_path])
    notice = make_notice(stage="oops", locale="en_GB")
    message = renderer.render(attrs.evolve(notice, template="second_nudge"), "sms")
    assert message.text == "Second nudge: €13,445.98\n"


# -- failures -----------------------------------------------------------------------------


def _renderer(templates: dict[str, str], **kwargs: object) -> NoticeRenderer:
    return NoticeRenderer(loader=jinja2.DictLoader(templates), **kwargs)  # type: ignore[arg-type]


def _assert_named(error: RenderError, template: str) -> None:
    assert error.template == template
    assert error.stage == "oops" and error.locale == "es_ES" and error.debtor_id == "D-042"
    assert template in str(error) and "D-042" in str(error) and "oops" in str(error)


def test_syntax_error_is_a_render_error_and_does_not_fall_back(tmp_path: Path) -> None:
    _write(tmp_path, "es/email/oops.txt", "{% block subject %}Hola {{ debtor.name {% endblock %}")
    with pytest.raises(RenderError, match="syntax error at line 1") as info:
        NoticeRenderer(override_dirs=[tmp_path]).render(make_notice(stage="oops"), "email")
    _assert_named(info.value, "es/email/oops.txt")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{{ debtor.nmae }}", "undefined"),
        ("{{ no_such_variable }}", "undefined"),
        ("{{ 1 // 0 }}", "ZeroDivisionError"),
        ("{{ total_due + 1 }}", "TypeError"),
    ],
)
def test_runtime_failures_are_render_errors(body: str, reason: str) -> None:
    renderer = _renderer({"es/sms/oops.txt": body}, include_builtin=True)
    with pytest.raises(RenderError, match=reason) as info:
        renderer.render(make_notice(stage="oops"), "sms")
    _assert_named(info.value, "es/sms/oops.txt")


def test_missing_template_is_a_render_error() -> None:
    notice = make_notice(stage="oops")
    with pytest.raises(RenderError, match=r"no template for stage 'nonexistent'"):
        RENDERER.render(attrs.evolve(notice, template="nonexistent"), "email")


def test_missing_required_block_is_a_render_error() -> None:
    renderer = _renderer({"es/email/oops.txt": "{% block message %}hola{% endblock %}"})
    with pytest.raises(RenderError, match="missing block"):
        renderer.render(make_notice(stage="oops"), "email")


class _SteppingClock:
    """A fake monotonic clock: each reading is 10 ms later (no real time involved)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.readings = 0

    def __call__(self) -> float:
        self.readings += 1
        self.now += 0.01
        return self.now


def test_a_slow_template_exceeds_the_time_limit() -> None:
    renderer = _renderer(
        {"es/sms/oops.txt": "{% for i in range(5000) %}{{ i }}{% endfor %}done"},
        limits=RenderLimits(max_seconds=20),
        clock=_SteppingClock(),
    )
    # Every output chunk reads the clock: 5000 readings x 10 ms = 50 s > 20 s.
    with pytest.raises(RenderError, match="time limit of 20 s") as info:
        renderer.render(make_notice(stage="oops"), "sms")
    _assert_named(info.value, "es/sms/oops.txt")


def test_the_same_template_renders_within_a_generous_limit() -> None:
    renderer = _renderer(
        {"es/sms/oops.txt": "{% for i in range(50) %}{{ i }}{% endfor %}"},
        limits=RenderLimits(max_seconds=20),
        clock=_SteppingClock(),
    )
    assert renderer.render(make_notice(stage="oops"), "sms").text == "".join(map(str, range(50))) + "\n"


@pytest.mark.parametrize(
    "body",
    [
        "{% for i in range(100000) %}0123456789{% endfor %}",
        "{{ 'x' * 1000000000 }}",
        "{{ 'x'|center(1000000000) }}",
        "{{ 'x'.ljust(1000000000) }}",
        "{{ '%0999999999d' % 1 }}",
    ],
)
def test_an_oversized_output_is_refused(body: str) -> None:
    renderer = _renderer({"es/sms/oops.txt": body}, limits=RenderLimits(max_chars=10_000))
    with pytest.raises(RenderError, match=r"size limit|would build") as info:
        renderer.render(make_notice(stage="oops"), "sms")
    _assert_named(info.value, "es/sms/oops.txt")


@pytest.mark.parametrize(
    "body",
    [
        "{{ debtor.__class__.__mro__ }}",
        "{{ ''.__class__.__subclasses__() }}",
        "{{ total_due.__init__.__globals__ }}",
        "{{ invoices.append(1) }}",
        "{{ debtor.update(name='x') }}",
        "{{ range.__init__.__globals__ }}",
        "{{ '{0.__class__}'.format(debtor) }}",
        "{{ debtor|attr('__class__') }}",
    ],
)
def test_sandbox_blocks_unsafe_access(body: str) -> None:
    renderer = _renderer({"es/sms/oops.txt": body})
    with pytest.raises(RenderError) as info:
        renderer.render(make_notice(stage="oops"), "sms")
    assert info.value.reason.startswith("sandbox refused:")
    assert "is unsafe" in info.value.reason


class _RecordingChannel:
    name = "recording"
    honours_idempotency = True

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)


def test_nothing_is_sent_when_rendering_fails() -> None:
    renderer = _renderer({"es/sms/oops.txt": "{{ broken.value }}"})
    channel = _RecordingChannel()
    failures: list[RenderError] = []
    try:
        channel.send(renderer.render(make_notice(stage="oops"), "sms"))
    except RenderError as error:
        failures.append(error)
    assert channel.sent == [] and len(failures) == 1


def test_render_limits_are_validated() -> None:
    from cobrokit.errors import ValidationError

    with pytest.raises(ValidationError):
        RenderLimits(max_seconds=0)
    with pytest.raises(ValidationError):
        RenderLimits(max_chars=0)


# -- plugins ------------------------------------------------------------------------------


class _BrandingPlugin:
    @hookimpl
    def cobrokit_template_context(self, notice: object) -> dict[str, str]:
        return {"brand": "ACME Cobros", "agency_name": "Recobros del Sur"}

    @hookimpl
    def cobrokit_payment_link(self, notice: object) -> str:
        return "https://pay.example/override"


class _LaterPlugin:
    @hookimpl
    def cobrokit_template_context(self, notice: object) -> dict[str, str]:
        return {"brand": "Later wins"}


def test_plugins_add_context_and_the_pay_link(tmp_path: Path) -> None:
    host = get_plugin_host(
        autoload=False, builtins=(), plugins=[("branding", _BrandingPlugin()), ("later", _LaterPlugin())]
    )
    notice = make_notice(stage="handoff", locale="es_ES")
    assert collect_template_context(host, notice) == {
        "brand": "Later wins",
        "agency_name": "Recobros del Sur",
    }
    assert payment_link(host, notice) == "https://pay.example/override"
    _write(tmp_path, "es/sms/handoff.txt", "{{ extra.brand }} · {{ pay_link }} · {{ extra.agency_name }}")
    message = render_with_plugins(host, notice, "sms", renderer=NoticeRenderer(override_dirs=[tmp_path]))
    assert message.text == "Later wins · https://pay.example/override · Recobros del Sur\n"
    # The built-in handoff email names the agency a plugin provided.
    assert "Recobros del Sur" in render_with_plugins(host, notice, "email").text


def test_without_plugins_the_notice_pay_link_is_kept() -> None:
    host = get_plugin_host(autoload=False, builtins=())
    notice = make_notice(stage="oops", locale="en_US")
    assert payment_link(host, notice) is None
    assert "https://pay.example/acme/D-042" in render_with_plugins(host, notice, "email").text


def test_plugin_context_cannot_replace_top_level_figures() -> None:
    context = build_context(make_notice(), extra_context={"total_due": "0"})
    assert context["total_due"] == Money("13445.98", "EUR")
    assert context["extra"]["total_due"] == "0"


def test_context_exposes_plan_next_and_previous_instalments() -> None:
    context = build_context(make_notice(as_of=dt.date(2025, 9, 15)))
    assert context["plan"]["previous"]["due_date"] == dt.date(2025, 8, 31)
    assert context["plan"]["next"]["number"] == 2
    assert context["plan"]["total"] == Money("13080.23", "EUR")  # 4360.08 + 4360.08 + 4360.07
