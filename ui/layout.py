"""Small page sections shared by the dashboard pages: KPI rows, formatted tables, charts, empty states."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pipeline.kpis import LOWER_IS_BETTER, Coverage, Period
from ui import format as fmt
from ui.download import csv_download

NO_DATA = "No data matches these filters."
# Spend going up is neither good nor bad on its own, so its delta stays grey.
NEUTRAL_METRICS = frozenset({"spend", "payout"})
ROW_HEIGHT_PX = 35
CHART_FAILED = "This chart could not be drawn ({reason}). The rest of the page is unaffected."
MAX_REASON_CHARS = 160

log = logging.getLogger(__name__)


def stop_if_empty(frame: pd.DataFrame, message: str = NO_DATA) -> None:
    """Show the plain empty-state message and end this run when nothing matches."""
    if frame.empty:
        st.info(message)
        st.stop()


def use_app_navigation() -> None:
    """Make app.py's st.navigation the router even when a fresh server's first visit is a page's URL.

    With a pages/ folder next to app.py, Streamlit starts in its legacy pages/ mode and leaves it only once
    st.navigation has run: a first visit straight to e.g. /incrementality runs that page file alone, and the
    sidebar lists file names (app, data, ...) for every later visitor too. Leaving that mode and rerunning
    once runs app.py, which picks the page from the URL. Call it first on every page."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def chart(
    build: Callable[..., go.Figure],
    *args: Any,
    where: DeltaGenerator | ModuleType = st,
    key: str | None = None,
    config: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """Draw build(*args, **kwargs) full width in `where` (st, a column, a tab or a container).

    The figure is built here, not by the caller, so anything that fails while building or drawing it shows
    one plain st.error in the chart's place and is logged with its traceback; the rest of the page renders.
    Pass a lambda when the chart's data needs computing too. st.stop and st.rerun pass through (they are
    not Exceptions)."""
    try:
        where.plotly_chart(build(*args, **kwargs), width="stretch", key=key, config=config)
    except Exception as exc:
        log.exception("Chart %s could not be drawn", getattr(build, "__qualname__", repr(build)))
        where.error(CHART_FAILED.format(reason=plain_reason(exc)), icon=":material/broken_image:")


def plain_reason(exc: Exception) -> str:
    """The first line of an error's message, short, for a user; the error's kind when it says nothing."""
    lines = str(exc).strip().splitlines()
    text = lines[0].strip().rstrip(".") if lines else ""
    if text and isinstance(exc, KeyError):  # str(KeyError("roc")) is just "'roc'"
        text = f"{text} is missing from the data"
    if not text:
        text = f"an unexpected {exc.__class__.__name__}"
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def delta_color(metric: str) -> str:
    """st.metric delta colour: "inverse" for costs (down is good), "off" for spend, else "normal"."""
    if metric in NEUTRAL_METRICS:
        return "off"
    return "inverse" if metric in LOWER_IS_BETTER else "normal"


def kpi_row(
    comparison: pd.DataFrame,
    metrics: Sequence[str],
    available: Sequence[str] | None = None,
    per_row: int = 6,
    estimated: Mapping[str, str] | None = None,
    deltas: bool = True,
) -> None:
    """st.metric per metric from kpis.compare_periods output: value, % change vs the previous period.

    Big values are compact on the tile ("$465.3K") and exact in its tooltip. A metric not in
    `available` (the data lacks its inputs) shows "—" with a note. A metric in `estimated`
    (provenance.estimated_metrics) reads "Est. revenue" and its tooltip names the assumption.
    Without `deltas` (a file with no dates) the tiles show the whole table's value and no comparison."""
    estimated = estimated or {}
    rows = comparison.set_index("metric")[["current", "previous", "pct_change"]].to_dict("index")
    for offset in range(0, len(metrics), per_row):
        chunk = metrics[offset : offset + per_row]
        for column, metric in zip(st.columns(per_row), chunk, strict=False):
            name = fmt.estimated_tile_label(metric, estimated)
            if metric not in rows or (available is not None and metric not in available):
                column.metric(name, fmt.MISSING, help="This data lacks the columns for it.", border=True)
                continue
            current, previous, pct = rows[metric]["current"], rows[metric]["previous"], rows[metric]["pct_change"]
            if deltas:
                said = f"This period: {fmt.metric_value(metric, current)}. "
                said += f"Previous period: {fmt.metric_value(metric, previous)}."
            else:
                said = f"Whole table: {fmt.metric_value(metric, current)}."
            column.metric(
                name,
                fmt.tile_value(metric, current),
                delta=None if not deltas or pd.isna(pct) else fmt.signed_percent(pct),
                delta_color=delta_color(metric),
                help=" ".join(part for part in (said, fmt.estimated_help(metric, estimated)) if part),
                border=True,
            )


