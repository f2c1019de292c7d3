"""Sections of the data page: read an upload, show its mapping and data-quality report, edit guesses; the
session's uploaded daily sales (the business's own revenue, for the media mix model); and the team's workspace,
where uploads are kept for every session (keep, list, switch, rename, delete)."""

from __future__ import annotations

import hashlib
import io

import pandas as pd
import streamlit as st

from pipeline import config
from pipeline.influencers import roster
from pipeline.inputs import provenance
from pipeline.inputs.combine import Combined
from pipeline.inputs.ingest.choices import measure_candidates, measure_overrides
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.headers import detect_kind
from pipeline.inputs.ingest.load import IngestResult
from pipeline.inputs.ingest.vocabulary import IGNORED, SAME_DAY_REASON
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES, SCHEMAS
from pipeline.workspace.store import MAX_NAME_LENGTH, DatasetRecord, WorkspaceError, clean_name
from ui import filters, layout
from ui import format as fmt
from ui import roster as roster_ui
from ui.cached import data
from ui.workspace import workspace

PREVIEW_ROWS = 20
NO_DATES = (
    "This file has no dates: its numbers are totals over a period the file does not say, so the pages show them "
    "without a trend, period comparison or anomalies."
)
ROSTER_ELSEWHERE = (
    "this is an influencer profile list (a roster), not a campaign export. Open it on the Influencers page, "
    f"under “{roster_ui.TITLE}”, to rank and filter creators for the next campaign."
)
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
# This session's uploaded daily sales live with the rest of the session's data (ui.cached.data); these names stay
# here for the pages and tests that use them.
UPLOADED_SALES_KEY = data.UPLOADED_SALES_KEY
UPLOADED_SALES_NAME_KEY = data.UPLOADED_SALES_NAME_KEY
use_sales = data.use_sales
uploaded_sales = data.uploaded_sales
forget_sales = data.forget_sales


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


def sales_source() -> str:
    """Where this session's daily sales come from: the uploaded file's name, else the data folder's sales.csv
    ("demo data"), else "none yet"."""
    uploaded = st.session_state.get(UPLOADED_SALES_NAME_KEY)
    if uploaded:
        return data.kept_label(uploaded)
    return "demo data" if (config.data_dir() / config.SALES_FILE).is_file() else "none yet"


def file_key(upload: object) -> str:
    """A short stable id for an uploaded file's bytes (widget keys for its mapping and assumptions)."""
    return hashlib.sha256(upload.getvalue()).hexdigest()[:12]


def is_misplaced_roster(raw: bytes) -> bool:
    """A roster's header (handles and followers) that ingest took for a campaign table; an influencer profile table
    (id, name, follower_count...) refused for its rows keeps ingest's sentence (as pipeline.cli.answers does)."""
    if not roster.is_roster_file(raw):
        return False
    header = pd.read_csv(io.BytesIO(raw), nrows=0, encoding="utf-8-sig")  # is_roster_file just read it
    return detect_kind([str(column) for column in header.columns]) == "campaigns"


def read_upload(
    upload: object, overrides: dict[str, str] | None = None, assumptions: dict[str, float] | None = None
) -> IngestResult | None:
    """Ingest an uploaded file; on failure show st.error with the one-sentence reason and return None."""
    try:
        return data.ingest_upload(upload.getvalue(), upload.name, overrides or {}, assumptions or {})
    except IngestError as exc:
        if is_misplaced_roster(upload.getvalue()):
            st.error(f"{upload.name}: {ROSTER_ELSEWHERE}")
        else:
            st.error(f"{upload.name}: {exc}")
    except Exception:  # a file we could not anticipate must never show a traceback
        st.error(f"{upload.name}: this file could not be read as a table; export it again as CSV and retry.")
    return None


def with_edits(upload: object, first: IngestResult, key: str) -> IngestResult | None:
    """Offer the guessed mappings, the choice between columns that could be the same measure and the estimation
    assumptions for editing; re-ingest when edited."""
    overrides = mapping_overrides(first, key) | measure_choices(first, key)
    assumptions = assumption_values(first, key)
    return read_upload(upload, overrides, assumptions) if overrides or assumptions else first


