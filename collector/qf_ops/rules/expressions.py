"""PromQL building blocks shared by several rule groups."""

from __future__ import annotations

from qf_ops.rules.model import by


def zero_filled_ratio(part: str, whole: str, window: str, labels: tuple[str, ...] = ()) -> str:
    """rate(part) / rate(whole) per service (and ``labels``), 0 instead of absent.

    A counter series for a label value appears only once that value was seen, so a
    plain ratio is absent, not 0, while nothing failed yet; dashboards would show "no
    data" and an end-to-end check could not tell "no failures" from "no metrics".
    """
    grouping = by(*labels)
    return (
        f"(\n  sum {grouping} (rate({part}[{window}]))\n"
        f"  or\n  0 * sum {grouping} (rate({whole}[{window}]))\n)\n"
        f"/\nsum {grouping} (rate({whole}[{window}]))"
    )


def quantile(q: float, bucket_rate: str) -> str:
    """histogram_quantile over an already aggregated bucket-rate recording rule."""
    return f"histogram_quantile({q}, {bucket_rate})"
