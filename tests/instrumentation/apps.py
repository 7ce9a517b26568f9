"""The applications the HTTP tests serve: routers with prefixes, mounts, streaming, errors."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, BackgroundTasks, FastAPI, HTTPException
from fastapi.responses import StreamingResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

BACKGROUND_SECONDS = 0.4
CHUNK_SECONDS = 0.1
CHUNKS = 3


def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello " + request.path_params["name"])


def _deep(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(request.path_params["depth"]))


def starlette_app() -> Starlette:
    return Starlette(routes=[
        Route("/hello/{name}", _hello),
        Mount("/inner", routes=[Route("/deep/{depth:int}", _deep)]),
    ])


def fastapi_app(**kwargs: object) -> FastAPI:
    app = FastAPI(**kwargs)  # type: ignore[arg-type]
    items = APIRouter(prefix="/items")

    @items.get("/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        if item_id == 404:
            raise HTTPException(status_code=404)
        return {"id": item_id}

    @items.post("/{item_id}")
    async def update(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    app.include_router(items, prefix="/v1")
    sub = FastAPI()

    @sub.get("/things/{thing}")
    async def thing(thing: str) -> str:
        return thing

    app.mount("/sub", sub)
    app.mount("/plain", starlette_app())

    @app.get("/boom")
    async def boom() -> None:
        raise ValueError("the payload must not leak")

    @app.get("/background")
    async def background(tasks: BackgroundTasks) -> str:
        tasks.add_task(time.sleep, BACKGROUND_SECONDS)
        return "queued"

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for index in range(CHUNKS):
                await asyncio.sleep(CHUNK_SECONDS)
                yield f"chunk {index}\n".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/slow")
    async def slow() -> str:
        await asyncio.sleep(0.5)
        return "slow"

    @app.get("/metrics")
    async def metrics() -> str:
        return "not really"

    @app.get("/health")
    async def health() -> str:
        return "ok"

    return app
