"""The media mix model's channel form, in numpy: geometric adstock, Hill saturation, ROAS and marginal ROAS.

One implementation for the demo generator's ground truth and for the fitted model's posterior draws, so both
sides of a recovery check compute ROAS and marginal ROAS the same way (GUIDE, "Media mix model"):

    x_t = Σ_{l<L} d^l · spend_{t−l} / Σ_{l<L} d^l        h(x) = x^s / (x^s + K^s)        contribution = β · h(x)

Parameters may be scalars or arrays of draws; spend is one channel's daily series (the last axis is time).
"""

from __future__ import annotations

import numpy as np

# How far a marginal-ROAS step scales every day's spend: [C(1.01·spend) − C(spend)] / (0.01·Σspend).
MARGINAL_STEP = 0.01


def _column(value: float | np.ndarray) -> np.ndarray:
    """Draws as a column, so they broadcast against the time axis."""
    return np.asarray(value, dtype=float).reshape(-1, 1)


def geometric_adstock(spend: np.ndarray, decay: float | np.ndarray, max_lag: int) -> np.ndarray:
    """Normalised geometric carryover: (draws, days), in daily-spend units."""
    spend = np.asarray(spend, dtype=float)
    weights = _column(decay) ** np.arange(max_lag)
    weights = weights / weights.sum(axis=1, keepdims=True)
    days = spend.shape[-1]
    padded = np.concatenate([np.zeros(max_lag - 1), spend])
    # lagged[l, t] = spend_{t−l}
    lagged = np.stack([padded[max_lag - 1 - lag : max_lag - 1 - lag + days] for lag in range(max_lag)])
    return weights @ lagged


def hill(x: np.ndarray, half_saturation: float | np.ndarray, slope: float | np.ndarray) -> np.ndarray:
    """Share of the channel's ceiling reached at adstocked spend x (0 at 0, ½ at K)."""
    xs = np.maximum(np.asarray(x, dtype=float), 0.0) ** _column(slope)
    return xs / (xs + _column(half_saturation) ** _column(slope))


def daily_contribution(
    spend: np.ndarray,
    decay: float | np.ndarray,
    max_lag: int,
    half_saturation: float | np.ndarray,
    slope: float | np.ndarray,
    beta: float | np.ndarray,
) -> np.ndarray:
    """Revenue per day that the channel brings: (draws, days)."""
    x = geometric_adstock(spend, decay, max_lag)
    return _column(beta) * hill(x, _column(half_saturation), _column(slope))


def roas(spend: np.ndarray, contribution: np.ndarray) -> np.ndarray:
    """Σcontribution / Σspend per draw (NaN when the channel spent nothing)."""
    total = float(np.sum(spend))
    if total <= 0:
        return np.full(np.shape(contribution)[0], np.nan)
    return np.sum(contribution, axis=-1) / total


def marginal_roas(
    spend: np.ndarray,
    decay: float | np.ndarray,
    max_lag: int,
    half_saturation: float | np.ndarray,
    slope: float | np.ndarray,
    beta: float | np.ndarray,
) -> np.ndarray:
    """[C(1.01·spend) − C(spend)] / (0.01·Σspend) per draw, every day of the channel's spend scaled."""
    spend = np.asarray(spend, dtype=float)
    total = float(spend.sum())
    if total <= 0:
        return np.full(np.size(np.atleast_1d(decay)), np.nan)
    base = daily_contribution(spend, decay, max_lag, half_saturation, slope, beta).sum(axis=-1)
    more = daily_contribution(spend * (1 + MARGINAL_STEP), decay, max_lag, half_saturation, slope, beta).sum(axis=-1)
    return (more - base) / (MARGINAL_STEP * total)


def steady_response(
    daily_spend: np.ndarray,
    half_saturation: float | np.ndarray,
    slope: float | np.ndarray,
    beta: float | np.ndarray,
) -> np.ndarray:
    """Revenue per day at a spend held constant per day (normalised adstock of a constant is that constant)."""
    return _column(beta) * hill(np.asarray(daily_spend, dtype=float), _column(half_saturation), _column(slope))
