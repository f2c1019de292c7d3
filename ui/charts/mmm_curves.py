"""Plotly figures for the media mix page's curves: response curve, carryover and the fit (pure builders)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.charts.base import titled_figure
from ui.charts.mmm import (
    BAND_FILL,
    BEYOND_FILL,
    BREAKEVEN_COLOR,
    HOLDOUT_FILL,
    LEGEND_BELOW,
    MONEY_AXIS,
    ROAS_COLOR,
    channel_colors,
)


def response_curve(
    curve: pd.DataFrame, channel: str, current: float, supported: float, breakeven: float | None
) -> go.Figure:
    """Revenue per day at a steady daily spend, with its band; `current` (the average day with spend), the
    break-even spend and `supported` (the highest day in the data), each named with its spend in the legend."""
    traces = [
        go.Scatter(x=curve["spend"], y=curve["high"], line={"width": 0}, showlegend=False, hoverinfo="skip"),
        go.Scatter(
            x=curve["spend"],
            y=curve["low"],
            fill="tonexty",
            fillcolor=BAND_FILL,
            line={"width": 0},
            name="90% interval",
            hoverinfo="skip",
        ),
        go.Scatter(
            x=curve["spend"],
            y=curve["revenue"],
            name="expected revenue",
            line={"color": ROAS_COLOR},
            hovertemplate="$%{x:,.0f}/day → $%{y:,.0f}/day<extra></extra>",
        ),
    ]
    figure = titled_figure(
        traces,
        f"{channel}: revenue per day at a steady daily spend",
        "spend per day ($)",
        "revenue per day ($)",
        height=440,
        legend=LEGEND_BELOW,
        xaxis={**MONEY_AXIS, "range": [0, float(curve["spend"].max())]},
        yaxis={**MONEY_AXIS, "rangemode": "tozero"},
    )
    if supported < float(curve["spend"].max()):
        figure.add_vrect(
            x0=supported,
            x1=float(curve["spend"].max()),
            fillcolor=BEYOND_FILL,
            line_width=0,
            layer="below",
            showlegend=True,
            name=f"beyond the highest day in the data ({_per_day(supported)})",
        )
    figure.add_vline(
        x=current,
        line_dash="dash",
        line_color="#444",
        showlegend=True,
        name=f"average day with spend ({_per_day(current)})",
    )
    if breakeven is not None:
        figure.add_vline(
            x=breakeven,
            line_dash="dot",
            line_color=BREAKEVEN_COLOR,
            showlegend=True,
            name=f"marginal ROAS falls to 1 ({_per_day(breakeven)})",
        )
    else:  # say why there is no break-even line, in the corner a saturating curve leaves empty
        figure.add_annotation(
            text=_no_breakeven_note(curve),
            xref="paper",
            yref="paper",
            x=0.01,
            y=0.98,
            showarrow=False,
            xanchor="left",
            yanchor="top",
            align="left",
            font={"size": 12, "color": "#555"},
            bgcolor="rgba(255,255,255,0.85)",  # readable where the average-day line crosses it
        )
    return figure


def _per_day(spend: float) -> str:
    return f"${spend:,.0f}/day"


def _no_breakeven_note(curve: pd.DataFrame) -> str:
    """Which way marginal ROAS misses 1 over the range drawn: below it everywhere, or above it everywhere."""
    slope = np.gradient(curve["revenue"].to_numpy(), curve["spend"].to_numpy()) if len(curve) > 1 else [0.0]
    if np.nanmax(slope) < 1.0:
        return "No break-even spend: even the first dollar<br>brings back less than $1 (marginal ROAS < 1)."
    return "No break-even spend in this range:<br>marginal ROAS stays above 1 throughout."


# ---------------------------------------------------------------- carryover


def carryover_lines(carryover: dict[str, pd.DataFrame]) -> go.Figure:
    """Share of a day's effect felt 0, 1, 2… days later, per channel (day 0 is the day of the spend)."""
    colors = channel_colors(carryover)
    traces = [
        go.Scatter(
            x=frame["day"],
            y=frame["share"],
            name=name,
            mode="lines+markers",
            line={"color": colors[name]},
            hovertemplate="day %{x}: %{y:.0%} of the effect<extra>" + name + "</extra>",
        )
        for name, frame in carryover.items()
    ]
    return titled_figure(
        traces,
        "Carryover: how a day's spend keeps working",
        "days after the spend (0 = the day itself)",
        "share of the spend's effect",
        yaxis={"tickformat": ".0%", "rangemode": "tozero"},
        xaxis={"dtick": 1},
    )


# ---------------------------------------------------------------- fit


def fit_chart(predicted: pd.DataFrame, actual: pd.Series, holdout_start: pd.Timestamp) -> go.Figure:
    """Actual vs predicted revenue per day with the 90% predictive band; the held-out days shaded."""
    traces = [
        go.Scatter(x=predicted.index, y=predicted["high"], line={"width": 0}, showlegend=False, hoverinfo="skip"),
        go.Scatter(
            x=predicted.index,
            y=predicted["low"],
            fill="tonexty",
            fillcolor=BAND_FILL,
            line={"width": 0},
            name="90% interval",
            hoverinfo="skip",
        ),
        go.Scatter(
            x=predicted.index,
            y=predicted["mean"],
            name="predicted",
            line={"color": ROAS_COLOR},
            hovertemplate="%{x|%d %b %Y}: $%{y:,.0f}<extra>predicted</extra>",
        ),
        go.Scatter(
            x=actual.index,
            y=actual,
            name="actual",
            mode="lines",
            line={"color": "#222", "width": 1},
            hovertemplate="%{x|%d %b %Y}: $%{y:,.0f}<extra>actual</extra>",
        ),
    ]
    last = predicted.index.max()
    figure = titled_figure(
        traces,
        "Actual vs predicted revenue per day",
        "date",
        "revenue per day ($)",
        height=440,
        yaxis=MONEY_AXIS,
        xaxis={"range": [predicted.index.min(), last]},
        legend=LEGEND_BELOW,
    )
    if holdout_start <= last:
        days = len(predicted.loc[holdout_start:])
        figure.add_vrect(
            x0=holdout_start,
            x1=last,
            fillcolor=HOLDOUT_FILL,
            line_width=0,
            layer="below",
            showlegend=True,
            name=f"held out: last {days} days, predicted unseen",
        )
    return figure


# ---------------------------------------------------------------- three ways to measure
