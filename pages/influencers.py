"""Influencer performance for influencer managers: attributed revenue, ROAS, alerts, personas, drill-down."""

import streamlit as st

from pipeline.filters import apply_influencer_filter
from pipeline.influencers import attribution as im
from ui import filters, layout
from ui import format as fmt
from ui.cached import data
from ui.charts import base as base_charts
from ui.charts import influencers as influencer_charts
from ui.download import csv_download

PROFILE = ["name", "platform", "category", "gender", "influencer_type"]
MONEY = ["payout", "revenue", "roas", "orders", "aov"]
MINUS_PAYOUT_FORMAT = {"revenue_minus_payout": "$%,.0f"}  # revenue − payout, not profit: no cost of goods in it

layout.use_app_navigation()
st.title("Influencers")
tables = data.influencer_tables()
spec = filters.influencer_filters(tables)
view = apply_influencer_filter(tables, spec)
layout.stop_if_empty(view["influencers"])
layout.stop_if_empty(view["tracking"])
summary = im.influencer_summary(view)

st.caption(
    f"Source: {data.influencer_source()}. Revenue and orders are attributed: everything bought by the users "
    "an influencer exposed (group 1), so ROAS = attributed revenue / payout. It includes sales that would have "
    "happened anyway; the Incrementality page measures the true lift. A zero payout shows “—”."
)
layout.metric_tiles(im.key_metrics(summary), ["revenue", "payout", "roas", "orders", "aov"])

left, right = st.columns(2)
with left:
    st.subheader("Top influencers by ROAS")
    min_payout = st.number_input(
        "Minimum payout to rank ($)", min_value=0.0, value=im.MIN_PAYOUT_FOR_RANKING, step=100.0, key="inf_min_payout"
    )
    top = im.top_by_roas(summary, min_payout)
    if top.empty:
        st.info(f"No influencer was paid {fmt.money(min_payout)} or more in this selection.")
    else:
        layout.data_table(top, "top influencers by roas", ["name", "platform", "roas", "revenue", "payout", "orders"])
with right:
    st.subheader("Poor-ROI alerts")
    threshold = st.number_input(
        "Alert when ROAS is below (x)", min_value=0.0, value=im.POOR_ROAS_THRESHOLD, step=0.25, key="inf_threshold"
    )
    alerts = im.poor_roi(summary, threshold)
    if alerts.empty:
        st.success(f"Every paid influencer in this selection has ROAS of {fmt.multiple(threshold)} or more.")
    else:
        cost = im.alert_cost(alerts)
        st.warning(
            f"{fmt.count(cost['influencers'])} influencer(s) below {fmt.multiple(threshold)}: paid "
            f"{fmt.money(cost['payout'])} for {fmt.money(cost['revenue'])} of attributed revenue "
            f"(revenue minus payout {fmt.money(-cost['net_loss'])}, before the cost of goods)."
        )
        columns = ["name", "platform", "roas", "payout", "revenue", "revenue_minus_payout"]
        layout.data_table(alerts, "poor roi alerts", columns, formats=MINUS_PAYOUT_FORMAT)

st.subheader("Best personas: category x gender")
personas = im.persona_roas(summary)
left, right = st.columns(2)
matrix = im.persona_matrix(personas)
layout.chart(
    base_charts.heatmap,
    matrix,
    "roas",
    "ROAS by category and gender (red: revenue < payout)",
    True,
    1.0,
    where=left,
)
with right:
    ranked = personas.sort_values("roas", ascending=False)
    layout.data_table(ranked, "persona roas", ["category", "gender", "roas", "revenue", "payout", "influencers"])

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
    layout.chart(base_charts.bar_by, types, "influencer_type", "roas", "ROAS by influencer type")
    layout.data_table(types, "influencer types", ["influencer_type", "influencers", "payout", "revenue", "roas"])

st.subheader("Drill-down")
by_revenue = summary.sort_values("revenue", ascending=False)
names = dict(zip(by_revenue["influencer_id"], by_revenue["name"], strict=True))
left, right = st.columns([3, 2])
chosen = left.selectbox("Influencer", list(names), format_func=names.get, key="inf_drill")
freq = right.segmented_control("Granularity", ["day", "week", "month"], default="week", key="inf_freq") or "week"
row = summary[summary["influencer_id"] == chosen].iloc[0]
layout.metric_tiles(row.to_dict(), ["revenue", "payout", "roas", "orders", "engagement_rate"])
timeline = im.influencer_timeline(view, chosen, freq)
if timeline.empty:
    st.info("This influencer has no posts or orders in this selection.")
else:
    layout.chart(influencer_charts.timeline, timeline, names[chosen], freq)
posts = im.influencer_posts(view["posts"], chosen)
layout.data_table(posts, f"posts of {names[chosen]}")

st.subheader("All influencers in this selection")
layout.data_table(summary, "influencer summary", [*PROFILE, *MONEY, "posts", "reach", "engagement_rate", "cpe"])
csv_download(lambda: view["tracking"], "filtered tracking rows", "Download the filtered tracking rows")
