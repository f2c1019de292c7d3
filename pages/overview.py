"""Campaign overview for analysts: KPIs vs the previous period, trend, breakdowns, efficiency, anomalies.

Each section with its own widgets is an st.fragment: changing the trend's granularity, the breakdown, the ranking
threshold or a chart option reruns that section alone; the sidebar filters rerun the page."""

from collections.abc import Mapping

import numpy as np
import pandas as pd
import streamlit as st

from pipeline import kpis
from pipeline.campaigns import cube, overview
from pipeline.filters import CampaignFilter, apply_campaign_filter, extra_dimensions
from pipeline.inputs import provenance
from ui import filters, layout
from ui import format as fmt
from ui.cached import campaigns, data
from ui.cached.views import derived
from ui.charts import base as base_charts
from ui.charts import campaigns as campaign_charts
from ui.download import csv_download

KPI_METRICS = ("spend", "impressions", "clicks", "conversions", "revenue", "ctr", "cvr", "cpc", "cpa", "cpm", "roas")
TREND_METRICS = ("spend", "revenue", "conversions", "clicks", "impressions", "roas", "cpa", "cpc", "cpm", "ctr", "cvr")
FREQS = ["day", "week", "month"]
DIMENSIONS = ["platform", "device", "campaign"]
LEVELS = ["campaign", "campaign_day"]
TABLE_COLUMNS = ["spend", "impressions", "clicks", "conversions", "revenue", "ctr", "cvr", "cpc", "cpa", "cpm", "roas"]
UNDATED = (
    "This file has no dates, so there is no trend over time and no anomaly flags (both compare days); "
    "everything else covers the whole table."
)


def trend_table(
    platform_days: pd.DataFrame, daily: pd.DataFrame, period: kpis.Period, freq: str, split: bool
) -> tuple[pd.DataFrame, np.ndarray]:
    trend = kpis.trend(
        kpis.in_period(platform_days if split else daily, period), freq, by=["platform"] if split else []
    )
    return trend, cube.partial_periods(trend["period"], freq, period.start, period.end)


@st.fragment
def trend_section(
    frame: pd.DataFrame,
    spec: CampaignFilter,
    platform_days: pd.DataFrame,
    daily: pd.DataFrame,
    period: kpis.Period,
    estimated: Mapping[str, str],
) -> None:
    left, middle, right = st.columns([2, 2, 1])
    trend_metrics = cube.computable(TREND_METRICS, platform_days.columns)
    filters.link_choice("ov_freq", FREQS, "week")
    filters.link_choice("ov_metric", trend_metrics, trend_metrics[0])
    filters.link_flag("ov_split")
    freq = left.segmented_control("Granularity", FREQS, key="ov_freq") or "week"
    metric = middle.selectbox("Metric", trend_metrics, format_func=fmt.axis_title, key="ov_metric")
    split = right.toggle("Split by platform", key="ov_split")
    filters.mirror_choice("ov_freq", freq, "week")
    filters.mirror_choice("ov_metric", metric, trend_metrics[0])
    filters.mirror_flag("ov_split", split)
    trend, partial = derived(
        frame, spec, "trend", lambda: trend_table(platform_days, daily, period, freq, split), freq, split
    )
    note = fmt.estimated_note([metric], estimated)
    layout.chart(campaign_charts.trend_line, trend, metric, freq, "platform" if split else None, partial, note)


def ranked_breakdown(
    frame: pd.DataFrame, spec: CampaignFilter, totals: pd.DataFrame, dim: str, keys: list[str], by: str
) -> pd.DataFrame:
    # The cube has no extra columns (age, gender, source): those come from the filtered rows (uploads, small enough).
    rows = totals if dim in DIMENSIONS else apply_campaign_filter(frame, spec)
    return cube.kpi_table(rows, keys).sort_values(by, ascending=False)


