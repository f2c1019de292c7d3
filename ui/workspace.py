"""The team's workspace for the pages: one Workspace per file per process (pipeline.workspace.store)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pipeline import config
from pipeline.workspace.store import Workspace, workspace_path


@st.cache_resource(max_entries=4)
def _workspace(path: str) -> Workspace:
    # Cached per path: the object holds no open connection, only the path (each call opens and closes its own).
    return Workspace(Path(path))


def workspace() -> Workspace:
    """The workspace of the data folder (or APP_WORKSPACE). Raises WorkspaceError when the file is damaged; a
    damaged file is checked again on the next call (a failed call is not cached), so a repaired file is picked up."""
    return _workspace(str(workspace_path(config.data_dir())))
