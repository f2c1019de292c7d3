"""Pure plotly figure builders: frames in, figures out. No Streamlit, no computation beyond layout.

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


def _tick_format(metric: str) -> dict[str, str]:
    style, _ = METRIC_STYLES.get(metric, ("count", 0))
    return {
        "money": {"tickprefix": "$", "tickformat": ",.2~f"},
        "percent": {"tickformat": ".1%"},
        "multiple": {"ticksuffix": "x", "tickformat": ",.2~f"},
    }.get(style, {"tickformat": ",~s"})


def _hover(metric: str, values: Sequence[float]) -> list[str]:
    return [metric_value(metric, float(v)) for v in values]


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


def trend_line(
    trend: pd.DataFrame, metric: str, freq: str, by: str | None = None, partial: Sequence[bool] | None = None
) -> go.Figure:
    """`metric` per period (kpis.trend output), one line per `by` value when given. Periods the date
    range only partly covers (`partial`, aligned with `trend`'s rows) get hollow markers."""
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
                text=[f"{v}{n}" for v, n in zip(_hover(metric, part[metric]), notes, strict=True)],
                hovertemplate="%{x|%d %b %Y}: %{text}<extra>%{fullData.name}</extra>",
            )
        )
    title = f"{label(metric)} by {freq}" + (" (hollow = period only partly in range)" if flags.any() else "")
    return titled_figure(
        traces,
        title,
        f"Period ({freq} starting)",
        axis_title(metric),
        yaxis={**_tick_format(metric), "rangemode": "tozero"},
        showlegend=by is not None,
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
        text=_hover(metric, values),
        textposition="auto",
        hovertemplate="%{text}<extra></extra>",
    )
    value_axis = _tick_format(metric)
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


def spend_scatter(points: pd.DataFrame, r: float, level_name: str) -> go.Figure:
    """Spend vs conversions, one colour per platform, Pearson r in the title."""
    groups = points.groupby("platform", observed=True, sort=True) if "platform" in points else [("All", points)]
    traces = []
    for position, (name, part) in enumerate(groups):
        labels = part["campaign"].astype(str) if "campaign" in part else None
        if labels is not None and "date" in part:
            labels = labels + " · " + part["date"].dt.strftime("%d %b %Y")
        traces.append(
            go.Scattergl(
                x=part["spend"],
                y=part["conversions"],
                mode="markers",
                name=str(name),
                marker={"color": platform_color(name, position), "opacity": 0.6, "size": 6},
                text=labels,
                hovertemplate="%{text}<br>Spend $%{x:,.0f}, %{y:,.0f} conversions<extra></extra>",
            )
        )
    r_text = "r undefined" if not np.isfinite(r) else f"Pearson r = {r:.2f}"
    title = f"Spend vs conversions per {level_name} ({r_text})"
    money_axis = {"tickprefix": "$", "tickformat": ",~s"}
    return titled_figure(traces, title, axis_title("spend"), label("conversions"), 420, xaxis=money_axis)


def revenue_payout_scatter(summary: pd.DataFrame) -> go.Figure:
    """Attributed revenue vs payout per influencer with the break-even line ROAS = 1."""
    traces = [
        go.Scatter(
            x=part["payout"],
            y=part["revenue"],
            mode="markers",
            name=str(name),
            marker={"color": platform_color(name, position), "size": 9, "opacity": 0.75},
            text=[f"{n} · ROAS {metric_value('roas', r)}" for n, r in zip(part["name"], part["roas"], strict=True)],
            hovertemplate="%{text}<br>Payout $%{x:,.0f} · Revenue $%{y:,.0f}<extra></extra>",
        )
        for position, (name, part) in enumerate(summary.groupby("platform", observed=True, sort=True))
    ]
    top = float(max(summary["payout"].max(), summary["revenue"].max(), 1.0)) * 1.05
    traces.append(
        go.Scatter(
            x=[0, top],
            y=[0, top],
            mode="lines",
            name="Break-even (ROAS = 1)",
            line={"color": "#D62728", "dash": "dash"},
            hoverinfo="skip",
        )
    )
    money_axis = {"tickprefix": "$", "tickformat": ",~s", "rangemode": "tozero"}
    title = "Attributed revenue vs payout (above the line = profitable)"
    return titled_figure(
        traces, title, axis_title("payout"), axis_title("revenue"), 440, xaxis=money_axis, yaxis=money_axis
    )


def _headroom(values: pd.Series) -> float:
    """An axis top a little above the largest value (1 when everything is 0), so both axes start at 0."""
    top = float(values.max()) if len(values) else 0.0
    return top * 1.12 if top > 0 else 1.0


def timeline(frame: pd.DataFrame, name: str, freq: str) -> go.Figure:
    """Orders (bars), revenue (line, right axis) and post markers per period for one influencer."""
    posted = frame[frame["posts"] > 0]
    traces = [
        go.Bar(x=frame["period"], y=frame["orders"], name="Orders", marker_color="#9ECAE1"),
        go.Scatter(
            x=frame["period"],
            y=frame["revenue"],
            name="Revenue ($)",
            mode="lines+markers",
            line={"color": "#08519C"},
            yaxis="y2",
        ),
        go.Scatter(
            x=posted["period"],
            y=[0] * len(posted),
            mode="markers",
            name="Post published",
            marker={"symbol": "triangle-up", "size": 12, "color": "#E6550D"},
            text=[f"{int(p)} post(s)" for p in posted["posts"]],
            hovertemplate="%{x|%d %b %Y}: %{text}<extra></extra>",
        ),
    ]
    return titled_figure(
        traces,
        f"{name}: orders and revenue by {freq}",
        f"Period ({freq} starting)",
        label("orders"),
        yaxis={"range": [0, _headroom(frame["orders"])]},
        yaxis2={
            "title": {"text": axis_title("revenue")},
            "overlaying": "y",
            "side": "right",
            "tickprefix": "$",
            "tickformat": ",.0f",
            "range": [0, _headroom(frame["revenue"])],
            "showgrid": False,
        },
        bargap=0.2,
    )
