"""The demo data is deterministic, physically consistent and carries its ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline import config, kpis

COUNT_COLUMNS = ["impressions", "reach", "clicks", "conversions", "engagement"]


@pytest.fixture(scope="module")
def campaigns(demo_dir: Path) -> pd.DataFrame:
    return pd.read_csv(demo_dir / config.CAMPAIGNS_FILE, parse_dates=["date"])


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    data_generation.generate(tmp_path / "a", seed=7, rows=2_000)
    data_generation.generate(tmp_path / "b", seed=7, rows=2_000)
    for name in config.DEMO_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_different_seed_gives_different_data(tmp_path: Path) -> None:
    data_generation.generate(tmp_path / "a", seed=1, rows=2_000)
    data_generation.generate(tmp_path / "b", seed=2, rows=2_000)
    assert (tmp_path / "a" / "campaigns.csv").read_bytes() != (tmp_path / "b" / "campaigns.csv").read_bytes()


def test_row_count_and_columns(campaigns: pd.DataFrame) -> None:
    assert len(campaigns) == 5_000
    expected = {"date", "platform", "campaign", "ad_set", "campaign_type", "content_type", "device", "spend"}
    assert expected | {"impressions", "reach", "clicks", "conversions", "revenue", "engagement"} <= set(campaigns)
    assert set(campaigns["device"]) == {"Mobile", "Desktop", "Tablet"}
    assert set(campaigns["platform"]) >= {"Meta", "TikTok"}


def test_default_row_count_is_about_fifty_thousand() -> None:
    rows = sum(len(chunk) for chunk in data_generation.campaign_chunks(42, config.DEFAULT_CAMPAIGN_ROWS))
    assert rows == config.DEFAULT_CAMPAIGN_ROWS


def test_physically_consistent(campaigns: pd.DataFrame) -> None:
    assert (campaigns[[*COUNT_COLUMNS, "spend", "revenue"]] >= 0).all().all()
    assert (campaigns["clicks"] <= campaigns["impressions"]).all()
    assert (campaigns["conversions"] <= campaigns["clicks"]).all()
    assert (campaigns["reach"] <= campaigns["impressions"]).all()
    zero_spend = campaigns["spend"] == 0
    assert zero_spend.any(), "some paused days exercise zero denominators"
    assert (campaigns.loc[zero_spend, "impressions"] == 0).all()


def test_dates_on_fixed_calendar(campaigns: pd.DataFrame) -> None:
    assert campaigns["date"].min() == pd.Timestamp("2025-01-01")
    assert campaigns["date"].max() <= pd.Timestamp("2025-12-31")


def test_rates_differ_by_platform_and_device(demo_dir: Path) -> None:
    frame = pd.read_csv(demo_dir / config.CAMPAIGNS_FILE, parse_dates=["date"])
    by_platform = kpis.kpi_table(frame, ["platform"]).set_index("platform")
    by_device = kpis.kpi_table(frame, ["device"]).set_index("device")
    assert by_platform["ctr"].max() / by_platform["ctr"].min() > 1.1
    assert by_device["cvr"]["Desktop"] > by_device["cvr"]["Mobile"]


def test_diminishing_returns_in_impressions_per_dollar() -> None:
    frame = pd.concat(data_generation.campaign_chunks(3, 20_000))
    paid = frame[frame["spend"] > 0]
    low = paid[paid["spend"] < paid["spend"].quantile(0.25)]
    high = paid[paid["spend"] > paid["spend"].quantile(0.75)]
    assert low["impressions"].sum() / low["spend"].sum() > high["impressions"].sum() / high["spend"].sum()


def test_holiday_peak_and_weekly_cycle() -> None:
    frame = pd.concat(data_generation.campaign_chunks(5, 20_000))
    frame["date"] = pd.to_datetime(frame["date"])
    daily = frame.groupby("date")["spend"].sum()
    assert daily["2025-11-21":"2025-12-05"].mean() > 1.4 * daily["2025-03-01":"2025-03-31"].mean()
    weekday = daily.groupby(daily.index.day_of_week).mean()
    assert weekday[4] > weekday[6]  # Friday above Sunday


def test_influencer_tables_agree(demo_dir: Path) -> None:
    influencers = pd.read_csv(demo_dir / "influencers.csv")
    tracking = pd.read_csv(demo_dir / "tracking_data.csv")
    payouts = pd.read_csv(demo_dir / "payouts.csv")
    posts = pd.read_csv(demo_dir / "posts.csv")
    assert set(influencers["influencer_type"]) == {"Nano", "Micro", "Macro", "Mega"}
    assert set(tracking["group"]) == {0, 1}
    assert set(posts["influencer_id"]) <= set(influencers["id"])
    exposed_orders = tracking[tracking["group"] == 1].groupby("influencer_id")["orders"].sum()
    by_order = payouts[payouts["basis"] == "order"].set_index("influencer_id")
    assert (by_order["orders"] == exposed_orders.reindex(by_order.index, fill_value=0)).all()
    assert by_order["total_payout"].round(2).equals((by_order["rate"] * by_order["orders"]).round(2))
    attributed = tracking[tracking["group"] == 1].groupby("influencer_id")["revenue"].sum()
    roas = attributed / payouts.set_index("influencer_id")["total_payout"]
    assert (roas < 1).sum() >= 1, "some influencers lose money"


def test_contaminated_users_are_in_both_groups(demo_dir: Path) -> None:
    tracking = pd.read_csv(demo_dir / "tracking_data.csv")
    truth = json.loads((demo_dir / "ground_truth.json").read_text())
    groups_per_user = tracking.groupby("user_id")["group"].nunique()
    assert (groups_per_user == 2).sum() == truth["contaminated_users"] > 0


def test_the_data_recovers_the_platform_response_in_ground_truth(demo_dir: Path, campaigns: pd.DataFrame) -> None:
    """Fit log impressions = log k + β·log spend per platform: the fitted β and k are the ones the truth states."""
    truth = json.loads((demo_dir / "ground_truth.json").read_text())["platform_response"]
    paid = campaigns[(campaigns["spend"] > 0) & (campaigns["impressions"] > 0)]
    assert set(paid["platform"]) == set(truth) == {"Meta", "TikTok", "Instagram"}
    for platform, rows in paid.groupby("platform"):
        x, y = np.log(rows["spend"].to_numpy()), np.log(rows["impressions"].to_numpy())
        beta, intercept = np.polyfit(x, y, 1)
        residuals = y - (intercept + beta * x)
        standard_error = residuals.std(ddof=2) / (x.std() * np.sqrt(len(x)))
        # Within 4 standard errors (about 0.015-0.02 here), and closer than the gap between any two platforms.
        assert abs(beta - truth[platform]["beta"]) <= 4 * standard_error, (platform, beta)
        assert abs(beta - truth[platform]["beta"]) < 0.02, (platform, beta)
        assert np.exp(intercept) == pytest.approx(truth[platform]["k"], rel=0.1), platform


def test_the_data_recovers_the_iroas_in_ground_truth(demo_dir: Path) -> None:
    """iROAS estimated from the tracking rows (guide formula, users in both groups excluded) is within 3
    standard errors of the stated one, and the stated one is incremental revenue / the payouts file's total."""
    truth = json.loads((demo_dir / "ground_truth.json").read_text())
    tracking = pd.read_csv(demo_dir / config.TRACKING_FILE)
    payouts = pd.read_csv(demo_dir / config.PAYOUTS_FILE)
    both = tracking.groupby("user_id")["group"].transform("nunique") > 1
    users = tracking[~both]
    stats = users.groupby(["influencer_id", "group"])["revenue"].agg(["mean", "var", "size"]).unstack("group")
    n1 = stats[("size", 1)]
    incremental = ((stats[("mean", 1)] - stats[("mean", 0)]) * n1).sum()
    variance = (n1**2 * (stats[("var", 1)] / n1 + stats[("var", 0)] / stats[("size", 0)])).sum()
    total_payout = payouts["total_payout"].sum()
    assert truth["total_payout"] == pytest.approx(total_payout)
    assert truth["iroas"] == pytest.approx(truth["incremental_revenue"] / total_payout)
    assert abs(incremental - truth["incremental_revenue"]) <= 3 * np.sqrt(variance)
    assert truth["iroas"] > 0


def test_cli_rejects_zero_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        data_generation.main(["--rows", "0", "--out", str(tmp_path)])
