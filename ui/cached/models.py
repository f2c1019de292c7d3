"""The saved models, loaded once per process after their hash is checked; trained first when missing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from pipeline import config
from ui.cached.data import ensure_demo_data

if TYPE_CHECKING:  # scikit-learn loads only when a page needs models
    from pipeline.modeling import forecast, roi


def _models_stamp(models_dir: Path) -> str:
    """Changes whenever any model's metadata file is rewritten (e.g. by another process)."""
    stamps = [str(p.stat().st_mtime_ns) for p in sorted(models_dir.glob("*.json"))] if models_dir.is_dir() else []
    return ":".join(stamps)


@st.cache_resource(max_entries=2, show_spinner="Loading models…")
def _trained_models(models_dir: str, stamp: str) -> roi.ModelBundle:
    from pipeline.modeling import roi

    return roi.load_models(Path(models_dir))


@st.cache_resource(max_entries=2, show_spinner="Loading the forecaster…")
def _forecaster(models_dir: str, stamp: str) -> forecast.Forecaster:
    from pipeline.modeling import forecast, store

    model, _ = store.load(Path(models_dir), forecast.NAME)
    return model


def _train_missing(names: tuple[str, ...]) -> None:
    """Train missing or invalid models from the demo data folder (never an upload), with progress."""
    from pipeline.modeling import roi

    ensure_demo_data()
    with st.status("Training models (first run, well under a minute)…", expanded=True) as status:
        try:
            done = roi.ensure_models(
                config.data_dir(), config.models_dir(), names, check_data=False, progress=status.write
            )
        except ValueError:
            status.update(label="Training stopped.", state="error")
            raise
        status.update(label=f"Trained {len(done['trained'])} model(s) in {done['seconds']:.0f} s.", state="complete")


def trained_models() -> roi.ModelBundle:
    """Every saved model with its metadata, verified (sha256, versions) and shared read-only;
    trained first, with a progress box, when any is missing or invalid."""
    from pipeline.modeling import roi, store

    models_dir = config.models_dir()
    try:
        return _trained_models(str(models_dir), _models_stamp(models_dir))
    except store.ArtifactInvalid:
        _train_missing(roi.ALL_MODELS)
    return _trained_models(str(models_dir), _models_stamp(models_dir))


def forecaster() -> forecast.Forecaster:
    """The saved forecaster, verified and shared read-only; trained first (with progress) when needed."""
    from pipeline.modeling import forecast, store

    models_dir = config.models_dir()
    try:
        return _forecaster(str(models_dir), _models_stamp(models_dir))
    except store.ArtifactInvalid:
        _train_missing((forecast.NAME,))
    return _forecaster(str(models_dir), _models_stamp(models_dir))


def retrain_models(threshold: float) -> dict:
    """Retrain every model on the demo data folder with a progress box; the caches then reload."""
    from pipeline.modeling import roi

    ensure_demo_data()
    with st.status("Retraining every model…", expanded=True) as status:
        try:
            done = roi.train_models(config.data_dir(), config.models_dir(), threshold, progress=status.write)
        except ValueError:
            status.update(label="Retraining stopped.", state="error")
            raise
        status.update(label=f"Retrained every model in {done['seconds']:.0f} s.", state="complete", expanded=False)
    _trained_models.clear()
    _forecaster.clear()
    return done
