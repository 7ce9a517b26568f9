"""The item cache: in-process by default, Redis when `REDIS_URL` is set.

Neither backend records anything itself. The in-process one is a cachetools `TTLCache` wrapped by
qf-otel's mapping instrumentation (one line); the Redis one is a plain redis-py asyncio client,
which `qf_otel.configure()` instruments. Both report `qf.cache.requests` (hit/miss),
`qf.cache.operation.duration` and `qf.cache.errors` under the cache name "items".
"""

from __future__ import annotations

import json
import os
from typing import Any, Protocol

from cachetools import TTLCache
from qf_otel_instrumentation.cache import InstrumentedMapping, instrument_mapping

CACHE_NAME = "items"
TTL_SECONDS = 30


class ItemCache(Protocol):
    backend: str

    async def get(self, key: str) -> dict[str, Any] | None: ...

    async def set(self, key: str, value: dict[str, Any]) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...


class LocalCache:
    backend = "memory"

    def __init__(self, maxsize: int = 4096) -> None:
        self._entries: InstrumentedMapping[str, dict[str, Any]] = instrument_mapping(
            TTLCache(maxsize=maxsize, ttl=TTL_SECONDS), name=CACHE_NAME)

    async def get(self, key: str) -> dict[str, Any] | None:
        value: dict[str, Any] | None = self._entries.get(key)
        return value

    async def set(self, key: str, value: dict[str, Any]) -> None:
        self._entries[key] = value

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisCache:
    backend = "redis"

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis  # only needed when REDIS_URL is set

        # client_name is how the Redis instrumentation names the cache in its metrics.
        self._client = redis.Redis.from_url(url, client_name=CACHE_NAME, socket_timeout=2.0)

    async def get(self, key: str) -> dict[str, Any] | None:
        raw = await self._client.get(key)
        if raw is None:
            return None
        value: dict[str, Any] = json.loads(raw)
        return value

    async def set(self, key: str, value: dict[str, Any]) -> None:
        await self._client.set(key, json.dumps(value), ex=TTL_SECONDS)

    async def delete(self, key: str) -> None:
        await self._client.delete(key)

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        await self._client.aclose()


def make_cache() -> ItemCache:
    url = os.environ.get("REDIS_URL")
    return RedisCache(url) if url else LocalCache()
