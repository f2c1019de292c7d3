"""Router only: page config once, then navigation. Each page builds its own sidebar."""

import streamlit as st

st.set_page_config(page_title="Campaign analytics", page_icon="📊", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Campaign overview", icon="📈", default=True),
    st.Page("pages/influencers.py", title="Influencers", icon="🤝"),
    st.Page("pages/incrementality.py", title="Incrementality", icon="🧪"),
    st.Page("pages/segments.py", title="Segments", icon="🧩"),
    st.Page("pages/models.py", title="Models", icon="🤖"),
    st.Page("pages/planner.py", title="Planner", icon="🗓️"),
    st.Page("pages/data.py", title="Data", icon="📂"),
]

st.navigation(PAGES).run()
