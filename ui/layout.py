"""Small page sections shared by the dashboard pages: KPI rows, formatted tables, empty states."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from pipeline.kpis import LOWER_IS_BETTER
from ui import format as fmt
from ui.download import csv_download

NO_DATA = "No data matches these filters."
# Spend going up is neither good nor bad on its own, so its delta stays grey.
NEUTRAL_METRICS = frozenset({"spend", "payout"})


def stop_if_empty(frame: pd.DataFrame, message: str = NO_DATA) -> None:
    """Show the plain empty-state message and end this run when nothing matches."""
    if frame.empty:
        st.info(message)
        st.stop()


def delta_color(metric: str) -> str:
    """st.metric delta colour: "inverse" for costs (down is good), "off" for spend, else "normal"."""
    if metric in NEUTRAL_METRICS:
        return "off"
    return "inverse" if metric in LOWER_IS_BETTER else "normal"


def kpi_row(
    comparison: pd.DataFrame, metrics: Sequence[str], available: Sequence[str] | None = None, per_row: int = 6
) -> None:
    """st.metric per metric from kpis.compare_periods output: value, % change vs the previous period.

    A metric not in `available` (the data lacks its inputs) shows "—" with a note."""
    rows = comparison.set_index("metric")[["current", "previous", "pct_change"]].to_dict("index")
    for offset in range(0, len(metrics), per_row):
        chunk = metrics[offset : offset + per_row]
        for column, metric in zip(st.columns(per_row), chunk, strict=False):
            if metric not in rows or (available is not None and metric not in available):
                column.metric(fmt.label(metric), fmt.MISSING, help="This data lacks the columns for it.", border=True)
                continue
            current, previous, pct = rows[metric]["current"], rows[metric]["previous"], rows[metric]["pct_change"]
            column.metric(
                fmt.label(metric),
                fmt.metric_value(metric, current),
                delta=None if pd.isna(pct) else fmt.signed_percent(pct),
                delta_color=delta_color(metric),
                help=f"Previous period: {fmt.metric_value(metric, previous)}",
                border=True,
            )


def metric_tiles(values: dict[str, float], metrics: Sequence[str]) -> None:
    """st.metric per metric without deltas (values formatted, "—" when undefined)."""
    for column, metric in zip(st.columns(len(metrics)), metrics, strict=True):
        column.metric(fmt.label(metric), fmt.metric_value(metric, values.get(metric)), border=True)


def data_table(
    frame: pd.DataFrame, name: str, columns: Sequence[str] | None = None, height: int | str = "auto"
) -> None:
    """A sortable st.dataframe with human headers and number formats, plus its CSV download."""
    shown = frame[list(columns)] if columns is not None else frame
    config = {}
    for column in shown.columns:
        number_format = fmt.column_format(column)
        if number_format is not None and pd.api.types.is_numeric_dtype(shown[column]):
            config[column] = st.column_config.NumberColumn(fmt.label(column), format=number_format)
        elif pd.api.types.is_datetime64_any_dtype(shown[column]):
            config[column] = st.column_config.DateColumn(fmt.label(column), format="YYYY-MM-DD")
        else:
            config[column] = st.column_config.Column(fmt.label(column))
    st.dataframe(shown, width="stretch", height=height, hide_index=True, column_config=config, placeholder="—")
    csv_download(shown, name)
