"""The OpenTelemetry Collector's own health, from its self-telemetry endpoint."""

from __future__ import annotations

from qf_ops import names as n
from qf_ops.rules.fixtures import collector, series
from qf_ops.rules.model import (
    VALUE_HUMAN,
    VALUE_PERCENT,
    Alert,
    Fired,
    Record,
    RuleGroup,
    Runbook,
    Scenario,
    Series,
    label,
    promql,
)

INSTANCE_EXPORTER = ("job", "instance", n.OTELCOL_EXPORTER)
QUEUE_USAGE = "instance_exporter:otelcol_exporter_queue:usage_ratio"
_BY_EXPORTER = "by (" + ", ".join(INSTANCE_EXPORTER) + ")"
_BY_RECEIVER = f"by (job, instance, {n.OTELCOL_RECEIVER})"
_WHO = f"Collector {label('instance')} ({label('job')})"

RECORDS = (
    Record(
        QUEUE_USAGE,
        promql(f"""
        max {_BY_EXPORTER} (
          {n.OTELCOL_QUEUE_SIZE} / {n.OTELCOL_QUEUE_CAPACITY}
        )
    """),
    ),
)

_GATEWAY = {n.OTELCOL_EXPORTER: "otlp_grpc/gateway"}
_GATEWAY_FIRED = collector(_GATEWAY)
_SENT_LABELS = {**_GATEWAY, "server_address": "gateway", "server_port": "4317"}
_OTLP_HTTP = {n.OTELCOL_RECEIVER: "otlp", "transport": "http"}


def _sends(sent: str, failed: str) -> tuple[Series, ...]:
    return (
        series(n.OTELCOL_SENT, collector(_SENT_LABELS), sent),
        series(
            n.OTELCOL_SEND_FAILED,
            collector({**_SENT_LABELS, "error_type": "Unavailable", "error_permanent": "false"}),
            failed,
        ),
    )


def _queue(size: str) -> tuple[Series, ...]:
    labels = collector({**_GATEWAY, "data_type": "metrics"})
    return (
        series(n.OTELCOL_QUEUE_SIZE, labels, size),
        series(n.OTELCOL_QUEUE_CAPACITY, labels, "5000x15"),
    )


_PANEL = "Collector > Pipeline > "
_GATEWAY_CHECKS = (
    "Open the panel; the exporter label says which destination (gateway, Prometheus "
    "remote write, traces backend).",
    "Read the Collector's log for the exporter's errors; check the destination is up "
    "and reachable from the Collector pod.",
)