@st.fragment
def breakdown_section(
    frame: pd.DataFrame, spec: CampaignFilter, totals: pd.DataFrame, dims: list[str], estimated: Mapping[str, str]
) -> None:
    left, right = st.columns(2)
    columns = cube.computable(TABLE_COLUMNS, totals.columns)
    filters.link_choice("ov_dim", dims, "platform")
    filters.link_choice("ov_shown", columns, columns[-1])
    dim = left.segmented_control("Break down by", dims, key="ov_dim") or "platform"
    shown = right.selectbox("Chart metric", columns, format_func=fmt.axis_title, key="ov_shown")
    filters.mirror_choice("ov_dim", dim, "platform")
    filters.mirror_choice("ov_shown", shown, columns[-1])
    keys = ["platform", "campaign"] if dim == "campaign" else [dim]
    ranked = derived(
        frame, spec, "breakdown", lambda: ranked_breakdown(frame, spec, totals, dim, keys, columns[0]), dim
    )
    title = f"{fmt.label(shown)} by {fmt.label(dim).lower()}{fmt.estimated_note([shown], estimated)}"
    title += f" (the 15 biggest by {columns[0]})" if len(ranked) > 15 else ""
    layout.chart(base_charts.bar_by, ranked.head(15), dim, shown, title, horizontal=dim == "campaign")
    layout.data_table(ranked, f"breakdown by {dim}", [*keys, *columns], estimated=estimated)


@st.fragment
def top_campaigns_section(
    frame: pd.DataFrame, spec: CampaignFilter, totals: pd.DataFrame, estimated: Mapping[str, str]
) -> None:
    have = totals.columns
    filters.link_number("ov_min_clicks", overview.MIN_CLICKS_FOR_CVR)
    min_clicks = st.number_input("Minimum clicks to rank a campaign", min_value=0, step=50, key="ov_min_clicks")
    filters.mirror_number("ov_min_clicks", min_clicks, overview.MIN_CLICKS_FOR_CVR)
    top = None
    if cube.computable(["cvr"], have):
        top = derived(
            frame, spec, "top", lambda: overview.top_campaigns_by_cvr(totals, min_clicks=min_clicks), min_clicks
        )
    if top is None:
        st.info("This data has no clicks or conversions column, so there is no conversion rate to rank.")
    elif top.empty:
        st.info(f"No campaign has {min_clicks:,} clicks or more in this selection.")
    else:
        ranking = ["campaign", *cube.computable(["cvr", "conversions", "clicks", "spend", "cpa", "roas"], have)]
        layout.data_table(top, "top campaigns by cvr", ranking, estimated=estimated)


@st.fragment
def cost_section(
    frame: pd.DataFrame, spec: CampaignFilter, totals: pd.DataFrame, has_devices: bool, estimated: Mapping[str, str]
) -> None:
    costs = cube.computable(["cpa", "cpc", "cpm"], totals.columns)
    filters.link_choice("ov_cost", costs, costs[0] if costs else "")
    cost = st.radio("Cost metric", costs, format_func=fmt.axis_title, horizontal=True, key="ov_cost")
    filters.mirror_choice("ov_cost", cost, costs[0] if costs else None)
    if not has_devices:
        st.info("This data has no device column, so there is no platform x device view.")
    elif not cost:
        st.info("This data has no cost inputs for a platform x device view.")
    else:
        overall = derived(frame, spec, "overall", lambda: kpis.kpi_totals(totals))[cost]  # colours vs this
        matrix = derived(frame, spec, "cost", lambda: overview.cost_matrix(totals, cost), cost)
        title = f"{fmt.label(cost)} by platform and device{fmt.estimated_note([cost], estimated)}"
        title += " (colour: vs overall, grey within ±5%)"
        layout.chart(base_charts.difference_heatmap, matrix, cost, title, overall)


def scatter_points(current: pd.DataFrame, totals: pd.DataFrame, level: str) -> tuple[pd.DataFrame, float]:
    points = overview.spend_conversion_points(current if level == "campaign_day" else totals, level)
    return points, overview.correlation(points["spend"], points["conversions"])


@st.fragment
def scatter_section(
    frame: pd.DataFrame,
    spec: CampaignFilter,
    current: pd.DataFrame,
    totals: pd.DataFrame,
    dated: bool,
    estimated: Mapping[str, str],
) -> None:
    if dated:  # an undated file's days are one placeholder: per campaign only
        filters.link_choice("ov_lvl", LEVELS, "campaign")
        level = st.radio("Points", LEVELS, format_func=lambda v: v.replace("_", "-"), horizontal=True, key="ov_lvl")
        filters.mirror_choice("ov_lvl", level, "campaign")
    else:
        level = "campaign"
    if cube.computable(["cpa"], totals.columns):
        points, r = derived(frame, spec, "scatter", lambda: scatter_points(current, totals, level), level)
        note = fmt.estimated_note(["spend", "conversions"], estimated)
        layout.chart(campaign_charts.spend_scatter, points, r, level.replace("_", "-"), note)
    else:
        st.info("This data has no spend or no conversions column.")


