"""Influencer KPIs: attributed revenue of exposed users, ROAS = revenue / payout, ratio-of-sums groups."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline.influencers import attribution as im


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    influencers = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "name": ["Ann", "Bob", "Cy", "Dee"],
            "platform": ["Instagram", "TikTok", "Instagram", "YouTube"],
            "category": ["Fitness", "Fitness", "Tech", "Tech"],
            "gender": ["Female", "Male", "Female", "Female"],
            "influencer_type": ["Mega", "Nano", "Micro", "Nano"],
            "follower_count": [2_000_000, 5_000, 50_000, 8_000],
        }
    )
    tracking = pd.DataFrame(
        {
            "influencer_id": [1, 1, 1, 2, 2, 3, 4],
            "user_id": [10, 11, 12, 13, 14, 15, 16],
            "date": pd.to_datetime(
                ["2025-09-01", "2025-09-03", "2025-09-09", "2025-09-02", "2025-09-02", "2025-09-05", "2025-09-06"]
            ),
            "orders": [2.0, 1.0, 5.0, 1.0, 0.0, 3.0, 1.0],
            "revenue": [100.0, 50.0, 999.0, 40.0, 0.0, 90.0, 30.0],
            "group": [1, 1, 0, 1, 1, 1, 1],  # user 12 is control: not attributed
        }
    )
    posts = pd.DataFrame(
        {
            "influencer_id": [1, 1, 2, 3],
            "platform": ["Instagram", "Instagram", "TikTok", "Instagram"],
            "date": pd.to_datetime(["2025-09-01", "2025-09-08", "2025-09-02", "2025-09-05"]),
            "reach": [1000.0, 1000.0, 500.0, 0.0],
            "likes": [80.0, 40.0, 45.0, 0.0],
            "comments": [20.0, 10.0, 5.0, 0.0],
        }
    )
    payouts = pd.DataFrame({"influencer_id": [1, 2, 3, 4], "total_payout": [50.0, 80.0, 0.0, 60.0]})
    return {"influencers": influencers, "posts": posts, "tracking": tracking, "payouts": payouts}


def test_summary_attributes_exposed_users_only(tables: dict[str, pd.DataFrame]) -> None:
    summary = im.influencer_summary(tables).set_index("influencer_id")
    assert summary.loc[1, "revenue"] == 150.0  # the control user's 999 is not attributed
    assert summary.loc[1, "orders"] == 3.0
    assert summary.loc[1, "roas"] == pytest.approx(3.0)
    assert summary.loc[1, "aov"] == pytest.approx(50.0)
    assert summary.loc[1, "posts"] == 2.0
    assert summary.loc[1, "engagement"] == 150.0
    assert summary.loc[1, "engagement_rate"] == pytest.approx(150.0 / 2000.0)
    assert summary.loc[1, "cpe"] == pytest.approx(50.0 / 150.0)
    assert summary.loc[2, "roas"] == pytest.approx(0.5)
    # Revenue − payout, named for what it is: without the cost of goods it is not profit.
    assert summary.loc[2, "revenue_minus_payout"] == -40.0
    assert "profit" not in summary.columns


def test_zero_payout_gives_nan_never_inf(tables: dict[str, pd.DataFrame]) -> None:
    summary = im.influencer_summary(tables).set_index("influencer_id")
    assert math.isnan(summary.loc[3, "roas"])
    assert math.isnan(summary.loc[3, "engagement_rate"])  # reach 0
    assert not np.isinf(summary.select_dtypes("number").to_numpy()).any()


def test_influencer_without_payout_or_posts(tables: dict[str, pd.DataFrame]) -> None:
    tables["payouts"] = tables["payouts"][tables["payouts"]["influencer_id"] != 4]
    summary = im.influencer_summary(tables).set_index("influencer_id")
    assert summary.loc[4, "payout"] == 0.0
    assert math.isnan(summary.loc[4, "roas"])
    assert summary.loc[4, "posts"] == 0.0


def test_no_group_column_counts_every_row(tables: dict[str, pd.DataFrame]) -> None:
    tables["tracking"] = tables["tracking"].drop(columns="group")
    summary = im.influencer_summary(tables).set_index("influencer_id")
    assert summary.loc[1, "revenue"] == 1149.0


def test_key_metrics_are_ratios_of_sums(tables: dict[str, pd.DataFrame]) -> None:
    metrics = im.key_metrics(im.influencer_summary(tables))
    assert metrics["revenue"] == 310.0
    assert metrics["payout"] == 190.0
    assert metrics["orders"] == 8.0
    assert metrics["roas"] == pytest.approx(310.0 / 190.0)
    assert metrics["aov"] == pytest.approx(310.0 / 8.0)
    assert metrics["influencers"] == 4.0


def test_top_by_roas_respects_the_minimum_payout(tables: dict[str, pd.DataFrame]) -> None:
    summary = im.influencer_summary(tables)
    assert im.top_by_roas(summary, min_payout=0)["name"].tolist() == ["Ann", "Bob", "Dee"]
    assert im.top_by_roas(summary, min_payout=55)["name"].tolist() == ["Bob", "Dee"]  # tie: more revenue first
    assert im.top_by_roas(summary, min_payout=1000).empty


def test_poor_roi_alerts_and_their_cost(tables: dict[str, pd.DataFrame]) -> None:
    summary = im.influencer_summary(tables)
    alerts = im.poor_roi(summary, threshold=1.0)
    assert alerts["name"].tolist() == ["Bob", "Dee"]  # 0.5x then 0.5x; zero payout (Cy) is not judged
    cost = im.alert_cost(alerts)
    assert cost == {"influencers": 2.0, "payout": 140.0, "revenue": 70.0, "net_loss": 70.0, "roas": 0.5}
    assert im.poor_roi(summary, threshold=0.1).empty
    assert math.isnan(im.alert_cost(alerts.iloc[0:0])["roas"])


def test_persona_roas_is_a_ratio_of_sums(tables: dict[str, pd.DataFrame]) -> None:
    personas = im.persona_roas(im.influencer_summary(tables)).set_index(["category", "gender"])
    # Tech x Female: Cy (90 revenue, 0 payout) + Dee (30, 60) -> 120 / 60, not the mean of NaN and 0.5.
    assert personas.loc[("Tech", "Female"), "roas"] == pytest.approx(2.0)
    assert personas.loc[("Tech", "Female"), "influencers"] == 2.0
    assert personas.loc[("Fitness", "Male"), "roas"] == pytest.approx(0.5)
    matrix = im.persona_matrix(personas.reset_index())
    assert matrix.loc["Fitness", "Female"] == pytest.approx(3.0)
    assert math.isnan(matrix.loc["Tech", "Male"])


def test_influencer_types_in_size_order(tables: dict[str, pd.DataFrame]) -> None:
    types = im.by_influencer_type(im.influencer_summary(tables))
    assert types["influencer_type"].tolist() == ["Nano", "Micro", "Mega"]
    nano = types.iloc[0]
    assert nano["roas"] == pytest.approx(70.0 / 140.0)


def test_engagement_by_platform_per_reach(tables: dict[str, pd.DataFrame]) -> None:
    table = im.engagement_by_platform(tables["posts"]).set_index("platform")
    assert table.loc["Instagram", "engagement_rate"] == pytest.approx(150.0 / 2000.0)  # Cy's 0-reach post adds 0/0
    assert table.loc["Instagram", "posts"] == 3.0
    assert table.loc["TikTok", "engagement_rate"] == pytest.approx(0.1)
    assert im.engagement_by_platform(tables["posts"].iloc[0:0]).empty


def test_timeline_fills_quiet_periods_with_zeros(tables: dict[str, pd.DataFrame]) -> None:
    weekly = im.influencer_timeline(tables, 1, "week")
    assert weekly["period"].tolist() == [pd.Timestamp("2025-09-01"), pd.Timestamp("2025-09-08")]
    assert weekly[["posts", "orders", "revenue"]].values.tolist() == [[1.0, 3.0, 150.0], [1.0, 0.0, 0.0]]
    daily = im.influencer_timeline(tables, 1, "day")
    assert len(daily) == 8  # 1 Sep .. 8 Sep, quiet days included
    assert daily["orders"].sum() == 3.0
    assert im.influencer_timeline(tables, 99, "week").empty
    with pytest.raises(ValueError, match="freq must be one of"):
        im.influencer_timeline(tables, 1, "year")


def test_influencer_posts_newest_first(tables: dict[str, pd.DataFrame]) -> None:
    posts = im.influencer_posts(tables["posts"], 1)
    assert posts["date"].tolist() == [pd.Timestamp("2025-09-08"), pd.Timestamp("2025-09-01")]
    assert posts["engagement_rate"].tolist() == pytest.approx([0.05, 0.1])


def test_generated_data_totals_match_a_direct_computation() -> None:
    generated = data_generation.influencer_tables(7, n_influencers=12, users_per_influencer=200)
    tables = {
        "influencers": generated["influencers"],
        "posts": generated["posts"].assign(date=lambda f: pd.to_datetime(f["date"])),
        "tracking": generated["tracking_data"].assign(date=lambda f: pd.to_datetime(f["date"])),
        "payouts": generated["payouts"],
    }
    metrics = im.key_metrics(im.influencer_summary(tables))
    exposed = tables["tracking"][tables["tracking"]["group"] == 1]
    assert metrics["revenue"] == pytest.approx(exposed["revenue"].sum())
    assert metrics["roas"] == pytest.approx(exposed["revenue"].sum() / tables["payouts"]["total_payout"].sum())
