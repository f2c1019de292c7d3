"""AppTest of the planner page: predict a scenario, edit the plan, optimise, save and compare scenarios."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.modeling import optimizer, planner
from pipeline.modeling.forecast import Forecaster
from pipeline.modeling.store import load_forecaster
from tests.pages.conftest import page_path
from tests.pipeline.modeling.trained import demo_models


@pytest.fixture(scope="module")
def models_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_models(demo_dir, tmp_path_factory.getbasetemp())[0]


@pytest.fixture
def model(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Forecaster:
    monkeypatch.setenv("APP_MODELS_DIR", str(models_dir))
    return load_forecaster(models_dir)


def run_page() -> AppTest:
    at = AppTest.from_file(page_path("planner"), default_timeout=120).run()
    assert not at.exception, at.exception
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
