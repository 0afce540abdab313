"""Timing shared by the Python peers of bench/scan.ts."""


def repeats_within(request: dict, warm_up_ms: float) -> int:
    """`repeats`, or fewer (at least one) when a run is so slow that they would pass `budget_ms`."""
    return max(1, min(int(request["repeats"]), int(float(request["budget_ms"]) // max(warm_up_ms, 1.0))))
