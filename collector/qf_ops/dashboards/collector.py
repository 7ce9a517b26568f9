"""The Collector dashboard: data in, data out, queues, failures and the process."""

from __future__ import annotations

from qf_ops import names as n
from qf_ops.dashboards.spec import Dashboard, Panel, Query, Row, Variable
from qf_ops.rules import otelcol

SCOPE = 'job=~"$job", instance=~"$instance"'
RATE = "$__rate_interval"
RED = "red"


def sel(metric: str) -> str:
    return f"{metric}{{{SCOPE}}}"


def rate(metric: str) -> str:
    return f"rate({sel(metric)}[{RATE}])"


def per(labels: str, metric: str) -> str:
    return f"sum by ({labels}) ({rate(metric)})"


def q(expr: str, legend: str) -> Query:
    return Query(expr, legend)


_RECEIVER = f"instance, {n.OTELCOL_RECEIVER}"
_EXPORTER = f"instance, {n.OTELCOL_EXPORTER}"
_RECEIVER_LEGEND = f"{{{{instance}}}} {{{{{n.OTELCOL_RECEIVER}}}}}"
_EXPORTER_LEGEND = f"{{{{instance}}}} {{{{{n.OTELCOL_EXPORTER}}}}}"
# The sibling that proves an exporter is alive when it has no failure to count.
_SENT = per(_EXPORTER, n.OTELCOL_SENT)

PIPELINE = Row(
    "Pipeline",
    (
        Panel(
            "Accepted metric points",
            "Metric points per second the receivers accepted.",
            (q(per(_RECEIVER, n.OTELCOL_ACCEPTED), _RECEIVER_LEGEND),),
            unit="ops",
        ),
        Panel(
            "Refused metric points",
            "Metric points per second the receivers refused, "
            "usually memory_limiter back-pressure. Alert: CollectorRefusingData.",
            (q(per(_RECEIVER, n.OTELCOL_REFUSED), _RECEIVER_LEGEND),),
            unit="ops",
            thresholds=((0.001, RED),),
        ),
        Panel(
            "Sent metric points",
            "Metric points per second the exporters delivered.",
            (q(_SENT, _EXPORTER_LEGEND),),
            unit="ops",
        ),
        Panel(
            "Send failures",
            "Metric points per second whose send failed (retried from the "
            "queue). Alert: CollectorExportFailures above 1 %.",
            (q(f"{per(_EXPORTER, n.OTELCOL_SEND_FAILED)}\nor\n0 * {_SENT}", _EXPORTER_LEGEND),),
            unit="ops",
        ),
        Panel(
            "Enqueue failures (dropped)",
            "Metric points per second dropped because the "
            "sending queue was full. Alert: CollectorDroppingData.",
            (q(f"{per(_EXPORTER, n.OTELCOL_ENQUEUE_FAILED)}\nor\n0 * {_SENT}", _EXPORTER_LEGEND),),
            unit="ops",
            thresholds=((0.001, RED),),
        ),
        Panel(
            "Exporter queue usage",
            "Sending queue fill level. Alert: CollectorQueueNearFull at 80 %.",
            # exporters without a sending queue (the prometheus exporter) report no queue metrics
            (q(f"{sel(otelcol.QUEUE_USAGE)}\nor\n0 * {_SENT}", _EXPORTER_LEGEND),),
            unit="percentunit",
            min=0,
            max=1,
            thresholds=((0.8, RED),),
        ),
        Panel(
            "Exporter queue size",
            "Batches in each sending queue, and the capacity.",
            (
                q(f"sum by ({_EXPORTER}) ({sel(n.OTELCOL_QUEUE_SIZE)})\nor\n0 * {_SENT}",
                  _EXPORTER_LEGEND),
                q(
                    f"sum by ({_EXPORTER}) ({sel(n.OTELCOL_QUEUE_CAPACITY)})\nor\n0 * {_SENT}",
                    f"{_EXPORTER_LEGEND} capacity",
                ),
            ),
        ),
        Panel(
            "Processor items in/out",
            "Items per second entering and leaving each "
            "processor; a gap is data the processor filtered or dropped.",
            (
                q(
                    per(f"{n.OTELCOL_PROCESSOR}", n.OTELCOL_PROCESSOR_INCOMING),
                    f"{{{{{n.OTELCOL_PROCESSOR}}}}} in",
                ),
                q(
                    per(f"{n.OTELCOL_PROCESSOR}", n.OTELCOL_PROCESSOR_OUTGOING),
                    f"{{{{{n.OTELCOL_PROCESSOR}}}}} out",
                ),
            ),
            unit="ops",
        ),
    ),
)

PROCESS = Row(
    "Process",
    (
        Panel(
            "Collector memory (RSS)",
            "Resident memory; memory_limiter refuses data near its limit.",
            (q(sel(n.OTELCOL_RSS), "{{instance}}"),),
            unit="bytes",
        ),
        Panel(
            "Collector CPU",
            "CPU seconds per second used by the Collector.",
            (q(rate(n.OTELCOL_CPU), "{{instance}}"),),
            unit="percentunit",
        ),
        Panel(
            "Collector uptime",
            "Seconds since start; a drop is a restart. Alert: "
            "CollectorMetricsAbsent when a whole job disappears.",
            (q(sel(n.OTELCOL_UPTIME), "{{instance}}"),),
            unit="s",
        ),
        Panel(
            "Collector targets up",
            "Prometheus' scrape status of the Collectors' self-telemetry. Alert: TargetDown.",
            (q('up{job=~"$job"}', "{{instance}}"),),
            min=0,
            max=1,
        ),
    ),
)

COLLECTOR = Dashboard(
    uid="qf-collector",
    file="qf-collector",
    title="QuantumFlow / Collector",
    description="Health of the qf-otel Collectors: accepted, refused, sent and dropped "
    "metric points, queues and the process.",
    tags=("quantumflow", "opentelemetry-collector"),
    variables=(
        Variable("job", "Job", f"label_values({n.OTELCOL_UPTIME}, job)"),
        Variable(
            "instance", "Instance", f'label_values({n.OTELCOL_UPTIME}{{job=~"$job"}}, instance)'
        ),
    ),
    rows=(PIPELINE, PROCESS),
)
