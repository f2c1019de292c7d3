"""The forward planner on a posterior whose parameters are known: window maths, scoring and the three modes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.modeling import media_curves, mmm_optimize, mmm_plan, mmm_window
from pipeline.modeling.mmm_fit import MmmPosterior
from pipeline.modeling.mmm_window import PlanError

CHANNELS = ["Search", "Social", "Video"]
DAYS = 120
LAG = 6


def known_posterior(draws: int = 40, seed: int = 3) -> MmmPosterior:
    """Three channels with concave curves (slope ≤ 1) and a little spread between draws."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2025-01-01", periods=DAYS, freq="D")
    spend = pd.DataFrame(
        {name: rng.uniform(0.5, 1.5, DAYS) * level for name, level in zip(CHANNELS, (800, 400, 1500), strict=True)},
        index=dates,
    )

    def draws_of(values: list[float], spread: float) -> np.ndarray:
        return np.array(values) * rng.lognormal(0.0, spread, (draws, len(values)))

    return MmmPosterior(
        channels=CHANNELS,
        dates=dates,
        spend=spend,
        revenue=pd.Series(5000.0, index=dates),
        decay=np.clip(draws_of([0.5, 0.3, 0.7], 0.05), 0.01, 0.95),
        half_saturation=draws_of([900.0, 300.0, 2500.0], 0.1),
        slope=np.clip(draws_of([1.0, 0.8, 0.9], 0.03), 0.5, 1.0),
        beta=draws_of([2500.0, 700.0, 3000.0], 0.1),
        max_lag=LAG,
        predicted=pd.DataFrame(),
        holdout_start=dates[-1],
        calibrated=[],
        diagnostics={},
        seconds=0.0,
    )


@pytest.fixture(scope="module")
def posterior() -> MmmPosterior:
    return known_posterior()


@pytest.fixture(scope="module")
def model(posterior: MmmPosterior) -> mmm_plan.WindowModel:
    return mmm_plan.window_model(posterior, mmm_window.make_window(posterior, 28))


def direct_window_revenue(posterior: MmmPosterior, channel: str, future: np.ndarray) -> np.ndarray:
    """Revenue over the window from the whole daily series (history then plan), with the shared curve code."""
    index = CHANNELS.index(channel)
    series = np.concatenate([posterior.spend[channel].to_numpy(), future])
    daily = media_curves.daily_contribution(
        series,
        posterior.decay[:, index],
        posterior.max_lag,
        posterior.half_saturation[:, index],
        posterior.slope[:, index],
        posterior.beta[:, index],
    )
    return daily[:, -len(future) :].sum(axis=1)


def test_window_defaults_to_the_day_after_the_data_and_refuses_overlap(posterior: MmmPosterior) -> None:
    window = mmm_window.make_window(posterior)
    assert window.start == posterior.dates[-1] + pd.Timedelta(days=1)
    assert window.days == 28 and len(window.dates) == 28
    with pytest.raises(PlanError, match="after the data ends"):
        mmm_window.make_window(posterior, start=f"{posterior.dates[-3]:%Y-%m-%d}")
    with pytest.raises(PlanError, match="1 to"):
        mmm_window.make_window(posterior, days=0)
    for text in ("next tuesday", "now", "2026-13-01"):
        with pytest.raises(PlanError, match="not a date"):
            mmm_window.make_window(posterior, start=text)


@pytest.mark.parametrize("spread", ["even", "recent", "front-loaded"])
def test_window_revenue_equals_the_curve_on_history_then_plan(posterior: MmmPosterior, spread: str) -> None:
    model = mmm_plan.window_model(posterior, mmm_window.make_window(posterior, 21, spread=spread))
    for channel in CHANNELS:
        weights = mmm_window.day_weights(posterior, model.window, channel)
        assert weights.sum() == pytest.approx(1.0)
        for total in (0.0, 5_000.0, 60_000.0):
            expected = direct_window_revenue(posterior, channel, total * weights)
            np.testing.assert_allclose(model.channels[channel].revenue(total), expected, rtol=1e-6)


