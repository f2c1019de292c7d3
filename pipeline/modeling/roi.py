"""The ROI models: their preprocessing, cross-validation by campaign, evaluation and training.

Models (saved, with the others, by pipeline.modeling.store as models/NAME.joblib + NAME.json):
- roi_clf_logistic, roi_clf_forest, roi_clf_boosting: is ROI > threshold (default 0)?
- roi_reg_linear, roi_reg_forest, roi_reg_boosting: ROI itself.

ROI models see only pre-launch inputs (pipeline.modeling.features.ROI_FEATURES). A row is one campaign x ad
set x device x week, because daily ROI is mostly noise and undefined on zero-spend days (those are
dropped). Scores are the mean ± std over GroupKFold folds grouped by campaign, so no campaign sits on
both sides of a split. Each task also has a trivial baseline (always the training folds' majority
class; always their mean ROI) scored on the very same folds, and a model is said to beat it only when
it wins on the task's primary metric by more than the fold noise (see beats_baseline). Out-of-fold
predictions give the ROC curve, confusion matrix and predicted-vs-actual samples; permutation
importance is measured on the first fold's held-out rows. All of it is stored in the metadata, so
pages show saved numbers, never literals. The saved model is then refitted on every row.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
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

from pipeline.modeling import features

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
# The trivial model each task's models must beat, scored on the same folds (never saved as a model).
BASELINES: dict[str, tuple[str, Callable[[], Any]]] = {
    "classification": ("Baseline: always the majority class", lambda: DummyClassifier(strategy="prior")),
    "regression": ("Baseline: always the mean ROI", lambda: DummyRegressor(strategy="mean")),
}
# The metric "beats the baseline" is judged on. Balanced accuracy, because with ~89% of weeks
# profitable plain accuracy and F1 reward "always profitable"; R², because it is the squared error
# relative to predicting the mean. Both are higher-is-better.
PRIMARY_METRICS = {"classification": "balanced_accuracy", "regression": "r2"}


def roi_label(name: str) -> str:
    """Human name of ROI model `name`, e.g. "Random forest"."""
    return CLASSIFIERS[name][0] if name in CLASSIFIERS else REGRESSORS[name][0]


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
    """Accuracy, balanced accuracy (mean recall of the two classes) and F1 at probability 0.5; ROC AUC
    and PR-AUC (average precision) from the probabilities. Metrics needing both classes are NaN without."""
    predicted = proba >= 0.5
    both = len(np.unique(y)) == 2
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(y, predicted)) if both else float("nan"),
        "f1": float(f1_score(y, predicted, zero_division=np.nan)),
        "roc_auc": float(roc_auc_score(y, proba)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, proba)) if both else float("nan"),
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


def _targets(data: pd.DataFrame, threshold: float, is_classifier: bool) -> np.ndarray:
    return (data["roi"] > threshold).to_numpy() if is_classifier else data["roi"].to_numpy(dtype="float64")


def _cross_validate(
    factory: Callable[[], Pipeline], x: pd.DataFrame, y: np.ndarray, folds: list, is_classifier: bool
) -> tuple[np.ndarray, dict[str, list[float]], Pipeline | None]:
    """Out-of-fold predictions, per-fold scores and the model fitted on the first fold's training rows
    (None when that fold had a single class and nothing was fitted)."""
    out_of_fold = np.full(len(y), np.nan)
    per_fold: dict[str, list[float]] = {}
    first = None
    for number, (train, test) in enumerate(folds):
        model = factory()
        if is_classifier and len(np.unique(y[train])) < 2:  # one class only: predict it with certainty
            out_of_fold[test] = float(y[train][0])
        else:
            model.fit(x.iloc[train], y[train])
            out_of_fold[test] = (
                model.predict_proba(x.iloc[test])[:, 1] if is_classifier else model.predict(x.iloc[test])
            )
            first = model if number == 0 else first
        scores = (_classification_scores if is_classifier else _regression_scores)(y[test], out_of_fold[test])
        for metric, value in scores.items():
            per_fold.setdefault(metric, []).append(value)
    return out_of_fold, per_fold, first


def evaluate_roi_model(name: str, data: pd.DataFrame, threshold: float) -> dict[str, Any]:
    """GroupKFold scores (mean ± std), out-of-fold ROC/confusion or predicted-vs-actual, and
    permutation importance on the first fold's held-out rows."""
    x = data[list(features.ROI_FEATURES)]
    is_classifier = name in CLASSIFIERS
    y = _targets(data, threshold, is_classifier)
    folds = group_folds(data[features.ROI_GROUP])
    out_of_fold, per_fold, first = _cross_validate(lambda: roi_pipeline(name), x, y, folds, is_classifier)
    importance = None
    if first is not None:
        test = folds[0][1]
        scoring = "r2" if not is_classifier else ("roc_auc" if len(np.unique(y[test])) == 2 else "accuracy")
        importance = permutation_importances(first, x.iloc[test], y[test], scoring)
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


