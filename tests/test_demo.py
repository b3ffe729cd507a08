"""`cobrokit demo`: the README's first command, end to end."""

import datetime as dt
import email
from email import policy
from pathlib import Path

import pytest
from pypdf import PdfReader

from cobrokit.cli import main
from cobrokit.demo import run_demo
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
    letters = sorted((folder / "outbox" / "letters").glob("*ultimatum*.pdf"))
    assert letters
    text = "".join(page.extract_text() for page in PdfReader(letters[0]).pages)
    assert "Talleres Demo SL" in text and "€" in text
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
