"""Typed errors raised by cobrokit.

Every validation failure names the *record* (``invoice INV-7``, ``line 12``) and the
*field* (``due_date``) so that a user can find and fix the bad input. The hierarchy::

    CobrokitError
    ├── ValidationError            bad input for one record and one field
    │   ├── InvalidAmountError     negative, zero, float or too many decimals
    │   ├── UnknownCurrencyError   not an ISO 4217 code
    │   ├── MalformedDateError     not an ISO date
    │   ├── DateOrderError         e.g. due date before issue date
    │   ├── DuplicateIdError       the same id twice
    │   ├── UnknownReferenceError  a payment for an unknown invoice, …
    │   └── CurrencyMismatchError  amounts in different currencies combined
    ├── ImportRejectedError        a CSV import with bad rows (carries every row error)
    ├── ConflictError              a changed record where ``--update`` was not given
    │   └── ChangedRecordError     … in an import row: also a ValidationError (record and field)
    ├── PluginError                plugin loading or registration problems
    │   └── DuplicateNameError     two plugins register the same name
    ├── ConfigError                bad configuration
    ├── StoreError                 the embedded store cannot be opened or migrated
    ├── RenderError                a notice template failed or exceeded its limits
    └── AdapterError               a backend or channel failed talking to its provider
        ├── AuthError, RateLimitedError, TransientError, PermanentError
        └── MalformedResponseError (a PermanentError: the provider's body is not what it documents)
    SignatureError                 an inbound webhook/callback whose signature does not verify
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AdapterError",
    "AuthError",
    "ChangedRecordError",
    "CobrokitError",
    "ConfigError",
    "ConflictError",
    "CurrencyMismatchError",
    "DateOrderError",
    "DuplicateIdError",
    "DuplicateNameError",
    "ImportRejectedError",
    "InvalidAmountError",
    "MalformedDateError",
    "MalformedResponseError",
    "PermanentError",
    "PluginError",
    "RateLimitedError",
    "RenderError",
    "SignatureError",
    "StoreError",
    "TransientError",
    "UnknownCurrencyError",
    "UnknownReferenceError",
    "ValidationError",
]


class CobrokitError(Exception):
    """Base class of every error cobrokit raises on purpose."""


class ValidationError(CobrokitError, ValueError):
    """Bad input: names the record and the field.

    Attributes:
        record: a human-readable name of the record, e.g. ``"invoice INV-7"``.
        field: the offending field, e.g. ``"due_date"``.
        reason: what is wrong, in one short sentence.
    """

    def __init__(self, record: str, field: str, reason: str) -> None:
        self.record = record
        self.field = field
        self.reason = reason
        super().__init__(f"{record}: {field}: {reason}")

    def __reduce__(self) -> tuple[type[ValidationError], tuple[str, str, str]]:
        return (type(self), (self.record, self.field, self.reason))


class InvalidAmountError(ValidationError):
    """An amount that is negative, zero where it must be positive, a float, or finer
    than the currency's minor unit."""


class UnknownCurrencyError(ValidationError):
    """A currency code that is not an active ISO 4217 code."""


class MalformedDateError(ValidationError):
    """A date that is not an ISO ``YYYY-MM-DD`` date."""


class DateOrderError(ValidationError):
    """Two dates in the wrong order (due date before issue date, …)."""


class DuplicateIdError(ValidationError):
    """The same id appears twice where ids must be unique."""


class UnknownReferenceError(ValidationError):
    """A reference to a record that does not exist (payment for an unknown invoice)."""


class CurrencyMismatchError(ValidationError, TypeError):
    """Amounts in different currencies were combined. cobrokit never adds them silently."""


