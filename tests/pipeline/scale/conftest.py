"""Session fixtures for the scale-out tests: one generated data set, a local Spark session and a throwaway
PostgreSQL cluster (started here on 127.0.0.1 and always stopped at teardown)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline import config
from pipeline.scale import backends

SCALE_ROWS = 20_000  # campaign rows: enough for every dimension value, small enough for Spark's minute
GAP_COLUMNS = ("device", "content_type")  # dimensions given missing values in campaigns_gaps.csv
PG_START_TIMEOUT_S = 60


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.fail("PostgreSQL is not installed: run `make postgres` (Debian package postgresql).")
    return Path(found[-1]).parent


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL cluster in a temporary folder on 127.0.0.1 and a free port (trust auth, fsync off);
    as root the server runs as the `postgres` OS user, as PostgreSQL requires. Stopped and removed at teardown,
    also when a test or the start-up fails."""
    bin_dir = _postgres_bin()
    as_root = os.geteuid() == 0
    # As root, a folder the postgres user can reach (pytest's own tmp folders are private to root).
    folder = Path(tempfile.mkdtemp(prefix="scale-pg-", dir="/tmp" if as_root else None))
    as_user: list[str] = []
    if as_root:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log = folder / "data", folder / "server.log"
    port = _free_port()
    pg_ctl = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"],
            check=True,
            capture_output=True,
            timeout=PG_START_TIMEOUT_S,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = subprocess.run(
            [*pg_ctl, "-l", str(log), "-w", "-t", str(PG_START_TIMEOUT_S), "-o", options, "start"],
            capture_output=True,
            text=True,
            timeout=PG_START_TIMEOUT_S + 10,
        )
        if started.returncode != 0:
            detail = log.read_text() if log.is_file() else started.stderr
            pytest.fail(f"PostgreSQL did not start: {detail[-2000:]}")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], capture_output=True, timeout=60)
        time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_con(postgres_url: str, scale_dir: Path) -> Any:
    """The Ibis PostgreSQL backend with the scale data loaded as campaigns, campaigns_gaps and tracking_data."""
    con = backends.connect(config.BackendSettings(kind="postgres", url=postgres_url))
    for name in ("campaigns", "campaigns_gaps"):
        con.create_table(name, pd.read_csv(scale_dir / f"{name}.csv", parse_dates=["date"]))
    con.create_table("tracking_data", pd.read_csv(scale_dir / "tracking_data.csv", parse_dates=["date"]))
    return con
