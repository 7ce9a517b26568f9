"""Which semantic-conventions generation to emit, and the small closed sets they define.

qf-otel emits the *stable* HTTP and database conventions by default, unlike the contrib
instrumentations (whose default is still the old one). `OTEL_SEMCONV_STABILITY_OPT_IN` is read
the way the spec describes: `http/dup` or `database/dup` add the old instruments and span
attributes next to the stable ones, for a dashboard migration; `http` / `database` (or nothing)
mean stable only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from qf_otel._vocabulary import error_type_name
from qf_otel_instrumentation._bounded import BoundedMemo, FirstComeValues

OPT_IN_VARIABLE = "OTEL_SEMCONV_STABILITY_OPT_IN"

# Known methods per the HTTP conventions; anything else is reported as `_OTHER`, so a client
# sending made-up methods cannot grow the number of series.
KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)
OTHER_METHOD = "_OTHER"

# The one value every request that matched no route is recorded under (a real template always
# starts with "/", so it cannot collide with one).
UNMATCHED_ROUTE = "unmatched"


@dataclass(frozen=True)
class SemconvMode:
    http_old: bool = False
    database_old: bool = False


def mode_from(environ: Mapping[str, str] | None = None) -> SemconvMode:
    raw = (os.environ if environ is None else environ).get(OPT_IN_VARIABLE, "")
    tokens = {token.strip().lower() for token in raw.split(",") if token.strip()}
    return SemconvMode(http_old="http/dup" in tokens, database_old="database/dup" in tokens)


def method_attribute(method: str) -> str:
    return method if method in KNOWN_METHODS else OTHER_METHOD


# Exception classes come from code, not from users, but there is no closed list of them: the first
# 100 distinct names are kept, later ones fold to `other`; each class is named once.
_ERROR_NAMES = FirstComeValues(100, key="error.type")
_error_name_of = BoundedMemo[type[BaseException], str](
    lambda exc_type: _ERROR_NAMES(error_type_name(exc_type)), limit=1000)


def error_type(exc: BaseException) -> str:
    """`error.type` for an exception: its qualified class name, bounded."""
    return _error_name_of(type(exc))