def measure_choices(result: IngestResult, key: str) -> dict[str, str]:
    """A select per measure the file has several columns for ("Which column counts as conversions":
    Total_Conversion or Approved_Conversion), ingestion's pick first; returns the mapping overrides of the choice
    (the column not chosen stays in the table under its own name)."""
    overrides: dict[str, str] = {}
    for measure, headers in measure_candidates(result).items():
        chosen = st.selectbox(
            f"Which column counts as {measure}",
            headers,
            key=f"measure_{key}_{measure}",
            help=f"The file has {len(headers)} columns that could be {measure}; the others stay in the table.",
        )
        overrides |= measure_overrides(result, measure, chosen)
    return overrides


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
    # An undated file's placeholder date is no assumption to tune: it is never shown as a period (review says
    # "This file has no dates" instead), so it gets no input.
    editable = {name: value for name, value in result.assumptions.items() if name != "report_date"}
    if not editable:
        return {}
    measures = [m for m in result.estimated if m != "date"]
    st.markdown(f"**Assumptions behind estimated columns ({', '.join(measures)})**")
    return {
        name: st.number_input(
            name.replace("_", " ").capitalize(), min_value=0.0, value=float(value), key=f"assume_{key}_{name}"
        )
        for name, value in editable.items()
    }


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
    if result.kind == "campaigns":
        estimated = provenance.of(result.frame).estimated
        notes += [f"Estimated: {measure} = {sentence} (change it above)." for measure, sentence in estimated.items()]
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
    undated = result.kind == "campaigns" and provenance.of(result.frame).undated
    if undated:
        st.info(NO_DATES)
    quality_report(result)
    st.markdown(f"**Preview** (first {min(PREVIEW_ROWS, result.rows_kept)} rows, as the dashboard will read them)")
    preview = result.frame.head(PREVIEW_ROWS)
    layout.table(preview.drop(columns="date") if undated else preview)  # its placeholder date is no real day
    with st.expander("Column mapping", expanded=bool(guessed)):
        mapping_table(result, guessed)


# ---------------------------------------------------------------- the campaign tab: several exports, stacked


def campaign_files(files: list[object]) -> list[tuple[str, IngestResult]]:
    """Each uploaded campaign file read and reviewed in its own expander; returns the usable ones as (name, result).
    A refused file shows its one sentence and the others go on."""
    usable: list[tuple[str, IngestResult]] = []
    keys: set[str] = set()
    for index, file in enumerate(files):
        first = read_upload(file)
        if first is None:
            continue
        if message := wrong_box(first.kind, file.name, "Campaign export"):
            st.error(message)
            continue
        key = file_key(file) if file_key(file) not in keys else f"{index}_{file_key(file)}"  # the same file twice
        keys.add(key)
        with st.expander(f"{file.name}: {KIND_LABELS[first.kind]}", expanded=len(files) == 1 or bool(first.uncertain)):
            result = with_edits(file, first, key)
            if result is not None:
                review(result, file.name, first.uncertain)
                usable.append((file.name, result))
    return usable


def stack_summary(combined: Combined) -> None:
    """Rows counted per file, the files refused and the overlapping rows left out, each in one sentence."""
    for sentence in combined.refused.values():
        st.error(sentence)
    rows = pd.DataFrame({"file": combined.sources, "rows counted": list(combined.rows_by_source.values())})
    st.dataframe(rows, hide_index=True, width="stretch")
    for overlap in combined.overlaps:
        st.warning(overlap.sentence())
    if not combined.overlaps and len(combined.sources) > 1:
        st.caption("No row of one file repeats another's (same date, platform, campaign, ad set and device).")


def campaign_actions(usable: list[tuple[str, IngestResult]]) -> None:
    """ "Use these files" (stacked together, replacing the data in use) and, while the session uses uploaded
    campaigns, "Add to the data in use" for files it does not hold yet; each with its stacking summary."""
    frames = [result.frame for _, result in usable]
    files = [(name, result.frame) for name, result in usable]
    together = data.stack_uploads(files)
    if len(files) > 1 or together.refused:
        st.markdown("**These files together**")
        stack_summary(together)
    st.button(
        "Use this data" if len(files) == 1 else "Use these files",
        type="primary",
        key="use_campaigns",
        on_click=use_campaign_files,
        args=(together, frames, False),
    )
    in_use = st.session_state.get(data.UPLOADED_CAMPAIGNS_KEY)
    if in_use is not None and in_use is not together.frame and not data.file_tokens(frames) <= data.files_in_use():
        added = data.stack_uploads(files, add_to_data_in_use=True)
        st.markdown(f"**Or add to the data in use** ({plain(data.campaign_source())})")
        stack_summary(added)
        kept = [frame for (name, frame) in files if name not in added.refused]
        if kept:
            st.button(
                "Add to the data in use", key="add_campaigns", on_click=use_campaign_files, args=(added, kept, True)
            )
    if flash := st.session_state.pop(CAMPAIGN_FLASH_KEY, None):
        st.success(flash)


