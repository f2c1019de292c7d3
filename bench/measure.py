"""Timing, comparison and reference helpers shared by the benchmark sections (bench/sections, bench/scale.py)."""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
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


def seconds_cell(value: float | None) -> str:
    """A duration for a results table: "98 ms", "2.22 s", or "—" when unknown."""
    if value is None or value != value:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def stat_cell(entry: dict[str, Any] | None) -> str:
    """A stats() entry as "median (min–max)", or "—" when it holds no run."""
    if not entry or not entry.get("n"):
        return "—"
    return f"{seconds_cell(entry['median'])} ({seconds_cell(entry['min'])}–{seconds_cell(entry['max'])})"


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


@functools.cache
def _data_days(data_dir: Path) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The data set's first and last day, read by DuckDB (no rows loaded into the bench process)."""
    table = _campaign_table(data_dir)
    row = table.aggregate(first=table["date"].min(), last=table["date"].max()).execute().iloc[0]
    return pd.Timestamp(row["first"]).normalize(), pd.Timestamp(row["last"]).normalize()


def on_overview_dates(data_dir: Path, spec: CampaignFilter) -> CampaignFilter:
    """`spec` restricted to the dates the overview opens on: the data's last kpis.RECENT_DAYS days."""
    recent = kpis.recent_period(*_data_days(Path(data_dir)))
    return replace(spec, start=recent.start, end=recent.end)
