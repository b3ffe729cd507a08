"""Every example runs as its README says: each script is run with this venv's python, offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.slow


def run_example(name: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "COBROKIT_"))}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name / "run.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_example_has_a_readme_and_a_script() -> None:
    names = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    assert names == ["custom_backend", "freelancer_beancount", "saas_stripe", "spanish_sme"]
    for name in names:
        readme = (EXAMPLES / name / "README.md").read_text(encoding="utf-8")
        assert f"examples/{name}/run.py" in readme


def test_freelancer_beancount() -> None:
    out = run_example("freelancer_beancount")
    assert "invoices: 3 new" in out and "credit notes: 1 new" in out
    # 2025-001: 1210.00 − 500.00 paid − 60.50 credit note = 649.50 EUR, 61–90 days late on 15 April
    assert re.search(r"TOTAL EUR\s+0\.00\s+0\.00\s+0\.00\s+649\.50\s+0\.00\s+0\.00\s+649\.50", out)
    assert re.search(r"TOTAL USD\s+0\.00\s+2500\.00", out)
    # 65 days late: an old debt starts at "what's wrong?"; 6 days late: "oops"
    assert "talleres-ruiz EUR: notice whats_wrong via email [2025-001]" in out
    assert "northwind USD: notice oops via email [2025-003]" in out
    # the dry run's "journal: skipped 1" comes with its line and reason
    assert "journal: skipped 1" in out
    assert "talleres-ruiz EUR: skipped oops — catch-up policy 'current': missed step not sent" in out


def test_saas_stripe_suspends_then_restores() -> None:
    out = run_example("saas_stripe")
    lines = out.splitlines()
    suspension = next(i for i, line in enumerate(lines) if line.startswith("2025-03-15:"))  # due 1 March + 14
    assert "suspend_service suspension" in lines[suspension]
    assert "pause_collection[behavior]='void'" in lines[suspension + 1]
    paid = next(i for i, line in enumerate(lines) if line.startswith("2025-03-18: sync closed in_1NubeA0001"))
    assert paid > suspension and "restore_service thank_you" in lines[paid]
    assert "pause_collection=''" in lines[paid + 1]
    assert "suspend_service: stripe: paused collection (void) of sub_1NubeA" in out
    assert "restore_service: stripe: resumed collection of sub_1NubeA" in out
    assert "carries Stripe's hosted invoice page" in out


def test_spanish_sme_burofax_and_interest(tmp_path: Path) -> None:
    out = run_example("spanish_sme", "--out", str(tmp_path))
    assert "2025-02-14: Construcciones Levante SL: ultimatum via letter" in out  # due 15 January + 30 days
    assert "2025-02-12: Hostal Norte SL: courtesy via email" in out  # clients by name, not Holded id tails
    (letter,) = tmp_path.glob("*ultimatum*.pdf")
    assert letter.read_bytes().startswith(b"%PDF")
    # 2420.00 × 11.15 % × 166/365 = 122.72; 2420.00 × 10.15 % × 184/365 = 123.82; sum 246.54
    assert "interest from 16 January to 30 June at 11.15 %: EUR 122.72" in out
    assert "interest from 1 July to 31 December at 10.15 %: EUR 123.82" in out
    assert "interest accrued: EUR 246.54" in out and "fixed recovery compensation: EUR 40.00" in out


def test_custom_backend() -> None:
    out = run_example("custom_backend")
    assert "backends: inhouse, sqlite" in out
    assert "skipped invoice A-2025-004" in out and "invoices: 3 new" in out and "payments: 2 new" in out
    assert "invoices: 3 new, 0 updated, 0 unchanged, 1 skipped" in out  # the warned row is counted
    # A-2025-001: 1210.00 − 500.00 = 710.00 EUR; A-2025-002 paid in full
    assert re.search(r"TOTAL EUR\s+0\.00\s+0\.00\s+0\.00\s+710\.00", out)