# ---------------------------------------------------------------- switching data (button callbacks)
# The data page's buttons change the data in callbacks, which run before the page is drawn again: the "In use"
# caption at the top of the page then names the data the click chose, not the data before it.

RESET_MESSAGE = "Every page now shows the demo data again."
# The newest kept datasets shown as cards; older ones wait in an expander, so the uploaders stay near the top.
CARDS_SHOWN = 5
FLASH_KEY = "workspace_flash"  # (st function name, sentence) to show once after a workspace action
CAMPAIGN_FLASH_KEY = "campaign_files_flash"  # the sentence to show once after campaign files were used or added


def reset_data() -> None:
    """Back to the demo data everywhere: uploads, sales, kept dataset and filters are forgotten."""
    data.reset_to_demo()
    filters.clear_filter_state()


def use_campaign_upload(frame: pd.DataFrame, name: str) -> None:
    # The same upload clicked again changes nothing: if it was kept meanwhile, it stays the kept dataset in the link.
    if st.session_state.get(data.UPLOADED_CAMPAIGNS_KEY) is frame:
        return
    data.use_campaigns(frame, name)
    filters.clear_filter_state(filters.CAMPAIGN_KEYS)


def use_campaign_files(combined: Combined, files: list[pd.DataFrame], adding: bool) -> None:
    """Use stacked campaign files (alone, or added to the data in use) on every campaign page, and say so."""
    in_use = st.session_state.get(data.UPLOADED_CAMPAIGNS_KEY)
    name = st.session_state.get(data.UPLOADED_CAMPAIGNS_NAME_KEY, "")
    before = data.campaign_sources(in_use, name) if adding and in_use is not None else []
    already = data.files_in_use() if adding else set()
    use_campaign_upload(combined.frame, ", ".join(combined.sources))
    data.remember_files_in_use(already | data.file_tokens(files))
    added = [source for source in combined.sources if source not in before]
    done = f"Added {', '.join(added) or 'nothing new'}: now using" if adding else "Now using"
    st.session_state[CAMPAIGN_FLASH_KEY] = (
        f"{done} {', '.join(combined.sources)} ({fmt.count(len(combined.frame))} rows) on every campaign page for "
        "this session. Keep it for the team under Team workspace above."
    )


def use_influencer_upload(tables: dict[str, pd.DataFrame], names: str) -> None:
    data.use_influencer_tables(tables, names)
    filters.clear_filter_state(filters.INFLUENCER_KEYS)


def _flash(kind: str, text: str) -> None:
    st.session_state[FLASH_KEY] = (kind, text)


def _keep(name_key: str) -> None:
    try:
        record = data.keep_uploads(st.session_state.get(name_key, ""))
    except WorkspaceError as exc:
        _flash("error", str(exc))
        return
    _flash("success", f"Kept “{record.name}” in the workspace: any session can now switch to it.")


def _use_kept(dataset_id: str) -> None:
    try:
        record = data.use_kept_dataset(dataset_id)
    except WorkspaceError as exc:
        _flash("error", str(exc))
        return
    filters.clear_filter_state()
    _flash("success", f"Every page now shows “{record.name}” for this session.")


def _rename_kept(dataset_id: str, name_key: str) -> None:
    try:
        name = clean_name(st.session_state.get(name_key, ""), "dataset name")
        workspace().rename_dataset(dataset_id, name)
    except WorkspaceError as exc:
        _flash("error", str(exc))
        return
    data.rename_kept(dataset_id, name)  # so the "In use" caption shows the new name
    _flash("success", f"Renamed to “{name}”.")


