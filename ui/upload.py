"""Sections of the data page: read an upload, show its mapping and data-quality report, edit guesses; and the
session's uploaded daily sales (the business's own revenue, for the media mix model)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st

from pipeline import config
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.load import IngestResult
from pipeline.inputs.ingest.vocabulary import IGNORED, SAME_DAY_REASON
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES, SCHEMAS
from ui import format as fmt
from ui import layout
from ui.cached import data

PREVIEW_ROWS = 20
KIND_LABELS = {
    "campaigns": "campaign performance",
    "influencers": "influencer profiles",
    "posts": "influencer posts",
    "tracking": "user-level tracking",
    "payouts": "influencer payouts",
    "sales": "daily sales",
}
# Which uploader of the data page takes each kind (for the "upload it under ..." message).
KIND_BOXES = {"campaigns": "Campaign export", "sales": "Sales"} | {
    kind: "Influencer tables" for kind in ("influencers", "posts", "tracking", "payouts")
}
# This session's uploaded daily sales (canonical frame: date, revenue, orders) and its file name. Kept until
# another good sales file is confirmed or the data is reset; a refused upload never replaces it.
UPLOADED_SALES_KEY = "uploaded_sales"
UPLOADED_SALES_NAME_KEY = "uploaded_sales_name"


def canonical_targets(kind: str) -> list[str]:
    """The canonical columns a source header can be mapped to for this table kind, plus "ignore"."""
    names = [*CAMPAIGN_DIMENSIONS, *CAMPAIGN_MEASURES] if kind == "campaigns" else list(SCHEMAS[kind].columns)
    return [*names, IGNORED]


def wrong_box(kind: str, name: str, box: str) -> str | None:
    """The sentence for a file of `kind` dropped on the uploader `box` that does not take it, else None."""
    if KIND_BOXES[kind] == box:
        return None
    what = "a campaign export" if kind == "campaigns" else KIND_LABELS[kind]
    return f"{name} looks like {what}; upload it under {KIND_BOXES[kind]}."


def use_sales(frame: pd.DataFrame, name: str) -> None:
    """Keep an uploaded daily-sales table for this session (read with uploaded_sales)."""
    st.session_state[UPLOADED_SALES_KEY] = frame
    st.session_state[UPLOADED_SALES_NAME_KEY] = name


def uploaded_sales() -> pd.DataFrame | None:
    """This session's uploaded daily sales (pipeline.schemas.SALES), or None. Read-only."""
    return st.session_state.get(UPLOADED_SALES_KEY)


def forget_sales() -> None:
    for key in (UPLOADED_SALES_KEY, UPLOADED_SALES_NAME_KEY):
        st.session_state.pop(key, None)


def sales_source() -> str:
    """Where this session's daily sales come from: the uploaded file's name, else the data folder's sales.csv
    ("demo data"), else "none yet"."""
    uploaded = st.session_state.get(UPLOADED_SALES_NAME_KEY)
    if uploaded:
        return uploaded
    return "demo data" if (config.data_dir() / config.SALES_FILE).is_file() else "none yet"


def file_key(upload: object) -> str:
    """A short stable id for an uploaded file's bytes (widget keys for its mapping and assumptions)."""
    return hashlib.sha256(upload.getvalue()).hexdigest()[:12]


def read_upload(
    upload: object, overrides: dict[str, str] | None = None, assumptions: dict[str, float] | None = None
) -> IngestResult | None:
    """Ingest an uploaded file; on failure show st.error with the one-sentence reason and return None."""
    try:
        return data.ingest_upload(upload.getvalue(), upload.name, overrides or {}, assumptions or {})
    except IngestError as exc:
        st.error(f"{upload.name}: {exc}")
    except Exception:  # a file we could not anticipate must never show a traceback
        st.error(f"{upload.name}: this file could not be read as a table; export it again as CSV and retry.")
    return None


def with_edits(upload: object, first: IngestResult, key: str) -> IngestResult | None:
    """Offer the guessed mappings and the estimation assumptions for editing; re-ingest when edited."""
    overrides = mapping_overrides(first, key)
    assumptions = assumption_values(first, key)
    return read_upload(upload, overrides, assumptions) if overrides or assumptions else first


