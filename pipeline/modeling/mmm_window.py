"""A future window on the media mix model: days after the data, spend spread over them, carry-in from the past.

Geometric adstock is linear, so a channel's adstocked spend on a window day splits into what the last weeks of
actual spend carry in and what the window's own spend adds: x_t = tail_t + total · unit_t, with unit_t the
adstock of the window's day weights (Σ weights = 1). Revenue over the window is then Σ_t β · h(x_t) for each
posterior draw, cheap enough to evaluate inside an optimizer, with its derivative in closed form:

    d/d total Σ_t β · h(x_t) = Σ_t β · h'(x_t) · unit_t,    h'(x) = s · x^(s−1) · K^s / (x^s + K^s)²
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from pipeline.modeling import media_curves, mmm_data
from pipeline.modeling.mmm_fit import YEARLY_FOURIER_ORDER, MmmPosterior
from pipeline.modeling.plan_terms import DEFAULT_DAYS, MAX_DAYS, SPREADS

DAYS_IN_YEAR = 365.25
SMALLEST_X = 1e-9


class PlanError(ValueError):
    """A plan or window that can't be scored; the message is one plain sentence."""


@dataclass(frozen=True)
class Window:
    start: pd.Timestamp
    days: int
    spread: str = "even"

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=self.days, freq="D")


def make_window(
    posterior: MmmPosterior, days: int = DEFAULT_DAYS, start: str | None = None, spread: str = "even"
) -> Window:
    """A checked window: default start the day after the data ends; it may not overlap the data."""
    last = posterior.dates[-1]
    if not 1 <= int(days) <= MAX_DAYS:
        raise PlanError(f"The plan's length must be 1 to {MAX_DAYS} days (got {days}).")
    if spread not in SPREADS:
        raise PlanError(f"Spread must be one of {', '.join(SPREADS)} (got {spread!r}).")
    try:
        first = last + pd.Timedelta(days=1) if start in (None, "") else pd.Timestamp(_strict_date(str(start)))
    except ValueError:
        raise PlanError(f"The start date {start!r} is not a date (use YYYY-MM-DD).") from None
    if first <= last:
        raise PlanError(f"The plan must start after the data ends ({last:%d %b %Y}); {first:%d %b %Y} is inside it.")
    return Window(start=first, days=int(days), spread=spread)


def _strict_date(text: str) -> datetime.date:
    """YYYY-MM-DD only: pandas would also read words such as "now" or "today" as dates."""
    return datetime.datetime.strptime(text.strip(), "%Y-%m-%d").date()


def day_weights(posterior: MmmPosterior, window: Window, channel: str) -> np.ndarray:
    """How a channel's window total is spread over the days (sums to 1)."""
    days = window.days
    if window.spread == "front-loaded":
        weights = 3.0 - 2.0 * np.arange(days) / max(days - 1, 1)
    elif window.spread == "recent":
        recent = posterior.spend[channel].to_numpy()[-days:]
        weights = np.resize(recent, days) if recent.sum() > 0 else np.ones(days)
    else:
        weights = np.ones(days)
    return weights / weights.sum()


def _history_tail(posterior: MmmPosterior, window: Window, channel: str) -> np.ndarray:
    """The last max_lag − 1 days before the window: actual spend, then zeros for any gap after the data."""
    gap = (window.start - posterior.dates[-1]).days - 1
    spent = np.concatenate([posterior.spend[channel].to_numpy(), np.zeros(gap)])
    return spent[-(posterior.max_lag - 1) :] if posterior.max_lag > 1 else spent[:0]