def test_front_loaded_puts_three_times_the_last_day_on_the_first(posterior: MmmPosterior) -> None:
    weights = mmm_window.day_weights(posterior, mmm_window.make_window(posterior, 10, spread="front-loaded"), "Search")
    assert weights[0] == pytest.approx(3 * weights[-1])
    assert np.all(np.diff(weights) < 0)


def test_a_gap_after_the_data_lets_the_carry_in_decay(posterior: MmmPosterior) -> None:
    right_after = mmm_plan.window_model(posterior, mmm_window.make_window(posterior, 14))
    later = f"{posterior.dates[-1] + pd.Timedelta(days=3):%Y-%m-%d}"
    gap = mmm_plan.window_model(posterior, mmm_window.make_window(posterior, 14, start=later))
    assert 0 < gap.mean_revenue({}) < right_after.mean_revenue({})
    far = f"{posterior.dates[-1] + pd.Timedelta(days=LAG + 1):%Y-%m-%d}"
    assert mmm_plan.window_model(posterior, mmm_window.make_window(posterior, 14, start=far)).mean_revenue(
        {}
    ) == pytest.approx(0.0, abs=1e-3)


def test_zero_budget_is_the_history_carried_into_the_window(
    posterior: MmmPosterior, model: mmm_plan.WindowModel
) -> None:
    carry = model.revenue_draws({}).sum(axis=1)
    direct = sum(direct_window_revenue(posterior, channel, np.zeros(28)) for channel in CHANNELS)
    np.testing.assert_allclose(carry, direct, rtol=1e-6)
    score = mmm_plan.score_plan(model, {})
    assert score.summary["predicted_revenue"] == pytest.approx(score.summary["carry_in"])
    assert score.summary["roas"] is None and score.summary["budget"] == 0


def test_exact_marginal_matches_a_small_finite_difference(model: mmm_plan.WindowModel) -> None:
    for channel in model.channels.values():
        for total in (2_000.0, 30_000.0):
            _, exact = channel.revenue_and_marginal(total)
            step = total * 1e-5
            numeric = (channel.revenue(total + step) - channel.revenue(total - step)) / (2 * step)
            np.testing.assert_allclose(exact, numeric, rtol=1e-4)


def test_plan_interval_comes_from_the_summed_draws(model: mmm_plan.WindowModel) -> None:
    totals = {"Search": 20_000.0, "Social": 8_000.0, "Video": 30_000.0}
    score = mmm_plan.score_plan(model, totals)
    per_channel = model.revenue_draws(totals)
    low, high = np.quantile(per_channel.sum(axis=1), [0.05, 0.95])
    assert score.summary["predicted_revenue_ci"] == pytest.approx([low, high])
    assert score.summary["predicted_revenue"] == pytest.approx(per_channel.sum(axis=1).mean())
    own = (per_channel.sum(axis=1) - model.revenue_draws({}).sum(axis=1)) / 58_000.0
    assert score.summary["roas"] == pytest.approx(own.mean())
    lines = {line["channel"]: line for line in score.summary["allocation"]}
    assert lines["Video"]["share"] == pytest.approx(30_000 / 58_000)
    assert sum(line["predicted_revenue"] for line in lines.values()) == pytest.approx(
        score.summary["predicted_revenue"]
    )


def test_channels_above_the_highest_day_seen_are_flagged_with_the_factor(
    posterior: MmmPosterior, model: mmm_plan.WindowModel
) -> None:
    highest = float(posterior.spend["Social"].max())
    score = mmm_plan.score_plan(model, {"Social": highest * 28 * 2.0, "Search": 1_000.0})
    lines = {line["channel"]: line for line in score.summary["allocation"]}
    assert lines["Social"]["extrapolated"] and lines["Social"]["extrapolation_factor"] == pytest.approx(2.0)
    assert not lines["Search"]["extrapolated"] and lines["Search"]["extrapolation_factor"] is None
    assert score.summary["extrapolated"]


