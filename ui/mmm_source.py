"""Which data the media mix model is fitted on, and waiting for its background fit: shared by the Media mix and
Planner pages, so both say the same thing while the model fits and when it can't be fitted."""

from __future__ import annotations

import time

import streamlit as st

from ui import upload
from ui.cached import data
from ui.cached import mmm as cached_mmm

POLL_SECONDS = 2.0


def chosen_source() -> cached_mmm.MmmSource:
    """The session's uploads when both a campaign export and sales are uploaded, else the data folder's."""
    data.follow_dataset_link()  # a shared link's kept dataset, before reading which campaigns are in use
    campaigns, sales = st.session_state.get(data.UPLOADED_CAMPAIGNS_KEY), upload.uploaded_sales()
    if campaigns is not None and sales is None:
        st.info(
            "You uploaded a campaign export but no daily sales: the model below uses the data folder. Upload your "
            "shop's or GA4's daily sales on the Data page to fit it on your own campaigns."
        )
    if campaigns is not None and sales is not None:
        return cached_mmm.upload_source(campaigns, sales)
    return cached_mmm.folder_source()


def fitted_job(source: cached_mmm.MmmSource) -> cached_mmm.FitJob | None:
    """The finished fit, or None after showing the one sentence why there is none. While the fit runs: its
    progress, then a rerun every POLL_SECONDS (st.rerun ends this run, so nothing after the call draws)."""
    job = source.job
    if job.running:
        share = min(job.elapsed / cached_mmm.EXPECTED_FIT_SECONDS, 0.99)
        st.progress(
            share,
            text=f"Fitting the media mix model on {job.label} in the background: {job.elapsed:.0f} s so far, "
            f"usually one to three minutes. The other pages work meanwhile.",
        )
        time.sleep(POLL_SECONDS)
        st.rerun()
    if job.problem:
        st.error(f"The media mix model can't be fitted on this data: {job.problem}")
        return None
    if job.error or job.posterior is None or job.dataset is None:
        st.error(f"The media mix model could not be fitted: {job.error or 'no result'}.")
        return None
    return job
