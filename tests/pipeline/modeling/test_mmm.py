"""The media mix model on the demo set: its answers, its recovery of the known truth, and its cache on disk."""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path

import numpy as np
import pytest

from pipeline.modeling import mmm, mmm_data
from pipeline.modeling.mmm_fit import MmmPosterior, SamplerSettings, fit_mmm

SUMMARY_CHANNEL_KEYS = {
    "spend", "contribution", "contribution_ci", "roas", "roas_ci", "mroas", "mroas_ci",
    "adstock_decay", "half_saturation", "calibrated",
}  # fmt: skip


@pytest.fixture(scope="module")
def posterior(mmm_models_dir: Path, demo_dir: Path) -> MmmPosterior:
    return mmm.cached_fit(mmm_models_dir, mmm.dataset_from_folder(demo_dir), SamplerSettings.from_environment())


@pytest.fixture(scope="module")
def summary(posterior: MmmPosterior) -> dict:
    return mmm.summary(posterior)


@pytest.fixture(scope="module")
def truth(demo_dir: Path) -> dict:
    return json.loads((demo_dir / "ground_truth.json").read_text())


def test_summary_has_every_promised_field_with_finite_values(summary: dict) -> None:
    assert set(summary) == {"channels", "baseline_share", "fit", "diagnostics", "seconds"}
    assert set(summary["fit"]) == {"r2", "mape", "holdout_mape"}
    assert set(summary["diagnostics"]) == {"r_hat_max", "divergences", "ess_bulk_min"}
    for name, channel in summary["channels"].items():
        assert set(channel) == SUMMARY_CHANNEL_KEYS, name
        for measure in ("contribution", "roas", "mroas"):
            low, high = channel[f"{measure}_ci"]
            assert np.isfinite([low, high, channel[measure]]).all()
            assert low <= channel[measure] <= high, (name, measure)
    assert 0 < summary["baseline_share"] < 1


def test_only_the_experiment_channel_is_calibrated(summary: dict) -> None:
    calibrated = {name for name, channel in summary["channels"].items() if channel["calibrated"]}
    assert calibrated == {mmm_data.INFLUENCER_CHANNEL}


def test_the_fit_recovers_the_known_truth_on_the_demo_seed(summary: dict, truth: dict) -> None:
    """A reduced recovery check (make bench runs 20 seeds): errors, coverage and convergence on one seed."""
    errors, covered = [], []
    for name, channel in summary["channels"].items():
        true_roas = truth["mmm"]["channels"][name]["roas"]
        errors.append(abs(channel["roas"] - true_roas) / true_roas)
        covered.append(channel["roas_ci"][0] <= true_roas <= channel["roas_ci"][1])
    assert statistics.median(errors) <= 0.3, errors
    assert sum(covered) >= 3, covered
    assert summary["diagnostics"]["r_hat_max"] <= 1.1
    assert summary["fit"]["holdout_mape"] < 0.15


def test_the_lift_test_narrows_the_influencer_channel_towards_the_experiment(
    posterior: MmmPosterior, demo_dir: Path
) -> None:
    dataset = mmm.dataset_from_folder(demo_dir)
    uncalibrated = fit_mmm(dataset, SamplerSettings.from_environment(), calibrate=False)
    (test,) = dataset.lift_tests
    with_test, without = (
        mmm.summary(fit)["channels"][mmm_data.INFLUENCER_CHANNEL] for fit in (posterior, uncalibrated)
    )

    def width(channel: dict) -> float:
        return channel["roas_ci"][1] - channel["roas_ci"][0]

    assert uncalibrated.calibrated == [] and not without["calibrated"]
    assert width(with_test) < 0.8 * width(without)
    assert abs(with_test["roas"] - test.iroas) <= 2 * test.standard_error


