"""Tests of pipeline.influencers: attribution, incrementality, its statistics and verdict."""
