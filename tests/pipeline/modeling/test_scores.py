"""The saved metadata as tables: model comparison, forecaster coverage, training info."""

from __future__ import annotations

import pytest

from pipeline.modeling import features, scores, store


def test_comparison_tables_come_from_metadata(bundle: store.ModelBundle) -> None:
    table = scores.comparison_table(bundle.metadata)
    assert len(table) == 4 * 5 + 4 * 3  # (baseline + 3 models) x metrics, per task
    row = table[(table["model"] == "Random forest") & (table["metric"] == "r2")].iloc[0]
    assert row["mean"] == pytest.approx(bundle.metadata["roi_reg_forest"]["metrics"]["r2"]["mean"])
    wide = scores.comparison_wide(table)
    metrics = ["accuracy", "balanced_accuracy", "f1", "roc_auc", "pr_auc", "mae", "rmse", "r2"]
    assert list(wide.columns) == ["task", "model", "vs_baseline", *metrics]
    assert " ± " in wide.loc[wide["model"] == "Logistic regression", "accuracy"].iloc[0]
    regression = scores.comparison_wide(table, "regression")
    assert list(regression.columns) == ["task", "model", "vs_baseline", "mae", "rmse", "r2"] and len(regression) == 4
    coverage = scores.coverage_table(bundle.metadata)
    assert list(coverage["target"]) == list(features.FORECAST_TARGETS)
    info = scores.training_info(bundle.metadata)
    assert info["rows"] == 5000 and info["same_data"] and info["folds"] == 3


def test_model_label_names_every_saved_model() -> None:
    assert [scores.model_label(n) for n in store.ALL_MODELS] == [
        "Logistic regression",
        "Random forest",
        "Gradient boosting",
        "Linear regression",
        "Random forest",
        "Gradient boosting",
        "Forecaster",
        "Segments",
    ]
    assert scores.model_label("unknown") == "unknown"


def fake_meta(task: str, label: str, beats: bool, accuracy: float) -> dict:
    """The ROI metadata fields the comparison tables read."""
    metric = "balanced_accuracy" if task == "classification" else "r2"
    baseline = {"label": f"Baseline ({task})", "primary_metric": metric, "metrics": {metric: {"mean": 0.5, "std": 0.0}}}
    return {
        "task": task,
        "label": label,
        "metrics": {metric: {"mean": accuracy, "std": 0.01}},
        "baseline": baseline,
        "beats_baseline": beats,
    }


def test_baseline_rows_come_first_and_losers_are_marked() -> None:
    metadata = {
        "roi_clf_logistic": fake_meta("classification", "Logistic regression", True, 0.7),
        "roi_clf_forest": fake_meta("classification", "Random forest", False, 0.5),
        "roi_reg_linear": fake_meta("regression", "Linear regression", False, -0.1),
    }
    table = scores.comparison_table(metadata)
    assert table["is_baseline"].tolist() == [True, False, False, True, False]  # one baseline row per task
    assert table["model"].tolist()[:3] == ["Baseline (classification)", "Logistic regression", "Random forest"]
    wide = scores.comparison_wide(table, "classification")
    assert wide["model"].tolist() == ["Baseline (classification)", "Logistic regression", "Random forest"]
    assert wide["vs_baseline"].tolist() == ["the bar to beat", "beats it", "✗ does not beat it"]
    assert wide["balanced_accuracy"].tolist() == ["0.500 ± 0.000", "0.700 ± 0.010", "0.500 ± 0.010"]
    assert scores.models_not_beating_baseline(table, "classification") == ["Random forest"]
    assert scores.models_not_beating_baseline(table, "regression") == ["Linear regression"]
    assert scores.baseline_verdict(table, "classification") == (
        "ROI classification: no better than “Baseline (classification)” on balanced accuracy: Random forest."
    )
    summary = scores.train_summary(metadata)
    assert summary["classification"]["roi_clf_forest"]["beats_baseline"] is False
    assert summary["classification"]["baseline"]["label"] == "Baseline (classification)"
    assert summary["regression"]["baseline"]["primary_metric"] == "r2"


def test_metadata_saved_before_baselines_has_no_verdict() -> None:
    old = fake_meta("regression", "Linear regression", True, 0.2)
    del old["baseline"], old["beats_baseline"]
    table = scores.comparison_table({"roi_reg_linear": old})
    assert table["is_baseline"].tolist() == [False] and table["beats_baseline"].tolist() == [None]
    assert scores.comparison_wide(table)["vs_baseline"].tolist() == ["—"]
    assert scores.models_not_beating_baseline(table, "regression") == []
    assert scores.baseline_verdict(table, "regression") is None
