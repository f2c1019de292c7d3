"""Connections and tables for the grouped sums, written once in Ibis and run where the data lives.

One Ibis expression per question (pipeline.scale.campaign_sums, pipeline.scale.tracking_sums) runs on the
embedded default (DuckDB over the local Parquet/CSV files, no configuration), on Spark (a local session or a
cluster's master URL) or on PostgreSQL, and returns a small aggregated pandas frame. Only sums and counts leave
the engine; ratios (pipeline.kpis.add_ratios), intervals (pipeline.scale.sums_stats) and charts are computed
locally from them.

Which engine and tables: config.settings_from_env (ANALYTICS_* environment variables, else the [backend]
section of .streamlit/secrets.toml, else the embedded default). Filter values reach the engine as Ibis
literals (quoted by Ibis's compiler), and column names only from the schema's closed lists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pandas as pd

from pipeline import config

if TYPE_CHECKING:  # importing ibis costs ~0.5 s; only the functions that use it import it
    import ibis.expr.types as ir
    from pyspark.sql import SparkSession


# ---------------------------------------------------------------- errors


@contextmanager
def plain_errors(settings: config.BackendSettings) -> Iterator[None]:
    """Turn an engine's own exception (Py4J, psycopg, DuckDB, ...) into one BackendError sentence, with any
    password in the URL masked; ValueErrors (BackendError, GroupingError) already are one sentence."""
    try:
        yield
    except ValueError:
        raise
    except Exception as exc:  # each engine has its own exception types; all become one sentence
        raise config.BackendError(f"The {settings.kind} backend failed: {first_line(exc, settings.url)}") from None


def first_line(exc: BaseException, url: str | None = None) -> str:
    """The first line of an exception's message (its type name if empty), with `url`'s password masked."""
    lines = str(exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    secret = urlsplit(url).password if url else None
    return reason.replace(secret, "***") if secret else reason


# ---------------------------------------------------------------- connections


def spark_session(master: str = config.SPARK_MASTER) -> SparkSession:
    """A Spark session (reused if one is running). Locally: no web UI, and the driver on 127.0.0.1."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("campaign-analytics")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(config.SPARK_SHUFFLE_PARTITIONS))
        .config("spark.sql.session.timeZone", "UTC")  # dates mean the same day on every engine
        # Arrow brings results back to pandas in columns; without it toPandas converts row by row (a 3M-row
        # day-level cube took ~19 s instead of a few).
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if master.startswith("local"):
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            # Locally the driver is the executor too: the default 1 GB heap ran out collecting a 10M-row cube.
            .config("spark.driver.memory", config.SPARK_LOCAL_MEMORY)
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def connect(settings: config.BackendSettings) -> Any:
    """An Ibis backend for `settings.kind`; BackendError with one sentence when it cannot be reached."""
    import ibis

    if settings.kind == "duckdb":
        return ibis.duckdb.connect()
    if settings.kind == "spark":
        return ibis.pyspark.connect(spark_session(settings.url or config.SPARK_MASTER))
    if settings.kind == "postgres":
        if not settings.url:
            raise config.BackendError(
                f"The PostgreSQL backend needs a URL: set {config.ENV_URL} or url in [backend] of secrets.toml."
            )
        return _connect_postgres(settings.url)
    raise config.BackendError(f"Unknown backend {settings.kind!r}; use one of {', '.join(config.BACKEND_KINDS)}.")


def postgres_parameters(url: str) -> dict[str, Any]:
    """ibis.postgres.connect's arguments for `url`: everything libpq reads from it (the query's sslmode or
    password too), the database as `database`, and a connect timeout unless the URL sets one."""
    from psycopg.conninfo import conninfo_to_dict

    params: dict[str, Any] = dict(conninfo_to_dict(url))
    params.setdefault("connect_timeout", str(config.POSTGRES_CONNECT_TIMEOUT_S))
    params["database"] = params.pop("dbname", None)
    return params