def metric_tiles(values: Mapping[str, float], metrics: Sequence[str]) -> None:
    """st.metric per metric without deltas (compact when big, "—" when undefined)."""
    for column, metric in zip(st.columns(len(metrics)), metrics, strict=True):
        value = values.get(metric)
        column.metric(
            fmt.label(metric), fmt.tile_value(metric, value), help=fmt.metric_value(metric, value), border=True
        )


def table(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    height: int | str = "auto",
    formats: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    estimated: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A sortable st.dataframe with human headers and number formats ("—" for missing values).

    `formats` overrides the format of a column (st.column_config printf style); `labels` its header. A column in
    `estimated` reads "Revenue (estimated)" with the assumption in its header's tooltip.
    Returns the shown columns (unscaled), e.g. for a download."""
    estimated = estimated or {}
    shown = frame[[c for c in columns if c in frame.columns]] if columns is not None else frame
    display = shown.copy()
    config = {}
    for column in shown.columns:
        header = (labels or {}).get(column, fmt.label(column)) + (fmt.ESTIMATED_SUFFIX if column in estimated else "")
        note = fmt.estimated_help(column, estimated) or None
        number = fmt.column_format(column)
        if formats and column in formats:
            config[column] = st.column_config.NumberColumn(header, format=formats[column], help=note)
        elif number is not None and pd.api.types.is_numeric_dtype(shown[column]):
            display[column] = shown[column] * number[1]
            config[column] = st.column_config.NumberColumn(header, format=number[0], help=note)
        elif pd.api.types.is_datetime64_any_dtype(shown[column]):
            config[column] = st.column_config.DateColumn(header, format="YYYY-MM-DD", help=note)
        else:
            config[column] = st.column_config.Column(header, help=note)
    st.dataframe(
        display, width="stretch", height=height, hide_index=True, column_config=config, placeholder=fmt.MISSING
    )
    return shown


def fit_height(rows: int) -> int:
    """A dataframe height that shows every row without an inner scrollbar."""
    return ROW_HEIGHT_PX * (rows + 1) + 3


def data_table(
    frame: pd.DataFrame,
    name: str,
    columns: Sequence[str] | None = None,
    height: int | str = "auto",
    formats: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    estimated: Mapping[str, str] | None = None,
) -> None:
    """table() plus a CSV download of the same columns (raw values, formula-safe; estimated columns marked)."""
    shown = table(frame, columns, height, formats, labels, estimated)
    csv_download(shown, name, estimated=list(estimated or {}))


def period_caption(source: str, period: Period, coverage: Coverage, has_previous_rows: bool) -> None:
    """Where the numbers come from, the period, and what the deltas compare with, or why there are none."""
    before = coverage.previous
    span = f"Source: {source} · {period.start:%d %b %Y} – {period.end:%d %b %Y} ({period.days} days). "
    previous = f"the previous {period.days} days ({before.start:%d %b %Y} – {before.end:%d %b %Y})"
    if coverage.covered_days == 0:
        st.caption(span + f"The data has no days in {previous}, so there are no changes to show.")
    elif not coverage.complete:
        st.caption(
            span + f"No changes shown: the data covers only {coverage.covered_days} of {previous}, "
            "and totals over part of a period would look like growth."
        )
    elif not has_previous_rows:
        st.caption(span + f"This selection has no rows in {previous}, so there are no changes to show.")
    else:
        st.caption(span + f"Changes compare with {previous}; green is good for the business (a lower CPA is green).")


def undated_caption(source: str) -> None:
    """The period line for a file without dates: say so, and that the numbers cover the whole table."""
    st.caption(
        f"Source: {source} · This file has no dates, so every number covers the whole table: there is no period "
        "and no previous period to compare with."
    )


def metrics_by_column(side: pd.DataFrame, name: str, estimated: Mapping[str, str] | None = None) -> None:
    """A metric x group table (e.g. reporting.compare_platforms) with each row in its own unit, plus CSV. A metric
    in `estimated` reads "Revenue (estimated)", in the table and in the CSV's metric column."""
    estimated = estimated or {}
    formatted = side.apply(lambda col: [fmt.metric_value(m, v) for m, v in zip(side.index, col, strict=True)])
    formatted = formatted.rename(index=lambda m: fmt.estimated_label(m, estimated)).rename_axis(index="Metric")
    st.dataframe(formatted, width="stretch", height=fit_height(len(formatted)))
    marked = side.rename(index=lambda m: f"{m}{fmt.ESTIMATED_SUFFIX}" if m in estimated else m)
    csv_download(marked.reset_index(), name)
