"""Base revenue for days after the data: the fit's non-media terms recomputed outside PyMC-Marketing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.modeling import mmm, mmm_plan, mmm_window


@pytest.fixture(scope="module")
def posterior(demo_dir: Path, mmm_models_dir: Path) -> mmm.MmmPosterior:
    return mmm.load_or_fit(mmm_models_dir, mmm.dataset_from_folder(demo_dir))


def test_base_plus_media_reproduces_the_library_prediction_on_the_data_days(posterior: mmm.MmmPosterior) -> None:
    base = mmm_window.baseline_draws(posterior, posterior.dates).mean(axis=0)
    media = sum(mmm.contribution_draws(posterior, name).mean(axis=0) for name in posterior.channels)
    predicted = posterior.predicted["mean"].to_numpy()
    # The library's prediction is a mean of noisy draws; the terms recomputed here have no noise.
    relative = np.abs(base + media - predicted) / predicted
    assert np.median(relative) < 0.02 and relative.max() < 0.1


def test_the_trend_runs_on_past_the_data(posterior: mmm.MmmPosterior) -> None:
    window = mmm_window.make_window(posterior, 10)
    controls = mmm_window.calendar_features(posterior, window.dates)
    step = 1.0 / (len(posterior.dates) - 1)
    assert controls["trend"].iloc[0] == pytest.approx(1.0 + step)
    assert np.allclose(np.diff(controls["trend"]), step)


def test_total_revenue_adds_base_and_its_band_includes_daily_noise(posterior: mmm.MmmPosterior) -> None:
    model = mmm_plan.window_model(posterior, mmm_window.make_window(posterior, 28))
    score = mmm_plan.score_plan(model, mmm_window.recent_totals(posterior, 28))
    summary = score.summary
    assert summary["total_revenue"] == pytest.approx(summary["base_revenue"] + summary["predicted_revenue"])
    # Base and media trade off draw by draw, so the total's band comes from the summed draws, plus noise.
    without_noise = mmm_window.baseline_draws(posterior, model.window.dates).sum(axis=1) + score.incremental
    low, high = np.quantile(without_noise, [0.05, 0.95])
    assert summary["total_revenue_ci"][1] - summary["total_revenue_ci"][0] > high - low > 0
    # Base revenue over the next 28 days is in the range of the last 28 days' actual revenue less media.
    recent = float(posterior.revenue.iloc[-28:].sum())
    assert 0.3 * recent < summary["base_revenue"] < 1.2 * recent