def test_bad_plans_get_one_sentence(model: mmm_plan.WindowModel) -> None:
    with pytest.raises(PlanError, match="Unknown channel 'TV'"):
        mmm_plan.score_plan(model, {"TV": 10.0})
    with pytest.raises(PlanError, match="from 0 to"):
        mmm_plan.score_plan(model, {"Search": -5.0})
    with pytest.raises(PlanError, match="from 0 to"):
        mmm_plan.score_plan(model, {"Search": 1e300})
    with pytest.raises(PlanError, match="budget"):
        mmm_optimize.optimize(model, "budget", 1e300)


def test_channel_names_match_whatever_their_case(model: mmm_plan.WindowModel) -> None:
    score = mmm_plan.score_plan(model, {" search ": 1_000.0})
    assert score.totals["Search"] == 1_000.0
    video_off = mmm_optimize.parse_limits(["VIDEO=0"])
    optimum = mmm_optimize.optimize(model, "budget", 5_000.0, maximum=video_off, max_shift=None)
    assert optimum.totals["Video"] == 0


def test_comparison_uses_the_same_draws(model: mmm_plan.WindowModel) -> None:
    plan_a = mmm_plan.score_plan(model, {"Search": 10_000.0, "Social": 10_000.0, "Video": 10_000.0})
    plan_b = mmm_plan.score_plan(model, {"Search": 10_000.0, "Social": 10_000.0, "Video": 20_000.0})
    assert mmm_plan.compare(plan_a, plan_a)["probability_b_beats_a"] == 0.5  # a tie, not a certain loss
    more = mmm_plan.compare(plan_a, plan_b)
    assert more["probability_b_beats_a"] == 1.0  # more spend on a channel never brings less, draw by draw
    assert more["difference"] == pytest.approx(
        plan_b.summary["predicted_revenue"] - plan_a.summary["predicted_revenue"]
    )


def test_limits_parse_amounts_and_percentages() -> None:
    limits = mmm_optimize.parse_limits(["Search=1000", " Video = 80% "])
    assert limits["Search"] == mmm_optimize.Limit(1000.0, False)
    assert limits["Video"].resolve(5_000.0) == pytest.approx(4_000.0)
    for bad in ("Search", "Search=-1", "=5", "Search=lots"):
        with pytest.raises(PlanError):
            mmm_optimize.parse_limits([bad])


def test_fixed_budget_optimum_equalises_marginal_roas_and_beats_random_splits(model: mmm_plan.WindowModel) -> None:
    budget = 60_000.0
    optimum = mmm_optimize.optimize(model, "budget", budget, max_shift=None)
    assert sum(optimum.totals.values()) == pytest.approx(budget)
    marginal = model.revenue_and_marginal(optimum.totals)[1].mean(axis=0)
    free = [m for m, name in zip(marginal, model.names, strict=True) if not optimum.at_bound[name]]
    assert len(free) >= 2 and (max(free) - min(free)) / np.mean(free) < 0.01
    best = model.mean_revenue(optimum.totals)
    rng = np.random.default_rng(0)
    for shares in rng.dirichlet(np.ones(3), 200):
        assert model.mean_revenue(dict(zip(model.names, shares * budget, strict=True))) <= best + 1e-6 * best


def test_bounds_hold_and_impossible_bounds_are_refused(model: mmm_plan.WindowModel) -> None:
    minimum = mmm_optimize.parse_limits(["Social=15000"])
    maximum = mmm_optimize.parse_limits(["Video=5000"])
    optimum = mmm_optimize.optimize(model, "budget", 40_000.0, minimum=minimum, maximum=maximum, max_shift=None)
    assert optimum.totals["Social"] >= 15_000 - 1e-6 and optimum.totals["Video"] <= 5_000 + 1e-6
    assert optimum.at_bound["Video"]
    with pytest.raises(PlanError, match="minimums add up"):
        mmm_optimize.optimize(model, "budget", 10_000.0, minimum=minimum)
    with pytest.raises(PlanError, match="maximums add up"):
        mmm_optimize.optimize(
            model, "budget", 10_000.0, maximum=mmm_optimize.parse_limits([f"{c}=10" for c in CHANNELS])
        )
    with pytest.raises(PlanError, match="Unknown channel"):
        mmm_optimize.optimize(model, "budget", 10_000.0, minimum=mmm_optimize.parse_limits(["TV=1"]))


