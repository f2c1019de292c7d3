"""Plotly figure builders, one module per page family (base: what they share). Pages import them; they import
ui.format and pipeline, never Streamlit."""
