"""The models folder as a whole: which models exist, which need training, training them, loading them.

Models (each saved by pipeline.modeling.artifacts as models/NAME.joblib + NAME.json, verified before unpickling):
- roi_clf_logistic, roi_clf_forest, roi_clf_boosting, roi_reg_linear, roi_reg_forest, roi_reg_boosting:
  ROI from pre-launch inputs (pipeline.modeling.roi).
- forecaster: outcomes from spend (pipeline.modeling.forecast).
- segments: the KMeans pipeline of the campaign segments (pipeline.modeling.segments).

`load_or_train` is the one "load, else train" that the CLI and the app share: a missing or invalid
model is trained from the data folder (never an upload), then loaded. Training runs under the
folder's lock, so a second process waits and then reuses what the first one saved.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from pipeline import config
from pipeline.inputs import demo
from pipeline.modeling import artifacts, forecast, forecast_training, roi, segments

FORECASTER = forecast.NAME
SEGMENTS = segments.NAME
ALL_MODELS = (*roi.ROI_MODELS, FORECASTER, SEGMENTS)

Progress = Callable[[str], None]
# One training run: takes a progress callback (or None), returns what ensure_models did.
Training = Callable[[Progress | None], dict[str, Any]]


@dataclass(frozen=True)
class ModelBundle:
    """Every saved model and its metadata, verified."""

    models: dict[str, Any]
    metadata: dict[str, dict[str, Any]]


# A loader of named models, e.g. load_models or the app's cached version of it.
Loader = Callable[[Path, Sequence[str]], ModelBundle]


def data_info(campaigns: pd.DataFrame, data_dir: Path) -> dict[str, Any]:
    """What the models were trained on: folder, rows, dates and a content hash."""
    dates = campaigns["date"] if "date" in campaigns.columns else pd.Series(dtype="datetime64[ns]")
    return {
        "source": str(data_dir),
        "rows": len(campaigns),
        "start": None if dates.empty else str(dates.min().date()),
        "end": None if dates.empty else str(dates.max().date()),
        "hash": artifacts.frame_hash(campaigns),
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
    """{name: reason} for every model that is missing, invalid, an ROI model saved without its baseline,
    trained on other data (when `data_hash` is given) or at another ROI threshold (when `threshold` is given)."""
    reasons = {}
    for name in names:
        reason = artifacts.check(models_dir, name)
        if reason is None and name in roi.ROI_MODELS and "baseline" not in artifacts.read_metadata(models_dir, name):
            reason = f"{name}: saved without its baseline scores"  # older metadata: the page can't judge it
        if reason is None and (data_hash is not None or threshold is not None):
            meta = artifacts.read_metadata(models_dir, name)
            if data_hash is not None and meta.get("data", {}).get("hash") != data_hash:
                reason = f"{name}: trained on other data"
            elif threshold is not None and name in roi.CLASSIFIERS and meta.get("threshold") != threshold:
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
    with artifacts.models_lock(models_dir), threadpool_limits(limits=1):
        campaigns = None
        data_hash = None
        if check_data or force:
            campaigns = read_training_data(data_dir)
            data_hash = artifacts.frame_hash(campaigns)
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
    for name in roi.CLASSIFIERS:
        try:
            return float(artifacts.read_metadata(models_dir, name)["threshold"])
        except (artifacts.ArtifactInvalid, KeyError, TypeError, ValueError):
            continue
    return roi.DEFAULT_THRESHOLD


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
        model, meta = forecast_training.train_forecaster(campaigns, progress)
        meta["training_seconds"] = round(time.perf_counter() - started, 2)
        artifacts.save(models_dir, FORECASTER, model, {**meta, "data": info})
    if SEGMENTS in names:
        if progress:
            progress("Segments: choosing k by silhouette")
        started = time.perf_counter()
        model, meta = segments.train_segments(campaigns)
        meta["training_seconds"] = round(time.perf_counter() - started, 2)
        artifacts.save(models_dir, SEGMENTS, model, {**meta, "data": info})
    roi_names = [n for n in names if n in roi.ROI_MODELS]
    if roi_names:
        level = threshold if threshold is not None else _previous_threshold(models_dir)
        for name, (model, meta) in roi.train_roi_models(campaigns, level, roi_names, progress).items():
            artifacts.save(models_dir, name, model, {**meta, "data": info})


def train_models(
    data_dir: Path, models_dir: Path, threshold: float = roi.DEFAULT_THRESHOLD, progress: Progress | None = None
) -> dict[str, Any]:
    """Retrain and save every model (the Retrain button and `python -m pipeline train`)."""
    return ensure_models(data_dir, models_dir, ALL_MODELS, threshold=threshold, force=True, progress=progress)


def load_models(models_dir: Path, names: Sequence[str] = ALL_MODELS) -> ModelBundle:
    """Load and verify every named model; raises ArtifactInvalid naming the first bad one."""
    loaded = {name: artifacts.load(models_dir, name) for name in names}
    return ModelBundle({n: m for n, (m, _) in loaded.items()}, {n: meta for n, (_, meta) in loaded.items()})


def load_or_train(
    models_dir: Path,
    data_dir: Path,
    names: Sequence[str] = ALL_MODELS,
    load: Loader = load_models,
    on_training: Callable[[Training], object] | None = None,
) -> ModelBundle:
    """The named models, verified. When any is missing or invalid, the missing or invalid ones are trained
    from `data_dir` first (valid ones are kept, whatever data they came from), then all are loaded again;
    a second failure raises ArtifactInvalid, a training problem ValueError.

    `load` lets the app cache the loading. `on_training`, when given, is called with the training run
    instead of running it directly, so the app can wrap it in a progress box: it must call it once,
    with a progress callback or None."""
    try:
        return load(models_dir, names)
    except artifacts.ArtifactInvalid:
        training = _training_run(data_dir, models_dir, names)
        if on_training is None:
            training(None)
        else:
            on_training(training)
    return load(models_dir, names)


def _training_run(data_dir: Path, models_dir: Path, names: Sequence[str]) -> Training:
    """ensure_models for `names`, keeping valid models whatever data they came from, given a progress callback."""

    def training(progress: Progress | None) -> dict[str, Any]:
        return ensure_models(data_dir, models_dir, names, check_data=False, progress=progress)

    return training


def load_forecaster(models_dir: Path | None = None, data_dir: Path | None = None) -> forecast.Forecaster:
    """The saved forecaster, verified; retrained from `data_dir` (default: the app's data folder) first
    when missing or invalid."""
    models_dir = models_dir or config.models_dir()
    bundle = load_or_train(models_dir, data_dir or config.data_dir(), (FORECASTER,))
    model = bundle.models[FORECASTER]
    if not isinstance(model, forecast.Forecaster):
        raise artifacts.ArtifactInvalid(f"{FORECASTER}: the saved object is not a Forecaster")
    return model
