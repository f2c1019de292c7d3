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

from ui.format import METRIC_STYLES, axis_title, label, metric_value, money_tick, signed_share

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


# Axis ticks land on 1, 2 or 5 times a power of ten: "$50K", never "$47.3K".
NICE_STEPS = (1.0, 2.0, 5.0, 10.0)
TARGET_TICKS = 5


def nice_step(span: float, target: int = TARGET_TICKS) -> float:
    """The round tick step that cuts `span` into about `target` parts: 1, 2 or 5 times a power of ten."""
    if not np.isfinite(span) or span <= 0:
        return 1.0
    raw = span / target
    power = 10.0 ** np.floor(np.log10(raw))
    return float(next(m * power for m in NICE_STEPS if m * power >= raw * (1 - 1e-9)))


def money_axis(values: Sequence[float] | np.ndarray, include_zero: bool = True) -> dict[str, object]:
    """Plotly axis settings for money: ticks at round values ($0, $50K, $100K …) written by ui.format.money_tick,
    negatives as "−$2K". Plotly's own tickprefix would write "$−2k" and pick steps like $0.2k."""
    finite = np.asarray(values, dtype="float64")
    finite = finite[np.isfinite(finite)]
    low = float(min(finite.min(), 0.0) if include_zero else finite.min()) if finite.size else 0.0
    high = float(max(finite.max(), 0.0) if include_zero else finite.max()) if finite.size else 1.0
    step = nice_step(high - low) if high > low else nice_step(abs(high) or 1.0)
    count = np.arange(np.floor(low / step), max(np.ceil(high / step), np.floor(low / step) + 1) + 1)
    ticks = np.round(count * step, 9) + 0.0  # + 0.0 turns −0.0 into 0.0
    return {"tickmode": "array", "tickvals": ticks.tolist(), "ticktext": [money_tick(t, step) for t in ticks]}


def tick_format(metric: str, values: Sequence[float] | np.ndarray | None = None) -> dict[str, object]:
    """Plotly axis settings that show `metric` in its unit ($, %, x, or SI counts). Money with its `values`
    gets round ticks (money_axis)."""
    style, _ = METRIC_STYLES.get(metric, ("count", 0))
    if style == "money" and values is not None:
        return money_axis(values)
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
    value_axis = tick_format(metric, values)
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


# A cell within ±5% of the overall figure is "about the same": $4.50 and $4.51 share the neutral colour.
NEUTRAL_BAND = 0.05
# Differences of ±50% or more get the darkest colour, under every filter.
WIDEST_DIFFERENCE = 0.5
NEUTRAL_COLOR = "#F2F2F2"


def difference_heatmap(
    matrix: pd.DataFrame, metric: str, title: str, overall: float, good_high: bool = False
) -> go.Figure:
    """`metric` per cell, coloured by its difference from the `overall` figure (value/overall − 1): neutral
    within ±NEUTRAL_BAND, green where better, red where worse, darkest at ±WIDEST_DIFFERENCE or beyond. The
    colour bar shows the scale in % vs overall; each cell's text is its value, its hover the difference too."""
    values = matrix.to_numpy(dtype="float64")
    usable = np.isfinite(overall) and overall != 0
    difference = values / overall - 1.0 if usable else np.full_like(values, np.nan)
    widest = WIDEST_DIFFERENCE  # one fixed scale: a colour means the same difference under every filter
    edge = NEUTRAL_BAND / widest / 2
    better, worse = "#1A9850", "#D73027"
    low, high = (worse, better) if good_high else (better, worse)
    scale = [[0.0, low], [0.5 - edge, NEUTRAL_COLOR], [0.5 + edge, NEUTRAL_COLOR], [1.0, high]]
    ticks = [-widest, -widest / 2, 0.0, widest / 2, widest]  # the ±5% band is named in the title, not ticked
    worse_end, better_end = (0, -1) if good_high else (-1, 0)
    tick_text = [signed_share(t) for t in ticks]
    tick_text[worse_end] += " worse"
    tick_text[better_end] += " better"
    text = [[metric_value(metric, v) for v in row] for row in values]
    vs = [[signed_share(d) for d in row] for row in difference]
    cells = go.Heatmap(
        z=np.clip(difference, -widest, widest),
        x=[str(c) for c in matrix.columns],
        y=[str(i) for i in matrix.index],
        text=text,
        customdata=vs,
        texttemplate="%{text}",
        hovertemplate="%{y} · %{x}: %{text} (%{customdata} vs overall)<extra></extra>",
        colorscale=scale,
        zmin=-widest,
        zmax=widest,
        colorbar={
            "title": {"text": f"vs overall {metric_value(metric, overall)}"},
            "tickvals": ticks,
            "ticktext": tick_text,
        },
    )
    height = max(300, 48 * len(matrix) + 140)
    return titled_figure([cells], title, label(matrix.columns.name or ""), label(matrix.index.name or ""), height)


PERIOD_TICK_FORMATS = {"day": "%d %b %Y", "week": "%d %b %Y", "month": "%b %Y"}
PERIOD_DAYS = {"day": 1, "week": 7, "month": 30}
# Up to this many periods every one gets its own tick; beyond it plotly spaces them, dates only.
MAX_LISTED_PERIODS = 12


def period_axis(periods: Sequence[object] | pd.Series, freq: str) -> dict[str, object]:
    """A date axis for period starts: dates only, never a time of day. With few periods each one is a tick
    (one period shows its one date, not "23:59:59.999 May 31, 2025"), padded half a period each side."""
    form = PERIOD_TICK_FORMATS.get(freq, "%d %b %Y")
    starts = pd.DatetimeIndex(pd.to_datetime(pd.Series(periods)).dropna().unique()).sort_values()
    axis: dict[str, object] = {"type": "date", "tickformat": form, "hoverformat": form}
    if 0 < len(starts) <= MAX_LISTED_PERIODS:
        axis |= {"tickmode": "array", "tickvals": list(starts), "ticktext": [d.strftime(form) for d in starts]}
        half = pd.Timedelta(days=PERIOD_DAYS.get(freq, 1)) / 2
        axis["range"] = [starts[0] - half, starts[-1] + half]
    return axis
