"""Plotly figures for the planner page (pure builders; no Streamlit)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

BEYOND_FILL = "rgba(127,127,127,0.18)"


def response_curve(curve: pd.DataFrame, target: str, current_spend: float, breakeven: float) -> go.Figure:
    """The predicted `target` against spend with its 90% band, the current spend and the break-even; the
    spend beyond what the data supports is shaded and the curve stops there (its values are NaN)."""
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=curve["spend"], y=curve[f"{target}_hi"], line={"width": 0}, showlegend=False))
    figure.add_trace(
        go.Scatter(
            x=curve["spend"],
            y=curve[f"{target}_lo"],
            fill="tonexty",
            line={"width": 0},
            name="90% interval",
            fillcolor="rgba(31,119,180,0.2)",
        )
    )
    figure.add_trace(
        go.Scatter(x=curve["spend"], y=curve[target], name=f"predicted {target}", line={"color": "#1f77b4"})
    )
    if "extrapolated" in curve and curve["extrapolated"].any():
        limit = float(curve["supported_spend"].iloc[0])
        figure.add_vrect(
            x0=limit,
            x1=float(curve["spend"].max()),
            fillcolor=BEYOND_FILL,
            line_width=0,
            annotation_text="beyond the data: no prediction",
            annotation_position="top right",
        )
    figure.add_vline(
        x=current_spend, line_dash="dash", annotation_text="current spend", annotation_position="bottom right"
    )
    if breakeven == breakeven:  # not NaN
        figure.add_vline(x=breakeven, line_dash="dot", line_color="#d62728", annotation_text="marginal ROAS < 1")
    figure.update_layout(xaxis_title="daily spend ($)", yaxis_title=target, height=360, margin={"t": 30, "b": 40})
    return figure
