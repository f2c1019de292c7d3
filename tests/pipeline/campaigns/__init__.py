"""Tests of pipeline/campaigns: roll-ups and cubes, rankings and anomaly flags."""
