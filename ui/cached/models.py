"""The saved models, loaded once per process after their hash is checked; trained first when missing.

Whether to train is pipeline.modeling.store.load_or_train's decision; this module adds the cache and the
progress box the user sees while training.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from pipeline import config
from ui.cached.data import ensure_demo_data

if TYPE_CHECKING:  # scikit-learn loads only when a page needs models
    from pipeline.modeling import forecast, store


def _models_stamp(models_dir: Path) -> str:
    """Changes whenever any model's metadata file is rewritten (e.g. by another process)."""
    stamps = [str(p.stat().st_mtime_ns) for p in sorted(models_dir.glob("*.json"))] if models_dir.is_dir() else []
    return ":".join(stamps)


@st.cache_resource(max_entries=2, show_spinner="Loading models…")
def _trained_models(models_dir: str, names: tuple[str, ...], stamp: str) -> store.ModelBundle:
    from pipeline.modeling import store

    return store.load_models(Path(models_dir), names)


@st.cache_resource(max_entries=2, show_spinner="Loading the forecaster…")
def _forecaster(models_dir: str, names: tuple[str, ...], stamp: str) -> store.ModelBundle:
    from pipeline.modeling import store

    return store.load_models(Path(models_dir), names)


def _train_with_progress(training: store.Training) -> None:
    """Run the store's training on the demo data folder (never an upload) inside a progress box."""
    ensure_demo_data()
    with st.status("Training models (first run, about a minute)…", expanded=True) as status:
        try:
            done = training(status.write)
        except ValueError:
            status.update(label="Training stopped.", state="error")
            raise
        status.update(label=f"Trained {len(done['trained'])} model(s) in {done['seconds']:.0f} s.", state="complete")


def _load_or_train(
    names: Sequence[str], cached: Callable[[str, tuple[str, ...], str], store.ModelBundle]
) -> store.ModelBundle:
    """store.load_or_train through `cached`; the stamp in its key makes freshly trained files load anew."""
    from pipeline.modeling import store

    return store.load_or_train(
        config.models_dir(),
        config.data_dir(),
        names,
        load=lambda folder, wanted: cached(str(folder), tuple(wanted), _models_stamp(folder)),
        on_training=_train_with_progress,
    )


def trained_models() -> store.ModelBundle:
    """Every saved model with its metadata, verified (sha256, versions) and shared read-only;
    trained first, with a progress box, when any is missing or invalid."""
    from pipeline.modeling import store

    return _load_or_train(store.ALL_MODELS, _trained_models)


def forecaster() -> forecast.Forecaster:
    """The saved forecaster, verified and shared read-only; trained first (with progress) when needed."""
    from pipeline.modeling import store

    return _load_or_train((store.FORECASTER,), _forecaster).models[store.FORECASTER]


def retrain_models(threshold: float) -> dict:
    """Retrain every model on the demo data folder with a progress box; the caches then reload."""
    from pipeline.modeling import store

    ensure_demo_data()
    with st.status("Retraining every model…", expanded=True) as status:
        try:
            done = store.train_models(config.data_dir(), config.models_dir(), threshold, progress=status.write)
        except ValueError:
            status.update(label="Retraining stopped.", state="error")
            raise
        status.update(label=f"Retrained every model in {done['seconds']:.0f} s.", state="complete", expanded=False)
    _trained_models.clear()
    _forecaster.clear()
    return done
