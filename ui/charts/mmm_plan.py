"""Plotly figures for the budget plan (pure builders; no Streamlit): spend and incremental revenue per channel,
current mix against the recommendation, the plan day by day, and two saved scenarios side by side."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui import format as fmt
from ui.charts.base import titled_figure
from ui.charts.mmm import ERROR_BAR, LEGEND_BELOW, MONEY_AXIS, _interval_error, stacked_daily_areas

CURRENT_COLOR, RECOMMENDED_COLOR = "#B0B7C3", "#1f77b4"
CARRY_COLOR = "#D62728"
SCENARIO_COLORS = ("#7F7F7F", "#1f77b4")


def _bar_height(rows: int) -> int:
    return max(300, 70 * rows + 150)


def _channel_bars(traces: list[go.Bar], title: str, x_title: str, right_margin: int) -> go.Figure:
    """Horizontal bars per channel, current mix and recommended side by side, channels top to bottom."""
    return titled_figure(
        traces,
        title,
        x_title,
        "",
        height=_bar_height(len(traces[0].y)),
        xaxis={**MONEY_AXIS, "rangemode": "tozero"},
        yaxis={"autorange": "reversed"},
        barmode="group",
        legend=LEGEND_BELOW,
        margin={"l": 10, "r": right_margin, "t": 60, "b": 60},
    )


def spend_bars(allocation: pd.DataFrame) -> go.Figure:
    """Current mix and recommended spend per channel over the window, each bar labelled in dollars."""
    traces = [
        go.Bar(
            y=allocation["channel"],
            x=allocation[column],
            orientation="h",
            name=name,
            marker={"color": color},
            text=[fmt.compact(float(value), "$") for value in allocation[column]],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: $%{x:,.0f}<extra>" + name + "</extra>",
        )
        for column, name, color in (
            ("current_spend", "current mix", CURRENT_COLOR),
            ("spend", "recommended", RECOMMENDED_COLOR),
        )
    ]
    # Room on the right for the last bar's label.
    return _channel_bars(traces, "Spend over the window: current mix vs recommended", "spend over the window ($)", 60)


def revenue_bars(allocation: pd.DataFrame) -> go.Figure:
    """Incremental revenue per channel over the window, current mix vs recommended, with 90% interval bars."""
    traces = [
        go.Bar(
            y=allocation["channel"],
            x=allocation[value],
            orientation="h",
            name=name,
            marker={"color": color},
            error_x=_interval_error(allocation[value], allocation[low], allocation[high], **ERROR_BAR),
            customdata=allocation[[low, high]].to_numpy(),
            hovertemplate="%{y}: $%{x:,.0f} (90% $%{customdata[0]:,.0f} – $%{customdata[1]:,.0f})<extra>"
            + name
            + "</extra>",
        )
        for value, low, high, name, color in (
            ("current_revenue", "current_low", "current_high", "current mix", CURRENT_COLOR),
            ("predicted_revenue", "revenue_low", "revenue_high", "recommended", RECOMMENDED_COLOR),
        )
    ]
    title = "Incremental revenue per channel, with 90% intervals"
    return _channel_bars(traces, title, "incremental revenue over the window ($)", 20)


def daily_revenue(daily: pd.DataFrame) -> go.Figure:
    """The recommended plan's incremental revenue per day, stacked by channel, and the carry-in from past spend
    alone as a dashed line (with no budget the two coincide: the decay of what was already spent)."""
    wide = daily.pivot(index="date", columns="channel", values="predicted_revenue")
    carry = daily.groupby("date")["carry_in"].sum()
    traces = stacked_daily_areas(wide)
    traces.append(
        go.Scatter(
            x=carry.index,
            y=carry,
            name="carry-in from past spend",
            line={"color": CARRY_COLOR, "width": 2, "dash": "dash"},
            hovertemplate="%{x|%d %b %Y}: $%{y:,.0f}<extra>carry-in</extra>",
        )
    )
    return titled_figure(
        traces,
        "Incremental revenue per day over the window",
        "date",
        "incremental revenue per day ($)",
        height=380,
        yaxis={**MONEY_AXIS, "rangemode": "tozero"},
        legend=LEGEND_BELOW,
        margin={"l": 10, "r": 10, "t": 60, "b": 80},
    )


def scenario_bars(table: pd.DataFrame) -> go.Figure:
    """Two scenarios' incremental revenue over their windows, with 90% intervals, labelled in dollars."""
    bar = go.Bar(
        x=table["plan"],
        y=table["predicted_revenue"],
        marker={"color": list(SCENARIO_COLORS[: len(table)])},
        error_y=_interval_error(table["predicted_revenue"], table["revenue_low"], table["revenue_high"], **ERROR_BAR),
        text=[fmt.compact(float(value), "$") for value in table["predicted_revenue"]],
        textposition="inside",
        insidetextanchor="middle",
        textfont={"size": 14},
        hovertemplate="%{x}: $%{y:,.0f}<extra></extra>",
    )
    return titled_figure(
        [bar],
        "Incremental revenue, with 90% intervals",
        "",
        "incremental revenue over the window ($)",
        height=360,
        yaxis={**MONEY_AXIS, "rangemode": "tozero"},
        showlegend=False,
    )
