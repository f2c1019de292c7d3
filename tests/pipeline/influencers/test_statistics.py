"""Incrementality statistics: the bootstrap's exactness, the Welch and sample-ratio tests, power and MDE."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import data_generation
from pipeline.influencers import incrementality as inc
from pipeline.influencers import statistics as inc_stats


def test_resampled_means_match_bootstrap_theory() -> None:
    rng = np.random.default_rng(7)
    values = np.where(rng.random(3_000) < 0.1, rng.gamma(2.0, 20.0, 3_000), 0.0)
    draws = inc_stats.resampled_means(values, 20_000, np.random.default_rng(1))
    # Resampling n users with replacement: mean = sample mean, variance = population variance / n.
    assert draws.mean() == pytest.approx(values.mean(), rel=0.01)
    assert draws.var() == pytest.approx(values.var() / values.size, rel=0.05)
    naive = values[np.random.default_rng(2).integers(0, values.size, (4_000, values.size))].mean(axis=1)
    assert np.quantile(draws, 0.975) == pytest.approx(np.quantile(naive, 0.975), rel=0.03)


def test_resampled_means_edges() -> None:
    rng = np.random.default_rng(0)
    assert np.isnan(inc_stats.resampled_means(np.array([]), 5, rng)).all()
    np.testing.assert_array_equal(inc_stats.resampled_means(np.zeros(4), 5, rng), np.zeros(5))
    np.testing.assert_array_equal(inc_stats.resampled_means(np.array([3.0]), 4, rng), np.full(4, 3.0))
    # All non-zero (no binomial step) and a block size smaller than one resample.
    draws = inc_stats.resampled_means(np.array([1.0, 2.0, 3.0]), 1_000, rng)
    assert draws.min() >= 1.0 and draws.max() <= 3.0 and draws.std() > 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1_000, allow_nan=False), min_size=1, max_size=60), st.integers(1, 50))
def test_resampled_means_stay_within_the_data(values: list[float], n_resamples: int) -> None:
    data = np.array(values)
    draws = inc_stats.resampled_means(data, n_resamples, np.random.default_rng(3))
    assert draws.shape == (n_resamples,)
    assert np.all(draws >= data.min() - 1e-9) and np.all(draws <= data.max() + 1e-9)


def test_p_value_small_with_real_effect_and_not_without() -> None:
    rng = np.random.default_rng(11)
    control = rng.poisson(0.1, 5_000) * 30.0
    assert inc_stats.welch_p_value(rng.poisson(0.15, 5_000) * 30.0, control) < 1e-6
    assert inc_stats.welch_p_value(rng.poisson(0.1, 5_000) * 30.0, control) > 0.01
    data = data_generation.influencer_tables(0, n_influencers=20, users_per_influencer=600)
    assert inc.analyse(data["tracking_data"], data["payouts"], breakdowns=()).overall.p_value < 1e-4


def test_sample_ratio_mismatch() -> None:
    assert inc_stats.srm_p_value(6_000, 4_000) < 1e-50
    assert inc_stats.srm_p_value(5_000, 5_000) == 1.0
    assert inc_stats.srm_p_value(6_000, 4_000, expected_exposed_share=0.6) == pytest.approx(1.0)
    assert math.isnan(inc_stats.srm_p_value(0, 0))


BASIS = inc_stats.PowerBasis(
    revenue_per_control_user=2.5, exposed_variance=90.0, control_variance=80.0, exposed_users=5_000, control_users=5_000
)


def test_minimum_detectable_lift_shrinks_with_n() -> None:
    small = inc_stats.minimum_detectable_lift(BASIS, 1_000, 1_000)
    large = inc_stats.minimum_detectable_lift(BASIS, 4_000, 4_000)
    assert small > large > 0
    assert small / large == pytest.approx(2.0)  # ∝ 1/√n
    z = 1.959963984540054 + 0.8416212335729143
    assert inc_stats.minimum_detectable_lift(BASIS) == pytest.approx(z * math.sqrt(90 / 5_000 + 80 / 5_000) / 2.5)


@pytest.mark.parametrize("n", [500, 12_345, 200_000])
def test_users_needed_is_the_inverse_of_the_mde(n: int) -> None:
    mde = inc_stats.minimum_detectable_lift(BASIS, n, n)
    assert inc_stats.users_needed_per_group(BASIS, mde) in (n, n + 1)  # rounded up
    assert inc_stats.users_needed_per_group(BASIS, 2 * mde) == pytest.approx(n / 4, abs=1)


def test_power_undefined_cases_are_nan() -> None:
    assert math.isnan(inc_stats.users_needed_per_group(BASIS, 0.0))
    assert math.isnan(inc_stats.minimum_detectable_lift(dataclasses.replace(BASIS, revenue_per_control_user=0.0)))
    assert math.isnan(inc_stats.minimum_detectable_lift(inc_stats.power_basis(np.array([1.0]), np.array([2.0]))))
