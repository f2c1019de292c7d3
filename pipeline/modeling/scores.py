"""The saved models' metadata as tables and summaries, for the models page, the report and `train --json`.

Everything here reads metadata dicts (models/NAME.json), never a model, so pages show saved numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.modeling import forecast, roi, segments


def model_label(name: str) -> str:
    """Human name of a saved model."""
    if name in roi.ROI_MODELS:
        return roi.roi_label(name)
    return {forecast.NAME: "Forecaster", segments.NAME: "Segments"}.get(name, name)


def train_summary(metadata: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The `train --json` shape: classification/regression metrics per model (with "beats_baseline") and
    the task's "baseline" entry, forecast targets, segments."""
    summary: dict[str, Any] = {"classification": {}, "regression": {}}
    for name in roi.ROI_MODELS:
        if name in metadata:
            summary[metadata[name]["task"]].update(_roi_summary(name, metadata[name]))
    if forecast.NAME in metadata:
        summary["forecast"] = forecast_summary(metadata[forecast.NAME])
    if segments.NAME in metadata:
        summary["segments"] = dict(metadata[segments.NAME]["metrics"])
    return summary


def _roi_summary(name: str, meta: dict[str, Any]) -> dict[str, Any]:
    """{name: metrics + beats_baseline, "baseline": its metrics + label + primary_metric} for train --json."""
    entry: dict[str, Any] = {}
    baseline = meta.get("baseline")
    if baseline:  # first, so the task's JSON reads baseline, then the models
        entry["baseline"] = {"label": baseline["label"], "primary_metric": baseline["primary_metric"]}
        entry["baseline"] |= baseline["metrics"]
    entry[name] = {**meta["metrics"], "beats_baseline": bool(meta.get("beats_baseline", False))}
    return entry


COMPARISON_COLUMNS = ["task", "model", "metric", "mean", "std", "is_baseline", "beats_baseline"]


def forecast_summary(meta: dict[str, Any]) -> dict[str, Any]:
    """The forecaster's `train --json` entry: r2, mape and coverage_90 per target (on campaign x ad set units
    held out whole), the spread of coverage over those units, and the coverage of daily plan totals."""
    targets = meta["metrics"]["targets"]
    spread_keys = ("coverage_90_unit_min", "coverage_90_unit_max", "units")
    return {
        "targets": {t: {k: v[k] for k in ("r2", "mape", "coverage_90")} for t, v in targets.items()},
        "unit_spread": {t: {k: v[k] for k in spread_keys if k in v} for t, v in targets.items()},
        "plan_totals": {t: v["coverage_90"] for t, v in meta["metrics"].get("plan_totals", {}).items()},
    }


