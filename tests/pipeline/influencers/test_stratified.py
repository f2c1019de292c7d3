"""The estimate stratified by influencer: Simpson's paradox, hand-computed strata, the demo regression, the
stratified bootstrap against its normal approximation and against the generator's truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline.influencers import incrementality as inc
from pipeline.influencers import stratified as sf
from pipeline.influencers import tracking
from pipeline.inputs import demo


def users_frame(strata: dict[int, tuple[list[float], list[float]]]) -> pd.DataFrame:
    """user_revenue(clean, ("influencer_id",)) from {influencer: (exposed revenues, control revenues)}."""
    rows, user = [], 0
    for influencer, (exposed, control) in strata.items():
        for group, values in ((1, exposed), (0, control)):
            for value in values:
                user += 1
                rows.append((influencer, group, user, float(value)))
    return pd.DataFrame(rows, columns=["influencer_id", "group", "user_id", "revenue"])


def tracking_from(users: pd.DataFrame) -> pd.DataFrame:
    return users.assign(product="A", campaign="C1", source="Instagram")


def test_uneven_splits_bias_the_pooled_estimate_not_the_stratified_one() -> None:
    # No effect anywhere: influencer 1's audience spends 10 per user, influencer 2's spends 1, in both groups.
    # Influencer 1 puts 90 users in the exposed group and 10 in control; influencer 2 the reverse.
    users = users_frame({1: ([10.0] * 90, [10.0] * 10), 2: ([1.0] * 10, [1.0] * 90)})
    payouts = pd.DataFrame({"influencer_id": [1, 2], "total_payout": [100.0, 100.0]})
    report = inc.analyse(tracking_from(users), payouts, breakdowns=(), n_resamples=200)
    # Pooled: r1 = (900 + 10)/100 = 9.1, r0 = (100 + 90)/100 = 1.9: a fake +379% lift and iROAS (7.2·100)/200.
    assert report.overall.lift == pytest.approx(7.2 / 1.9)
    assert report.overall.iroas == pytest.approx(3.6)
    assert report.stratified.incremental_revenue == 0.0
    assert report.stratified.iroas == 0.0 and report.stratified.lift == 0.0


def test_hand_computed_strata() -> None:
    # Influencer 1: r1 = 4, r0 = 1, n1 = 3 -> +9; influencer 2: r1 = 2, r0 = 3, n1 = 2 -> -2. Payouts 10 and 4.
    users = users_frame({1: ([6.0, 0.0, 6.0], [2.0, 0.0]), 2: ([4.0, 0.0], [3.0, 3.0, 3.0]), 3: ([5.0], [])})
    payouts = pd.Series({1: 10.0, 2: 4.0, 3: 99.0})
    estimate = sf.bootstrap_stratified(users, payouts, n_resamples=300)
    assert estimate.incremental_revenue == pytest.approx(7.0)
    assert estimate.lift == pytest.approx(7.0 / (1 * 3 + 3 * 2))  # against Σ r0_i · n1_i
    assert estimate.payout == 14.0  # influencer 3 has no control users: left out, with its payout
    assert estimate.iroas == pytest.approx(0.5)
    assert (estimate.strata, estimate.left_out_strata, estimate.left_out_exposed_users) == (2, 1, 1)
    assert estimate.iroas_ci_low <= estimate.iroas <= estimate.iroas_ci_high
    normal = sf.normal_stratified(sf.stratum_table(users, payouts))
    assert (normal.incremental_revenue, normal.iroas, normal.method) == (estimate.incremental_revenue, 0.5, "normal")


def test_demo_stratified_estimate_is_0_673_against_pooled_0_672(demo_dir: Path) -> None:
    tables = demo.read_influencer_tables(demo_dir)
    report = inc.analyse(tables["tracking"], tables["payouts"], breakdowns=("influencer",), n_resamples=300)
    assert round(report.overall.iroas, 3) == 0.672
    assert round(report.stratified.iroas, 3) == 0.673
    by_influencer = report.breakdowns["influencer"]  # the stratified estimate is the sum of the breakdown's rows
    assert report.stratified.incremental_revenue == pytest.approx(by_influencer["incremental_revenue"].sum())
    assert report.stratified.payout == pytest.approx(report.overall.payout)
    assert report.stratified.iroas_ci_low < 0.673 < report.stratified.iroas_ci_high
    record = sf.as_record(report.stratified)
    assert record["iroas"] == report.stratified.iroas and record["method"] == "bootstrap"
    assert record["iroas_ci"] == [report.stratified.iroas_ci_low, report.stratified.iroas_ci_high]
    assert sf.as_record(None) is None


def test_stratified_bootstrap_agrees_with_its_normal_approximation_and_is_seeded() -> None:
    data = data_generation.influencer_tables(5, n_influencers=20, users_per_influencer=600)
    raw = data["tracking_data"]
    clean = raw[~raw["user_id"].isin(tracking.contaminated_user_ids(raw))]
    exposed_users = tracking.exposed_users_per_influencer(clean)
    per_user = tracking.payout_per_exposed_user(tracking.validate_payouts(data["payouts"]), exposed_users)
    payouts = tracking.apportioned_payout(clean, per_user, ("influencer_id",))
    users = tracking.user_revenue(clean, ("influencer_id",))
    exact = sf.bootstrap_stratified(users, payouts, n_resamples=2_000)
    assert exact == sf.bootstrap_stratified(users, payouts, n_resamples=2_000)  # fixed seed
    assert exact == inc.analyse(raw, data["payouts"], breakdowns=(), n_resamples=2_000).stratified
    normal = sf.normal_stratified(sf.stratum_table(users, payouts))
    assert normal.iroas == pytest.approx(exact.iroas, rel=1e-12)
    width = exact.iroas_ci_high - exact.iroas_ci_low
    assert 0 < width < 1
    assert abs(normal.iroas_ci_low - exact.iroas_ci_low) <= 0.1 * width
    assert abs(normal.iroas_ci_high - exact.iroas_ci_high) <= 0.1 * width
    assert exact.iroas_ci_low <= data["truth"]["iroas"] <= exact.iroas_ci_high


def test_each_stratum_draws_the_same_whatever_other_strata_are_in_scope() -> None:
    """Per-stratum generators: dropping influencer 3 leaves the draws of 1 and 2 as they were, and the strata are
    independent: with one seed reused per stratum, strata of the same size draw the same buyer counts and their draws
    correlate at about 0.55."""
    rng = np.random.default_rng(0)

    def revenue() -> list[float]:  # 40 buyers in 400 users: the count of buyers drawn drives each resample
        return [*rng.exponential(20, 40), *[0.0] * 360]

    strata = {i: (revenue(), revenue()) for i in (1, 2, 3)}
    users = users_frame(strata)
    payouts = pd.Series({1: 100.0, 2: 100.0, 3: 100.0})
    every = sf.bootstrap_stratified(users, payouts, n_resamples=500)
    two = sf.bootstrap_stratified(users[users["influencer_id"] != 3], payouts, n_resamples=500)
    assert set(every.draws) == {1, 2, 3} and set(two.draws) == {1, 2}
    for stratum in (1, 2):
        np.testing.assert_array_equal(two.draws[stratum], every.draws[stratum])
    assert abs(np.corrcoef(every.draws[1], every.draws[2])[0, 1]) < 0.15


def test_stratified_interval_covers_the_truth_in_most_seeds() -> None:
    covered = 0
    for seed in range(8):
        data = data_generation.influencer_tables(seed, n_influencers=20, users_per_influencer=300)
        estimate = inc.analyse(data["tracking_data"], data["payouts"], breakdowns=(), n_resamples=400).stratified
        covered += estimate.iroas_ci_low <= data["truth"]["iroas"] <= estimate.iroas_ci_high
    assert covered >= 6  # 95% intervals: 8 seeds miss more than 2 with probability < 1%
