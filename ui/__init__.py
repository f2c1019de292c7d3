"""Shared Streamlit pieces: filters, cached loaders, chart builders, formatting."""
