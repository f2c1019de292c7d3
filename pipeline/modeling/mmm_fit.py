"""Fitting the media mix model with PyMC-Marketing, and keeping only what the answers need: parameter draws.

PyMC-Marketing (0.19.x, its last line for Python 3.11) builds and samples the Bayesian model: geometric adstock,
Hill saturation, an intercept with calendar controls and yearly Fourier terms, sampled with nutpie. What is
kept is plain numpy: each posterior draw's decay, half-saturation, slope and β per channel in currency units,
plus the fit's predictions and diagnostics. Every ROAS, marginal ROAS and curve is then computed from those
draws with pipeline.modeling.media_curves, the same code that writes the demo's ground truth.

Calibration: an exposed-vs-control experiment's iROAS for a channel enters as a likelihood term on the model's
own ROAS for that channel over the fitted days, iROAS_obs ~ Normal(ROAS_model, standard error), which is the
quantity the experiment measured (PyMC-Marketing's `add_lift_test_measurements` conditions one point of the
saturation curve instead, which differs from the average return when spend is uneven).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline.modeling.mmm_data import MmmDataset

if TYPE_CHECKING:  # PyMC loads only when a fit runs
    from pymc_marketing.mmm import MMM, GeometricAdstock, HillSaturation

MAX_LAG_DAYS = 8
HOLDOUT_DAYS = 28
YEARLY_FOURIER_ORDER = 2
MIN_DAILY_SPEND = 0.01


@dataclass(frozen=True)
class SamplerSettings:
    draws: int = 500
    tune: int = 500
    chains: int = 2
    seed: int = 0
    target_accept: float = 0.95

    @classmethod
    def from_environment(cls) -> SamplerSettings:
        """APP_MMM_DRAWS and APP_MMM_TUNE (per chain) when set: the test suite samples less than the app."""
        return cls(
            draws=int(os.environ.get("APP_MMM_DRAWS", cls.draws)), tune=int(os.environ.get("APP_MMM_TUNE", cls.tune))
        )


@dataclass
class MmmPosterior:
    """Posterior draws in currency units, and how well the model fitted. Saved to disk as it is."""

    channels: list[str]
    dates: pd.DatetimeIndex
    spend: pd.DataFrame
    revenue: pd.Series
    decay: np.ndarray  # (draws, channels)
    half_saturation: np.ndarray  # currency per day
    slope: np.ndarray
    beta: np.ndarray  # revenue per day at full saturation
    max_lag: int
    predicted: pd.DataFrame  # date x {mean, low, high}: predicted revenue, 90% predictive band; holdout unseen
    holdout_start: pd.Timestamp
    calibrated: list[str]
    diagnostics: dict[str, float]
    seconds: float
    settings: dict[str, int] = field(default_factory=dict)
    baseline: BaselineDraws | None = None  # what the model expects without media, for days after the data


@dataclass
class BaselineDraws:
    """The fit's non-media terms per draw, in currency per day, so baseline revenue can be computed for any day.

    baseline_t = intercept + Σ control_coefficients · calendar_controls_t + Σ fourier_coefficients · modes_t,
    with the yearly modes [sin(2πk·doy/365.25) for k ≤ n, then cos] as PyMC-Marketing's YearlyFourier builds them.
    """

    intercept: np.ndarray  # (draws,)
    control_names: list[str]
    control_coefficients: np.ndarray  # (draws, controls)
    fourier_coefficients: np.ndarray  # (draws, 2 · order)
    noise_sd: np.ndarray  # (draws,) sd of a day's revenue around the expectation


def _quiet_libraries() -> None:
    """PyMC sets its own logger to INFO when imported, so import it first, then lower every library's level.

    PyMC-Marketing's fit draws a "Computing ..." progress bar on stdout (it calls compute_deterministics without a
    progressbar argument). Redirecting stdout around the fit is not enough where another thread swaps sys.stdout
    too (a test capturing a CLI's JSON), so the bar is switched off where PyMC-Marketing looks it up."""
    import pymc
    import pymc_marketing.model_builder as model_builder

    if not isinstance(model_builder.pm.compute_deterministics, functools.partial):
        model_builder.pm = _PymcWithoutProgress(pymc)

    for name in ("pymc", "pytensor", "pymc_marketing", "nutpie", "arviz"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)


class _PymcWithoutProgress:
    """pymc as PyMC-Marketing's model_builder sees it, with compute_deterministics' progress bar off."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.compute_deterministics = functools.partial(module.compute_deterministics, progressbar=False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def _model_frame(dataset: MmmDataset) -> pd.DataFrame:
    # A cent instead of zero: the Hill curve's x^s has no gradient in s at x = 0 (0 · log 0), and days without
    # spend (pauses, an influencer channel between posts) then make the sampler diverge.
    frame = pd.concat([dataset.spend.clip(lower=MIN_DAILY_SPEND), dataset.controls], axis=1)
    return frame.rename_axis("date").reset_index()


def _components() -> tuple[GeometricAdstock, HillSaturation]:
    """Adstock and saturation with weakly informative priors on the scaled data (spend / its max, revenue / its max).

    A decay anywhere in 0–1 (Beta(2, 2), not the library's Beta(1, 3) that leans to no carryover); a half-saturation
    near the spend seen (Gamma, mean 0.5 of the largest day) and a slope near 1.5, because a Hill curve's κ and β
    are otherwise traded against each other far beyond the data (seen here: ROAS intervals of 0.5–9×).
    """
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import GeometricAdstock, HillSaturation

    adstock = GeometricAdstock(l_max=MAX_LAG_DAYS, priors={"alpha": Prior("Beta", alpha=2, beta=2, dims="channel")})
    saturation = HillSaturation(
        priors={
            "kappa": Prior("Gamma", mu=0.5, sigma=0.25, dims="channel"),
            "slope": Prior("Gamma", mu=1.5, sigma=0.4, dims="channel"),
            "beta": Prior("HalfNormal", sigma=1.0, dims="channel"),
        }
    )
    return adstock, saturation


def _build(dataset: MmmDataset, train: pd.DataFrame, y: pd.Series) -> MMM:
    from pymc_marketing.mmm import MMM

    adstock, saturation = _components()
    mmm = MMM(
        date_column="date",
        channel_columns=dataset.channels,
        control_columns=list(dataset.controls.columns),
        adstock=adstock,
        saturation=saturation,
        yearly_seasonality=YEARLY_FOURIER_ORDER,
    )
    mmm.build_model(train, y)
    return mmm


def _as_tensor(variable: Any) -> Any:
    """PyMC-Marketing 0.19 keeps some deterministics as xtensors; plain tensor maths needs `.values`."""
    return getattr(variable, "values", variable)


def _add_calibration(mmm: MMM, dataset: MmmDataset, train_days: int) -> list[str]:
    """One likelihood term per lift test on the channel's modelled ROAS over the fitted days."""
    import pymc as pm

    calibrated = []
    for test in dataset.lift_tests:
        index = dataset.channels.index(test.channel)
        spent = float(dataset.spend[test.channel].iloc[:train_days].sum())
        if spent <= 0 or not np.isfinite(test.standard_error) or test.standard_error <= 0:
            continue
        with mmm.model:
            contribution = _as_tensor(mmm.model["channel_contribution"])
            dims = mmm.model.named_vars_to_dims["channel_contribution"]
            per_channel = contribution.sum(axis=dims.index("date"))
            modelled = per_channel[index] * mmm.target_scale / spent
            pm.Normal(f"lift_test_{index}", mu=modelled, sigma=test.standard_error, observed=test.iroas)
        calibrated.append(test.channel)
    return calibrated


def _draws(mmm: MMM, name: str) -> np.ndarray:
    """(draws, channels) from the posterior, chains stacked."""
    values = mmm.idata.posterior[name].stack(sample=("chain", "draw")).transpose("sample", "channel")
    return values.to_numpy()


def _sample(mmm: MMM, name: str) -> np.ndarray:
    """(draws, ...) of any posterior variable, chains stacked first."""
    values = mmm.idata.posterior[name].stack(sample=("chain", "draw"))
    return np.moveaxis(values.to_numpy(), -1, 0)


def _baseline_draws(mmm: MMM, control_names: list[str]) -> BaselineDraws:
    scale = float(mmm.target_scale)
    sigma = next(name for name in mmm.idata.posterior.data_vars if name.endswith("_sigma"))
    control = mmm.idata.posterior["gamma_control"].sel(control=control_names).stack(sample=("chain", "draw"))
    return BaselineDraws(
        intercept=_sample(mmm, "intercept").reshape(-1) * scale,
        control_names=control_names,
        control_coefficients=control.transpose("sample", "control").to_numpy() * scale,
        fourier_coefficients=_sample(mmm, "gamma_fourier") * scale,
        noise_sd=_sample(mmm, sigma).reshape(-1) * scale,
    )


def _diagnostics(mmm: MMM) -> dict[str, float]:
    import arviz as az

    names = ["adstock_alpha", "saturation_kappa", "saturation_slope", "saturation_beta", "intercept"]
    names = [name for name in names if name in mmm.idata.posterior]
    summary = az.summary(mmm.idata, var_names=names, kind="diagnostics")
    divergences = int(mmm.idata.sample_stats["diverging"].sum()) if "diverging" in mmm.idata.sample_stats else 0
    return {
        "r_hat_max": float(summary["r_hat"].max()),
        "ess_bulk_min": float(summary["ess_bulk"].min()),
        "divergences": divergences,
    }


def _expected_revenue(mmm: MMM, frame: pd.DataFrame, after_training: bool) -> np.ndarray:
    """(draws, days) of revenue the model predicts for the frame's days (posterior predictive, noise included)."""
    samples = mmm.sample_posterior_predictive(
        frame,
        extend_idata=False,
        include_last_observations=after_training,
        var_names=["y"],
        progressbar=False,
    )
    if hasattr(samples, "data_vars"):
        samples = samples["y"]
    return np.asarray(samples.transpose("sample", "date").to_numpy(), dtype=float)


def _predicted_frame(dates: pd.DatetimeIndex, draws: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "mean": draws.mean(axis=0),
            "low": np.quantile(draws, 0.05, axis=0),
            "high": np.quantile(draws, 0.95, axis=0),
        },
        index=dates,
    )


def _stdout_kept_clean() -> contextlib.AbstractContextManager[object]:
    """PyMC draws a progress bar on stdout after sampling whatever it is told, and the CLI's stdout is its JSON: on
    the main thread stdout goes to stderr meanwhile. sys.stdout is one for the whole process, so a fit on another
    thread (the app's background fit) leaves it alone: swapping it there would steal a concurrent CLI's output."""
    if threading.current_thread() is threading.main_thread():
        return contextlib.redirect_stdout(sys.stderr)
    return contextlib.nullcontext()


def fit_mmm(dataset: MmmDataset, settings: SamplerSettings | None = None, calibrate: bool = True) -> MmmPosterior:
    """Fit on all days but the last HOLDOUT_DAYS (kept to measure the forecast error), return the draws."""
    settings = settings or SamplerSettings()
    _quiet_libraries()
    started = time.perf_counter()
    frame = _model_frame(dataset)
    holdout = HOLDOUT_DAYS if len(frame) >= 7 * 12 + HOLDOUT_DAYS else 0
    train_days = len(frame) - holdout
    train, test = frame.iloc[:train_days], frame.iloc[train_days:]
    y = dataset.revenue.iloc[:train_days].reset_index(drop=True).rename("revenue")
    mmm = _build(dataset, train, y)
    calibrated = _add_calibration(mmm, dataset, train_days) if calibrate else []
    with _stdout_kept_clean():
        mmm.fit(
            train,
            y,
            chains=settings.chains,
            draws=settings.draws,
            tune=settings.tune,
            random_seed=settings.seed,
            nuts_sampler="nutpie",
            target_accept=settings.target_accept,
            progressbar=False,
        )
        fitted = _expected_revenue(mmm, train, after_training=False)
        predicted = [fitted] + ([_expected_revenue(mmm, test, after_training=True)] if holdout else [])
    scales = np.asarray(mmm.channel_scale, dtype=float).reshape(1, -1)
    return MmmPosterior(
        channels=dataset.channels,
        dates=dataset.dates,
        spend=dataset.spend,
        revenue=dataset.revenue,
        decay=_draws(mmm, "adstock_alpha"),
        half_saturation=_draws(mmm, "saturation_kappa") * scales,
        slope=_draws(mmm, "saturation_slope"),
        beta=_draws(mmm, "saturation_beta") * mmm.target_scale,
        max_lag=MAX_LAG_DAYS,
        predicted=_predicted_frame(dataset.dates, np.concatenate(predicted, axis=1)),
        holdout_start=dataset.dates[train_days] if holdout else dataset.dates[-1] + pd.Timedelta(days=1),
        calibrated=calibrated,
        diagnostics=_diagnostics(mmm),
        seconds=time.perf_counter() - started,
        settings={"draws": settings.draws, "tune": settings.tune, "chains": settings.chains},
        baseline=_baseline_draws(mmm, list(dataset.controls.columns)),
    )
