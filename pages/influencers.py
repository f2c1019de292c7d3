"""Influencer performance for influencer managers: attributed ROAS next to iROAS, alerts, personas, drill-down,
and a shortlist from an uploaded roster."""

import streamlit as st

from pipeline.filters import apply_influencer_filter
from pipeline.influencers import attribution as im
from pipeline.influencers import story
from pipeline.influencers.tracking import IncrementalityInputError
from ui import filters, layout
from ui import format as fmt
from ui.cached import data, influencers
from ui.charts import base as base_charts
from ui.charts import influencers as influencer_charts
from ui.download import csv_download
from ui.roster import roster_section

PROFILE = ["name", "platform", "category", "gender", "influencer_type"]
MONEY = ["payout", "revenue", "roas", "orders", "aov"]
ATTRIBUTED = {"roas": "Attributed ROAS", "revenue": "Attributed revenue", "iroas_interval": "iROAS interval"}
# Two rows, so the labels fit: what the influencers are credited with, then what the experiment says they caused.
ATTRIBUTED_TILES = ["attributed_revenue", "orders", "payout", "attributed_roas"]
INCREMENTAL_TILES = ["incremental_revenue", "incremental_share", "iroas"]
MEASURES = {"auto": "Auto: iROAS if tested", "iroas": "iROAS", "attributed": "Attributed ROAS"}
ALERT_COLUMNS = [
    "name",
    "platform",
    "judged_on",
    "judged_value",
    "evidence",
    "roas",
    "iroas",
    "iroas_interval",
    "payout",
    "revenue",
]

layout.use_app_navigation()
st.title("Influencers")
tables = data.influencer_tables()
spec = filters.influencer_filters(tables)
roster_section()  # a roster needs no campaign data: above the empty states
view = apply_influencer_filter(tables, spec)
layout.stop_if_empty(view["influencers"])
layout.stop_if_empty(view["tracking"])
summary = im.influencer_summary(view)
try:
    # The light report: the pooled comparison and the per-influencer rows, all this page shows.
    report, _ = influencers.incrementality_report_and_source(tables, spec, influencers.LIGHT)
except IncrementalityInputError:
    report = None  # no usable exposed/control groups: attributed figures only
failed = story.failed_checks(report.guardrails) if report is not None else ()
usable = None if failed else report  # data that fails its checks shows no causal figure (the Incrementality page)
experiment = usable.breakdowns.get("influencer") if usable is not None else None
table = story.attributed_vs_incremental(summary, experiment)
table["iroas_interval"] = fmt.multiple_intervals(table["iroas_ci_low"], table["iroas_ci_high"])
numbers = story.headline(im.key_metrics(summary), usable.overall if usable is not None else None)

st.caption(
    f"Source: {data.influencer_source()}. Attributed revenue and orders: everything bought by the users an "
    "influencer exposed (group 1), so attributed ROAS = attributed revenue / payout, sales that would have happened "
    "anyway included. iROAS counts only what the exposed users bought beyond the control group. "
    "A zero payout shows “—”."
)
layout.metric_tiles(numbers | {"orders": im.key_metrics(summary)["orders"]}, ATTRIBUTED_TILES)
layout.metric_tiles(numbers, INCREMENTAL_TILES)
st.info(
    story.blocked_sentence(numbers["attributed_roas"], failed)
    if failed
    else story.story_sentence(numbers) + " Details on the Incrementality page."
)

left, right = st.columns(2)
with left:
    st.subheader("Top influencers by attributed ROAS")
    min_payout = st.number_input(
        "Minimum payout to rank ($)", min_value=0.0, value=im.MIN_PAYOUT_FOR_RANKING, step=100.0, key="inf_min_payout"
    )
    top = im.top_by_roas(table, min_payout)
    if top.empty:
        st.info(f"No influencer was paid {fmt.money(min_payout)} or more in this selection.")
    else:
        columns = ["name", "platform", "roas", "iroas", "iroas_interval", "revenue", "payout"]
        layout.data_table(top, "top influencers by roas", columns, labels=ATTRIBUTED)
