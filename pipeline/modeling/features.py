"""Model inputs: which columns the models may see, and the frames they are trained on.

Leakage rule (README "Definitions"): a model of ROI or of campaign outcomes takes only what is known before
launch (platform, device, campaign type, content type, ad set, planned spend, month). Nothing
computed from revenue, conversions, clicks, impressions, reach or engagement is ever a feature.
"""

from __future__ import annotations

import pandas as pd

from pipeline import config, kpis
from pipeline.schemas import CAMPAIGN_MEASURES

MISSING_CATEGORY = config.MISSING_LABEL

# Outcomes and everything derived from them: never a model input.
TARGET_DERIVED = frozenset(
    {*CAMPAIGN_MEASURES, *kpis.RATIOS, "roi", "profit", "rows"} - {"spend"},
)

# ROI models: a row is one campaign x ad set x device x week (daily ROI is mostly noise).
ROI_CATEGORICAL = ("platform", "device", "campaign_type", "content_type", "ad_set", "month")
ROI_NUMERIC = ("spend",)
ROI_FEATURES = (*ROI_CATEGORICAL, *ROI_NUMERIC)
ROI_GROUP = "campaign"
ROI_UNIT = ("campaign", "ad_set", "platform", "device", "campaign_type", "content_type")

# Forecaster: a row is one daily line (platform x device x campaign type x content type x ad set) with its spend.
# The ad set is a feature because its audience moves conversion rates (held-out ad sets were under-covered).
FORECAST_CATEGORICAL = ("platform", "device", "campaign_type", "content_type", "ad_set")
FORECAST_NUMERIC = ("spend",)
FORECAST_FEATURES = (*FORECAST_CATEGORICAL, *FORECAST_NUMERIC)
FORECAST_TARGETS = ("impressions", "clicks", "conversions", "revenue", "engagement")
# Not features: the unit held out together when calibrating and scoring (one campaign x ad set), and the day
# (lines of one day share its seasonality, so plan totals are calibrated on daily sums).
FORECAST_UNIT = ("campaign", "ad_set")


def leaking_columns(features: tuple[str, ...] | list[str]) -> list[str]:
    """The features that are outcomes or computed from outcomes (should be empty)."""
    return [f for f in features if f in TARGET_DERIVED]


def with_categories(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """`frame` with each of `columns` as plain strings; absent or missing values become "(none)"."""
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            out[column] = out[column].astype("string").fillna(MISSING_CATEGORY).astype(str)
        else:
            out[column] = MISSING_CATEGORY
    return out


def roi_frame(campaigns: pd.DataFrame) -> pd.DataFrame:
    """Weekly rows per campaign x ad set x device with spend, revenue and ROI (ratio of sums).

    Zero-spend days are dropped first (ROI is undefined there), and so is any week whose spend sums
    to 0. ROI = (revenue − spend)/spend per row. `month` is the month the week starts in (text)."""
    paid = campaigns[campaigns["spend"] > 0]
    paid = with_categories(paid, ROI_UNIT)
    weekly = paid.assign(week=paid["date"].dt.to_period("W-SUN").dt.start_time)
    sums = kpis.sum_measures(weekly[[*ROI_UNIT, "week", "spend", "revenue"]], [*ROI_UNIT, "week"])
    sums = sums[sums["spend"] > 0]
    out = kpis.add_ratios(sums)[[*ROI_UNIT, "week", "spend", "revenue", "roi"]]
    return out.assign(month=out["week"].dt.strftime("%m")).reset_index(drop=True)


def forecast_frame(campaigns: pd.DataFrame) -> pd.DataFrame:
    """Daily rows with the forecaster's features and targets (absent targets are left out), plus `unit`
    (campaign · ad set, when both are there) and `date` (when there) for grouped calibration."""
    targets = [t for t in FORECAST_TARGETS if t in campaigns.columns]
    out = with_categories(
        campaigns[[c for c in (*FORECAST_FEATURES, *targets) if c in campaigns.columns]], FORECAST_CATEGORICAL
    )
    extras = {}
    if all(c in campaigns.columns for c in FORECAST_UNIT):
        units = with_categories(campaigns[list(FORECAST_UNIT)], FORECAST_UNIT)
        extras["unit"] = units["campaign"] + " · " + units["ad_set"]
    if "date" in campaigns.columns:
        extras["date"] = campaigns["date"]
    return out[[*FORECAST_FEATURES, *targets]].assign(**extras).reset_index(drop=True)
