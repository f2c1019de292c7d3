"""Forecaster: calibrated 90% intervals, monotonic in spend, fast, validated input, seed benchmark."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline.inputs import demo
from pipeline.modeling import features, forecast, forecast_scores, forecast_training, intervals


@pytest.fixture(scope="module")
def trained(demo_dir: Path) -> tuple[forecast.Forecaster, dict]:
    """The forecaster as the app trains it, on the 5,000-row demo set (scored on held-out units inside)."""
    return forecast_training.train_forecaster(demo.read_campaigns(demo_dir))


@pytest.fixture(scope="module")
def model(trained: tuple[forecast.Forecaster, dict]) -> forecast.Forecaster:
    return trained[0]


@pytest.fixture(scope="module")
def other_data() -> pd.DataFrame:
    """Another seed: 46 campaign x ad set units (50,000 rows), every third day to keep the test fast."""
    campaigns = demo.tidy_campaigns(pd.concat(data_generation.campaign_chunks(7, 50_000), ignore_index=True))
    return features.forecast_frame(campaigns[campaigns["date"].dt.dayofyear % 3 == 0])


@pytest.fixture(scope="module")
def held_out_scores(other_data: pd.DataFrame) -> dict:
    """Scores on units held out whole, pooled over the folds (what `train` reports)."""
    return forecast_training.pooled_scores(other_data, folds=5)


PLAN_TOTAL_SHUFFLES = 3  # shuffles of train's GroupKFold(3): 9 folds, each one draw of held-out units


@pytest.fixture(scope="module")
def plan_total_draws(other_data: pd.DataFrame) -> pd.DataFrame:
    """Per fold of PLAN_TOTAL_SHUFFLES shuffles of train's split, target and method, the share of held-out days
    whose total lies in its interval: as calibrated, with independent lines and with the lines' bounds summed."""
    known = forecast.known_categories(other_data, features.FORECAST_CATEGORICAL)
    methods = {
        "independent": intervals.TotalCalibration(((0.0, 0.0), (0.0, 0.0))),
        "summed": intervals.TotalCalibration(((1.0, 1.0), (1.0, 1.0))),
    }
    rows = []
    for shuffle in range(PLAN_TOTAL_SHUFFLES):
        for train, test in forecast_training.holdout_folds(other_data, random_state=forecast.RANDOM_STATE + shuffle):
            model = forecast.fit_forecaster(other_data.iloc[train], known=known)
            variants = {"calibrated": model} | {
                name: dataclasses.replace(model, total_calibration=dict.fromkeys(model.targets, calibration))
                for name, calibration in methods.items()
            }
            for name, variant in variants.items():
                for target, scores in forecast_scores.evaluate_totals(variant, other_data.iloc[test]).items():
                    rows.append(
                        {"shuffle": shuffle, "method": name, "target": target, "coverage": scores["coverage_90"]}
                    )
    return pd.DataFrame(rows)


def line(spend: float, **overrides: str) -> pd.DataFrame:
    row = {"platform": "Meta", "device": "Mobile", "campaign_type": "Conversion", "content_type": "Video"}
    row |= {"ad_set": "Broad"}
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


def test_demo_scores_come_from_units_held_out_whole(trained: tuple[forecast.Forecaster, dict]) -> None:
    _, meta = trained
    assert meta["split"]["method"] == "campaign x ad set units held out whole"
    assert meta["split"]["units"] == 5 and meta["split"]["test_rows"] == 5000  # every unit held out once
    for target in features.FORECAST_TARGETS:
        scores = meta["metrics"]["targets"][target]
        assert scores["units"] == 5 and scores["coverage_90_unit_min"] <= scores["coverage_90"]
        assert scores["coverage_90"] <= scores["coverage_90_unit_max"]
        assert meta["metrics"]["plan_totals"][target]["days"] >= 365


def test_coverage_holds_on_held_out_units_of_other_data(held_out_scores: dict) -> None:
    """Units the model never saw (a random row split calibrated on seen units: 0.73-0.83 here)."""
    for target, values in held_out_scores["targets"].items():
        assert 0.85 <= values["coverage_90"] <= 0.95, (target, values["coverage_90"])
        assert values["units"] == 46


