"""Filter plus group-by on the same specs: pandas on the loaded frame against DuckDB through pipeline.scale.backends
(reading campaigns.parquet when the set has one, else campaigns.csv loaded once into a DuckDB table)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.measure import repeat, same_frames, timed
from bench.scale import SPECS
from pipeline import config
from pipeline.inputs import demo
from pipeline.scale import backends, campaign_sums

GROUPINGS = {
    "platform x device": ["platform", "device"],
    "overview cube": ["platform", "campaign", "device", "date"],
}


def bench_engine(runs: int, sizes: dict[str, Path]) -> dict[str, Any]:
    """Per data set: the frame's load time and size, then per grouping pandas' and DuckDB's time under rotating
    filters (the scale-out section's, so the figures compare) and whether both returned the same frames."""
    specs = [SPECS[i % len(SPECS)] for i in range(runs)]
    con = backends.connect(config.BackendSettings(kind="duckdb"))
    out: dict[str, Any] = {}
    for label, data_dir in sizes.items():
        out[label] = _one_size(con, data_dir, specs, runs)
    return out


def _one_size(con: Any, data_dir: Path, specs: list[Any], runs: int) -> dict[str, Any]:
    load_s, frame = timed(lambda: demo.read_campaigns(data_dir))
    parquet = data_dir / config.CAMPAIGNS_PARQUET
    settings = config.BackendSettings(kind="duckdb", campaigns=str(data_dir))  # Parquet first, else CSV
    open_s, table = timed(lambda: backends.campaign_table(con, settings))
    result: dict[str, Any] = {
        "rows": len(frame),
        "frame_load_s": load_s,
        "frame_mb": frame.memory_usage(deep=True).sum() / 2**20,
        "parquet_mb": parquet.stat().st_size / 2**20 if parquet.is_file() else None,
        "duckdb_reads": parquet.name if parquet.is_file() else config.CAMPAIGNS_FILE,
        "duckdb_open_s": open_s,
    }
    for name, by in GROUPINGS.items():
        result[name] = {
            "pandas": repeat(lambda i, by=by: campaign_sums.frame_sums(frame, specs[i], by), runs),
            "duckdb": repeat(lambda i, by=by: campaign_sums.campaign_sums(table, specs[i], by), runs),
            "identical": all(
                same_frames(campaign_sums.frame_sums(frame, s, by), campaign_sums.campaign_sums(table, s, by))
                for s in specs[:2]
            ),
        }
    return result
