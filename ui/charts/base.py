"""What every chart shares: platform colours, colour scales, axis formats by metric, the titled figure, and
the metric charts more than one page draws (bars by a dimension, heatmaps). Frames in, figures out; no Streamlit.

Every chart has a title, axis titles with units, and the same colour for a platform everywhere.
graph_objects (not plotly.express) keeps figure building cheap on every rerun.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ui.format import METRIC_STYLES, axis_title, label, metric_value

PLATFORM_COLORS = {
    "Meta": "#1877F2",
    "TikTok": "#111111",
    "Instagram": "#C13584",
    "Google Ads": "#34A853",
    "YouTube": "#FF0000",
    "Twitter": "#1DA1F2",
}
# Anything unknown cycles through muted colours that don't clash with the brand ones.
OTHER_COLORS = ("#7F7F7F", "#BCBD22", "#17BECF", "#8C564B", "#9467BD", "#FF7F0E")
SEQUENTIAL_SCALE = "Blues"
# Costs: red is bad (high); returns: green is good (high).
COST_SCALE = "RdYlGn_r"
RETURN_SCALE = "RdYlGn"
MARGIN = {"l": 10, "r": 10, "t": 60, "b": 10}


def platform_color(platform: str, position: int = 0) -> str:
    """The brand colour of a known platform, else a stable fallback by position."""
    return PLATFORM_COLORS.get(str(platform), OTHER_COLORS[position % len(OTHER_COLORS)])


def tick_format(metric: str) -> dict[str, str]:
    """Plotly axis settings that show `metric` in its unit ($, %, x, or SI counts)."""
    style, _ = METRIC_STYLES.get(metric, ("count", 0))
    return {
        "money": {"tickprefix": "$", "tickformat": ",.2~f"},
        "percent": {"tickformat": ".1%"},
        "multiple": {"ticksuffix": "x", "tickformat": ",.2~f"},
    }.get(style, {"tickformat": ",~s"})


def hover_values(metric: str, values: Sequence[float]) -> list[str]:
    """Each value formatted the way `metric` reads, for hover and bar labels."""
    return [metric_value(metric, float(v)) for v in values]


def marker_trace(
    part: pd.DataFrame, x: str, y: str, name: object, marker: dict, hover: str, many: bool = False, **extra: object
) -> go.Scatter:
    """One group's points of `part` as a marker trace; WebGL (`many`) keeps thousands of points fluid."""
    trace = go.Scattergl if many else go.Scatter
    return trace(x=part[x], y=part[y], mode="markers", name=str(name), marker=marker, hovertemplate=hover, **extra)


def titled_figure(
    traces: Sequence[go.BaseTraceType],
    title: str,
    x_title: str,
    y_title: str,
    height: int = 380,
    xaxis: dict | None = None,
    yaxis: dict | None = None,
    **layout: object,
) -> go.Figure:
    """A titled figure with axis titles, built in one validated step.

    No plotly template: Streamlit's theme styles the chart in the browser, and copying a
    template (or updating the layout piecemeal) costs several ms per figure on every rerun.
    """
    return go.Figure(
        list(traces),
        layout={
            "template": {},
            "title": {"text": title},
            "height": height,
            "margin": MARGIN,
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
            "hovermode": "closest",
            "xaxis": {"title": {"text": x_title}, **(xaxis or {})},
            "yaxis": {"title": {"text": y_title}, **(yaxis or {})},
            **layout,
        },
    )


def bar_by(table: pd.DataFrame, dim: str, metric: str, title: str | None = None, horizontal: bool = False) -> go.Figure:
    """`metric` per value of `dim`, coloured by platform when the table has one."""
    names = table[dim].astype(str)
    if "platform" in table.columns:
        colors = [platform_color(p, i) for i, p in enumerate(table["platform"].astype(str))]
    else:
        colors = ["#4C78A8"] * len(names)
    values = table[metric]
    bar = go.Bar(
        x=values if horizontal else names,
        y=names if horizontal else values,
        orientation="h" if horizontal else "v",
        marker_color=colors,
        text=hover_values(metric, values),
        textposition="auto",
        hovertemplate="%{text}<extra></extra>",
    )
    value_axis = tick_format(metric)
    title = title or f"{label(metric)} by {label(dim).lower()}"
    if horizontal:
        height = max(320, 28 * len(table) + 120)
        return titled_figure(
            [bar], title, axis_title(metric), label(dim), height, xaxis=value_axis, yaxis={"autorange": "reversed"}
        )
    return titled_figure([bar], title, label(dim), axis_title(metric), yaxis=value_axis)


def _color_range(values: np.ndarray, good_high: bool, midpoint: float | None) -> dict:
    """Colour scale settings: relative (min to max) by default; with a midpoint, 0 to max with the
    neutral colour exactly at the midpoint, so everything on the bad side of it is red."""
    scale = RETURN_SCALE if good_high else COST_SCALE
    finite = values[np.isfinite(values)]
    if midpoint is None or not finite.size:
        return {"colorscale": scale}
    top = max(float(finite.max()), midpoint * 1.05)
    position = midpoint / top
    bad, neutral, good = "#D73027", "#FFFFBF", "#1A9850"
    low, high = (bad, good) if good_high else (good, bad)
    return {"colorscale": [[0.0, low], [position, neutral], [1.0, high]], "zmin": 0.0, "zmax": top}


def heatmap(
    matrix: pd.DataFrame, metric: str, title: str, good_high: bool = False, midpoint: float | None = None
) -> go.Figure:
    """A labelled rows x columns matrix of `metric`; empty cells show "—". `midpoint` centres the
    colour scale (e.g. ROAS 1 = break-even, so red means losing money rather than "lowest here")."""
    values = matrix.to_numpy(dtype="float64")
    text = [[metric_value(metric, v) for v in row] for row in values]
    cells = go.Heatmap(
        z=values,
        x=[str(c) for c in matrix.columns],
        y=[str(i) for i in matrix.index],
        text=text,
        texttemplate="%{text}",
        hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
        colorbar={"title": {"text": axis_title(metric)}},
        **_color_range(values, good_high, midpoint),
    )
    height = max(300, 48 * len(matrix) + 140)
    return titled_figure([cells], title, label(matrix.columns.name or ""), label(matrix.index.name or ""), height)