ALERTS = (
    Alert(
        name="CollectorRefusingData",
        expr=f"sum {_BY_RECEIVER} (rate({n.OTELCOL_REFUSED}[5m])) > 0",
        for_="5m",
        severity="warning",
        summary=f"{_WHO} refuses incoming metric points",
        description=(
            f"Receiver {label(n.OTELCOL_RECEIVER)} of {_WHO} refuses {VALUE_HUMAN} metric "
            "points/s (for 5 minutes); senders retry, then drop."
        ),
        runbook=Runbook(
            meaning=(
                "The Collector turns data away at the receiver, almost always because "
                "memory_limiter is above its soft limit (back-pressure). SDKs retry; if "
                "it lasts, their buffers drop data."
            ),
            checks=(
                "Open the panel with *Collector memory (RSS)*: is memory at the "
                "configured limit (QF_OTELCOL_MEMORY_LIMIT_MIB)?",
                "Check *Exporter queue usage*: a slow destination fills queues, which "
                "fills memory.",
                "Check for a cardinality flood: *Accepted metric points* jumping.",
            ),
            panel=_PANEL + "Refused metric points",
            mitigations=(
                "Scale the gateway out (more replicas behind the Service) or give it "
                "more memory (raise limit_mib and GOMEMLIMIT with it).",
                "Fix the slow destination; drop the flooding attributes in the "
                "attributes/transform processors.",
            ),
        ),
        fires=Scenario(
            "10 points/s refused",
            (series(n.OTELCOL_REFUSED, collector(_OTLP_HTTP), "0+600x15"),),
            at="15m",
            fired=(Fired(collector({n.OTELCOL_RECEIVER: "otlp"}), "10"),),
        ),
        near_misses=(
            Scenario(
                "refusals stopped long ago",
                (series(n.OTELCOL_REFUSED, collector(_OTLP_HTTP), "0+600x3 1800x12"),),
                at="15m",
            ),
        ),
    ),
    Alert(
        name="CollectorExportFailures",
        # `sent` only appears once a send attempt has ended; an exporter that never
        # delivered anything has failures and no `sent` series, hence the `or`.
        expr=promql(f"""
            sum {_BY_EXPORTER} (rate({n.OTELCOL_SEND_FAILED}[5m]))
            /
            (
              sum {_BY_EXPORTER} (rate({n.OTELCOL_SEND_FAILED}[5m]))
              +
              (
                sum {_BY_EXPORTER} (rate({n.OTELCOL_SENT}[5m]))
                or
                0 * sum {_BY_EXPORTER} (rate({n.OTELCOL_SEND_FAILED}[5m]))
              )
            )
            > 0.01
        """),
        for_="5m",
        severity="warning",
        summary=f"Exporter {label(n.OTELCOL_EXPORTER)} of {_WHO} fails to send",
        description=(
            f"{VALUE_PERCENT} of the metric points exporter {label(n.OTELCOL_EXPORTER)} of "
            f"{_WHO} tried to send failed over 5 minutes (threshold 1 %); they are retried "
            "from the queue until it is full."
        ),
        runbook=Runbook(
            meaning=(
                "More than 1 % of send attempts of one exporter fail for 5 minutes. "
                "Failed points are retried from the sending queue, so nothing is lost "
                "yet; CollectorQueueNearFull and CollectorDroppingData follow if it "
                "lasts."
            ),
            checks=_GATEWAY_CHECKS,
            panel=_PANEL + "Send failures",
            mitigations=(
                "Restore the destination; fix credentials or TLS settings of the exporter.",
            ),
        ),
        fires=Scenario(
            "10 % of the gateway's points fail; remote write never delivered anything",
            (
                *_sends("0+90x15", "0+10x15"),
                series(
                    n.OTELCOL_SEND_FAILED,
                    collector(
                        {
                            n.OTELCOL_EXPORTER: "prometheus_remote_write",
                            "error_type": "Unavailable",
                            "error_permanent": "false",
                        }
                    ),
                    "0+50x15",
                ),
            ),
            at="15m",
            fired=(
                Fired(_GATEWAY_FIRED, "10%"),
                Fired(collector({n.OTELCOL_EXPORTER: "prometheus_remote_write"}), "100%"),
            ),
        ),
        near_misses=(Scenario("0.5 % of points fail", _sends("0+99.5x15", "0+0.5x15"), at="15m"),),
    ),
    Alert(
        name="CollectorQueueNearFull",
        expr=f"{QUEUE_USAGE} > 0.8",
        for_="5m",
        severity="warning",
        summary=f"Sending queue of {label(n.OTELCOL_EXPORTER)} on {_WHO} is nearly full",
        description=(
            f"The sending queue of exporter {label(n.OTELCOL_EXPORTER)} of {_WHO} is "
            f"{VALUE_PERCENT} full (threshold 80 % for 5 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "An exporter's sending queue is more than 80 % full for 5 minutes: the "
                "destination is slower than the incoming data or failing. When the queue "
                "is full, new data is dropped (CollectorDroppingData)."
            ),
            checks=(
                *_GATEWAY_CHECKS,
                "Compare *Sent metric points* with *Accepted metric points*: is the input growing?",
            ),
            panel=_PANEL + "Exporter queue usage",
            mitigations=(
                "Fix the destination; add exporter consumers (sending_queue."
                "num_consumers) or gateway replicas; raise queue_size if memory allows.",
            ),
        ),
        fires=Scenario(
            "queue 90 % full", _queue("4500x15"), at="15m", fired=(Fired(_GATEWAY_FIRED, "90%"),)
        ),
        near_misses=(Scenario("queue 70 % full", _queue("3500x15"), at="15m"),),
    ),
    Alert(
        name="CollectorDroppingData",
        expr=f"sum {_BY_EXPORTER} (rate({n.OTELCOL_ENQUEUE_FAILED}[5m])) > 0",
        for_="2m",
        severity="critical",
        summary=f"{_WHO} drops metric points",
        description=(
            f"Exporter {label(n.OTELCOL_EXPORTER)} of {_WHO} cannot enqueue {VALUE_HUMAN} "
            "metric points/s because its queue is full (for 2 minutes): they are lost."
        ),
        runbook=Runbook(
            meaning=(
                "The exporter's sending queue is full and new metric points are "
                "discarded: telemetry is being lost right now (gaps in every graph "
                "fed by this Collector)."
            ),
            checks=_GATEWAY_CHECKS,
            panel=_PANEL + "Enqueue failures (dropped)",
            mitigations=(
                "Restore the destination first; then scale the gateway. An agent with "
                "a file_storage queue keeps what it had queued across restarts.",
            ),
        ),
        fires=Scenario(
            "6 points/s dropped",
            (series(n.OTELCOL_ENQUEUE_FAILED, collector(_GATEWAY), "0+360x10"),),
            at="10m",
            fired=(Fired(_GATEWAY_FIRED, "6"),),
        ),
        near_misses=(
            Scenario(
                "drops long ago, none now",
                (series(n.OTELCOL_ENQUEUE_FAILED, collector(_GATEWAY), "350x10"),),
                at="10m",
            ),
        ),
    ),
    Alert(
        name="CollectorMetricsAbsent",
        expr=promql(f"""
            count by (job) ({n.OTELCOL_UPTIME} offset 1h)
            unless
            count by (job) ({n.OTELCOL_UPTIME})
        """),
        for_="10m",
        severity="warning",
        summary=f"Collector job {label('job')} disappeared",
        description=(
            f"Collectors of job {label('job')} reported self-telemetry an hour ago and none "
            "now (for 10 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "Every Collector of a scrape job stopped reporting its own telemetry: "
                "the Collectors are gone or no longer scraped. Services that push OTLP "
                "to them lose data. Replacing pods (new instances) does not fire this."
            ),
            checks=(
                "Open the panel; `kubectl get pods -l app.kubernetes.io/name=qf-otelcol`; "
                "check the ServiceMonitor still selects the Collector Service.",
            ),
            panel="Collector > Process > Collector uptime",
            mitigations=("Redeploy the Collector; restore the ServiceMonitor.",),
        ),
        fires=Scenario(
            "uptime stops after an hour",
            (series(n.OTELCOL_UPTIME, collector(), "0+60x60 _x30"),),
            at="90m",
            fired=(Fired({"job": "otel-collector"}),),
        ),
        near_misses=(
            Scenario(
                "a pod is replaced by a new instance",
                (
                    series(n.OTELCOL_UPTIME, collector(), "0+60x60 _x30"),
                    series(
                        n.OTELCOL_UPTIME, collector({"instance": "10.0.0.10:8888"}), "_x60 0+60x30"
                    ),
                ),
                at="90m",
            ),
        ),
    ),
)

GROUP = RuleGroup(
    file="collector",
    name="qf-collector",
    title="OpenTelemetry Collector",
    records=RECORDS,
    alerts=ALERTS,
)
