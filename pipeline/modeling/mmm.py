"""The media mix model's answers: per-channel contribution, ROAS and marginal ROAS with 90% intervals, fit and
diagnostics, response and carryover curves; and its cache on disk, keyed by the data it was fitted on.

ROAS = Σcontribution / Σspend over the data's days; marginal ROAS = [C(1.01·spend) − C(spend)] / (0.01·Σspend),
both per posterior draw (pipeline.modeling.media_curves), exactly as ground_truth.json defines them.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline import config
from pipeline.influencers import incrementality
from pipeline.influencers.statistics import CONFIDENCE
from pipeline.influencers.verdict import blocking_message
from pipeline.inputs import demo
from pipeline.modeling import artifacts, media_curves, mmm_data
from pipeline.modeling.mmm_data import LiftTest, MmmDataset, MmmInputError
from pipeline.modeling.mmm_fit import MmmPosterior, SamplerSettings, fit_mmm

MODEL_NAME = "media_mix"
INTERVAL = (0.05, 0.95)  # 90% intervals
# Bump when MmmPosterior changes shape, so an older cached fit is refitted rather than misread.
FIT_FORMAT = 2
R_HAT_LIMIT = 1.05


@dataclass(frozen=True)
class ChannelDraws:
    """One channel's posterior draws in currency units."""

    decay: np.ndarray
    half_saturation: np.ndarray
    slope: np.ndarray
    beta: np.ndarray


def channel_draws(posterior: MmmPosterior, channel: str) -> ChannelDraws:
    index = posterior.channels.index(channel)
    return ChannelDraws(
        decay=posterior.decay[:, index],
        half_saturation=posterior.half_saturation[:, index],
        slope=posterior.slope[:, index],
        beta=posterior.beta[:, index],
    )


def contribution_draws(posterior: MmmPosterior, channel: str, spend: np.ndarray | None = None) -> np.ndarray:
    """(draws, days) revenue the channel brought on each day of `spend` (default: the data's spend)."""
    draws = channel_draws(posterior, channel)
    spend = posterior.spend[channel].to_numpy() if spend is None else spend
    return media_curves.daily_contribution(
        spend, draws.decay, posterior.max_lag, draws.half_saturation, draws.slope, draws.beta
    )


def _interval(draws: np.ndarray) -> list[float]:
    low, high = np.quantile(draws, INTERVAL)
    return [float(low), float(high)]


def _channel_summary(posterior: MmmPosterior, channel: str) -> dict[str, Any]:
    spend = posterior.spend[channel].to_numpy()
    draws = channel_draws(posterior, channel)
    contribution = contribution_draws(posterior, channel).sum(axis=1)
    roas = contribution / spend.sum()
    mroas = media_curves.marginal_roas(
        spend, draws.decay, posterior.max_lag, draws.half_saturation, draws.slope, draws.beta
    )
    return {
        "spend": float(spend.sum()),
        "contribution": float(np.mean(contribution)),
        "contribution_ci": _interval(contribution),
        "roas": float(np.mean(roas)),
        "roas_ci": _interval(roas),
        "mroas": float(np.mean(mroas)),
        "mroas_ci": _interval(mroas),
        "adstock_decay": float(np.median(draws.decay)),
        "half_saturation": float(np.median(draws.half_saturation)),
        "calibrated": channel in posterior.calibrated,
    }


def fit_quality(posterior: MmmPosterior) -> dict[str, float | None]:
    """R² and MAPE on the fitted days, and MAPE on the held-out last days (predicted out of sample)."""
    actual, predicted = posterior.revenue, posterior.predicted["mean"]
    fitted = actual.index < posterior.holdout_start
    residual = actual[fitted] - predicted[fitted]
    r2 = 1.0 - float((residual**2).sum()) / float(((actual[fitted] - actual[fitted].mean()) ** 2).sum())
    return {
        "r2": r2,
        "mape": _mape(actual[fitted], predicted[fitted]),
        "holdout_mape": _mape(actual[~fitted], predicted[~fitted]),
    }


