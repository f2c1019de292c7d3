"""ROI models: no leakage, campaign-grouped folds, saved metadata, and the train / ensure-models CLI."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock

import data_generation
from pipeline.cli import main
from pipeline.inputs import demo
from pipeline.modeling import features, roi, store


def demo_models(demo_dir: Path, base: Path) -> tuple[Path, dict]:
    """Every model trained once per test run on the 5,000-row demo set, through `python -m pipeline
    train --json`; returns (models folder, the command's JSON). Other test modules import this, so
    the whole run trains once. Callers must not modify the folder (copy it first)."""
    target, output = base / "demo_models", base / "demo_models_train.json"
    with FileLock(base / "demo_models.lock"):
        if not output.is_file():
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                assert main.main(["train", "--data", str(demo_dir), "--models", str(target), "--json"]) == 0
            output.write_text(printed.getvalue())
    return target, json.loads(output.read_text())


@pytest.fixture(scope="module")
def trained(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    return demo_models(demo_dir, tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def models_dir(trained: tuple[Path, dict]) -> Path:
    return trained[0]


@pytest.fixture(scope="module")
def bundle(models_dir: Path) -> roi.ModelBundle:
    return roi.load_models(models_dir)


@pytest.fixture(scope="module")
def big_roi_rows() -> pd.DataFrame:
    campaigns = demo.tidy_campaigns(pd.concat(data_generation.campaign_chunks(42, 50_000), ignore_index=True))
    return features.roi_frame(campaigns)


def test_feature_lists_contain_no_target_derived_column() -> None:
    assert features.leaking_columns(features.ROI_FEATURES) == []
    assert features.leaking_columns(features.FORECAST_FEATURES) == []
    for forbidden in ("revenue", "conversions", "clicks", "impressions", "roi", "roas", "ctr", "cvr", "cpa", "cpc"):
        assert forbidden in features.TARGET_DERIVED
    assert "spend" not in features.TARGET_DERIVED


def test_leak_guard_flags_outcome_columns() -> None:
    assert features.leaking_columns(["spend", "revenue", "month", "ctr", "engagement"]) == [
        "revenue",
        "ctr",
        "engagement",
    ]


def test_saved_roi_models_only_see_pre_launch_inputs(bundle: roi.ModelBundle) -> None:
    for name in roi.ROI_MODELS:
        seen = list(bundle.models[name].feature_names_in_)
        assert seen == list(features.ROI_FEATURES), name
        assert features.leaking_columns(seen) == [], name
        assert bundle.metadata[name]["features"] == list(features.ROI_FEATURES)


def test_group_folds_never_split_a_campaign(big_roi_rows: pd.DataFrame) -> None:
    folds = roi.group_folds(big_roi_rows["campaign"])
    assert len(folds) == 5
    seen = np.zeros(len(big_roi_rows), dtype=int)
    for train, test in folds:
        train_campaigns = set(big_roi_rows["campaign"].iloc[train])
        test_campaigns = set(big_roi_rows["campaign"].iloc[test])
        assert not train_campaigns & test_campaigns
        seen[test] += 1
    assert (seen == 1).all()  # every row is held out exactly once


def test_group_folds_need_two_campaigns() -> None:
    with pytest.raises(ValueError, match="at least 2 campaigns"):
        roi.group_folds(pd.Series(["A"] * 10))
    assert len(roi.group_folds(pd.Series(["A", "B", "C"] * 4))) == 3


def test_roi_rows_drop_zero_spend_and_use_ratios_of_sums() -> None:
    days = pd.date_range("2025-01-06", periods=7, freq="D")  # one Monday-to-Sunday week
    frame = pd.DataFrame(
        {
            "date": days,
            "platform": "Meta",
            "campaign": "A",
            "ad_set": "Broad",
            "campaign_type": "Traffic",
            "content_type": "Video",
            "device": "Mobile",
            "spend": [10.0, 30.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            "revenue": [40.0, 20.0, 999.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    rows = features.roi_frame(frame)
    assert len(rows) == 1
    assert rows.loc[0, "spend"] == 40.0
    assert rows.loc[0, "roi"] == pytest.approx((60.0 - 40.0) / 40.0)  # the zero-spend day's revenue is dropped
    assert rows.loc[0, "month"] == "01"
    only_paused = frame.assign(spend=0.0)
    assert features.roi_frame(only_paused).empty


def test_classifier_metadata_from_out_of_fold_predictions(bundle: roi.ModelBundle) -> None:
    meta = bundle.metadata["roi_clf_forest"]
    assert meta["folds"] == 3  # the small demo set has 3 campaigns
    assert set(meta["metrics"]) == {"accuracy", "f1", "roc_auc"}
    for values in meta["metrics"].values():
        assert set(values) == {"mean", "std"}
    assert meta["metrics"]["accuracy"]["mean"] == pytest.approx(np.mean(meta["fold_metrics"]["accuracy"]))
    matrix = np.array(meta["confusion_matrix"])
    assert matrix.shape == (2, 2) and matrix.sum() == meta["rows"]
    assert (matrix[1].sum() / matrix.sum()) == pytest.approx(meta["positive_share"])
    fpr, tpr = np.array(meta["roc"]["fpr"]), np.array(meta["roc"]["tpr"])
    assert fpr[0] == 0 and fpr[-1] == 1 and (np.diff(fpr) >= 0).all() and (np.diff(tpr) >= 0).all()
    assert meta["permutation_importance"]["feature"] == list(features.ROI_FEATURES)
    assert meta["threshold"] == roi.DEFAULT_THRESHOLD


def test_regressor_metadata(bundle: roi.ModelBundle) -> None:
    meta = bundle.metadata["roi_reg_linear"]
    assert set(meta["metrics"]) == {"mae", "rmse", "r2"}
    assert meta["metrics"]["rmse"]["mean"] >= meta["metrics"]["mae"]["mean"]
    sample = meta["pred_vs_actual"]
    assert len(sample["actual"]) == len(sample["predicted"]) == min(roi.SCATTER_POINTS, meta["rows"])


def test_threshold_changes_the_label(demo_dir: Path) -> None:
    campaigns = demo.read_campaigns(demo_dir)
    rows = features.roi_frame(campaigns)
    high = float(rows["roi"].quantile(0.5))
    ((_, meta),) = roi.train_roi_models(campaigns, threshold=high, names=["roi_clf_logistic"]).values()
    assert meta["positive_share"] == pytest.approx((rows["roi"] > high).mean())
    assert meta["target"] == f"roi > {high:g}"
    with pytest.raises(ValueError, match="pick another threshold"):
        roi.train_roi_models(campaigns, threshold=1e9, names=["roi_clf_logistic"])


def test_comparison_tables_come_from_metadata(bundle: roi.ModelBundle) -> None:
    table = roi.comparison_table(bundle.metadata)
    assert len(table) == 3 * 3 + 3 * 3
    row = table[(table["model"] == "Random forest") & (table["metric"] == "r2")].iloc[0]
    assert row["mean"] == pytest.approx(bundle.metadata["roi_reg_forest"]["metrics"]["r2"]["mean"])
    wide = roi.comparison_wide(table)
    assert list(wide.columns) == ["task", "model", "accuracy", "f1", "roc_auc", "mae", "rmse", "r2"]
    assert " ± " in wide.loc[wide["model"] == "Logistic regression", "accuracy"].iloc[0]
    regression = roi.comparison_wide(table, "regression")
    assert list(regression.columns) == ["task", "model", "mae", "rmse", "r2"] and len(regression) == 3
    coverage = roi.coverage_table(bundle.metadata)
    assert list(coverage["target"]) == list(features.FORECAST_TARGETS)
    info = roi.training_info(bundle.metadata)
    assert info["rows"] == 5000 and info["same_data"] and info["folds"] == 3


def test_ensure_models_reuses_valid_models(models_dir: Path, demo_dir: Path) -> None:
    done = roi.ensure_models(demo_dir, models_dir)
    assert done["trained"] == [] and set(done["reused"]) == set(roi.ALL_MODELS)


def test_models_trained_on_other_data_are_stale(models_dir: Path) -> None:
    reasons = roi.invalid_models(models_dir, roi.ALL_MODELS, data_hash="not-this-data")
    assert set(reasons) == set(roi.ALL_MODELS)
    assert all("other data" in r for r in reasons.values())
    other_threshold = roi.invalid_models(models_dir, roi.ALL_MODELS, threshold=0.5)
    assert set(other_threshold) == set(roi.CLASSIFIERS)


def test_cli_ensure_models_reports_what_it_did(
    models_dir: Path, demo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main.main(["ensure-models", "--data", str(demo_dir), "--models", str(models_dir), "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["trained"] == [] and len(result["reused"]) == len(roi.ALL_MODELS)


def test_cli_train_prints_every_score(trained: tuple[Path, dict]) -> None:
    models, result = trained
    assert set(result["classification"]) == set(roi.CLASSIFIERS)
    assert set(result["regression"]) == set(roi.REGRESSORS)
    for metrics in result["classification"].values():
        assert set(metrics) == {"accuracy", "f1", "roc_auc"}
        assert set(metrics["accuracy"]) == {"mean", "std"}
    for metrics in result["regression"].values():
        assert set(metrics) == {"mae", "rmse", "r2"}
    assert set(result["forecast"]["targets"]) == set(features.FORECAST_TARGETS)
    for scores in result["forecast"]["targets"].values():
        assert set(scores) == {"r2", "mape", "coverage_90"}
        assert 0.85 <= scores["coverage_90"] <= 0.95
    assert set(result["segments"]) == {"k", "silhouette"} and 2 <= result["segments"]["k"] <= 8
    assert result["models_dir"] == str(models)
    assert all(store.check(models, name) is None for name in roi.ALL_MODELS)
    saved = roi.load_models(models).metadata
    assert result["regression"]["roi_reg_linear"] == saved["roi_reg_linear"]["metrics"]


def test_cli_reports_a_missing_data_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["train", "--data", str(tmp_path / "nowhere"), "--models", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: The data folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main.main(["ensure-models", "--data", str(empty), "--models", str(tmp_path / "m")]) == 2
    assert "No campaigns.csv" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["roi_clf_logistic", "roi_reg_boosting"])
def test_shuffling_a_block_equals_shuffling_the_raw_column(bundle: roi.ModelBundle, demo_dir: Path, name: str) -> None:
    """The premise of roi.permutation_importances, for one-hot and ordinal preprocessing."""
    pipeline = bundle.models[name]
    x = features.roi_frame(demo.read_campaigns(demo_dir))[list(features.ROI_FEATURES)].head(300)
    matrix = pipeline[:-1].transform(x)
    order = np.random.default_rng(0).permutation(len(x))
    blocks = roi.input_columns(pipeline)
    assert list(blocks) == list(features.ROI_FEATURES)
    for column, block in blocks.items():
        raw = x.assign(**{column: x[column].to_numpy()[order]})
        expected = matrix.copy()
        expected[:, block] = matrix[order][:, block]
        np.testing.assert_allclose(pipeline[:-1].transform(raw), expected)
