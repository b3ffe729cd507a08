"""The docs stay true to the code."""

import re
from pathlib import Path

from cobrokit.plugins import hookspecs
from cobrokit.plugins.docs import render_hook_reference

ROOT = Path(__file__).resolve().parents[1]


def test_hook_reference_is_up_to_date() -> None:
    current = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    assert current == render_hook_reference(), "run: python -m cobrokit.plugins.docs > docs/hooks.md"


def test_every_hookspec_is_documented_and_prefixed() -> None:
    for name in dir(hookspecs):
        function = getattr(hookspecs, name)
        if callable(function) and getattr(function, "cobrokit_spec", None) is not None:
            assert name.startswith("cobrokit_"), name
            assert function.__doc__ and len(function.__doc__.strip()) > 40, name


def test_readme_quick_start_has_two_commands_and_ci_runs_the_test_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [
        line.strip()
        for block in re.findall(r"```[a-z]*\n(.*?)```", section, re.S)
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert len(commands) == 2
    assert "cobrokit demo" in commands[0]
    assert "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_cli_reference_is_up_to_date() -> None:
    from cobrokit.cli.reference import render_cli_reference

    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == render_cli_reference(), "run: python -m cobrokit.cli.reference > docs/cli.md"
