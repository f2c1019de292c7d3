"""The budget planner's one-call result, its tables and CSV, and saved scenarios, against the window, plan and
optimizer modules they assemble (on the small demo fit)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.modeling import mmm, mmm_scenarios
from pipeline.modeling.mmm_fit import MmmPosterior, SamplerSettings
from pipeline.modeling.mmm_optimize import Limit, current_mix, optimize
from pipeline.modeling.mmm_plan import compare, score_plan, window_model
from pipeline.modeling.mmm_scenarios import PlanInputs
from pipeline.modeling.mmm_window import PlanError, make_window


@pytest.fixture(scope="module")
def posterior(demo_dir: Path, mmm_models_dir: Path) -> MmmPosterior:
    fitted = mmm.cached_fit(mmm_models_dir, mmm.dataset_from_folder(demo_dir), SamplerSettings.from_environment())
    assert fitted is not None
    return fitted


@pytest.fixture(scope="module")
def result(posterior: MmmPosterior) -> mmm_scenarios.PlanResult:
    return mmm_scenarios.run_plan(posterior, PlanInputs(days=14, budget=50_000.0))


@dataclass(frozen=True)
class Saved:
    id: str
    name: str
    saved_at: pd.Timestamp
    data_key: str
    plan: dict[str, Any]


def same_score(shown: dict, expected: dict) -> None:
    """Equal up to float rounding (the baselines are scaled to the recommendation's summed budget)."""
    for key in ("budget", "predicted_revenue", "carry_in", "roas", "total_revenue"):
        assert shown[key] == pytest.approx(expected[key], rel=1e-9)
    assert shown["predicted_revenue_ci"] == pytest.approx(expected["predicted_revenue_ci"], rel=1e-9)
    assert [line["spend"] for line in shown["allocation"]] == pytest.approx(
        [line["spend"] for line in expected["allocation"]], rel=1e-9, abs=1e-9
    )


def test_run_plan_is_optimize_then_score_plan_with_both_baselines(posterior: MmmPosterior, result) -> None:
    model = window_model(posterior, make_window(posterior, 14))
    optimum = optimize(model, "budget", 50_000.0)
    expected = score_plan(model, optimum.totals)
    assert result.recommended.summary == expected.summary
    current = score_plan(model, current_mix(model, 50_000.0))
    same_score(result.current.summary, current.summary)
    versus = compare(current, expected)
    assert result.versus_current["difference"] == pytest.approx(versus["difference"], rel=1e-9)
    assert result.versus_current["probability_b_beats_a"] == pytest.approx(versus["probability_b_beats_a"], abs=0.01)
    assert result.equal.totals == pytest.approx(dict.fromkeys(posterior.channels, 50_000.0 / len(posterior.channels)))
    assert mmm_scenarios.plans_table(result)["budget"].tolist() == pytest.approx([50_000.0] * 3)


def test_the_default_budget_is_the_current_mix_over_the_last_days(posterior: MmmPosterior) -> None:
    planned = mmm_scenarios.run_plan(posterior, PlanInputs(days=21))
    assert planned.recommended.summary["budget"] == pytest.approx(posterior.spend.iloc[-21:].to_numpy().sum())


def test_allocation_table_carries_the_summary_and_the_bounds(result) -> None:
    table = mmm_scenarios.allocation_table(result).set_index("channel")
    for line in result.recommended.summary["allocation"]:
        row = table.loc[line["channel"]]
        assert row["spend"] == pytest.approx(line["spend"])
        assert [row["revenue_low"], row["revenue_high"]] == pytest.approx(line["predicted_revenue_ci"])
        assert row["mroas"] == pytest.approx(line["mroas"])
        assert row["at_bound"] == result.optimum.at_bound[line["channel"]]
    assert table["current_spend"].sum() == pytest.approx(50_000.0)


def test_daily_revenue_adds_up_to_the_window_revenue(result) -> None:
    model, totals = result.model, result.recommended.totals
    daily = mmm_scenarios.daily_revenue_draws(model, totals)
    carry = mmm_scenarios.daily_revenue_draws(model, {})
    for name, channel in model.channels.items():
        np.testing.assert_allclose(daily[name].sum(axis=1), channel.revenue(totals[name]), rtol=1e-9)
        np.testing.assert_allclose(carry[name].sum(axis=1), channel.revenue(0.0), rtol=1e-9)
    frame = mmm_scenarios.daily_plan(model, totals)
    assert len(frame) == 14 * len(model.names)
    assert frame.groupby("channel")["spend"].sum().to_dict() == pytest.approx(totals)
    assert frame["carry_in"].sum() == pytest.approx(result.recommended.summary["carry_in"])


def test_plan_csv_has_spend_per_channel_per_day_then_the_predictions(result) -> None:
    frame = mmm_scenarios.plan_csv_frame(result)
    summary = result.recommended.summary
    daily = frame[frame["date"] != mmm_scenarios.WINDOW_ROW]
    assert pd.to_datetime(daily["date"]).min() == pd.Timestamp(summary["start"])
    assert daily["spend"].sum() == pytest.approx(summary["budget"])
    totals = frame[frame["date"] == mmm_scenarios.WINDOW_ROW].set_index("channel")
    assert totals.loc["all channels (incremental)", "predicted_revenue"] == pytest.approx(summary["predicted_revenue"])
    assert totals.loc["all channels (incremental)", "roas"] == pytest.approx(summary["roas"])
    assert totals.loc["carry-in (no new spend)", "revenue_high"] == pytest.approx(summary["carry_in_ci"][1])
    assert totals.loc["total revenue", "predicted_revenue"] == pytest.approx(summary["total_revenue"])


def test_a_zero_budget_keeps_only_the_carry_in(posterior: MmmPosterior) -> None:
    planned = mmm_scenarios.run_plan(posterior, PlanInputs(budget=0.0))
    summary = planned.recommended.summary
    assert summary["predicted_revenue"] == pytest.approx(summary["carry_in"]) and summary["carry_in"] > 0
    assert summary["roas"] is None
    assert f"${summary['carry_in']:,.0f}" in mmm_scenarios.carry_in_sentence(summary)


def test_inputs_round_trip_through_json_and_damage_is_one_sentence() -> None:
    inputs = PlanInputs(
        start="2030-01-05", days=10, spread="front-loaded", mode="target-roas", budget=None, target=1.5,
        minimum=(("Meta", Limit(1000.0)),), maximum=(("TikTok", Limit(80.0, share_of_current=True)),),
    )  # fmt: skip
    payload = json.loads(json.dumps(mmm_scenarios.inputs_payload(inputs)))
    assert mmm_scenarios.inputs_from_payload(payload) == inputs
    damages = [{"days": "ten"}, {"days": 0}, {"budget": -1}, {"minimum": []}, {"start": "soon"}, {"mode": "max"}]
    for damaged in [None, *({**payload, **damage} for damage in damages)]:
        with pytest.raises(PlanError, match=r"^This scenario"):
            mmm_scenarios.inputs_from_payload(damaged)


def test_saved_scenarios_score_again_and_compare_on_the_same_draws(posterior: MmmPosterior, result) -> None:
    plan_a = mmm_scenarios.scenario_plan(result)
    bigger = mmm_scenarios.run_plan(posterior, PlanInputs(days=14, budget=80_000.0))
    plan_b = json.loads(json.dumps(mmm_scenarios.scenario_plan(bigger)))
    first = Saved("a", "A", pd.Timestamp("2026-01-01", tz="UTC"), "key", plan_a)
    second = Saved("b", "B", pd.Timestamp("2026-01-02", tz="UTC"), "key", plan_b)
    table, versus = mmm_scenarios.compare_scenarios(posterior, first, second)
    assert versus == compare(result.recommended, bigger.recommended)
    assert table["predicted_revenue"].tolist() == pytest.approx(
        [result.recommended.summary["predicted_revenue"], bigger.recommended.summary["predicted_revenue"]]
    )
    listed = mmm_scenarios.scenarios_table([second, first], "other")
    assert listed["name"].tolist() == ["B", "A"] and not listed["this_data"].any()
    assert listed["budget"].tolist() == pytest.approx([80_000.0, 50_000.0])


def test_a_scenario_without_spend_or_with_an_unknown_channel_is_one_sentence(posterior, result) -> None:
    plan = mmm_scenarios.scenario_plan(result)
    with pytest.raises(PlanError, match="no saved spend"):
        mmm_scenarios.score_scenario(posterior, {**plan, "allocation": None})
    with pytest.raises(PlanError, match="Unknown channel 'Bebo'"):
        mmm_scenarios.score_scenario(posterior, {**plan, "allocation": {"Bebo": 10.0}})


def test_extrapolation_warnings_name_the_factor_and_the_days() -> None:
    line = {"channel": "Meta", "extrapolated": True, "extrapolation_factor": 2.345}
    line |= {"highest_daily_spend": 4690.0, "highest_daily_spend_seen": 2000.0}
    never = {**line, "channel": "TikTok", "extrapolation_factor": None}
    fine = {**line, "channel": "Instagram", "extrapolated": False}
    sentences = mmm_scenarios.extrapolation_warnings({"allocation": [line, never, fine]})
    assert sentences == [
        "Meta: planned daily spend is 2.3× the highest day in the data ($4,690 vs $2,000); the forecast there "
        "follows the fitted curve, not evidence.",
        "TikTok: the data has no day of spend, so any spend on it is beyond the data.",
    ]


def test_break_even_warning_names_the_channels_whose_next_dollar_loses() -> None:
    def line(channel: str, spend: float, mroas: float) -> dict[str, Any]:
        return {"channel": channel, "spend": spend, "mroas": mroas}

    every = [line("Meta", 100.0, 0.87), line("TikTok", 50.0, 0.65), line("Influencers", 0.0, 0.1)]
    assert mmm_scenarios.break_even_warning({"allocation": every}) == (
        "At this plan the next dollar in every funded channel brings back less than $1 of incremental revenue "
        "(marginal ROAS 0.65x to 0.87x): the last dollars there do not pay for themselves on revenue. "
        '"Largest budget with marginal ROAS ≥ target" finds the budget whose next dollar still does.'
    )
    some = [line("Meta", 100.0, 1.43), line("Instagram", 50.0, 0.88), line("TikTok", 50.0, 0.94)]
    assert mmm_scenarios.break_even_warning({"allocation": some}).startswith(
        "At this plan the next dollar in Instagram and TikTok brings back less than $1 of incremental revenue "
        "(marginal ROAS 0.88x to 0.94x)"
    )
    # An unfunded channel below 1 and funded channels at or above 1 need no warning.
    assert mmm_scenarios.break_even_warning({"allocation": [line("Meta", 10.0, 1.0), line("X", 0.0, 0.2)]}) is None


def test_the_planner_warns_when_the_fitted_plan_loses_at_the_margin(result: mmm_scenarios.PlanResult) -> None:
    """On the demo fit, the warning appears exactly when a funded channel's marginal ROAS is below 1."""
    allocation = result.recommended.summary["allocation"]
    losing = [line for line in allocation if line["spend"] > 0 and line["mroas"] < 1]
    sentence = mmm_scenarios.break_even_warning(result.recommended.summary)
    assert (sentence is not None) == bool(losing)
    for line in losing:
        assert sentence is not None and (line["channel"] in sentence or "every funded channel" in sentence)


def test_chances_at_the_ends_are_not_certainties() -> None:
    assert [mmm_scenarios.chance_text(p) for p in (0.0, 0.004, 0.5, 0.874, 0.996, 1.0)] == [
        "< 1%", "< 1%", "50%", "87%", "> 99%", "> 99%",
    ]  # fmt: skip
