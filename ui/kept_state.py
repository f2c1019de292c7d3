"""Widget values that outlive a run in which the widget is not drawn (its tab was closed).

Streamlit drops a widget's value at the end of any run that doesn't draw it. Each tab copies its widgets' values
into a plain session key at the end of its run, and the page puts back only the values that were dropped: writing
every value back on every run would also push them to the browser each time, over whatever the planner is typing.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


def restore(shadow: str) -> None:
    """Put back the values the last run dropped (call before any widget is drawn)."""
    for key, value in st.session_state.get(shadow, {}).items():
        if key not in st.session_state:
            st.session_state[key] = value


def remember(shadow: str, wanted: Callable[[str], bool]) -> None:
    """Copy the current values of the widgets `wanted` picks (by key) for a later restore()."""
    st.session_state[shadow] = {key: st.session_state[key] for key in st.session_state if wanted(str(key))}
