"""Charts of the influencer pages: attributed revenue against payout, one influencer's timeline, and the
incrementality test (iROAS per slice with its interval, revenue per user by group, the breakdown table).
Frames in, figures out; no Streamlit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pipeline.influencers.tracking import buyers_note
from ui import format as fmt
from ui.charts.base import MARGIN, marker_trace, money_axis, period_axis, platform_color, titled_figure

GROUP_COLORS = {"Exposed": "#1f77b4", "Control": "#9e9e9e"}
BREAK_EVEN = 1.0  # $1 of extra revenue per $1 of payout
ROW_HEIGHT = 24  # pixels per forest-plot row, so long lists stay readable


# ---------------------------------------------------------------- attribution


def revenue_payout_scatter(summary: pd.DataFrame) -> go.Figure:
    """Attributed revenue vs payout per influencer with the break-even line ROAS = 1."""
    hover = "%{text}<br>Payout $%{x:,.0f} · Revenue $%{y:,.0f}<extra></extra>"
    traces = [
        marker_trace(
            part,
            "payout",
            "revenue",
            name,
            {"color": platform_color(name, position), "size": 9, "opacity": 0.75},
            hover,
            text=[f"{n} · ROAS {fmt.metric_value('roas', r)}" for n, r in zip(part["name"], part["roas"], strict=True)],
        )
        for position, (name, part) in enumerate(summary.groupby("platform", observed=True, sort=True))
    ]
    top = float(max(summary["payout"].max(), summary["revenue"].max(), 1.0)) * 1.05
    traces.append(
        go.Scatter(
            x=[0, top],
            y=[0, top],
            mode="lines",
            name="Break-even on revenue (ROAS = 1)",
            line={"color": "#D62728", "dash": "dash"},
            hoverinfo="skip",
        )
    )
    axis = {**money_axis([0.0, top]), "range": [0, top]}  # one scale on both axes, so the line sits at 45°
    title = "Attributed revenue vs payout (above the line = revenue exceeds payout)"
    return titled_figure(
        traces, title, fmt.axis_title("payout"), fmt.axis_title("revenue"), 440, xaxis=axis, yaxis=axis
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
        fmt.label("orders"),
        xaxis=period_axis(frame["period"], freq),
        yaxis={"range": [0, _headroom(frame["orders"])]},
        yaxis2={
            "title": {"text": fmt.axis_title("revenue")},
            "overlaying": "y",
            "side": "right",
            **money_axis([0.0, _headroom(frame["revenue"])]),
            "range": [0, _headroom(frame["revenue"])],
            "showgrid": False,
        },
        bargap=0.2,
    )


# ---------------------------------------------------------------- incrementality


def forest_plot(frame: pd.DataFrame, dimension: str, break_even: float = BREAK_EVEN) -> go.Figure:
    """iROAS with its interval per row of a breakdown, sorted, with the break-even line (1x on revenue; 1/margin
    on gross profit, verdict.break_even_iroas).

    `frame` has label, iroas, iroas_ci_low, iroas_ci_high, p_value; rows without an estimate are left out
    and counted in the title.
    """
    shown = frame.dropna(subset=["iroas"]).sort_values("iroas", kind="stable")
    omitted = len(frame) - len(shown)
    low = (shown["iroas"] - shown["iroas_ci_low"]).clip(lower=0).fillna(0)
    high = (shown["iroas_ci_high"] - shown["iroas"]).clip(lower=0).fillna(0)
    colors = np.where(
        shown["iroas_ci_low"] > break_even, "#2e7d32", np.where(shown["iroas_ci_high"] < break_even, "#c62828", "#555")
    )
    hover = [
        f"{label}<br>iROAS {fmt.precise_multiple(v)} ({fmt.precise_multiple(lo)}–{fmt.precise_multiple(hi)})"
        f"<br>p-value {fmt.p_value(p)}"
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
    label = f"break-even {fmt.precise_multiple(break_even)}"
    figure.add_vline(x=break_even, line_dash="dash", line_color="#c62828", annotation_text=label)
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
    """Left: share of users who bought, per group. Right: revenue per buyer, per group (share of buyers). The title
    says who bought as the data says it (tracking.buyers_note), never "most users buy nothing" when untrue."""
    note = buyers_note(buyers)
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
        title=f"Revenue per user by group ({note})" if note else "Revenue per user by group",
        barmode="group",
        bargap=0.05,
        height=360,
        margin=MARGIN,
        legend={"orientation": "h", "y": -0.2},
    )
    figure.update_yaxes(tickformat=".0%", row=1, col=1, title="Share of users")
    figure.update_yaxes(tickformat=".0%", row=1, col=2, title="Share of buyers")
    revenue_axis = money_axis(pd.concat([histogram["bin_low"], histogram["bin_high"]])) if len(histogram) else {}
    figure.update_xaxes(row=1, col=2, title="Revenue per buyer ($, top bin holds the tail)", **revenue_axis)
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
            "iROAS": frame["iroas"].map(fmt.precise_multiple),
            "95% interval": [
                f"{fmt.precise_multiple(lo)} – {fmt.precise_multiple(hi)}"
                for lo, hi in zip(frame["iroas_ci_low"], frame["iroas_ci_high"], strict=True)
            ],
            "p-value": frame["p_value"].map(fmt.p_value),
            "Note": frame["note"],
        }
    )
