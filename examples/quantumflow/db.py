"""The service's database: items, users and orders (SQLAlchemy 2, async engine).

SQLite in a temporary directory by default, so the demo needs no server; `DATABASE_URL` points it
elsewhere (any async SQLAlchemy URL, e.g. ``postgresql+psycopg://user:pw@host/db``). The catalog is
large enough (20 000 items) that a substring search scans for a few milliseconds: that is the
"slow query" the load generator asks for on purpose.
"""

from __future__ import annotations

import hashlib
import os
import random
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, event, func, insert, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from examples.quantumflow.catalog import (
    CATALOG_SIZE,
    WORDS,
    demo_password,
    demo_usernames,
)

# Low on purpose: a login must cost about a millisecond, not dominate the demo's CPU.
PBKDF2_ROUNDS = 2_000


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(400))
    price_eur: Mapped[float]
    stock: Mapped[int]


class User(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    salt: Mapped[bytes]
    password_hash: Mapped[bytes]


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    username: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    amount: Mapped[float]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def database_url() -> str:
    """`DATABASE_URL`, else a fresh SQLite file in a temporary directory."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    directory = Path(tempfile.mkdtemp(prefix="quantumflow-db-"))
    return f"sqlite+aiosqlite:///{directory / 'quantumflow.db'}"


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # A queue pool of a few connections: the pool metrics then show idle/used like a server DB.
        engine = create_async_engine(url, pool_size=5, max_overflow=5)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL and relaxed syncing: a commit costs microseconds instead of an fsync, and readers do
    # not wait for writers (what a production SQLite deployment configures too).
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ROUNDS)


async def create_schema(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Create the tables and, on an empty database, seed the catalog and the demo users."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with sessions() as session:
        if await session.scalar(select(func.count(Item.id))):
            return
        rng = random.Random(7)  # the same catalog every run: item 1 is always the same item
        # Bulk inserts (one executemany each), not ORM objects: seeding stays well under a second.
        await session.execute(insert(Item), _catalog(rng))
        users = []
        for username in demo_usernames():
            salt = os.urandom(16)
            users.append({"username": username, "salt": salt,
                          "password_hash": hash_password(demo_password(username), salt)})
        await session.execute(insert(User), users)
        await session.commit()


def _catalog(rng: random.Random) -> list[dict[str, Any]]:
    items = []
    for number in range(1, CATALOG_SIZE + 1):
        words = rng.sample(WORDS, 6)
        items.append({
            "id": number,
            "name": f"{words[0]} {words[1]} #{number}",
            "description": " ".join(words) + f" rev {rng.randint(1, 9)}",
            "price_eur": round(rng.uniform(5, 500), 2),
            "stock": rng.randint(0, 1000),
        })
    return items


def now() -> datetime:
    return datetime.now(timezone.utc)