def comparison_table(metadata: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per ROI model (and per task's baseline, first) x metric: mean and std over folds (NaN
    when undefined), whether the row is the baseline, and whether the model beats it (None for the
    baseline itself and for metadata saved before baselines existed)."""
    rows: list[dict[str, Any]] = []
    tasks_seen: set[str] = set()
    for name in roi.ROI_MODELS:
        meta = metadata.get(name)
        if meta is None:
            continue
        baseline = meta.get("baseline")
        if baseline and meta["task"] not in tasks_seen:
            tasks_seen.add(meta["task"])
            rows += _metric_rows(meta["task"], baseline["label"], baseline["metrics"], True, None)
        rows += _metric_rows(meta["task"], meta["label"], meta["metrics"], False, meta.get("beats_baseline"))
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _metric_rows(
    task: str, model: str, metrics: dict[str, Any], is_baseline: bool, beats: bool | None
) -> list[dict[str, Any]]:
    return [
        {
            "task": task,
            "model": model,
            "metric": metric,
            "mean": _number(value.get("mean")),
            "std": _number(value.get("std")),
            "is_baseline": is_baseline,
            "beats_baseline": beats,
        }
        for metric, value in metrics.items()
    ]


def models_not_beating_baseline(table: pd.DataFrame, task: str) -> list[str]:
    """Labels of the task's models whose saved verdict is that they do not beat the baseline."""
    part = table[(table["task"] == task) & ~table["is_baseline"].astype(bool)]
    return list(dict.fromkeys(part.loc[part["beats_baseline"].eq(False), "model"]))


PRIMARY_NAMES = {"balanced_accuracy": "balanced accuracy", "r2": "R²"}
BASELINE_RULE = (
    "Each baseline is scored on the same campaign folds. A model beats it when its per-fold gain on "
    f"{PRIMARY_NAMES[roi.PRIMARY_METRICS['classification']]} (classification) or "
    f"{PRIMARY_NAMES[roi.PRIMARY_METRICS['regression']]} (regression) is positive and larger than the gain's "
    "spread across folds. ROC AUC and PR-AUC show ranking skill; accuracy and F1 alone reward always "
    "predicting the majority class."
)


def baseline_verdict(table: pd.DataFrame, task: str) -> str | None:
    """One sentence naming the task's models that do not beat its baseline; None when every model
    beats it or the metadata has no baseline."""
    losers = models_not_beating_baseline(table, task)
    baseline = table.loc[(table["task"] == task) & table["is_baseline"].astype(bool), "model"]
    if not losers or baseline.empty:
        return None
    primary = PRIMARY_NAMES[roi.PRIMARY_METRICS[task]]
    return f"ROI {task}: no better than “{baseline.iloc[0]}” on {primary}: {', '.join(losers)}."


def verdict_text(is_baseline: bool, beats: bool | None) -> str:
    """The comparison table's "vs baseline" cell."""
    if is_baseline:
        return "the bar to beat"
    if beats is None:
        return "—"
    return "beats it" if beats else "✗ does not beat it"


COVERAGE_COLUMNS = (
    "r2",
    "mape",
    "coverage_90",
    "coverage_90_unit_min",
    "coverage_90_unit_max",
    "plan_total_coverage_90",
    "mean_width",
    "rows",
)


def coverage_table(metadata: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The forecaster's scores per target on campaign x ad set units held out whole: r2, mape, coverage_90,
    its lowest and highest over units, the coverage of daily plan totals, mean interval width, rows
    (NaN where older metadata lacks a score)."""
    metrics = metadata.get(forecast.NAME, {}).get("metrics", {})
    totals = metrics.get("plan_totals", {})
    rows = [
        {
            "target": t,
            **{k: _number(v.get(k)) for k in COVERAGE_COLUMNS},
            "plan_total_coverage_90": _number(totals.get(t, {}).get("coverage_90")),
        }
        for t, v in metrics.get("targets", {}).items()
    ]
    return pd.DataFrame(rows, columns=["target", *COVERAGE_COLUMNS])


METRIC_ORDER = ("accuracy", "balanced_accuracy", "f1", "roc_auc", "pr_auc", "mae", "rmse", "r2")


def comparison_wide(table: pd.DataFrame, task: str | None = None) -> pd.DataFrame:
    """comparison_table as one row per task x model and one "mean ± std" text column per metric
    (only the rows of `task` when given)."""
    if task is not None:
        table = table[table["task"] == task]
    if table.empty:
        return pd.DataFrame(columns=["task", "model"])
    text = table.assign(
        value=[
            "—" if np.isnan(m) else f"{m:.3f} ± {s:.3f}" if not np.isnan(s) else f"{m:.3f}"
            for m, s in zip(table["mean"], table["std"], strict=True)
        ]
    )
    wide = text.pivot(index=["task", "model"], columns="metric", values="value")
    metrics = [m for m in METRIC_ORDER if m in wide.columns]
    # Row order: each task's baseline first, then its models as they appear in the table.
    order = table.drop_duplicates(["task", "model"]).set_index(["task", "model"])
    wide = wide.reindex(order.index)[metrics].fillna("").reset_index().rename_axis(columns=None)
    verdicts = [verdict_text(bool(b), v) for b, v in zip(order["is_baseline"], order["beats_baseline"], strict=True)]
    wide.insert(2, "vs_baseline", verdicts)  # next to the model's name: the verdict must not scroll out of view
    return wide


def training_info(metadata: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the saved models were trained on and when: data folder, rows, dates, hash, newest
    creation time, scikit-learn version, ROI threshold, weekly ROI rows and campaign folds."""
    if not metadata:
        return {}
    data = next(iter(metadata.values())).get("data", {})
    roi_meta = next((metadata[n] for n in roi.ROI_MODELS if n in metadata), {})
    return {
        "source": data.get("source"),
        "rows": data.get("rows"),
        "start": data.get("start"),
        "end": data.get("end"),
        "hash": data.get("hash"),
        "created_at": max(str(m.get("created_at", "")) for m in metadata.values()),
        "sklearn": next(iter(metadata.values())).get("versions", {}).get("sklearn"),
        "threshold": roi_meta.get("threshold", roi.DEFAULT_THRESHOLD),
        "roi_rows": roi_meta.get("rows"),
        "campaigns": roi_meta.get("campaigns"),
        "folds": roi_meta.get("folds"),
        "same_data": len({m.get("data", {}).get("hash") for m in metadata.values()}) == 1,
    }


def _number(value: Any) -> float:
    """JSON null (a NaN when saved) back to NaN."""
    return float("nan") if value is None else float(value)
