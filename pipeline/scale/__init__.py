"""Grouped sums computed where the data lives (DuckDB, Spark, PostgreSQL via Ibis), and statistics from sums.
Imports modeling and below; only the CLI and ui import it."""