def evaluate_baseline(task: str, data: pd.DataFrame, threshold: float) -> dict[str, Any]:
    """The task's trivial model (BASELINES) scored on the same campaign folds as the real models."""
    label, factory = BASELINES[task]
    is_classifier = task == "classification"
    y = _targets(data, threshold, is_classifier)
    folds = group_folds(data[features.ROI_GROUP])

    def pipeline() -> Pipeline:
        return Pipeline([("prepare", roi_preprocessor()), ("model", factory())])

    _, per_fold, _ = _cross_validate(pipeline, data[list(features.ROI_FEATURES)], y, folds, is_classifier)
    return {
        "label": label,
        "primary_metric": PRIMARY_METRICS[task],
        "metrics": {metric: _summary(values) for metric, values in per_fold.items()},
        "fold_metrics": per_fold,
    }


def beats_baseline(model_folds: Sequence[float], baseline_folds: Sequence[float]) -> bool:
    """True when the model's per-fold gain over the baseline (same folds, higher is better) has a
    positive mean larger than its own standard deviation across folds: a win that fold-to-fold noise
    does not explain. Folds where either score is undefined are left out; fewer than 2 usable folds
    can't show a win beyond noise, so give False."""
    gain = np.asarray(model_folds, dtype="float64") - np.asarray(baseline_folds, dtype="float64")
    gain = gain[np.isfinite(gain)]
    if len(gain) < 2:
        return False
    return bool(gain.mean() > 0 and gain.mean() > gain.std(ddof=1))


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
            f"ROI models: cross-validating {roi_label(name)} ({'classification' if is_classifier else 'regression'})"
        )
    started = time.perf_counter()
    y = _targets(data, threshold, is_classifier)
    if is_classifier and len(np.unique(y)) < 2:
        side = "above" if y[0] else "at or below"
        raise ValueError(f"Every week has ROI {side} {threshold:g}; pick another threshold.")
    evaluation = evaluate_roi_model(name, data, threshold)
    task = "classification" if is_classifier else "regression"
    baseline = evaluate_baseline(task, data, threshold)
    primary = PRIMARY_METRICS[task]
    verdict = beats_baseline(evaluation["fold_metrics"][primary], baseline["fold_metrics"][primary])
    pipeline = roi_pipeline(name).fit(x, y)
    meta = {
        "kind": "classifier" if is_classifier else "regressor",
        "label": roi_label(name),
        "task": "classification" if is_classifier else "regression",
        "target": f"roi > {threshold:g}" if is_classifier else "roi",
        "threshold": threshold,
        "features": list(features.ROI_FEATURES),
        "unit": "campaign x ad set x device x week",
        "rows": len(data),
        "campaigns": int(data[features.ROI_GROUP].nunique()),
        "training_seconds": round(time.perf_counter() - started, 2),
        **evaluation,
        "baseline": baseline,
        "beats_baseline": verdict,
    }
    return pipeline, meta
