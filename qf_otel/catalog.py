"""The metric catalog, generated from the code: ``python -m qf_otel.catalog > docs/metrics.md``.

One source of truth: the rows come from the instruments themselves (the fast core's registry and
the infrastructure specs), the allowed values from the vocabularies, the Prometheus names from the
renderer that serves ``/metrics``. A test compares docs/metrics.md with a fresh render, so the doc
cannot drift from the code.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from dataclasses import dataclass

from qf_otel import _recording, _vocabulary, infrastructure
from qf_otel._prometheus_text import metric_name

# Every module that defines instruments; importing them fills the fast core's registry.
INSTRUMENT_MODULES = (
    "qf_otel.quantum",
    "qf_otel.business",
    "qf_otel.health",
    "qf_otel.security",
    "qf_otel._vocabulary",
    "qf_otel_instrumentation._instruments",
)
# The domain meters' public modules, whose functions the "Recording" section lists.
METER_MODULES = ("qf_otel.quantum", "qf_otel.business", "qf_otel.health", "qf_otel.security")
# Scopes whose attribute values the vocabularies govern (the instrumentation bounds its own).
VOCABULARY_SCOPES = frozenset({
    "qf_otel.quantum", "qf_otel.business", "qf_otel.health", "qf_otel.security", "qf_otel.meters",
})
_KIND_WORDS = {
    "counter": "counter", "updowncounter": "up-down counter", "gauge": "gauge",
    "histogram": "histogram",
}
_RENDERER_KINDS = {
    "counter": "counter", "updowncounter": "updown", "gauge": "gauge", "histogram": "histogram",
}
# How the instrumentation bounds the attribute values it records (semantic-conventions keys).
_INSTRUMENTATION_BOUNDS = {
    "http.request.method": "known HTTP methods, else `_OTHER`",
    "http.method": "known HTTP methods, else `_OTHER`",
    "http.route": "the route template, never the raw path",
    "url.scheme": "`http`, `https`",
    "http.scheme": "`http`, `https`",
    "error.type": "exception class name (first-come bounded) or status code",
    "db.operation.name": "SQL verb from a closed set",
    "db.client.connection.state": "`idle`, `used`",
    "state": "`idle`, `used`",
    "qf.cache.result": "`hit`, `miss`",
}
_SELF_METRIC_KEYS = {
    _vocabulary.FOLDED_KEY: "one of the attribute keys in this catalog",
    _vocabulary.REJECTED_METRIC: "one of the qf.* instrument names in this catalog",
}


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    unit: str
    attributes: tuple[tuple[str, str], ...]  # (key, where its values come from)
    prometheus_name: str
    description: str
    recorded_by: str


def _load_instruments() -> list[_recording.Instrument]:
    for module in INSTRUMENT_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:  # the instrumentation package is optional in a minimal install
            continue
    return _recording.instruments()


def _values_note(key: str, scope: str) -> str:
    if key in _SELF_METRIC_KEYS:
        return _SELF_METRIC_KEYS[key]
    vocabulary = _vocabulary.get(key)
    if scope in VOCABULARY_SCOPES and vocabulary is not None:
        kind = "bounded set" if vocabulary.admit_limit else "closed set"
        return f"[{kind}](#{_anchor(key)})"
    return _INSTRUMENTATION_BOUNDS.get(key, "bounded by the code that records it")


def rows() -> list[Row]:
    found = [
        Row(
            name=instrument.name,
            kind=instrument.kind,
            unit=instrument.unit,
            attributes=tuple((k, _values_note(k, instrument.scope)) for k in instrument.attributes),
            prometheus_name=metric_name(
                instrument.name, instrument.unit, _RENDERER_KINDS[instrument.kind]
            ),
            description=instrument.description,
            recorded_by=instrument.scope,
        )
        for instrument in _load_instruments()
        if not instrument.scope.startswith("tests")
    ]
    found.extend(
        Row(
            name=spec.name,
            kind=spec.kind,
            unit=spec.unit,
            attributes=tuple(
                (k, ", ".join(f"`{v}`" for v in values)) for k, values in spec.attributes.items()
            ),
            prometheus_name=metric_name(spec.name, spec.unit, _RENDERER_KINDS[spec.kind]),
            description=spec.description,
            recorded_by=infrastructure.SCOPE,
        )
        for spec in infrastructure.SPECS
    )
    return sorted(found, key=lambda row: row.name)


def api() -> list[tuple[str, str]]:
    """(call signature, first docstring line) of every public function of the domain meters."""
    found = []
    for module_name in METER_MODULES:
        module = importlib.import_module(module_name)
        short = module_name.rsplit(".", 1)[-1]
        for name in module.__all__:
            function = getattr(module, name)
            if inspect.isclass(function):
                continue
            signature = str(inspect.signature(function, eval_str=True))
            signature = re.sub(r"qf_otel\.\w+\.", "", signature)  # BoundCounter, not the path
            summary = (function.__doc__ or "").strip().splitlines()[0]
            found.append((f"{short}.{name}{signature}", summary))
    return found


def _anchor(key: str) -> str:
    return "values-" + key.replace(".", "-").lower()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    lines = [
        "# Metric catalog",
        "",
        "<!-- Generated by `python -m qf_otel.catalog > docs/metrics.md`; do not edit by hand. -->",
        "",
        "Every metric qf-otel records, with its OpenTelemetry name, the name Prometheus shows "
        "(the same on the pull endpoint and through the Collector), its type, unit and "
        "attributes. Every attribute has a closed set of values or a bound; a value outside its "
        "set is exported as `other` and counted in `qf.otel.attribute.folded`. Invalid values "
        "(NaN, negative increments, ratios outside [0, 1], wrong types) are dropped and counted "
        "in `qf.otel.record.rejected`. Every series also carries the `service_name`, "
        "`service_namespace` and `deployment_environment_name` labels.",
        "",
        "| OpenTelemetry name | Prometheus name | type | unit | attributes | recorded by "
        "| meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows():
        attributes = "<br>".join(f"`{key}`: {note}" for key, note in row.attributes) or "none"
        lines.append(
            f"| `{row.name}` | `{row.prometheus_name}` | {_KIND_WORDS[row.kind]} | "
            f"`{row.unit}` | {_cell(attributes)} | `{row.recorded_by}` | "
            f"{_cell(row.description)} |"
        )
    lines += [
        "",
        "## Recording",
        "",
        "`from qf_otel import quantum, business, health, security`. Every call works before "
        "`configure()` (values are kept and exported once configured) and never raises. The "
        "functions returning a bound recorder fold their attribute values once: keep the result "
        "where the same attributes repeat (a bound `add` costs well under a microsecond).",
        "",
        "| call | what it does |",
        "|---|---|",
    ]
    lines += [f"| `{_cell(call)}` | {_cell(summary)} |" for call, summary in api()]
    lines += [
        "",
        "## Allowed attribute values",
        "",
        "Extensible sets take more values through configuration: "
        "`configure(allowed_values={\"qf.quantum.system\": [\"qpu-z\"]})` or "
        "`QF_OTEL_ALLOWED_VALUES=\"qf.quantum.system=qpu-z|qpu-y;qf.component=billing\"`. "
        "Fixed sets (outcomes, statuses, severities) cannot be extended: their values carry "
        "meaning for alerts. `other` is always allowed.",
        "",
    ]
    for vocabulary in _vocabulary.vocabularies():
        values = [v for v in vocabulary.allowed() if v != _vocabulary.OTHER]
        extensible = "extensible" if vocabulary.extensible else "fixed"
        lines += [
            f'<a id="{_anchor(vocabulary.key)}"></a>',
            f"### `{vocabulary.key}` ({extensible})",
            "",
            vocabulary.description,
            "",
        ]
        if values:
            lines += [", ".join(f"`{v}`" for v in values), ""]
    return "\n".join(lines)


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
