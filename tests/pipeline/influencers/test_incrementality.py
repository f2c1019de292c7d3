"""Incrementality: hand-computed examples, payout apportioning, contamination, edges, unusable input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline.influencers import incrementality as inc
from pipeline.influencers import tracking as inc_tracking
from pipeline.influencers import verdict


def tracking_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows: (user_id, group, revenue, influencer_id, product, campaign, source)."""
    columns = ["user_id", "group", "revenue", "influencer_id", "product", "campaign", "source"]
    return pd.DataFrame(rows, columns=columns).assign(orders=lambda f: (f["revenue"] > 0).astype(int))


@pytest.fixture
def hand_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    # Exposed: user 1 (4 + 6 = 10 over two rows), user 2 (0), user 3 (20). Control: user 4 (5), user 5 (0).
    # User 6 is in both groups and must be excluded.
    tracking = tracking_frame(
        [
            (1, 1, 4.0, 1, "A", "C1", "Instagram"),
            (1, 1, 6.0, 1, "A", "C1", "Instagram"),
            (2, 1, 0.0, 1, "A", "C1", "Instagram"),
            (3, 1, 20.0, 1, "A", "C1", "Instagram"),
            (4, 0, 5.0, 1, "A", "C1", "Instagram"),
            (5, 0, 0.0, 1, "A", "C1", "Instagram"),
            (6, 1, 100.0, 1, "A", "C1", "Instagram"),
            (6, 0, 0.0, 1, "A", "C1", "Instagram"),
        ]
    )
    payouts = pd.DataFrame({"influencer_id": [1], "total_payout": [10.0]})
    return tracking, payouts


