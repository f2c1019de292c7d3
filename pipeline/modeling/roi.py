"""Training, evaluation and (re)building of every saved model.

Models (each saved by pipeline.modeling.store as models/NAME.joblib + NAME.json):
- roi_clf_logistic, roi_clf_forest, roi_clf_boosting: is ROI > threshold (default 0)?
- roi_reg_linear, roi_reg_forest, roi_reg_boosting: ROI itself.
- forecaster: outcomes from spend (pipeline.modeling.forecast).
- segments: the KMeans pipeline of the campaign segments (pipeline.modeling.segments).

ROI models see only pre-launch inputs (pipeline.modeling.features.ROI_FEATURES). A row is one campaign x ad
set x device x week, because daily ROI is mostly noise and undefined on zero-spend days (those are
dropped). Scores are the mean ± std over GroupKFold folds grouped by campaign, so no campaign sits on
both sides of a split. Out-of-fold predictions give the ROC curve, confusion matrix and
predicted-vs-actual samples; permutation importance is measured on the first fold's held-out rows.
All of it is stored in the metadata, so pages show saved numbers, never literals. The saved model
is then refitted on every row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from pipeline import config
from pipeline.inputs import demo
from pipeline.modeling import features, forecast, segments, store

DEFAULT_THRESHOLD = 0.0
MAX_FOLDS = 5
RANDOM_STATE = 42
PERMUTATION_REPEATS = 3
ROC_POINTS = 100
SCATTER_POINTS = 400
# Weekly rows beyond this are sampled (seeded) so training stays within seconds on big data.
MAX_ROI_ROWS = 20_000

Progress = Callable[[str], None]


def _log_spend() -> FunctionTransformer:
    return FunctionTransformer(np.log1p, feature_names_out="one-to-one")


def roi_preprocessor(native_categories: bool = False) -> ColumnTransformer:
    """One-hot categories (unknown values ignored) and standardised log1p(spend); with
    `native_categories`, ordinal codes instead (unknown -> -1) for boosting's own categorical splits."""
    if native_categories:
        categories = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    else:
        categories = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    return ColumnTransformer(
        [
            ("categories", categories, list(features.ROI_CATEGORICAL)),
            ("spend", make_pipeline(_log_spend(), StandardScaler()), list(features.ROI_NUMERIC)),
        ]
    )


# Regularised trees: with ~15 campaigns, deep trees memorise campaigns and fail on unseen ones.
def _forest_args() -> dict[str, Any]:
    return {"n_estimators": 60, "max_depth": 8, "min_samples_leaf": 20, "n_jobs": 1, "random_state": RANDOM_STATE}


def _boosting_args() -> dict[str, Any]:
    return {
        "max_iter": 100,
        "learning_rate": 0.05,
        "min_samples_leaf": 40,
        "l2_regularization": 1.0,
        "categorical_features": list(range(len(features.ROI_CATEGORICAL))),
        "early_stopping": False,
        "random_state": RANDOM_STATE,
    }


CLASSIFIERS: dict[str, tuple[str, Callable[[], Any]]] = {
    "roi_clf_logistic": ("Logistic regression", lambda: LogisticRegression(max_iter=2000)),
    "roi_clf_forest": ("Random forest", lambda: RandomForestClassifier(**_forest_args())),
    "roi_clf_boosting": ("Gradient boosting", lambda: HistGradientBoostingClassifier(**_boosting_args())),
}
REGRESSORS: dict[str, tuple[str, Callable[[], Any]]] = {
    "roi_reg_linear": ("Linear regression", LinearRegression),
    "roi_reg_forest": ("Random forest", lambda: RandomForestRegressor(max_features=0.5, **_forest_args())),
    "roi_reg_boosting": ("Gradient boosting", lambda: HistGradientBoostingRegressor(**_boosting_args())),
}
ROI_MODELS = (*CLASSIFIERS, *REGRESSORS)
SEGMENTS = "segments"
FORECASTER = forecast.NAME
ALL_MODELS = (*ROI_MODELS, FORECASTER, SEGMENTS)


def model_label(name: str) -> str:
    """Human name of a saved model."""
    if name in CLASSIFIERS:
        return CLASSIFIERS[name][0]
    if name in REGRESSORS:
        return REGRESSORS[name][0]
    return {FORECASTER: "Forecaster", SEGMENTS: "Segments"}.get(name, name)


