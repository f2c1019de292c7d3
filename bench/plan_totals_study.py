"""How often the forecaster's 90% interval of a daily plan total covers the actual total, per seed and target.

    python -m bench.plan_totals_study [--seeds 42 7 11] [--rows 50000] [--every-nth-day 1]

For each seed the generator's campaign table is split as `train` splits it (forecast_training.holdout_folds:
campaign x ad set units held out whole), each fold's model is fitted on the other units (its totals calibrated
on its own training units only) and every held-out line of a day is summed (forecast_scores.evaluate_totals).
Printed per target: the pooled coverage over held-out days (what `train --json` reports as plan_totals), the
coverage per fold, and the lines' own coverage. Each fold's held-out units carry one draw of the errors they
share (their own effects and the fold model's bias on them): with three folds the pooled figure rests on three
such draws, so the per-fold column shows how much of the spread is that draw rather than the calibration.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import pandas as pd

import data_generation
from pipeline.inputs import demo
from pipeline.modeling import features, forecast_training
from pipeline.modeling.forecast import fit_forecaster, known_categories
from pipeline.modeling.forecast_scores import evaluate_forecaster, evaluate_totals

SEEDS = (42, 7, 11)
ROWS = 50_000


def seed_frame(seed: int, rows: int = ROWS, every_nth_day: int = 1) -> pd.DataFrame:
    """The forecaster's training frame from the generator's campaign table (every n-th day of the year)."""
    campaigns = demo.tidy_campaigns(pd.concat(data_generation.campaign_chunks(seed, rows), ignore_index=True))
    return features.forecast_frame(campaigns[campaigns["date"].dt.day_of_year % every_nth_day == 0])


def seed_study(data: pd.DataFrame, folds: int = forecast_training.HOLDOUT_FOLDS) -> dict[str, dict[str, Any]]:
    """Per target: pooled plan-total coverage over held-out days, per-fold coverage, the lines' coverage and R²."""
    known = known_categories(data, features.FORECAST_CATEGORICAL)
    totals: dict[str, list[dict[str, float]]] = {}
    tests, predictions, model = [], [], None
    for train, test in forecast_training.holdout_folds(data, folds):
        model = fit_forecaster(data.iloc[train], known=known)
        held = data.iloc[test]
        tests.append(held)
        predictions.append(model.predict(held))
        for target, scores in evaluate_totals(model, held).items():
            totals.setdefault(target, []).append(scores)
    lines = evaluate_forecaster(model, pd.concat(tests), pd.concat(predictions))
    return {
        target: {
            "plan_totals": forecast_training._pool_days(by_fold)["coverage_90"],
            "by_fold": [round(f["coverage_90"], 3) for f in by_fold],
            "lines": lines[target]["coverage_90"],
            "r2": lines[target]["r2"],
            "lines_per_day": forecast_training._pool_days(by_fold)["lines_per_day"],
        }
        for target, by_fold in totals.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--every-nth-day", type=int, default=1)
    args = parser.parse_args(argv)
    inside = 0
    cells = 0
    for seed in args.seeds:
        started = time.perf_counter()
        study = seed_study(seed_frame(seed, args.rows, args.every_nth_day))
        seconds = time.perf_counter() - started
        print(f"seed {seed} ({seconds:.0f} s)")
        for target, row in study.items():
            ok = 0.85 <= row["plan_totals"] <= 0.95
            inside += ok
            cells += 1
            print(
                f"  {target:<12} plan totals {row['plan_totals']:.3f} {'in' if ok else 'OUT'}  "
                f"by fold {row['by_fold']}  lines {row['lines']:.3f}  R² {row['r2']:.3f}  "
                f"({row['lines_per_day']:.1f} lines a day)"
            )
    print(f"{inside} of {cells} seed x target plan-total coverages in 0.85-0.95")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