@dataclass(frozen=True)
class ChannelWindow:
    """One channel over the window, per posterior draw: x_t = tail_t + total · unit_t."""

    name: str
    tail: np.ndarray  # (draws, days) adstocked carry-in
    unit: np.ndarray  # (draws, days) adstock of the day weights
    weights: np.ndarray  # (days,)
    half_saturation: np.ndarray  # (draws, 1)
    slope: np.ndarray
    beta: np.ndarray
    highest_daily_seen: float

    @cached_property
    def _k_power(self) -> np.ndarray:
        return self.half_saturation**self.slope

    def _x_and_share(self, total: float) -> tuple[np.ndarray, np.ndarray]:
        """(draws, days) adstocked spend and the share of the channel's ceiling it reaches."""
        x = np.maximum(self.tail + max(total, 0.0) * self.unit, SMALLEST_X)
        xs = np.exp(self.slope * np.log(x))
        return x, xs / (xs + self._k_power)

    def daily_revenue(self, total: float) -> np.ndarray:
        """(draws, days) revenue the channel brings on each window day, carry-in included."""
        return self.beta * self._x_and_share(total)[1]

    def revenue_and_marginal(self, total: float) -> tuple[np.ndarray, np.ndarray]:
        """(draws,) revenue the channel brings over the window (carry-in included), and its derivative in the
        window total: extra window revenue per extra dollar."""
        x, share = self._x_and_share(total)
        revenue = (self.beta * share).sum(axis=1)
        marginal = (self.beta * self.slope * share * (1.0 - share) / x * self.unit).sum(axis=1)
        return revenue, marginal

    def revenue(self, total: float) -> np.ndarray:
        return self.revenue_and_marginal(total)[0]

    def marginal(self, total: float) -> np.ndarray:
        return self.revenue_and_marginal(total)[1]

    def step_marginal(self, total: float) -> np.ndarray:
        """(draws,) extra window revenue per extra dollar over a 1% step of the total (a dollar a day from zero):
        the ground truth's definition, finite where the derivative at zero spend is not (Hill slope below 1)."""
        step = max(0.01 * total, float(self.weights.size))
        return (self.revenue(total + step) - self.revenue(total)) / step

    def highest_daily(self, total: float) -> float:
        return float(total * self.weights.max())


def channel_window(posterior: MmmPosterior, window: Window, channel: str) -> ChannelWindow:
    index = posterior.channels.index(channel)
    decay = posterior.decay[:, index]
    tail = _history_tail(posterior, window, channel)
    weights = day_weights(posterior, window, channel)
    before = len(tail)
    carried = media_curves.geometric_adstock(np.concatenate([tail, np.zeros(window.days)]), decay, posterior.max_lag)
    unit = media_curves.geometric_adstock(np.concatenate([np.zeros(before), weights]), decay, posterior.max_lag)
    return ChannelWindow(
        name=channel,
        tail=carried[:, before:],
        unit=unit[:, before:],
        weights=weights,
        half_saturation=posterior.half_saturation[:, [index]],
        slope=posterior.slope[:, [index]],
        beta=posterior.beta[:, [index]],
        highest_daily_seen=float(posterior.spend[channel].max()),
    )


def recent_totals(posterior: MmmPosterior, days: int) -> dict[str, float]:
    """Each channel's spend over the data's last `days` days: the current mix."""
    recent = posterior.spend.iloc[-days:]
    return {name: float(recent[name].sum()) for name in posterior.channels}


def calendar_features(posterior: MmmPosterior, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The fit's calendar controls on any days; the trend runs on past the data (0 on its first day, 1 on its last)."""
    controls = mmm_data.calendar_controls(dates)
    controls["trend"] = (dates - posterior.dates[0]).days.to_numpy() / max(len(posterior.dates) - 1, 1)
    return controls


def yearly_modes(dates: pd.DatetimeIndex, order: int = YEARLY_FOURIER_ORDER) -> np.ndarray:
    """(days, 2 · order): sin(2πk·doy/365.25) for k = 1..order, then the cosines, as PyMC-Marketing builds them."""
    phase = 2 * np.pi * dates.dayofyear.to_numpy().reshape(-1, 1) / DAYS_IN_YEAR * np.arange(1, order + 1)
    return np.concatenate([np.sin(phase), np.cos(phase)], axis=1)


def baseline_draws(posterior: MmmPosterior, dates: pd.DatetimeIndex) -> np.ndarray:
    """(draws, days) revenue the model expects without any media on those days."""
    terms = posterior.baseline
    if terms is None:
        raise PlanError("This media mix fit predates forecasting; fit the model again.")
    controls = calendar_features(posterior, dates)[terms.control_names].to_numpy()
    order = terms.fourier_coefficients.shape[1] // 2
    return (
        terms.intercept.reshape(-1, 1)
        + terms.control_coefficients @ controls.T
        + terms.fourier_coefficients @ yearly_modes(dates, order).T
    )
