"""Runnable examples of qf-otel in use (not part of the installed distribution)."""
