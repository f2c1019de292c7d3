"""How well the forecaster does on held-out data: row scores, coverage per unit and per spend tercile, and
the coverage of daily plan totals. Also the interval of a total of lines (the planner's plan totals).

Only duck-typed use of the Forecaster here (its predict, targets and total_calibration), so that
pipeline.modeling.forecast can import this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.metrics import r2_score

from pipeline.modeling import intervals

if TYPE_CHECKING:
    from pipeline.modeling.forecast import Forecaster


def total_interval(
    forecaster: Forecaster, target: str, predicted: pd.DataFrame, units: np.ndarray | None = None
) -> tuple[float, float]:
    """The 90% interval of the sum of `predicted` lines' `target` (T, T_lo, T_hi columns); `units` labels
    the lines that share a campaign x ad set (each line its own when None)."""
    calibration = forecaster.total_calibration.get(target, intervals.UNCALIBRATED)
    point, lo, hi = (predicted[f"{target}{s}"].to_numpy(dtype="float64") for s in ("", "_lo", "_hi"))
    return intervals.total_bounds(point, lo, hi, calibration, units)


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean |actual − predicted| / actual over rows with actual > 0 (a fraction); NaN if there are none."""
    positive = actual > 0
    if not positive.any():
        return float("nan")
    return float(np.mean(np.abs(actual[positive] - predicted[positive]) / actual[positive]))


def evaluate_forecaster(
    forecaster: Forecaster, test: pd.DataFrame, predicted: pd.DataFrame | None = None
) -> dict[str, dict[str, float]]:
    """Per target on held-out rows: r2 (point, original scale), mape (rows with actual > 0),
    coverage_90 (share of rows inside [T_lo, T_hi]), mean interval width and row count; with a `unit`
    column also the lowest and highest coverage of one unit (campaign · ad set) and the unit count.
    `predicted` (aligned with `test`) replaces the forecaster's predictions, e.g. pooled over folds."""
    predicted = forecaster.predict(test) if predicted is None else predicted
    units = test["unit"].to_numpy() if "unit" in test.columns else None
    out = {}
    for target in forecaster.targets:
        actual = test[target].to_numpy(dtype="float64")
        point = predicted[target].to_numpy()
        lo, hi = predicted[f"{target}_lo"].to_numpy(), predicted[f"{target}_hi"].to_numpy()
        inside = (actual >= lo) & (actual <= hi)
        out[target] = {
            "r2": float(r2_score(actual, point)) if len(actual) > 1 else float("nan"),
            "mape": mape(actual, point),
            "coverage_90": float(np.mean(inside)),
            "mean_width": float(np.mean(hi - lo)),
            "rows": len(actual),
        }
        if units is not None:
            per_unit = pd.Series(inside).groupby(units).mean()
            out[target] |= {
                "coverage_90_unit_min": float(per_unit.min()),
                "coverage_90_unit_max": float(per_unit.max()),
                "units": len(per_unit),
            }
    return out


def evaluate_totals(forecaster: Forecaster, test: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per target, how often the 90% interval of each day's total (all of `test`'s lines that day, which
    needs a `date` column; lines of one `unit` share it) covers the actual total: coverage, days and mean
    lines per day."""
    units = test["unit"] if "unit" in test.columns else pd.Series(np.arange(len(test)), index=test.index)
    predicted = pd.concat(
        [
            test[["date", *forecaster.targets]].assign(unit=units).reset_index(drop=True),
            forecaster.predict(test).reset_index(drop=True).add_prefix("p_"),
        ],
        axis=1,
    )
    out = {}
    for target in forecaster.targets:
        covered = []
        for _, day in predicted.groupby("date", sort=False):
            lines = day[[f"p_{target}", f"p_{target}_lo", f"p_{target}_hi"]].rename(columns=lambda c: c[2:])
            low, high = total_interval(forecaster, target, lines, day["unit"].to_numpy())
            covered.append(low <= day[target].sum() <= high)
        out[target] = {
            "coverage_90": float(np.mean(covered)) if covered else float("nan"),
            "days": len(covered),
            "lines_per_day": float(len(test) / len(covered)) if covered else float("nan"),
        }
    return out


def coverage_by_spend(
    forecaster: Forecaster, test: pd.DataFrame, bins: int = 3, predicted: pd.DataFrame | None = None
) -> dict[str, list[float]]:
    """Interval coverage per target within spend terciles (low, mid, high) of the held-out rows."""
    predicted = forecaster.predict(test) if predicted is None else predicted
    edges = np.quantile(test["spend"], np.linspace(0, 1, bins + 1)[1:-1])
    band = np.digitize(test["spend"], edges)
    result = {}
    for target in forecaster.targets:
        actual = test[target].to_numpy(dtype="float64")
        inside = (actual >= predicted[f"{target}_lo"].to_numpy()) & (actual <= predicted[f"{target}_hi"].to_numpy())
        result[target] = [float(inside[band == b].mean()) if (band == b).any() else float("nan") for b in range(bins)]
    return result
