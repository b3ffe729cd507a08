"""``cobrokit interest``: JSON shape, readable output, one-line errors, plugin regimes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from types import SimpleNamespace

import pytest

import cobrokit.cli.interest as cli_interest
from cobrokit.cli import main
from cobrokit.errors import DuplicateNameError
from cobrokit.interest import Regime, builtin_regimes, eu_directive_regime
from cobrokit.plugins import PluginHost, get_plugin_host, hookimpl

BASE = [
    "interest",
    "--regime",
    "es-commercial",
    "--principal",
    "25000",
    "--currency",
    "EUR",
    "--due",
    "2024-05-15",
    "--until",
    "2024-08-14",
]


@pytest.fixture(autouse=True)
def _no_third_party_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COBROKIT_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([*BASE, "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == [
        "regime",
        "currency",
        "days_late",
        "day_count",
        "interest",
        "interest_outstanding",
        "principal_outstanding",
        "compensation",
        "total_due",
        "segments",
        "sources",
    ]
    # see test_es_commercial_half_year_boundary for the arithmetic
    assert data["regime"] == "es-commercial"
    assert data["days_late"] == 91
    assert data["day_count"] == "act/act"
    assert data["interest"] == "769.30"
    assert data["principal_outstanding"] == "25000.00"
    assert data["compensation"] == "40.00"
    assert data["total_due"] == "25809.30"
    assert data["segments"][0] == {
        "start": "2024-05-16",
        "end": "2024-06-30",
        "days": 46,
        "annual_rate": "12.50",
        "base": "25000.00",
        "interest": "392.76",
    }
    assert all(isinstance(s, str) for s in data["sources"])


def test_json_with_payment_and_day_count(capsys: pytest.CaptureFixture[str]) -> None:
    # EUR 10,000 due 31 Jan 2024, 5,000 paid 1 Mar (see test_partial_payment_interest_first)
    code, out, _ = run(
        [
            "interest",
            "--regime",
            "es-commercial",
            "--principal",
            "10000",
            "--currency",
            "EUR",
            "--due",
            "2024-01-31",
            "--until",
            "2024-03-31",
            "--payment",
            "2024-03-01:5000",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    figures = [data[k] for k in ("interest", "interest_outstanding", "principal_outstanding", "total_due")]
    assert figures == ["154.74", "52.28", "5102.46", "5194.74"]
    # contractual 8.5 %, ACT/365, GBP 1,000 for 50 days = 11.64 (gov.uk example at full precision)
    code, out, _ = run(
        [
            "interest",
            "--regime",
            "contractual",
            "--principal",
            "1000",
            "--currency",
            "GBP",
            "--due",
            "2025-01-31",
            "--until",
            "2025-03-22",
            "--rate",
            "8.5",
            "--day-count",
            "act/365",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    assert json.loads(out)["interest"] == "11.64"
    assert json.loads(out)["segments"][0]["annual_rate"] == "8.50"


def test_readable_breakdown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(BASE, capsys)
    assert code == 0
    assert "interest from 16 May to 30 June at 12.50 %: EUR 392.76" in out
    assert "total due: EUR 25809.30" in out
    assert "Ley 3/2004" in out


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"--until": "2024-05-01"}, "before the due date"),
        ({"--principal": "-10"}, "must be positive"),
        ({"--principal": "10.001"}, "decimals"),
        ({"--regime": "xx-nowhere"}, "unknown regime 'xx-nowhere'"),
        ({"--until": "2026-08-14"}, "2026-H2"),
        ({"--currency": "EURO"}, "ISO 4217"),
        ({"--due": "15/05/2024"}, "ISO date"),
        ({"--day-count": "bus/252"}, "day count"),
        ({"--rate": "-3"}, "negative"),
        ({"--payment": "2024-09-01:100"}, "after the end date"),
        ({"--payment": "2024-07-01"}, "YYYY-MM-DD:AMOUNT"),
        ({"--payment": "2024-07-01:-5"}, "positive"),
        ({"--regime": "contractual"}, "--rate"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    change: dict[str, str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = list(BASE)
    for flag, value in change.items():
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert needle in err


class AcmePlugin:
    """A third-party plugin adding a country through the hook."""

    @staticmethod
    @hookimpl
    def cobrokit_register_regimes() -> Iterable[Regime]:
        return [
            eu_directive_regime(
                "fr-commercial",
                margin=Decimal("10"),
                country="FR",
                sources=("Code de commerce art. L441-10",),
            )
        ]


def test_plugin_regime_through_the_host_and_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def host(**_: object) -> PluginHost:
        return get_plugin_host(plugins=[("acme", AcmePlugin)], autoload=False)

    assert set(builtin_regimes()) <= set(host().regimes())
    monkeypatch.setattr(cli_interest, "get_plugin_host", host)
    # ECB MRO 4.50 on 1 Jan 2024 + 10 = 14.50 %: 25000 × 0.145 × 46/366 = 166750/366 = 455.601092… → 455.60
    argv = [
        "interest",
        "--regime",
        "fr-commercial",
        "--principal",
        "25000",
        "--currency",
        "EUR",
        "--due",
        "2024-05-15",
        "--until",
        "2024-06-30",
        "--json",
    ]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["segments"][0]["annual_rate"] == "14.50"
    assert data["interest"] == "455.60"
    assert "Code de commerce art. L441-10" in data["sources"]


def test_duplicate_regime_names_are_refused() -> None:
    duplicate = SimpleNamespace(cobrokit_register_regimes=hookimpl(lambda: [builtin_regimes()["es-legal"]]))
    host = get_plugin_host(plugins=[("copycat", duplicate)], autoload=False)
    with pytest.raises(DuplicateNameError, match="es-legal"):
        host.regimes()


# -- a month the co-usury table lacks: the message says how to supply it, and that works ------

CO = ["interest", "--regime", "co-usury", "--principal", "5000.00", "--currency", "COP", "--due", "2024-12-15"]


def test_missing_month_message_lists_the_covered_months_and_a_working_remedy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run([*CO, "--until", "2025-01-10"], capsys)
    assert code == 2 and out == ""
    assert err == (
        "cobrokit: error: co-usury: no published rate for the month 2024-12 (2024-12-01 to 2024-12-31); "
        "the table covers 2024-01 to 2024-02, 2025-01, 2025-07 to 2025-08, 2025-10 to 2026-02; "
        "supply it with --period-rate 2024-12=PCT (cobrokit interest), "
        '[interest.rates.co-usury] "2024-12" = "PCT" in cobrokit.toml, '
        "or extra_rates={'2024-12': Decimal(...)} in Python\n"
    )
    # an agreed rate is only compared with the cap, so --rate alone cannot fill the gap
    code, _, err = run([*CO, "--until", "2025-01-10", "--rate", "20"], capsys)
    assert code == 2 and "no published rate for the month 2024-12" in err

    # follow the advice: the option the message quotes, with a value for PCT
    advice = err.split("supply it with ", 1)[1].split(" (cobrokit interest)", 1)[0]
    assert advice == "--period-rate 2024-12=PCT"
    flag, value = advice.replace("PCT", "25.00").split(" ")
    code, out, err = run([*CO, "--until", "2025-01-10", flag, value, "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    # EA → daily: (1 + EA)^(1/365) − 1. December 16-31 (16 days) at the supplied 25.00 %:
    #   1.25^(1/365) − 1 = 0.000611539109… × 5000 × 16 = 48.92312…
    # January 1-10 (10 days) at the table's 24.89 %: 1.2489^(1/365) − 1 = 0.000609125616… × 5000 × 10
    #   = 30.45628…; summed unrounded 79.37940… → 79.38
    assert [(s["start"], s["annual_rate"]) for s in data["segments"]] == [
        ("2024-12-16", "25.00"),
        ("2025-01-01", "24.89"),
    ]
    assert data["interest"] == "79.38"
    assert "rate 2024-12: 25.00 % (supplied by the caller)" in data["sources"]

    # with an agreed rate above the supplied cap, December is capped at it and flagged
    code, out, err = run([*CO, "--until", "2025-01-10", "--rate", "30", "--period-rate", "2024-12=25.00"], capsys)
    assert code == 0
    assert "exceeds the usury cap 25.00 % EA for 2024-12" in err


def test_every_missing_month_is_named_and_can_be_supplied_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([*CO, "--until", "2025-03-10"], capsys)
    assert code == 2
    assert "also missing: 2025-02, 2025-03" in err
    advice = err.split("supply it with ", 1)[1].split(" (cobrokit interest)", 1)[0]
    assert advice == "--period-rate 2024-12=PCT --period-rate 2025-02=PCT --period-rate 2025-03=PCT"
    code, out, err = run([*CO, "--until", "2025-03-10", *advice.replace("PCT", "25.00").split(" ")], capsys)
    assert code == 0, err
    # three supplied months at 25.00 % and January from the table at 24.89 %
    assert out.count("at 25.00 %") == 3 and out.count("at 24.89 %") == 1


def test_the_cobrokit_toml_and_python_remedies_work_too() -> None:
    import datetime as dt
    import tomllib

    from cobrokit.interest import MissingRateError, compute_interest, get_regime
    from cobrokit.ladder.config import default_config_text, parse_config
    from cobrokit.money import Money

    regime = get_regime("co-usury")
    principal, due, until = Money("5000.00", "COP"), dt.date(2024, 12, 15), dt.date(2025, 1, 10)
    with pytest.raises(MissingRateError) as info:
        compute_interest(regime, principal, due, until)
    # the TOML the message quotes, put in the [interest] table of the starter cobrokit.toml
    snippet = str(info.value).split("(cobrokit interest), ", 1)[1].split(" in cobrokit.toml", 1)[0]
    assert snippet == '[interest.rates.co-usury] "2024-12" = "PCT"'
    table, entry = snippet.split("] ", 1)
    text = default_config_text() + f"\n{table}]\n{entry.replace('PCT', '25.00')}\n"  # appended as a TOML table
    config = parse_config(tomllib.loads(text))
    from_config = compute_interest(regime, principal, due, until, extra_rates=config.rates_for("co-usury"))
    from_python = compute_interest(regime, principal, due, until, extra_rates={"2024-12": Decimal("25.00")})
    # same hand computation as the CLI test above: 48.92312… + 30.45628… = 79.37940… → 79.38
    assert from_config.interest == from_python.interest == Money("79.38", "COP")


@pytest.mark.parametrize(
    ("value", "field"),
    [("2024-12", "value"), ("2024-13=2", "period"), ("2024-12=abc", "rate"), ("2024-12=-1", "rate")],
)
def test_bad_period_rate_is_one_line(value: str, field: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([*CO, "--until", "2025-01-10", "--period-rate", value], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"cobrokit: error: --period-rate {value}: {field}: ") and err.count("\n") == 1
