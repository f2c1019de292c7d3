"""Timing and comparison helpers shared by the benchmark sections (bench/run.py, bench/scale.py)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import pandas as pd


def stats(samples: list[float]) -> dict[str, Any]:
    """Median, min and max of timing samples (seconds), with the samples themselves."""
    if not samples:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "n": 0, "samples": []}
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
        "samples": [round(s, 4) for s in samples],
    }


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def repeat(fn: Callable[[int], Any], runs: int) -> dict[str, Any]:
    """Time fn(i) for i in range(runs)."""
    return stats([timed(lambda i=i: fn(i))[0] for i in range(runs)])


def same_frames(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9)
    except AssertionError:
        return False
    return True
