"""Attribute and value discipline for qf-otel's own meters.

Every attribute our meters export has a closed set of values (or, for `error.type`, a bound on how
many distinct values are admitted). Anything else is folded to ``"other"`` and counted in
``qf.otel.attribute.folded``, so a typo or a user id passed as a component name can never explode
the number of series. Values that make no sense for an instrument (NaN, a negative increment, a
ratio outside [0, 1], a string) are not recorded; they are counted in ``qf.otel.record.rejected``
and logged once per (metric, reason). Nothing here raises into the application.

Users extend the extensible sets through configuration (``allowed_values``), which the foundation's
``configure()`` hands to :func:`extend`.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from numbers import Real
from typing import Literal, ParamSpec, TypeVar

from qf_otel._recording import Counter

_log = logging.getLogger("qf_otel.meters")

OTHER = "other"
_MAX = sys.float_info.max
MAX_VALUE_LENGTH = 64

# Attribute keys of the domain meters (the catalog in docs/metrics.md lists their values).
QUANTUM_SYSTEM = "qf.quantum.system"
QUANTUM_ALGORITHM = "qf.quantum.algorithm"
OUTCOME = "qf.outcome"
TRANSACTION_TYPE = "qf.transaction.type"
TRANSACTION_STATUS = "qf.transaction.status"
CURRENCY = "currency"
COMPONENT = "qf.component"
ERROR_TYPE = "error.type"
SECURITY_EVENT_TYPE = "qf.security.event.type"
SECURITY_SEVERITY = "qf.security.severity"
AUTH_METHOD = "qf.auth.method"
AUTH_OUTCOME = "qf.auth.outcome"
# Attribute keys of the two self-metrics below.
FOLDED_KEY = "qf.otel.attribute.key"
REJECTED_METRIC = "qf.otel.metric.name"
REJECTED_REASON = "reason"

Reason = Literal["wrong_type", "nan", "infinite", "negative", "out_of_range", "internal_error"]
REASONS: tuple[Reason, ...] = (
    "wrong_type", "nan", "infinite", "negative", "out_of_range", "internal_error",
)

# ISO 4217 codes of currencies in circulation (funds, precious metals and test codes left out);
# a service that takes other units (e.g. crypto) adds them through `allowed_values`.
ISO_4217 = (
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF",
    "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD",
    "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP",
    "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR",
    "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB",
    "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD",
    "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU",
    "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR",
    "ZMW", "ZWG",
)


@dataclass
class Vocabulary:
    """The allowed values of one attribute key."""

    key: str
    description: str
    values: set[str]
    extensible: bool
    # For open-ended keys (exception names): how many values outside `values` may be admitted,
    # first come first served, and what they must look like. 0 = a plain closed set.
    admit_limit: int = 0
    admit_pattern: re.Pattern[str] | None = None
    admitted: set[str] = field(default_factory=set)

    def allowed(self) -> tuple[str, ...]:
        """The configured values, sorted (admitted ones are not listed: they vary per process)."""
        return tuple(sorted(self.values))


_lock = threading.Lock()
_vocabularies: dict[str, Vocabulary] = {}
_generation = 0


def define(
    key: str,
    values: Iterable[str],
    *,
    description: str,
    extensible: bool,
    admit_limit: int = 0,
    admit_pattern: str | None = None,
) -> Vocabulary:
    """Declare the allowed values of an attribute key (module level, at import time)."""
    vocabulary = Vocabulary(
        key=key,
        description=description,
        values={OTHER, *values},
        extensible=extensible,
        admit_limit=admit_limit,
        admit_pattern=re.compile(admit_pattern) if admit_pattern else None,
    )
    with _lock:
        _vocabularies[key] = vocabulary
    return vocabulary


def vocabularies() -> list[Vocabulary]:
    with _lock:
        return sorted(_vocabularies.values(), key=lambda v: v.key)


def get(key: str) -> Vocabulary | None:
    return _vocabularies.get(key)


def extend(key: str, values: Iterable[str]) -> None:
    """Add allowed values to an extensible key; ValueError naming the key or value otherwise.

    Recorders bound earlier with a value that folded then rebind on their next use.
    """
    vocabulary = _vocabularies.get(key)
    if vocabulary is None:
        known = ", ".join(sorted(_vocabularies))
        raise ValueError(f"allowed_values: unknown attribute key {key!r} (known: {known})")
    if not vocabulary.extensible:
        raise ValueError(
            f"allowed_values: attribute key {key!r} has a fixed set of values "
            f"{sorted(vocabulary.values)} and cannot be extended"
        )
    if isinstance(values, str):
        raise ValueError(f"allowed_values[{key!r}]: expected a list of values, got a string")
    checked = []
    for value in values:
        if not isinstance(value, str) or not value or len(value) > MAX_VALUE_LENGTH:
            raise ValueError(
                f"allowed_values[{key!r}]: bad value {value!r} "
                f"(need a non-empty string of at most {MAX_VALUE_LENGTH} characters)"
            )
        checked.append(value)
    global _generation
    with _lock:
        vocabulary.values.update(checked)
        _generation += 1


def generation() -> int:
    """Changes whenever allowed values are extended (kept recorders that folded then rebind)."""
    return _generation


# --- the two self-metrics -------------------------------------------------------------------

FOLDED = Counter(
    "qf.otel.attribute.folded",
    unit="{value}",
    description="Attribute values outside their allowed set, exported as 'other' instead.",
    attributes=(FOLDED_KEY,),
    scope="qf_otel.meters",
)
REJECTED = Counter(
    "qf.otel.record.rejected",
    unit="{record}",
    description="Recordings dropped because the value was invalid (NaN, negative, wrong type, "
    "out of range) or recording failed internally.",
    attributes=(REJECTED_METRIC, REJECTED_REASON),
    scope="qf_otel.meters",
)

_logged: set[tuple[str, str]] = set()


def _log_once(kind: str, subject: str, message: str, *args: object) -> None:
    # The set only grows by (metric or key) x reason, both from closed sets: bounded.
    if (kind, subject) in _logged:
        return
    _logged.add((kind, subject))
    _log.warning(message + " (logged once)", *args)


def fold(key: str, value: object) -> str:
    """`value` if allowed for `key`, else "other" (counted, logged once per key)."""
    vocabulary = _vocabularies[key]
    if value.__class__ is str:
        if value in vocabulary.values or value in vocabulary.admitted:
            return value  # type: ignore[return-value]
        if vocabulary.admit_limit and _admit(vocabulary, value):  # type: ignore[arg-type]
            return value  # type: ignore[return-value]
    FOLDED.series(key).add(1)
    _log_once(
        "fold", key, "qf-otel: value %.40r of attribute %s is not in its allowed set; "
        "exported as 'other' (extend it with allowed_values)", value, key,
    )
    return OTHER


def _admit(vocabulary: Vocabulary, value: str) -> bool:
    pattern = vocabulary.admit_pattern
    if pattern is not None and not pattern.fullmatch(value):
        return False
    with _lock:
        if len(vocabulary.admitted) >= vocabulary.admit_limit:
            return False
        vocabulary.admitted.add(value)
    return True


def reject(metric: str, reason: Reason, value: object = None) -> None:
    """Count a dropped recording; log it once per (metric, reason). Never raises."""
    try:
        REJECTED.series(metric, reason).add(1)
        _log_once(
            metric, reason, "qf-otel: %s not recorded: %s (value %.40r)", metric, reason, value
        )
    except Exception:  # pragma: no cover - the counter itself failing must not reach the app
        pass


def internal_error(metric: str) -> None:
    """Called from the meters' catch-all: a bug of ours is logged once and counted, not raised."""
    try:
        REJECTED.series(metric, "internal_error").add(1)
        if (metric, "internal_error") not in _logged:
            _logged.add((metric, "internal_error"))
            _log.exception("qf-otel: recording %s failed (logged once)", metric)
    except Exception:  # pragma: no cover
        pass