def _mape(actual: pd.Series, predicted: pd.Series) -> float | None:
    usable = actual.abs() > 0
    if not usable.any():
        return None
    return float(np.mean(np.abs(actual[usable] - predicted[usable]) / actual[usable].abs()))


def summary(posterior: MmmPosterior) -> dict[str, Any]:
    """The `mmm` command's JSON."""
    channels = {name: _channel_summary(posterior, name) for name in posterior.channels}
    media = sum(channel["contribution"] for channel in channels.values())
    return {
        "channels": channels,
        "baseline_share": 1.0 - media / float(posterior.revenue.sum()),
        "fit": fit_quality(posterior),
        "diagnostics": dict(posterior.diagnostics),
        "seconds": posterior.seconds,
    }


def daily_contributions(posterior: MmmPosterior) -> pd.DataFrame:
    """Date x (baseline, channels...): posterior-mean revenue per day; baseline = predicted − media."""
    media = {name: contribution_draws(posterior, name).mean(axis=0) for name in posterior.channels}
    frame = pd.DataFrame(media, index=posterior.dates)
    baseline = posterior.predicted["mean"] - frame.sum(axis=1)
    return frame.assign(Baseline=baseline)[["Baseline", *posterior.channels]]


def response_curve(posterior: MmmPosterior, channel: str, points: int = 60) -> pd.DataFrame:
    """Revenue per day at a spend held constant per day, 0 to twice the highest day seen, with a 90% band."""
    draws = channel_draws(posterior, channel)
    spend = np.linspace(0.0, 2.0 * float(posterior.spend[channel].max()), points)
    revenue = media_curves.steady_response(spend, draws.half_saturation, draws.slope, draws.beta)
    low, high = np.quantile(revenue, INTERVAL, axis=0)
    return pd.DataFrame({"spend": spend, "revenue": revenue.mean(axis=0), "low": low, "high": high})


def breakeven_spend(posterior: MmmPosterior, channel: str) -> float | None:
    """Daily spend where the posterior-mean steady curve's marginal return falls to 1 (None if it never does)."""
    curve = response_curve(posterior, channel, points=400)
    slope = np.gradient(curve["revenue"], curve["spend"])
    below = np.flatnonzero((slope < 1.0) & (curve["spend"] > 0))
    peak = int(np.argmax(slope))
    after = below[below > peak]
    return float(curve["spend"].iloc[after[0]]) if after.size and slope[peak] >= 1.0 else None


def carryover(posterior: MmmPosterior, channel: str) -> pd.DataFrame:
    """Share of a day's spend effect felt on each following day (normalised geometric weights)."""
    decay = channel_draws(posterior, channel).decay
    weights = decay.reshape(-1, 1) ** np.arange(posterior.max_lag)
    weights = weights / weights.sum(axis=1, keepdims=True)
    low, high = np.quantile(weights, INTERVAL, axis=0)
    return pd.DataFrame({"day": np.arange(posterior.max_lag), "share": weights.mean(axis=0), "low": low, "high": high})


# ---------------------------------------------------------------- inputs from a data folder


def lift_tests_from(tables: dict[str, pd.DataFrame]) -> tuple[LiftTest, ...]:
    """The influencer experiment's iROAS as a lift test on the Influencers channel (none if a guardrail fails)."""
    report = incrementality.analyse(tables["tracking"], tables["payouts"], breakdowns=())
    overall = report.overall
    if report.problem or blocking_message(report.guardrails) or not math.isfinite(overall.iroas_ci_high):
        return ()
    z = float(_normal_quantile(0.5 + CONFIDENCE / 2))
    error = (overall.iroas_ci_high - overall.iroas_ci_low) / (2 * z)
    return (LiftTest(mmm_data.INFLUENCER_CHANNEL, float(overall.iroas), float(error)),)


