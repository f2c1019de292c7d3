"""Plotly figures for the media mix page (pure builders; no Streamlit).

Reference lines and shaded regions are named in the legend rather than labelled in the plot: a label on the
plot collides with the curve, another line's label or the axis as soon as two lines sit close together, and a
data-anchored label widens the axis range (plotly includes annotations in autorange).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui import format as fmt
from ui.charts.base import platform_color, titled_figure

BASELINE = "Baseline"
BASELINE_COLOR = "#B0B7C3"
# Not black: TikTok's brand colour is near-black, and the actual-revenue line runs across its stacked band.
ACTUAL_COLOR = "#D62728"
BREAKEVEN_COLOR = "#D62728"
ROAS_COLOR, MROAS_COLOR = "#1f77b4", "#ff7f0e"
BAND_FILL = "rgba(31,119,180,0.2)"
BEYOND_FILL = "rgba(127,127,127,0.15)"
HOLDOUT_FILL = "rgba(255,165,0,0.15)"
ERROR_BAR = {"color": "#444", "thickness": 1.2, "width": 4}
MONEY_AXIS = {"tickprefix": "$", "tickformat": ",.3~s"}
MULTIPLE_AXIS = {"ticksuffix": "x", "tickformat": ",.2~f"}
# Long legends (four or five named lines) go under the plot: above it a second row would run into the title.
# Anchored to the figure's bottom edge (not the plot's), so it never lands on the x-axis title however it wraps.
LEGEND_BELOW = {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0.0, "xanchor": "left", "x": 0.0}
# Grouped bars placed by hand (category spacing is 1), so each value label can sit above its own bar's interval.
BAR_WIDTH = 0.26
SHARE_BAR_WIDTH = 0.4  # of a row: the rest holds the bar's label


def channel_colors(names: Iterable[str]) -> dict[str, str]:
    """Baseline grey; each channel its platform colour, else a fallback by its place among the channels, so a
    channel has the same colour in every chart whether or not the chart also shows the baseline."""
    colors, position = {}, 0
    for name in names:
        if name == BASELINE:
            colors[name] = BASELINE_COLOR
            continue
        colors[name] = platform_color(name, position)
        position += 1
    return colors


def _interval_error(values: pd.Series, low: pd.Series, high: pd.Series, **style: object) -> dict:
    """Plotly error bars from a 90% interval's ends."""
    return {
        "type": "data",
        "symmetric": False,
        "array": (high - values).to_numpy(),
        "arrayminus": (values - low).to_numpy(),
        **style,
    }


# ---------------------------------------------------------------- contribution


def stacked_daily_areas(daily: pd.DataFrame) -> list[go.Scatter]:
    """One stacked area per column of a date-indexed frame of revenue per day, in the channels' colours."""
    colors = channel_colors(daily.columns)
    return [
        go.Scatter(
            x=daily.index,
            y=daily[name],
            name=name,
            stackgroup="revenue",
            line={"width": 0.5, "color": colors[name]},
            hovertemplate="%{x|%d %b %Y}: $%{y:,.0f}<extra>" + name + "</extra>",
        )
        for name in daily.columns
    ]


def contributions_area(daily: pd.DataFrame, revenue: pd.Series) -> go.Figure:
    """Baseline and each channel's revenue per day, stacked, with the actual revenue as a line."""
    traces = stacked_daily_areas(daily)
    traces.append(
        go.Scatter(
            x=revenue.index,
            y=revenue,
            name="actual revenue",
            line={"color": ACTUAL_COLOR, "width": 1},
            hovertemplate="%{x|%d %b %Y}: $%{y:,.0f}<extra>actual revenue</extra>",
        )
    )
    return titled_figure(
        traces,
        "Revenue per day: baseline and what each channel added",
        "date",
        "revenue per day ($)",
        yaxis=MONEY_AXIS,
        xaxis={"range": [daily.index.min(), daily.index.max()]},
        legend=LEGEND_BELOW,
        height=440,
    )


def contribution_shares(shares: pd.Series) -> go.Figure:
    """Each part's share of the period's revenue, as horizontal bars, each labelled ("Meta 17.5%") above its
    bar from the left edge. The chart sits in a narrow column, where tick labels beside the bars are cut off, a
    label inside a thin bar is turned on its side and one after a long bar runs off the edge."""
    colors = channel_colors(shares.index)
    bar = go.Bar(
        x=shares.to_numpy(),
        y=list(range(len(shares))),
        orientation="h",
        width=SHARE_BAR_WIDTH,
        marker={"color": [colors[name] for name in shares.index]},
        customdata=list(shares.index),
        hovertemplate="%{customdata}: %{x:.1%} of revenue<extra></extra>",
    )
    labels = [
        {
            "text": f"{name} {fmt.percent(value, 1)}",
            "xref": "paper",
            "x": 0.0,
            "y": position + SHARE_BAR_WIDTH / 2,
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 12},
        }
        for position, (name, value) in enumerate(shares.items())
    ]
    return titled_figure(
        [bar],
        "Share of revenue",
        "",
        "",
        height=440,  # as tall as the area chart beside it
        xaxis={"visible": False, "rangemode": "tozero"},
        yaxis={"visible": False, "range": [-0.6, len(shares) - 0.2]},  # room for the top bar's label
        annotations=labels,
        showlegend=False,
    )


