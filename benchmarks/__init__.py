"""Issue 8 benchmarks: `make bench` (`python -m benchmarks.run`) writes docs/performance.md."""
