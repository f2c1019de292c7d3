"""sums_stats.report_from_sums (the Incrementality page on a backend) against incrementality.analyse on the same
filters. Point estimates are the same arithmetic on the same sums: equal to 1e-9 (relative). Interval endpoints
come from the normal approximation against the exact bootstrap: within 5% of the exact interval's width, the
bound tests/pipeline/scale/test_scale_stats.py explains."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest

from pipeline import config
from pipeline.filters import InfluencerFilter, apply_influencer_filter
from pipeline.influencers import guardrails
from pipeline.influencers import incrementality as inc
from pipeline.inputs import demo
from pipeline.scale import backends, sums_stats, tracking_sums

IROAS_TOLERANCE = 0.05
POINT_FIELDS = (
    "exposed_users",
    "control_users",
    "exposed_revenue",
    "control_revenue",
    "lift",
    "incremental_revenue",
    "payout",
    "iroas",
    "p_value",
)
BREAKDOWN_POINTS = ["label", "exposed_users", "control_users", "lift", "incremental_revenue", "payout", "iroas"]
SPECS = {
    "no filter": InfluencerFilter(),
    "one platform": InfluencerFilter(platforms=("YouTube",)),
    "one product": InfluencerFilter(products=("Gritzo Shake",)),
    "a date range": InfluencerFilter(start=pd.Timestamp("2025-10-10"), end=pd.Timestamp("2025-10-20")),
    "an empty selection": InfluencerFilter(products=()),
}


@pytest.fixture(scope="module")
def local_tables(scale_dir: Path) -> dict[str, pd.DataFrame]:
    return demo.read_influencer_tables(scale_dir)


def exact_report(tables: dict[str, pd.DataFrame], spec: InfluencerFilter) -> inc.IncrementalityReport:
    """What the page computes without a backend (ui.cached.influencers._incrementality_report)."""
    scoped = apply_influencer_filter(tables, spec)
    return inc.analyse(
        scoped["tracking"], scoped["payouts"], reference=tables["tracking"], influencers=scoped["influencers"]
    )


def backend_report(
    con: Any,
    kind: str,
    scale_dir: Path,
    tables: dict[str, pd.DataFrame],
    spec: InfluencerFilter,
    breakdowns: tuple[str, ...] = tuple(inc.BREAKDOWNS),
) -> inc.IncrementalityReport:
    settings = config.BackendSettings(kind=kind, tracking=str(scale_dir))  # finds tracking_data.parquet
    table = backends.tracking_table(con, settings)
    return sums_stats.report_from_sums(table, tables["influencers"], tables["payouts"], spec, breakdowns=breakdowns)


def assert_same_overall(got: inc.IncrementalityReport, exact: inc.IncrementalityReport) -> None:
    for name in POINT_FIELDS:
        assert getattr(got.overall, name) == pytest.approx(getattr(exact.overall, name), rel=1e-9, nan_ok=True), name
    assert (got.tracking_rows, got.contaminated_users) == (exact.tracking_rows, exact.contaminated_users)
    assert (got.problem, got.warnings) == (exact.problem, exact.warnings)
    assert got.srm_p_value == pytest.approx(exact.srm_p_value, rel=1e-9, nan_ok=True)
    assert_same_checks(got, exact)
    if exact.problem is None:
        width = exact.overall.iroas_ci_high - exact.overall.iroas_ci_low
        assert width > 0
        for end in ("iroas_ci_low", "iroas_ci_high"):
            assert abs(getattr(got.overall, end) - getattr(exact.overall, end)) <= IROAS_TOLERANCE * width, end


def assert_same_checks(got: inc.IncrementalityReport, exact: inc.IncrementalityReport) -> None:
    """The same guardrails, except non-buyers (it needs per-user rows: skipped), and the same stratified estimate
    with a normal interval within 5% of the stratified bootstrap's width."""
    for mine, theirs in zip(got.guardrails, exact.guardrails, strict=True):
        if mine.name == "Non-buyers tracked":
            assert mine.status == guardrails.SKIP
        else:
            assert (mine.name, mine.status) == (theirs.name, theirs.status)
    if exact.stratified is None:
        assert got.stratified is None
        return
    for name in ("strata", "exposed_users", "control_users", "left_out_strata", "left_out_exposed_users"):
        assert getattr(got.stratified, name) == getattr(exact.stratified, name), name
    for name in ("incremental_revenue", "lift", "payout", "iroas"):
        assert getattr(got.stratified, name) == pytest.approx(getattr(exact.stratified, name), rel=1e-9), name
    width = exact.stratified.iroas_ci_high - exact.stratified.iroas_ci_low
    for end in ("iroas_ci_low", "iroas_ci_high"):
        assert abs(getattr(got.stratified, end) - getattr(exact.stratified, end)) <= IROAS_TOLERANCE * width, end


