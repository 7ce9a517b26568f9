"""Item routes: read through the cache, list, the slow substring search, create."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from examples.quantumflow import db
from examples.quantumflow.runtime import Rt, Runtime

SEARCH_LIMIT = 20
router = APIRouter()


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=400)
    price_eur: float = Field(gt=0, le=100_000)
    stock: int = Field(ge=0)


def item_dict(item: db.Item) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "description": item.description,
            "price_eur": item.price_eur, "stock": item.stock}


@router.get("/items")
async def list_items(rt: Rt, limit: Annotated[int, Query(ge=1, le=100)] = 20,
                     offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    async with rt.sessionmaker() as session:
        rows = await session.scalars(select(db.Item).order_by(db.Item.id)
                                     .limit(limit).offset(offset))
        return [item_dict(item) for item in rows]


@router.get("/items/search")
async def search_items(rt: Rt, q: Annotated[str, Query(min_length=2, max_length=40)]
                       ) -> list[dict[str, Any]]:
    # A leading-wildcard LIKE cannot use an index: a full scan, the service's slow query.
    async with rt.sessionmaker() as session:
        rows = await session.scalars(select(db.Item).where(db.Item.description.like(f"%{q}%"))
                                     .order_by(db.Item.price_eur).limit(SEARCH_LIMIT))
        return [item_dict(item) for item in rows]


@router.get("/items/{item_id}")
async def get_item(item_id: int, rt: Rt) -> dict[str, Any]:
    return await load_item(rt, item_id)


@router.post("/items", status_code=201)
async def create_item(body: ItemIn, rt: Rt) -> dict[str, Any]:
    async with rt.sessionmaker() as session:
        item = db.Item(**body.model_dump())
        session.add(item)
        await session.commit()
        return item_dict(item)


async def load_item(rt: Runtime, item_id: int) -> dict[str, Any]:
    """Read through the cache; a cache failure falls back to the database."""
    key = f"item:{item_id}"
    try:
        cached = await rt.cache.get(key)
        rt.components["cache"].ok()
    except Exception as error:
        rt.components["cache"].failed(error)
        cached = None
    if cached is not None:
        return cached
    async with rt.sessionmaker() as session:
        item = await session.get(db.Item, item_id)
    rt.components["db"].ok()
    if item is None:
        raise HTTPException(404, f"no item {item_id}")
    value = item_dict(item)
    with contextlib.suppress(Exception):  # counted by the cache instrumentation already
        await rt.cache.set(key, value)
    return value