def test_channels_left_open_stay_within_the_shift_of_the_current_mix(model: mmm_plan.WindowModel) -> None:
    budget = 60_000.0
    current = mmm_optimize.current_mix(model, budget)
    free = mmm_optimize.optimize(model, "budget", budget, max_shift=None)
    assert any(abs(free.totals[n] / current[n] - 1) > 0.3 for n in model.names)  # the limit has work to do
    held = mmm_optimize.optimize(model, "budget", budget)
    for name in model.names:
        assert 0.7 * current[name] - 1e-6 <= held.totals[name] <= 1.3 * current[name] + 1e-6
    assert sum(held.totals.values()) == pytest.approx(budget)
    assert model.mean_revenue(held.totals) <= model.mean_revenue(free.totals) + 1e-6
    # A channel's own limit replaces the shift on that side; the other side never crosses it.
    video_off = mmm_optimize.parse_limits(["Video=0"])
    capped = mmm_optimize.optimize(model, "budget", budget, maximum=video_off, max_shift=2.0)
    assert capped.totals["Video"] == pytest.approx(0.0, abs=1e-6)
    assert all(capped.totals[n] <= 3 * current[n] + 1e-6 for n in model.names)
    with pytest.raises(PlanError, match="within ±10%"):
        mmm_optimize.optimize(model, "budget", budget, maximum=video_off, max_shift=0.1)
    # The target modes ask how far spend can go: the shift does not hold them.
    target = mmm_optimize.optimize(model, "target-mroas", target=1.0)
    assert target.totals == mmm_optimize.optimize(model, "target-mroas", target=1.0, max_shift=None).totals


def test_more_budget_never_lowers_the_optimum(model: mmm_plan.WindowModel) -> None:
    optima = [model.mean_revenue(mmm_optimize.optimize(model, "budget", b).totals) for b in (1e4, 3e4, 6e4, 1.2e5)]
    assert optima == sorted(optima)


def test_target_mroas_spends_each_channel_to_where_its_marginal_roas_is_the_target(
    model: mmm_plan.WindowModel,
) -> None:
    optimum = mmm_optimize.optimize(model, "target-mroas", target=1.0)
    for name, total in optimum.totals.items():
        channel = model.channels[name]
        if total > 0:
            assert channel.marginal(total).mean() == pytest.approx(1.0, rel=1e-3)
            assert channel.marginal(total * 1.05).mean() < 1.0
    for name, (low, high) in optimum.spend_ci.items():
        assert low <= optimum.totals[name] <= high or optimum.totals[name] == 0, name
        assert high > low or optimum.totals[name] == 0, name  # draws differ, so the spend at the target does
    higher = mmm_optimize.optimize(model, "target-mroas", target=2.0)
    assert sum(higher.totals.values()) < sum(optimum.totals.values())


def test_target_roas_finds_the_budget_where_plan_roas_meets_the_target(model: mmm_plan.WindowModel) -> None:
    optimum = mmm_optimize.optimize(model, "target-roas", target=1.5)
    roas = mmm_plan.score_plan(model, optimum.totals).summary["roas"]
    assert roas == pytest.approx(1.5, rel=0.02)
    unreachable = mmm_optimize.optimize(model, "target-roas", target=1_000.0)
    assert sum(unreachable.totals.values()) == 0 and "No channel" in unreachable.note


def test_optimizer_refuses_bad_modes_and_targets(model: mmm_plan.WindowModel) -> None:
    with pytest.raises(PlanError, match="Mode must be"):
        mmm_optimize.optimize(model, "cheapest", 1.0)
    with pytest.raises(PlanError, match="budget"):
        mmm_optimize.optimize(model, "budget", None)
    with pytest.raises(PlanError, match="above 0"):
        mmm_optimize.optimize(model, "target-mroas", target=0.0)
