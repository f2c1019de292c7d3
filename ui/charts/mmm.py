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


def contributions_area(daily: pd.DataFrame, revenue: pd.Series) -> go.Figure:
    """Baseline and each channel's revenue per day, stacked, with the actual revenue as a line."""
    colors = channel_colors(daily.columns)
    traces = [
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