def anomalies_section(frame: pd.DataFrame, spec: CampaignFilter, have: pd.Index, estimated: Mapping[str, str]) -> None:
    flags = (
        derived(frame, spec, "anomalies", lambda: campaigns.anomaly_flags(frame, spec))
        if cube.computable(["cpa"], have)
        else None
    )
    st.caption(
        f"Each campaign-day against the campaign's own previous {overview.ANOMALY_WINDOW_DAYS} days (the day "
        f"itself excluded), flagged at |z| ≥ {overview.ANOMALY_Z}. Spend: z against those days' mean and spread. "
        "CPA: the day's conversions against those its spend buys at the baseline's CPA (Σspend/Σconversions), with "
        "Poisson noise widened by the campaign's own day-to-day scatter, so a high and a low CPA are flagged equally "
        "often by chance. Days with spend but no conversions are flagged too."
        + fmt.estimated_note(["spend", "cpa"], estimated)
    )
    if flags is None:
        st.info("This data has no spend or no conversions column to judge.")
    elif flags.empty:
        st.success("No anomalies in this selection.")
    else:
        counts = flags["flag"].value_counts()
        st.write(" · ".join(f"**{n:,}** {flag}" for flag, n in counts.items()))
        money = {"value": "$%,.2f", "baseline": "$%,.2f", "z": "%.2f"}
        layout.data_table(flags, "anomalies", height=320, formats=money, labels={"z": "z-score"}, estimated=estimated)


layout.use_app_navigation()
st.title("Campaign overview")
frame = data.campaigns()
marks = provenance.of(frame)  # read off the loaded frame: cubes and cuts do not carry it
estimated = provenance.estimated_metrics(marks)
choices = campaigns.campaign_filter_choices(frame)
spec = filters.campaign_filters(choices, recent_days=kpis.RECENT_DAYS, dated=not marks.undated)
platform_days = campaigns.platform_day_sums(frame, spec)  # small: tiles and trend come first
layout.stop_if_empty(platform_days)
period = kpis.Period(spec.start or platform_days["date"].min(), spec.end or platform_days["date"].max())
layout.stop_if_empty(derived(frame, spec, "days in period", lambda: kpis.in_period(platform_days, period)))

have = platform_days.columns
daily = derived(frame, spec, "daily", lambda: cube.rollup(platform_days, ["date"]))
span = kpis.data_span(choices)  # the whole data's days, not the selection's: a paused campaign's zeros are real
coverage = kpis.previous_coverage(period, span)
if marks.undated:
    layout.undated_caption(data.campaign_source())
else:
    previous_days = derived(frame, spec, "previous days", lambda: not kpis.in_period(daily, coverage.previous).empty)
    layout.period_caption(data.campaign_source(), period, coverage, previous_days)
comparison = derived(frame, spec, "comparison", lambda: kpis.compare_periods(daily, period, span))
available = cube.computable(KPI_METRICS, have)
layout.kpi_row(comparison, KPI_METRICS, available, estimated=estimated, deltas=not marks.undated)

st.subheader("Trend")
if marks.undated:
    st.info(UNDATED)
else:
    trend_section(frame, spec, platform_days, daily, period, estimated)

day_cube = campaigns.campaign_cube(frame, spec)
current = derived(frame, spec, "current", lambda: kpis.in_period(day_cube, period))
# Period totals without the day: every view below rolls up this small frame, not the daily rows.
totals = derived(frame, spec, "totals", lambda: cube.rollup(current, ["platform", "campaign", "device"]))
has_devices = "device" in day_cube.columns and filters.has_devices(choices)

st.subheader("Breakdowns")
dims = [d for d in DIMENSIONS if d != "device" or has_devices] + extra_dimensions(choices)
breakdown_section(frame, spec, totals, dims, estimated)

st.subheader("Top campaigns by conversion rate")
top_campaigns_section(frame, spec, totals, estimated)

left, right = st.columns(2)
with left:
    st.subheader("Cost efficiency")
    cost_section(frame, spec, totals, has_devices, estimated)
with right:
    st.subheader("Spend vs conversions")
    scatter_section(frame, spec, current, totals, not marks.undated, estimated)

st.subheader("Meta vs TikTok")
sides = derived(frame, spec, "platforms side by side", lambda: overview.compare_platforms(totals))
layout.metrics_by_column(sides, "meta vs tiktok", estimated)

if not marks.undated:  # the sentence under Trend says why an undated file has none
    st.subheader("Anomalies")
    anomalies_section(frame, spec, have, estimated)

st.divider()
csv_download(
    lambda: apply_campaign_filter(frame, spec), "filtered campaign data", "Download the filtered rows", list(estimated)
)
