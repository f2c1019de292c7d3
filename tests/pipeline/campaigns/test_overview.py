"""Overview logic: rankings, cost matrix, correlation, platform comparison, anomaly flags."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pipeline.campaigns import cube, overview
from pipeline.filters import CampaignFilter, apply_campaign_filter
from pipeline.inputs.demo import tidy_campaigns
from tests.pipeline.campaigns.test_cube import cut_specs, first_of


def rows(records: list[tuple]) -> pd.DataFrame:
    """(date, platform, campaign, device, spend, clicks, conversions, revenue) tuples as a tidy frame."""
    frame = pd.DataFrame(
        records, columns=["date", "platform", "campaign", "device", "spend", "clicks", "conversions", "revenue"]
    )
    frame["date"] = pd.to_datetime(frame["date"])
    return tidy_campaigns(frame)


# --------------------------------------------------------------------------- rankings and matrices


def test_top_campaigns_by_cvr_needs_a_minimum_of_clicks() -> None:
    frame = rows(
        [
            ("2025-01-01", "Meta", "Lucky", "Mobile", 1.0, 1, 1, 10.0),  # 100% CVR on 1 click
            ("2025-01-01", "Meta", "Steady", "Mobile", 100.0, 200, 20, 500.0),  # 10%
            ("2025-01-02", "Meta", "Steady", "Desktop", 100.0, 200, 10, 500.0),  # -> 30/400 = 7.5%
            ("2025-01-01", "TikTok", "Big", "Mobile", 300.0, 1000, 90, 900.0),  # 9%
        ]
    )
    top = overview.top_campaigns_by_cvr(frame, min_clicks=100)
    assert top["campaign"].astype(str).tolist() == ["Big", "Steady"]
    assert top["cvr"].tolist() == pytest.approx([0.09, 0.075])
    assert overview.top_campaigns_by_cvr(frame, min_clicks=0)["campaign"].astype(str).tolist()[0] == "Lucky"
    assert len(overview.top_campaigns_by_cvr(frame, min_clicks=0, limit=2)) == 2
    assert overview.top_campaigns_by_cvr(frame, min_clicks=10_000).empty


def test_cost_matrix_is_a_ratio_of_sums_per_cell() -> None:
    frame = rows(
        [
            ("2025-01-01", "Meta", "A", "Mobile", 30.0, 10, 3, 0.0),
            ("2025-01-02", "Meta", "A", "Mobile", 10.0, 10, 1, 0.0),
            ("2025-01-01", "Meta", "A", "Desktop", 50.0, 5, 0, 0.0),
            ("2025-01-01", "TikTok", "B", "Mobile", 20.0, 4, 2, 0.0),
        ]
    )
    cpa = overview.cost_matrix(frame, "cpa")
    assert cpa.loc["Meta", "Mobile"] == pytest.approx(40.0 / 4)  # not the mean of 10 and 10
    assert math.isnan(cpa.loc["Meta", "Desktop"])  # spend but no conversions: undefined, not inf
    assert math.isnan(cpa.loc["TikTok", "Desktop"])  # no data
    assert cpa.loc["TikTok", "Mobile"] == pytest.approx(10.0)
    assert overview.cost_matrix(frame, "cpc").loc["Meta", "Desktop"] == pytest.approx(10.0)
    with pytest.raises(ValueError, match="metric must be one of"):
        overview.cost_matrix(frame, "spend")


def test_spend_conversion_points_per_campaign_and_per_day() -> None:
    frame = rows(
        [
            ("2025-01-01", "Meta", "A", "Mobile", 10.0, 10, 1, 0.0),
            ("2025-01-01", "Meta", "A", "Desktop", 5.0, 10, 1, 0.0),
            ("2025-01-02", "Meta", "A", "Mobile", 20.0, 10, 3, 0.0),
        ]
    )
    per_campaign = overview.spend_conversion_points(frame, "campaign")
    assert per_campaign[["spend", "conversions"]].values.tolist() == [[35.0, 5.0]]
    per_day = overview.spend_conversion_points(frame, "campaign_day")
    assert per_day[["spend", "conversions"]].values.tolist() == [[15.0, 2.0], [20.0, 3.0]]
    with pytest.raises(ValueError, match="level must be one of"):
        overview.spend_conversion_points(frame, "ad")


def test_correlation_values_and_undefined_cases() -> None:
    x = pd.Series([1.0, 2.0, 3.0, 4.0])
    assert overview.correlation(x, 2 * x + 1) == pytest.approx(1.0)
    assert overview.correlation(x, -x) == pytest.approx(-1.0)
    assert overview.correlation(x, pd.Series([1.0, 3.0, 2.0, 4.0])) == pytest.approx(0.8)
    assert math.isnan(overview.correlation(x[:2], x[:2]))  # too few points
    assert math.isnan(overview.correlation(x, pd.Series([5.0] * 4)))  # constant side
    with_gap = pd.Series([1.0, np.nan, 3.0, 4.0, 5.0])
    assert overview.correlation(with_gap, with_gap) == pytest.approx(1.0)


def test_compare_platforms_side_by_side() -> None:
    frame = rows(
        [
            ("2025-01-01", "Meta", "A", "Mobile", 100.0, 50, 5, 400.0),
            ("2025-01-01", "TikTok", "B", "Mobile", 60.0, 30, 2, 90.0),
            ("2025-01-01", "Instagram", "C", "Mobile", 1.0, 1, 1, 1.0),
        ]
    )
    side = overview.compare_platforms(frame)
    assert side.columns.tolist() == ["Meta", "TikTok"]
    assert side.loc["spend"].tolist() == [100.0, 60.0]
    assert side.loc["cpa"].tolist() == pytest.approx([20.0, 30.0])
    assert side.loc["roas"].tolist() == pytest.approx([4.0, 1.5])
    only_meta = overview.compare_platforms(frame[frame["platform"] == "Meta"])
    assert only_meta["TikTok"].isna().all()


# --------------------------------------------------------------------------- anomaly flags cut from the cube


def test_flags_cut_from_the_basis_equal_flags_of_the_selection(demo: pd.DataFrame) -> None:
    day_cube = cube.cube(demo)
    specs = [
        *cut_specs(demo),
        CampaignFilter(platforms=first_of(demo, "platform"), content_types=first_of(demo, "content_type")),
    ]
    flagged = 0
    for spec in specs:
        direct = overview.anomaly_flags(cube.cube(apply_campaign_filter(demo, spec)), spec.start, spec.end)
        basis = overview.anomaly_flags(cube.filtered_cube(day_cube, overview.anomaly_basis(spec)))
        if not cube.cube_serves(overview.anomaly_basis(spec), demo.columns):
            basis = overview.anomaly_flags(cube.cube(apply_campaign_filter(demo, overview.anomaly_basis(spec))))
        cut = apply_campaign_filter(basis, spec).reset_index(drop=True)
        flagged += len(direct) > 0
        pd.testing.assert_frame_equal(cut, direct, check_dtype=False, rtol=1e-12)
    assert flagged >= 4  # the comparison is not between empty frames


def test_a_campaign_on_two_platforms_is_judged_per_platform() -> None:
    frame = steady_campaign()
    other = frame.assign(platform="TikTok", spend=frame["spend"] * 3)
    both = tidy_campaigns(pd.concat([frame.astype({"platform": str}), other.astype({"platform": str})]))
    flags = overview.anomaly_flags(both)
    spike = flags[(flags["flag"] == "Spend above baseline") & (flags["date"] == pd.Timestamp("2025-02-10"))]
    assert sorted(spike["platform"]) == ["Meta", "TikTok"]


# --------------------------------------------------------------------------- anomalies


def steady_campaign(days: int = 45, spike_day: int = 40, seed: int = 1) -> pd.DataFrame:
    """One campaign with spend ~100/day (± noise), 40 conversions a day, and a spend spike on `spike_day`."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-01-01", periods=days, freq="D")
    spend = 100.0 + rng.normal(0, 5, days)
    spend[spike_day] = 200.0
    return rows([(d, "Meta", "Steady", "Mobile", s, 100, 40, 500.0) for d, s in zip(dates, spend, strict=True)])


