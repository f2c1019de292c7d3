"""AppTest of the models page: everything from saved metadata, progress when training, Retrain."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.modeling import artifacts, roi, scores, store
from tests.pages.conftest import page_path
from tests.pipeline.modeling.trained import demo_models


def plain(value: object) -> object:
    """A plotly JSON value as plain lists (plotly encodes numpy arrays as base64 typed arrays)."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return array.reshape([int(n) for n in shape.split(",")]).tolist() if shape else array.tolist()
    return value


@pytest.fixture(scope="module")
def models_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_models(demo_dir, tmp_path_factory.getbasetemp())[0]


@pytest.fixture
def use_models(models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("APP_MODELS_DIR", str(models_dir))
    return store.load_models(models_dir).metadata


def run_page() -> AppTest:
    return AppTest.from_file(page_path("models"), default_timeout=180).run()


def charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_page_shows_saved_metrics(use_models: dict) -> None:
    at = run_page()
    assert not at.exception
    table = scores.comparison_table(use_models)
    classification, regression = at.dataframe[0].value, at.dataframe[1].value
    expected = scores.comparison_wide(table, "classification")
    assert list(classification["model"]) == list(expected["model"])
    assert list(classification["accuracy"]) == list(expected["accuracy"])
    assert list(regression["r2"]) == list(scores.comparison_wide(table, "regression")["r2"])
    coverage = at.dataframe[2].value
    assert list(coverage["coverage_90"]) == [
        use_models["forecaster"]["metrics"]["targets"][t]["coverage_90"] for t in coverage["target"]
    ]
    captions = " ".join(c.value for c in at.caption)
    assert "5,000 daily rows" in captions and scores.training_info(use_models)["created_at"] in captions
    assert "social-prediction seed" not in captions  # a peer's file beside the checkout is bench's business


def test_page_shows_the_baselines_and_marks_models_that_do_not_beat_them(use_models: dict) -> None:
    at = run_page()
    assert not at.exception
    table = scores.comparison_table(use_models)
    warnings = [w.value for w in at.warning]
    losers_seen = 0
    for shown, task, first in zip(at.dataframe[:2], ("classification", "regression"), roi.ROI_MODELS[::3], strict=True):
        frame = shown.value
        baseline = use_models[first]["baseline"]
        assert frame["model"].iloc[0] == baseline["label"] and frame["vs_baseline"].iloc[0] == "the bar to beat"
        verdicts = dict(zip(frame["model"], frame["vs_baseline"], strict=True))
        losers = scores.models_not_beating_baseline(table, task)
        for name in roi.CLASSIFIERS if task == "classification" else roi.REGRESSORS:
            beats = use_models[name]["beats_baseline"]
            assert verdicts[use_models[name]["label"]] == ("beats it" if beats else "✗ does not beat it")
            assert (use_models[name]["label"] in losers) is not beats
        if losers:
            losers_seen += len(losers)
            assert scores.baseline_verdict(table, task) in warnings
            assert any(w.startswith(f"ROI {task}") and w.endswith(f"{', '.join(losers)}.") for w in warnings)
        bars = next(f for f in charts(at) if f["layout"]["title"]["text"] == f"ROI {task} (mean ± std over folds)")
        assert bars["data"][0]["name"] == baseline["label"] and bars["data"][0]["marker"]["color"] == "#9E9E9E"
        marked = [t["name"] for t in bars["data"] if t["name"].endswith("(does not beat baseline)")]
        assert len(marked) == len(losers)
    assert losers_seen > 0  # on the demo data some models lose to the trivial one: the marking is exercised


def test_every_chart_is_built_from_metadata(use_models: dict) -> None:
    at = run_page()
    figures = charts(at)
    titles = [f["layout"]["title"]["text"] for f in figures]
    assert len(figures) == 7
    assert any(t.startswith("ROC curve") for t in titles)
    roc = next(f for f in figures if f["layout"]["title"]["text"].startswith("ROC curve"))
    forest = next(trace for trace in roc["data"] if trace["name"].startswith("Random forest"))
    assert plain(forest["x"]) == use_models["roi_clf_forest"]["roc"]["fpr"]
    confusion = next(f for f in figures if f["layout"]["title"]["text"].startswith("Confusion matrix"))
    assert plain(confusion["data"][0]["z"]) == use_models["roi_clf_logistic"]["confusion_matrix"]
    coverage = next(f for f in figures if "90% interval" in f["layout"]["title"]["text"])
    assert plain(coverage["data"][0]["x"]) == list(use_models["forecaster"]["metrics"]["targets"])


def test_choosing_models_switches_the_detail_charts(use_models: dict) -> None:
    at = run_page()
    at.selectbox(key="md_classifier").set_value("roi_clf_boosting").run()
    at.selectbox(key="md_regressor").set_value("roi_reg_forest").run()
    at.selectbox(key="md_importance").set_value("roi_reg_boosting").run()
    assert not at.exception
    titles = [f["layout"]["title"]["text"] for f in charts(at)]
    assert "Confusion matrix: Gradient boosting" in titles
    assert "Predicted vs actual weekly ROI: Random forest (out-of-fold)" in titles
    assert "Permutation importance: Gradient boosting" in titles
    assert any(b.proto.label == "Download the report (HTML)" for b in at.get("download_button"))


def test_missing_models_are_trained_with_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_MODELS_DIR", str(tmp_path))
    at = run_page()
    assert not at.exception
    assert at.status[0].label.startswith("Trained 8 model(s)") and at.status[0].state == "complete"
    assert all(artifacts.check(tmp_path, name) is None for name in store.ALL_MODELS)
    assert len(at.get("plotly_chart")) == 7


def test_retrain_uses_the_chosen_threshold(models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "models"
    shutil.copytree(models_dir, copy, ignore=shutil.ignore_patterns("*.lock"))
    monkeypatch.setenv("APP_MODELS_DIR", str(copy))
    at = run_page()
    at.number_input(key="md_threshold").set_value(1.0)
    at.button(key="md_retrain").click().run()
    assert not at.exception
    for name in roi.CLASSIFIERS:
        assert artifacts.read_metadata(copy, name)["threshold"] == 1.0
    assert at.subheader[1].value == "Classifying ROI > 1"
