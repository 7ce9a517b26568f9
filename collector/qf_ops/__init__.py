"""Generators for qf-otel's operations artefacts.

One source for what an operator deploys next to the library: Prometheus alert and
recording rules with their promtool tests (``collector/rules``), the runbooks
(``docs/runbooks.md``), Grafana dashboards (``collector/dashboards``) and the
Kubernetes manifests (``collector/k8s``). Every metric and label name they rely on
lives in :mod:`qf_ops.names`, so a rename upstream is one edit plus
``python -m qf_ops``.
"""