def test_held_out_units_with_new_category_combinations_are_predicted_from_main_effects(held_out_scores: dict) -> None:
    """Held-out units can have a category combination no training unit had. With free category interactions
    the trees fitted the training units' quirks: R² 0.42 (conversions) and 0.36 (revenue) here; each category
    on its own (a multiplicative model on the log link) carries over: 0.71 and 0.65."""
    for target in ("clicks", "conversions", "revenue"):
        assert held_out_scores["targets"][target]["r2"] >= 0.6, (target, held_out_scores["targets"][target])


def test_plan_totals_cover_90_percent_of_held_out_days(plan_total_draws: pd.DataFrame) -> None:
    """Each fold's held-out lines summed per day (about 16 units, 48 lines a day): the total's interval, not the
    lines'. A fold's units keep their own effects (and the fold model's bias on them) on every day, so one fold
    is one draw: over 108 folds of twelve seeds its coverage ranged 0-1, while the mean over all per target was
    0.92-0.95 (0.88-0.92 before the persistent term; bench/plan_totals_study.py). So only a mean over many draws
    can be held to 0.85-0.95. Over these 9 folds and 5 targets the mean's standard deviation is about 0.023 (the
    spread of the study's split means on this seed, over three splits): 0.85-0.95 is about two either side. One
    target's mean over 9 folds has one of 0.04-0.06, so its lower bound sits three of those below 0.90."""
    calibrated = plan_total_draws[plan_total_draws["method"] == "calibrated"]
    by_target = calibrated.groupby("target")["coverage"].mean()
    assert 0.85 <= calibrated["coverage"].mean() <= 0.95, by_target.to_dict()
    assert by_target.between(0.72, 1.0).all(), by_target.to_dict()
    # The same draws with the lines taken as independent (the root of summed squares, what plan totals used
    # before) under-cover; with the lines' bounds added up they over-cover.
    methods = plan_total_draws.groupby("method")["coverage"].mean()
    assert methods["independent"] < 0.8 and methods["summed"] > 0.97, methods.to_dict()


def test_predictions_never_fall_and_track_the_truth_within_the_data(model: forecast.Forecaster) -> None:
    """Up to the supported spend impressions follow the generator's k·spend^β; beyond it they are flagged."""
    for platform, truth in data_generation.PLATFORM_RESPONSE.items():
        limit = model.spend_limits[platform]
        spend = np.linspace(0.0, 3 * limit, 301)
        for combo in itertools.product(*(model.categories[c] for c in model.categorical if c != "platform")):
            fields = dict(zip([c for c in model.categorical if c != "platform"], combo, strict=True))
            grid = pd.DataFrame({**fields, "platform": platform, "spend": spend})
            out = model.predict(grid)
            assert (out.diff().iloc[1:] >= 0).all().all(), combo
            for target in model.targets:
                assert (out[f"{target}_lo"] <= out[target]).all() and (out[target] <= out[f"{target}_hi"]).all()
                assert (out[f"{target}_lo"] >= 0).all()
            assert (model.extrapolated(grid) == (spend > limit)).all()
        grid = pd.DataFrame(
            [{**line(0.0).iloc[0].to_dict(), "platform": platform, "spend": s} for s in (limit / 2, limit)]
        )
        expected = truth["k"] * grid["spend"] ** truth["beta"]
        ratio = (model.predict(grid)["impressions"] / expected).to_numpy()
        assert ((ratio > 0.75) & (ratio < 1.33)).all(), (platform, ratio)  # still rising at the limit


def test_lookup_table_matches_the_pipelines(model: forecast.Forecaster, demo_dir: Path) -> None:
    rows = features.forecast_frame(demo.read_campaigns(demo_dir)).sample(500, random_state=3)
    rows.loc[rows.index[:5], "spend"] = [0.0, 1e-6, 1e6, model.spend_range[1], 33.333]
    rows = rows[list(model.features)]
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
    assert forecast_scores.mape(np.array([0.0, 10.0, 20.0]), np.array([5.0, 12.0, 10.0])) == pytest.approx(0.35)
    assert np.isnan(forecast_scores.mape(np.array([0.0]), np.array([1.0])))


def test_metadata_records_the_split_and_no_outside_benchmark(
    trained: tuple[forecast.Forecaster, dict],
) -> None:
    forecaster, meta = trained
    assert meta["split"]["folds"] == 3 and meta["split"]["seed"] == 42
    assert meta["spend_limits"] == forecaster.spend_limits and set(forecaster.spend_limits) >= {"Meta", "TikTok"}
    assert "benchmark_social_pred" not in meta  # training output never depends on files beside the checkout
    assert set(meta["coverage_by_spend_tercile"]) == set(features.FORECAST_TARGETS)
