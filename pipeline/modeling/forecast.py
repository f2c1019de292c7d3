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
- `Forecaster.spend_range -> (min, max)`: the daily spend seen in training.
- `Forecaster.supported_spend(frame)` / `extrapolated(frame)`: per row, the largest daily spend the data
  supports for that line's platform (the 99th percentile of its positive training spends) and whether the
  row's spend lies beyond it. Trees are flat beyond their last split, so there the forecast is a floor,
  not a prediction, and its interval is not calibrated.
- `Forecaster.total_calibration -> {target: intervals.TotalCalibration}`: how plan totals widen
  (intervals.total_bounds).
- `Forecaster.metrics -> dict[target, {"r2", "mape", "coverage_90", ...}]` on held-out campaign x ad sets.

How it works
------------
A row is one day of one platform x device x campaign type x content type x ad set line. Each target has one
sklearn Pipeline (OrdinalEncoder + HistGradientBoostingRegressor, Poisson loss, i.e. the conditional
mean) with `monotonic_cst=+1` on spend, fitted on all training rows. Trees may combine spend with the
platform only, and each other category stands alone (`interaction_cst`): on Poisson's log link that is a
multiplicative model, so a held-out campaign x ad set whose category combination no training unit had is
still predicted from its categories' own effects. Free interactions fitted the few training units' quirks:
on three generator seeds held-out R² of conversions was 0.25-0.38 without the constraint and 0.33-0.71 with
it (bench/plan_totals_study.py). Its 90% interval is conformal on the log1p scale per bin of predicted volume
(pipeline.modeling.intervals), calibrated on out-of-group predictions: CALIBRATION_FOLDS models each fitted
without a quarter of the campaign x ad set units predict those units (cross-conformal by group). A random row
split would calibrate on units the model has seen and under-cover new ones (0.73-0.83 instead of 0.90). The
same out-of-group lines, summed per day, calibrate how plan totals widen (their lines share the day's
seasonality).

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
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits

from pipeline.modeling import features, intervals

NAME = "forecaster"
CALIBRATION_FOLDS = 4  # out-of-group folds whose predictions calibrate the intervals
SUPPORT_QUANTILE = 0.99  # of a platform's positive daily spends: beyond it the trees have too few rows
ALL_PLATFORMS = ""  # key of the limit over every row (when a platform is not a feature or not known)
MIN_TRAINING_ROWS = 20
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
    spend_limits: dict[str, float] = field(default_factory=dict)
    total_calibration: dict[str, intervals.TotalCalibration] = field(default_factory=dict)
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

    def supported_spend(self, frame: pd.DataFrame) -> np.ndarray:
        """Per row, the largest daily spend the training data supports for its platform."""
        overall = self.spend_limits.get(ALL_PLATFORMS, self.spend_range[1])
        if "platform" not in self.categorical or len(frame) == 0:
            return np.full(len(frame), overall)
        limits = np.array([self.spend_limits.get(p, overall) for p in self.known["platform"]])
        return limits[self._encode("platform", frame["platform"])]

    def extrapolated(self, frame: pd.DataFrame) -> np.ndarray:
        """Per row, whether its spend lies beyond what the data supports (see supported_spend)."""
        spend = pd.to_numeric(frame[self.numeric], errors="coerce").to_numpy(dtype="float64")
        return spend > self.supported_spend(frame)

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


def _interactions(categorical: Sequence[str]) -> list[set[int]]:
    """Each category on its own, spend only with the platform: on the log link (Poisson) a multiplicative
    model, which carries over to category combinations no training unit had."""
    spend = len(categorical)
    with_spend = {spend} | {i for i, c in enumerate(categorical) if c == "platform"}
    return [with_spend, *({i} for i, c in enumerate(categorical) if c != "platform")]


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
        interaction_cst=_interactions(categorical),
        random_state=RANDOM_STATE,
        **BOOSTING,
        **loss,
    )
    return Pipeline([("encode", encode), ("model", model)])


def calibration_folds(frame: pd.DataFrame) -> list[np.ndarray]:
    """Row positions of each calibration fold: whole units (`unit`, campaign · ad set) when the frame has
    at least two, else seeded random rows."""
    units = frame["unit"].to_numpy() if "unit" in frame.columns else None
    if units is not None and len(np.unique(units)) >= 2:
        # Shuffled: in name order, folds of equal-sized units would each hold out one ad set whole.
        splitter = GroupKFold(min(CALIBRATION_FOLDS, len(np.unique(units))), shuffle=True, random_state=RANDOM_STATE)
        return [rows for _, rows in splitter.split(frame, groups=units)]
    splitter = KFold(CALIBRATION_FOLDS, shuffle=True, random_state=RANDOM_STATE)
    return [rows for _, rows in splitter.split(frame)]


