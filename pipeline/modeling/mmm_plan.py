"""Scoring a budget plan for a future window on the media mix model's posterior draws.

A plan is each channel's total spend over the window. Every figure is computed per posterior draw and summarised
as a mean and a 90% interval of those draws, so totals keep the correlation between channels (one draw is one
possible world) and two plans compared on the same draws give the probability that one beats the other.

- incremental revenue: what the channels bring over the window's days, carry-in from past spend included;
- carry-in: the same with no spend in the window (what past spend still brings);
- ROAS: (incremental − carry-in) / budget, the return on the window's own spend;
- marginal ROAS: extra window revenue per extra dollar, per channel and for the whole plan at its mix;
- base revenue: what the model expects without media; total revenue adds it and the day-to-day noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.modeling.mmm_fit import MmmPosterior
from pipeline.modeling.mmm_window import ChannelWindow, PlanError, Window, baseline_draws, channel_window

INTERVAL = (0.05, 0.95)
# A trillion per channel: far beyond any plan, and below where the curves' powers overflow.
MAX_SPEND = 1e12


@dataclass(frozen=True)
class WindowModel:
    """The posterior's channels over one window, ready to score or optimise plans."""

    posterior: MmmPosterior
    window: Window
    channels: dict[str, ChannelWindow]

    @property
    def names(self) -> list[str]:
        return list(self.channels)

    def revenue_draws(self, totals: dict[str, float]) -> np.ndarray:
        """(draws, channels) incremental window revenue."""
        return np.stack([self.channels[name].revenue(totals.get(name, 0.0)) for name in self.names], axis=1)

    def marginal_draws(self, totals: dict[str, float]) -> np.ndarray:
        """(draws, channels) marginal ROAS over a 1% step of each channel's total."""
        return np.stack([self.channels[name].step_marginal(totals.get(name, 0.0)) for name in self.names], axis=1)

    def revenue_and_marginal(self, totals: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(draws, channels) each: incremental window revenue and extra revenue per extra dollar."""
        pairs = [self.channels[name].revenue_and_marginal(totals.get(name, 0.0)) for name in self.names]
        return np.stack([pair[0] for pair in pairs], axis=1), np.stack([pair[1] for pair in pairs], axis=1)

    def mean_revenue(self, totals: dict[str, float]) -> float:
        return float(self.revenue_draws(totals).sum(axis=1).mean())


def window_model(posterior: MmmPosterior, window: Window) -> WindowModel:
    channels = {name: channel_window(posterior, window, name) for name in posterior.channels}
    return WindowModel(posterior, window, channels)


def interval(draws: np.ndarray) -> list[float]:
    low, high = np.quantile(draws, INTERVAL)
    return [float(low), float(high)]


def channel_named(model: WindowModel, name: str) -> str:
    """The model's channel for a name as a person types it (case and surrounding spaces ignored)."""
    known = {channel.casefold(): channel for channel in model.names}
    found = known.get(str(name).strip().casefold())
    if found is None:
        raise PlanError(f"Unknown channel {name!r}; the model knows {', '.join(model.names)}.")
    return found


def check_plan(model: WindowModel, totals: dict[str, float]) -> dict[str, float]:
    """Every channel named, known, and spending a number from 0 to MAX_SPEND; channels left out spend nothing."""
    named = {channel_named(model, name): amount for name, amount in totals.items()}
    for name, amount in named.items():
        if not np.isfinite(amount) or not 0 <= amount <= MAX_SPEND:
            raise PlanError(f"Spend for {name} must be a number from 0 to {MAX_SPEND:,.0f} (got {amount:,}).")
    return {name: float(named.get(name, 0.0)) for name in model.names}


@dataclass(frozen=True)
class PlanScore:
    """A scored plan: the JSON-ready figures and the per-draw incremental revenue behind them."""

    totals: dict[str, float]
    incremental: np.ndarray  # (draws,) over the window, carry-in included
    summary: dict[str, Any]


def score_plan(model: WindowModel, totals: dict[str, float]) -> PlanScore:
    totals = check_plan(model, totals)
    budget = sum(totals.values())
    revenue, marginal = model.revenue_draws(totals), model.marginal_draws(totals)
    carry = model.revenue_draws({}).sum(axis=1)
    incremental = revenue.sum(axis=1)
    allocation = [
        _channel_line(model.channels[name], totals[name], budget, revenue[:, i], marginal[:, i])
        for i, name in enumerate(model.names)
    ]
    shares = np.array([totals[name] / budget if budget > 0 else 0.0 for name in model.names])
    own = (incremental - carry) / budget if budget > 0 else None
    summary = {
        "allocation": allocation,
        "budget": budget,
        "predicted_revenue": float(incremental.mean()),
        "predicted_revenue_ci": interval(incremental),
        "carry_in": float(carry.mean()),
        "carry_in_ci": interval(carry),
        "roas": None if own is None else float(own.mean()),
        "roas_ci": None if own is None else interval(own),
        "mroas": float((marginal @ shares).mean()) if budget > 0 else None,
        "mroas_ci": interval(marginal @ shares) if budget > 0 else None,
        **_with_base_revenue(model, incremental),
        "extrapolated": any(line["extrapolated"] for line in allocation),
        "days": model.window.days,
        "start": f"{model.window.start:%Y-%m-%d}",
        "spread": model.window.spread,
    }
    return PlanScore(totals=totals, incremental=incremental, summary=summary)


def _with_base_revenue(model: WindowModel, incremental: np.ndarray) -> dict[str, Any]:
    """Base revenue (no media) and total revenue; the total's band adds one draw of the window's summed daily
    noise per posterior draw (fixed seed, so the same plan always shows the same band)."""
    if model.posterior.baseline is None:
        return dict.fromkeys(["base_revenue", "base_revenue_ci", "total_revenue", "total_revenue_ci"])
    base = baseline_draws(model.posterior, model.window.dates).sum(axis=1)
    noise = np.random.default_rng(0).normal(0.0, 1.0, base.shape[0]) * model.posterior.baseline.noise_sd
    total = base + incremental
    return {
        "base_revenue": float(base.mean()),
        "base_revenue_ci": interval(base),
        "total_revenue": float(total.mean()),
        "total_revenue_ci": interval(total + noise * np.sqrt(model.window.days)),
    }


def _channel_line(
    channel: ChannelWindow, spend: float, budget: float, revenue: np.ndarray, marginal: np.ndarray
) -> dict[str, Any]:
    highest = channel.highest_daily(spend)
    factor = highest / channel.highest_daily_seen if channel.highest_daily_seen > 0 else float("inf")
    return {
        "channel": channel.name,
        "spend": spend,
        "share": spend / budget if budget > 0 else 0.0,
        "predicted_revenue": float(revenue.mean()),
        "predicted_revenue_ci": interval(revenue),
        "mroas": float(marginal.mean()),
        "mroas_ci": interval(marginal),
        "highest_daily_spend": highest,
        "highest_daily_spend_seen": channel.highest_daily_seen,
        "extrapolated": bool(factor > 1.0),
        "extrapolation_factor": float(factor) if factor > 1.0 and np.isfinite(factor) else None,
    }


def compare(first: PlanScore, second: PlanScore) -> dict[str, Any]:
    """B against A on the same draws: the difference in incremental revenue and the chance B brings more (a draw
    where both bring the same counts half, so two identical plans are a coin toss, not a certain loss)."""
    difference = second.incremental - first.incremental
    return {
        "difference": float(difference.mean()),
        "difference_ci": interval(difference),
        "probability_b_beats_a": float((difference > 0).mean() + 0.5 * (difference == 0).mean()),
    }
