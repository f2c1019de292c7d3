"""The measuring sections of `make bench` (bench/run.py): each returns a plain dict for bench/results.json."""
