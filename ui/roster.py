"""The Influencers page's roster section: upload a profile list, then shortlist creators for the next campaign.

Parsing, filtering and ranking are pipeline.influencers.roster's; this module lays them out. The parsed roster is
kept in this session, so it survives page switches; it never replaces the influencer tables the ROAS views use.
"""

from __future__ import annotations

import streamlit as st

from pipeline.influencers import roster
from ui import format as fmt
from ui import layout

ROSTER_KEY = "influencer_roster"
ROSTER_NAME_KEY = "influencer_roster_name"
FOLLOWER_STEPS = (0, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000)
SORT_LABELS = {
    "rank": "Rank in the file",
    "followers": "Followers",
    "engagement_rate": "Engagement rate",
    "likes_per_post": "Likes per post",
}
SHORTLIST_LABELS = {"engagement_rate": "Engagement rate", "country": "Country", "posts": "Posts"}
TITLE = "Shortlist creators from a profile list (roster)"
HOW = (
    "Upload a profile export with one row per creator: a handle (channel_info, username) and followers, and "
    "optionally posts, average likes, engagement rate and country. Values such as 475.8m, 1.2k and 1.39% are read "
    "as numbers."
)


def _load(upload: object) -> None:
    """Parse a newly uploaded roster into this session, or say in one sentence why it is not one."""
    name = getattr(upload, "name", "roster.csv")
    if st.session_state.get(ROSTER_NAME_KEY) == name and ROSTER_KEY in st.session_state:
        return
    try:
        st.session_state[ROSTER_KEY] = roster.read_roster(upload.getvalue())
    except roster.RosterError as exc:
        st.session_state.pop(ROSTER_KEY, None)
        st.session_state.pop(ROSTER_NAME_KEY, None)
        st.error(f"{name}: {exc}")
        return
    st.session_state[ROSTER_NAME_KEY] = name


def roster_section() -> None:
    """The expander: uploader, then (with a roster) its totals, shortlist filters, the ranked table and what the
    ROAS views still need."""
    loaded = st.session_state.get(ROSTER_KEY)
    with st.expander(TITLE, expanded=loaded is not None, icon=":material/person_search:"):
        st.caption(HOW)
        upload = st.file_uploader("Profile list (CSV)", type=["csv"], key="roster_upload")
        if upload is not None:
            _load(upload)
        loaded = st.session_state.get(ROSTER_KEY)
        if loaded is None:
            return
        _shortlist(loaded, st.session_state.get(ROSTER_NAME_KEY, "roster"))


def _shortlist(parsed: roster.Roster, name: str) -> None:
    frame = parsed.frame
    totals = roster.roster_totals(frame)
    note = f"{name}: {fmt.count(totals['creators'])} creators read as an influencer roster."
    if parsed.unreadable:
        cells = ", ".join(f"{fmt.count(n)} in {fmt.label(c).lower()}" for c, n in parsed.unreadable.items())
        note += f" Cells that could not be read are left empty ({cells}); a row without a handle is skipped."
    st.success(note)
    st.info(roster.ROAS_NEEDS)
    left, middle, right = st.columns(3)
    least = left.select_slider(
        "Minimum followers", FOLLOWER_STEPS, value=0, format_func=fmt.compact, key="roster_min_followers"
    )
    engagement = middle.number_input(
        "Minimum engagement rate (%)", min_value=0.0, max_value=100.0, value=0.0, step=0.5, key="roster_min_eng"
    )
    sort_by = right.selectbox("Rank by", list(SORT_LABELS), format_func=SORT_LABELS.get, key="roster_sort")
    places = roster.countries(frame)
    chosen = st.multiselect("Country (none picked: all)", places, key="roster_countries")
    picked = roster.shortlist(frame, least, engagement / 100, chosen or None, sort_by)
    shown = roster.roster_totals(picked)
    tiles = {
        "creators": shown["creators"],
        "followers": shown["followers"],
        "audience_engagement": shown["engagement_rate"],
    }
    layout.metric_tiles(tiles, ["creators", "followers", "audience_engagement"])
    st.caption("Engagement rate as the file gives it; the tile weighs each creator's rate by followers.")
    if picked.empty:
        st.info("No creator in the roster matches these filters.")
        return
    layout.data_table(picked, "roster shortlist", labels=SHORTLIST_LABELS)
