"""Upload your own data: a campaign export in any shape ingestion handles, the four influencer tables, or the
business's daily sales (a shop or GA4 export)."""

import streamlit as st

from pipeline.inputs.ingest.vocabulary import KINDS
from ui import format as fmt
from ui import layout, upload
from ui.cached import data

INFLUENCER_KINDS = [kind for kind in KINDS if upload.KIND_BOXES[kind] == "Influencer tables"]

layout.use_app_navigation()
data.follow_dataset_link()
st.title("Data")
st.caption(
    f"In use for this session: campaigns from **{data.campaign_source()}**, influencers from "
    f"**{data.influencer_source()}**, daily sales: **{upload.sales_source()}**. Uploads stay in your session until "
    "you keep them in the team workspace."
)
if st.button("Reset to demo data", key="reset_demo", icon=":material/restart_alt:", on_click=upload.reset_data):
    st.success(upload.RESET_MESSAGE)

upload.workspace_section()

campaign_tab, influencer_tab, sales_tab = st.tabs(["Campaign export", "Influencer tables", "Sales"])

with campaign_tab:
    st.write(
        "CSV or TSV exports from Meta Ads Manager, TikTok Ads Manager or Google Ads, or any table with a date, "
        "campaign and spend/impressions/clicks columns. Upload one file per platform together: they are stacked "
        "into one table, each row naming its file, and a row two files share is counted once."
    )
    files = st.file_uploader(
        "Campaign files", type=["csv", "tsv", "txt"], accept_multiple_files=True, key="upload_campaigns"
    )
    if usable := upload.campaign_files(files or []):
        upload.campaign_actions(usable)

with influencer_tab:
    st.write(
        "All four tables: influencers (id, name, platform, category, gender, influencer_type, follower_count), "
        "posts, tracking (user level, group 1 = exposed, 0 = control) and payouts."
    )
    files = st.file_uploader(
        "Influencer files", type=["csv", "tsv", "txt"], accept_multiple_files=True, key="upload_influencers"
    )
    found = {}
    for index, file in enumerate(files or []):
        first = upload.read_upload(file)
        if first is None:
            continue
        if message := upload.wrong_box(first.kind, file.name, "Influencer tables"):
            st.error(message)
            continue
        with st.expander(f"{file.name}: {upload.KIND_LABELS[first.kind]}", expanded=bool(first.uncertain)):
            result = upload.with_edits(file, first, f"{index}_{upload.file_key(file)}")
            if result is not None:
                upload.review(result, file.name, first.uncertain)
                found[result.kind] = (file.name, result)
    missing = [kind for kind in INFLUENCER_KINDS if kind not in found]
    if files and missing:
        st.info(f"Still needed: {', '.join(upload.KIND_LABELS[kind] for kind in missing)}.")
    elif found:
        tables = {kind: result.frame for kind, (_, result) in found.items()}
        names = ", ".join(name for name, _ in found.values())
        if st.button(
            "Use these tables",
            type="primary",
            key="use_influencers",
            on_click=upload.use_influencer_upload,
            args=(tables, names),
        ):
            st.success(f"Now using {names} on every influencer page for this session.")

with sales_tab:
    st.write(
        "The business's own daily sales, as the shop or Google Analytics reports them (not the ad platforms' "
        "attributed revenue): a shop's daily sales report, a GA4 export, or any table with a date and a revenue "
        "column (orders optional). Rows of the same day are summed."
    )
    file = st.file_uploader("Sales file", type=["csv", "tsv", "txt"], key="upload_sales")
    if file is not None:
        first = upload.read_upload(file)
        if first is not None and first.kind != "sales":
            st.error(upload.wrong_box(first.kind, file.name, "Sales"))
        elif first is not None:
            result = upload.with_edits(file, first, f"sales_{upload.file_key(file)}")
            if result is not None:
                upload.review(result, file.name, first.uncertain)
                if st.button(
                    "Use these sales",
                    type="primary",
                    key="use_sales",
                    on_click=upload.use_sales,
                    args=(result.frame, file.name),
                ):
                    st.success(f"Now using {file.name} ({fmt.count(len(result.frame))} days) as this session's sales.")