def test_curves_are_shaped_as_promised(posterior: MmmPosterior) -> None:
    for name in posterior.channels:
        curve = mmm.response_curve(posterior, name)
        assert curve["spend"].iloc[-1] == pytest.approx(2 * posterior.spend[name].max())
        assert (np.diff(curve["revenue"]) >= 0).all()
        assert (curve["low"] <= curve["revenue"] + 1e-9).all() and (curve["revenue"] <= curve["high"] + 1e-9).all()
        carry = mmm.carryover(posterior, name)
        assert carry["share"].sum() == pytest.approx(1.0) and (np.diff(carry["share"]) <= 1e-12).all()
    shares = mmm.revenue_shares(posterior)
    assert shares.sum() == pytest.approx(1.0) and shares.index[0] == "Baseline"
    assert shares["Baseline"] == pytest.approx(mmm.summary(posterior)["baseline_share"])  # one figure, tile and bar


def test_platforms_claim_more_than_the_model_gives_them(posterior: MmmPosterior, demo_dir: Path) -> None:
    from pipeline.inputs import demo

    campaigns = demo.read_campaigns(demo_dir)
    attributed = mmm.attributed_roas(campaigns, posterior.dates)
    table = mmm.measures_table(posterior, attributed, mmm.dataset_from_folder(demo_dir).lift_tests)
    assert set(table["channel"]) == set(posterior.channels)
    influencers = table.set_index("channel").loc[mmm_data.INFLUENCER_CHANNEL]
    assert np.isfinite(influencers["experiment_iroas"]) and np.isnan(influencers["attributed_roas"])
    (test,) = mmm.dataset_from_folder(demo_dir).lift_tests
    width = influencers["experiment_high"] - influencers["experiment_low"]
    assert width == pytest.approx(2 * 1.6449 * test.standard_error, rel=1e-3)  # 90%, as the chart's legend says
    sentence = mmm.over_attribution(table)
    assert sentence is not None and "modelled ROAS" in sentence


def test_a_cached_fit_is_reused_and_a_stale_or_corrupt_one_refitted(
    posterior: MmmPosterior, mmm_models_dir: Path, demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import copy_mmm_fit

    folder = copy_mmm_fit(mmm_models_dir, tmp_path / "models")
    dataset = mmm.dataset_from_folder(demo_dir)
    fits: list[int] = []

    def counted_fit(data: mmm_data.MmmDataset, settings: SamplerSettings) -> MmmPosterior:
        fits.append(len(data.dates))
        return posterior

    monkeypatch.setattr(mmm, "fit_mmm", counted_fit)
    assert isinstance(mmm.load_or_fit(folder, dataset), MmmPosterior) and fits == []
    # Other data (fewer days): the saved fit does not match it, so the model is fitted again.
    days = dataset.dates[:200]
    shorter = dataclasses.replace(
        dataset,
        dates=days,
        spend=dataset.spend.loc[days],
        revenue=dataset.revenue.loc[days],
        controls=dataset.controls.loc[days],
    )
    mmm.load_or_fit(folder, shorter)
    assert fits == [200]
    # A damaged file is never unpickled: it is refitted and replaced atomically.
    (folder / "media_mix.joblib").write_bytes(b"not a model")
    mmm.load_or_fit(folder, dataset)
    assert fits == [200, len(dataset.dates)]
    assert mmm.cached_fit(folder, dataset, SamplerSettings.from_environment()) is not None


def test_another_generators_folder_is_recovered_too(tmp_path: Path) -> None:
    """campaigns.csv (an export's headers) + sales.csv from bench/alt_generator.py: other channels and ranges."""
    from bench import alt_generator

    truths = alt_generator.generate(tmp_path, seed=1)
    result = mmm.summary(fit_mmm(mmm.dataset_from_folder(tmp_path), SamplerSettings.from_environment()))
    assert set(result["channels"]) == set(truths) and not any(c["calibrated"] for c in result["channels"].values())
    errors = [abs(result["channels"][name]["roas"] - truth["roas"]) / truth["roas"] for name, truth in truths.items()]
    assert statistics.median(errors) <= 0.3, errors
    assert result["diagnostics"]["r_hat_max"] <= 1.1