def roi_pipeline(name: str) -> Pipeline:
    """Preprocessing + the estimator of ROI model `name` (unfitted)."""
    factory = CLASSIFIERS[name][1] if name in CLASSIFIERS else REGRESSORS[name][1]
    return Pipeline([("prepare", roi_preprocessor(native_categories=name.endswith("boosting"))), ("model", factory())])


def group_folds(groups: pd.Series) -> list[tuple[np.ndarray, np.ndarray]]:
    """GroupKFold splits (up to 5) by campaign; raises ValueError with fewer than 2 campaigns."""
    n_groups = groups.nunique()
    if n_groups < 2:
        raise ValueError(f"Cross-validation by campaign needs at least 2 campaigns; the data has {n_groups}.")
    splitter = GroupKFold(n_splits=min(MAX_FOLDS, n_groups))
    return list(splitter.split(np.zeros(len(groups)), groups=groups.to_numpy()))


def _summary(values: Sequence[float]) -> dict[str, float]:
    """Mean and standard deviation over folds, ignoring folds where the metric is undefined."""
    array = np.asarray(values, dtype="float64")
    if not np.isfinite(array).any():
        return {"mean": float("nan"), "std": float("nan")}
    return {"mean": float(np.nanmean(array)), "std": float(np.nanstd(array))}


def _classification_scores(y: np.ndarray, proba: np.ndarray) -> dict[str, float]:
    predicted = proba >= 0.5
    both = len(np.unique(y)) == 2
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "f1": float(f1_score(y, predicted, zero_division=np.nan)),
        "roc_auc": float(roc_auc_score(y, proba)) if both else float("nan"),
    }


