"""Business meters: transactions, revenue per currency, active sessions.

    from qf_otel import business
    business.record_transaction(amount=12.5, currency="EUR", kind="purchase", status="success")
    with business.session():
        ...

Revenue is the sum of the amounts of successful transactions that are not refunds, per ISO 4217
currency (never converted: a sum across currencies means nothing). Works before ``configure()``
and never raises; a call with an invalid amount records nothing and is counted as rejected.
"""

from __future__ import annotations

from types import TracebackType

from qf_otel import _vocabulary as v
from qf_otel._bound import BoundCounter, BoundUpDownCounter, Family, SyncOrAsyncBlock
from qf_otel._recording import Counter, UpDownCounter
from qf_otel._vocabulary import guarded

__all__ = ["Session", "record_transaction", "revenue", "session", "sessions_active", "transactions"]

SCOPE = "qf_otel.business"

TRANSACTIONS = Counter(
    "qf.business.transactions",
    unit="{transaction}",
    description="Business transactions, by type and final status.",
    attributes=(v.TRANSACTION_TYPE, v.TRANSACTION_STATUS),
    scope=SCOPE,
)
REVENUE = Counter(
    "qf.business.revenue",
    unit="{currency_unit}",
    description="Sum of successful non-refund transaction amounts, in the transaction's currency.",
    attributes=(v.CURRENCY,),
    scope=SCOPE,
)
SESSIONS_ACTIVE = UpDownCounter(
    "qf.business.sessions.active",
    unit="{session}",
    description="User sessions currently open.",
    scope=SCOPE,
)

_transactions = Family(TRANSACTIONS, BoundCounter)
_revenue = Family(REVENUE, BoundCounter)
_sessions = Family(SESSIONS_ACTIVE, BoundUpDownCounter)


def transactions(*, kind: str, status: str) -> BoundCounter:
    """The transaction counter for one (kind, status), bound: ``.add()`` per transaction."""
    return _transactions.keep(kind, status)


def revenue(*, currency: str) -> BoundCounter:
    """The revenue counter of one currency, bound: ``.add(amount)``."""
    return _revenue.keep(currency)


@guarded(TRANSACTIONS.name)
def record_transaction(
    *,
    kind: str,
    status: str,
    amount: float | None = None,
    currency: str | None = None,
) -> None:
    """Count one transaction; add `amount` to revenue when it succeeded and is not a refund.

    An amount needs its currency. A negative, NaN or non-numeric amount rejects the whole call.
    """
    if amount is not None:
        checked = v.number(REVENUE.name, amount, minimum=0)
        if checked is None:
            return
        if currency is None:
            v.reject(REVENUE.name, "wrong_type", currency)
            return
        if status == "success" and kind != "refund":
            _revenue.bind(currency).add(checked)
    _transactions.bind(kind, status).add(1)


def sessions_active() -> BoundUpDownCounter:
    """The active-session counter: ``.add(1)`` when one opens, ``.add(-1)`` when it closes."""
    return _sessions.keep()


class Session(SyncOrAsyncBlock):
    """Counts an open session for as long as the ``with``/``async with`` block runs."""

    __slots__ = ()

    def __enter__(self) -> Session:
        _sessions.bind().add(1)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _sessions.bind().add(-1)


def session() -> Session:
    """``with business.session(): ...`` — one active session while the block runs."""
    return Session()
