"""What the route handlers share, built once by the service's lifespan and injected by FastAPI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from examples.quantumflow.auth import BruteForceGuard, Sessions
from examples.quantumflow.cache import ItemCache
from examples.quantumflow.components import Components
from examples.quantumflow.qpu import QpuFleet


@dataclass
class Runtime:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    cache: ItemCache
    payments: httpx.AsyncClient
    fleet: QpuFleet
    sessions: Sessions
    guard: BruteForceGuard
    components: Components


def runtime(request: Request) -> Runtime:
    value: Runtime = request.app.state.runtime
    return value


Rt = Annotated[Runtime, Depends(runtime)]