def _regression_scores(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    return {
        "mae": float(mean_absolute_error(y, predicted)),
        "rmse": float(np.sqrt(np.mean((y - predicted) ** 2))),
        "r2": float(r2_score(y, predicted)) if len(y) > 1 else float("nan"),
    }


def _thin(values: np.ndarray, points: int) -> np.ndarray:
    """Evenly spaced indices into `values` (at most `points`), keeping the first and last."""
    return np.unique(np.linspace(0, len(values) - 1, min(points, len(values))).round().astype(int))


def input_columns(pipeline: Pipeline) -> dict[str, np.ndarray]:
    """For each raw input column of an ROI pipeline, the columns it becomes after preprocessing."""
    prepare: ColumnTransformer = pipeline.named_steps["prepare"]
    blocks = {}
    for name, transformer, columns in prepare.transformers_:
        if name == "remainder":
            continue
        start = prepare.output_indices_[name].start
        step = transformer[-1] if isinstance(transformer, Pipeline) else transformer
        widths = [len(c) for c in step.categories_] if isinstance(step, OneHotEncoder) else [1] * len(columns)
        for column, width in zip(columns, widths, strict=True):
            blocks[column] = np.arange(start, start + width)
            start += width
    return blocks


def _score(model: Any, matrix: np.ndarray, y: np.ndarray, scoring: str) -> float:
    if scoring == "roc_auc":
        return float(roc_auc_score(y, model.predict_proba(matrix)[:, 1]))
    if scoring == "accuracy":
        return float(accuracy_score(y, model.predict(matrix)))
    return float(r2_score(y, model.predict(matrix)))


def permutation_importances(pipeline: Pipeline, x: pd.DataFrame, y: np.ndarray, scoring: str) -> dict[str, Any]:
    """Drop in `scoring` when one raw input column is shuffled (PERMUTATION_REPEATS times each).

    Preprocessing is row-wise, so shuffling a raw column equals shuffling the rows of its block of
    transformed columns: the data is transformed once instead of once per shuffle."""
    matrix = pipeline[:-1].transform(x)
    model = pipeline[-1]
    baseline = _score(model, matrix, y, scoring)
    rng = np.random.default_rng(RANDOM_STATE)
    blocks = input_columns(pipeline)
    means, stds = [], []
    for block in blocks.values():
        drops = []
        for _ in range(PERMUTATION_REPEATS):
            shuffled = matrix.copy()
            shuffled[:, block] = matrix[rng.permutation(len(matrix))][:, block]
            drops.append(baseline - _score(model, shuffled, y, scoring))
        means.append(float(np.mean(drops)))
        stds.append(float(np.std(drops)))
    return {"feature": list(blocks), "mean": means, "std": stds, "scoring": scoring}


def evaluate_roi_model(name: str, data: pd.DataFrame, threshold: float) -> dict[str, Any]:
    """GroupKFold scores (mean ± std), out-of-fold ROC/confusion or predicted-vs-actual, and
    permutation importance on the first fold's held-out rows."""
    x = data[list(features.ROI_FEATURES)]
    is_classifier = name in CLASSIFIERS
    y = (data["roi"] > threshold).to_numpy() if is_classifier else data["roi"].to_numpy(dtype="float64")
    folds = group_folds(data[features.ROI_GROUP])
    out_of_fold = np.full(len(data), np.nan)
    per_fold: dict[str, list[float]] = {}
    importance = None
    for number, (train, test) in enumerate(folds):
        model = roi_pipeline(name)
        if is_classifier and len(np.unique(y[train])) < 2:  # one class only: predict it with certainty
            out_of_fold[test] = float(y[train][0])
        else:
            model.fit(x.iloc[train], y[train])
            out_of_fold[test] = (
                model.predict_proba(x.iloc[test])[:, 1] if is_classifier else model.predict(x.iloc[test])
            )
        scores = (_classification_scores if is_classifier else _regression_scores)(y[test], out_of_fold[test])
        for metric, value in scores.items():
            per_fold.setdefault(metric, []).append(value)
        if number == 0 and hasattr(model[-1], "n_features_in_"):
            scoring = "r2" if not is_classifier else ("roc_auc" if len(np.unique(y[test])) == 2 else "accuracy")
            importance = permutation_importances(model, x.iloc[test], y[test], scoring)
    result: dict[str, Any] = {
        "metrics": {metric: _summary(values) for metric, values in per_fold.items()},
        "fold_metrics": per_fold,
        "folds": len(folds),
        "permutation_importance": importance,
    }
    if is_classifier:
        result.update(_classification_extras(y, out_of_fold))
    else:
        sample = np.random.default_rng(RANDOM_STATE).permutation(len(y))[:SCATTER_POINTS]
        result["pred_vs_actual"] = {"actual": y[sample].tolist(), "predicted": out_of_fold[sample].tolist()}
    return result


def _classification_extras(y: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    matrix = confusion_matrix(y, proba >= 0.5, labels=[False, True])
    extras: dict[str, Any] = {"confusion_matrix": matrix.tolist(), "positive_share": float(np.mean(y))}
    if len(np.unique(y)) == 2:
        fpr, tpr, _ = roc_curve(y, proba)
        keep = _thin(fpr, ROC_POINTS)
        extras["roc"] = {"fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist(), "auc": float(roc_auc_score(y, proba))}
    else:
        extras["roc"] = None
    return extras


def roi_training_rows(campaigns: pd.DataFrame) -> pd.DataFrame:
    """The weekly ROI rows, sampled (seeded) down to MAX_ROI_ROWS."""
    data = features.roi_frame(campaigns)
    if len(data) > MAX_ROI_ROWS:
        data = data.sample(MAX_ROI_ROWS, random_state=RANDOM_STATE).reset_index(drop=True)
    return data


def train_roi_models(
    campaigns: pd.DataFrame,
    threshold: float = DEFAULT_THRESHOLD,
    names: Iterable[str] = ROI_MODELS,
    progress: Progress | None = None,
) -> dict[str, tuple[Pipeline, dict[str, Any]]]:
    """Evaluate and fit each named ROI model; {name: (fitted pipeline, metadata)}."""
    data = roi_training_rows(campaigns)
    if data.empty:
        raise ValueError("There are no weeks with spend to learn ROI from.")
    x = data[list(features.ROI_FEATURES)]
    trained = {}
    with threadpool_limits(limits=1):  # see pipeline.modeling.forecast: threads only contend on this machine
        for name in names:
            trained[name] = _train_roi_model(name, data, x, threshold, progress)
    return trained


def _train_roi_model(
    name: str, data: pd.DataFrame, x: pd.DataFrame, threshold: float, progress: Progress | None
) -> tuple[Pipeline, dict[str, Any]]:
    """Cross-validate one ROI model, then fit it on every row; (pipeline, metadata)."""
    is_classifier = name in CLASSIFIERS
    if progress:
        progress(
            f"ROI models: cross-validating {model_label(name)} ({'classification' if is_classifier else 'regression'})"
        )
    started = time.perf_counter()
    y = (data["roi"] > threshold).to_numpy() if is_classifier else data["roi"].to_numpy(dtype="float64")
    if is_classifier and len(np.unique(y)) < 2:
        side = "above" if y[0] else "at or below"
        raise ValueError(f"Every week has ROI {side} {threshold:g}; pick another threshold.")
    evaluation = evaluate_roi_model(name, data, threshold)
    pipeline = roi_pipeline(name).fit(x, y)
    meta = {
        "kind": "classifier" if is_classifier else "regressor",
        "label": model_label(name),
        "task": "classification" if is_classifier else "regression",
        "target": f"roi > {threshold:g}" if is_classifier else "roi",
        "threshold": threshold,
        "features": list(features.ROI_FEATURES),
        "unit": "campaign x ad set x device x week",
        "rows": len(data),
        "campaigns": int(data[features.ROI_GROUP].nunique()),
        "training_seconds": round(time.perf_counter() - started, 2),
        **evaluation,
    }
    return pipeline, meta


# -- building and checking the models folder --------------------------------------------------------


def data_info(campaigns: pd.DataFrame, data_dir: Path) -> dict[str, Any]:
    """What the models were trained on: folder, rows, dates and a content hash."""
    dates = campaigns["date"] if "date" in campaigns.columns else pd.Series(dtype="datetime64[ns]")
    return {
        "source": str(data_dir),
        "rows": len(campaigns),
        "start": None if dates.empty else str(dates.min().date()),
        "end": None if dates.empty else str(dates.max().date()),
        "hash": store.frame_hash(campaigns),
    }


def read_training_data(data_dir: Path) -> pd.DataFrame:
    """The campaign table of `data_dir`; ValueError when it is not there."""
    if not (data_dir / config.CAMPAIGNS_FILE).is_file() and not (data_dir / config.CAMPAIGNS_PARQUET).is_file():
        raise ValueError(
            f"No campaigns.csv in {data_dir}; generate it with: python data_generation.py --out {data_dir}"
        )
    return demo.read_campaigns(data_dir)


def invalid_models(
    models_dir: Path, names: Iterable[str], data_hash: str | None = None, threshold: float | None = None
) -> dict[str, str]:
    """{name: reason} for every model that is missing, invalid, trained on other data (when
    `data_hash` is given) or at another ROI threshold (when `threshold` is given)."""
    reasons = {}
    for name in names:
        reason = store.check(models_dir, name)
        if reason is None and (data_hash is not None or threshold is not None):
            meta = store.read_metadata(models_dir, name)
            if data_hash is not None and meta.get("data", {}).get("hash") != data_hash:
                reason = f"{name}: trained on other data"
            elif threshold is not None and name in CLASSIFIERS and meta.get("threshold") != threshold:
                reason = f"{name}: trained at another ROI threshold"
        if reason is not None:
            reasons[name] = reason
    return reasons


def ensure_models(
    data_dir: Path,
    models_dir: Path,
    names: Sequence[str] = ALL_MODELS,
    threshold: float | None = None,
    check_data: bool = True,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train the named models that are missing or invalid (all of them with `force`), under the
    folder's lock; a second caller waits and then finds them valid. Returns what it did:
    {"trained": [...], "reused": [...], "reasons": {name: why}, "seconds": s}."""
    started = time.perf_counter()
    unknown = [n for n in names if n not in ALL_MODELS]
    if unknown:
        raise ValueError(f"Unknown model(s): {', '.join(unknown)}.")
    with store.models_lock(models_dir), threadpool_limits(limits=1):
        campaigns = None
        data_hash = None
        if check_data or force:
            campaigns = read_training_data(data_dir)
            data_hash = store.frame_hash(campaigns)
        reasons = (
            {n: "retrain requested" for n in names}
            if force
            else invalid_models(models_dir, names, data_hash if check_data else None, threshold)
        )
        if reasons:
            campaigns = campaigns if campaigns is not None else read_training_data(data_dir)
            _train(campaigns, data_dir, models_dir, list(reasons), threshold, progress)
    return {
        "trained": [n for n in names if n in reasons],
        "reused": [n for n in names if n not in reasons],
        "reasons": reasons,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _previous_threshold(models_dir: Path) -> float:
    """The ROI threshold the saved classifiers used, else the default."""
    for name in CLASSIFIERS:
        try:
            return float(store.read_metadata(models_dir, name)["threshold"])
        except (store.ArtifactInvalid, KeyError, TypeError, ValueError):
            continue
    return DEFAULT_THRESHOLD


def _train(
    campaigns: pd.DataFrame,
    data_dir: Path,
    models_dir: Path,
    names: list[str],
    threshold: float | None,
    progress: Progress | None,
) -> None:
    info = data_info(campaigns, data_dir)
    if FORECASTER in names:
        started = time.perf_counter()
        model, meta = forecast.train_forecaster(campaigns, progress)
        meta["training_seconds"] = round(time.perf_counter() - started, 2)
        store.save(models_dir, FORECASTER, model, {**meta, "data": info})
    if SEGMENTS in names:
        if progress:
            progress("Segments: choosing k by silhouette")
        started = time.perf_counter()
        model, meta = segments.train_segments(campaigns)
        meta["training_seconds"] = round(time.perf_counter() - started, 2)
        store.save(models_dir, SEGMENTS, model, {**meta, "data": info})
    roi_names = [n for n in names if n in ROI_MODELS]
    if roi_names:
        level = threshold if threshold is not None else _previous_threshold(models_dir)
        for name, (model, meta) in train_roi_models(campaigns, level, roi_names, progress).items():
            store.save(models_dir, name, model, {**meta, "data": info})


def train_models(
    data_dir: Path, models_dir: Path, threshold: float = DEFAULT_THRESHOLD, progress: Progress | None = None
) -> dict[str, Any]:
    """Retrain and save every model (the Retrain button and `python -m pipeline train`)."""
    return ensure_models(data_dir, models_dir, ALL_MODELS, threshold=threshold, force=True, progress=progress)


@dataclass(frozen=True)
class ModelBundle:
    """Every saved model and its metadata, verified."""

    models: dict[str, Any]
    metadata: dict[str, dict[str, Any]]


def load_models(models_dir: Path, names: Sequence[str] = ALL_MODELS) -> ModelBundle:
    """Load and verify every named model; raises ArtifactInvalid naming the first bad one."""
    loaded = {name: store.load(models_dir, name) for name in names}
    return ModelBundle({n: m for n, (m, _) in loaded.items()}, {n: meta for n, (_, meta) in loaded.items()})


def train_summary(metadata: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The `train --json` shape: classification/regression metrics per model, forecast targets, segments."""
    summary: dict[str, Any] = {"classification": {}, "regression": {}}
    for name in ROI_MODELS:
        if name in metadata:
            summary["classification" if name in CLASSIFIERS else "regression"][name] = metadata[name]["metrics"]
    if FORECASTER in metadata:
        targets = metadata[FORECASTER]["metrics"]["targets"]
        summary["forecast"] = {
            "targets": {t: {k: v[k] for k in ("r2", "mape", "coverage_90")} for t, v in targets.items()},
        }
    if SEGMENTS in metadata:
        summary["segments"] = dict(metadata[SEGMENTS]["metrics"])
    return summary


def comparison_table(metadata: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per ROI model: task, model, metric, mean and std over folds (NaN when undefined)."""
    rows = []
    for name in ROI_MODELS:
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
    targets = metadata.get(FORECASTER, {}).get("metrics", {}).get("targets", {})
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
    roi = next((metadata[n] for n in ROI_MODELS if n in metadata), {})
    return {
        "source": data.get("source"),
        "rows": data.get("rows"),
        "start": data.get("start"),
        "end": data.get("end"),
        "hash": data.get("hash"),
        "created_at": max(str(m.get("created_at", "")) for m in metadata.values()),
        "sklearn": next(iter(metadata.values())).get("versions", {}).get("sklearn"),
        "threshold": roi.get("threshold", DEFAULT_THRESHOLD),
        "roi_rows": roi.get("rows"),
        "campaigns": roi.get("campaigns"),
        "folds": roi.get("folds"),
        "same_data": len({m.get("data", {}).get("hash") for m in metadata.values()}) == 1,
    }


def _number(value: Any) -> float:
    """JSON null (a NaN when saved) back to NaN."""
    return float("nan") if value is None else float(value)
