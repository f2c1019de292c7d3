"""The media mix model's channel form against hand computation and against the demo's ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.modeling import media_curves, mmm_data


def test_adstock_is_the_normalised_geometric_sum_by_hand() -> None:
    spend = np.array([100.0, 0.0, 0.0, 50.0])
    decay, lag = 0.5, 3
    weights = np.array([1.0, 0.5, 0.25]) / 1.75
    expected = [100 * weights[0], 100 * weights[1], 100 * weights[2], 50 * weights[0]]
    assert media_curves.geometric_adstock(spend, decay, lag)[0] == pytest.approx(expected)


def test_adstock_of_a_constant_spend_is_that_spend_once_the_lags_fill() -> None:
    adstocked = media_curves.geometric_adstock(np.full(20, 300.0), np.array([0.2, 0.7]), 8)
    assert adstocked.shape == (2, 20)
    assert adstocked[:, 7:] == pytest.approx(np.full((2, 13), 300.0))
    assert (adstocked[:, :7] < 300.0).all()  # the first days miss the carryover from before the data


def test_hill_is_half_at_the_half_saturation_and_rises() -> None:
    x = np.array([0.0, 500.0, 1000.0, 4000.0])
    shares = media_curves.hill(x, 1000.0, 1.5)[0]
    assert shares[0] == 0.0 and shares[2] == pytest.approx(0.5)
    assert np.all(np.diff(shares) > 0) and shares[-1] < 1.0


def test_roas_and_marginal_roas_follow_their_definitions() -> None:
    spend = np.linspace(100.0, 900.0, 30)
    params = {"decay": 0.4, "max_lag": 5, "half_saturation": 600.0, "slope": 1.3, "beta": 2000.0}
    contribution = media_curves.daily_contribution(spend, **params)
    assert media_curves.roas(spend, contribution)[0] == pytest.approx(contribution.sum() / spend.sum())
    more = media_curves.daily_contribution(spend * 1.01, **params).sum()
    expected = (more - contribution.sum()) / (0.01 * spend.sum())
    assert media_curves.marginal_roas(spend, **params)[0] == pytest.approx(expected)
    # Diminishing returns past the half-saturation: the next dollar earns less than the average one.
    assert (
        media_curves.marginal_roas(spend * 4, **params)[0]
        < media_curves.roas(spend * 4, media_curves.daily_contribution(spend * 4, **params))[0]
    )


def test_no_spend_gives_undefined_roas_not_zero_or_inf() -> None:
    spend = np.zeros(10)
    contribution = media_curves.daily_contribution(spend, 0.5, 3, 100.0, 1.0, 10.0)
    assert np.isnan(media_curves.roas(spend, contribution)).all()
    assert np.isnan(media_curves.marginal_roas(spend, 0.5, 3, 100.0, 1.0, 10.0)).all()


def test_draws_broadcast_one_row_per_draw() -> None:
    spend = np.full(12, 200.0)
    out = media_curves.daily_contribution(spend, np.array([0.1, 0.5, 0.9]), 4, np.array([100.0, 200, 300]), 1.0, 5.0)
    assert out.shape == (3, 12)
    steady = media_curves.steady_response(np.array([0.0, 200.0]), np.array([200.0, 400.0]), 1.0, np.array([10.0, 10.0]))
    assert steady[:, 1] == pytest.approx([5.0, 10.0 / 3])


def test_ground_truth_contributions_recompute_from_its_parameters(demo_dir: Path) -> None:
    """Anyone can recompute each channel's contribution, ROAS and marginal ROAS from ground_truth.json."""
    truth = json.loads((demo_dir / "ground_truth.json").read_text())["mmm"]
    campaigns = pd.read_csv(demo_dir / "campaigns.csv")
    spend = mmm_data.platform_daily_spend(campaigns)
    posts, payouts = pd.read_csv(demo_dir / "posts.csv"), pd.read_csv(demo_dir / "payouts.csv")
    spend = spend.join(mmm_data.influencer_daily_spend(posts, payouts), how="left").fillna(0.0)
    for name, channel in truth["channels"].items():
        params = {
            "decay": channel["adstock"]["decay"],
            "max_lag": channel["adstock"]["max_lag_days"],
            "half_saturation": channel["saturation"]["half_saturation"],
            "slope": channel["saturation"]["slope"],
            "beta": channel["beta"],
        }
        series = spend[name].to_numpy()
        contribution = media_curves.daily_contribution(series, **params).sum()
        assert series.sum() == pytest.approx(channel["spend"], rel=1e-6)
        assert contribution == pytest.approx(channel["contribution"], rel=1e-6)
        assert contribution / series.sum() == pytest.approx(channel["roas"], rel=1e-6)
        assert media_curves.marginal_roas(series, **params)[0] == pytest.approx(channel["mroas"], rel=1e-6)
