"""pluggy markers for the ``cobrokit`` project."""

import pluggy

PROJECT = "cobrokit"
"""The pluggy project name and the entry-point group plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT)
"""Marks a hook specification (cobrokit's own use)."""

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a hook implementation in a plugin: ``@hookimpl def cobrokit_register_backends(): …``."""
