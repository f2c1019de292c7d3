"""AppTest of the planner page. The per-line forecast tab: predict a scenario, edit the plan, optimise, save and
compare scenarios. The budget plan tab on the media mix model: every mode's allocation equals optimize and
score_plan for the same inputs, limits, plain errors, the carry-in at zero budget, range warnings, and scenarios
saved to the workspace, compared and opened from a link."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.modeling import mmm, mmm_scenarios, optimizer, planner
from pipeline.modeling.forecast import Forecaster
from pipeline.modeling.mmm_fit import MmmPosterior, SamplerSettings
from pipeline.modeling.mmm_optimize import Limit, Optimum, current_mix, optimize
from pipeline.modeling.mmm_plan import PlanScore, WindowModel, compare, score_plan, window_model
from pipeline.modeling.mmm_window import PlanError, make_window
from pipeline.modeling.plan_terms import DEFAULT_DAYS, MODES
from pipeline.modeling.store import load_forecaster
from tests.conftest import copy_mmm_fit
from tests.pages.conftest import page_path
from tests.pipeline.modeling.trained import demo_models
from ui import format as fmt

LINE_TAB_KEY, LINE_TAB = "planner_tab", "Per-line forecast"


@pytest.fixture(scope="module")
def models_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_models(demo_dir, tmp_path_factory.getbasetemp())[0]


@pytest.fixture
def model(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Forecaster:
    monkeypatch.setenv("APP_MODELS_DIR", str(models_dir))
    return load_forecaster(models_dir)


def run_page() -> AppTest:
    """The page with its second top tab, the per-line forecast, open (only the open tab runs)."""
    at = AppTest.from_file(page_path("planner"), default_timeout=120)
    at.session_state[LINE_TAB_KEY] = LINE_TAB
    at.run()
    assert not at.exception, at.exception
    assert [tab.label for tab in at.tabs][:2] == ["Budget plan", LINE_TAB]
    return at


def test_scenario_prediction_matches_pipeline(model: Forecaster) -> None:
    at = run_page()
    at.selectbox(key="one_platform").set_value("TikTok")
    at.number_input(key="one_spend").set_value(300.0).run()
    assert not at.exception
    expected = planner.outcome_table(planner.predict_scenario(model, 300.0, platform="TikTok"))
    shown = at.dataframe[0].value
    assert list(shown["predicted"]) == pytest.approx(list(expected["predicted"]))
    assert list(shown["high"]) == pytest.approx(list(expected["high"]))
    assert not at.error


def test_plan_edit_and_validation_messages(model: Forecaster) -> None:
    at = run_page()
    edited = planner.starter_plan(model).assign(share=[50.0, 30.0, 10.0])
    at.session_state["planner_plan"] = edited
    at.run()
    assert not at.exception
    assert any("add up to 90.00%" in e.value for e in at.error)
    bad = planner.starter_plan(model).assign(platform=["Meta", "Bebo", "TikTok"])
    at.session_state["planner_plan"] = bad
    at.run()
    assert any("Unknown platform 'Bebo'; the model knows: Instagram, Meta, TikTok" in e.value for e in at.error)
    good = planner.starter_plan(model).assign(share=[20.0, 50.0, 30.0])
    at.session_state["planner_plan"] = good
    at.run()
    assert not at.error
    lines = planner.build_plan(model, good, 1000.0)
    _, total = planner.predict_plan(model, lines)
    whole = at.dataframe[3].value  # 1 is the plan editor, 2 the lines
    assert list(whole["predicted"]) == pytest.approx([total[t] for t in planner.TARGETS])


def test_optimise_and_compare_saved_scenarios(model: Forecaster) -> None:
    at = run_page()
    at.selectbox(key="objective").set_value("conversions").run()
    assert not at.exception
    lines = planner.build_plan(model, planner.starter_plan(model), 1000.0)
    optimum = optimizer.optimize_budget(model, optimizer.default_bounds(lines), 1000.0, "conversions")
    current = model.predict(lines)["conversions"].sum()
    sentence = optimizer.uplift_sentence(optimum.total["conversions"], current, "conversions")
    assert [s.value for s in at.success] == [sentence]
    assert "Save a plan" in at.info[0].value
    at.text_input(key="scenario_name").set_value("Base")
    at.button(key="save_scenario").click().run()
    assert not at.exception
    at.selectbox(key="compare_a").set_value("Base")
    at.selectbox(key="compare_b").set_value("optimised plan").run()
    compared = at.dataframe[-1].value
    assert list(compared["plan"]) == ["Base", "optimised plan"]
    assert compared["spend"].tolist() == pytest.approx([1000.0, 1000.0])
    assert compared["revenue"].iloc[1] == pytest.approx(optimum.total["revenue"])


def test_reruns_keep_the_page_whole(model: Forecaster) -> None:  # speed: make bench
    at = run_page()
    for _ in range(3):
        at.run()
    assert not at.exception
    assert isinstance(at.dataframe[0].value, pd.DataFrame)


def test_spend_beyond_the_data_is_warned_on_the_plan_and_the_curves(model: Forecaster) -> None:
    at = run_page()
    lines = planner.build_plan(model, planner.starter_plan(model), 1000.0)
    predicted, _ = planner.predict_plan(model, lines)
    curve = planner.response_curve(model, lines.iloc[0].to_dict())
    expected = [planner.range_warning(predicted), planner.curve_warning(curve)]
    assert all(expected), expected  # $333 a line: beyond the demo's supported spend on some platform
    shown = [w.value for w in at.warning]
    assert all(message in shown for message in expected), shown
    summary = next(d.value for d in at.dataframe if "marginal_roas" in d.value.columns)
    assert list(summary["supported_spend"]) == pytest.approx(list(predicted["supported_spend"]))
    assert not at.exception


# ---------------------------------------------------------------- the budget plan tab


@pytest.fixture(scope="module")
def fitted_models(models_dir: Path, mmm_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained forecaster (the per-line tab) and the media mix fit (the budget plan tab) in one folder."""
    folder = tmp_path_factory.mktemp("planner-models") / "models"
    shutil.copytree(models_dir, folder)
    return copy_mmm_fit(mmm_models_dir, folder)


