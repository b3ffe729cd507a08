"""Built-in plugin: registers the shipped late-payment interest regimes.

The regimes themselves live in the pure core (:func:`cobrokit.interest.builtin_regimes`);
this plugin only announces them through ``cobrokit_register_regimes`` so that
:meth:`cobrokit.plugins.PluginHost.regimes` lists built-in and third-party regimes
together and refuses duplicate names. Block it with
``COBROKIT_BLOCK_PLUGINS=builtin.regimes`` to replace every shipped regime.
"""

from __future__ import annotations

from collections.abc import Iterable

from cobrokit.interest.regimes import Regime, builtin_regimes
from cobrokit.plugins.markers import hookimpl

__all__ = ["cobrokit_register_regimes"]


@hookimpl
def cobrokit_register_regimes() -> Iterable[Regime]:
    """The shipped regimes: es-commercial, es-legal, eu-directive, uk-late-payment,
    mx-commercial, mx-civil, co-usury and contractual."""
    return list(builtin_regimes().values())