@pytest.mark.parametrize("name", list(SPECS))
def test_duckdb_report_equals_analyse_on_the_same_filter(
    duckdb_con: Any, scale_dir: Path, local_tables: dict[str, pd.DataFrame], name: str
) -> None:
    spec = SPECS[name]
    got = backend_report(duckdb_con, "duckdb", scale_dir, local_tables, spec)
    exact = exact_report(local_tables, spec)
    assert_same_overall(got, exact)
    assert (got.problem is not None) == (name == "an empty selection")
    assert list(got.breakdowns) == list(exact.breakdowns)
    for dimension, table in exact.breakdowns.items():
        mine = got.breakdowns[dimension]
        assert len(mine) == len(table) > 0
        pd.testing.assert_frame_equal(
            mine[BREAKDOWN_POINTS], table[BREAKDOWN_POINTS], check_exact=False, rtol=1e-9, check_dtype=False
        )
        assert mine["note"].tolist() == table["note"].tolist()
    # Power from the sums: the same r0, ddof=1 variances and sizes as the per-user arrays give.
    for field in ("revenue_per_control_user", "exposed_variance", "control_variance"):
        assert getattr(got.power, field) == pytest.approx(getattr(exact.power, field), rel=1e-9, nan_ok=True)
    assert (got.power.exposed_users, got.power.control_users) == (exact.power.exposed_users, exact.power.control_users)
    # The distribution needs per-user rows: left empty for the page to say so.
    assert got.buyers.empty and got.histogram.empty


def test_a_scope_judges_users_in_both_groups_on_the_whole_table() -> None:
    # User 3 is exposed under influencer 1 and control under influencer 2: scoped to influencer 1 they still
    # do not count, and they are the one contaminated user in that scope; user 5 (both groups, influencer 2
    # only) is outside it.
    tracking = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 3, 4, 5, 5],
            "group": [1, 0, 1, 0, 1, 1, 0],
            "revenue": [5.0, 2.0, 9.0, 0.0, 1.0, 3.0, 3.0],
            "influencer_id": [1, 1, 1, 2, 2, 2, 2],
            "product": ["A", "A", "A", "A", "B", "B", "B"],
            "date": pd.to_datetime(["2025-01-01"] * 7),
        }
    )
    table = ibis.memtable(tracking)
    scope = tracking_sums.TrackingScope(influencer_ids=(1,))
    result = tracking_sums.tracking_sums(table, (), buckets=1, scope=scope)
    assert result.contaminated_users == 1
    assert result.sums[["group", "users", "revenue"]].to_dict("list") == {
        "group": [0, 1],
        "users": [1, 1],
        "revenue": [2.0, 5.0],
    }
    assert tracking_sums.tracking_sums(table, (), buckets=1).contaminated_users == 2  # no scope: unchanged
    assert tracking_sums.scoped_row_count(table, scope) == 3
    assert tracking_sums.scoped_row_count(table, tracking_sums.TrackingScope(products=("B",))) == 3
    assert tracking_sums.scoped_row_count(table, tracking_sums.TrackingScope(end=pd.Timestamp("2024-12-31"))) == 0
    assert tracking_sums.tracking_sums(table, (), 1, tracking_sums.TrackingScope(products=())).sums.empty


def test_spark_report_equals_analyse(spark_con: Any, scale_dir: Path, local_tables: dict[str, pd.DataFrame]) -> None:
    spec = SPECS["one platform"]
    got = backend_report(spark_con, "spark", scale_dir, local_tables, spec, breakdowns=("influencer",))
    exact = exact_report(local_tables, spec)
    assert_same_overall(got, exact)
    assert math.isfinite(got.overall.iroas)
    pd.testing.assert_frame_equal(
        got.breakdowns["influencer"][BREAKDOWN_POINTS],
        exact.breakdowns["influencer"][BREAKDOWN_POINTS],
        check_exact=False,
        rtol=1e-9,
        check_dtype=False,
    )
