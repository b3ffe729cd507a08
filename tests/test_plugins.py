"""The plugin host: built-ins through the same hooks, entry points, blocking, broken plugins."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cobrokit.backend import BackendType
from cobrokit.channel import ChannelType, DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import DuplicateNameError, PluginError
from cobrokit.plugins import PluginLoadWarning, get_plugin_host, hookimpl


class FakeChannel:
    name = "pigeon"
    honours_idempotency = False

    def send(self, message: Message) -> DeliveryReceipt:
        return DeliveryReceipt(DeliveryStatus.SENT, provider_id="coo")


class PigeonPlugin:
    @hookimpl
    def cobrokit_register_channels(self):  # type: ignore[no-untyped-def]
        return [ChannelType(name="pigeon", factory=lambda settings: FakeChannel())]


class SecondSqlite:
    @hookimpl
    def cobrokit_register_backends(self):  # type: ignore[no-untyped-def]
        return [BackendType(name="sqlite", factory=lambda s: None)]  # type: ignore[arg-type,return-value]


def test_builtin_backend_is_registered_through_the_hook() -> None:
    host = get_plugin_host(autoload=False)
    assert "sqlite" in host.backends()
    info = {i.name: i for i in host.plugins()}["builtin.sqlite_backend"]
    assert info.builtin and "cobrokit_register_backends" in info.hooks


def test_each_call_builds_a_fresh_manager() -> None:
    one = get_plugin_host(autoload=False, plugins=[("pigeon", PigeonPlugin())])
    two = get_plugin_host(autoload=False)
    assert "pigeon" in one.channels() and "pigeon" not in two.channels()
    assert one.channel("pigeon").send(None).provider_id == "coo"  # type: ignore[arg-type]


def test_duplicate_names_are_refused_naming_both_providers() -> None:
    host = get_plugin_host(autoload=False, plugins=[("acme-sqlite", SecondSqlite())])
    with pytest.raises(DuplicateNameError) as err:
        host.backends()
    assert err.value.providers == ("builtin.sqlite_backend", "acme-sqlite")
    assert "builtin.sqlite_backend" in str(err.value) and "acme-sqlite" in str(err.value)


def test_blocking_by_argument_and_environment() -> None:
    host = get_plugin_host(autoload=False, plugins=[("pigeon", PigeonPlugin())], blocked=["pigeon"])
    assert "pigeon" not in host.channels()
    host = get_plugin_host(autoload=False, environ={"COBROKIT_BLOCK_PLUGINS": "builtin.sqlite_backend"})
    assert host.backends() == {}


def test_wrong_type_from_a_registration_hook() -> None:
    class Bad:
        @hookimpl
        def cobrokit_register_channels(self):  # type: ignore[no-untyped-def]
            return [{"name": "dict-channel"}]

    host = get_plugin_host(autoload=False, plugins=[("bad", Bad())])
    with pytest.raises(PluginError, match="plugin 'bad': cobrokit_register_channels returned dict"):
        host.channels()


def test_unknown_backend_lists_known_ones() -> None:
    with pytest.raises(PluginError, match="unknown backend 'odoo'; installed backends: sqlite"):
        get_plugin_host(autoload=False).backend("odoo")


def _install_fake_distribution(site: Path, name: str, module_source: str, entry: str) -> None:
    """A real distribution on sys.path: a module plus a .dist-info with entry_points.txt."""
    (site / f"{name}.py").write_text(textwrap.dedent(module_source), encoding="utf-8")
    info = site / f"{name}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[cobrokit]\n{entry} = {name}\n", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")


GOOD_PLUGIN = """
from cobrokit.plugins import hookimpl
from cobrokit.channel import ChannelType

@hookimpl
def cobrokit_register_channels():
    return [ChannelType(name="carrier-pigeon", factory=lambda settings: None, summary="coo")]
"""


def test_external_plugin_is_discovered_through_its_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_fake_distribution(tmp_path, "cobrokit_pigeon", GOOD_PLUGIN, "pigeon")
    _install_fake_distribution(tmp_path, "cobrokit_broken", "raise RuntimeError('boom at import')\n", "broken")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(PluginLoadWarning, match="'broken'.*boom at import"):
        host = get_plugin_host(environ={})
    assert "carrier-pigeon" in host.channels()  # the rest loaded
    info = {i.name: i for i in host.plugins()}["pigeon"]
    assert (info.distribution, info.version, info.builtin) == ("cobrokit_pigeon", "1.2.3", False)
    assert host.load_errors and host.load_errors[0][0] == "broken"
    # the environment switch turns autoload off
    quiet = get_plugin_host(environ={"COBROKIT_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert "carrier-pigeon" not in quiet.channels()


def test_cobrokit_plugins_command_in_a_real_process(tmp_path: Path) -> None:
    _install_fake_distribution(tmp_path, "cobrokit_pigeon", GOOD_PLUGIN, "pigeon")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("COBROKIT_DISABLE_PLUGIN_AUTOLOAD", None)
    out = subprocess.run(
        [sys.executable, "-m", "cobrokit", "plugins"], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "pigeon  (cobrokit_pigeon 1.2.3)" in out
    assert "cobrokit_register_channels" in out
    assert "carrier-pigeon" in out
