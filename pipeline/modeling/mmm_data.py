"""What the media mix model is fitted on: one row per day of business sales, spend per channel, calendar controls.

Channels are the campaign table's platforms (a platform's daily spend is the sum of its rows that day) plus
`Influencers` (each influencer's payout spread over their post dates) when influencer tables are there. The
business's sales come from the sales table (a shop or GA4 report), never from platform-attributed revenue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

INFLUENCER_CHANNEL = "Influencers"
MIN_WEEKS = 8
# Spread of the Black Friday bump in days, in the demo's truth and in the model's holiday control.
HOLIDAY_WIDTH_DAYS = 9.0
WEEKDAY_NAMES = ("tue", "wed", "thu", "fri", "sat", "sun")  # Monday is the reference day


class MmmInputError(ValueError):
    """Data the media mix model cannot be fitted on; the message is one plain sentence."""


@dataclass(frozen=True)
class LiftTest:
    """An exposed-vs-control experiment's iROAS for one channel, with its standard error."""

    channel: str
    iroas: float
    standard_error: float


@dataclass(frozen=True)
class MmmDataset:
    dates: pd.DatetimeIndex
    spend: pd.DataFrame  # day x channel, in currency per day
    revenue: pd.Series  # the business's revenue per day
    controls: pd.DataFrame  # trend, weekdays, holiday peak
    lift_tests: tuple[LiftTest, ...] = ()

    @property
    def channels(self) -> list[str]:
        return list(self.spend.columns)


def black_fridays(years: np.ndarray) -> list[pd.Timestamp]:
    """The day after the fourth Thursday of November, for each year."""
    fridays = []
    for year in years:
        first = pd.Timestamp(year=int(year), month=11, day=1)
        first_thursday = first + pd.Timedelta(days=(3 - first.day_of_week) % 7)
        fridays.append(first_thursday + pd.Timedelta(days=22))
    return fridays


def holiday_peak(dates: pd.DatetimeIndex) -> np.ndarray:
    """A Gaussian bump (height 1) around each Black Friday near the dates."""
    years = np.arange(dates.year.min() - 1, dates.year.max() + 2)
    bump = np.zeros(len(dates))
    for peak in black_fridays(years):
        days = (dates - peak).days.to_numpy()
        bump = np.maximum(bump, np.exp(-0.5 * (days / HOLIDAY_WIDTH_DAYS) ** 2))
    return bump


def calendar_controls(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Linear trend, weekday indicators and the holiday peak; yearly seasonality is the model's own Fourier terms."""
    weekday = dates.day_of_week.to_numpy()
    controls = {"trend": np.linspace(0.0, 1.0, len(dates))}
    for number, name in enumerate(WEEKDAY_NAMES, start=1):
        controls[f"weekday_{name}"] = (weekday == number).astype(float)
    controls["holiday_peak"] = holiday_peak(dates)
    return pd.DataFrame(controls, index=dates)


def platform_daily_spend(campaigns: pd.DataFrame) -> pd.DataFrame:
    """Spend per day x platform from campaign rows."""
    dated = campaigns.dropna(subset=["date"])
    spend = dated.groupby([pd.to_datetime(dated["date"]).dt.normalize(), "platform"])["spend"].sum()
    return spend.unstack("platform", fill_value=0.0).sort_index()


def influencer_daily_spend(posts: pd.DataFrame, payouts: pd.DataFrame) -> pd.Series:
    """Each influencer's payout spread evenly over their post dates."""
    per_post = payouts.groupby("influencer_id")["total_payout"].sum() / posts.groupby("influencer_id").size()
    amount = posts["influencer_id"].map(per_post).fillna(0.0)
    return amount.groupby(pd.to_datetime(posts["date"]).dt.normalize()).sum().rename(INFLUENCER_CHANNEL)


def daily_revenue(sales: pd.DataFrame) -> pd.Series:
    """Revenue per day from a sales table (several rows for one day are summed)."""
    dated = sales.dropna(subset=["date", "revenue"])
    return dated.groupby(pd.to_datetime(dated["date"]).dt.normalize())["revenue"].sum().sort_index()


def build_dataset(
    campaigns: pd.DataFrame,
    sales: pd.DataFrame | None,
    influencer_spend: pd.Series | None = None,
    lift_tests: tuple[LiftTest, ...] = (),
) -> MmmDataset:
    """Line the channels' spend up with the sales days; raise MmmInputError with one sentence if it can't fit."""
    if sales is None or sales.empty:
        raise MmmInputError("The media mix model needs a sales table (sales.csv: date, revenue) and there is none.")
    revenue = daily_revenue(sales)
    spend = platform_daily_spend(campaigns)
    if influencer_spend is not None and influencer_spend.sum() > 0:
        spend = spend.join(influencer_spend, how="outer")
    if spend.empty or revenue.empty:
        raise MmmInputError("The media mix model needs dated spend and dated revenue; one of them has no dates.")
    start, end = max(spend.index.min(), revenue.index.min()), min(spend.index.max(), revenue.index.max())
    if start > end:
        raise MmmInputError(
            f"The sales dates ({_span(revenue.index)}) and the spend dates ({_span(spend.index)}) do not overlap."
        )
    dates = pd.date_range(start, end, freq="D")
    if len(dates) < 7 * MIN_WEEKS:
        raise MmmInputError(
            f"Sales and spend overlap on {len(dates)} days; the media mix model needs at least {MIN_WEEKS} weeks."
        )
    gaps = dates.difference(revenue.index)
    if len(gaps):
        raise MmmInputError(
            f"The sales table has no revenue on {len(gaps)} of the {len(dates)} days from {_span(dates)} "
            f"(first gap {gaps[0]:%d %b %Y}); the media mix model needs every day."
        )
    spend = spend.reindex(dates, fill_value=0.0).fillna(0.0)
    silent = [name for name in spend.columns if spend[name].sum() <= 0]
    if silent:
        raise MmmInputError(f"Channel {silent[0]} has no spend at all on the sales days; drop it or add its spend.")
    return MmmDataset(
        dates=dates,
        spend=spend.astype(float),
        revenue=revenue.reindex(dates).astype(float),
        controls=calendar_controls(dates),
        lift_tests=tuple(test for test in lift_tests if test.channel in spend.columns),
    )


def _span(index: pd.DatetimeIndex) -> str:
    return f"{index.min():%d %b %Y} – {index.max():%d %b %Y}"