def _out_of_fold(x: pd.DataFrame, y: np.ndarray, folds: list[np.ndarray], make: Callable[[], Pipeline]) -> np.ndarray:
    """Each row's prediction from a model fitted without its fold."""
    predicted = np.empty(len(y))
    for rows in folds:
        rest = np.ones(len(y), dtype=bool)
        rest[rows] = False
        predicted[rows] = make().fit(x.iloc[np.flatnonzero(rest)], y[rest]).predict(x.iloc[rows])
    return np.maximum(predicted, 0.0)


def spend_limits(data: pd.DataFrame, quantile: float = SUPPORT_QUANTILE) -> dict[str, float]:
    """The SUPPORT_QUANTILE of positive daily spend per platform, and over all rows (key ALL_PLATFORMS)."""
    paid = data[data["spend"] > 0]
    if paid.empty:
        return {ALL_PLATFORMS: float(data["spend"].max())}
    limits = {ALL_PLATFORMS: float(paid["spend"].quantile(quantile))}
    if "platform" in paid.columns:
        limits |= {str(p): float(v) for p, v in paid.groupby("platform")["spend"].quantile(quantile).items()}
    return limits


def known_categories(frame: pd.DataFrame, categorical: Sequence[str]) -> dict[str, list[str]]:
    """The sorted values of each categorical column (missing ones as "(none)")."""
    data = features.with_categories(frame, tuple(categorical))
    return {c: sorted(data[c].unique().tolist()) for c in categorical}


def fit_forecaster(
    frame: pd.DataFrame,
    categorical: Sequence[str] = features.FORECAST_CATEGORICAL,
    targets: Sequence[str] = features.FORECAST_TARGETS,
    progress: Progress | None = None,
    known: dict[str, list[str]] | None = None,
) -> Forecaster:
    """Fit a point model per target on all of `frame` (features + targets, optional `unit` and `date`) and
    calibrate its 90% band on out-of-group predictions (see calibration_folds); with `date`, also the
    widening of plan totals on daily sums of those predictions. `known` (default: the values in `frame`)
    lists each category's values, so a model scored on held-out units still accepts all of them (a value
    it never saw takes the trees' default branch)."""
    categorical = tuple(categorical)
    if len(frame) < MIN_TRAINING_ROWS:
        raise ValueError(f"The forecaster needs at least {MIN_TRAINING_ROWS} rows to train; got {len(frame)}.")
    data = features.with_categories(frame, categorical).reset_index(drop=True)
    known = known_categories(data, categorical) if known is None else {c: list(known[c]) for c in categorical}
    x = data[[*categorical, "spend"]]
    folds = calibration_folds(data)
    models, held_out = {}, {}
    # One thread: on a shared 2-core machine OpenMP threads spin against each other (measured 2-5x slower).
    with threadpool_limits(limits=1):
        for target in targets:
            if progress:
                progress(f"Forecaster: fitting {target}")
            y = data[target].to_numpy(dtype="float64")
            held_out[target] = _out_of_fold(x, y, folds, lambda: _pipeline(categorical, known, loss="poisson"))
            point = _pipeline(categorical, known, loss="poisson").fit(x, y)
            models[target] = TargetModel(point, intervals.calibrate_band(np.log1p(held_out[target]), np.log1p(y)))
    forecaster = Forecaster(
        categorical=categorical,
        targets=tuple(targets),
        known=known,
        models=models,
        defaults={c: str(data[c].mode().iloc[0]) for c in categorical},
        spend_range=(float(data["spend"].min()), float(data["spend"].max())),
        spend_limits=spend_limits(data),
    )
    if "date" in data.columns:
        forecaster.total_calibration = _calibrate_totals(forecaster, data, held_out, folds)
    with threadpool_limits(limits=1):
        forecaster.compile()
    return forecaster


def _calibrate_totals(
    forecaster: Forecaster, data: pd.DataFrame, held_out: dict[str, np.ndarray], folds: list[np.ndarray]
) -> dict[str, intervals.TotalCalibration]:
    """How each target's totals widen, from the out-of-group lines: the units' persistent levels, then random plans
    (a day, a subset of units)."""
    combined = forecaster._combine(held_out)
    units = data["unit"].to_numpy() if "unit" in data.columns else np.arange(len(data)) % CALIBRATION_FOLDS
    days = data["date"].to_numpy()
    fold_of = np.empty(len(data), dtype=np.intp)
    for k, rows in enumerate(folds):
        fold_of[rows] = k
    out = {}
    for i, target in enumerate(forecaster.targets):
        point, lo, hi = (combined[:, 3 * i + k] for k in range(3))
        actual = data[target].to_numpy(dtype="float64")
        out[target] = intervals.calibrate_total(days, units, actual, point, lo, hi, fold_of)
    return out