def poisson_campaigns(
    series: int = 40, days: int = 365, per_day: float = 20.0, seed: int = 7, planted: dict[int, float] | None = None
) -> pd.DataFrame:
    """`series` campaigns with lognormal daily spend around 100 and Poisson conversions at a fixed true CPA of
    100/`per_day`: no anomaly unless `planted` maps a day number to a factor on that day's expected
    conversions in every campaign (0.3 = CPA about 3.3x, 3.0 = CPA a third)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-01-01", periods=days, freq="D")
    spend = np.round(100.0 * rng.lognormal(0.0, 0.25, (days, series)), 2)
    factor = np.ones(days)
    for day, times in (planted or {}).items():
        factor[day] = times
    conversions = rng.poisson(spend / 100.0 * per_day * factor[:, None])
    records = [
        (dates[d], "Meta", f"C{c:02d}", "Mobile", spend[d, c], 1000, int(conversions[d, c]), 0.0)
        for d in range(days)
        for c in range(series)
    ]
    return rows(records)


def cpa_flag_counts(flags: pd.DataFrame) -> tuple[int, int]:
    """(CPA above, CPA below) flag counts."""
    counts = flags["flag"].value_counts()
    return int(counts.get("CPA above baseline", 0)), int(counts.get("CPA below baseline", 0))


def scored_days(frame: pd.DataFrame) -> int:
    """Campaign-days with spend and conversions after each series' first ANOMALY_MIN_HISTORY days: the days a
    CPA z is taken on (every day has spend in these frames, so the history is complete)."""
    daily = cube.rollup(frame, ["platform", "campaign", "date"], measures=("spend", "conversions"))
    daily = daily[(daily["spend"] > 0) & (daily["conversions"] > 0)]
    first = daily.groupby(["platform", "campaign"], observed=True)["date"].transform("min")
    return int((daily["date"] >= first + pd.Timedelta(days=overview.ANOMALY_MIN_HISTORY)).sum())


# Two-sided P(|Z| >= 2.5) for a standard normal: the share of days a symmetric rule flags by chance.
NOMINAL_RATE = math.erfc(overview.ANOMALY_Z / math.sqrt(2))


def test_a_spend_spike_is_flagged_against_a_baseline_without_itself() -> None:
    frame = steady_campaign()
    flags = overview.anomaly_flags(frame)
    spend_flags = flags[flags["flag"] == "Spend above baseline"]
    assert pd.Timestamp("2025-02-10") in spend_flags["date"].tolist()  # day 40
    hit = spend_flags[spend_flags["date"] == pd.Timestamp("2025-02-10")].iloc[0]
    previous_30 = frame["spend"].iloc[10:40]
    assert hit["baseline"] == pytest.approx(previous_30.mean())
    assert hit["z"] == pytest.approx((200.0 - previous_30.mean()) / previous_30.std())
    assert hit["platform"] == "Meta" and hit["campaign"] == "Steady"
    # With 40 conversions on twice the spend, the spike is also a CPA spike (5 vs ~2.5), far beyond Poisson noise.
    assert "CPA above baseline" in flags.loc[flags["date"] == pd.Timestamp("2025-02-10"), "flag"].tolist()


def test_spend_without_conversions_is_flagged() -> None:
    frame = steady_campaign()
    frame.loc[frame["date"] == pd.Timestamp("2025-01-20"), "conversions"] = 0.0
    flags = overview.anomaly_flags(frame)
    silent = flags[flags["flag"] == "Spend, no conversions"]
    assert silent["date"].tolist() == [pd.Timestamp("2025-01-20")]
    assert silent["value"].iloc[0] == pytest.approx(frame.loc[19, "spend"])
    assert math.isnan(silent["z"].iloc[0])


def test_anomalies_need_history_and_respect_the_reporting_window() -> None:
    frame = steady_campaign(days=45, spike_day=3)  # a spike before 7 days of history exist
    flags = overview.anomaly_flags(frame)
    assert not (flags["date"] == pd.Timestamp("2025-01-04")).any()
    spiky = steady_campaign(spike_day=42)  # 2025-02-12
    spiky.loc[spiky["date"] == pd.Timestamp("2025-01-20"), "conversions"] = 0.0  # outside the window
    window = overview.anomaly_flags(spiky, start=pd.Timestamp("2025-02-11"), end=pd.Timestamp("2025-02-14"))
    assert pd.Timestamp("2025-02-12") in window["date"].tolist()
    assert window["date"].between(pd.Timestamp("2025-02-11"), pd.Timestamp("2025-02-14")).all()
    assert "Spend, no conversions" in overview.anomaly_flags(spiky)["flag"].tolist()
    assert overview.anomaly_flags(steady_campaign().iloc[0:0]).empty


def test_rolling_baseline_matches_pandas_rolling() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(1000, 40, (120, 4))
    values[rng.random((120, 4)) < 0.15] = np.nan
    baseline, z = overview._rolling_z(values, 30, 7)
    history = pd.DataFrame(values).shift(1).rolling(30, min_periods=7)
    np.testing.assert_allclose(baseline, history.mean().to_numpy(), rtol=1e-9, equal_nan=True)
    expected_z = ((pd.DataFrame(values) - history.mean()) / history.std()).to_numpy()
    np.testing.assert_allclose(z, expected_z, rtol=1e-7, atol=1e-9, equal_nan=True)


def test_flags_on_the_demo_data_are_well_formed(demo: pd.DataFrame) -> None:
    flags = overview.anomaly_flags(cube.cube(demo))
    assert flags.columns.tolist() == [
        "date",
        "campaign",
        "platform",
        "flag",
        "value",
        "baseline",
        "z",
        "spend",
        "conversions",
    ]
    scored = flags[flags["flag"] != "Spend, no conversions"]
    assert (scored["z"].abs() >= overview.ANOMALY_Z).all()
    assert flags["date"].is_monotonic_decreasing
    assert flags["platform"].notna().all()
    # The demo data plants no CPA anomaly: CPA flags stay near the chance rate, about as many below as above.
    above, below = cpa_flag_counts(flags)
    assert (above + below) / scored_days(demo) <= 2 * NOMINAL_RATE
    assert min(above, below) >= 0.4 * max(above, below)


def test_cpa_flags_without_anomalies_stay_near_the_nominal_rate_on_both_sides() -> None:
    frame = poisson_campaigns()
    above, below = cpa_flag_counts(overview.anomaly_flags(frame))
    days = scored_days(frame)
    # A rolling 30-day baseline adds its own estimation noise, so allow up to 1.6x the normal-theory rate.
    assert 0.5 * NOMINAL_RATE <= (above + below) / days <= 1.6 * NOMINAL_RATE
    for side in (above, below):  # each tail holds about half of the nominal rate
        assert 0.25 * NOMINAL_RATE <= side / days <= 0.8 * NOMINAL_RATE


def test_planted_cpa_anomalies_are_found_in_the_right_direction() -> None:
    planted = {100: 0.3, 180: 0.3, 250: 3.0, 320: 3.0}
    flags = overview.anomaly_flags(poisson_campaigns(per_day=40.0, planted=planted))
    dates = pd.date_range("2025-01-01", periods=365, freq="D")
    for day, factor in planted.items():
        hits = flags[flags["date"] == dates[day]]
        wanted = "CPA above baseline" if factor < 1 else "CPA below baseline"
        assert (hits["flag"] == wanted).sum() >= 38, (day, hits["flag"].value_counts().to_dict())  # of 40
    chance = flags[flags["flag"].str.startswith("CPA") & ~flags["date"].isin(dates[list(planted)])]
    assert len(chance) <= 1.6 * NOMINAL_RATE * 40 * 365


def test_cpa_z_matches_a_direct_poisson_computation() -> None:
    rng = np.random.default_rng(5)
    spend = rng.lognormal(4.0, 0.4, (90, 3))
    conversions = rng.poisson(spend / 8.0 * rng.gamma(4.0, 0.25, (90, 3))).astype("float64")  # overdispersed
    spend[rng.random((90, 3)) < 0.1] = np.nan  # days without a row
    baseline, z = overview._cpa_z(spend, conversions, 30, 7)
    for day in range(90):
        for col in range(3):
            window = slice(max(day - 30, 0), day)
            s, c = spend[window, col], conversions[window, col]
            keep = np.isfinite(s) & (s > 0)
            s, c = s[keep], c[keep]
            if len(s) < 7 or not np.isfinite(spend[day, col]) or conversions[day, col] == 0:
                assert math.isnan(z[day, col])
                continue
            rate = c.sum() / s.sum()
            assert baseline[day, col] == pytest.approx(s.sum() / c.sum())
            residuals = [overview._poisson_deviance(np.array(x), np.array(e)) for x, e in zip(c, s * rate, strict=True)]
            dispersion = max(float(np.sum(np.square(residuals))) / (len(s) - 1), 1.0)
            expected = -overview._poisson_deviance(np.array(conversions[day, col]), np.array(spend[day, col] * rate))
            assert z[day, col] == pytest.approx(expected / math.sqrt(dispersion), rel=1e-9)
