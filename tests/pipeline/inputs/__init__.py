"""Tests of pipeline/inputs: ingestion of exports and influencer tables, hostile files, the demo data."""
