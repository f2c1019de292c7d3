"""Tests of pipeline/modeling: the model store and artifacts, ROI models, forecaster, segments, planner, report."""
