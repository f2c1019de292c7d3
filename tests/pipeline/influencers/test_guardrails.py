"""Guardrails before any verdict: the influencer seed's buyers-only tables fail them, the demo passes them all."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.influencers import guardrails as gr
from pipeline.influencers import incrementality as inc
from pipeline.influencers import statistics as inc_stats
from pipeline.influencers import verdict
from pipeline.influencers.statistics import GroupComparison
from pipeline.inputs import demo


@pytest.fixture(scope="module")
def peer_report(shared_data: Path) -> inc.IncrementalityReport:
    """The influencer seed's own tables (buyers only, not randomised), read as the app reads a folder."""
    tables = demo.read_influencer_tables(shared_data / "peers" / "influencer-roi")
    return inc.analyse(tables["tracking"], tables["payouts"], breakdowns=(), n_resamples=200)


@pytest.fixture(scope="module")
def demo_report(demo_dir: Path) -> inc.IncrementalityReport:
    tables = demo.read_influencer_tables(demo_dir)
    return inc.analyse(tables["tracking"], tables["payouts"], breakdowns=(), n_resamples=200)


def statuses(report: inc.IncrementalityReport) -> dict[str, str]:
    return {check.name: check.status for check in report.guardrails}


def test_peer_tables_fail_the_guardrails_and_get_no_verdict(peer_report: inc.IncrementalityReport) -> None:
    # Today's figures on these tables: lift 1249.5%, $428.71 vs $31.77, 6.33% in both groups, SRM p 0.048,
    # 100% buyers in both groups, minimum detectable lift 33.2%.
    assert peer_report.overall.lift == pytest.approx(12.495, abs=1e-3)
    assert peer_report.srm_p_value == pytest.approx(0.048, abs=1e-3)
    assert statuses(peer_report) == {
        "Sample ratio": gr.FLAG,
        "Users in both groups": gr.FAIL,
        "Non-buyers tracked": gr.FAIL,
        "Plausible lift": gr.FAIL,
        "Enough users": gr.FLAG,
    }
    message = verdict.blocking_message(peer_report.guardrails)
    assert message is not None and message.startswith("No verdict")
    for words in ("6.33%", "buyers only", "1249.5%", "Upload every user"):
        assert words in message
    assert "Each $1 of payout" not in message


def test_demo_data_passes_every_guardrail(demo_report: inc.IncrementalityReport) -> None:
    assert set(statuses(demo_report).values()) == {gr.PASS}
    assert len(demo_report.guardrails) == 5
    assert verdict.blocking_message(demo_report.guardrails) is None
    records = gr.as_records(demo_report.guardrails)
    assert [r["name"] for r in records] == list(statuses(demo_report))
    assert set(records[0]) == {"name", "status", "message"}


def comparison(**changes: object) -> GroupComparison:
    base = inc.compare_groups(np.array([3.0, 1.0, 0.0, 4.0]), np.array([1.0, 0.0, 2.0]), 10.0, n_resamples=50)
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(("p_value", "status"), [(0.3, gr.PASS), (0.049, gr.FLAG), (0.0009, gr.FAIL)])
def test_sample_ratio_flags_below_5_percent_and_fails_below_a_tenth_of_a_percent(p_value: float, status: str) -> None:
    assert gr.check_sample_ratio(comparison(), p_value, 0.5).status == status
    assert gr.check_sample_ratio(comparison(), math.nan, 0.5).status == gr.SKIP


@pytest.mark.parametrize(("both", "status"), [(4, gr.PASS), (20, gr.FLAG), (60, gr.FAIL)])
def test_users_in_both_groups_by_share(both: int, status: str) -> None:
    assert gr.check_both_groups(both, 1_000).status == status  # 0.4%, 2%, 6%


def buyers(exposed: tuple[int, int], control: tuple[int, int]) -> pd.DataFrame:
    """(users, buyers) per group, as tracking.buyer_summary gives them."""
    rows = [("Exposed", *exposed), ("Control", *control)]
    return pd.DataFrame(rows, columns=["group", "users", "buyers"]).assign(
        buyer_share=lambda f: f["buyers"] / f["users"]
    )


def test_non_buyers_must_be_tracked_in_both_groups() -> None:
    assert gr.check_non_buyers(buyers((1_000, 120), (1_000, 90))).status == gr.PASS
    only_buyers = gr.check_non_buyers(buyers((1_000, 120), (500, 500)))
    assert only_buyers.status == gr.FAIL and "Every control user bought" in only_buyers.message
    assert gr.check_non_buyers(buyers((10, 10), (12, 12))).status == gr.PASS  # tiny groups: not judged
    assert gr.check_non_buyers(pd.DataFrame()).status == gr.SKIP  # no per-user rows (the sums path)


@pytest.mark.parametrize(("lift", "status"), [(0.42, gr.PASS), (1.5, gr.FLAG), (12.5, gr.FAIL), (math.nan, gr.SKIP)])
def test_lift_no_randomised_influencer_test_produces(lift: float, status: str) -> None:
    assert gr.check_lift(comparison(lift=lift)).status == status


@pytest.mark.parametrize(("users", "status"), [(50_000, gr.PASS), (2_000, gr.FLAG), (80, gr.FAIL)])
def test_too_few_users_for_the_minimum_detectable_lift(users: int, status: str) -> None:
    basis = inc_stats.PowerBasis(3.0, 126.0, 126.0, users, users)  # MDE 6.6%, 33.2%, 166%
    assert gr.check_power(basis).status == status


def test_no_checks_when_a_group_is_empty() -> None:
    empty = inc.compare_groups(np.array([1.0, 2.0]), np.array([]), 10.0)
    basis = inc_stats.power_basis(np.array([1.0, 2.0]), np.array([]))
    assert gr.run_guardrails(empty, math.nan, 0.5, 0, 2, pd.DataFrame(), basis) == ()


def test_srm_is_a_guardrail_not_a_report_warning() -> None:
    rng = np.random.default_rng(4)
    group = (rng.random(10_000) < 0.6).astype(int)
    tracking = pd.DataFrame(
        {"user_id": np.arange(10_000), "group": group, "revenue": rng.poisson(0.1, 10_000) * 30.0, "influencer_id": 1}
    )
    payouts = pd.DataFrame({"influencer_id": [1], "total_payout": [500.0]})
    report = inc.analyse(tracking, payouts, breakdowns=(), n_resamples=100)
    srm = next(g for g in report.guardrails if g.name == "Sample ratio")
    assert srm.status == gr.FAIL and "Sample ratio mismatch" in srm.message
    assert not any("Sample ratio" in w for w in report.warnings)  # said once, where it decides the verdict
    planned = inc.analyse(tracking, payouts, expected_exposed_share=0.6, breakdowns=(), n_resamples=100)
    assert next(g for g in planned.guardrails if g.name == "Sample ratio").status == gr.PASS
