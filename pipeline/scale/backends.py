"""The grouped sums the dashboard needs, written once in Ibis and run where the data lives.

One Ibis expression per question runs on the embedded default (DuckDB over the local Parquet/CSV files,
no configuration), on Spark (a local session or a cluster's master URL) or on PostgreSQL, and returns a
small aggregated pandas frame. Only sums and counts leave the engine; ratios (pipeline.kpis.add_ratios),
intervals (pipeline.scale.sums_stats) and charts are computed locally from them.

Settings come from ANALYTICS_* environment variables, else the [backend] section of
.streamlit/secrets.toml, else the embedded default (settings_from_env). Filter values reach the engine
as Ibis literals (quoted by Ibis's compiler), and column names only from the schema's closed lists.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd

from pipeline import config
from pipeline.filters import CAMPAIGN_FILTER_COLUMNS, CampaignFilter
from pipeline.inputs import demo
from pipeline.scale import engine
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES

if TYPE_CHECKING:  # importing ibis costs ~0.5 s; only the functions that use it import it
    import ibis.expr.types as ir
    from pyspark.sql import SparkSession

BACKEND_KINDS = config.BACKEND_KINDS
DEFAULT_KIND = "duckdb"
SECRETS_PATH = config.ROOT / ".streamlit" / "secrets.toml"
ENV_KIND, ENV_CAMPAIGNS, ENV_TRACKING, ENV_URL = (
    "ANALYTICS_BACKEND",
    "ANALYTICS_CAMPAIGNS_TABLE",
    "ANALYTICS_TRACKING_TABLE",
    "ANALYTICS_BACKEND_URL",
)
# secrets.toml key -> environment variable that overrides it
SETTING_ENV = {"kind": ENV_KIND, "campaigns_table": ENV_CAMPAIGNS, "tracking_table": ENV_TRACKING, "url": ENV_URL}
# A warehouse has no data folder: these table names are the default there.
DEFAULT_TABLES = {"campaigns": "campaigns", "tracking": "tracking_data"}
SPARK_MASTER = "local[2]"  # the machine's 2 cores
# Spark's default of 200 shuffle partitions is for clusters; a few suffice for the small grouped results here.
SPARK_SHUFFLE_PARTITIONS = 8
SPARK_LOCAL_MEMORY = "3g"  # of the machine's 24 GB; see spark_session
# Users per group are spread over this many buckets for the bucket bootstrap (pipeline.scale.sums_stats); 1,024
# keeps the bootstrap's standard-error noise near 2% while the result stays ~2,000 rows per slice.
DEFAULT_BUCKETS = 1024
# bucket_numbers: a multiplicative hash modulo the prime 2^31 − 1 with xor-shift steps (nonlinear, so
# consecutive user ids do not land in buckets a constant stride apart). Every product stays below 2^62,
# so it is exact 64-bit integer arithmetic, identical on DuckDB, Spark, PostgreSQL and numpy.
HASH_MODULUS = 2_147_483_647
HASH_MULTIPLIERS = (1_103_515_245, 1_812_433_253)
HASH_SHIFTS = (16, 13)
TRACKING_SUM_COLUMNS = ("group", "bucket", "users", "revenue", "revenue_sq")
EXPOSED, CONTROL = 1, 0  # as pipeline.influencers.incrementality


class BackendError(ValueError):
    """A backend cannot be used as configured; the message is one sentence for people."""


@dataclass(frozen=True)
class BackendSettings:
    """Which engine computes the sums and where it finds the tables.

    `campaigns` and `tracking` are a Parquet/CSV file or a folder holding campaigns.parquet|csv and
    tracking_data.parquet|csv (DuckDB, Spark), or a table name (Spark catalog, PostgreSQL). `url` is the
    PostgreSQL URL or the Spark master; it may hold a password, so it is left out of repr (see `describe`).
    """

    kind: str = DEFAULT_KIND
    campaigns: str = ""
    tracking: str = ""
    url: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """A one-line description that is safe to log: the URL's password is masked."""
        url = f" at {redact_url(self.url)}" if self.url else ""
        return f"{self.kind}{url} (campaigns: {self.campaigns or '-'}, tracking: {self.tracking or '-'})"


@dataclass(frozen=True)
class TrackingSums:
    """tracking_sums' result: per (by..., group, bucket) users, Σ revenue per user, Σ (revenue per user)², and
    the users seen in both groups (excluded from the sums)."""

    sums: pd.DataFrame
    contaminated_users: int


