"""Prometheus rules: alert and recording rules defined in Python, rendered to YAML.

Each alert carries its own promtool scenarios (one that fires, at least one near
miss) and its runbook section, so the rule file, its tests and ``docs/runbooks.md``
cannot drift apart.
"""
