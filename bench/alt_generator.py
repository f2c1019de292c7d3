"""A second, independent generator for the media mix recovery check: other channels, other ranges, no influencers.

It writes only campaigns.csv (Day, Channel, Campaign, Cost: an export's headers, read through the ingest) and
sales.csv, in the same channel form as the demo (normalised geometric adstock, Hill saturation, β), and returns
its truth. Differences from data_generation.py: 500 days from March 2024, three channels (Google Ads, Meta,
TikTok), decays 0.1–0.7, slopes 0.7–1.4 (mostly concave), half-saturation 0.4–2.5× the mean active spend, full
pauses (zero spend), an upward trend with no holiday peak in the baseline, noise 5–10% of mean revenue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.modeling import media_curves

START = pd.Timestamp("2024-03-01")
DAYS = 500
CHANNELS = {"Google Ads": 2600.0, "Meta": 1900.0, "TikTok": 1100.0}  # typical daily spend
MAX_LAG = 8
CAMPAIGNS_PER_CHANNEL = 3


def _spend(rng: np.random.Generator, typical: float) -> np.ndarray:
    """A channel's daily spend: a shared yearly swing, its own pacing, two full pauses and one surge."""
    t = np.arange(DAYS)
    spend = typical * (1 + 0.25 * np.sin(2 * np.pi * (t + 60) / 365.25)) * rng.lognormal(0, 0.15, DAYS)
    for factor in (0.0, 0.0, rng.uniform(1.6, 2.2)):
        length = int(rng.integers(7, 22))
        start = int(rng.integers(0, DAYS - length))
        spend[start : start + length] *= factor
    return np.round(spend, 2)


def _channel(rng: np.random.Generator, spend: np.ndarray) -> tuple[dict, np.ndarray]:
    decay, slope = float(rng.uniform(0.1, 0.7)), float(rng.uniform(0.7, 1.4))
    half = float(spend[spend > 0].mean() * rng.uniform(0.4, 2.5))
    unit = media_curves.daily_contribution(spend, decay, MAX_LAG, half, slope, 1.0)[0]
    target = float(rng.uniform(0.4, 3.0))
    beta = float(target * spend.sum() / unit.sum())
    truth = {"decay": decay, "slope": slope, "half_saturation": half, "beta": beta, "roas": target}
    return truth, beta * unit


def _campaign_rows(rng: np.random.Generator, dates: pd.DatetimeIndex, spends: dict[str, np.ndarray]) -> pd.DataFrame:
    """Each channel's daily spend split over a few campaigns, as an ad platform's export would list it."""
    frames = []
    for channel, spend in spends.items():
        shares = rng.dirichlet(np.ones(CAMPAIGNS_PER_CHANNEL), DAYS)
        for number in range(CAMPAIGNS_PER_CHANNEL):
            frames.append(
                pd.DataFrame(
                    {
                        "Day": dates.strftime("%Y-%m-%d"),
                        "Channel": channel,
                        "Campaign": f"{channel} campaign {number + 1}",
                        "Cost": np.round(spend * shares[:, number], 2),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def generate(out: Path, seed: int) -> dict[str, dict]:
    """Write campaigns.csv and sales.csv into `out`; return {channel: truth} with ROAS on the written spend."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 99]))
    dates = pd.date_range(START, periods=DAYS, freq="D")
    spends = {name: _spend(rng, typical) for name, typical in CHANNELS.items()}
    campaigns = _campaign_rows(rng, dates, spends)
    # Truth on the spend as written (rounded per campaign), so anyone can recompute it from the files.
    written = campaigns.groupby(["Channel", "Day"])["Cost"].sum()
    spends = {name: written[name].to_numpy() for name in CHANNELS}
    truths, contributions = {}, []
    for name, spend in spends.items():
        truths[name], contribution = _channel(rng, spend)
        truths[name]["roas"] = float(contribution.sum() / spend.sum())
        contributions.append(contribution)
    media = np.sum(contributions, axis=0)
    share = rng.uniform(0.5, 0.8)
    t = np.arange(DAYS) / DAYS
    shape = 1 + 0.4 * t + 0.05 * np.cos(2 * np.pi * dates.day_of_week.to_numpy() / 7)
    baseline = shape * media.sum() * share / (1 - share) / shape.sum()
    noise = rng.normal(0, rng.uniform(0.05, 0.10) * (baseline + media).mean(), DAYS)
    out.mkdir(parents=True, exist_ok=True)
    campaigns.to_csv(out / "campaigns.csv", index=False)
    sales = pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "revenue": np.round(baseline + media + noise, 2)})
    sales.to_csv(out / "sales.csv", index=False)
    return truths
