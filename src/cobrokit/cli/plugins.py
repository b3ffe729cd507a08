"""``cobrokit plugins``: installed plugins, versions and hooks."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cobrokit.plugins import PluginInfo, get_plugin_host


def register(sub: Any) -> None:
    """Add the ``plugins`` command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "plugins",
        help="list installed plugins",
        description="List plugins with version and implemented hooks; plugins blocked with "
        "COBROKIT_BLOCK_PLUGINS are listed as blocked.",
    )
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.set_defaults(func=run)


def describe(info: PluginInfo) -> str:
    """Where a plugin comes from: ``built-in, cobrokit 0.1.0``, ``cobrokit-twilio 1.2.0``,
    with ``, blocked`` when ``COBROKIT_BLOCK_PLUGINS`` names it.
    """
    release = f"{info.distribution} {info.version}".strip()
    parts = ["built-in"] if info.builtin else []
    if release:
        parts.append(release)
    elif not info.builtin:
        parts.append("unknown distribution")
    if info.blocked:
        parts.append("blocked")
    return ", ".join(parts)


def run(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit plugins``."""
    host = get_plugin_host()
    infos = host.plugins()
    for name in host.unmatched_blocks():
        print(
            f"cobrokit: warning: COBROKIT_BLOCK_PLUGINS names {name!r}, which matches no installed plugin",
            file=sys.stderr,
        )
    if args.json:
        json.dump(
            {
                "plugins": [
                    {
                        "name": i.name,
                        "distribution": i.distribution,
                        "version": i.version,
                        "builtin": i.builtin,
                        "blocked": i.blocked,
                        "hooks": list(i.hooks),
                    }
                    for i in infos
                ],
                "backends": sorted(host.backends()),
                "channels": sorted(host.channels()),
                "load_errors": [{"plugin": n, "error": e} for n, e in host.load_errors],
                "unmatched_blocks": host.unmatched_blocks(),
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    for info in infos:
        print(f"{info.name}  ({describe(info)})")
        for hook in info.hooks:
            print(f"    {hook}")
    print(f"\nbackends: {', '.join(host.backends()) or 'none'}")
    print(f"channels: {', '.join(host.channels()) or 'none'}")
    for name, error in host.load_errors:
        print(f"failed to load: {name}: {error}", file=sys.stderr)
    return 0