P = ParamSpec("P")
R = TypeVar("R")


def guarded(metric: str) -> Callable[[Callable[P, R]], Callable[P, R | None]]:
    """Wraps a recording function (the meters' public ones, the instrumentation's hooks) so that
    a bug of ours is counted by `internal_error` and the call returns None instead of raising."""

    def decorate(function: Callable[P, R]) -> Callable[P, R | None]:
        @functools.wraps(function)
        def guarded_function(*args: P.args, **kwargs: P.kwargs) -> R | None:
            try:
                return function(*args, **kwargs)
            except Exception:
                internal_error(metric)
                return None

        return guarded_function

    return decorate


def error_type_name(exc_type: type[BaseException]) -> str:
    """The conventions' `error.type` of an exception class: its fully qualified name, builtins
    bare (`TimeoutError`, `redis.exceptions.ConnectionError`); the meters and the
    instrumentation both name errors this way."""
    module = exc_type.__module__
    return exc_type.__qualname__ if module == "builtins" else f"{module}.{exc_type.__qualname__}"


# --- value checks ---------------------------------------------------------------------------

def number(
    metric: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    below: Reason = "negative",
) -> float | None:
    """`value` as a finite float within bounds, or None after counting why it was rejected.

    `below` is the reason for a value under `minimum`: "negative" for counters and durations
    (the usual mistake: a decrement sent to a counter), "out_of_range" for ratios.
    """
    kind = value.__class__
    if kind is float:
        result: float = value  # type: ignore[assignment]
        if (minimum is None or result >= minimum) and (maximum is None or result <= maximum) \
                and -_MAX <= result <= _MAX:
            return result  # the common case, without the ABC checks below
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        reject(metric, "wrong_type", value)
        return None
    try:
        result = float(value)
    except (OverflowError, ValueError):  # an int beyond float range, a signalling Decimal NaN
        reject(metric, "out_of_range", value)
        return None
    if math.isnan(result):
        reject(metric, "nan", value)
    elif math.isinf(result):
        reject(metric, "infinite", value)
    elif minimum is not None and result < minimum:
        reject(metric, below, value)
    elif maximum is not None and result > maximum:
        reject(metric, "out_of_range", value)
    else:
        return result
    return None


