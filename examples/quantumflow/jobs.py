"""Quantum job routes: a variational loop on a simulated QPU, timed and counted by the meters."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from examples.quantumflow.qpu import Decoherence, QpuOffline
from examples.quantumflow.runtime import Rt, Runtime
from qf_otel import health, quantum

# The device's time for one layer of one cycle.
SECONDS_PER_LAYER = 0.0002
router = APIRouter()


class QuantumJobIn(BaseModel):
    algorithm: Literal["vqe", "qaoa", "grover"]
    system: Literal["simulator", "qpu-a", "qpu-b", "qpu-c"]
    depth: int = Field(ge=1, le=64)
    cycles: int = Field(ge=1, le=50)


@router.post("/quantum/jobs")
async def run_job(body: QuantumJobIn, rt: Rt) -> dict[str, Any]:
    try:
        rt.fleet.coherence(body.system)
    except QpuOffline as error:
        health.record_error(error, component="quantum")
        raise HTTPException(503, str(error)) from None
    gauge = quantum.coherence(system=body.system)
    with quantum.algorithm_run(body.algorithm, system=body.system) as run:
        for cycle in range(body.cycles):
            try:
                gauge.set(rt.fleet.run_layer(body.system, body.depth))
            except Decoherence as error:
                run.mark_failure()
                rt.components["quantum"].failed(error)
                return {"status": "failed", "cycles": cycle}
            run.add_cycles(1)
            await asyncio.sleep(body.depth * SECONDS_PER_LAYER)
    rt.components["quantum"].ok()
    return {"status": "completed", "cycles": body.cycles,
            "coherence": rt.fleet.coherence(body.system)}


@router.get("/quantum/systems")
async def systems(rt: Rt) -> dict[str, float]:
    return {name: read_coherence(rt, name) for name in rt.fleet.online()}


def read_coherence(rt: Runtime, system: str) -> float:
    """The system's coherence now (it cools down between jobs), published as the gauge."""
    value = rt.fleet.coherence(system)
    quantum.set_coherence(value, system=system)
    return value
