"""Router only: page config once, then navigation. Each page builds its own sidebar."""

import streamlit as st

st.set_page_config(page_title="Campaign analytics", page_icon=":material/analytics:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Campaign overview", icon=":material/monitoring:", default=True),
    st.Page("pages/influencers.py", title="Influencers", icon=":material/groups:"),
    st.Page("pages/incrementality.py", title="Incrementality", icon=":material/science:"),
    st.Page("pages/segments.py", title="Segments", icon=":material/hub:"),
    st.Page("pages/models.py", title="Models", icon=":material/model_training:"),
    st.Page("pages/planner.py", title="Planner", icon=":material/calendar_month:"),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
]

st.navigation(PAGES).run()
