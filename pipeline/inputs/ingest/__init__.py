"""Exports and influencer tables into canonical frames (entry: load.ingest); imported by inputs and the layers above."""
