import tomllib
from pathlib import Path

import pytest

from cobrokit.cli import main
from cobrokit.errors import ConfigError
from cobrokit.ladder.config import default_config, default_config_text, load_config, parse_config


def _with(replace: str, by: str) -> dict:  # type: ignore[type-arg]
    text = default_config_text()
    assert replace in text
    return tomllib.loads(text.replace(replace, by, 1))


def test_default_ladder_follows_the_seeds() -> None:
    ladder = default_config().ladders[0]
    assert [(s.id, s.offset) for s in ladder.stages] == [
        ("courtesy", -7),
        ("oops", 1),
        ("whats_wrong", 15),
        ("penalty_warning", 22),
        ("ultimatum", 30),
        ("suspension", 45),
        ("handoff", 60),
        ("legal", 90),
    ]
    assert ladder.stages[4].channels == ("letter",)  # the ultimatum is a letter
    assert ladder.stages[2].channels[0] == "call"  # a phone call first, then email
    assert ladder.stages[5].action == "suspend_service"
    # the agency at +60, the lawyer at +90, each with the case file
    assert [(s.action, s.handoff_to) for s in ladder.stages[6:]] == [("handoff", "agency"), ("handoff", "legal")]


def test_handoff_to_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"stages\[7\].handoff_to: 'police' is not one of agency, legal"):
        parse_config(_with('handoff_to = "legal"', 'handoff_to = "police"'))
    with pytest.raises(ConfigError, match=r'stages\[4\].handoff_to: only a stage with action = "handoff"'):
        parse_config(_with('id = "ultimatum"', 'id = "ultimatum"\n  handoff_to = "legal"'))


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ('tone = "formal"', 'tone = "angry"', r"ladders\[0\].stages\[4\].tone: 'angry' is not one of"),
        ("offset = 22", "offset = 50", r"ladders\[0\].stages: offsets must strictly increase"),
        (
            'catch_up = "current"',
            'catch_up = "all"',
            r"run.catch_up: 'all' is not one of current, replay, skip",
        ),
        (
            'window = ["08:00", "21:00"]',
            'window = ["21:00", "08:00"]',
            "guardrails.window: the window must start",
        ),
        ("min_gap_days = 3", "min_gap_days = 3\nmin_gap = 2", r"guardrails: unknown key\(s\): min_gap"),
        ("offset = -7", 'offset = "-7"', r"stages\[0\].offset: expected int, got str"),
        ('breach_resume = "penalty_warning"', 'breach_resume = "nope"', "has no stage 'nope'"),
        (
            'fee = { fixed = "15.00", currency = "EUR" }',
            'fee = { fixed = "15,00" }',
            r"fee.fixed: .*decimal point",
        ),
    ],
)
def test_bad_values_name_their_path(replace: str, by: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(_with(replace, by))


def test_ladders_are_chosen_per_debtor_by_tag() -> None:
    data = tomllib.loads(default_config_text())
    vip = dict(data["ladders"][0], name="vip", tags=["vip"])
    vip["stages"] = [s for s in vip["stages"] if s["id"] in ("oops", "penalty_warning")]
    data["ladders"] = [vip, *data["ladders"]]
    config = parse_config(data)
    assert config.ladder_for(frozenset({"vip"})).name == "vip"
    assert config.ladder_for(frozenset({"retail"})).name == "default"


def test_first_contact_max_must_name_a_stage_and_caps_ladders_without_it() -> None:
    import datetime as dt

    from cobrokit.ladder.decide import OpenInvoice, Position, decide

    with pytest.raises(ConfigError, match=r"run.first_contact_max: no ladder has a stage 'whats-wrong'"):
        parse_config(_with('first_contact_max = "whats_wrong"', 'first_contact_max = "whats-wrong"'))
    data = tomllib.loads(default_config_text())
    vip = dict(data["ladders"][0], name="vip", tags=["vip"])
    vip["stages"] = [s for s in vip["stages"] if s["id"] in ("oops", "penalty_warning", "ultimatum")]
    data["ladders"] = [vip, *data["ladders"]]
    config = parse_config(data)
    ladder = config.ladder_for(frozenset({"vip"}))
    due = dt.date(2026, 1, 5)
    old_debt = Position("t", "D1", "EUR", [OpenInvoice("F1", due, due, 100, 100)], tags=frozenset({"vip"}))
    decision = decide(old_debt, ladder, config, dt.date(2026, 4, 1))  # 86 days overdue, first contact
    # "what's wrong?" is at +15 in the default ladder; the vip ladder's last stage by then is "oops"
    assert [a.stage for a in decision.actions if a.kind == "notice"] == ["oops"]


def test_a_repeat_needs_its_cap() -> None:
    with pytest.raises(ConfigError, match=r"stages\[2\].repeat_max: repeat_every needs repeat_max"):
        parse_config(_with('id = "whats_wrong"', 'id = "whats_wrong"\n  repeat_every = 3'))


def test_init_writes_a_config_that_loads_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "cobrokit.toml"
    assert main(["init", "--path", str(target)]) == 0
    written, default = load_config(target), default_config()
    assert (written.ladders, written.run, written.guardrails, written.creditor) == (
        default.ladders,
        default.run,
        default.guardrails,
        default.creditor,
    )
    with pytest.raises(SystemExit, match="exists; use --force"):
        main(["init", "--path", str(target)])
    target.write_text("[run\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(target)