def _delete_kept(dataset_id: str, name: str) -> None:
    try:
        workspace().delete_dataset(dataset_id)
    except WorkspaceError as exc:
        _flash("error", str(exc))
        return
    note = ""
    if data.kept_dataset_id() == dataset_id:
        data.forget_kept_dataset()
        note = " This session keeps showing its data until you switch or reset."
    _flash("success", f"Deleted “{name}” from the workspace.{note}")


# ---------------------------------------------------------------- the workspace section


def plain(text: str) -> str:
    """User-given text (names, file names) shown in markdown as typed."""
    return "".join(f"\\{char}" if char in "\\`*_{}[]()<>#+-.!|~$" else char for char in text)


def default_name(sources: list[str]) -> str:
    """The file names, shortened to the longest name the workspace takes."""
    name = ", ".join(sources)
    return name if len(name) <= MAX_NAME_LENGTH else name[: MAX_NAME_LENGTH - 1] + "…"


def workspace_section() -> None:
    """Keep the session's uploads for the team, and list what is kept: switch to it, rename or delete it."""
    st.subheader("Team workspace")
    st.caption(
        "Kept datasets are shared with everyone who uses this app: anyone can switch to one, rename or delete it. "
        "While one is in use, a copied link opens on it."
    )
    if flash := st.session_state.pop(FLASH_KEY, None):
        getattr(st, flash[0])(flash[1])
    try:
        records = workspace().datasets()
    except WorkspaceError as exc:  # a damaged file: say so, and leave the data in use as it is
        st.error(str(exc))
        return
    keep_form()
    if not records:
        st.caption("Nothing is kept yet. Use an upload below, then keep it here so every session can switch to it.")
    for record in records[:CARDS_SHOWN]:
        kept_card(record)
    if len(records) > CARDS_SHOWN:
        with st.expander(f"{len(records) - CARDS_SHOWN} older kept datasets"):
            for record in records[CARDS_SHOWN:]:
                kept_card(record)


def keep_form() -> None:
    """Name and keep the uploads this session uses (hidden when it shows demo data or an already kept dataset)."""
    tables, sources = data.uploads_in_use()
    if not tables or data.kept_dataset_id() is not None:
        return
    key = f"ws_keep_name_{hashlib.sha256('|'.join(sources).encode()).hexdigest()[:8]}"
    name_col, button_col = st.columns([3, 2], vertical_alignment="bottom")
    name_col.text_input(
        f"Name for the data in use ({', '.join(sources)})",
        value=default_name(sources),
        max_chars=MAX_NAME_LENGTH,
        key=key,
    )
    button_col.button(
        "Keep this data in the workspace",
        key="ws_keep",
        type="primary",
        on_click=_keep,
        args=(key,),
        icon=":material/inventory_2:",
    )


def kept_card(record: DatasetRecord) -> None:
    """One kept dataset: name, source files, rows, when it was kept; use, rename and delete."""
    in_use = record.id == data.kept_dataset_id()
    with st.container(border=True, key=f"ws_card_{record.id}"):
        about, actions = st.columns([3, 2], vertical_alignment="center")
        about.markdown(f"**{plain(record.name)}**" + ("  :green-badge[In use in this session]" if in_use else ""))
        about.caption(
            f"{plain(', '.join(record.sources) or 'no file names')} · {fmt.count(record.rows)} rows · "
            f"kept {record.kept_at:%d %b %Y, %H:%M} UTC"
        )
        use_col, rename_col, delete_col = actions.columns(3)
        use_col.button(
            "Use this data",
            key=f"ws_use_{record.id}",
            disabled=in_use,
            on_click=_use_kept,
            args=(record.id,),
            width="stretch",
        )
        with rename_col.popover("Rename", width="stretch"):
            name_key = f"ws_rename_name_{record.id}"
            st.text_input("New name", value=record.name, max_chars=MAX_NAME_LENGTH, key=name_key)
            st.button("Save the name", key=f"ws_rename_{record.id}", on_click=_rename_kept, args=(record.id, name_key))
        with delete_col.popover("Delete", width="stretch"):
            st.write(
                f"Delete “{plain(record.name)}” for everyone? Sessions using it keep their copy until they switch."
            )
            st.button(
                "Delete it",
                key=f"ws_delete_{record.id}",
                type="primary",
                on_click=_delete_kept,
                args=(record.id, record.name),
            )
