"""Hosts and processes, scrape targets, absent telemetry and qf-otel's own health."""

from __future__ import annotations

from qf_ops import names as n
from qf_ops.rules.fixtures import APP, app, series, svc
from qf_ops.rules.model import (
    VALUE_BYTES,
    VALUE_PERCENT,
    WHERE,
    Alert,
    Fired,
    RuleGroup,
    Runbook,
    Scenario,
    Series,
    by,
    label,
    promql,
)

PROCESS_MEMORY_LIMIT_BYTES = 2 * 1024**3

_DISK = {n.FILESYSTEM_MOUNTPOINT: "/var/lib/app"}
_TARGET = {"job": APP["job"], "instance": APP["instance"]}
_INSTANCE = f"{label('instance')} of {WHERE}"


def _cpus(idle_a: str, idle_b: str) -> tuple[Series, ...]:
    return tuple(
        series(n.SYSTEM_CPU, app({"cpu": cpu, n.CPU_STATE: state}), values)
        for cpu, idle in (("1", idle_a), ("2", idle_b))
        for state, values in (("idle", idle), ("user", "0.5x20"))
    )


def _disk(values: str) -> tuple[Series, ...]:
    return (series(n.SYSTEM_FILESYSTEM, app(_DISK), values),)


_DISK_CHECKS = (
    "Open the panel: which mountpoint, how fast is it growing (a sudden jump: a dump or "
    "a runaway log; steady: data growth)?",
    "On the host: `du -xh --max-depth=2 <mountpoint> | sort -h | tail`; look for "
    "deleted-but-open files with `lsof +L1`.",
)
_DISK_FIXES = (
    "Delete or compress old logs and dumps; fix log rotation.",
    "Grow the volume; move data to a bigger one.",
)
_HTTP_PANEL = "Service overview > HTTP > Request rate by route"

