"""cobrokit.settings: typed adapter settings from TOML values or command-line strings."""

from __future__ import annotations

import pytest

from cobrokit.errors import ConfigError
from cobrokit.settings import Settings


def test_strings_from_the_command_line_read_like_toml_values() -> None:
    cli = Settings({"page_size": "50", "sandbox": "yes", "statuses": "open, partial"}, "acme")
    toml = Settings({"page_size": 50, "sandbox": True, "statuses": ["open", "partial"]}, "acme")
    for s in (cli, toml):
        assert s.integer("page_size", 100, maximum=100) == 50
        assert s.flag("sandbox", False) is True
        assert s.strings("statuses") == ("open", "partial")
    assert Settings({}, "acme").integer("page_size", 100) == 100


@pytest.mark.parametrize(
    ("settings", "call", "message"),
    [
        ({"page_size": "0"}, lambda s: s.integer("page_size", 10), "at least 1"),
        ({"page_size": "1000"}, lambda s: s.integer("page_size", 10, maximum=100), "at most 100"),
        ({"page_size": "ten"}, lambda s: s.integer("page_size", 10), "whole number"),
        ({"sandbox": "maybe"}, lambda s: s.flag("sandbox", False), "true or false"),
        ({}, lambda s: s.text("realm_id"), "'realm_id' is required"),
        (
            {"mode": "fast"},
            lambda s: s.choice("mode", ("json2", "jsonrpc"), "json2"),
            "one of json2, jsonrpc",
        ),
    ],
)
def test_bad_values_name_the_adapter_and_the_setting(settings, call, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=message) as failure:
        call(Settings(settings, "acme"))
    assert str(failure.value).startswith("acme: setting")


def test_unknown_settings_are_refused_but_a_secret_in_the_open_gets_the_secret_message() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting.*pagesize"):
        Settings({"pagesize": 5}, "acme", known=("page_size", "api_key_env"))
    settings = Settings({"api_key": "sk_live_oops"}, "acme", known=("page_size", "api_key_env"))
    with pytest.raises(ConfigError, match="must not hold a secret") as failure:
        settings.secret("api_key")
    assert "sk_live_oops" not in str(failure.value)


def test_secrets_come_from_the_named_variable() -> None:
    settings = Settings({"api_key_env": "ACME_KEY"}, "acme", environ={"ACME_KEY": "k-123"})
    assert settings.secret("api_key") == "k-123"
    with pytest.raises(ConfigError, match="ACME_KEY"):
        Settings({"api_key_env": "ACME_KEY"}, "acme", environ={}).secret("api_key")