# --- the domain vocabularies ----------------------------------------------------------------

define(
    QUANTUM_SYSTEM, ("simulator", "qpu-a", "qpu-b", "qpu-c"),
    description="The quantum processor or simulator a value is about.", extensible=True,
)
define(
    QUANTUM_ALGORITHM,
    ("vqe", "qaoa", "grover", "shor", "qft", "qpe", "hhl", "qsvm", "annealing", "simulation"),
    description="The quantum algorithm run.", extensible=True,
)
define(
    OUTCOME, ("success", "failure"),
    description="failure when the run raised, success otherwise.", extensible=False,
)
define(
    TRANSACTION_TYPE,
    ("purchase", "subscription", "renewal", "refund", "transfer", "deposit", "withdrawal",
     "payout"),
    description="What kind of business transaction.", extensible=True,
)
define(
    TRANSACTION_STATUS, ("success", "failure", "pending", "cancelled"),
    description="How the transaction ended.", extensible=False,
)
define(
    CURRENCY, ISO_4217,
    description="ISO 4217 code of the amount's currency.", extensible=True,
)
define(
    COMPONENT,
    ("api", "db", "cache", "queue", "storage", "auth", "scheduler", "quantum", "external"),
    description="The part of the service a health value is about.", extensible=True,
)
define(
    ERROR_TYPE, (),
    description="Exception class name; the first 50 distinct names (identifiers, at most 64 "
    "characters) are admitted per process, later ones fold.",
    extensible=True, admit_limit=50, admit_pattern=r"[A-Za-z_][A-Za-z0-9_.]{0,63}",
)
define(
    SECURITY_EVENT_TYPE,
    ("brute_force", "credential_stuffing", "injection_attempt", "xss_attempt", "csrf_violation",
     "rate_limited", "access_denied", "privilege_escalation", "suspicious_ip", "invalid_token",
     "account_locked", "malware_detected"),
    description="What kind of security event.", extensible=True,
)
define(
    SECURITY_SEVERITY, ("info", "low", "medium", "high", "critical"),
    description="Severity of the security event.", extensible=False,
)
define(
    AUTH_METHOD,
    ("password", "api_key", "oauth", "oidc", "saml", "mfa", "certificate", "token", "passkey",
     "magic_link"),
    description="How the client authenticated.", extensible=True,
)
define(
    AUTH_OUTCOME, ("success", "failure"),
    description="Whether the authentication attempt succeeded.", extensible=False,
)
define(
    REJECTED_REASON, REASONS,
    description="Why a recording was dropped.", extensible=False,
)
