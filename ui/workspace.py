"""The team's workspace for the pages: one store per location per process (pipeline.workspace.store): the DuckDB
file in the data folder, or the PostgreSQL database a postgresql:// workspace setting names."""

from __future__ import annotations

import streamlit as st

from pipeline import config
from pipeline.workspace.store import WorkspaceStore, open_workspace, workspace_location


@st.cache_resource(max_entries=4)
def _workspace(location: str) -> WorkspaceStore:
    # Cached per location: the store holds no open connection, only where to connect (each call opens its own).
    return open_workspace(location)


def workspace() -> WorkspaceStore:
    """The team's workspace (config.workspace_setting: APP_WORKSPACE, else secrets.toml, else the data folder's
    file). Raises WorkspaceError when it cannot be used (a damaged file, an unreachable server, a bad setting);
    a failed open is not cached, so the next call tries again and a repaired file or a restarted server is picked
    up."""
    return _workspace(workspace_location(config.data_dir()))
