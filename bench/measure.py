"""Timing, comparison and reference helpers shared by the benchmark sections (bench/sections, bench/scale.py)."""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import config, kpis
from pipeline.filters import CampaignFilter
from pipeline.scale import backends, campaign_sums


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


@functools.cache
def _campaign_table(data_dir: Path) -> Any:
    """The data set's campaign table on one DuckDB connection, opened once per folder (a CSV is loaded once)."""
    settings = config.BackendSettings(kind="duckdb", campaigns=str(data_dir))
    return backends.campaign_table(backends.connect(settings), settings)


def pipeline_totals(data_dir: Path, spec: CampaignFilter) -> dict[str, float]:
    """The pipeline's totals and KPIs (pipeline.kpis.add_ratios) for `spec` over a data folder, summed by DuckDB
    from campaigns.parquet (else campaigns.csv) without loading the rows into the bench process."""
    sums = campaign_sums.campaign_sums(_campaign_table(Path(data_dir)), spec)
    return kpis.add_ratios(sums).iloc[0].to_dict()
