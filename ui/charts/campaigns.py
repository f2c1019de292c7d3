"""Charts of the campaign overview: the trend per period and spend against conversions. No Streamlit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.charts.base import (
    hover_values,
    marker_trace,
    money_axis,
    period_axis,
    platform_color,
    tick_format,
    titled_figure,
)
from ui.format import axis_title, label


def trend_line(
    trend: pd.DataFrame,
    metric: str,
    freq: str,
    by: str | None = None,
    partial: Sequence[bool] | None = None,
    note: str = "",
) -> go.Figure:
    """`metric` per period (kpis.trend output), one line per `by` value when given. Periods the date
    range only partly covers (`partial`, aligned with `trend`'s rows) get hollow markers. `note` is appended
    to the title (e.g. ui.format.estimated_note: what an estimated metric rests on)."""
    flags = pd.Series(list(partial) if partial is not None else [False] * len(trend), index=trend.index)
    groups = trend.groupby(by, observed=True, sort=True) if by else [("All", trend)]
    traces = []
    for position, (name, part) in enumerate(groups):
        cut = flags.loc[part.index].to_numpy()
        notes = [" (partial period)" if c else "" for c in cut]
        traces.append(
            go.Scatter(
                x=part["period"],
                y=part[metric],
                mode="lines+markers" if len(part) <= 60 else "lines",
                name=str(name),
                line={"color": platform_color(name, position) if by == "platform" else "#4C78A8"},
                marker={"symbol": ["circle-open" if c else "circle" for c in cut], "size": 8},
                text=[f"{v}{n}" for v, n in zip(hover_values(metric, part[metric]), notes, strict=True)],
                hovertemplate="%{x|%d %b %Y}: %{text}<extra>%{fullData.name}</extra>",
            )
        )
    title = f"{label(metric)} by {freq}{note}" + (" (hollow = period only partly in range)" if flags.any() else "")
    return titled_figure(
        traces,
        title,
        f"Period ({freq} starting)",
        axis_title(metric),
        xaxis=period_axis(trend["period"], freq),
        yaxis={**tick_format(metric, trend[metric]), "rangemode": "tozero"},
        showlegend=by is not None,
    )


def spend_scatter(points: pd.DataFrame, r: float, level_name: str, note: str = "") -> go.Figure:
    """Spend vs conversions, one colour per platform, Pearson r in the title, then `note` (e.g. that the spend
    is estimated)."""
    groups = points.groupby("platform", observed=True, sort=True) if "platform" in points else [("All", points)]
    traces = []
    for position, (name, part) in enumerate(groups):
        labels = part["campaign"].astype(str) if "campaign" in part else None
        if labels is not None and "date" in part:
            labels = labels + " · " + part["date"].dt.strftime("%d %b %Y")
        marker = {"color": platform_color(name, position), "opacity": 0.6, "size": 6}
        hover = "%{text}<br>Spend $%{x:,.0f}, %{y:,.0f} conversions<extra></extra>"
        traces.append(marker_trace(part, "spend", "conversions", name, marker, hover, many=True, text=labels))
    r_text = "r undefined" if not np.isfinite(r) else f"Pearson r = {r:.2f}"
    title = f"Spend vs conversions per {level_name} ({r_text}){note}"
    return titled_figure(
        traces, title, axis_title("spend"), label("conversions"), 420, xaxis=money_axis(points["spend"])
    )
