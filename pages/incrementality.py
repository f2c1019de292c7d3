"""Incrementality: what the influencers caused (exposed vs control), and how sure we are."""

import streamlit as st

from pipeline.filters import apply_influencer_filter
from pipeline.influencers import attribution, story
from pipeline.influencers import statistics as inc_stats
from pipeline.influencers.guardrails import FLAG
from pipeline.influencers.tracking import IncrementalityInputError
from pipeline.influencers.verdict import blocking_message, break_even_iroas, break_even_phrase, verdict, verdict_tone
from ui import filters, layout
from ui import format as fmt
from ui.cached import data, influencers
from ui.charts import influencers as influencer_charts

STRATIFIED = "Each influencer's exposed users against its own control users, weighted by its exposed users"
MARGIN_HELP = "100% judges break-even on revenue. Enter your gross margin to judge it on gross profit."
P_VALUE_HELP = "Welch's t-test: how often a gap at least this big would appear if the influencers had no effect."
STORY_COLUMNS = ["name", "platform", "payout", "revenue", "roas", "incremental_revenue", "iroas", "iroas_interval"]
STORY_LABELS = {"roas": "Attributed ROAS", "revenue": "Attributed revenue", "iroas_interval": "iROAS interval"}

layout.use_app_navigation()
st.title("Incrementality")
st.caption(
    "Exposed users against a randomised control group: the revenue the influencers caused, "
    "not the revenue the platforms credit them with."
)

tables = data.influencer_tables()
spec = filters.influencer_filters(tables)
try:
    report, backend = influencers.incrementality_report_and_source(tables, spec)
except IncrementalityInputError as exc:
    st.error(str(exc))
    st.stop()
if backend is not None:
    st.caption(f"Computed in {backend} from per-group sums; interval: normal approximation.")
if report.tracking_rows == 0:
    st.info("No data matches these filters.")
    st.stop()
for warning in report.warnings:
    st.warning(warning)
if report.problem:
    st.info(report.problem)
    st.stop()

overall, stratified = report.overall, report.stratified
level = f"{overall.confidence:.0%}"
iroas_interval = fmt.multiple_interval(overall.iroas_ci_low, overall.iroas_ci_high)
lift_interval = f"{fmt.percent(overall.lift_ci_low, 1)} – {fmt.percent(overall.lift_ci_high, 1)}"
per_influencer = f"{level} interval {fmt.multiple_interval(stratified.iroas_ci_low, stratified.iroas_ci_high)}"
columns = st.columns(5)
columns[0].metric(
    "iROAS", fmt.precise_multiple(overall.iroas), help=f"Per $1 of payout; {level} interval {iroas_interval}."
)
columns[1].metric("Incremental revenue", fmt.money(overall.incremental_revenue), help="(r1 − r0) · exposed users")
columns[2].metric("Lift", fmt.percent(overall.lift, 1), help=f"Revenue per exposed vs control user; {lift_interval}.")
columns[3].metric("p-value", fmt.p_value(overall.p_value), help=P_VALUE_HELP)
columns[4].metric(
    "iROAS per influencer", fmt.precise_multiple(stratified.iroas), help=f"{STRATIFIED}; {per_influencer}."
)
st.caption(
    f"{level} intervals: iROAS {iroas_interval}, lift {lift_interval}. Payout {fmt.money(overall.payout)}; "
    f"{fmt.count(overall.exposed_users)} exposed and {fmt.count(overall.control_users)} control users; "
    f"revenue per user {fmt.money(overall.revenue_per_exposed_user, 2)} vs "
    f"{fmt.money(overall.revenue_per_control_user, 2)}; {fmt.count(report.contaminated_users)} users in both groups "
    f"excluded; sample-ratio test p-value {fmt.p_value(report.srm_p_value)}."
)
margin = st.number_input("Product margin (%)", 1.0, 100.0, 100.0, 5.0, key="inc_margin", help=MARGIN_HELP) / 100
blocked = blocking_message(report.guardrails)
if blocked:
    st.error(blocked)  # a failed check replaces the verdict
else:
    show_verdict = {"good": st.success, "bad": st.error}.get(verdict_tone(overall, margin), st.info)
    show_verdict(verdict(overall, margin))
for check in report.guardrails:
    if check.status == FLAG:
        st.warning(check.message)  # borderline: stays next to the verdict
with st.expander("Checks before the verdict"):
    st.markdown("\n".join(f"- **{c.name}** ({c.status}): {c.message}" for c in report.guardrails))

st.subheader("Attributed vs incremental, per influencer")
summary = attribution.influencer_summary(apply_influencer_filter(tables, spec))  # the Influencers page's figures
linked = story.attributed_vs_incremental(summary, report.breakdowns.get("influencer"))
linked["iroas_interval"] = fmt.multiple_intervals(linked["iroas_ci_low"], linked["iroas_ci_high"])
if blocked:  # the per-influencer figures stay, to help find what is wrong, but nothing here reads as caused
    st.caption(story.BLOCKED_TABLE_NOTE)
