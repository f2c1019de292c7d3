"""Saved models: ROI classifiers and regressors, the forecaster and the segments, shown from their metadata."""

import streamlit as st

from pipeline.modeling import report, roi, scores
from ui import layout
from ui.cached import data, models
from ui.charts import models as model_charts

METRIC_LABELS = {**model_charts.METRIC_NAMES, "vs_baseline": "vs baseline"}

layout.use_app_navigation()
st.title("Models")
try:
    bundle = models.trained_models()
except ValueError as problem:
    st.error(f"The models can't be trained on this data: {problem}")
    st.stop()
meta = bundle.metadata
info = scores.training_info(meta)
st.caption(
    f"Trained at {info['created_at']} (UTC) on {info['rows']:,} daily rows of the demo data in {info['source']} "
    f"({info['start']} – {info['end']}), never on an upload. ROI models: {info['roi_rows']:,} weekly campaign x "
    f"ad set x device rows from {info['campaigns']} campaigns, scored by {info['folds']}-fold GroupKFold by "
    "campaign, with only pre-launch inputs (platform, device, campaign type, content type, ad set, spend, month)."
)

st.subheader("ROI models: comparison")
comparison = scores.comparison_table(meta)
for task in ("classification", "regression"):  # full width: the baseline verdict and every metric in view
    layout.table(scores.comparison_wide(comparison, task).drop(columns="task"), labels=METRIC_LABELS)
    if verdict := scores.baseline_verdict(comparison, task):
        st.warning(verdict, icon=":material/warning:")
for column, task in zip(st.columns(2), ("classification", "regression"), strict=True):
    layout.chart(model_charts.metric_bars, comparison, task, where=column)
st.caption(scores.BASELINE_RULE)

st.subheader(f"Classifying ROI > {info['threshold']:g}")
classifiers = [n for n in roi.CLASSIFIERS if n in meta]
left, right = st.columns(2)
layout.chart(
    lambda: model_charts.roc_curves({scores.model_label(n): meta[n].get("roc") for n in classifiers}), where=left
)
chosen = right.selectbox("Classifier", classifiers, format_func=scores.model_label, key="md_classifier")
layout.chart(
    lambda: model_charts.confusion_heatmap(
        meta[chosen]["confusion_matrix"], meta[chosen]["threshold"], scores.model_label(chosen)
    ),
    where=right,
)
st.caption(
    f"Out-of-fold predictions at probability 0.5; {meta[chosen]['positive_share']:.1%} of weekly rows have ROI above "
    "the threshold, so always guessing that class is the accuracy to beat."
)

st.subheader("Predicting ROI")
regressors = [n for n in roi.REGRESSORS if n in meta]
chosen_regressor = st.selectbox("Regressor", regressors, format_func=scores.model_label, key="md_regressor")
layout.chart(
    lambda: model_charts.predicted_vs_actual(
        meta[chosen_regressor]["pred_vs_actual"], scores.model_label(chosen_regressor)
    )
)

st.subheader("Permutation importance")
roi_models = [n for n in roi.ROI_MODELS if n in meta and meta[n].get("permutation_importance")]
explained = st.selectbox(
    "Model",
    roi_models,
    format_func=lambda n: f"{scores.model_label(n)} ({meta[n]['task']})",
    key="md_importance",
)
if explained is None:
    st.info("No saved model has a permutation importance (its first fold had a single class).")
else:
    layout.chart(
        lambda: model_charts.importance_bars(meta[explained]["permutation_importance"], scores.model_label(explained))
    )
    st.caption("Measured on the first fold's held-out campaigns: how much the score drops when one input is shuffled.")

st.subheader("Forecaster")
coverage = scores.coverage_table(meta)
left, right = st.columns(2)
with left:
    layout.table(
        coverage,
        formats={
            "r2": "%.3f",
            "mape": "percent",
            "coverage_90": "percent",
            "coverage_90_unit_min": "percent",
            "coverage_90_unit_max": "percent",
            "plan_total_coverage_90": "percent",
            "mean_width": "%.1f",
            "rows": "%d",
        },
        labels={
            "r2": "R²",
            "mape": "MAPE",
            "coverage_90": "Coverage",
            "coverage_90_unit_min": "Lowest unit",
            "coverage_90_unit_max": "Highest unit",
            "plan_total_coverage_90": "Daily plan totals",
            "mean_width": "Mean width",
        },
    )
    st.caption(
        "Scored on campaign x ad set units held out whole (each unit once); plan totals: held-out lines summed per day."
    )
layout.chart(model_charts.coverage_bars, coverage, where=right)

st.subheader("Retrain and report")
threshold = st.number_input(
    "ROI threshold for the classifiers", value=float(info["threshold"]), step=0.1, format="%.2f", key="md_threshold"
)
if st.button("Retrain every model", key="md_retrain"):
    try:
        models.retrain_models(threshold)
    except ValueError as exc:
        st.error(str(exc))
    else:
        st.rerun()
st.download_button(
    "Download the report (HTML)",
    data=lambda: report.build_report(data.training_campaigns(), meta).encode("utf-8"),
    file_name="campaign-report.html",
    mime="text/html",
    on_click="ignore",
    key="md_report",
    icon=":material/download:",
)