# ---------------------------------------------------------------- return per dollar


def roas_intervals(channels: pd.DataFrame) -> go.Figure:
    """ROAS and marginal ROAS per channel with 90% intervals, side by side (not drawn over each other); the
    break-even line at 1. Channels read top to bottom in the table's order."""
    traces = [
        go.Scatter(
            x=channels[measure],
            y=channels["channel"],
            orientation="h",  # grouped along y: each channel's two measures on their own rows
            mode="markers",
            name=name,
            marker={"color": color, "size": 10, "symbol": symbol},
            error_x=_interval_error(
                channels[measure], channels[f"{measure}_low"], channels[f"{measure}_high"], color=color
            ),
            hovertemplate="%{y}: %{x:.2f}x<extra>" + name + "</extra>",
        )
        for measure, name, color, symbol in (
            ("roas", "ROAS", ROAS_COLOR, "circle"),
            ("mroas", "marginal ROAS (next $1)", MROAS_COLOR, "diamond"),
        )
    ]
    figure = titled_figure(
        traces,
        "Return per dollar, with 90% intervals",
        "revenue per $1 of spend",
        "",
        height=max(320, 70 * len(channels) + 140),
        xaxis={**MULTIPLE_AXIS, "rangemode": "tozero"},
        yaxis={"autorange": "reversed"},
        scattermode="group",
        scattergap=0.45,
    )
    figure.add_vline(
        x=1.0, line_dash="dot", line_color=BREAKEVEN_COLOR, showlegend=True, name="break-even (pays back $1)"
    )
    return figure


# ---------------------------------------------------------------- response curve


MEASURES = (
    ("attributed_roas", None, None, "platform-attributed", "#7F7F7F"),
    ("modelled_roas", "modelled_low", "modelled_high", "modelled (media mix), 90% interval", "#1f77b4"),
    ("experiment_iroas", "experiment_low", "experiment_high", "experiment iROAS, 90% interval", "#2ca02c"),
)


def measures_chart(table: pd.DataFrame) -> go.Figure:
    """Platform-attributed ROAS, modelled ROAS and the experiment's iROAS side by side per channel, each value
    written above its bar and interval (a label on the bar itself is crossed by the interval's line)."""
    traces, labels = [], []
    for slot, (column, low, high, name, color) in enumerate(MEASURES):
        values = table[column]
        offset = -1.5 * BAR_WIDTH + slot * BAR_WIDTH
        traces.append(
            go.Bar(
                x=table["channel"],
                y=values,
                name=name,
                marker={"color": color},
                width=BAR_WIDTH,
                offset=offset,
                error_y=None if low is None else _interval_error(values, table[low], table[high], **ERROR_BAR),
                hovertemplate="%{x}: %{y:.2f}x<extra>" + name + "</extra>",
            )
        )
        tops = values if high is None else table[high].where(table[high].notna(), values)
        labels += _bar_labels(values, tops, offset + BAR_WIDTH / 2)
    figure = titled_figure(
        traces,
        "Three ways to measure ROAS",
        "",
        "revenue per $1 of spend",
        height=440,
        legend=LEGEND_BELOW,
        yaxis={**MULTIPLE_AXIS, "rangemode": "tozero"},
        annotations=labels,
    )
    figure.add_hline(
        y=1.0, line_dash="dot", line_color=BREAKEVEN_COLOR, showlegend=True, name="break-even (pays back $1)"
    )
    return figure


def _bar_labels(values: pd.Series, tops: pd.Series, shift: float) -> list[dict]:
    """'2.13x' above each finite bar (and its interval), at the bar's centre on the category axis."""
    return [
        {
            "x": position + shift,
            "y": float(top),
            "text": fmt.multiple(float(value)),
            "showarrow": False,
            "yanchor": "bottom",
            "yshift": 2,
            "font": {"size": 11},
            "bgcolor": "rgba(255,255,255,0.8)",  # readable where it meets the break-even line
        }
        for position, (value, top) in enumerate(zip(values, tops, strict=True))
        if np.isfinite(value) and np.isfinite(top)
    ]