def _normal_quantile(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def dataset_from_folder(data_dir: Path, calibrate: bool = True) -> MmmDataset:
    """Campaigns, sales and (when there) influencer tables of a data folder, lined up by day."""
    campaigns = read_campaign_spend(data_dir)
    sales = read_sales(data_dir)
    influencer_spend, lift_tests = None, ()
    if (data_dir / config.POSTS_FILE).is_file() and (data_dir / config.PAYOUTS_FILE).is_file():
        tables = demo.read_influencer_tables(data_dir)
        influencer_spend = mmm_data.influencer_daily_spend(tables["posts"], tables["payouts"])
        lift_tests = lift_tests_from(tables) if calibrate else ()
    return mmm_data.build_dataset(campaigns, sales, influencer_spend, lift_tests)


def read_campaign_spend(data_dir: Path) -> pd.DataFrame:
    """The folder's campaign table: the demo's own format when it is that, else any export through the ingest."""
    try:
        return demo.read_campaigns(data_dir)
    except demo.DemoDataError:
        path = data_dir / config.CAMPAIGNS_FILE
        if not path.is_file():
            raise MmmInputError(f"The media mix model needs a campaign table ({path} is missing).") from None
    from pipeline.inputs.ingest.load import ingest

    result = ingest(path)
    if result.kind != "campaigns":
        raise MmmInputError(f"{path} is a {result.kind} table, not a campaign table with spend by date and platform.")
    return result.frame


def read_sales(data_dir: Path) -> pd.DataFrame | None:
    """The folder's sales table (date, revenue[, orders]) through the sales ingest, or None when there is none."""
    from pipeline.inputs import sales

    return sales.load_sales(data_dir)


# ---------------------------------------------------------------- cache


def dataset_hash(dataset: MmmDataset) -> str:
    digest = hashlib.sha256()
    for frame in (dataset.spend, dataset.revenue.to_frame(), dataset.controls):
        digest.update(artifacts.frame_hash(frame.reset_index()).encode())
    digest.update(repr(dataset.lift_tests).encode())
    return digest.hexdigest()


def _fit_key(dataset: MmmDataset, settings: SamplerSettings) -> dict[str, Any]:
    return {
        "data_hash": dataset_hash(dataset),
        "settings": [settings.draws, settings.tune, settings.chains, settings.seed],
        "fit_format": FIT_FORMAT,
        "pymc_marketing": importlib.metadata.version("pymc-marketing"),
    }


def cached_fit(models_dir: Path, dataset: MmmDataset, settings: SamplerSettings) -> MmmPosterior | None:
    """The saved fit for exactly this data and these settings, or None (missing, stale, corrupt or tampered)."""
    try:
        posterior, meta = artifacts.load(models_dir, MODEL_NAME)
    except artifacts.ArtifactInvalid:
        return None
    if meta.get("key") != _fit_key(dataset, settings) or not isinstance(posterior, MmmPosterior):
        return None
    return posterior


def load_or_fit(
    models_dir: Path, dataset: MmmDataset, settings: SamplerSettings | None = None, refit: bool = False
) -> MmmPosterior:
    """The cached fit when it matches the data, else a new fit saved atomically (under the models lock)."""
    settings = settings or SamplerSettings.from_environment()
    if not refit and (posterior := cached_fit(models_dir, dataset, settings)) is not None:
        return posterior
    with artifacts.models_lock(models_dir):
        if not refit and (posterior := cached_fit(models_dir, dataset, settings)) is not None:
            return posterior
        posterior = fit_mmm(dataset, settings)
        artifacts.save(models_dir, MODEL_NAME, posterior, {"key": _fit_key(dataset, settings)})
    return posterior


__all__ = ["MmmInputError", "MmmPosterior", "SamplerSettings"]


# ---------------------------------------------------------------- three ways to measure


def attributed_roas(campaigns: pd.DataFrame, dates: pd.DatetimeIndex) -> dict[str, float]:
    """Σrevenue / Σspend the platforms report for themselves, per platform, over the model's days."""
    days = pd.to_datetime(campaigns["date"]).dt.normalize()
    rows = campaigns[days.between(dates.min(), dates.max())]
    sums = rows.groupby("platform")[["revenue", "spend"]].sum()
    return {name: float(row.revenue / row.spend) for name, row in sums.iterrows() if row.spend > 0}


def measures_table(
    posterior: MmmPosterior, attributed: dict[str, float], lift_tests: tuple[LiftTest, ...]
) -> pd.DataFrame:
    """Per channel: platform-attributed ROAS, modelled ROAS (90% interval) and the experiment's iROAS."""
    experiments = {test.channel: test for test in lift_tests}
    z = _normal_quantile(INTERVAL[1])  # the experiment's interval at the page's 90%, from its standard error
    rows = []
    for name in posterior.channels:
        channel = _channel_summary(posterior, name)
        test = experiments.get(name)
        rows.append(
            {
                "channel": name,
                "attributed_roas": attributed.get(name, math.nan),
                "modelled_roas": channel["roas"],
                "modelled_low": channel["roas_ci"][0],
                "modelled_high": channel["roas_ci"][1],
                "experiment_iroas": test.iroas if test else math.nan,
                "experiment_low": test.iroas - z * test.standard_error if test else math.nan,
                "experiment_high": test.iroas + z * test.standard_error if test else math.nan,
            }
        )
    return pd.DataFrame(rows)


def over_attribution(table: pd.DataFrame) -> str | None:
    """One sentence on how far the platforms' own ROAS sits from what the business's sales show."""
    both = table.dropna(subset=["attributed_roas"])
    both = both[both["modelled_roas"] > 0]
    if both.empty:
        return None
    ratio = both["attributed_roas"] / both["modelled_roas"]
    top = both.loc[ratio.idxmax()]
    return (
        f"The platforms' own ROAS is {ratio.min():.1f}–{ratio.max():.1f} times the modelled ROAS "
        f"(largest gap: {top['channel']}, {top['attributed_roas']:.2f}x reported vs {top['modelled_roas']:.2f}x "
        "modelled): a platform counts every sale it touched, including sales that would have happened anyway "
        "and sales other channels also claim, while the model counts only the sales that moved with its spend."
    )


def channels_table(result: dict[str, Any]) -> pd.DataFrame:
    """The summary's channels as rows (intervals split into _low/_high), flagging marginal ROAS below 1."""
    rows = []
    for name, channel in result["channels"].items():
        row = {"channel": name, **{k: v for k, v in channel.items() if not k.endswith("_ci")}}
        for measure in ("contribution", "roas", "mroas"):
            row[f"{measure}_low"], row[f"{measure}_high"] = channel[f"{measure}_ci"]
        row["below_break_even"] = channel["mroas_ci"][1] < 1.0  # the whole 90% interval
        row["maybe_below_break_even"] = channel["mroas"] < 1.0 <= channel["mroas_ci"][1]
        rows.append(row)
    return pd.DataFrame(rows)


def revenue_shares(posterior: MmmPosterior) -> pd.Series:
    """Each channel's share of the period's revenue and the baseline's (the rest), as summary() counts them."""
    revenue = float(posterior.revenue.sum())
    media = pd.Series(
        {name: contribution_draws(posterior, name).sum(axis=1).mean() / revenue for name in posterior.channels}
    )
    return pd.concat([pd.Series({"Baseline": 1.0 - media.sum()}), media])


def diagnostics_sentence(posterior: MmmPosterior) -> tuple[bool, str]:
    """(converged, what it means for a planner and what to do if not)."""
    found = posterior.diagnostics
    facts = (
        f"R-hat {found['r_hat_max']:.3f} (≤ {R_HAT_LIMIT} needed), {found['divergences']} divergent draws, "
        f"smallest effective sample {found['ess_bulk_min']:.0f}"
    )
    if found["r_hat_max"] > R_HAT_LIMIT:
        return False, (
            f"The sampler's chains disagree ({facts}): treat these numbers as rough. Give the model more history "
            "(a year or more of days) or channels whose spend moves independently (flights, pauses)."
        )
    if found["divergences"]:
        return True, (
            f"The chains agree ({facts}). Some draws diverged, so the intervals may be slightly too narrow "
            "where a channel's saturation is hard to pin down; its curve beyond the data is the least certain part."
        )
    return True, f"The chains agree and nothing diverged ({facts})."
