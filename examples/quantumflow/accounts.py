"""Login, logout and checkout: where the security and business meters are fed."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Header, HTTPException
from pydantic import BaseModel, Field

from examples.quantumflow import db
from examples.quantumflow.items import load_item
from examples.quantumflow.runtime import Rt, Runtime
from qf_otel import business

# Prices are kept in EUR; a checkout charges in the customer's currency at these rates.
EUR_RATES: dict[str, float] = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86, "JPY": 162.0, "CHF": 0.95}
router = APIRouter()


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class CheckoutIn(BaseModel):
    item_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=10)
    currency: Literal["EUR", "USD", "GBP", "JPY", "CHF"]


def _bearer(authorization: str | None) -> str:
    if authorization is None or not authorization.startswith("Bearer "):
        return ""
    return authorization.removeprefix("Bearer ")


@router.post("/login")
async def login(body: Credentials, rt: Rt) -> dict[str, str]:
    if rt.guard.is_locked(body.username):
        raise HTTPException(423, "account locked after repeated failures")
    async with rt.sessionmaker() as session:
        user = await session.get(db.User, body.username)
    valid = user is not None and await asyncio.to_thread(_password_matches, user, body.password)
    rt.guard.record(body.username, success=valid)
    if not valid:
        raise HTTPException(401, "wrong username or password")
    return {"token": rt.sessions.open(body.username)}


@router.post("/logout", status_code=204)
async def logout(rt: Rt, authorization: Annotated[str | None, Header()] = None) -> None:
    if not rt.sessions.close(_bearer(authorization)):
        raise HTTPException(401, "no such session")


@router.post("/checkout", status_code=201)
async def checkout(body: CheckoutIn, rt: Rt,
                   authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    username = rt.sessions.user(_bearer(authorization))
    if username is None:
        raise HTTPException(401, "log in first")
    item = await load_item(rt, body.item_id)
    amount = round(item["price_eur"] * body.quantity * EUR_RATES[body.currency], 2)
    status = await _charge(rt, amount, body.currency)
    async with rt.sessionmaker() as session:
        session.add(db.Order(item_id=body.item_id, username=username, quantity=body.quantity,
                             amount=amount, currency=body.currency, status=status,
                             created_at=db.now()))
        await session.commit()
    business.record_transaction(kind="purchase", status=status, amount=amount,
                                currency=body.currency)
    if status == "failure":
        raise HTTPException(402, "payment declined")
    if status == "pending":
        raise HTTPException(502, "payment provider unavailable; order kept pending")
    return {"item_id": body.item_id, "amount": amount, "currency": body.currency}


def _password_matches(user: db.User, password: str) -> bool:
    return db.hash_password(password, user.salt) == user.password_hash


async def _charge(rt: Runtime, amount: float, currency: str) -> str:
    """Charge through the provider: success, failure (declined) or pending (provider down)."""
    try:
        response = await rt.payments.post("/charges", json={"amount": amount,
                                                            "currency": currency})
    except httpx.HTTPError as error:
        rt.components["external"].failed(error)
        return "pending"
    if response.status_code >= 500:
        rt.components["external"].failed(f"PaymentProvider{response.status_code}")
        return "pending"
    rt.components["external"].ok()
    return "success" if response.status_code == 201 else "failure"
