"""`cobrokit demo`: the README's first command, end to end."""

import csv
import datetime as dt
import email
import email.utils
from decimal import Decimal
from email import policy
from pathlib import Path

import pytest
from pypdf import PdfReader

from cobrokit.cli import main
from cobrokit.demo import CALL_LIST_NAME, run_demo
from cobrokit.errors import ConfigError


@pytest.mark.slow
def test_demo_runs_months_of_dunning_into_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = run_demo(folder, debtors=40, seed=3, as_of=dt.date(2026, 11, 26))
    assert "Aging as of 2026-11-26" in result.text
    # the ladder went all the way: reminders, calls, letters, thanks
    stages = {key.split("/")[0] for key in result.sent}
    assert {"courtesy", "oops", "whats_wrong", "ultimatum", "thank_you"} <= stages
    emails = sorted((folder / "outbox" / "email").glob("*.eml"))
    assert emails
    message = email.message_from_bytes(emails[0].read_bytes(), policy=policy.default)
    assert message["Message-ID"] and message["To"] and message.get_body(("plain",)) is not None
    # emails are dated on the simulated days (2026-07-26 … 2026-11-26), not on the machine's clock
    for path in emails:
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        sent_on = email.utils.parsedate_to_datetime(str(parsed["Date"])).date()
        assert dt.date(2026, 7, 26) <= sent_on <= dt.date(2026, 11, 26), path.name
    letters = sorted((folder / "outbox" / "letters").glob("*ultimatum*.pdf"))
    assert letters
    text = "".join(page.extract_text() for page in PdfReader(letters[0]).pages)
    assert "Talleres Demo SL" in text and "€" in text
    # the call list of the calls still to make, highest priority first, and counted as one file
    call_list = folder / "outbox" / "calls" / CALL_LIST_NAME
    with call_list.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with call_list.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header[:4] == ["day", "team", "position", "debtor_id"]
    # only calls still to make are listed: a first call followed by a later step (a penalty
    # warning a week on) or about a debt since paid is not; the scheduling rules (25 a day,
    # no public holidays, ranking across currencies) are tested in tests/notices
    scale = {"EUR": Decimal("1"), "USD": Decimal("0.90")}
    for day in sorted({r["day"] for r in rows}):
        today = [r for r in rows if r["day"] == day]
        assert [int(r["position"]) for r in today] == list(range(1, len(today) + 1))
        ranked = [Decimal(r["total_due"]) * scale[r["currency"]] for r in today]
        assert ranked == sorted(ranked, reverse=True)
    assert len({r["debtor_id"] for r in rows}) == len(rows)
    assert "1 call list (.csv)" in result.text and f"Call list: {len(rows)} pending call(s)" in result.text
    tasks = list((folder / "outbox" / "calls" / "tasks").glob("*.json"))
    assert len(tasks) > len(rows)  # calls already answered, or about debts since paid, are not listed
    # running it again replaces its own folder, never someone else's
    run_demo(folder, debtors=5, seed=3, as_of=dt.date(2026, 11, 26))
    other = tmp_path / "not-a-demo"
    other.mkdir()
    with pytest.raises(ConfigError, match="not a cobrokit demo folder"):
        run_demo(other, as_of=dt.date(2026, 11, 26))


def test_demo_command_refuses_a_foreign_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine").mkdir()
    assert main(["demo", "--out", str(tmp_path / "mine")]) == 2
    assert "not a cobrokit demo folder" in capsys.readouterr().err