# ---------------------------------------------------------------- settings


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _read_secrets(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        section = tomllib.loads(path.read_text(encoding="utf-8")).get("backend", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise BackendError(f"{path.name} is not valid TOML, so its [backend] settings cannot be read.") from None
    if not isinstance(section, dict):
        raise BackendError(f"[backend] in {path.name} must be a table of settings.")
    return section


def backend_configured(environ: Mapping[str, str] = os.environ, secrets_path: Path | None = None) -> bool:
    """True when the environment or secrets.toml names a backend (else the app and CLI keep their local paths)."""
    named = str(_read_secrets(secrets_path or SECRETS_PATH).get("kind", "") or "")
    return bool(environ.get(ENV_KIND, "").strip() or named.strip())


def settings_from_env(environ: Mapping[str, str] = os.environ, secrets_path: Path | None = None) -> BackendSettings:
    """Backend settings: ANALYTICS_BACKEND, ANALYTICS_CAMPAIGNS_TABLE, ANALYTICS_TRACKING_TABLE and
    ANALYTICS_BACKEND_URL win over the keys kind, campaigns_table, tracking_table and url of the [backend]
    section of `secrets_path` (default SECRETS_PATH, .streamlit/secrets.toml). With neither: DuckDB over the
    local data folder (config.data_dir()). Raises BackendError for an unknown kind or unreadable TOML."""
    secrets = _read_secrets(secrets_path or SECRETS_PATH)
    values = {}
    for key, variable in SETTING_ENV.items():
        value = environ.get(variable, "").strip() or str(secrets.get(key, "") or "").strip()
        values[key] = value
    kind = values["kind"].lower() or DEFAULT_KIND
    if kind not in BACKEND_KINDS:
        raise BackendError(f"Unknown backend {values['kind']!r}; use one of {', '.join(BACKEND_KINDS)}.")
    local = str(config.data_dir())
    return BackendSettings(
        kind=kind,
        campaigns=values["campaigns_table"] or (DEFAULT_TABLES["campaigns"] if kind == "postgres" else local),
        tracking=values["tracking_table"] or (DEFAULT_TABLES["tracking"] if kind == "postgres" else local),
        url=values["url"] or None,
    )


# ---------------------------------------------------------------- connections and tables


@contextmanager
def plain_errors(settings: BackendSettings) -> Iterator[None]:
    """Turn an engine's own exception (Py4J, psycopg, DuckDB, ...) into one BackendError sentence, with any
    password in the URL masked; ValueErrors (BackendError, EngineError) already are one sentence."""
    try:
        yield
    except ValueError:
        raise
    except Exception as exc:  # each engine has its own exception types; all become one sentence
        raise BackendError(f"The {settings.kind} backend failed: {first_line(exc, settings.url)}") from None


def first_line(exc: BaseException, url: str | None = None) -> str:
    """The first line of an exception's message (its type name if empty), with `url`'s password masked."""
    lines = str(exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    secret = urlsplit(url).password if url else None
    return reason.replace(secret, "***") if secret else reason


def spark_session(master: str = SPARK_MASTER) -> SparkSession:
    """A Spark session (reused if one is running). Locally: no web UI, and the driver on 127.0.0.1."""
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(master)
        .appName("campaign-analytics")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(SPARK_SHUFFLE_PARTITIONS))
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
            .config("spark.driver.memory", SPARK_LOCAL_MEMORY)
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def connect(settings: BackendSettings) -> Any:
    """An Ibis backend for `settings.kind`; BackendError with one sentence when it cannot be reached."""
    import ibis

    if settings.kind == "duckdb":
        return ibis.duckdb.connect()
    if settings.kind == "spark":
        return ibis.pyspark.connect(spark_session(settings.url or SPARK_MASTER))
    if settings.kind == "postgres":
        if not settings.url:
            raise BackendError(
                f"The PostgreSQL backend needs a URL: set {ENV_URL} or url in [backend] of secrets.toml."
            )
        return _connect_postgres(settings.url)
    raise BackendError(f"Unknown backend {settings.kind!r}; use one of {', '.join(BACKEND_KINDS)}.")


def _connect_postgres(url: str) -> Any:
    import ibis

    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.hostname:
        raise BackendError(f"{redact_url(url)} is not a PostgreSQL URL (postgresql://user@host:port/database).")
    try:
        credentials = {"user": parts.username, "password": parts.password}  # None: libpq's own defaults
        return ibis.postgres.connect(
            host=parts.hostname, port=parts.port or 5432, database=parts.path.lstrip("/") or None, **credentials
        )
    except Exception as exc:  # psycopg's errors vary: keep the first line, with the password masked
        raise BackendError(f"Cannot connect to PostgreSQL at {redact_url(url)}: {first_line(exc, url)}") from None


def _local_file(location: str, stem: str) -> Path | None:
    """The Parquet or CSV file for a folder or file location, or None when `location` is not a local path."""
    path = Path(location)
    if path.is_dir():
        for suffix in (".parquet", ".csv"):
            if (path / f"{stem}{suffix}").is_file():
                return path / f"{stem}{suffix}"
        raise BackendError(f"{path} has no {stem}.parquet or {stem}.csv.")
    if path.suffix in (".parquet", ".csv"):
        if "://" in location:  # a cluster path (s3a://, hdfs://): Spark reads it, nothing to check here
            return path
        if not path.is_file():
            raise BackendError(f"There is no file at {path}.")
        return path
    return None


def _open_table(con: Any, kind: str, location: str, stem: str) -> ir.Table:
    if not location:
        raise BackendError(f"No location is set for the {stem} data.")
    if kind == "postgres":
        return _named_table(con, location)
    file = _local_file(location, stem)
    if file is None:
        if kind == "duckdb":
            raise BackendError(f"{location} is not a folder, Parquet or CSV file for the DuckDB backend.")
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
        raise BackendError(f"The backend has no table named {name!r}.") from None


def campaign_table(con: Any, settings: BackendSettings) -> ir.Table:
    """The campaign table: campaigns.parquet (else .csv) in a folder, a Parquet/CSV file, or a table name."""
    return _open_table(con, settings.kind, settings.campaigns, "campaigns")


def tracking_table(con: Any, settings: BackendSettings) -> ir.Table:
    """The tracking table: tracking_data.parquet (else .csv) in a folder, a Parquet/CSV file, or a table name."""
    return _open_table(con, settings.kind, settings.tracking, Path(config.TRACKING_FILE).stem)


# ---------------------------------------------------------------- campaign sums


def _day(value: pd.Timestamp) -> Any:
    """The first whole day at or after `value`: on day-level dates, `date >= value` is `date >= _day(value)`."""
    return pd.Timestamp(value).ceil("D").date()


def _campaign_predicates(table: ir.Table, spec: CampaignFilter) -> list[Any]:
    """Ibis predicates for `spec`, as pipeline.filters applies it: start <= date < end + 1 day; a filter on a
    column the table lacks restricts nothing; a missing value matches engine.MISSING_LABEL."""
    import ibis

    predicates: list[Any] = []
    day = table["date"].cast("date")
    if spec.start is not None:
        predicates.append(day >= ibis.literal(_day(spec.start)))
    if spec.end is not None:
        predicates.append(day < ibis.literal(_day(pd.Timestamp(spec.end) + pd.Timedelta(days=1))))
    for name, column in CAMPAIGN_FILTER_COLUMNS.items():
        values = getattr(spec, name)
        if values is None or column not in table.columns:
            continue
        if not values:
            predicates.append(ibis.literal(False))  # an empty choice selects nothing
            continue
        labels = table[column].cast("string").fill_null(engine.MISSING_LABEL)
        predicates.append(labels.isin([str(value) for value in values]))
    return predicates


def campaign_sums_expr(table: ir.Table, spec: CampaignFilter = engine.EVERYTHING, by: Sequence[str] = ()) -> ir.Table:
    """The one Ibis expression behind campaign_sums: filter, group by `by`, Σ of every measure, row count."""
    by = list(by)
    missing = [column for column in by if column not in table.columns]
    if missing:
        raise engine.EngineError(f"The data has no {', '.join(missing)} column to group by.")
    predicates = _campaign_predicates(table, spec)
    filtered = table.filter(*predicates) if predicates else table
    measures = [m for m in CAMPAIGN_MEASURES if m in table.columns]
    metrics = {m: filtered[m].cast("float64").sum().fill_null(0.0) for m in measures}
    metrics["rows"] = filtered.count()
    if not by:
        return filtered.aggregate(**metrics)
    keys = {c: filtered[c] if c == "date" else filtered[c].cast("string").fill_null(engine.MISSING_LABEL) for c in by}
    return filtered.group_by(**keys).aggregate(**metrics)


def campaign_sums(table: ir.Table, spec: CampaignFilter = engine.EVERYTHING, by: Sequence[str] = ()) -> pd.DataFrame:
    """Σ of each measure and `rows` per group of `by` over the rows matching `spec`, computed by the table's
    engine: exactly the frame engine.sum_campaigns returns (string dims, datetime64 dates, float sums, int64
    rows, sorted by `by`). With no `by`, one row of totals (zeros when nothing matches). Raises EngineError
    for an unknown or absent grouping column."""
    engine.check_dimensions(by)
    return engine.normalise_sums(campaign_sums_expr(table, spec, by).to_pandas(), by)


# ---------------------------------------------------------------- tracking sums


def _mix(x: Any) -> Any:
    """The hash rounds on values in [0, HASH_MODULUS): the same operators on a numpy array or an Ibis column."""
    for multiplier, shift in zip(HASH_MULTIPLIERS, HASH_SHIFTS, strict=True):
        x = (x * multiplier) % HASH_MODULUS
        x = x ^ (x >> shift)
    return x


def dashboard_campaigns(settings: BackendSettings) -> pd.DataFrame:
    """The configured campaign table summed in its own engine to the dashboard's grain: one row per day and
    combination of the dimensions present (schemas.CAMPAIGN_DIMENSIONS), with Σ of every measure and `rows`
    (the raw rows behind each). For a daily ad-level export that is about the table's size; for finer data
    (hourly, per ad or per event) far smaller. Canonical dtypes, so every campaign page can use it as is.
    Raises BackendError (one sentence) when the engine or table cannot be used."""
    with plain_errors(settings):
        table = campaign_table(connect(settings), settings)
        if "date" not in table.columns:
            raise BackendError("The campaign table has no date column, so there is no trend or period to show.")
        sums = campaign_sums(table, engine.EVERYTHING, [c for c in CAMPAIGN_DIMENSIONS if c in table.columns])
    return demo.tidy_campaigns(sums)


def bucket_numbers(user_ids: np.ndarray, buckets: int = DEFAULT_BUCKETS) -> np.ndarray:
    """The bucket of each (integer) user id, in numpy: the same hash tracking_sums computes in the engine."""
    return _mix(np.abs(np.asarray(user_ids, dtype=np.int64)) % HASH_MODULUS) % buckets


def _bucket_expr(user_id: Any, buckets: int) -> Any:
    return _mix(user_id.abs() % HASH_MODULUS) % buckets


@dataclass(frozen=True)
class TrackingScope:
    """The tracking rows a filtered report covers: influencer ids, products and an inclusive day range (None: no
    restriction; an empty tuple selects nothing), as pipeline.filters.apply_influencer_filter restricts them."""

    influencer_ids: tuple[int, ...] | None = None
    products: tuple[str, ...] | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None


SCOPE_COLUMNS = ("influencer_id", "product", "date")  # columns a TrackingScope may filter on


def _scope_predicates(rows: ir.Table, scope: TrackingScope) -> list[Any]:
    """Ibis predicates for `scope`; a restriction on a column the table lacks restricts nothing (as
    pipeline.filters does), and dates compare by day (start <= date < end + 1 day)."""
    import ibis

    predicates: list[Any] = []
    choices = {"influencer_id": scope.influencer_ids, "product": scope.products}
    for column, values in choices.items():
        if values is None or column not in rows.columns:
            continue
        predicates.append(rows[column].isin(list(values)) if values else ibis.literal(False))
    if "date" in rows.columns:
        day = rows["date"].cast("date")
        if scope.start is not None:
            predicates.append(day >= ibis.literal(_day(scope.start)))
        if scope.end is not None:
            predicates.append(day < ibis.literal(_day(pd.Timestamp(scope.end) + pd.Timedelta(days=1))))
    return predicates


def _tracking_core(
    table: ir.Table, by: Sequence[str], scope: TrackingScope | None = None
) -> tuple[ir.Table, ir.Table, ir.Table]:
    """(rows of users in exactly one group, the ids of users seen in both groups, all rows in scope). Users in
    both groups are judged on the whole table, then `scope` restricts the rows. Rows with a group other than
    0/1 or no user id are not part of the test; a missing revenue counts as 0."""
    missing = [c for c in ("user_id", "group", "revenue", *by) if c not in table.columns]
    if missing:
        raise BackendError(f"The tracking data is missing column(s): {', '.join(missing)}.")
    extra = [c for c in SCOPE_COLUMNS if scope is not None and c in table.columns and c not in by]
    typed = {"influencer_id": table["influencer_id"].cast("int64")} if "influencer_id" in extra else {}
    rows = table.select(
        *by,
        *[c for c in extra if c not in typed],
        **typed,
        user_id=table["user_id"].cast("int64"),
        group=table["group"].cast("int64"),
        revenue=table["revenue"].cast("float64").fill_null(0.0),
    )
    rows = rows.filter(rows["user_id"].notnull(), rows["group"].isin([EXPOSED, CONTROL]))
    exposed = rows.filter(rows["group"] == EXPOSED).select("user_id").distinct()
    control = rows.filter(rows["group"] == CONTROL).select("user_id").distinct()
    both = exposed.join(control, "user_id").select("user_id")
    predicates = _scope_predicates(rows, scope) if scope is not None else []
    scoped = rows.filter(*predicates) if predicates else rows
    return scoped.anti_join(both, "user_id"), both, scoped


def tracking_sums_expr(
    table: ir.Table, by: Sequence[str] = (), buckets: int = DEFAULT_BUCKETS, scope: TrackingScope | None = None
) -> ir.Table:
    """The Ibis expression behind tracking_sums' frame."""
    by = list(by)
    clean, _, _ = _tracking_core(table, by, scope)
    per_user = clean.group_by([*by, "group", "user_id"]).aggregate(revenue=clean["revenue"].sum())
    per_user = per_user.mutate(bucket=_bucket_expr(per_user["user_id"], buckets))
    return per_user.group_by([*by, "group", "bucket"]).aggregate(
        users=per_user.count(),
        revenue=per_user["revenue"].sum(),
        revenue_sq=(per_user["revenue"] * per_user["revenue"]).sum(),
    )


def _contaminated_count(table: ir.Table, by: Sequence[str], scope: TrackingScope | None) -> int:
    """Users seen in both groups: all of them, or with a scope those with a row in it (as incrementality.analyse
    counts them against its `reference`)."""
    _, both, scoped = _tracking_core(table, by, scope)
    if scope is None:
        return int(both.count().to_pandas())
    in_scope = scoped.select("user_id").semi_join(both, "user_id").distinct()
    return int(in_scope.count().to_pandas())


def scoped_row_count(table: ir.Table, scope: TrackingScope | None = None) -> int:
    """Tracking rows in `scope` (users in both groups included), computed in the engine."""
    _, _, scoped = _tracking_core(table, (), scope)
    return int(scoped.count().to_pandas())


def tracking_sums(
    table: ir.Table, by: Sequence[str] = (), buckets: int = DEFAULT_BUCKETS, scope: TrackingScope | None = None
) -> TrackingSums:
    """Per (by..., group, bucket): users, revenue (Σ of per-user revenue) and revenue_sq (Σ of per-user
    revenue²), computed in the engine, with users seen in both groups (judged on the whole table, as
    incrementality.contaminated_user_ids does) excluded and counted.

    Revenue per user is summed over the user's rows within the slice first (a user counts in a slice when
    they have a row in it). bucket = bucket_numbers(user_id) in [0, buckets). Sorted by (by..., group, bucket).
    `scope` restricts the rows after users in both groups are found; contaminated_users then counts those
    with a row in scope.
    """
    if not (isinstance(buckets, int) and buckets >= 1):
        raise BackendError("The number of buckets must be a whole number of at least 1.")
    by = list(by)
    sums = tracking_sums_expr(table, by, buckets, scope).to_pandas()
    contaminated = _contaminated_count(table, by, scope)
    for column in by:
        integral = pd.api.types.is_integer_dtype(sums[column]) or pd.api.types.is_bool_dtype(sums[column])
        sums[column] = sums[column].astype("int64") if integral else sums[column].astype("string").astype(str)
    sums = sums.astype({"group": "int64", "bucket": "int64", "users": "int64"})
    sums = sums.astype({"revenue": "float64", "revenue_sq": "float64"})
    sums = sums[[*by, *TRACKING_SUM_COLUMNS]].sort_values([*by, "group", "bucket"], kind="stable")
    return TrackingSums(sums=sums.reset_index(drop=True), contaminated_users=contaminated)