with right:
    st.subheader("Poor-ROI alerts")
    choice, limit = st.columns(2)
    filters.link_choice("inf_alert_measure", list(MEASURES), "auto")
    measure = choice.selectbox("Judge on", list(MEASURES), format_func=MEASURES.get, key="inf_alert_measure")
    filters.mirror_choice("inf_alert_measure", measure, "auto")
    threshold = limit.number_input(
        "Alert when below (x)", min_value=0.0, value=im.POOR_ROAS_THRESHOLD, step=0.25, key="inf_threshold"
    )
    alerts = story.poor_roi(table, threshold, measure)
    st.caption(story.measure_sentence(table, measure, failed))
    if not story.judge(table, measure)["judged_value"].notna().any():
        st.info("No influencer in this selection can be judged on this measure.")
    elif alerts.empty:
        st.success(f"Every judged influencer in this selection is at {fmt.multiple(threshold)} or more.")
    else:
        totals = story.alert_totals(alerts)
        caused = totals["incremental_revenue"]
        st.warning(
            f"{fmt.count(totals['influencers'])} influencer(s) below {fmt.multiple(threshold)}: paid "
            f"{fmt.money(totals['payout'])} for {fmt.money(totals['revenue'])} of attributed revenue"
            + ("." if caused != caused else f", of which the experiments credit {fmt.money(caused)} as incremental.")
            + " "
            + story.evidence_sentence(totals, threshold, numbers["confidence"])
        )
        layout.data_table(alerts, "poor roi alerts", ALERT_COLUMNS, labels=ATTRIBUTED)

st.subheader("Best personas: category x gender")
personas = im.persona_roas(summary)
left, right = st.columns(2)
matrix = im.persona_matrix(personas)
layout.chart(
    base_charts.heatmap,
    matrix,
    "roas",
    "Attributed ROAS by category and gender (red: revenue < payout)",
    True,
    1.0,
    where=left,
)
with right:
    ranked = personas.sort_values("roas", ascending=False)
    columns = ["category", "gender", "roas", "revenue", "payout", "influencers"]
    layout.data_table(ranked, "persona roas", columns, labels=ATTRIBUTED)

layout.chart(influencer_charts.revenue_payout_scatter, summary)

left, right = st.columns(2)
with left:
    st.subheader("Engagement by platform")
    engagement = im.engagement_by_platform(view["posts"])
    if engagement.empty:
        st.info("No posts in this selection.")
    else:
        title = "Engagement rate per reach: (likes + comments) / reach"
        layout.chart(base_charts.bar_by, engagement, "platform", "engagement_rate", title)
        layout.data_table(engagement, "engagement by platform", ["platform", "posts", "reach", "engagement_rate"])
with right:
    st.subheader("By influencer type")
    types = im.by_influencer_type(summary)
    layout.chart(base_charts.bar_by, types, "influencer_type", "roas", "Attributed ROAS by influencer type")
    columns = ["influencer_type", "influencers", "payout", "revenue", "roas"]
    layout.data_table(types, "influencer types", columns, labels=ATTRIBUTED)

st.subheader("Drill-down")
by_revenue = summary.sort_values("revenue", ascending=False)
names = dict(zip(by_revenue["influencer_id"], by_revenue["name"], strict=True))
left, right = st.columns([3, 2])
chosen = left.selectbox("Influencer", list(names), format_func=names.get, key="inf_drill")
filters.link_choice("inf_freq", ["day", "week", "month"], "week")
freq = right.segmented_control("Granularity", ["day", "week", "month"], key="inf_freq") or "week"
filters.mirror_choice("inf_freq", freq, "week")
row = summary[summary["influencer_id"] == chosen].iloc[0]
tested = table[table["influencer_id"] == chosen].iloc[0]
drill = {"attributed_revenue": row["revenue"], "attributed_roas": row["roas"], "iroas": tested["iroas"]}
layout.metric_tiles(row.to_dict() | drill, ["attributed_revenue", "payout", "attributed_roas", "iroas", "orders"])
if tested["has_experiment"]:
    st.caption(f"iROAS {fmt.precise_multiple(tested['iroas'])}, interval {tested['iroas_interval']}.")
timeline = im.influencer_timeline(view, chosen, freq)
if timeline.empty:
    st.info("This influencer has no posts or orders in this selection.")
else:
    layout.chart(influencer_charts.timeline, timeline, names[chosen], freq)
posts = im.influencer_posts(view["posts"], chosen)
layout.data_table(posts, f"posts of {names[chosen]}")

st.subheader("All influencers in this selection")
columns = [*PROFILE, *MONEY, "posts", "reach", "engagement_rate", "cpe"]
layout.data_table(summary, "influencer summary", columns, labels=ATTRIBUTED)
csv_download(lambda: view["tracking"], "filtered tracking rows", "Download the filtered tracking rows")
