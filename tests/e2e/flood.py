"""An attribute flood as a misbehaving client sends it: OTLP/HTTP requests whose every datapoint
has a new attribute value, so every point is a new series for the Collector. Requests are built
once and made unique by rewriting a fixed-width marker in the serialized bytes, so the sender
spends its CPU on sending, not on protobuf."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

MARKER = b"M0000000"
PADDING = 100  # characters of attribute value per point, on top of the id


def flood_template(points: int, metric: str = "flood.requests") -> bytes:
    """One export request: `points` datapoints of a cumulative counter, each a distinct series."""
    request = ExportMetricsServiceRequest()
    resource_metrics = request.resource_metrics.add()
    resource_metrics.resource.attributes.add(key="service.name",
                                             value=AnyValue(string_value="flooder"))
    scope_metrics = resource_metrics.scope_metrics.add()
    scope_metrics.scope.name = "flood"
    sent = scope_metrics.metrics.add()
    sent.name = metric
    sent.sum.is_monotonic = True
    sent.sum.aggregation_temporality = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
    now = time.time_ns()
    marker = MARKER.decode()
    for index in range(points):
        point = sent.sum.data_points.add()
        point.as_int = 1
        point.start_time_unix_nano = now - 1_000_000_000
        point.time_unix_nano = now
        point.attributes.add(key="flood.id", value=AnyValue(string_value=f"{marker}-{index}"))
        point.attributes.add(key="flood.note",
                             value=AnyValue(string_value=(marker * 13)[:PADDING]))
    body: bytes = request.SerializeToString()
    return body


@dataclass
class FloodResult:
    requests: int = 0
    statuses: Counter[int | str] = field(default_factory=Counter)

    @property
    def accepted(self) -> int:
        return self.statuses[200]

    @property
    def refused(self) -> int:
        return self.requests - self.accepted


def flood(url: str, template: bytes, seconds: float, senders: int = 3) -> FloodResult:
    """POST unique copies of `template` to `url` from `senders` threads for `seconds`."""
    result = FloodResult()
    lock = threading.Lock()
    counter = iter(range(1, 10**8))
    stop_at = time.monotonic() + seconds

    def send() -> None:
        with httpx.Client(timeout=10) as client:
            while time.monotonic() < stop_at:
                with lock:
                    number = next(counter)
                body = template.replace(MARKER, f"{number:08d}".encode())
                try:
                    status: int | str = client.post(
                        url, content=body, headers={"Content-Type": "application/x-protobuf"}
                    ).status_code
                except httpx.HTTPError as error:
                    status = type(error).__name__
                with lock:
                    result.requests += 1
                    result.statuses[status] += 1

    threads = [threading.Thread(target=send, daemon=True) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    return result
