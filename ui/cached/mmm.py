"""The media mix model for the pages: lined up and fitted once per data set in a background thread, so no page
(and no server start) waits on it.

The data folder's fit is cached on disk (pipeline.modeling.mmm.load_or_fit: hash and versions checked, atomic
writes, refitted when stale or corrupt); an upload's fit lives in this process only. app.py starts the data
folder's job when the server starts, so by the time a planner opens the page it is usually ready.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from pipeline import config
from ui import upload
from ui.cached import data

if TYPE_CHECKING:
    from pipeline.modeling.mmm_data import MmmDataset
    from pipeline.modeling.mmm_fit import MmmPosterior

log = logging.getLogger(__name__)
# What the progress bar assumes a fit takes on 2 cores (measured: one to three minutes for a year of days).
EXPECTED_FIT_SECONDS = 120.0


@dataclass
class FitJob:
    """One background job: the data set it lined up, then its fit, or the one sentence why it could not."""

    label: str
    key: str  # what the job was started for (the data set), so its results can be cached per job
    started: float = field(default_factory=time.monotonic)
    dataset: MmmDataset | None = None
    posterior: MmmPosterior | None = None
    problem: str | None = None  # the data can't be modelled (plain sentence for the user)
    error: str | None = None  # the fit itself failed
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


def _run(job: FitJob, build: Callable[[], MmmDataset], models_dir: Path | None) -> None:
    from pipeline.inputs.demo import DemoDataError
    from pipeline.inputs.ingest.errors import IngestError
    from pipeline.modeling import mmm

    try:
        job.dataset = build()
    except (mmm.MmmInputError, DemoDataError, IngestError) as exc:
        job.problem = str(exc)
        return
    try:
        settings = mmm.SamplerSettings.from_environment()
        if models_dir is None:
            job.posterior = mmm.fit_mmm(job.dataset, settings)
        else:
            job.posterior = mmm.load_or_fit(models_dir, job.dataset, settings)
    except Exception as exc:  # the page shows one sentence; the traceback goes to the log
        log.exception("The media mix model could not be fitted")
        job.error = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__


@st.cache_resource(max_entries=4, show_spinner=False)
def _job(key: str, _build: Callable[[], MmmDataset], models_dir: str | None, label: str) -> FitJob:
    """Start the job for this data set once per process; later calls return the same job."""
    job = FitJob(label=label, key=key)
    folder = Path(models_dir) if models_dir else None
    name = f"mmm-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
    job.thread = threading.Thread(target=_run, args=(job, _build, folder), name=name, daemon=True)
    job.thread.start()
    return job


@dataclass(frozen=True)
class MmmSource:
    """The job for the data the page shows, the campaign rows behind it, and whether they are uploads."""

    job: FitJob
    campaigns: Callable[[], pd.DataFrame]
    uploaded: bool


def folder_source() -> MmmSource:
    """The data folder's campaigns, sales and influencer tables (the lift test comes from the latter)."""
    from pipeline.modeling import mmm

    data.ensure_demo_data()
    directory = config.data_dir()
    key = f"folder:{directory}:{data.demo_files_key(directory)}"
    job = _job(
        key, lambda: mmm.dataset_from_folder(directory), str(config.models_dir()), f"the data folder ({directory.name})"
    )
    return MmmSource(job, lambda: data.demo_campaigns(str(directory)), uploaded=False)


def upload_source(campaigns: pd.DataFrame, sales: pd.DataFrame) -> MmmSource:
    """This session's uploaded campaign export and sales; no influencer channel (its tables are the demo's)."""
    from pipeline.modeling import mmm_data

    sales_hash = hashlib.sha256(pd.util.hash_pandas_object(sales, index=False).to_numpy().tobytes()).hexdigest()
    key = f"upload:{data.campaign_token(campaigns)}:{sales_hash}"
    label = f"your uploads ({data.campaign_source()} and {upload.sales_source()})"
    job = _job(key, lambda: mmm_data.build_dataset(campaigns, sales), None, label)
    return MmmSource(job, lambda: campaigns, uploaded=True)


def start_folder_fit() -> None:
    """Start the data folder's job without waiting (app.py calls this on every run; it starts once)."""
    try:
        folder_source()
    except Exception:  # a broken folder is reported by the page that needs it
        log.exception("The media mix model's background job could not start")
