"""Router only: page config once, then navigation. Each page builds its own sidebar."""

import os

import streamlit as st

from ui.cached.mmm import start_folder_fit

st.set_page_config(page_title="Campaign analytics", page_icon=":material/analytics:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Campaign overview", icon=":material/monitoring:", default=True),
    st.Page("pages/influencers.py", title="Influencers", icon=":material/groups:"),
    st.Page("pages/incrementality.py", title="Incrementality", icon=":material/science:"),
    st.Page("pages/segments.py", title="Segments", icon=":material/hub:"),
    st.Page("pages/models.py", title="Models", icon=":material/model_training:"),
    st.Page("pages/media_mix.py", title="Media mix", icon=":material/stacked_line_chart:"),
    st.Page("pages/planner.py", title="Planner", icon=":material/calendar_month:"),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
]

# The media mix model takes about a minute to fit: start it now in the background so its page is ready sooner.
if os.environ.get("APP_MMM_BACKGROUND", "1") != "0":
    start_folder_fit()

st.navigation(PAGES).run()
