"""bench/information_bound.py: its derivatives and information are right, and the demo seed's bounds (make bench
runs 20 seeds) put the planner's ±10% carry-in and ±5% target-mROAS point targets out of any model's reach."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bench import information_bound as bound
from pipeline.modeling import media_curves


@pytest.fixture(scope="module")
def problem(demo_dir: Path) -> bound.Problem:
    return bound.problem_from_folder(demo_dir)


def test_the_revenue_gradient_in_beta_is_the_unit_curve(problem: bound.Problem) -> None:
    """Expected revenue is linear in β, so its derivative is the channel's curve at β = 1."""
    gradient = bound.gradient(problem.posterior, lambda posterior: bound.expected_revenue(problem, posterior))
    post = problem.posterior
    for index, name in enumerate(post.channels):
        row = bound.PARAMETERS.index("beta") + index * len(bound.PARAMETERS)
        unit = media_curves.daily_contribution(
            post.spend[name].to_numpy()[: problem.fitted_days],
            post.decay[0, index],
            post.max_lag,
            post.half_saturation[0, index],
            post.slope[0, index],
            1.0,
        )[0]
        np.testing.assert_allclose(gradient[row], unit, rtol=1e-6, atol=1e-9)


def test_the_decay_gradient_matches_a_coarser_difference(problem: bound.Problem) -> None:
    post = problem.posterior
    fine = bound.gradient(post, lambda p: bound.expected_revenue(problem, p))[0]
    step = 1e-3
    up = bound.expected_revenue(problem, bound._with(post, 0, "decay", post.decay[0, 0] + step))
    down = bound.expected_revenue(problem, bound._with(post, 0, "decay", post.decay[0, 0] - step))
    np.testing.assert_allclose(fine, (up - down) / (2 * step), rtol=1e-3, atol=1e-3 * np.abs(fine).max())


def test_the_data_bound_scales_with_the_noise(problem: bound.Problem) -> None:
    """I = JᵀJ / σ² with nothing else from the data but the lift test: without it, sd ∝ σ."""
    no_test = replace(problem, dataset=replace(problem.dataset, lift_tests=()))
    noisier = replace(no_test, noise_sd=2 * no_test.noise_sd)
    single = bound.smallest_sd(no_test, bound.carry_in, bound.information(no_test))
    assert bound.smallest_sd(noisier, bound.carry_in, bound.information(noisier)) == pytest.approx(2 * single, rel=1e-6)


def test_priors_and_the_lift_test_only_tighten_the_bound(problem: bound.Problem) -> None:
    no_test = replace(problem, dataset=replace(problem.dataset, lift_tests=()))
    data_only = bound.smallest_sd(no_test, bound.carry_in, bound.information(no_test))
    with_test = bound.information(problem)
    assert bound.smallest_sd(problem, bound.carry_in, with_test) <= data_only * (1 + 1e-9)
    with_priors = with_test + bound.prior_precision(problem)
    assert bound.smallest_sd(problem, bound.carry_in, with_priors) < data_only


def test_the_point_targets_are_beyond_reach_on_the_demo_seed(problem: bound.Problem) -> None:
    """A ±t target met in 90% of seeds needs a relative sd ≤ t / 1.645; even with the priors it is far above."""
    found = bound.seed_bounds(problem)
    assert found["carry_in"] > 0 and found["target_mroas_budget"] > 0, found
    assert found["carry_in_relative_sd_with_priors"] > 2 * bound.CARRY_IN_TARGET / bound.Z_90, found
    assert found["target_mroas_budget_relative_sd_with_priors"] > 2 * bound.TARGET_MROAS_TARGET / bound.Z_90, found
    summary = bound.summarise([{"seed": 42, **found}])
    assert summary["carry_in_seeds_within_reach"] == summary["target_mroas_budget_seeds_within_reach"] == 0
