"""Every Prometheus metric and label name the rules, dashboards and manifests rely on.

The names are as Prometheus shows them (after the OTel → Prometheus translation),
whether scraped from the process or through the Collector. Change a name here and
run ``python -m qf_ops`` to regenerate every artefact that uses it.
"""

from __future__ import annotations

# Resource labels carried by every series; the dashboards' variables and the
# alerts' aggregation level.
SERVICE = "service_name"
NAMESPACE = "service_namespace"
ENV = "deployment_environment_name"
SERVICE_LEVEL: tuple[str, ...] = (SERVICE, ENV)

# HTTP (stable semantic conventions).
HTTP_SERVER_DURATION = "http_server_request_duration_seconds"
HTTP_SERVER_ACTIVE = "http_server_active_requests"
HTTP_CLIENT_DURATION = "http_client_request_duration_seconds"
HTTP_METHOD = "http_request_method"
HTTP_ROUTE = "http_route"
HTTP_STATUS = "http_response_status_code"
SERVER_ADDRESS = "server_address"
ERROR_TYPE = "error_type"

# Database client.
DB_DURATION = "db_client_operation_duration_seconds"
DB_SYSTEM = "db_system_name"
DB_OPERATION = "db_operation_name"
DB_COLLECTION = "db_collection_name"
DB_CONN_COUNT = "db_client_connection_count"
DB_CONN_MAX = "db_client_connection_max"
# QueuePool cannot tell how many checkouts wait, only how many gave up (pool_timeout).
DB_CONN_TIMEOUTS = "db_client_connection_timeouts_total"
DB_CONN_STATE = "db_client_connection_state"
DB_POOL = "db_client_connection_pool_name"

# Cache.
CACHE_REQUESTS = "qf_cache_requests_total"
CACHE_DURATION = "qf_cache_operation_duration_seconds"
CACHE_ERRORS = "qf_cache_errors_total"
CACHE_NAME = "qf_cache_name"
CACHE_OPERATION = "qf_cache_operation"
CACHE_RESULT = "qf_cache_result"

# Quantum.
QUANTUM_COHERENCE = "qf_quantum_coherence_ratio"
QUANTUM_DURATION = "qf_quantum_algorithm_duration_seconds"
QUANTUM_CYCLES = "qf_quantum_optimization_cycles_total"
QUANTUM_SYSTEM = "qf_quantum_system"
QUANTUM_ALGORITHM = "qf_quantum_algorithm"
OUTCOME = "qf_outcome"

# Health.
HEALTH_SCORE = "qf_health_score_ratio"
HEALTH_CONNECTIONS = "qf_health_connections"
HEALTH_ERRORS = "qf_health_errors_total"
COMPONENT = "qf_component"

# Business.
SESSIONS_ACTIVE = "qf_business_sessions_active"
TRANSACTIONS = "qf_business_transactions_total"
REVENUE = "qf_business_revenue_total"
TRANSACTION_TYPE = "qf_transaction_type"
TRANSACTION_STATUS = "qf_transaction_status"
CURRENCY = "currency"

# Security.
SECURITY_EVENTS = "qf_security_events_total"
AUTH_ATTEMPTS = "qf_security_auth_attempts_total"
SECURITY_EVENT_TYPE = "qf_security_event_type"
SECURITY_SEVERITY = "qf_security_severity"
AUTH_METHOD = "qf_auth_method"
AUTH_OUTCOME = "qf_auth_outcome"

# Infrastructure (qf_otel.infrastructure, semconv names): CPU per mode (machine-wide, no
# per-CPU series), memory in state `used`, filesystem per mountpoint.
PROCESS_CPU = "process_cpu_utilization_ratio"
PROCESS_MEMORY = "process_memory_usage_bytes"
SYSTEM_CPU = "system_cpu_utilization_ratio"
SYSTEM_MEMORY = "system_memory_utilization_ratio"
SYSTEM_FILESYSTEM = "system_filesystem_utilization_ratio"
CPU_STATE = "cpu_mode"
MEMORY_STATE = "system_memory_state"
FILESYSTEM_MOUNTPOINT = "system_filesystem_mountpoint"

# qf-otel's own health.
QF_FOLDED = "qf_otel_attribute_folded_total"
QF_EXPORT_FAILURES = "qf_otel_export_failures_total"

# Collector self-telemetry (its :8888 endpoint) and Prometheus' own `up`. Measured on
# collector/bin/qf-otelcol (contrib v0.161.0) with collector/config/otelcol.yaml, whose
# telemetry reader sets without_type_suffix/without_units: counters carry no `_total` and
# no unit suffix. Queue gauges carry `data_type`; sent/failed carry `server_address`.
UP = "up"
OTELCOL_REFUSED = "otelcol_receiver_refused_metric_points"
OTELCOL_ACCEPTED = "otelcol_receiver_accepted_metric_points"
OTELCOL_SENT = "otelcol_exporter_sent_metric_points"
OTELCOL_SEND_FAILED = "otelcol_exporter_send_failed_metric_points"
OTELCOL_ENQUEUE_FAILED = "otelcol_exporter_enqueue_failed_metric_points"
OTELCOL_QUEUE_SIZE = "otelcol_exporter_queue_size"
OTELCOL_QUEUE_CAPACITY = "otelcol_exporter_queue_capacity"
OTELCOL_PROCESSOR_INCOMING = "otelcol_processor_incoming_items"
OTELCOL_PROCESSOR_OUTGOING = "otelcol_processor_outgoing_items"
OTELCOL_UPTIME = "otelcol_process_uptime"
OTELCOL_RSS = "otelcol_process_memory_rss"
OTELCOL_CPU = "otelcol_process_cpu_seconds"
OTELCOL_RECEIVER = "receiver"
OTELCOL_EXPORTER = "exporter"
OTELCOL_PROCESSOR = "processor"
OTELCOL_SIGNAL = "otel_signal"

# Where alerts link to; GitHub renders a heading `## Name` as anchor `#name`.
RUNBOOK_BASE_URL = "https://github.com/quantumflow/qf-otel/blob/main/docs/runbooks.md"
