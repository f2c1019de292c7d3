"""Outcome forecaster with calibrated 90% prediction intervals, monotonic in spend.

API (stable; the planner builds on it)
--------------------------------------
- `pipeline.modeling.store.load_forecaster(models_dir=None, data_dir=None) -> Forecaster`: the saved
  forecaster (`models/forecaster.joblib`), verified by sha256 and library versions; a missing or invalid
  file is retrained from `data_dir` (default: the app's data folder) first, never unpickled.
- `Forecaster.predict(frame) -> DataFrame`: `frame` has columns platform, device, campaign_type,
  content_type (text, matched case-insensitively) and spend (daily spend of that line, >= 0, in the
  data's currency). The result has the same index and, for each target T in `Forecaster.targets`
  (impressions, clicks, conversions, revenue, engagement), the columns T (expected value), T_lo and
  T_hi (the 90% prediction interval), with 0 <= T_lo <= T <= T_hi. Every column is non-decreasing in
  spend when the other inputs are fixed. Bad input raises ValueError with a one-sentence message.
- `Forecaster.categories -> dict[str, list[str]]`: the known values of each categorical feature.
- `Forecaster.defaults -> dict[str, str]`: the most common value of each categorical feature.
- `Forecaster.spend_range -> (min, max)`: the daily spend seen in training (beyond it = extrapolation).
- `Forecaster.metrics -> dict[target, {"r2", "mape", "coverage_90", ...}]` on held-out rows.

How it works
------------
A row is one day of one platform x device x campaign type x content type line. Each target has one
sklearn Pipeline (OrdinalEncoder + HistGradientBoostingRegressor, Poisson loss, i.e. the conditional
mean) with `monotonic_cst=+1` on spend, fitted on 75% of the training rows. Its 90% interval is
split-conformal on the log1p scale, calibrated on the other 25% per bin of predicted volume
(pipeline.modeling.intervals).

Both bounds are non-decreasing functions of the point forecast, which is itself non-decreasing in
spend, so the whole interval is monotonic in spend by construction. (Quantile-loss boosting was
tried first: scikit-learn's HistGradientBoosting re-fits pinball-loss leaf values after growing each
tree without the monotonic constraint, and its 5%/95% models did fall as spend rose.)

All Pipelines sit in one `Forecaster` object saved as one joblib (see pipeline.modeling.artifacts). Because a
gradient-boosted tree is piecewise constant in spend between the split thresholds, the forecaster
also compiles its Pipelines into an exact lookup table (category combination x spend interval) at
fit time, which answers one row in well under a millisecond; `predict_with_pipelines` is the
reference path and tests check that both agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits

from pipeline.modeling import features, intervals

NAME = "forecaster"
CALIBRATION_SHARE = 0.25  # of the training rows, held back to calibrate the intervals
MIN_TRAINING_ROWS = 20
TEST_SHARE = 0.20
RANDOM_STATE = 42
# Enough rows for stable quantiles; bigger data is sampled so training stays within seconds.
MAX_TRAINING_ROWS = 200_000
# The lookup table is built only when it stays small (combinations x spend intervals).
MAX_TABLE_CELLS = 2_000_000
BOOSTING = {"max_iter": 60, "learning_rate": 0.15, "max_leaf_nodes": 15, "early_stopping": False}

Progress = Callable[[str], None]


@dataclass
class TargetModel:
    """One target: the point Pipeline (conditional mean) and its calibrated band."""

    point: Pipeline
    band: intervals.Band


@dataclass
class Forecaster:
    """Point forecasts and 90% intervals per target; see the module docstring for the API."""

    categorical: tuple[str, ...]
    targets: tuple[str, ...]
    known: dict[str, list[str]]
    models: dict[str, TargetModel]
    defaults: dict[str, str]
    spend_range: tuple[float, float]
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    _edges: np.ndarray | None = None
    _table: np.ndarray | None = None

    numeric: str = "spend"

    @property
    def categories(self) -> dict[str, list[str]]:
        """Known values per categorical feature."""
        return {name: list(values) for name, values in self.known.items()}

    @property
    def features(self) -> tuple[str, ...]:
        return (*self.categorical, self.numeric)

    @property
    def columns(self) -> list[str]:
        """Output columns: T, T_lo, T_hi for each target."""
        return [f"{t}{suffix}" for t in self.targets for suffix in ("", "_lo", "_hi")]

    def predict(self, frame: pd.DataFrame) -> pd.DataFrame:
        """T, T_lo, T_hi per target for each row of `frame` (same index); ValueError on bad input."""
        codes, spend = self._validate(frame)
        if self._table is None:
            values = self._combine(self._raw(codes, spend))
        else:
            combo = codes @ self._strides() if len(self.categorical) else np.zeros(len(spend), dtype=np.intp)
            values = self._table[combo, np.searchsorted(self._edges, spend, side="left")]
        return pd.DataFrame(values, columns=self.columns, index=frame.index)

    def predict_with_pipelines(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The same as predict, through every Pipeline end to end (the slow reference path)."""
        self._validate(frame)
        clean = self._canonical(frame)
        raw = {t: m.point.predict(clean) for t, m in self.models.items()}
        return pd.DataFrame(self._combine(raw), columns=self.columns, index=frame.index)

    # -- internals ---------------------------------------------------------------------------
    def _strides(self) -> np.ndarray:
        sizes = [len(self.known[c]) for c in self.categorical]
        return np.array([int(np.prod(sizes[i + 1 :])) for i in range(len(sizes))], dtype=np.intp)

    def _validate(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise ValueError(f"The forecast input lacks the column(s): {', '.join(missing)}.")
        codes = np.empty((len(frame), len(self.categorical)), dtype=np.intp)
        for j, column in enumerate(self.categorical):
            codes[:, j] = self._encode(column, frame[column])
        spend = pd.to_numeric(frame[self.numeric], errors="coerce").to_numpy(dtype="float64")
        if len(spend) and not (np.isfinite(spend).all() and (spend >= 0).all()):
            raise ValueError("Spend must be a number of at least 0 in every row.")
        return codes, spend

    def _encode(self, column: str, values: pd.Series) -> np.ndarray:
        lookup = {v.strip().casefold(): i for i, v in enumerate(self.known[column])}
        positions, uniques = pd.factorize(values, use_na_sentinel=True)
        mapped = np.array([lookup.get(str(u).strip().casefold(), -1) for u in uniques], dtype=np.intp)
        bad = [str(u) for u, m in zip(uniques, mapped, strict=True) if m < 0]
        if bad or (positions < 0).any():
            shown = bad[0] if bad else "(missing)"
            raise ValueError(
                f"Unknown {column.replace('_', ' ')} '{shown}'; known values: {', '.join(self.known[column])}."
            )
        return mapped[positions]

    def _canonical(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Input with categories spelled exactly as in training (for the Pipelines)."""
        codes, spend = self._validate(frame)
        data = {c: np.array(self.known[c], dtype=object)[codes[:, j]] for j, c in enumerate(self.categorical)}
        return pd.DataFrame({**data, self.numeric: spend})

    def _raw(self, codes: np.ndarray, spend: np.ndarray) -> dict[str, np.ndarray]:
        """Each target's point prediction from its fitted estimator (the encoder's codes are ours)."""
        matrix = np.column_stack([codes.astype("float64"), spend])
        return {t: m.point[-1].predict(matrix) for t, m in self.models.items()}

    def _combine(self, raw: dict[str, np.ndarray]) -> np.ndarray:
        """Bands around each point, back on the original scale, with 0 <= lo <= point <= hi."""
        columns = []
        for target in self.targets:
            point = np.maximum(raw[target], 0.0)
            low, high = self.models[target].band.bounds(np.log1p(point))
            lo = np.maximum(np.expm1(low), 0.0)
            hi = np.maximum(np.expm1(high), lo)
            columns.extend([np.minimum(np.maximum(point, lo), hi), lo, hi])
        return np.column_stack(columns) if columns else np.empty((0, 0))

    def compile(self) -> None:
        """Build the exact lookup table (or leave it out when it would be too big or disagree)."""
        self._edges, self._table = None, None
        sizes = [len(self.known[c]) for c in self.categorical]
        n_combos = int(np.prod(sizes)) if sizes else 1
        edges = _spend_thresholds(self.models.values(), len(self.categorical))
        if n_combos * (len(edges) + 1) > MAX_TABLE_CELLS:
            return
        # One representative spend per interval (e[i-1], e[i]]; the last interval is (e[-1], inf).
        reps = np.append(edges, edges[-1] + 1.0 if len(edges) else 0.0)
        grid = np.stack(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"), -1).reshape(-1, len(sizes))
        codes = np.repeat(grid, len(reps), axis=0)
        spend = np.tile(reps, n_combos)
        values = self._combine(self._raw(codes, spend))
        self._edges, self._table = edges, values.reshape(n_combos, len(reps), -1)


def _spend_thresholds(models: Any, spend_index: int) -> np.ndarray:
    """Every split threshold on spend used by any tree of any estimator, sorted and unique."""
    found = [np.empty(0)]
    for model in models:
        for iteration in model.point[-1]._predictors:
            for tree in iteration:
                nodes = tree.nodes
                used = (nodes["is_leaf"] == 0) & (nodes["feature_idx"] == spend_index) & (nodes["is_categorical"] == 0)
                found.append(nodes["num_threshold"][used])
    return np.unique(np.concatenate(found))


def _pipeline(categorical: Sequence[str], known: dict[str, list[str]], **loss: Any) -> Pipeline:
    """OrdinalEncoder (fixed category order) + a gradient-boosted tree model, monotonic in spend."""
    encode = ColumnTransformer(
        [("categories", OrdinalEncoder(categories=[known[c] for c in categorical]), list(categorical))],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    model = HistGradientBoostingRegressor(
        categorical_features=list(range(len(categorical))) or None,
        monotonic_cst=[0] * len(categorical) + [1],
        random_state=RANDOM_STATE,
        **BOOSTING,
        **loss,
    )
    return Pipeline([("encode", encode), ("model", model)])


def fit_forecaster(
    frame: pd.DataFrame,
    categorical: Sequence[str] = features.FORECAST_CATEGORICAL,
    targets: Sequence[str] = features.FORECAST_TARGETS,
    progress: Progress | None = None,
) -> Forecaster:
    """Fit a point model per target on 75% of `frame` (features + targets) and calibrate its 90%
    band on the other 25% (seeded split; the point model never sees the calibration rows)."""
    categorical = tuple(categorical)
    if len(frame) < MIN_TRAINING_ROWS:
        raise ValueError(f"The forecaster needs at least {MIN_TRAINING_ROWS} rows to train; got {len(frame)}.")
    data = features.with_categories(frame, categorical)
    known = {c: sorted(data[c].unique().tolist()) for c in categorical}
    x = data[[*categorical, "spend"]]
    proper, calibration = train_test_split(np.arange(len(data)), test_size=CALIBRATION_SHARE, random_state=RANDOM_STATE)
    models = {}
    # One thread: on a shared 2-core machine OpenMP threads spin against each other (measured 2-5x slower).
    with threadpool_limits(limits=1):
        for target in targets:
            if progress:
                progress(f"Forecaster: fitting {target}")
            y = data[target].to_numpy(dtype="float64")
            point = _pipeline(categorical, known, loss="poisson").fit(x.iloc[proper], y[proper])
            z = np.log1p(np.maximum(point.predict(x.iloc[calibration]), 0.0))
            models[target] = TargetModel(point, intervals.calibrate_band(z, np.log1p(y[calibration])))
    forecaster = Forecaster(
        categorical=categorical,
        targets=tuple(targets),
        known=known,
        models=models,
        defaults={c: str(data[c].mode().iloc[0]) for c in categorical},
        spend_range=(float(data["spend"].min()), float(data["spend"].max())),
    )
    with threadpool_limits(limits=1):
        forecaster.compile()
    return forecaster


def mape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Mean |actual − predicted| / actual over rows with actual > 0 (a fraction); NaN if there are none."""
    positive = actual > 0
    if not positive.any():
        return float("nan")
    return float(np.mean(np.abs(actual[positive] - predicted[positive]) / actual[positive]))


def evaluate_forecaster(forecaster: Forecaster, test: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per target on held-out rows: r2 (point, original scale), mape (rows with actual > 0),
    coverage_90 (share of rows inside [T_lo, T_hi]), mean interval width and row count."""
    predicted = forecaster.predict(test)
    out = {}
    for target in forecaster.targets:
        actual = test[target].to_numpy(dtype="float64")
        point = predicted[target].to_numpy()
        lo, hi = predicted[f"{target}_lo"].to_numpy(), predicted[f"{target}_hi"].to_numpy()
        out[target] = {
            "r2": float(r2_score(actual, point)) if len(actual) > 1 else float("nan"),
            "mape": mape(actual, point),
            "coverage_90": float(np.mean((actual >= lo) & (actual <= hi))),
            "mean_width": float(np.mean(hi - lo)),
            "rows": len(actual),
        }
    return out


def coverage_by_spend(forecaster: Forecaster, test: pd.DataFrame, bins: int = 3) -> dict[str, list[float]]:
    """Interval coverage per target within spend terciles (low, mid, high) of the held-out rows."""
    predicted = forecaster.predict(test)
    edges = np.quantile(test["spend"], np.linspace(0, 1, bins + 1)[1:-1])
    band = np.digitize(test["spend"], edges)
    result = {}
    for target in forecaster.targets:
        actual = test[target].to_numpy(dtype="float64")
        inside = (actual >= predicted[f"{target}_lo"].to_numpy()) & (actual <= predicted[f"{target}_hi"].to_numpy())
        result[target] = [float(inside[band == b].mean()) if (band == b).any() else float("nan") for b in range(bins)]
    return result


def train_forecaster(campaigns: pd.DataFrame, progress: Progress | None = None) -> tuple[Forecaster, dict[str, Any]]:
    """Fit on 80% of the daily rows (random split, seed 42), score on the other 20%; (model, metadata)."""
    data = features.forecast_frame(campaigns)
    if len(data) > MAX_TRAINING_ROWS:
        data = data.sample(MAX_TRAINING_ROWS, random_state=RANDOM_STATE)
    train, test = train_test_split(data, test_size=TEST_SHARE, random_state=RANDOM_STATE)
    forecaster = fit_forecaster(train, progress=progress)
    metrics = evaluate_forecaster(forecaster, test)
    forecaster.metrics = metrics
    meta = {
        "kind": "forecaster",
        "features": list(features.FORECAST_FEATURES),
        "targets": list(forecaster.targets),
        "metrics": {"targets": metrics},
        "coverage_by_spend_tercile": coverage_by_spend(forecaster, test),
        "intervals": {
            "coverage": intervals.COVERAGE,
            "method": "split-conformal on log1p scale around a monotonic Poisson boosting model, per volume bin",
            "bands": {
                t: {"edges": m.band.edges, "lower": m.band.lower, "upper": m.band.upper}
                for t, m in forecaster.models.items()
            },
        },
        "split": {"train_rows": len(train), "test_rows": len(test), "test_share": TEST_SHARE, "seed": RANDOM_STATE},
        "categories": forecaster.categories,
        "spend_range": list(forecaster.spend_range),
    }
    return forecaster, meta