def mapping_overrides(result: IngestResult, key: str) -> dict[str, str]:
    """Selectboxes for the headers whose mapping was a guess; returns header -> the chosen canonical name."""
    if not result.uncertain:
        return {}
    st.markdown("**Check these guessed columns**")
    targets = canonical_targets(result.kind)
    chosen = {}
    for header in result.uncertain:
        guess = result.mapping.get(header, IGNORED)
        options = targets if guess in targets else [guess, *targets]
        chosen[header] = st.selectbox(
            f"“{header}” means", options, index=options.index(guess), key=f"map_{key}_{header}"
        )
    return chosen


def assumption_values(result: IngestResult, key: str) -> dict[str, float]:
    """Inputs for the assumptions behind estimated columns (e.g. average order value)."""
    if not result.assumptions:
        return {}
    st.markdown(f"**Assumptions behind estimated columns ({', '.join(result.estimated) or 'none'})**")
    values = {}
    for name, value in result.assumptions.items():
        if name == "report_date":
            day = st.date_input(
                "Date given to every row (the file has no dates)",
                value=pd.to_datetime(str(int(value)), format="%Y%m%d").date(),
                key=f"assume_{key}_{name}",
            )
            values[name] = float(day.strftime("%Y%m%d")) if isinstance(day, dt.date) else value
        else:
            values[name] = st.number_input(
                name.replace("_", " ").capitalize(), min_value=0.0, value=float(value), key=f"assume_{key}_{name}"
            )
    return values


def quality_report(result: IngestResult) -> None:
    """Rows read, kept and dropped by reason; estimated columns; platforms found."""
    dropped = sum(result.dropped.values())
    cols = st.columns(3)
    cols[0].metric("Rows read", fmt.count(result.rows_read))
    cols[1].metric("Rows kept", fmt.count(result.rows_kept))
    cols[2].metric("Rows dropped", fmt.count(dropped))
    if result.dropped:
        reasons = pd.DataFrame({"reason": list(result.dropped), "rows": list(result.dropped.values())})
        st.dataframe(reasons, hide_index=True, width="stretch")
    notes = []
    if result.estimated:
        notes.append(f"Estimated columns: {', '.join(result.estimated)} (from the assumptions below).")
    if result.platforms:
        notes.append(f"Platforms: {', '.join(result.platforms)}.")
    if result.kind == "sales":
        notes += sales_totals(result)
    for note in notes:
        st.caption(note)


def sales_totals(result: IngestResult) -> list[str]:
    """Days, total revenue and orders of a sales file as tiles; returns notes on summed days and unknown orders."""
    totals = result.totals or {}
    frame = result.frame
    cols = st.columns(3)
    cols[0].metric("Days", fmt.count(len(frame)))
    cols[1].metric("Revenue", fmt.metric_value("revenue", totals.get("revenue")))
    cols[2].metric("Orders", fmt.count(totals.get("orders")))
    notes = [f"From {frame['date'].min():%Y-%m-%d} to {frame['date'].max():%Y-%m-%d}."] if len(frame) else []
    if result.dropped.get(SAME_DAY_REASON):
        notes.append(
            f"{fmt.count(result.dropped[SAME_DAY_REASON])} rows shared a day with another and were summed into it."
        )
    if result.missing.get("orders"):
        notes.append(f"Orders are unknown on {fmt.count(result.missing['orders'])} days.")
    elif totals.get("orders") is None:
        notes.append("The file has no orders column: orders are unknown.")
    return notes


def mapping_table(result: IngestResult, guessed: list[str]) -> None:
    """Source header -> canonical column, marking the guesses (editable above the table)."""
    table = pd.DataFrame(
        {
            "source column": list(result.mapping),
            "maps to": list(result.mapping.values()),
            "how": ["guessed: check it above" if h in guessed else "recognised" for h in result.mapping],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def review(result: IngestResult, name: str, guessed: list[str] | None = None) -> None:
    """Preview, data-quality report and column mapping of one ingested file."""
    guessed = result.uncertain if guessed is None else guessed
    st.success(
        f"{name}: read as {KIND_LABELS[result.kind]}, {fmt.count(result.rows_kept)} of "
        f"{fmt.count(result.rows_read)} rows usable."
    )
    quality_report(result)
    st.markdown(f"**Preview** (first {min(PREVIEW_ROWS, result.rows_kept)} rows, as the dashboard will read them)")
    layout.table(result.frame.head(PREVIEW_ROWS))
    with st.expander("Column mapping", expanded=bool(guessed)):
        mapping_table(result, guessed)
