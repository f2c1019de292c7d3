"""Media mix: what each channel really brought to the business's sales, with carryover and saturation."""

import streamlit as st

from pipeline.modeling import mmm
from ui import format as fmt
from ui import layout, mmm_source
from ui.cached.views import memo
from ui.charts import mmm as charts
from ui.charts import mmm_curves as curves

TABLE_COLUMNS = [
    "channel",
    "spend",
    "contribution",
    "roas",
    "roas_low",
    "roas_high",
    "mroas",
    "mroas_low",
    "mroas_high",
]
TABLE_FORMATS = {"contribution": "$%,.0f"} | {name: "%.2fx" for name in TABLE_COLUMNS[3:]}
TABLE_LABELS = {
    "contribution": "Revenue brought",
    "roas_low": "ROAS low",
    "roas_high": "ROAS high",
    "mroas": "Marginal ROAS",
    "mroas_low": "mROAS low",
    "mroas_high": "mROAS high",
}

layout.use_app_navigation()
st.title("Media mix")
st.caption(
    "A Bayesian media mix model (PyMC-Marketing) explains the business's own daily sales, not the platforms' "
    "attributed revenue, as a baseline (trend, weekdays, yearly season, Black Friday) plus each channel's "
    "spend with carryover (geometric adstock) and diminishing returns (Hill saturation). Intervals are 90%."
)


source = mmm_source.chosen_source()
job = mmm_source.fitted_job(source)
if job is None:
    st.stop()

posterior = job.posterior
scope = f"mmm:{job.key}"  # a job's posterior never changes: what is drawn from it is computed once per process
result = memo(scope, "summary", lambda: mmm.summary(posterior))
channels = memo(scope, "channels", lambda: mmm.channels_table(result))
converged, diagnosis = memo(scope, "diagnostics", lambda: mmm.diagnostics_sentence(posterior))
st.caption(
    f"Fitted on {job.label}: {len(posterior.dates)} days ({posterior.dates.min():%d %b %Y} – "
    f"{posterior.dates.max():%d %b %Y}), channels {', '.join(posterior.channels)}. "
    + (
        f"Calibrated with the lift test: {', '.join(posterior.calibrated)}."
        if posterior.calibrated
        else "No channel is calibrated by an experiment."
    )
)
if not converged:
    st.warning(diagnosis, icon=":material/warning:")

tiles = st.columns(4)
tiles[0].metric("Revenue in the period", fmt.compact(float(posterior.revenue.sum()), "$"))
tiles[1].metric(
    "Baseline share",
    fmt.percent(result["baseline_share"], 1),
    help="Revenue the model expects without any of these channels.",
)
tiles[2].metric(
    "Held-out error",
    fmt.percent(result["fit"]["holdout_mape"], 1),
    help="Mean absolute % error on the last days, which the model did not see.",
)
tiles[3].metric("Fit on seen days (R²)", f"{result['fit']['r2']:.2f}")

contribution_tab, return_tab, curve_tab, carry_tab, fit_tab, measures_tab = st.tabs(
    ["Contribution", "ROAS", "Response curves", "Carryover", "Fit", "Three ways to measure"]
)

with contribution_tab:
    left, right = st.columns([3, 1])
    daily = memo(scope, "daily contributions", lambda: mmm.daily_contributions(posterior))
    layout.chart(charts.contributions_area, daily, posterior.revenue, where=left)
    layout.chart(charts.contribution_shares, memo(scope, "shares", lambda: mmm.revenue_shares(posterior)), where=right)

with return_tab:
    layout.chart(charts.roas_intervals, channels)
    for row in channels.itertuples():
        interval = f"90% interval ${row.mroas_low:.2f}–${row.mroas_high:.2f}"
        if row.below_break_even:
            st.warning(
                f"{row.channel}: the next dollar brings back about ${row.mroas:.2f} ({interval}): below break-even "
                "at today's spend.",
                icon=":material/trending_down:",
            )
        elif row.maybe_below_break_even:
            st.info(
                f"{row.channel}: the next dollar probably brings back less than it costs (about ${row.mroas:.2f}, "
                f"{interval}); the interval still reaches break-even."
            )
    layout.table(channels, columns=TABLE_COLUMNS, formats=TABLE_FORMATS, labels=TABLE_LABELS)

with curve_tab:
    channel = st.selectbox("Channel", posterior.channels, key="mm_curve_channel")
    spend = posterior.spend[channel]
    curve = memo(scope, "response curve", lambda: mmm.response_curve(posterior, channel), channel)
    breakeven = memo(scope, "break-even", lambda: mmm.breakeven_spend(posterior, channel), channel)
    layout.chart(
        lambda: curves.response_curve(
            curve, channel, current=float(spend[spend > 0].mean()), supported=float(spend.max()), breakeven=breakeven
        )
    )
    st.caption(
        "Each point is the revenue per day the channel brings if its spend is held at that level every day. The "
        "shaded part lies beyond the highest day of spend in the data: the curve there follows the fitted shape, "
        "not evidence."
    )

with carry_tab:
    carry = memo(scope, "carryover", lambda: {name: mmm.carryover(posterior, name) for name in posterior.channels})
    layout.chart(curves.carryover_lines, carry)

with fit_tab:
    layout.chart(curves.fit_chart, posterior.predicted, posterior.revenue, posterior.holdout_start)
    clean = converged and posterior.diagnostics["divergences"] == 0
    (st.success if clean else st.warning if not converged else st.info)(diagnosis)

with measures_tab:
    lift_tests = job.dataset.lift_tests
    attributed = memo(scope, "attributed", lambda: mmm.attributed_roas(source.campaigns(), posterior.dates))
    table = memo(scope, "measures", lambda: mmm.measures_table(posterior, attributed, lift_tests))
    layout.chart(charts.measures_chart, table)
    if sentence := mmm.over_attribution(table):
        st.caption(sentence)
    st.caption(
        "A missing bar means there is no such figure: influencers report no platform ROAS of their own, and only "
        "channels with an exposed-vs-control experiment have an iROAS."
    )
    if job.dataset.lift_tests:
        st.caption(
            "The experiment's iROAS compares users shown the influencers' posts with a random control group, so it "
            "needs no model; the media mix model was calibrated to agree with it within its uncertainty."
        )
