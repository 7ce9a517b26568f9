"""What may leave the process in a span: query strings, URLs, headers and SQL, redacted.

Metrics never carry any of these (their attributes are templates and closed sets); this module is
only for span attributes, which by the conventions carry the URL and the statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from qf_otel_instrumentation._bounded import BoundedMemo

REDACTED = "REDACTED"

# Header values that are credentials whatever the user asked to capture.
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-auth-token"}
)


def redact_query(query: str, keys: frozenset[str]) -> str:
    """`a=1&token=x` -> `a=1&token=REDACTED` for every key (case-insensitive) in `keys`.

    The pairs are rewritten in place, not re-encoded, so what is kept reads as it was sent.
    """
    if not query:
        return query
    parts = query.split("&")
    for index, part in enumerate(parts):
        key, sep, _ = part.partition("=")
        if sep and unquote_plus(key).strip().lower() in keys:
            parts[index] = f"{key}={REDACTED}"
    return "&".join(parts)


def redact_url(url: str, keys: frozenset[str]) -> str:
    """Drops user:password from the authority and redacts query values, as the conventions ask."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}:{REDACTED}@" + netloc.rpartition("@")[2]
    return urlunsplit(
        (parts.scheme, netloc, parts.path, redact_query(parts.query, keys), parts.fragment)
    )


def header_attributes(
    prefix: str, wanted: Iterable[str], headers: Iterable[tuple[bytes, bytes]]
) -> dict[str, list[str]]:
    """Span attributes for the headers the user chose to capture (`http.request.header.<name>`)."""
    names = {name.lower() for name in wanted}
    found: dict[str, list[str]] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1").lower()
        if name in names:
            value = REDACTED if name in SENSITIVE_HEADERS else raw_value.decode("latin-1")
            found.setdefault(f"{prefix}.{name}", []).append(value)
    return found


# SQL literals: quoted strings (with '' escapes), dollar-quoted bodies, hex/binary blobs,
# and numbers that stand alone (not part of an identifier such as t1 or a placeholder like $1).
_SQL_LITERAL = re.compile(
    r"""
      '(?:[^']|'')*'?               # 'string' (unterminated counts too)
    | \$(?P<tag>\w*)\$.*?\$(?P=tag)\$  # $$dollar quoted$$
    | \b[xXbB]'[0-9a-fA-F]*'       # x'ff' / b'01'
    | (?<![\w$:?@])[-+]?\b\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b  # 42, -1.5, 1e9
    | \bTRUE\b | \bFALSE\b
    """,
    re.VERBOSE | re.DOTALL | re.IGNORECASE,
)


def _sanitize(statement: str) -> str:
    return _SQL_LITERAL.sub("?", statement)


_sanitized = BoundedMemo(_sanitize, limit=1024)


def sanitize_sql(statement: str) -> str:
    """The statement with every literal replaced by `?`, for `db.query.text` on spans."""
    return _sanitized(statement)