else:
    st.caption(story.story_sentence(story.headline(attribution.key_metrics(summary), overall)))
ranked = linked.sort_values("incremental_share", kind="stable", na_position="last")
layout.data_table(ranked, "attributed vs incremental", [*STORY_COLUMNS, "incremental_share"], labels=STORY_LABELS)
st.caption(
    "Incremental share = incremental revenue / attributed revenue: the part of what an influencer is credited with "
    "that the control group says they caused (below 0%: the exposed users bought less than the control users)."
)

st.subheader("Which influencers, campaigns and products paid off")
names = influencers.breakdown_names(tables, report, backend)
filters.link_choice("inc_breakdown", names, next(iter(names), ""))
dimension = st.radio("Break down by", names, horizontal=True, key="inc_breakdown", format_func=str.capitalize)
filters.mirror_choice("inc_breakdown", dimension, next(iter(names), None))
table = influencers.breakdown_table(tables, spec, report, dimension) if dimension is not None else None
if table is not None:  # only the breakdown shown is computed for a new filter
    layout.chart(influencer_charts.forest_plot, table, dimension, break_even_iroas(margin))
    st.caption(f"The dashed line is {break_even_phrase(margin)}.")
    with st.expander(f"Table by {dimension}"):
        st.dataframe(influencer_charts.breakdown_table(table), width="stretch", hide_index=True)

st.subheader("Revenue per user")
if backend is not None and report.histogram.empty:
    st.info(f"Not available when the data is in {backend}: the distribution needs per-user rows.")
else:
    layout.chart(influencer_charts.revenue_distribution, report.buyers, report.histogram)

st.subheader("Plan the next test")
equal = inc_stats.equal_group_size(report.power)  # today's groups as an equal split of the same precision
today = round(equal) if equal == equal else min(overall.exposed_users, overall.control_users)
today_mde = inc_stats.minimum_detectable_lift(report.power, today, today)  # what the tile shows by default
left, right = st.columns(2)
users = left.number_input("Users per group", min_value=10, value=max(10, today), step=1000, key="inc_power_users")
lift = right.number_input("Lift to detect (%)", 0.1, 1000.0, 10.0, 1.0, key="inc_power_lift")
left.metric("Minimum detectable lift", fmt.percent(inc_stats.minimum_detectable_lift(report.power, users, users), 1))
right.metric("Users needed per group", fmt.count(inc_stats.users_needed_per_group(report.power, lift / 100)))
st.caption(
    f"{inc_stats.POWER:.0%} power, two-sided α = {inc_stats.ALPHA:g}, using the revenue-per-user variance observed "
    f"in this selection. Today's groups ({fmt.count(overall.exposed_users)} exposed, "
    f"{fmt.count(overall.control_users)} control) are as precise as {fmt.count(today)} users per group split "
    f"equally: a minimum detectable lift of {fmt.percent(today_mde, 1)}."
)

bootstrap = f"A {inc_stats.N_RESAMPLES:,}-resample bootstrap of users within each group (fixed seed), {level}"
interval = f"{bootstrap} percentile interval" if backend is None else f"{level} normal approximation from the sums"
with st.expander("How this is computed"):
    st.markdown(
        f"""
- **Users.** Tracking rows are summed per user within each group (1 exposed, 0 control). Users seen in both
  groups are excluded and counted.
- **Revenue per user** r1 = R1/n1 and r0 = R0/n0. **Lift** = (r1 − r0)/r0. **Incremental revenue** = (r1 − r0) · n1,
  the control group scaled to the exposed group's size. **iROAS** = incremental revenue / payout.
- **Per influencer.** Σ (r1ᵢ − r0ᵢ) · n1ᵢ / Σ payoutᵢ: each influencer against its own control group, so uneven
  splits cannot bias it; its interval is computed as below, within each influencer's groups.
- **Payout.** Each influencer's payout is spread over its exposed users; a campaign, product, platform or filtered
  selection is charged the share that its exposed users carry (a campaign gets its influencers' whole payouts).
- **Interval.** {interval}. **p-value:** Welch's t-test on revenue per user.
- **Checks first.** Sample ratio (chi-square against a {report.expected_exposed_share:.0%} exposed split: borderline
  below p = {inc_stats.SRM_FLAG_P:g}, failed below {inc_stats.SRM_ALERT_P:g}), users in both groups, non-buyers,
  a plausible lift, enough users. A failed check replaces the verdict; a borderline one stands next to it.
- **Power.** Minimum detectable lift = (z₁₋α/₂ + z_power) · √(s1²/n1 + s0²/n0) / r0; users needed per group for a
  lift L = (z₁₋α/₂ + z_power)² · (s1² + s0²) / (L · r0)².
"""
    )
