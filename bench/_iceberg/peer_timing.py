"""Timing shared by the Python peers of bench/scan.ts."""

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def timed_runs(once: Callable[[], T], repeats: int, budget_ms: float) -> tuple[list[float], T]:
    """Runs `once` to warm up, then `repeats` timed times, returning the times (ms) and the last
    answer. When a run is so slow that the repeats would pass `budget_ms`, fewer are run (at least
    one); when the warm-up alone passes it, it is the one measurement (at that length a warm
    cache no longer matters)."""
    started = time.perf_counter()
    answer = once()
    warm_up_ms = (time.perf_counter() - started) * 1000
    if warm_up_ms >= budget_ms:
        return [warm_up_ms], answer
    times = []
    for _ in range(max(1, min(repeats, int(budget_ms // max(warm_up_ms, 1.0))))):
        started = time.perf_counter()
        answer = once()
        times.append((time.perf_counter() - started) * 1000)
    return times, answer
