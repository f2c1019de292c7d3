"""Trained models and what uses them: features, model store, ROI, forecaster, segments, planner, report.
Imports influencers and below."""
