"""Forecaster: calibrated 90% intervals, monotonic in spend, fast, validated input, seed benchmark."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

import data_generation
from pipeline.inputs import demo
from pipeline.modeling import features, forecast


@pytest.fixture(scope="module")
def trained(demo_dir: Path) -> tuple[forecast.Forecaster, dict]:
    """The forecaster as the app trains it, on the 5,000-row demo set (80/20 split inside)."""
    return forecast.train_forecaster(demo.read_campaigns(demo_dir))


@pytest.fixture(scope="module")
def model(trained: tuple[forecast.Forecaster, dict]) -> forecast.Forecaster:
    return trained[0]


def line(spend: float, **overrides: str) -> pd.DataFrame:
    row = {"platform": "Meta", "device": "Mobile", "campaign_type": "Conversion", "content_type": "Video"}
    return pd.DataFrame([{**row, **overrides, "spend": spend}])


def test_api_columns_and_categories(model: forecast.Forecaster) -> None:
    out = model.predict(line(100.0))
    expected = [f"{t}{s}" for t in features.FORECAST_TARGETS for s in ("", "_lo", "_hi")]
    assert list(out.columns) == expected
    assert model.targets == features.FORECAST_TARGETS
    assert set(model.categories) == set(features.FORECAST_CATEGORICAL)
    assert set(model.categories["device"]) == {"Mobile", "Desktop", "Tablet"}
    assert all(model.defaults[c] in model.categories[c] for c in model.categorical)
    assert model.spend_range[0] == 0.0 < model.spend_range[1]


def test_coverage_is_85_to_95_percent_for_every_target(trained: tuple[forecast.Forecaster, dict]) -> None:
    _, meta = trained
    for target in features.FORECAST_TARGETS:
        coverage = meta["metrics"]["targets"][target]["coverage_90"]
        assert 0.85 <= coverage <= 0.95, (target, coverage)
    assert meta["metrics"]["targets"]["impressions"]["rows"] == 1000  # 20% of 5,000 held out


def test_coverage_holds_on_other_data() -> None:
    """Another seed and size: fit on 80%, measure on the 20% the model never saw."""
    frame = features.forecast_frame(
        demo.tidy_campaigns(pd.concat(data_generation.campaign_chunks(7, 20_000), ignore_index=True))
    )
    train, test = train_test_split(frame, test_size=0.2, random_state=0)
    scores = forecast.evaluate_forecaster(forecast.fit_forecaster(train), test)
    for target, values in scores.items():
        assert 0.85 <= values["coverage_90"] <= 0.95, (target, values["coverage_90"])
        assert values["r2"] > 0.4, target


def test_predictions_never_fall_as_spend_rises(model: forecast.Forecaster) -> None:
    spend = np.linspace(0.0, 2 * model.spend_range[1], 400)
    for combo in itertools.product(*(model.categories[c] for c in model.categorical)):
        grid = pd.DataFrame({**dict(zip(model.categorical, combo, strict=True)), "spend": spend})
        out = model.predict(grid)
        assert (out.diff().iloc[1:] >= 0).all().all(), combo
        for target in model.targets:
            assert (out[f"{target}_lo"] <= out[target]).all() and (out[target] <= out[f"{target}_hi"]).all()
            assert (out[f"{target}_lo"] >= 0).all()


def test_lookup_table_matches_the_pipelines(model: forecast.Forecaster, demo_dir: Path) -> None:
    rows = features.forecast_frame(demo.read_campaigns(demo_dir)).sample(500, random_state=3)
    rows.loc[rows.index[:5], "spend"] = [0.0, 1e-6, 1e6, model.spend_range[1], 33.333]
    fast, slow = model.predict(rows), model.predict_with_pipelines(rows)
    assert model._table is not None
    pd.testing.assert_frame_equal(fast, slow)


def test_categories_match_case_insensitively(model: forecast.Forecaster) -> None:
    exact = model.predict(line(80.0))
    loose = model.predict(line(80.0, platform=" meta ", device="MOBILE"))
    pd.testing.assert_frame_equal(exact, loose)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (line(10.0, platform="MySpace"), "Unknown platform 'MySpace'; known values: Instagram, Meta, TikTok"),
        (line(-1.0), "Spend must be a number of at least 0"),
        (line(float("nan")), "Spend must be a number"),
        (line(10.0).assign(spend="lots"), "Spend must be a number"),
        (line(10.0).drop(columns="device"), "lacks the column"),
        (line(10.0, content_type=None), "Unknown content type"),
    ],
)
def test_bad_input_is_one_clear_sentence(model: forecast.Forecaster, frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        model.predict(frame)


def test_empty_input_gives_empty_output(model: forecast.Forecaster) -> None:
    out = model.predict(line(1.0).iloc[0:0])
    assert out.empty and list(out.columns) == model.columns


def test_too_little_data_is_refused() -> None:
    frame = pd.concat([line(10.0)] * 5).assign(**{t: 1.0 for t in features.FORECAST_TARGETS})
    with pytest.raises(ValueError, match="at least 20 rows"):
        forecast.fit_forecaster(frame)


def test_mape_ignores_zero_actuals() -> None:
    assert forecast.mape(np.array([0.0, 10.0, 20.0]), np.array([5.0, 12.0, 10.0])) == pytest.approx(0.35)
    assert np.isnan(forecast.mape(np.array([0.0]), np.array([1.0])))


def test_metadata_records_the_split_and_no_outside_benchmark(
    trained: tuple[forecast.Forecaster, dict],
) -> None:
    _, meta = trained
    assert meta["split"] == {"train_rows": 4000, "test_rows": 1000, "test_share": 0.2, "seed": 42}
    assert "benchmark_social_pred" not in meta  # training output never depends on files beside the checkout
    assert set(meta["coverage_by_spend_tercile"]) == set(features.FORECAST_TARGETS)
