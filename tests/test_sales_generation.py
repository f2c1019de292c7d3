"""The demo's business sales and the media mix truth behind them (issue: realistic, so recovery is not trivial)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline import config
from pipeline.modeling import media_curves, mmm_data

SEEDS = (42, 1, 2)


@pytest.fixture(scope="module", params=SEEDS)
def generated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp(f"sales{request.param}")
    truth = data_generation.generate(folder, seed=request.param)
    return folder, truth


def channel_spend(folder: Path) -> pd.DataFrame:
    spend = mmm_data.platform_daily_spend(pd.read_csv(folder / config.CAMPAIGNS_FILE))
    posts, payouts = pd.read_csv(folder / config.POSTS_FILE), pd.read_csv(folder / config.PAYOUTS_FILE)
    return spend.join(mmm_data.influencer_daily_spend(posts, payouts), how="left").fillna(0.0)


def test_sales_csv_has_one_row_per_calendar_day(generated: tuple[Path, dict]) -> None:
    sales = pd.read_csv(generated[0] / config.SALES_FILE, parse_dates=["date"])
    assert list(sales.columns) == ["date", "revenue", "orders"]
    assert len(sales) == data_generation.CALENDAR_DAYS and sales["date"].is_unique
    assert (sales["revenue"] > 0).all() and (sales["orders"] >= 0).all()
    # Business sales are not the platforms' attributed revenue.
    attributed = pd.read_csv(generated[0] / config.CAMPAIGNS_FILE)["revenue"].sum()
    assert sales["revenue"].sum() != pytest.approx(attributed, rel=0.05)


def test_revenue_is_baseline_plus_channels_plus_noise(generated: tuple[Path, dict]) -> None:
    folder, truth = generated
    sales = pd.read_csv(folder / config.SALES_FILE)
    mmm = truth["mmm"]
    media = sum(channel["contribution"] for channel in mmm["channels"].values())
    assert 0.5 <= mmm["baseline_share"] <= 0.8
    assert mmm["baseline_share"] == pytest.approx(1 - media / sales["revenue"].sum(), abs=0.01)
    assert mmm["noise_sd"] >= 0.05 * sales["revenue"].mean()


def test_channels_are_realistic_and_can_be_told_apart(generated: tuple[Path, dict]) -> None:
    folder, truth = generated
    spend = channel_spend(folder)
    channels = truth["mmm"]["channels"]
    assert set(channels) == {*data_generation.PLATFORMS, mmm_data.INFLUENCER_CHANNEL}
    for name, channel in channels.items():
        active = spend[name][spend[name] > 0]
        assert 0.2 <= channel["adstock"]["decay"] <= 0.8, name
        assert 0.3 <= active.mean() / channel["saturation"]["half_saturation"] <= 3.0, name
    roas = [channel["roas"] for channel in channels.values()]
    assert min(roas) < 1.0 < max(roas) and np.ptp(roas) > 0.3
    platforms = spend[list(data_generation.PLATFORMS)].corr().to_numpy()[np.triu_indices(3, 1)]
    assert (platforms >= 0.3).sum() >= 2  # they share the season ...
    flights = data_generation.platform_flights(truth["seed"])
    # ... but each has its own pause and surge, so their effects can be told apart.
    assert ((flights < 0.5).any(axis=1) & (flights > 1.4).any(axis=1)).all()


def test_influencer_channel_roas_is_the_experiments_true_iroas(generated: tuple[Path, dict]) -> None:
    truth = generated[1]
    influencers = truth["mmm"]["channels"][mmm_data.INFLUENCER_CHANNEL]
    assert influencers["roas"] == pytest.approx(truth["iroas"], rel=0.01)


def test_marginal_roas_is_below_roas_where_the_curve_saturates(generated: tuple[Path, dict]) -> None:
    folder, truth = generated
    spend = channel_spend(folder)
    for name, channel in truth["mmm"]["channels"].items():
        series = spend[name].to_numpy() * 5  # far up the curve
        params = (channel["adstock"]["decay"], 8, channel["saturation"]["half_saturation"])
        rest = (channel["saturation"]["slope"], channel["beta"])
        contribution = media_curves.daily_contribution(series, *params, *rest)
        assert media_curves.marginal_roas(series, *params, *rest)[0] < media_curves.roas(series, contribution)[0]


def test_ground_truth_json_holds_the_mmm_section(generated: tuple[Path, dict]) -> None:
    written = json.loads((generated[0] / config.GROUND_TRUTH_FILE).read_text())["mmm"]
    channel = next(iter(written["channels"].values()))
    assert channel["adstock"] == {**channel["adstock"], "type": "geometric", "normalized": True}
    assert channel["saturation"]["type"] == "hill"
    assert {"beta", "spend", "contribution", "roas", "mroas"} <= set(channel)
