"""Plotly figure builders for the segments and models pages: frames and saved metadata in, figures out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pipeline.modeling.segments import FEATURE_NAMES, FEATURES
from ui.charts.base import marker_trace, titled_figure

SEGMENT_COLORS = ("#1A9850", "#4C78A8", "#F58518", "#B279A2", "#E45756", "#72B7B2", "#9D755D", "#BAB0AC")
MODEL_COLORS = ("#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2")
# Below the plot: long model names at the top collide with the title in narrow columns.
LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0.0}
METRIC_NAMES = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "f1": "F1",
    "roc_auc": "ROC AUC",
    "pr_auc": "PR-AUC",
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R²",
}
BASELINE_COLOR = "#9E9E9E"  # grey: the bar to beat, not a contender


def _figure(
    traces: Sequence[Any], title: str, x_title: str, y_title: str, height: int = 400, **layout: Any
) -> go.Figure:
    """ui.charts.base.titled_figure with the legend below the plot, where the model charts have room for it."""
    return titled_figure(traces, title, x_title, y_title, height=height, legend=LEGEND, **layout)


def segment_color(segment: int) -> str:
    return SEGMENT_COLORS[int(segment) % len(SEGMENT_COLORS)]


def segment_scatter(assignments: pd.DataFrame, note: str = "") -> go.Figure:
    """ROI vs CPC per campaign x ad set, coloured by segment, with the unit's name on hover. `note` is appended to
    the title (ui.format.estimated_note: what an estimated ROI rests on)."""
    traces = []
    for (segment, label), part in assignments.groupby(["segment", "label"], sort=True):
        marker = {"color": segment_color(segment), "size": 11, "line": {"width": 1, "color": "#FFFFFF"}}
        hover = (
            "<b>%{text}</b><br>CPC $%{x:,.2f} · ROI %{y:.1%}<br>Spend $%{customdata[0]:,.0f} · "
            "CTR %{customdata[1]:.2%} · CPA $%{customdata[2]:,.2f}<extra>%{fullData.name}</extra>"
        )
        extra = {"text": part["name"], "customdata": np.column_stack([part["spend"], part["ctr"], part["cpa"]])}
        traces.append(marker_trace(part, "cpc", "roi", label, marker, hover, **extra))
    return _figure(
        traces,
        f"ROI vs CPC per campaign x ad set{note}",
        "CPC (spend / clicks, $)",
        "ROI ((revenue − spend) / spend)",
        height=460,
        xaxis={"tickprefix": "$"},
        yaxis={"tickformat": ".0%", "zeroline": True},
    )


def scatter_matrix(assignments: pd.DataFrame) -> go.Figure:
    """All pairs of CTR, CPC, CPA and ROI, coloured by segment."""
    traces = []
    for (segment, label), part in assignments.groupby(["segment", "label"], sort=True):
        traces.append(
            go.Splom(
                dimensions=[{"label": FEATURE_NAMES[f], "values": part[f]} for f in FEATURES],
                name=str(label),
                text=part["name"],
                marker={"color": segment_color(segment), "size": 7},
                diagonal={"visible": False},
                showupperhalf=False,
            )
        )
    return _figure(traces, "Scatter matrix of the segment features (ratios of sums)", "", "", height=620)


def silhouette_line(scores: pd.DataFrame, best_k: int) -> go.Figure:
    """Silhouette score per k, the chosen k highlighted."""
    line = go.Scatter(
        x=scores["k"],
        y=scores["silhouette"],
        mode="lines+markers",
        marker={"size": [14 if k == best_k else 8 for k in scores["k"]]},
        hovertemplate="k = %{x}: silhouette %{y:.3f}<extra></extra>",
    )
    return _figure([line], f"Silhouette by k (chosen: {best_k})", "Number of segments k", "Silhouette", height=320)


def metric_bars(comparison: pd.DataFrame, task: str) -> go.Figure:
    """Mean ± std over folds of each metric, one bar per model (scores.comparison_table rows); the
    baseline in grey, and models that do not beat it named so in the legend."""
    part = comparison[comparison["task"] == task]
    traces = []
    for i, (model, rows) in enumerate(part.groupby("model", sort=False)):
        is_baseline = bool(rows["is_baseline"].iloc[0])
        loses = rows["beats_baseline"].iloc[0] is False
        traces.append(
            go.Bar(
                x=[METRIC_NAMES.get(m, m) for m in rows["metric"]],
                y=rows["mean"],
                name=f"{model} (does not beat baseline)" if loses else str(model),
                marker_color=BASELINE_COLOR if is_baseline else MODEL_COLORS[i % len(MODEL_COLORS)],
                marker_pattern_shape="/" if loses else "",
                error_y={"type": "data", "array": rows["std"].fillna(0).to_numpy()},
                hovertemplate="%{x}: %{y:.3f}<extra>%{fullData.name}</extra>",
            )
        )
    return _figure(traces, f"ROI {task} (mean ± std over folds)", "", "Score", barmode="group")


def roc_curves(curves: Mapping[str, Mapping[str, Any] | None]) -> go.Figure:
    """Out-of-fold ROC curve per model ({label: {"fpr", "tpr", "auc"} or None})."""
    traces: list[Any] = [
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="Chance", line={"dash": "dot", "color": "#999999"})
    ]
    for i, (label, roc) in enumerate(curves.items()):
        if not roc:
            continue
        traces.append(
            go.Scatter(
                x=roc["fpr"],
                y=roc["tpr"],
                mode="lines",
                name=f"{label} (AUC {roc['auc']:.3f})",
                line={"color": MODEL_COLORS[i % len(MODEL_COLORS)]},
            )
        )
    return _figure(traces, "ROC curve (out-of-fold)", "False positive rate", "True positive rate", height=420)


def confusion_heatmap(matrix: Sequence[Sequence[int]], threshold: float, label: str) -> go.Figure:
    """2x2 out-of-fold confusion matrix (rows actual, columns predicted)."""
    names = [f"ROI ≤ {threshold:g}", f"ROI > {threshold:g}"]
    values = np.asarray(matrix)
    cells = go.Heatmap(
        z=values,
        x=names,
        y=names,
        text=[[f"{v:,}" for v in row] for row in values],
        texttemplate="%{text}",
        colorscale="Blues",
        showscale=False,
        hovertemplate="Actual %{y}, predicted %{x}: %{text}<extra></extra>",
    )
    return _figure(
        [cells], f"Confusion matrix: {label}", "Predicted", "Actual", height=380, yaxis={"autorange": "reversed"}
    )


def predicted_vs_actual(sample: Mapping[str, Sequence[float]], label: str) -> go.Figure:
    """Out-of-fold predicted vs actual ROI for a sample of rows, with the y = x line."""
    actual, predicted = np.asarray(sample["actual"]), np.asarray(sample["predicted"])
    finite = np.concatenate([actual, predicted])
    lo, hi = (float(np.nanmin(finite)), float(np.nanmax(finite))) if finite.size else (0.0, 1.0)
    traces = [
        go.Scatter(x=actual, y=predicted, mode="markers", name="Rows", marker={"opacity": 0.55, "color": "#4C78A8"}),
        go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="Perfect", line={"dash": "dot", "color": "#999999"}),
    ]
    return _figure(
        traces,
        f"Predicted vs actual weekly ROI: {label} (out-of-fold)",
        "Actual ROI",
        "Predicted ROI",
        xaxis={"tickformat": ".0%"},
        yaxis={"tickformat": ".0%"},
    )


def importance_bars(importance: Mapping[str, Any], label: str) -> go.Figure:
    """Permutation importance (mean ± std drop in the score) per input column."""
    frame = pd.DataFrame({"feature": importance["feature"], "mean": importance["mean"], "std": importance["std"]})
    frame = frame.sort_values("mean")
    bar = go.Bar(
        x=frame["mean"],
        y=frame["feature"],
        orientation="h",
        error_x={"type": "data", "array": frame["std"].to_numpy()},
        marker_color="#4C78A8",
        hovertemplate="%{y}: %{x:.4f}<extra></extra>",
    )
    scoring = str(importance.get("scoring", "score")).replace("_", " ").upper()
    return _figure([bar], f"Permutation importance: {label}", f"Drop in {scoring} when shuffled", "", height=360)


def coverage_bars(coverage: pd.DataFrame, nominal: float = 0.90) -> go.Figure:
    """Held-out coverage of the 90% interval per target, with the 85–95% acceptance band."""
    bar = go.Bar(
        x=coverage["target"],
        y=coverage["coverage_90"],
        marker_color=["#54A24B" if 0.85 <= v <= 0.95 else "#E45756" for v in coverage["coverage_90"]],
        hovertemplate="%{x}: %{y:.1%}<extra></extra>",
    )
    figure = _figure(
        [bar],
        "Held-out rows inside the 90% interval",
        "Target",
        "Coverage",
        height=360,
        yaxis={"tickformat": ".0%", "range": [0, 1]},
        shapes=[
            {
                "type": "rect",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": 0.85,
                "y1": 0.95,
                "fillcolor": "#54A24B",
                "opacity": 0.12,
                "line": {"width": 0},
            },
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": nominal,
                "y1": nominal,
                "line": {"dash": "dot", "color": "#333333"},
            },
        ],
    )
    return figure
