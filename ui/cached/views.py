"""What a page derives from one data set and one selection (roll-ups, comparisons, a section's table, a fitted model's
summaries), computed once per process and shared read-only by every session that shows the same thing.

Many analysts open the same views (the default last 28 days, one platform): without this each of their reruns redid
the same pandas work, and 20 sessions changing filters at once queued behind it (make bench: burst)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

import pandas as pd
import streamlit as st

from pipeline.filters import CampaignFilter
from ui.cached.data import campaign_token

T = TypeVar("T")


@st.cache_resource(max_entries=512, ttl=3600, show_spinner=False)
def _memo(scope: str, what: str, options: tuple[Hashable, ...], _compute: Callable[[], T]) -> T:
    return _compute()


def memo(scope: str, what: str, compute: Callable[[], T], *options: Hashable) -> T:
    """compute(), cached per `scope` (what the inputs come from: a data set and filter, a fitted model), `what` and
    `options`. Together they must name every input `compute` reads. The result is shared: never modify it."""
    return _memo(scope, what, options, compute)


def derived(frame: pd.DataFrame, spec: CampaignFilter, what: str, compute: Callable[[], T], *options: Hashable) -> T:
    """memo() scoped to a campaign data set (`frame`, as ui.cached.data.campaigns returns it) and a filter: anything
    `compute` reads besides `options` must follow from those two."""
    return memo(f"{campaign_token(frame)}|{spec!r}", what, compute, *options)
