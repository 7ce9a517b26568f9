"""What a metric may say about an SQL statement: its operation and its main table, nothing else.

Both come from the statement text SQLAlchemy already has (no second parse of parameters), memoised
per distinct statement string. Operations are a closed set; table names are code, not user data,
but are still admitted first-come up to a bound so a program that builds table names at run time
cannot grow the series without limit.
"""

from __future__ import annotations

import re

from qf_otel_instrumentation._bounded import BoundedMemo, FirstComeValues, count_fold

_OPERATION_WORDS = (
    "SELECT INSERT UPDATE DELETE MERGE UPSERT REPLACE WITH CREATE DROP ALTER TRUNCATE BEGIN "
    "COMMIT ROLLBACK SAVEPOINT RELEASE PRAGMA SET SHOW EXPLAIN CALL EXEC EXECUTE VACUUM ANALYZE "
    "GRANT REVOKE LOCK COPY LISTEN NOTIFY DECLARE FETCH CLOSE"
)
OPERATIONS = frozenset(_OPERATION_WORDS.split())
OTHER = "other"

_LEADING = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*(\w+)", re.DOTALL)
_IDENT = r"((?:[`\"\[]?[\w$]+[`\"\]]?\.)?[`\"\[]?[\w$]+[`\"\]]?)"
_FROM = re.compile(r"\bFROM\s+" + _IDENT, re.IGNORECASE)
_INTO = re.compile(r"\bINTO\s+" + _IDENT, re.IGNORECASE)
_TABLE_AFTER = {
    "SELECT": _FROM,
    "DELETE": _FROM,
    "INSERT": _INTO,
    "REPLACE": _INTO,
    "MERGE": _INTO,
    "UPDATE": re.compile(r"^\s*UPDATE\s+(?:OR\s+\w+\s+)?" + _IDENT, re.IGNORECASE),
    "CREATE": re.compile(r"\bTABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?" + _IDENT, re.IGNORECASE),
    "DROP": re.compile(r"\bTABLE\s+(?:IF\s+EXISTS\s+)?" + _IDENT, re.IGNORECASE),
    "ALTER": re.compile(r"\bTABLE\s+" + _IDENT, re.IGNORECASE),
    "TRUNCATE": re.compile(r"^\s*TRUNCATE\s+(?:TABLE\s+)?" + _IDENT, re.IGNORECASE),
}
_TABLES = FirstComeValues(500, key="db.collection.name")


def _describe(statement: str) -> tuple[str, str | None]:
    match = _LEADING.match(statement)
    operation = match.group(1).upper() if match else OTHER
    if operation not in OPERATIONS:
        count_fold("db.operation.name")  # once per distinct statement: the result is memoised
        return OTHER, None
    finder = _TABLE_AFTER.get(operation)
    found = finder.search(statement) if finder else None
    if found is None:
        return operation, None
    table = found.group(1)
    for quote in '`"[]':
        table = table.replace(quote, "")
    if table.upper() in ("SELECT", "("):  # FROM (SELECT ...): no single table
        return operation, None
    return operation, _TABLES(table)


describe = BoundedMemo(_describe, limit=4096)
