"""ROI models: no leakage, campaign-grouped folds, saved metadata, one threshold per label."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline.inputs import demo
from pipeline.modeling import features, roi, store
from tests.pipeline.modeling.trained import demo_models


@pytest.fixture(scope="module")
def models_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_models(demo_dir, tmp_path_factory.getbasetemp())[0]


@pytest.fixture(scope="module")
def bundle(models_dir: Path) -> store.ModelBundle:
    return store.load_models(models_dir)


@pytest.fixture(scope="module")
def big_roi_rows() -> pd.DataFrame:
    campaigns = demo.tidy_campaigns(pd.concat(data_generation.campaign_chunks(42, 50_000), ignore_index=True))
    return features.roi_frame(campaigns)


def test_saved_roi_models_only_see_pre_launch_inputs(bundle: store.ModelBundle) -> None:
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


def test_classifier_metadata_from_out_of_fold_predictions(bundle: store.ModelBundle) -> None:
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


def test_regressor_metadata(bundle: store.ModelBundle) -> None:
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


@pytest.mark.parametrize("name", ["roi_clf_logistic", "roi_reg_boosting"])
def test_shuffling_a_block_equals_shuffling_the_raw_column(
    bundle: store.ModelBundle, demo_dir: Path, name: str
) -> None:
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