def _connect_postgres(url: str) -> Any:
    import ibis

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.hostname:
        raise config.BackendError(
            f"{config.redact_url(url)} is not a PostgreSQL URL (postgresql://user@host:port/database)."
        )
    try:
        return ibis.postgres.connect(**postgres_parameters(url))
    except Exception as exc:  # psycopg's errors vary: keep the first line, with the password masked
        raise config.BackendError(
            f"Cannot connect to PostgreSQL at {config.redact_url(url)}: {first_line(exc, url)}"
        ) from None


# ---------------------------------------------------------------- tables


def _local_file(location: str, stem: str) -> Path | None:
    """The Parquet or CSV file for a folder or file location, or None when `location` is not a local path."""
    path = Path(location)
    if path.is_dir():
        for suffix in (".parquet", ".csv"):
            if (path / f"{stem}{suffix}").is_file():
                return path / f"{stem}{suffix}"
        raise config.BackendError(f"{path} has no {stem}.parquet or {stem}.csv.")
    if path.suffix in (".parquet", ".csv"):
        if "://" in location:  # a cluster path (s3a://, hdfs://): Spark reads it, nothing to check here
            return path
        if not path.is_file():
            raise config.BackendError(f"There is no file at {path}.")
        return path
    return None


def _open_table(con: Any, kind: str, location: str, stem: str) -> ir.Table:
    if not location:
        raise config.BackendError(f"No location is set for the {stem} data.")
    if kind == "postgres":
        return _named_table(con, location)
    file = _local_file(location, stem)
    if file is None:
        if kind == "duckdb":
            raise config.BackendError(f"{location} is not a folder, Parquet or CSV file for the DuckDB backend.")
        return _named_table(con, location)  # a Spark catalog table
    source = location if "://" in location else str(file)
    if file.suffix == ".parquet":
        return con.read_parquet(source)
    return _duckdb_csv(con, file) if kind == "duckdb" else con.read_csv(source)


def _duckdb_csv(con: Any, path: Path) -> ir.Table:
    """A CSV loaded once into a DuckDB temporary table: Ibis's read_csv is a view that re-parses the file on every
    query (~0.25 s at 50k rows, against ~0.02 s from the table). The path is a bound parameter; the table name
    is a hash. (Ibis 12's create_table and cache fail on DuckDB 2.0, hence the SQL.)"""
    name = "csv_" + hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    con.con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT * FROM read_csv_auto(?)', [str(path)])
    return con.table(name)


def _named_table(con: Any, name: str) -> ir.Table:
    try:
        return con.table(name)
    except Exception:  # each engine raises its own "not found" type
        raise config.BackendError(f"The backend has no table named {name!r}.") from None


def campaign_table(con: Any, settings: config.BackendSettings) -> ir.Table:
    """The campaign table: campaigns.parquet (else .csv) in a folder, a Parquet/CSV file, or a table name."""
    return _open_table(con, settings.kind, settings.campaigns, "campaigns")


def tracking_table(con: Any, settings: config.BackendSettings) -> ir.Table:
    """The tracking table: tracking_data.parquet (else .csv) in a folder, a Parquet/CSV file, or a table name."""
    return _open_table(con, settings.kind, settings.tracking, Path(config.TRACKING_FILE).stem)


# ---------------------------------------------------------------- predicates shared by both kinds of sums


def _day(value: pd.Timestamp) -> Any:
    """The first whole day at or after `value`: on day-level dates, `date >= value` is `date >= _day(value)`."""
    return pd.Timestamp(value).ceil("D").date()


def day_predicates(dates: Any, start: pd.Timestamp | None, end: pd.Timestamp | None) -> list[Any]:
    """Ibis predicates start <= date < end + 1 day on a date column, compared by day as pipeline.filters does
    (`end` is an inclusive day; None: no bound)."""
    import ibis

    day = dates.cast("date")
    predicates: list[Any] = []
    if start is not None:
        predicates.append(day >= ibis.literal(_day(start)))
    if end is not None:
        predicates.append(day < ibis.literal(_day(pd.Timestamp(end) + pd.Timedelta(days=1))))
    return predicates
