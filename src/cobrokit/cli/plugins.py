"""``cobrokit plugins``: installed plugins, versions and hooks."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cobrokit.plugins import get_plugin_host


def register(sub: Any) -> None:
    """Add the ``plugins`` command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "plugins",
        help="list installed plugins",
        description="List plugins with version and implemented hooks.",
    )
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit plugins``."""
    host = get_plugin_host()
    infos = host.plugins()
    if args.json:
        json.dump(
            {
                "plugins": [
                    {
                        "name": i.name,
                        "distribution": i.distribution,
                        "version": i.version,
                        "builtin": i.builtin,
                        "hooks": list(i.hooks),
                    }
                    for i in infos
                ],
                "backends": sorted(host.backends()),
                "channels": sorted(host.channels()),
                "load_errors": [{"plugin": n, "error": e} for n, e in host.load_errors],
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    for info in infos:
        origin = "built-in" if info.builtin else f"{info.distribution} {info.version}".strip()
        print(f"{info.name}  ({origin})")
        for hook in info.hooks:
            print(f"    {hook}")
    print(f"\nbackends: {', '.join(host.backends()) or 'none'}")
    print(f"channels: {', '.join(host.channels()) or 'none'}")
    for name, error in host.load_errors:
        print(f"failed to load: {name}: {error}", file=sys.stderr)
    return 0