class ImportRejectedError(CobrokitError):
    """An import found bad rows and, being all-or-nothing, imported nothing.

    Attributes:
        errors: every row error, in file order.
    """

    def __init__(self, source: str, errors: Sequence[ValidationError]) -> None:
        self.source = source
        self.errors = list(errors)
        lines = "\n".join(f"  {e}" for e in self.errors[:50])
        more = f"\n  … and {len(self.errors) - 50} more" if len(self.errors) > 50 else ""
        super().__init__(f"{source}: {len(self.errors)} invalid row(s); nothing was imported\n{lines}{more}")


class ConflictError(CobrokitError):
    """A record already exists with different values and updating was not allowed."""


class ChangedRecordError(ConflictError, ValidationError):
    """An imported row whose record is already stored with different values, and updating
    was not allowed. Both a :class:`ConflictError` and a :class:`ValidationError`: it names
    the row (``record``) and the input column that differs (``field``).
    """


class PluginError(CobrokitError):
    """A plugin could not be loaded or registered."""


class DuplicateNameError(PluginError):
    """Two plugins registered the same name for a backend, channel, regime, ….

    Attributes:
        kind: ``"backend"``, ``"channel"``, …
        name: the contested name.
        providers: the two plugin names that both provide it.
    """

    def __init__(self, kind: str, name: str, first: str, second: str) -> None:
        self.kind = kind
        self.name = name
        self.providers = (first, second)
        super().__init__(
            f"{kind} {name!r} is registered by two plugins: {first!r} and {second!r}; "
            f"block one of them with COBROKIT_BLOCK_PLUGINS={second}"
        )


class ConfigError(CobrokitError):
    """Invalid configuration (``cobrokit.toml``, environment, adapter settings)."""


class StoreError(CobrokitError):
    """The embedded store could not be opened, migrated or written."""


class RenderError(CobrokitError):
    """A notice template failed: syntax, undefined variable, runtime error, sandbox
    violation, or it exceeded the render time or output size limit. The notice is not
    sent; the caller records the error.

    Attributes:
        template: the template name (``"es/email/oops.txt"``).
        stage: the ladder stage.
        locale: the debtor's locale.
        debtor_id: the debtor the notice was for.
        reason: what went wrong, in one short sentence.
    """

    def __init__(self, template: str, stage: str, locale: str, debtor_id: str, reason: str) -> None:
        self.template = template
        self.stage = stage
        self.locale = locale
        self.debtor_id = debtor_id
        self.reason = reason
        super().__init__(f"template {template} (stage {stage}, locale {locale}, debtor {debtor_id}): {reason}")

    def __reduce__(self) -> tuple[type[RenderError], tuple[str, str, str, str, str]]:
        return (type(self), (self.template, self.stage, self.locale, self.debtor_id, self.reason))


class AdapterError(CobrokitError):
    """A backend or channel failed while talking to its provider.

    Attributes:
        provider: the adapter name (``"xero"``, ``"smtp"``).
        retryable: whether trying again later may succeed.
    """

    retryable: bool = False

    def __init__(self, provider: str, message: str) -> None:
        self.provider = provider
        super().__init__(f"{provider}: {message}")


class AuthError(AdapterError):
    """Credentials were refused (401/403). Not retryable."""


class RateLimitedError(AdapterError):
    """The provider asked us to slow down (429). ``retry_after`` is in seconds."""

    retryable = True

    def __init__(self, provider: str, message: str, retry_after: float | None = None) -> None:  # float ok: seconds
        self.retry_after = retry_after
        super().__init__(provider, message)


class TransientError(AdapterError):
    """A temporary failure (5xx, timeout, dropped connection). Retryable."""

    retryable = True


class PermanentError(AdapterError):
    """A failure that retrying will not fix (4xx other than 429, refused recipient)."""


class MalformedResponseError(PermanentError):
    """The provider answered with a body that cannot be parsed (not JSON, wrong shape).

    The message names the (redacted) URL that answered.
    """


class SignatureError(CobrokitError):
    """An inbound webhook or status callback failed signature verification.

    Nothing in it may be trusted or acted upon.
    """
