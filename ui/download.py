"""CSV downloads for every table and for the filtered data, defused for spreadsheets."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

import pandas as pd
import streamlit as st

from pipeline.export import mark_estimated_columns, to_csv_bytes


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "data"


def csv_download(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    name: str,
    label: str = "Download CSV",
    estimated: Collection[str] = (),
) -> None:
    """A download button for `frame` as safe CSV (pipeline.export). The CSV is built only when
    the user clicks, so a big table costs nothing on reruns; pass a callable to defer the frame too.
    Columns named in `estimated` (metrics resting on an assumption) get the header "revenue (estimated)"."""

    def build() -> bytes:
        return to_csv_bytes(mark_estimated_columns(frame() if callable(frame) else frame, estimated))

    slug = _slug(name)
    st.download_button(
        label,
        data=build,
        file_name=f"{slug}.csv",
        mime="text/csv",
        key=f"download_{slug}",
        on_click="ignore",
        icon=":material/download:",
    )
