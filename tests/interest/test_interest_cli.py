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