@pytest.fixture(scope="module")
def posterior(demo_dir: Path, fitted_models: Path) -> MmmPosterior:
    fitted = mmm.cached_fit(fitted_models, mmm.dataset_from_folder(demo_dir), SamplerSettings.from_environment())
    assert fitted is not None
    return fitted


@pytest.fixture
def plan_env(fitted_models: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fitted media mix model, and a fresh workspace file for this test."""
    monkeypatch.setenv("APP_MODELS_DIR", str(fitted_models))
    workspace_file = tmp_path / "workspace.duckdb"
    monkeypatch.setenv("APP_WORKSPACE", str(workspace_file))
    return workspace_file


def budget_page(at: AppTest | None = None) -> AppTest:
    """Run the Budget plan tab until the background job has loaded the fit (the page reruns itself meanwhile)."""
    at = (AppTest.from_file(page_path("planner"), default_timeout=240) if at is None else at).run()
    assert not at.exception, at.exception
    assert not at.get("progress")
    return at


def numbers(values: list | dict) -> np.ndarray:
    """A plotly trace's values: a list, or plotly's typed array ({"dtype", "bdata": base64})."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)


def window(posterior: MmmPosterior, days: int = DEFAULT_DAYS) -> WindowModel:
    return window_model(posterior, make_window(posterior, days))


def default_budget(posterior: MmmPosterior, days: int = DEFAULT_DAYS) -> float:
    return float(round(mmm_scenarios.default_budget(posterior, days)))  # the page shows whole dollars


def allocation(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "current_spend" in d.value.columns).set_index("channel")


def assert_allocation(at: AppTest, optimum: Optimum, score: PlanScore) -> None:
    shown = allocation(at)
    for line in score.summary["allocation"]:
        row = shown.loc[line["channel"]]
        assert row["spend"] == pytest.approx(line["spend"], rel=1e-6, abs=1e-6)
        assert row["predicted_revenue"] == pytest.approx(line["predicted_revenue"], rel=1e-6)
        assert [row["revenue_low"], row["revenue_high"]] == pytest.approx(line["predicted_revenue_ci"], rel=1e-6)
        assert row["mroas"] == pytest.approx(line["mroas"], rel=1e-6)
        assert bool(row["at_bound"]) == optimum.at_bound[line["channel"]]
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Incremental revenue"] == fmt.compact(score.summary["predicted_revenue"], "$")
    assert tiles["ROAS"] == fmt.multiple(score.summary["roas"])


def test_every_mode_shows_what_optimize_and_score_plan_give(plan_env: Path, posterior: MmmPosterior) -> None:
    at = budget_page()
    assert [tab.label for tab in at.tabs][:2] == ["Budget plan", LINE_TAB]
    model, budget = window(posterior), default_budget(posterior)
    assert at.number_input(key="bp_budget").value == budget
    for mode in MODES:
        if mode != "budget":
            at.radio(key="bp_mode").set_value(mode)
            at = budget_page(at)  # the target's input replaces the budget's
            at.number_input(key="bp_target").set_value(1.1)
            at = budget_page(at)
        optimum = optimize(model, mode, budget, target=1.1 if mode != "budget" else 1.0)
        score = score_plan(model, optimum.totals)
        assert_allocation(at, optimum, score)
        losing, shown = mmm_scenarios.break_even_warning(score.summary), [w.value for w in at.warning]
        assert losing in shown if losing else not any("next dollar" in w for w in shown), (mode, shown)
        plans = next(d.value for d in at.dataframe if "plan" in d.value.columns).set_index("plan")
        current = score_plan(model, current_mix(model, score.summary["budget"]))
        assert plans.loc["current mix", "predicted_revenue"] == pytest.approx(current.summary["predicted_revenue"])
        assert plans.loc["recommended", "total_high"] == pytest.approx(score.summary["total_revenue_ci"][1])
    assert at.radio(key="bp_mode").value == "target-roas"  # inputs survive the reruns
    assert not at.error


def test_the_move_limit_holds_channels_near_the_current_mix_until_they_move_freely(
    plan_env: Path, posterior: MmmPosterior
) -> None:
    at = budget_page()
    model, budget = window(posterior), default_budget(posterior)
    assert at.number_input(key="bp_shift").value == 30 and not at.toggle(key="bp_free").value
    at.number_input(key="bp_shift").set_value(10.0)
    at = budget_page(at)
    held = optimize(model, "budget", budget, max_shift=0.10)
    assert_allocation(at, held, score_plan(model, held.totals))
    current = current_mix(model, budget)
    assert all(abs(held.totals[name] - current[name]) <= 0.1 * current[name] + 1 for name in model.names)
    at.toggle(key="bp_free").set_value(True)
    at = budget_page(at)
    free = optimize(model, "budget", budget, max_shift=None)
    assert_allocation(at, free, score_plan(model, free.totals))
    assert at.number_input(key="bp_shift").disabled
    assert not at.error


def test_limits_are_respected_and_a_bad_one_is_one_sentence(plan_env: Path, posterior: MmmPosterior) -> None:
    at = budget_page()
    model, budget = window(posterior), default_budget(posterior)
    low, high = posterior.channels[0], posterior.channels[1]
    at.number_input(key=f"bp_min_{low}").set_value(0.4 * budget)
    at.number_input(key=f"bp_max_{high}").set_value(0.05 * budget)
    at = budget_page(at)
    limits = {"minimum": {low: Limit(0.4 * budget)}, "maximum": {high: Limit(0.05 * budget)}}
    optimum = optimize(model, "budget", budget, **limits)
    assert_allocation(at, optimum, score_plan(model, optimum.totals))
    shown = allocation(at)
    assert shown.loc[low, "spend"] >= 0.4 * budget - 1 and shown.loc[high, "spend"] <= 0.05 * budget + 1
    at.number_input(key=f"bp_min_{low}").set_value(2 * budget)
    at = budget_page(at)
    with pytest.raises(PlanError) as expected:
        optimize(model, "budget", budget, minimum={low: Limit(2 * budget)}, maximum=limits["maximum"])
    assert [error.value for error in at.error] == [str(expected.value)]
    assert str(expected.value).startswith("The minimums add up to")
    assert not [d for d in at.dataframe if "current_spend" in d.value.columns]


def test_a_zero_budget_shows_the_decaying_carry_in(plan_env: Path, posterior: MmmPosterior) -> None:
    at = budget_page()
    at.number_input(key="bp_budget").set_value(0.0)
    at = budget_page(at)
    carry = score_plan(window(posterior), {}).summary
    assert mmm_scenarios.carry_in_sentence(carry) in [info.value for info in at.info]
    assert {m.label: m.value for m in at.metric}["Carry-in"] == fmt.compact(carry["carry_in"], "$")
    charts = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    daily = next(f for f in charts if f["layout"]["title"]["text"].startswith("Incremental revenue per day"))
    line = next(numbers(t["y"]) for t in daily["data"] if t["name"] == "carry-in from past spend")
    assert sum(line) == pytest.approx(carry["carry_in"])
    assert line[0] > line[-1]  # past spend's effect fades over the window


def test_spend_far_beyond_the_data_is_warned(plan_env: Path, posterior: MmmPosterior) -> None:
    at = budget_page()
    channel = posterior.channels[0]
    forced = 3.0 * float(posterior.spend[channel].max()) * DEFAULT_DAYS  # 3x the busiest day, every day
    at.number_input(key="bp_budget").set_value(forced + 10_000.0)
    at.number_input(key=f"bp_min_{channel}").set_value(forced)
    at.toggle(key="bp_free").set_value(True)  # the other channels may not absorb the rest within ±30%
    at = budget_page(at)
    model = window(posterior)
    optimum = optimize(model, "budget", forced + 10_000.0, minimum={channel: Limit(forced)}, max_shift=None)
    expected = mmm_scenarios.extrapolation_warnings(score_plan(model, optimum.totals).summary)
    assert expected and expected[0].startswith(f"{channel}: planned daily spend is 3.")
    assert all(sentence in [w.value for w in at.warning] for sentence in expected)


def test_save_list_compare_and_open_scenarios_from_a_link(plan_env: Path, posterior: MmmPosterior) -> None:
    at = budget_page()
    budget = default_budget(posterior, 21)
    at.number_input(key="bp_days").set_value(21)
    at.selectbox(key="bp_spread").set_value("front-loaded")
    at.text_input(key="bp_scenario_name").set_value("Steady")
    at = budget_page(at)
    at.button(key="plan_save_scenario").click()
    at = budget_page(at)
    first_id = at.query_params["scenario"]
    at.number_input(key="bp_budget").set_value(1.5 * budget)
    at.text_input(key="bp_scenario_name").set_value("Push")
    at = budget_page(at)
    at.button(key="plan_save_scenario").click()
    at = budget_page(at)
    listed = next(d.value for d in at.dataframe if "link" in d.value.columns)
    assert listed["name"].tolist() == ["Push", "Steady"]
    model = window_model(posterior, make_window(posterior, 21, spread="front-loaded"))
    scores = [score_plan(model, optimize(model, "budget", amount).totals) for amount in (budget, 1.5 * budget)]
    versus = compare(scores[0], scores[1])
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["P(B brings more than A)"] == mmm_scenarios.chance_text(versus["probability_b_beats_a"])
    assert tiles["B − A incremental revenue"] == fmt.compact(versus["difference"], "$")
    compared = [d.value for d in at.dataframe if "plan" in d.value.columns][-1]  # after the three plans at the top
    assert list(compared["plan"]) == ["Steady", "Push"]
    assert compared["roas"].tolist() == pytest.approx([score.summary["roas"] for score in scores])
    steady = listed.loc[listed["name"] == "Steady", "link"].iloc[0]
    assert steady == f"?scenario={first_id}"  # saving put the scenario's link in the URL
    linked = AppTest.from_file(page_path("planner"), default_timeout=240)
    linked.query_params["scenario"] = steady.split("=", 1)[1]
    linked = budget_page(linked)
    assert linked.number_input(key="bp_days").value == 21
    assert linked.selectbox(key="bp_spread").value == "front-loaded"
    assert linked.number_input(key="bp_budget").value == budget
    assert allocation(linked)["spend"].sum() == pytest.approx(budget)


def test_a_damaged_workspace_is_one_sentence_and_the_plan_still_works(plan_env: Path) -> None:
    plan_env.write_bytes(b"this is not a database")
    at = budget_page()
    assert [w.value for w in at.warning if w.value.startswith("Saved scenarios are unavailable")]
    assert not allocation(at).empty
    assert not at.error


def test_the_chosen_tab_and_both_tabs_inputs_survive_switching(plan_env: Path) -> None:
    at = budget_page()
    at.number_input(key="bp_days").set_value(21)
    at.radio(key="bp_mode").set_value("target-mroas")
    at = budget_page(at)
    at.session_state[LINE_TAB_KEY] = LINE_TAB
    at = budget_page(at)
    assert not at.get("radio") or "bp_mode" not in [radio.key for radio in at.radio]  # only the open tab runs
    at.number_input(key="one_spend").set_value(321.0)
    at = budget_page(at)
    at.session_state[LINE_TAB_KEY] = "Budget plan"
    at = budget_page(at)
    assert at.number_input(key="bp_days").value == 21
    assert at.radio(key="bp_mode").value == "target-mroas"
    at.session_state[LINE_TAB_KEY] = LINE_TAB
    at = budget_page(at)
    assert at.number_input(key="one_spend").value == 321.0
    assert not at.error