def test_hand_computed_example(hand_example: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tracking, payouts = hand_example
    report = inc.analyse(tracking, payouts)
    o = report.overall
    assert (o.exposed_users, o.control_users) == (3, 2)
    assert (o.exposed_revenue, o.control_revenue) == (30.0, 5.0)
    assert o.revenue_per_exposed_user == 10.0  # r1 = 30 / 3
    assert o.revenue_per_control_user == 2.5  # r0 = 5 / 2
    assert o.lift == 3.0  # (10 − 2.5) / 2.5
    assert o.incremental_revenue == 22.5  # (10 − 2.5) · 3
    assert o.payout == 10.0
    assert o.iroas == 2.25  # 22.5 / 10, not (r1 − r0) / payout
    assert report.contaminated_users == 1
    assert any("both the exposed and the control group" in w for w in report.warnings)
    assert any("fragile" in w for w in report.warnings)  # 3 and 2 users: small-group warning
    assert o.problem is None
    assert o.iroas_ci_low <= o.iroas <= o.iroas_ci_high


def test_contaminated_user_ids_and_user_revenue(hand_example: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tracking, _ = hand_example
    np.testing.assert_array_equal(inc_tracking.contaminated_user_ids(tracking), [6])
    users = inc_tracking.user_revenue(tracking[tracking["user_id"] != 6]).sort_values(
        ["group", "user_id"], ignore_index=True
    )
    expected = pd.DataFrame({"group": [0, 0, 1, 1, 1], "user_id": [4, 5, 1, 2, 3], "revenue": [5.0, 0, 10, 0, 20]})
    pd.testing.assert_frame_equal(users, expected)


@pytest.fixture
def two_influencers() -> tuple[pd.DataFrame, pd.DataFrame]:
    # Influencer 1 (payout 100): exposed users 1-3 buy product A, user 4 product B. Influencer 2 (payout 40):
    # exposed users 11-12, product B. Each has control users in both products.
    rows = [
        (1, 1, 30.0, 1, "A", "C1", "Instagram"),
        (2, 1, 0.0, 1, "A", "C1", "Instagram"),
        (3, 1, 12.0, 1, "A", "C1", "Instagram"),
        (4, 1, 8.0, 1, "B", "C1", "Instagram"),
        (5, 0, 6.0, 1, "A", "C1", "Instagram"),
        (6, 0, 0.0, 1, "A", "C1", "Instagram"),
        (7, 0, 2.0, 1, "B", "C1", "Instagram"),
        (11, 1, 10.0, 2, "B", "C2", "TikTok"),
        (12, 1, 0.0, 2, "B", "C2", "TikTok"),
        (13, 0, 4.0, 2, "B", "C2", "TikTok"),
        (14, 0, 0.0, 2, "A", "C2", "TikTok"),
    ]
    payouts = pd.DataFrame({"influencer_id": [1, 2], "total_payout": [100.0, 40.0]})
    return tracking_frame(rows), payouts


def test_payouts_follow_exposed_users(two_influencers: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tracking, payouts = two_influencers
    report = inc.analyse(tracking, payouts, n_resamples=200)
    assert report.overall.payout == 140.0
    by_product = report.breakdowns["product"].set_index("product")["payout"]
    # A: 3 of influencer 1's 4 exposed users -> 75; B: 1 of 4 (25) plus all of influencer 2 (40).
    pd.testing.assert_series_equal(
        by_product, pd.Series([75.0, 65.0], index=pd.Index(["A", "B"], name="product"), name="payout")
    )
    by_campaign = report.breakdowns["campaign"].set_index("campaign")["payout"]
    assert by_campaign.to_dict() == {"C1": 100.0, "C2": 40.0}
    by_influencer = report.breakdowns["influencer"].set_index("influencer_id")
    assert by_influencer["payout"].to_dict() == {1: 100.0, 2: 40.0}
    assert by_influencer.loc[1, "label"] == "Influencer 1"
    # Influencer 1: r1 = 50/4 = 12.5, r0 = 8/3; incremental = (12.5 − 8/3)·4.
    assert by_influencer.loc[1, "incremental_revenue"] == pytest.approx((12.5 - 8 / 3) * 4)
    assert by_influencer.loc[1, "iroas"] == pytest.approx((12.5 - 8 / 3) * 4 / 100)
    assert report.breakdowns["platform"]["source"].tolist() == ["Instagram", "TikTok"]


def test_filtered_scope_is_charged_its_share_and_matches_the_breakdown_row(
    two_influencers: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    tracking, payouts = two_influencers
    full = inc.analyse(tracking, payouts, n_resamples=300)
    only_a = inc.analyse(tracking[tracking["product"] == "A"], payouts, reference=tracking, n_resamples=300)
    row = full.breakdowns["product"].set_index("product").loc["A"]
    assert only_a.overall.payout == 75.0
    assert only_a.overall.iroas == pytest.approx(row["iroas"])
    assert only_a.overall.iroas_ci_low == pytest.approx(row["iroas_ci_low"])


def test_influencer_without_exposed_users_counts_in_the_total_only(
    two_influencers: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    tracking, payouts = two_influencers
    payouts = pd.concat([payouts, pd.DataFrame({"influencer_id": [3], "total_payout": [60.0]})], ignore_index=True)
    report = inc.analyse(tracking, payouts, n_resamples=100)
    assert report.overall.payout == 200.0
    assert report.breakdowns["influencer"]["payout"].sum() == 140.0
    assert any("no exposed users" in w for w in report.warnings)


def test_bootstrap_is_seeded() -> None:
    rng = np.random.default_rng(5)
    exposed, control = rng.exponential(3.0, 400), rng.exponential(2.0, 400)
    first = inc.compare_groups(exposed, control, 100.0)
    assert first == inc.compare_groups(exposed, control, 100.0)
    assert first.iroas_ci_low != inc.compare_groups(exposed, control, 100.0, seed=1).iroas_ci_low


def test_contaminated_users_match_truth() -> None:
    data = data_generation.influencer_tables(3, n_influencers=10, users_per_influencer=2_000)
    report = inc.analyse(data["tracking_data"], data["payouts"], breakdowns=(), n_resamples=200)
    assert report.contaminated_users == data["truth"]["contaminated_users"] > 0
    clean_users = data["tracking_data"]["user_id"].nunique() - report.contaminated_users
    assert report.overall.exposed_users + report.overall.control_users == clean_users


def test_empty_control_gives_a_problem_not_an_exception() -> None:
    result = inc.compare_groups(np.array([1.0, 2.0]), np.array([]), 10.0)
    assert result.problem is not None and "no control users" in result.problem
    assert math.isnan(result.iroas) and math.isnan(result.lift)
    assert "no exposed users" in inc.compare_groups(np.array([]), np.array([1.0]), 10.0).problem
    tracking = tracking_frame([(1, 1, 5.0, 1, "A", "C1", "Instagram"), (2, 1, 0.0, 1, "A", "C1", "Instagram")])
    report = inc.analyse(tracking, pd.DataFrame({"influencer_id": [1], "total_payout": [5.0]}))
    assert report.problem == result.problem
    assert report.breakdowns == {}
    assert verdict.verdict(report.overall) == report.problem


def test_one_user_per_group_warns_and_does_not_crash() -> None:
    result = inc.compare_groups(np.array([5.0]), np.array([1.0]), 10.0)
    assert result.iroas == pytest.approx(0.4)  # (5 − 1)·1 / 10
    assert math.isnan(result.iroas_ci_low) and math.isnan(result.p_value)
    assert result.warnings and "too few" in result.warnings[0]
    assert "no interval" in verdict.verdict(result)


def test_small_groups_give_a_wide_interval_and_a_warning() -> None:
    rng = np.random.default_rng(9)
    small = inc.compare_groups(rng.exponential(3.0, 8), rng.exponential(2.0, 8), 10.0)
    large = inc.compare_groups(rng.exponential(3.0, 8_000), rng.exponential(2.0, 8_000), 10_000.0)
    assert any("fragile" in w for w in small.warnings)
    assert not large.warnings
    assert math.isfinite(small.iroas_ci_low) and small.iroas_ci_high - small.iroas_ci_low > 0.5


def test_zero_payout_and_zero_control_revenue_give_nan_not_inf() -> None:
    result = inc.compare_groups(np.array([3.0, 0.0, 1.0]), np.array([0.0, 0.0]), 0.0)
    assert math.isnan(result.iroas) and math.isnan(result.lift) and math.isnan(result.iroas_ci_low)
    assert result.incremental_revenue == pytest.approx(4.0)
    assert any("no payout" in w for w in result.warnings)
    assert "iROAS is undefined" in verdict.verdict(result)


def test_buyer_summary_and_histogram() -> None:
    users = pd.DataFrame({"group": [1, 1, 1, 0, 0, 0, 0], "revenue": [0.0, 10.0, 30.0, 0.0, 0.0, 0.0, 20.0]})
    summary = inc_tracking.buyer_summary(users)
    expected = pd.DataFrame(
        {
            "group": ["Exposed", "Control"],
            "users": [3, 4],
            "buyers": [2, 1],
            "buyer_share": [2 / 3, 0.25],
            "revenue_per_user": [40 / 3, 5.0],
            "revenue_per_buyer": [20.0, 20.0],
        }
    )
    pd.testing.assert_frame_equal(summary, expected)
    histogram = inc_tracking.buyer_revenue_histogram(users, bins=4, upper_quantile=1.0)
    assert histogram.groupby("group")["buyers"].sum().to_dict() == {"Control": 1, "Exposed": 2}
    assert histogram.groupby("group")["share_of_buyers"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert histogram["bin_low"].min() == 10.0 and histogram["bin_high"].max() == 30.0
    assert inc_tracking.buyer_revenue_histogram(users.assign(revenue=0.0)).empty


def test_unusable_input_raises_one_sentence() -> None:
    good = tracking_frame([(1, 1, 5.0, 1, "A", "C1", "Instagram"), (2, 0, 1.0, 1, "A", "C1", "Instagram")])
    payouts = pd.DataFrame({"influencer_id": [1], "total_payout": [5.0]})
    with pytest.raises(inc_tracking.IncrementalityInputError, match=r"missing column.*revenue"):
        inc.analyse(good.drop(columns="revenue"), payouts)
    with pytest.raises(inc_tracking.IncrementalityInputError, match="'group'"):
        inc.analyse(good.assign(group=[1, 2]), payouts)
    with pytest.raises(inc_tracking.IncrementalityInputError, match=r"payouts.*total_payout"):
        inc.analyse(good, payouts.rename(columns={"total_payout": "amount"}))
    with pytest.raises(inc_tracking.IncrementalityInputError, match="'revenue'"):
        inc.analyse(good.assign(revenue=["5", "abc"]), payouts)


def test_buyers_note_says_most_users_buy_nothing_only_when_true() -> None:
    few = pd.DataFrame({"group": [1, 1, 1, 0, 0, 0, 0], "revenue": [0.0, 0.0, 30.0, 0.0, 0.0, 0.0, 20.0]})
    assert inc_tracking.buyers_note(inc_tracking.buyer_summary(few)) == "most users buy nothing"
    everyone = few.assign(revenue=few["revenue"] + 1.0)  # the influencer seed's tables: buyers only
    assert (
        inc_tracking.buyers_note(inc_tracking.buyer_summary(everyone))
        == "100% of exposed and 100% of control users bought"
    )
    half = pd.DataFrame({"group": [1, 1, 0, 0, 0, 0], "revenue": [5.0, 0.0, 1.0, 0.0, 0.0, 0.0]})
    assert (
        inc_tracking.buyers_note(inc_tracking.buyer_summary(half)) == "50% of exposed and 25% of control users bought"
    )
    assert inc_tracking.buyers_note(pd.DataFrame()) == ""
