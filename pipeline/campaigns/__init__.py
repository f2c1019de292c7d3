"""Campaign reporting: rollups and cubes, rankings, comparisons, anomalies. Imports inputs and below."""
