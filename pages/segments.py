"""Campaign segments: KMeans on CTR, CPC, CPA and ROI of each campaign x ad set (pipeline.modeling.segments)."""

import streamlit as st

from pipeline.inputs import provenance
from ui import filters, layout
from ui import format as fmt
from ui.cached import campaigns, data
from ui.charts import models as model_charts
from ui.download import csv_download

PROFILE_COLUMNS = ["label", "units", "spend", "spend_share", "ctr", "cpc", "cpa", "roi", "roas"]
ASSIGNMENT_COLUMNS = ["name", "platform", "label", "spend", "ctr", "cpc", "cpa", "roi"]

layout.use_app_navigation()
st.title("Campaign segments")
frame = data.campaigns()
marks = provenance.of(frame)
estimated = provenance.estimated_metrics(marks)
spec = filters.campaign_filters(frame, dated=not marks.undated)
try:
    result = campaigns.campaign_segments(frame, spec)
except ValueError as exc:
    st.info(str(exc))
    st.stop()

st.caption(
    f"Source: {data.campaign_source()}. {len(result.assignments)} campaign x ad set units grouped by CTR, CPC, "
    f"CPA and ROI (each a ratio of the unit's sums), log-scaled and robust-scaled. k = {result.k} segments "
    f"gave the best silhouette ({result.score:.3f}) of k = 2–8."
    + (
        f" {len(result.excluded)} units without spend, clicks or conversions are left out."
        if len(result.excluded)
        else ""
    )
)
if "roi" in estimated:
    st.warning(
        f"ROI, one of the four measures behind the segments, rests on an assumption. "
        f"{fmt.estimated_help('roi', estimated)} Segments that differ in ROI differ by it.",
        icon=":material/info:",
    )
tiles = st.columns(3)
tiles[0].metric("Segments", result.k, border=True)
tiles[1].metric("Units segmented", fmt.count(len(result.assignments)), border=True)
tiles[2].metric("Silhouette", f"{result.score:.3f}", help="−1 to 1; higher means better separated.", border=True)

layout.chart(model_charts.segment_scatter, result.assignments, fmt.estimated_note(["roi"], estimated))

st.subheader("Segment profiles")
st.caption("KPIs of each segment are ratios of its units' sums; share is the segment's part of all spend.")
layout.data_table(
    result.profiles,
    "segment profiles",
    PROFILE_COLUMNS,
    formats={"spend_share": "percent"},
    labels={"label": "Segment", "spend_share": "Share of spend"},
    estimated=estimated,
)

left, right = st.columns([3, 2])
layout.chart(model_charts.scatter_matrix, result.assignments, where=left)
layout.chart(model_charts.silhouette_line, result.silhouette, result.k, where=right)

st.subheader("Assignments")
layout.table(
    result.assignments,
    [c for c in ASSIGNMENT_COLUMNS if c in result.assignments],
    labels={"label": "Segment"},
    estimated=estimated,
)
csv_download(result.assignments, "segment assignments", "Download the assignments (CSV)", estimated=list(estimated))
