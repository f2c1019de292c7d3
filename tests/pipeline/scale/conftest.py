"""Session fixtures for the scale-out tests: one generated data set, a local Spark session and a throwaway
PostgreSQL cluster (started here on 127.0.0.1 and always stopped at teardown)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline import config
from pipeline.scale import backends
from tests.postgres_cluster import running_cluster

SCALE_ROWS = 20_000  # campaign rows: enough for every dimension value, small enough for Spark's minute
GAP_COLUMNS = ("device", "content_type")  # dimensions given missing values in campaigns_gaps.csv


@pytest.fixture(scope="session")
def scale_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded data (20k campaign rows and the influencer tables), plus campaigns.parquet, tracking_data.parquet
    and campaigns_gaps.csv|parquet (every 7th device and every 11th content type blank)."""
    out = tmp_path_factory.mktemp("scale")
    data_generation.generate(out, seed=42, rows=SCALE_ROWS)
    frame = pd.read_csv(out / "campaigns.csv", parse_dates=["date"])
    frame.to_parquet(out / "campaigns.parquet", index=False)
    pd.read_csv(out / "tracking_data.csv", parse_dates=["date"]).to_parquet(out / "tracking_data.parquet", index=False)
    gaps = frame.copy()
    for column, step in zip(GAP_COLUMNS, (7, 11), strict=True):
        gaps[column] = gaps[column].astype(object)
        gaps.loc[np.arange(len(gaps)) % step == 0, column] = None
    gaps.to_csv(out / "campaigns_gaps.csv", index=False)
    gaps.to_parquet(out / "campaigns_gaps.parquet", index=False)
    return out


@pytest.fixture(scope="session")
def duckdb_con() -> Any:
    return backends.connect(config.BackendSettings(kind="duckdb"))


@pytest.fixture(scope="session")
def spark_con() -> Iterator[Any]:
    """An Ibis backend on a local[2] SparkSession (no UI, driver on 127.0.0.1), stopped at the end."""
    session = backends.spark_session()
    import ibis

    try:
        yield ibis.pyspark.connect(session)
    finally:
        session.stop()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL cluster (tests/postgres_cluster.py), stopped and removed at teardown."""
    with running_cluster(prefix="scale-pg-") as url:
        yield url


@pytest.fixture(scope="session")
def postgres_con(postgres_url: str, scale_dir: Path) -> Any:
    """The Ibis PostgreSQL backend with the scale data loaded as campaigns, campaigns_gaps and tracking_data."""
    con = backends.connect(config.BackendSettings(kind="postgres", url=postgres_url))
    for name in ("campaigns", "campaigns_gaps"):
        con.create_table(name, pd.read_csv(scale_dir / f"{name}.csv", parse_dates=["date"]))
    con.create_table("tracking_data", pd.read_csv(scale_dir / "tracking_data.csv", parse_dates=["date"]))
    return con
