"""Plotly figures and display tables for the incrementality page. Frames in, figures out; no Streamlit.

graph_objects (not plotly.express) keeps figure building cheap on every rerun.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipeline.influencers.incrementality import display_decimals
from ui import format as fmt

GROUP_COLORS = {"Exposed": "#1f77b4", "Control": "#9e9e9e"}
BREAK_EVEN = 1.0  # $1 of extra revenue per $1 of payout
MARGIN = {"l": 10, "r": 10, "t": 60, "b": 10}
ROW_HEIGHT = 24  # pixels per forest-plot row, so long lists stay readable


def multiple(value: float) -> str:
    """2.35x, or 0.0079x for small values (never rounded to "0.01x"); "—" when undefined."""
    return fmt.multiple(value, display_decimals(value))


def p_value_text(p_value: float) -> str:
    """0.034, "< 0.001" for tiny values (more digits mean nothing), "—" when undefined."""
    if pd.isna(p_value):
        return fmt.MISSING
    return "< 0.001" if p_value < 0.001 else f"{p_value:.3f}"


def forest_plot(frame: pd.DataFrame, dimension: str) -> go.Figure:
    """iROAS with its interval per row of a breakdown, sorted, with the 1x break-even line.

    `frame` has label, iroas, iroas_ci_low, iroas_ci_high, p_value; rows without an estimate are left out
    and counted in the title.
    """
    shown = frame.dropna(subset=["iroas"]).sort_values("iroas", kind="stable")
    omitted = len(frame) - len(shown)
    low = (shown["iroas"] - shown["iroas_ci_low"]).clip(lower=0).fillna(0)
    high = (shown["iroas_ci_high"] - shown["iroas"]).clip(lower=0).fillna(0)
    colors = np.where(
        shown["iroas_ci_low"] > BREAK_EVEN, "#2e7d32", np.where(shown["iroas_ci_high"] < 1, "#c62828", "#555")
    )
    hover = [
        f"{label}<br>iROAS {multiple(v)} ({multiple(lo)}–{multiple(hi)})<br>p-value {p_value_text(p)}"
        for label, v, lo, hi, p in zip(
            shown["label"], shown["iroas"], shown["iroas_ci_low"], shown["iroas_ci_high"], shown["p_value"], strict=True
        )
    ]
    figure = go.Figure(
        go.Scatter(
            x=shown["iroas"],
            y=shown["label"].astype(str),
            mode="markers",
            marker={"color": colors, "size": 9},
            error_x={"type": "data", "symmetric": False, "array": high, "arrayminus": low, "color": "#888"},
            hovertext=hover,
            hoverinfo="text",
            name="iROAS",
        )
    )
    figure.add_vline(x=BREAK_EVEN, line_dash="dash", line_color="#c62828", annotation_text="break-even 1x")
    note = f" ({omitted} without an estimate not shown)" if omitted else ""
    figure.update_layout(
        title=f"iROAS by {dimension} with 95% intervals{note}",
        xaxis={"title": "iROAS (x): extra revenue per $1 of payout", "ticksuffix": "x", "zeroline": True},
        yaxis={"title": None, "type": "category"},
        height=max(260, 90 + ROW_HEIGHT * len(shown)),
        margin=MARGIN,
        showlegend=False,
    )
    return figure


def revenue_distribution(buyers: pd.DataFrame, histogram: pd.DataFrame) -> go.Figure:
    """Left: share of users who bought, per group. Right: revenue per buyer, per group (share of buyers)."""
    figure = make_subplots(
        rows=1, cols=2, column_widths=[0.3, 0.7], subplot_titles=("Users who bought", "Revenue per buyer")
    )
    figure.add_trace(
        go.Bar(
            x=buyers["group"],
            y=buyers["buyer_share"],
            marker_color=[GROUP_COLORS.get(g, "#555") for g in buyers["group"]],
            text=[fmt.percent(v, 1) for v in buyers["buyer_share"]],
            textposition="outside",
            showlegend=False,
            hovertext=[
                f"{fmt.count(b)} of {fmt.count(u)} users"
                for b, u in zip(buyers["buyers"], buyers["users"], strict=True)
            ],
        ),
        row=1,
        col=1,
    )
    for group, part in histogram.groupby("group", sort=False):
        figure.add_trace(
            go.Bar(
                x=(part["bin_low"] + part["bin_high"]) / 2,
                y=part["share_of_buyers"],
                name=str(group),
                marker_color=GROUP_COLORS.get(str(group), "#555"),
            ),
            row=1,
            col=2,
        )
    figure.update_layout(
        title="Revenue per user by group (most users buy nothing)",
        barmode="group",
        bargap=0.05,
        height=360,
        margin=MARGIN,
        legend={"orientation": "h", "y": -0.2},
    )
    figure.update_yaxes(tickformat=".0%", row=1, col=1, title="Share of users")
    figure.update_yaxes(tickformat=".0%", row=1, col=2, title="Share of buyers")
    figure.update_xaxes(tickprefix="$", row=1, col=2, title="Revenue per buyer ($, top bin holds the tail)")
    return figure


def breakdown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A breakdown formatted for people: money, multiples, percentages, "—" for undefined."""
    return pd.DataFrame(
        {
            "Name": frame["label"].astype(str),
            "Exposed users": frame["exposed_users"].map(fmt.count),
            "Control users": frame["control_users"].map(fmt.count),
            "Lift": frame["lift"].map(lambda v: fmt.percent(v, 1)),
            "Incremental revenue": frame["incremental_revenue"].map(fmt.money),
            "Payout": frame["payout"].map(fmt.money),
            "iROAS": frame["iroas"].map(multiple),
            "95% interval": [
                f"{multiple(lo)} – {multiple(hi)}"
                for lo, hi in zip(frame["iroas_ci_low"], frame["iroas_ci_high"], strict=True)
            ],
            "p-value": frame["p_value"].map(p_value_text),
            "Note": frame["note"],
        }
    )
