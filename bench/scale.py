"""The embedded engine (DuckDB) against local Spark, both through the same Ibis expressions (pipeline.scale).

    python -m bench.scale [DATA_DIR] [--runs 5]      # default /tmp/bench-data/10m; prints JSON

Times, on DATA_DIR's campaigns.parquet: the overview's KPI sums (platform × device) and the day-level cube
(platform × campaign × device × date) under rotating filters, and tracking_sums on its tracking data. Spark's
session start and first job are reported apart from its warm runs (median, min–max). `identical`: both
engines returned the same frames (floats to 1e-9). Also compares the interval methods of pipeline.scale.sums_stats
with the exact bootstrap on the same tracking data. bench/run.py runs this as its "scale" section; its
results.md table is bench/report.py's scale_lines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import same_frames, stats, timed  # noqa: E402
from bench.report import scale_lines  # noqa: E402
from pipeline import config  # noqa: E402
from pipeline.filters import CampaignFilter  # noqa: E402
from pipeline.influencers import incrementality as inc  # noqa: E402
from pipeline.scale import backends, campaign_sums, sums_stats, tracking_sums  # noqa: E402

RUNS = 5
DEFAULT_DATA = Path("/tmp/bench-data/10m")
# Rotating filters, also used by the pandas-vs-DuckDB section (bench/sections/engine.py) so the figures compare.
SPECS = [
    CampaignFilter(platforms=("Meta",)),
    CampaignFilter(platforms=("Meta", "TikTok"), devices=("Mobile",)),
    CampaignFilter(start=pd.Timestamp("2025-03-01"), end=pd.Timestamp("2025-05-31")),
    CampaignFilter(platforms=("TikTok",), content_types=("Video", "UGC")),
    CampaignFilter(devices=("Desktop", "Tablet")),
]
QUERIES = {
    "overview KPI sums (platform × device)": ["platform", "device"],
    "day-level cube (platform × campaign × device × date)": ["platform", "campaign", "device", "date"],
}
TRACKING_QUERY = "tracking_sums (per group and user bucket)"


def _engine_runs(con: Any, settings: config.BackendSettings, runs: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(timings, the first spec's results) for every query on one engine: the first call apart, then `runs`."""
    campaigns = backends.campaign_table(con, settings)
    tracking = backends.tracking_table(con, settings)
    timings: dict[str, Any] = {}
    results: dict[str, Any] = {}
    for name, by in QUERIES.items():
        first_s, results[name] = timed(lambda by=by: campaign_sums.campaign_sums(campaigns, SPECS[0], by))
        warm = [
            timed(lambda i=i, by=by: campaign_sums.campaign_sums(campaigns, SPECS[(i + 1) % len(SPECS)], by))[0]
            for i in range(runs)
        ]
        timings[name] = {"first_s": first_s, "warm": stats(warm)}
    first_s, results[TRACKING_QUERY] = timed(lambda: tracking_sums.tracking_sums(tracking))
    warm = [timed(lambda: tracking_sums.tracking_sums(tracking))[0] for _ in range(runs)]
    timings[TRACKING_QUERY] = {"first_s": first_s, "warm": stats(warm)}
    return timings, results


def _identical(left: dict[str, Any], right: dict[str, Any]) -> dict[str, bool]:
    out = {name: same_frames(left[name], right[name]) for name in QUERIES}
    a, b = left[TRACKING_QUERY], right[TRACKING_QUERY]
    out[TRACKING_QUERY] = same_frames(a.sums, b.sums) and a.contaminated_users == b.contaminated_users
    return out


def parquet_rows(path: Path) -> int:
    """Row count from the Parquet footer (no data is read)."""
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def interval_agreement(tracking_csv: Path, payouts_csv: Path) -> dict[str, Any]:
    """The scale interval methods against the exact per-user bootstrap on one tracking set: iROAS and lift
    endpoints' largest distance from the exact ones, as a share of the exact interval's width, and timings."""
    tracking, payouts = pd.read_csv(tracking_csv), pd.read_csv(payouts_csv)
    exact_s, report = timed(lambda: inc.analyse(tracking, payouts, breakdowns=()))
    exact = report.overall
    con = backends.connect(config.BackendSettings(kind="duckdb"))
    sums = tracking_sums.tracking_sums(backends.tracking_table(con, config.BackendSettings(tracking=str(tracking_csv))))
    out: dict[str, Any] = {
        "tracking_rows": len(tracking),
        "exact_analyse_s": exact_s,
        "exact": {"iroas": exact.iroas, "iroas_ci": [exact.iroas_ci_low, exact.iroas_ci_high]},
    }
    for method in sums_stats.METHODS:
        seconds, got = timed(lambda m=method: sums_stats.compare_from_sums(sums.sums, exact.payout, m))
        iroas_width = exact.iroas_ci_high - exact.iroas_ci_low
        lift_width = exact.lift_ci_high - exact.lift_ci_low
        out[method] = {
            "seconds": seconds,
            "iroas_ci": [got.iroas_ci_low, got.iroas_ci_high],
            "iroas_equal": abs(got.iroas - exact.iroas) <= 1e-9 * abs(exact.iroas),
            "iroas_endpoint_shift_of_width": max(
                abs(got.iroas_ci_low - exact.iroas_ci_low), abs(got.iroas_ci_high - exact.iroas_ci_high)
            )
            / iroas_width,
            "lift_endpoint_shift_of_width": max(
                abs(got.lift_ci_low - exact.lift_ci_low), abs(got.lift_ci_high - exact.lift_ci_high)
            )
            / lift_width,
        }
    return out


def engine_comparison(data_dir: Path, runs: int = RUNS) -> dict[str, Any]:
    """DuckDB (Ibis) against local Spark (Ibis, local[2]) on data_dir's campaigns.parquet and tracking data."""
    parquet = data_dir / config.CAMPAIGNS_PARQUET
    if not parquet.is_file():
        raise FileNotFoundError(f"{parquet} is missing (the generator writes it from 1M rows).")
    out: dict[str, Any] = {"data": str(data_dir), "rows": parquet_rows(parquet), "runs": runs}
    local = {"campaigns": str(parquet), "tracking": str(data_dir / config.TRACKING_FILE)}

    import ibis  # imported before timing: a one-off cost of the process, not of either engine

    duck_settings = config.BackendSettings(kind="duckdb", **local)
    connect_s, duck = timed(lambda: backends.connect(duck_settings))
    duck_timings, duck_results = _engine_runs(duck, duck_settings, runs)
    out["duckdb"] = {"connect_s": connect_s, **duck_timings}

    spark_settings = config.BackendSettings(kind="spark", **local)
    session_s, session = timed(backends.spark_session)
    try:
        spark = ibis.pyspark.connect(session)
        spark_timings, spark_results = _engine_runs(spark, spark_settings, runs)
    finally:
        session.stop()
    out["spark"] = {"session_start_s": session_s, "master": config.SPARK_MASTER, **spark_timings}
    out["identical"] = _identical(duck_results, spark_results)
    out["tracking_rows"] = int(pd.read_csv(data_dir / config.TRACKING_FILE, usecols=["user_id"]).shape[0])
    out["intervals"] = interval_agreement(data_dir / config.TRACKING_FILE, data_dir / config.PAYOUTS_FILE)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path, nargs="?", default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    result = engine_comparison(args.data_dir, max(1, args.runs))
    print(json.dumps(result, indent=2, default=str))
    print("\n".join(scale_lines(result)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
