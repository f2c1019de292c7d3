"""The team's workspace: one embedded DuckDB file that keeps what matters across sessions and restarts.

Kept datasets (uploaded tables a team wants to come back to) and saved planner scenarios live here
(`store.Workspace`). Every process that touches the file (the app, the CLI, the API) serialises its writes through
a lock file beside it, and every read or write uses a short-lived connection, so nobody waits long.
"""
