"""Typed access to an adapter's settings, with errors that name the adapter and the setting.

Backends and channels receive their settings as a plain mapping: from ``cobrokit.toml``
(typed TOML values) or from the command line (``cobrokit sync --setting page_size=50``,
where every value is a string). :class:`Settings` reads both the same way::

    s = Settings(settings, "xero", known=SETTINGS)     # unknown names are refused
    tenant_id = s.text("tenant_id")                    # required
    page_size = s.integer("page_size", 100, maximum=100)
    token = s.secret("access_token")                   # via access_token_env

Secrets are only ever read through :func:`cobrokit.http.secret_from_env`: the settings name
an environment variable (``access_token_env = "XERO_ACCESS_TOKEN"``), never the secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cobrokit.errors import ConfigError
from cobrokit.http import secret_from_env

__all__ = ["Settings"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class Settings:
    """A read-only view of one adapter's settings.

    Args:
        settings: the raw mapping.
        provider: the adapter name, used in error messages (``"xero"``).
        known: when given, every setting name must be one of these (a typo such as
            ``pagesize`` is refused instead of silently ignored).
        environ: where :meth:`secret` reads variables (default: ``os.environ``).

    Raises:
        ConfigError: an unknown setting name.
    """

    def __init__(
        self,
        settings: Mapping[str, Any],
        provider: str,
        *,
        known: Iterable[str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.raw = dict(settings)
        self.provider = provider
        self.environ = environ
        if known is not None:
            allowed = set(known)
            # a secret put in the settings itself (``api_key`` next to a known ``api_key_env``)
            # is left to :meth:`secret`, whose message says to use an environment variable
            unknown = sorted(k for k in self.raw if k not in allowed and f"{k}_env" not in allowed)
            if unknown:
                raise ConfigError(
                    f"{provider}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}"
                )

    def _fail(self, name: str, reason: str) -> ConfigError:
        return ConfigError(f"{self.provider}: setting {name!r} {reason}")

    def has(self, name: str) -> bool:
        """True when *name* is set to a non-empty value."""
        value = self.raw.get(name)
        return value is not None and str(value).strip() != ""

    def text(self, name: str, default: str | None = None) -> str:
        """A string setting; required when *default* is ``None``."""
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if default is None:
                raise self._fail(name, "is required")
            return default
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self._fail(name, f"must be a string, got {type(value).__name__}")
        return str(value).strip()

    def integer(self, name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
        """A whole number in ``[minimum, maximum]`` (``"50"`` and ``50`` both work)."""
        value = self.raw.get(name, default)
        text = str(value).strip()
        if isinstance(value, bool) or not text.lstrip("-").isdigit():
            raise self._fail(name, f"must be a whole number, got {value!r}")
        number = int(text)
        if number < minimum or (maximum is not None and number > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise self._fail(name, f"must be at least {minimum}{upper}, got {number}")
        return number

    def flag(self, name: str, default: bool) -> bool:
        """A boolean (``true``/``false``, ``yes``/``no``, ``1``/``0``)."""
        value = self.raw.get(name, default)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self._fail(name, f"must be true or false, got {value!r}")

    def choice(self, name: str, choices: Sequence[str], default: str) -> str:
        """One of *choices*."""
        value = self.text(name, default)
        if value not in choices:
            raise self._fail(name, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def strings(self, name: str, default: Sequence[str] = ()) -> tuple[str, ...]:
        """A list of strings: a TOML array, or a comma-separated string."""
        value = self.raw.get(name)
        if value is None:
            return tuple(default)
        if isinstance(value, str):
            return tuple(p.strip() for p in value.split(",") if p.strip())
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(v.strip() for v in value if v.strip())
        raise self._fail(name, f"must be a list of strings, got {value!r}")

    def secret(self, name: str) -> str:
        """The secret *name*, read from the environment variable named by ``<name>_env``."""
        return secret_from_env(self.raw, name, environ=self.environ)
