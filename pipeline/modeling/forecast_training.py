"""Training the saved forecaster: score the method on whole held-out campaign x ad set units, then fit on all.

The scores are pooled over HOLDOUT_FOLDS folds of units (GroupKFold), each unit held out once: with tens of
units a single 20% split holds out a handful, and one unit's own effect swings the coverage (0.69-1.00 on
the 5-unit demo). Each fold's model calibrates on its own training units only (cross-conformal by unit).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, KFold

from pipeline.modeling import features, intervals
from pipeline.modeling.forecast import (
    MAX_TRAINING_ROWS,
    RANDOM_STATE,
    Forecaster,
    Progress,
    fit_forecaster,
    known_categories,
)
from pipeline.modeling.forecast_scores import coverage_by_spend, evaluate_forecaster, evaluate_totals

HOLDOUT_FOLDS = 3


def holdout_folds(
    data: pd.DataFrame, folds: int = HOLDOUT_FOLDS, random_state: int = RANDOM_STATE
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row positions per fold: whole units held out when there are at least two, else rows.
    `random_state` shuffles the units; bench/plan_totals_study.py repeats the split with other shuffles, since
    one fold's plan totals are one draw of its units' effects."""
    if "unit" in data.columns and data["unit"].nunique() >= 2:
        # Shuffled: in name order, folds of equal-sized units would each hold out one ad set whole.
        splitter = GroupKFold(min(folds, data["unit"].nunique()), shuffle=True, random_state=random_state)
        return list(splitter.split(data, groups=data["unit"]))
    return list(KFold(folds, shuffle=True, random_state=random_state).split(data))


def pooled_scores(data: pd.DataFrame, progress: Progress | None = None, folds: int = HOLDOUT_FOLDS) -> dict[str, Any]:
    """Held-out scores pooled over holdout_folds: per target (evaluate_forecaster), per spend tercile, and
    the coverage of daily plan totals (each fold's held-out lines summed per day, when there is a date)."""
    known = known_categories(data, features.FORECAST_CATEGORICAL)
    tests, predictions, totals, model = [], [], [], None
    splits = holdout_folds(data, folds)
    for k, (train, test) in enumerate(splits):
        if progress:
            progress(f"Forecaster: scoring on held-out units ({k + 1} of {len(splits)})")
        model = fit_forecaster(data.iloc[train], known=known)
        held = data.iloc[test]
        tests.append(held)
        predictions.append(model.predict(held))
        if "date" in held.columns:
            totals.append(evaluate_totals(model, held))
    test, predicted = pd.concat(tests), pd.concat(predictions)
    out = {
        "targets": evaluate_forecaster(model, test, predicted),
        "by_spend": coverage_by_spend(model, test, predicted=predicted),
        "rows": len(test),
        "folds": len(tests),
    }
    if totals:
        out["plan_totals"] = {t: _pool_days([fold[t] for fold in totals]) for t in totals[0]}
    return out


def _pool_days(folds: list[dict[str, float]]) -> dict[str, float]:
    days = sum(f["days"] for f in folds)
    return {
        "coverage_90": float(sum(f["coverage_90"] * f["days"] for f in folds) / days) if days else float("nan"),
        "days": days,
        "lines_per_day": float(np.mean([f["lines_per_day"] for f in folds])),
    }


def train_forecaster(campaigns: pd.DataFrame, progress: Progress | None = None) -> tuple[Forecaster, dict[str, Any]]:
    """Score the method on held-out units (pooled_scores), then fit the saved model on every row; (model, metadata)."""
    data = features.forecast_frame(campaigns)
    if len(data) > MAX_TRAINING_ROWS:
        data = data.sample(MAX_TRAINING_ROWS, random_state=RANDOM_STATE)
    scores = pooled_scores(data, progress)
    forecaster = fit_forecaster(data, progress=progress)
    forecaster.metrics = scores["targets"]
    meta = {
        "kind": "forecaster",
        "features": list(features.FORECAST_FEATURES),
        "targets": list(forecaster.targets),
        "metrics": {
            "targets": scores["targets"],
            **({"plan_totals": scores["plan_totals"]} if "plan_totals" in scores else {}),
        },
        "coverage_by_spend_tercile": scores["by_spend"],
        "intervals": {
            "coverage": intervals.COVERAGE,
            "method": "cross-conformal by campaign x ad set on log1p scale around a monotonic Poisson boosting "
            "model, per volume bin; plan totals calibrated on random daily plans of held-out units, plus the spread of "
            "held-out units' persistent levels",
            "bands": {
                t: {"edges": m.band.edges, "lower": m.band.lower, "upper": m.band.upper}
                for t, m in forecaster.models.items()
            },
            "total_calibration": {t: dataclasses.asdict(c) for t, c in forecaster.total_calibration.items()},
        },
        "split": {
            "method": "campaign x ad set units held out whole" if "unit" in data else "random rows",
            "folds": scores["folds"],
            "test_rows": scores["rows"],
            "units": int(data["unit"].nunique()) if "unit" in data else None,
            "seed": RANDOM_STATE,
            "saved_model": "fitted on every row after scoring",
        },
        "categories": forecaster.categories,
        "spend_range": list(forecaster.spend_range),
        "spend_limits": dict(forecaster.spend_limits),
    }
    return forecaster, meta
