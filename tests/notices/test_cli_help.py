"""Help texts read as written: argparse's ``%`` escaping never shows."""

from __future__ import annotations

import pytest

from cobrokit.cli import main


def test_plan_discount_help_says_percent_once(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["plan", "discount", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(2 % off if paid within 10 days of the invoice date" in text
    assert "%%" not in text
