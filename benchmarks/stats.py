"""Summaries that survive a shared, noisy machine: medians, quartiles, paired ratios."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Summary:
    """µs per request of one variant on one route, and its ratio to bare.

    `ratio` is the median over rounds of (variant / bare in the same round): each round measures
    every variant within seconds of the others, so a burst of load elsewhere hits both sides of a
    ratio. `ratio_low`/`ratio_high` are the quartiles of those per-round ratios.
    """

    median: float
    best: float
    q1: float
    q3: float
    ratio: float
    ratio_low: float
    ratio_high: float
    samples: int


def summarise(samples: Sequence[float], bare: Sequence[float]) -> Summary:
    ratios = [value / base for value, base in zip(samples, bare, strict=True)]
    return Summary(
        median=statistics.median(samples), best=min(samples), q1=quantile(samples, 0.25),
        q3=quantile(samples, 0.75), ratio=statistics.median(ratios),
        ratio_low=quantile(ratios, 0.25), ratio_high=quantile(ratios, 0.75),
        samples=len(samples),
    )
