"""AppTest of the media mix page: the fit's answers on screen, the progress while fitting, and plain errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.modeling import mmm
from pipeline.modeling.mmm_fit import SamplerSettings
from tests.conftest import copy_mmm_fit
from tests.pages.conftest import page_path
from ui.cached.data import UPLOADED_CAMPAIGNS_KEY
from ui.upload import UPLOADED_SALES_KEY, UPLOADED_SALES_NAME_KEY


@pytest.fixture(scope="module")
def fitted_models(mmm_models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_mmm_fit(mmm_models_dir, tmp_path_factory.mktemp("page-models"))


@pytest.fixture
def summary(fitted_models: Path, demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("APP_MODELS_DIR", str(fitted_models))
    dataset = mmm.dataset_from_folder(demo_dir)
    return mmm.summary(mmm.cached_fit(fitted_models, dataset, SamplerSettings.from_environment()))


def run_page(at: AppTest | None = None) -> AppTest:
    at = (AppTest.from_file(page_path("media_mix"), default_timeout=240) if at is None else at).run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_the_page_shows_the_fit_with_its_intervals_and_calibration(summary: dict) -> None:
    at = run_page()
    assert [tab.label for tab in at.tabs] == [
        "Contribution", "ROAS", "Response curves", "Carryover", "Fit", "Three ways to measure",
    ]  # fmt: skip
    tiles = {metric.label: metric.value for metric in at.metric}
    assert tiles["Baseline share"] == f"{summary['baseline_share']:.1%}"
    assert tiles["Held-out error"] == f"{summary['fit']['holdout_mape']:.1%}"
    assert any("Calibrated with the lift test: Influencers" in caption.value for caption in at.caption)
    titles = [figure["layout"]["title"]["text"] for figure in figures(at)]
    assert "Return per dollar, with 90% intervals" in titles and "Three ways to measure ROAS" in titles
    shown = at.dataframe[0].value.set_index("channel")
    for name, channel in summary["channels"].items():
        assert shown.loc[name, "roas"] == pytest.approx(channel["roas"])
        assert shown.loc[name, "mroas_high"] == pytest.approx(channel["mroas_ci"][1])
    below = {name for name, channel in summary["channels"].items() if channel["mroas_ci"][1] < 1}
    flagged = {w.value.split(":")[0] for w in at.warning if "below break-even" in w.value}
    assert flagged == below
    maybe = {name for name, c in summary["channels"].items() if c["mroas"] < 1 <= c["mroas_ci"][1]}
    assert {i.value.split(":")[0] for i in at.info if "probably brings back less" in i.value} == maybe


def test_the_response_curve_follows_the_chosen_channel(summary: dict) -> None:
    at = run_page()
    at.selectbox(key="mm_curve_channel").set_value("TikTok")
    at = run_page(at)
    curve = next(f for f in figures(at) if "steady daily spend" in f["layout"]["title"]["text"])
    assert curve["layout"]["title"]["text"].startswith("TikTok")
    assert at.selectbox(key="mm_curve_channel").value == "TikTok"


def test_uploaded_campaigns_without_sales_say_which_data_the_model_uses(summary: dict, demo_dir: Path) -> None:
    at = AppTest.from_file(page_path("media_mix"), default_timeout=240)
    at.session_state[UPLOADED_CAMPAIGNS_KEY] = pd.read_csv(demo_dir / "campaigns.csv", parse_dates=["date"]).head(50)
    at = run_page(at)
    assert any("no daily sales" in info.value for info in at.info)
    assert at.metric  # the data folder's model is still shown


def test_uploads_too_short_for_a_model_get_one_sentence(summary: dict, demo_dir: Path) -> None:
    campaigns = pd.read_csv(demo_dir / "campaigns.csv", parse_dates=["date"])
    sales = pd.read_csv(demo_dir / "sales.csv", parse_dates=["date"]).head(30)
    at = AppTest.from_file(page_path("media_mix"), default_timeout=240)
    at.session_state[UPLOADED_CAMPAIGNS_KEY] = campaigns
    at.session_state[UPLOADED_SALES_KEY] = sales
    at.session_state[UPLOADED_SALES_NAME_KEY] = "shop.csv"
    at = run_page(at)
    assert [e.value for e in at.error] == [
        "The media mix model can't be fitted on this data: Sales and spend overlap on 30 days; "
        "the media mix model needs at least 8 weeks."
    ]
    assert not at.metric
