"""The first-party backend plugins are installed next to cobrokit and show up through their entry points."""

from __future__ import annotations

from pathlib import Path

import pytest

from cobrokit.plugins import get_plugin_host

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("alegra", "beancount", "erpnext", "holded", "odoo", "quickbooks", "stripe", "xero")


@pytest.mark.parametrize("name", BACKENDS)
def test_plugin_is_installed_and_registers_its_backend(name: str) -> None:
    host = get_plugin_host(environ={})
    plugins = {info.name: info for info in host.plugins()}
    assert plugins[name].distribution == f"cobrokit-{name}" and not plugins[name].builtin
    backend = host.backends()[name]
    assert backend.summary and backend.settings


@pytest.mark.parametrize("name", BACKENDS)
def test_plugin_distribution_is_complete(name: str) -> None:
    folder = ROOT / "plugins" / f"cobrokit-{name}"
    pyproject = (folder / "pyproject.toml").read_text(encoding="utf-8")
    assert "[project.entry-points.cobrokit]" in pyproject
    assert f'{name} = "cobrokit_{name}.plugin"' in pyproject
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "## Settings" in readme and "## What was verified" in readme
    assert (folder / "src" / f"cobrokit_{name}" / "py.typed").exists()
    assert f"-e plugins/cobrokit-{name}" in (ROOT / "requirements-dev.txt").read_text(encoding="utf-8")


def test_the_beancount_plugin_depends_on_beancount() -> None:
    pyproject = (ROOT / "plugins" / "cobrokit-beancount" / "pyproject.toml").read_text(encoding="utf-8")
    assert '"beancount>=3.0"' in pyproject
