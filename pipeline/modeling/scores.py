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
    """The `train --json` shape: classification/regression metrics per model, forecast targets, segments."""
    summary: dict[str, Any] = {"classification": {}, "regression": {}}
    for name in roi.ROI_MODELS:
        if name in metadata:
            summary["classification" if name in roi.CLASSIFIERS else "regression"][name] = metadata[name]["metrics"]
    if forecast.NAME in metadata:
        targets = metadata[forecast.NAME]["metrics"]["targets"]
        summary["forecast"] = {
            "targets": {t: {k: v[k] for k in ("r2", "mape", "coverage_90")} for t, v in targets.items()},
        }
    if segments.NAME in metadata:
        summary["segments"] = dict(metadata[segments.NAME]["metrics"])
    return summary


def comparison_table(metadata: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per ROI model: task, model, metric, mean and std over folds (NaN when undefined)."""
    rows = []
    for name in roi.ROI_MODELS:
        meta = metadata.get(name)
        if meta is None:
            continue
        for metric, value in meta["metrics"].items():
            rows.append(
                {
                    "task": meta["task"],
                    "model": meta["label"],
                    "metric": metric,
                    "mean": _number(value.get("mean")),
                    "std": _number(value.get("std")),
                }
            )
    return pd.DataFrame(rows, columns=["task", "model", "metric", "mean", "std"])


def coverage_table(metadata: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The forecaster's held-out scores per target: r2, mape, coverage_90, mean interval width."""
    targets = metadata.get(forecast.NAME, {}).get("metrics", {}).get("targets", {})
    rows = [
        {"target": t, **{k: _number(v.get(k)) for k in ("r2", "mape", "coverage_90", "mean_width", "rows")}}
        for t, v in targets.items()
    ]
    return pd.DataFrame(rows, columns=["target", "r2", "mape", "coverage_90", "mean_width", "rows"])


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
    wide = text.pivot(index=["task", "model"], columns="metric", values="value").reset_index()
    metrics = [m for m in ("accuracy", "f1", "roc_auc", "mae", "rmse", "r2") if m in wide.columns]
    return wide[["task", "model", *metrics]].fillna("").rename_axis(columns=None)


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