ALERTS = (
    Alert(
        name="ProcessCPUHigh",
        expr=f"{n.PROCESS_CPU} > 0.8",
        for_="15m",
        severity="warning",
        summary=f"{label(n.SERVICE)} uses most of the machine's CPU",
        description=(
            f"The process on {_INSTANCE} uses {VALUE_PERCENT} of all CPUs of its machine "
            "(threshold 80 % for 15 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "process.cpu.utilization is normalised by the number of CPUs: above 0.8 "
                "the process uses 80 % of the whole machine for 15 minutes. Latency "
                "rises and co-located processes starve."
            ),
            checks=(
                "Open the panel: did traffic grow (*Request rate by route*) or did the "
                "cost per request grow (a deployment)?",
                "Profile the process (py-spy top --pid <pid>) to find the hot code.",
            ),
            panel="Service overview > Infrastructure > Process CPU",
            mitigations=("Scale out; roll back a deployment that made requests costlier.",),
        ),
        fires=Scenario(
            "90 % CPU",
            (series(n.PROCESS_CPU, app(), "0.9x20"),),
            at="20m",
            fired=(Fired(app(), "90%"),),
        ),
        near_misses=(Scenario("75 % CPU", (series(n.PROCESS_CPU, app(), "0.75x20"),), at="20m"),),
    ),
    Alert(
        name="SystemCPUHigh",
        expr=f'1 - avg {by("job", "instance")} ({n.SYSTEM_CPU}{{{n.CPU_STATE}="idle"}}) > 0.9',
        for_="15m",
        severity="warning",
        summary=f"The machine of {label('instance')} is CPU-bound",
        description=(
            f"CPUs of the machine running {_INSTANCE} are {VALUE_PERCENT} busy on average "
            "(threshold 90 % for 15 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "The machine's CPUs are more than 90 % busy on average for 15 minutes; "
                "every process on it, not only this service, slows down."
            ),
            checks=(
                "Open the panel next to *Process CPU*: is it this service or a neighbour?",
                "On the host: `top -o %CPU`; in Kubernetes: `kubectl top pods` on the node.",
            ),
            panel="Service overview > Infrastructure > System CPU busy",
            mitigations=(
                "Move the noisy neighbour or this service to another node; set CPU "
                "requests/limits so the scheduler spreads load.",
            ),
        ),
        fires=Scenario(
            "CPUs 95 % and 93 % busy",
            _cpus("0.05x20", "0.07x20"),
            at="20m",
            fired=(Fired(svc(_TARGET), "94%"),),
        ),
        near_misses=(Scenario("CPUs 85 % and 87 % busy", _cpus("0.15x20", "0.13x20"), at="20m"),),
    ),
    Alert(
        name="SystemMemoryHigh",
        expr=f'{n.SYSTEM_MEMORY}{{{n.MEMORY_STATE}="used"}} > 0.9',
        for_="10m",
        severity="warning",
        summary=f"The machine of {label('instance')} is low on memory",
        description=(
            f"{VALUE_PERCENT} of the memory of the machine running {_INSTANCE} is used "
            "(threshold 90 % for 10 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "More than 90 % of the machine's memory is in use for 10 minutes; the "
                "kernel's OOM killer or container limits will start killing processes."
            ),
            checks=(
                "Open the panel next to *Process memory*: this service or another process?",
                "On the host: `ps aux --sort=-rss | head`; in Kubernetes: "
                "`kubectl top pods` on the node and recent OOMKilled events.",
            ),
            panel="Service overview > Infrastructure > System memory utilization",
            mitigations=("Restart a leaking process; move workloads; add memory.",),
        ),
        fires=Scenario(
            "95 % used",
            (series(n.SYSTEM_MEMORY, app({n.MEMORY_STATE: "used"}), "0.95x15"),),
            at="15m",
            fired=(Fired(app({n.MEMORY_STATE: "used"}), "95%"),),
        ),
        near_misses=(
            Scenario(
                "88 % used",
                (series(n.SYSTEM_MEMORY, app({n.MEMORY_STATE: "used"}), "0.88x15"),),
                at="15m",
            ),
        ),
    ),
    Alert(
        name="ProcessMemoryHigh",
        expr=f"{n.PROCESS_MEMORY} > {PROCESS_MEMORY_LIMIT_BYTES}",
        for_="15m",
        severity="warning",
        summary=f"{label(n.SERVICE)} uses a lot of memory",
        description=(
            f"The process on {_INSTANCE} holds {VALUE_BYTES} resident (threshold 2GiB for 15 "
            "minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "The service's resident memory stayed above 2 GiB for 15 minutes. For a "
                "Python web service that usually means a leak or an unbounded cache; "
                "raise the threshold for services that need more by design."
            ),
            checks=(
                "Open the panel: steady growth since the last restart (leak) or a jump "
                "with traffic (large responses, unbounded in-process cache)?",
                "Check *Folded attribute values*: qf-otel bounds its own series, but "
                "other libraries may not.",
            ),
            panel="Service overview > Infrastructure > Process memory",
            mitigations=(
                "Restart the instances one by one to buy time; bound the cache; find the "
                "leak with tracemalloc or memray.",
            ),
        ),
        fires=Scenario(
            "2.5 GiB resident",
            (series(n.PROCESS_MEMORY, app(), "2684354560x20"),),
            at="20m",
            fired=(Fired(app(), "2.5Gi"),),
        ),
        near_misses=(
            Scenario(
                "1.9 GiB resident", (series(n.PROCESS_MEMORY, app(), "2040109466x20"),), at="20m"
            ),
        ),
    ),
    Alert(
        name="DiskSpaceLow",
        expr=f"({n.SYSTEM_FILESYSTEM} > 0.85) <= 0.95",
        for_="10m",
        severity="warning",
        summary=f"A filesystem of {label('instance')} is filling up",
        description=(
            f"{VALUE_PERCENT} of the filesystem {label(n.FILESYSTEM_MOUNTPOINT)} on the "
            f"machine running {_INSTANCE} is used (warning band 85-95 %, for 10 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "A filesystem is between 85 % and 95 % full for 10 minutes. Above 95 % "
                "DiskSpaceCritical takes over."
            ),
            checks=_DISK_CHECKS,
            panel="Service overview > Infrastructure > Filesystem utilization",
            mitigations=_DISK_FIXES,
        ),
        fires=Scenario("90 % full", _disk("0.9x15"), at="15m", fired=(Fired(app(_DISK), "90%"),)),
        near_misses=(Scenario("84 % full", _disk("0.84x15"), at="15m"),),
    ),
    Alert(
        name="DiskSpaceCritical",
        expr=f"{n.SYSTEM_FILESYSTEM} > 0.95",
        for_="5m",
        severity="critical",
        summary=f"A filesystem of {label('instance')} is almost full",
        description=(
            f"{VALUE_PERCENT} of the filesystem {label(n.FILESYSTEM_MOUNTPOINT)} on the "
            f"machine running {_INSTANCE} is used (threshold 95 % for 5 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "A filesystem is more than 95 % full for 5 minutes: writes (logs, "
                "databases, temp files) will fail soon."
            ),
            checks=_DISK_CHECKS,
            panel="Service overview > Infrastructure > Filesystem utilization",
            mitigations=_DISK_FIXES,
        ),
        fires=Scenario("97 % full", _disk("0.97x10"), at="10m", fired=(Fired(app(_DISK), "97%"),)),
        near_misses=(Scenario("exactly 95 % full", _disk("0.95x10"), at="10m"),),
    ),
    Alert(
        name="TargetDown",
        expr=f"{n.UP} == 0",
        for_="2m",
        severity="critical",
        summary=f"Prometheus cannot scrape {label('instance')} ({label('job')})",
        description=(
            f"Scrapes of {label('instance')} in job {label('job')} have failed for 2 minutes: "
            "the process is down, or its metrics endpoint is unreachable."
        ),
        runbook=Runbook(
            meaning=(
                "Prometheus' scrape of a target (a service's /metrics or a Collector's "
                "exporter or self-telemetry port) fails for 2 minutes. All alerts based "
                "on that target's metrics are blind meanwhile."
            ),
            checks=(
                "Open the panel; then Prometheus' /targets page shows the scrape error "
                "(connection refused, timeout, 404, TLS).",
                "Is the process running (`kubectl get pods`, `systemctl status`)? Does "
                "`curl <instance>/metrics` answer from the Prometheus host?",
            ),
            panel="Service overview > Infrastructure > Scrape targets up",
            mitigations=(
                "Restart the process; fix the network policy or the port in the "
                "ServiceMonitor/PodMonitor.",
                "If /metrics times out under load, raise scrape_timeout or reduce series.",
            ),
        ),
        fires=Scenario(
            "down for 5 minutes",
            (series(n.UP, _TARGET, "1x5 0x5"),),
            at="10m",
            fired=(Fired(_TARGET),),
        ),
        near_misses=(Scenario("one failed scrape", (series(n.UP, _TARGET, "1x9 0"),), at="10m"),),
    ),
    Alert(
        name="ServiceMetricsAbsent",
        expr=promql(f"""
            count {by()} ({n.HTTP_SERVER_DURATION}_count offset 1h)
            unless
            count {by()} ({n.HTTP_SERVER_DURATION}_count)
        """),
        for_="10m",
        severity="warning",
        summary=f"{label(n.SERVICE)} stopped reporting HTTP metrics",
        description=(
            f"{WHERE} reported {n.HTTP_SERVER_DURATION} an hour ago and reports none now "
            "(for 10 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "A service that reported HTTP server metrics an hour ago reports none "
                "now, on any instance. Either all its instances are gone, or telemetry "
                "broke (instrumentation disabled, exporter misconfigured, Collector "
                "path down). Resolves by itself an hour after a service was "
                "deliberately removed."
            ),
            checks=(
                "Open the panel. Then: is the service running? Is its target up "
                "(TargetDown)? For the Collector path: do CollectorDroppingData or "
                "QfOtelExportFailing fire?",
                "On an instance: `curl localhost:<port>/metrics | grep "
                "http_server_request_duration` (pull path), or check the qf-otel log "
                "for export errors (push path).",
            ),
            panel=_HTTP_PANEL,
            mitigations=(
                "Restore the telemetry path; check OTEL_SDK_DISABLED and "
                "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS were not set by a deployment.",
            ),
        ),
        fires=Scenario(
            "metrics stop after an hour",
            (series(f"{n.HTTP_SERVER_DURATION}_count", app({n.HTTP_ROUTE: "/"}), "0+60x60 _x30"),),
            at="90m",
            fired=(Fired(svc()),),
        ),
        near_misses=(
            Scenario(
                "metrics keep coming",
                (series(f"{n.HTTP_SERVER_DURATION}_count", app({n.HTTP_ROUTE: "/"}), "0+60x90"),),
                at="90m",
            ),
        ),
    ),
    Alert(
        name="HTTPServerMetricsAbsent",
        expr=f"absent({n.HTTP_SERVER_DURATION}_count)",
        for_="15m",
        severity="info",
        summary="No qf-otel HTTP server metrics at all",
        description=(
            f"Prometheus has no {n.HTTP_SERVER_DURATION}_count series from any service "
            "for 15 minutes."
        ),
        runbook=Runbook(
            meaning=(
                "Not a single service reports HTTP server metrics to this Prometheus. "
                "Right after installing the rules this means nothing is wired yet; "
                "later, the whole telemetry path (scrape configuration, Collector, "
                "remote write) is broken."
            ),
            checks=(
                "Open the panel; then Prometheus' /targets and /config pages: are the "
                "ServiceMonitors/PodMonitors selected (labels match the Prometheus "
                "resource's selectors)?",
            ),
            panel=_HTTP_PANEL,
            mitigations=("Fix the scrape configuration or the Collector gateway.",),
        ),
        fires=Scenario(
            "only `up` exists", (series(n.UP, _TARGET, "1x20"),), at="20m", fired=(Fired({}),)
        ),
        near_misses=(
            Scenario(
                "one HTTP series exists",
                (series(f"{n.HTTP_SERVER_DURATION}_count", app({n.HTTP_ROUTE: "/"}), "0+1x20"),),
                at="20m",
            ),
        ),
    ),
    Alert(
        name="QfOtelExportFailing",
        expr=f"sum {by()} (increase({n.QF_EXPORT_FAILURES}[10m])) > 0",
        for_="10m",
        severity="warning",
        summary=f"qf-otel in {label(n.SERVICE)} fails to export telemetry",
        description=(
            f"qf-otel in {WHERE} counted failed exports in each of the last 10 minutes: "
            "data pushed over OTLP is being lost."
        ),
        runbook=Runbook(
            meaning=(
                "The service's OTLP exporter keeps failing (Collector unreachable, "
                "refusing, or timing out). This counter is visible on the pull path "
                "(/metrics) even when the push path is what fails."
            ),
            checks=(
                "Open the panel; read the service log for qf-otel's rate-limited export "
                "errors (they name the endpoint and the error).",
                "Check the Collector: TargetDown, CollectorRefusingData, CollectorQueueNearFull.",
            ),
            panel="Service overview > qf-otel > Export failures",
            mitigations=(
                "Fix OTEL_EXPORTER_OTLP_ENDPOINT or the network path; scale the "
                "Collector gateway if it refuses under load.",
            ),
        ),
        fires=Scenario(
            "3 failures per minute",
            (series(n.QF_EXPORT_FAILURES, app(), "0+3x30"),),
            at="30m",
            fired=(Fired(svc()),),
        ),
        near_misses=(
            Scenario(
                "failures happened before, none now",
                (series(n.QF_EXPORT_FAILURES, app(), "0+1x5 5x25"),),
                at="30m",
            ),
        ),
    ),
    Alert(
        name="QfOtelAttributeValuesFolded",
        expr=f"sum {by()} (rate({n.QF_FOLDED}[15m])) > 0",
        for_="15m",
        severity="info",
        summary=f"qf-otel folds unknown attribute values of {label(n.SERVICE)}",
        description=(
            f"qf-otel in {WHERE} keeps replacing attribute values outside their allowed "
            "set with `other` (for 15 minutes): dashboards lump those under `other`."
        ),
        runbook=Runbook(
            meaning=(
                "The service records values outside an attribute's closed set (a new "
                "quantum system, an unknown currency, a raw path as route); qf-otel "
                "folds them to `other` to bound cardinality and counts each fold. "
                "Nothing is broken, but the data is less precise."
            ),
            checks=(
                "Open the panel; the counter's labels name the instrument and attribute.",
                "Find the value: the service's log has a rate-limited message per "
                "attribute with the first folded value.",
            ),
            panel="Service overview > qf-otel > Folded attribute values",
            mitigations=(
                "Add the legitimate value to the allowed set in the service's qf-otel "
                "configuration; fix the code if the value is unbounded (ids, paths).",
            ),
        ),
        fires=Scenario(
            "10 folds per minute",
            (series(n.QF_FOLDED, app(), "0+10x40"),),
            at="40m",
            fired=(Fired(svc()),),
        ),
        near_misses=(Scenario("folds stopped", (series(n.QF_FOLDED, app(), "100x40"),), at="40m"),),
    ),
)

GROUP = RuleGroup(
    file="infrastructure",
    name="qf-infrastructure",
    title="Hosts, processes, targets, absent telemetry and qf-otel itself",
    records=(),
    alerts=ALERTS,
)
