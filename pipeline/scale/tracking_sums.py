"""Tracking sums for the incrementality test, as one Ibis expression run by a backend (pipeline.scale.backends):
per group and user bucket, users, Σ revenue per user and Σ (revenue per user)², with users seen in both groups
left out and counted. pipeline.scale.sums_stats turns them into the test's figures and intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline import config
from pipeline.scale import backends

if TYPE_CHECKING:  # importing ibis costs ~0.5 s; only the functions that use it import it
    import ibis.expr.types as ir

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
EXPOSED, CONTROL = 1, 0  # as pipeline.influencers.tracking
SCOPE_COLUMNS = ("influencer_id", "product", "date")  # columns a TrackingScope may filter on


@dataclass(frozen=True)
class TrackingSums:
    """tracking_sums' result: per (by..., group, bucket) users, Σ revenue per user, Σ (revenue per user)², and
    the users seen in both groups (excluded from the sums)."""

    sums: pd.DataFrame
    contaminated_users: int


@dataclass(frozen=True)
class TrackingScope:
    """The tracking rows a filtered report covers: influencer ids, products and an inclusive day range (None: no
    restriction; an empty tuple selects nothing), as pipeline.filters.apply_influencer_filter restricts them."""

    influencer_ids: tuple[int, ...] | None = None
    products: tuple[str, ...] | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None


# ---------------------------------------------------------------- user buckets


def _mix(x: Any) -> Any:
    """The hash rounds on values in [0, HASH_MODULUS): the same operators on a numpy array or an Ibis column."""
    for multiplier, shift in zip(HASH_MULTIPLIERS, HASH_SHIFTS, strict=True):
        x = (x * multiplier) % HASH_MODULUS
        x = x ^ (x >> shift)
    return x


def bucket_numbers(user_ids: np.ndarray, buckets: int = DEFAULT_BUCKETS) -> np.ndarray:
    """The bucket of each (integer) user id, in numpy: the same hash tracking_sums computes in the engine."""
    return _mix(np.abs(np.asarray(user_ids, dtype=np.int64)) % HASH_MODULUS) % buckets


def _bucket_expr(user_id: Any, buckets: int) -> Any:
    return _mix(user_id.abs() % HASH_MODULUS) % buckets


# ---------------------------------------------------------------- rows in scope


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
        predicates += backends.day_predicates(rows["date"], scope.start, scope.end)
    return predicates


def _tracking_core(
    table: ir.Table, by: Sequence[str], scope: TrackingScope | None = None
) -> tuple[ir.Table, ir.Table, ir.Table]:
    """(rows of users in exactly one group, the ids of users seen in both groups, all rows in scope). Users in
    both groups are judged on the whole table, then `scope` restricts the rows. Rows with a group other than
    0/1 or no user id are not part of the test; a missing revenue counts as 0."""
    missing = [c for c in ("user_id", "group", "revenue", *by) if c not in table.columns]
    if missing:
        raise config.BackendError(f"The tracking data is missing column(s): {', '.join(missing)}.")
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


# ---------------------------------------------------------------- the sums


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


def tracking_sums(
    table: ir.Table, by: Sequence[str] = (), buckets: int = DEFAULT_BUCKETS, scope: TrackingScope | None = None
) -> TrackingSums:
    """Per (by..., group, bucket): users, revenue (Σ of per-user revenue) and revenue_sq (Σ of per-user
    revenue²), computed in the engine, with users seen in both groups (judged on the whole table, as
    tracking.contaminated_user_ids does) excluded and counted.

    Revenue per user is summed over the user's rows within the slice first (a user counts in a slice when
    they have a row in it). bucket = bucket_numbers(user_id) in [0, buckets). Sorted by (by..., group, bucket).
    `scope` restricts the rows after users in both groups are found; contaminated_users then counts those
    with a row in scope.
    """
    if not (isinstance(buckets, int) and buckets >= 1):
        raise config.BackendError("The number of buckets must be a whole number of at least 1.")
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
