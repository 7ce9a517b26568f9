"""Shared helpers for tests that cross a process boundary: free ports, real servers."""
