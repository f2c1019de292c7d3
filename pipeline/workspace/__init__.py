"""The team's workspace: keeps what matters across sessions and restarts.

Kept datasets (uploaded tables a team wants to come back to) and saved planner scenarios live in one embedded
DuckDB file by default (`store.Workspace`), or in a PostgreSQL database when the workspace setting is a
postgresql:// URL (`postgres_store.PostgresWorkspace`); both run the same operations (`store.WorkspaceStore`) and
`store.open_workspace` picks one. Every write is one transaction, and writers from every process (the app, the
CLI, the API) take turns: through a lock file beside the DuckDB file, or an advisory lock in PostgreSQL.
"""
