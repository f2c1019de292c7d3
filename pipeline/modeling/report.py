"""A static HTML report: KPI distributions, segments, model comparison and data notes.

Charts are drawn with matplotlib/seaborn on the Agg backend and embedded as base64 PNG, so the
report is one self-contained file. Every number comes from the pipeline (kpis, segments) or from the
saved models' metadata.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # the Agg backend is chosen above, before pyplot loads
import numpy as np
import pandas as pd
import seaborn as sns

from pipeline import kpis
from pipeline.modeling import forecast, roi, scores, segments

DPI = 90
KPI_COLUMNS = ("ctr", "cpc", "cpa", "roi")
KPI_TITLES = {
    "ctr": "CTR (clicks / impressions)",
    "cpc": "CPC ($)",
    "cpa": "CPA ($)",
    "roi": "ROI ((revenue − spend) / spend)",
}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; } .note { color: #555; font-size: 0.9rem; }
"""


def figure_to_img(figure: plt.Figure, alt: str) -> str:
    """An <img> tag holding the figure as a base64 PNG; closes the figure."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def weekly_unit_kpis(campaigns: pd.DataFrame) -> pd.DataFrame:
    """CTR, CPC, CPA and ROI per campaign x ad set x week (ratios of sums; NaN when undefined)."""
    keys = segments.unit_keys(campaigns)
    weekly = campaigns.assign(week=campaigns["date"].dt.to_period("W-SUN").dt.start_time)
    return kpis.kpi_table(weekly, [*keys, "week"])


def kpi_distribution_chart(campaigns: pd.DataFrame) -> str:
    table = weekly_unit_kpis(campaigns)
    figure, axes = plt.subplots(1, 4, figsize=(14, 3.2))
    for axis, column in zip(axes, KPI_COLUMNS, strict=True):
        values = table[column].replace([np.inf, -np.inf], np.nan).dropna() if column in table else pd.Series()
        if values.empty:
            axis.text(0.5, 0.5, "undefined", ha="center")
        else:
            sns.histplot(values, bins=40, ax=axis, color="#4C72B0")
        axis.set_title(KPI_TITLES[column], fontsize=10)
        axis.set_xlabel("")
    figure.suptitle("Weekly KPIs per campaign x ad set", y=1.04)
    return figure_to_img(figure, "KPI distributions")


def segment_charts(result: segments.SegmentResult) -> tuple[str, str]:
    """(profile bar chart, pairplot of the clustering features) as <img> tags."""
    profiles = result.profiles
    figure, axes = plt.subplots(1, 4, figsize=(14, 3.4))
    palette = sns.color_palette("tab10", len(profiles))
    for axis, column in zip(axes, KPI_COLUMNS, strict=True):
        axis.barh(profiles["label"], profiles[column], color=palette)
        axis.set_title(KPI_TITLES[column], fontsize=10)
        axis.invert_yaxis()
    for axis in axes[1:]:
        axis.set_yticklabels([])
    figure.suptitle("Segment profiles (ratios of each segment's sums)", y=1.04)
    bars = figure_to_img(figure, "Segment profiles")
    scaled = segments.transformed_features(result.assignments).assign(segment=result.assignments["label"].to_numpy())
    grid = sns.pairplot(scaled, hue="segment", corner=True, height=2.1, plot_kws={"s": 25})
    grid.figure.suptitle("Clustering features by segment", y=1.02)
    return bars, figure_to_img(grid.figure, "Segment pairplot")


def comparison_chart(table: pd.DataFrame) -> str:
    figure, axes = plt.subplots(1, 2, figsize=(13, 3.6))
    for axis, task in zip(axes, ("classification", "regression"), strict=True):
        part = table[table["task"] == task]
        if part.empty:
            axis.set_axis_off()
            continue
        models = list(dict.fromkeys(part["model"]))  # the baseline first, as in the table
        wide = part.pivot(index="metric", columns="model", values="mean")[models]
        errors = part.pivot(index="metric", columns="model", values="std").reindex_like(wide)
        wide.plot.bar(ax=axis, yerr=errors, rot=0, capsize=3, color=_bar_colors(part, models))
        axis.set_title(f"ROI {task}: mean ± std over campaign folds", fontsize=10)
        axis.axhline(0, color="#333", linewidth=0.8)
        axis.set_xlabel("")
    return figure_to_img(figure, "Model comparison")


def _bar_colors(part: pd.DataFrame, models: list[str]) -> list[str]:
    """Grey for the baseline, tab10 colours for the models."""
    baselines = set(part.loc[part["is_baseline"].astype(bool), "model"])
    palette = sns.color_palette("tab10").as_hex()
    return ["#9E9E9E" if m in baselines else palette[i % len(palette)] for i, m in enumerate(models)]


def baseline_verdicts(table: pd.DataFrame) -> str:
    """Per task, the models that do not beat its baseline (or that every model does), and the rule."""
    notes = []
    for task in ("classification", "regression"):
        if table[(table["task"] == task) & table["is_baseline"].astype(bool)].empty:
            continue
        notes.append(scores.baseline_verdict(table, task) or f"ROI {task}: every model beats its baseline.")
    notes.append(scores.BASELINE_RULE)
    return "".join(f'<p class="note">{html.escape(n)}</p>' for n in notes)


def _table(frame: pd.DataFrame, formats: dict[str, str] | None = None) -> str:
    shown = frame.copy()
    for column, pattern in (formats or {}).items():
        if column in shown:
            shown[column] = shown[column].map(lambda v, p=pattern: "—" if pd.isna(v) else p.format(v))
    return shown.to_html(index=False, escape=True, na_rep="—", border=0)


def data_notes(campaigns: pd.DataFrame, metadata: dict[str, dict[str, Any]], result: segments.SegmentResult) -> str:
    forecaster = metadata.get(forecast.NAME, {})
    info = forecaster.get("data", {})
    any_roi = next((metadata[n] for n in roi.ROI_MODELS if n in metadata), {})
    zero_spend = int((campaigns["spend"] <= 0).sum())
    notes = [
        f"Data: {len(campaigns):,} daily rows from {info.get('start')} to {info.get('end')} "
        f"(folder {info.get('source')}, content hash {str(info.get('hash', ''))[:12]}…).",
        f"Models trained at {forecaster.get('created_at', '—')} with scikit-learn "
        f"{forecaster.get('versions', {}).get('sklearn', '—')}.",
        f"{zero_spend:,} zero-spend rows have no ROI and are left out of the ROI models; those models use "
        f"{any_roi.get('rows', 0):,} weekly campaign x ad set x device rows, only pre-launch inputs "
        f"({', '.join(any_roi.get('features', []))}), and {any_roi.get('folds', '—')}-fold GroupKFold by campaign.",
        f"Classification label: ROI > {any_roi.get('threshold', roi.DEFAULT_THRESHOLD):g}.",
        f"Segments: {len(result.assignments)} campaign x ad set units, k = {result.k} chosen by silhouette "
        f"({result.score:.3f}); {len(result.excluded)} units without spend, clicks or conversions left out.",
    ]
    return "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>"


def build_report(campaigns: pd.DataFrame, metadata: dict[str, dict[str, Any]]) -> str:
    """The whole report as one HTML string (campaigns: the table the models were trained on)."""
    result = segments.segment_campaigns(campaigns)
    comparison = scores.comparison_table(metadata)
    bars, pairs = segment_charts(result)
    profile_formats = {
        "spend": "${:,.0f}",
        "spend_share": "{:.1%}",
        "ctr": "{:.2%}",
        "cpc": "${:.2f}",
        "cpa": "${:.2f}",
    }
    profile_formats |= {"roi": "{:.1%}", "roas": "{:.2f}x"}
    sections = [
        "<h1>Campaign analytics report</h1>",
        "<h2>KPI distributions</h2>",
        kpi_distribution_chart(campaigns),
        "<h2>Segments</h2>",
        _table(result.profiles.drop(columns="segment"), profile_formats),
        bars,
        pairs,
        "<h2>ROI models</h2>",
        baseline_verdicts(comparison),
        _table(scores.comparison_wide(comparison)),
        comparison_chart(comparison),
        "<h2>Forecaster (held-out rows)</h2>",
        _table(scores.coverage_table(metadata), {"r2": "{:.3f}", "mape": "{:.1%}", "coverage_90": "{:.1%}"}),
        "<h2>Data notes</h2>",
        data_notes(campaigns, metadata, result),
    ]
    body = "\n".join(sections)
    head = f'<meta charset="utf-8"><title>Campaign analytics report</title><style>{STYLE}</style>'
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"
