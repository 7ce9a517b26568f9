"""Kubernetes manifests for the Collector, the Prometheus Operator and Grafana.

Two variants share the monitoring objects: ``plain/`` (Deployment gateway, DaemonSet
agent, ConfigMaps, Services) and ``operator/`` (OpenTelemetry Operator custom
resources and Python auto-instrumentation). Everything derived from another source
(Collector configuration, rule files, dashboards) is generated, never copied by hand.
"""
