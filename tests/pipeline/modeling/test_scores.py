"""The saved metadata as tables: model comparison, forecaster coverage, training info."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.modeling import features, scores, store
from tests.pipeline.modeling.trained import demo_models


@pytest.fixture(scope="module")
def models_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_models(demo_dir, tmp_path_factory.getbasetemp())[0]


@pytest.fixture(scope="module")
def bundle(models_dir: Path) -> store.ModelBundle:
    return store.load_models(models_dir)


def test_comparison_tables_come_from_metadata(bundle: store.ModelBundle) -> None:
    table = scores.comparison_table(bundle.metadata)
    assert len(table) == 3 * 3 + 3 * 3
    row = table[(table["model"] == "Random forest") & (table["metric"] == "r2")].iloc[0]
    assert row["mean"] == pytest.approx(bundle.metadata["roi_reg_forest"]["metrics"]["r2"]["mean"])
    wide = scores.comparison_wide(table)
    assert list(wide.columns) == ["task", "model", "accuracy", "f1", "roc_auc", "mae", "rmse", "r2"]
    assert " ± " in wide.loc[wide["model"] == "Logistic regression", "accuracy"].iloc[0]
    regression = scores.comparison_wide(table, "regression")
    assert list(regression.columns) == ["task", "model", "mae", "rmse", "r2"] and len(regression) == 3
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
