"""The plugin host: built-ins through the same hooks, entry points, blocking, broken plugins."""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import cobrokit
from cobrokit.backend import BackendType
from cobrokit.channel import ChannelType, DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import DuplicateNameError, PluginError
from cobrokit.plugins import PluginHost, PluginLoadWarning, get_plugin_host, hookimpl
from cobrokit.plugins.manager import PluginInfo


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


def test_blocked_plugins_are_listed_as_blocked_and_unknown_names_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_fake_distribution(tmp_path, "cobrokit_pigeon", GOOD_PLUGIN, "pigeon")
    monkeypatch.syspath_prepend(str(tmp_path))
    host = get_plugin_host(environ={"COBROKIT_BLOCK_PLUGINS": "pigeon, builtin.email, no-such-plugin"})
    infos = {i.name: i for i in host.plugins()}
    # pluggy lists a blocked name with no plugin object: it must not come out as an empty entry
    assert infos["pigeon"] == PluginInfo("pigeon", "cobrokit_pigeon", "1.2.3", (), False, blocked=True)
    assert infos["builtin.email"] == PluginInfo(
        "builtin.email", "cobrokit", cobrokit.__version__, (), True, blocked=True
    )
    assert "no-such-plugin" not in infos
    assert host.unmatched_blocks() == ["no-such-plugin"]
    assert not infos["builtin.letter"].blocked and infos["builtin.letter"].hooks
    assert "carrier-pigeon" not in host.channels() and "email" not in host.channels()


def test_cobrokit_plugins_text_shows_versions_and_blocked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cobrokit.cli import main

    monkeypatch.setenv("COBROKIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("COBROKIT_BLOCK_PLUGINS", "builtin.email,twilo")
    assert main(["plugins"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    version = cobrokit.__version__
    assert f"builtin.letter  (built-in, cobrokit {version})" in lines
    assert f"builtin.email  (built-in, cobrokit {version}, blocked)" in lines
    # a blocked plugin implements nothing: the next line is the next plugin, not a hook
    after = lines[lines.index(f"builtin.email  (built-in, cobrokit {version}, blocked)") + 1]
    assert after.startswith("builtin.")
    assert not any(line.startswith("twilo") for line in lines)
    assert err == "cobrokit: warning: COBROKIT_BLOCK_PLUGINS names 'twilo', which matches no installed plugin\n"
    assert main(["plugins", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    email = next(p for p in data["plugins"] if p["name"] == "builtin.email")
    assert (email["blocked"], email["version"], email["hooks"]) == (True, version, [])
    assert data["unmatched_blocks"] == ["twilo"]


def test_manager_docstrings_name_real_plugins_and_hooks() -> None:
    from cobrokit.plugins import hookspecs, manager

    names = {i.name for i in get_plugin_host(autoload=False).plugins()}
    documented = set(re.findall(r"``(builtin\.\w+)``", manager.__doc__ or ""))
    assert documented and documented <= names
    for hook in re.findall(r"host\.hook\.(\w+)\(", (PluginHost.hook.__doc__ or "")):
        assert callable(getattr(hookspecs, hook, None)), hook
