"""AppTest of the team's workspace on the data page: keep an upload, switch to it from another session, rename,
delete, open it from a link, and survive an unknown id or a damaged workspace file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.inputs.demo import read_influencer_tables
from pipeline.inputs.sales import load_sales
from pipeline.workspace.store import Workspace
from tests.pages.conftest import ROOT, page_path
from ui import format as fmt
from ui import upload
from ui.cached import data

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
EXPORT = "tiktok_ads_manager.csv"
UNKNOWN_LINK = "The dataset this link names is not in the workspace any more, so it opens on the demo data."


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Each test gets its own workspace file (APP_WORKSPACE), never the shared demo folder's."""
    path = tmp_path / "workspace.duckdb"
    monkeypatch.setenv("APP_WORKSPACE", str(path))
    return Workspace(path)


def fresh(page: str = "data") -> AppTest:
    return AppTest.from_file(page_path(page), default_timeout=120)


SESSION_DATA_KEYS = (
    data.UPLOADED_CAMPAIGNS_KEY,
    data.UPLOADED_CAMPAIGNS_NAME_KEY,
    data.UPLOADED_CAMPAIGNS_TOKEN_KEY,
    data.KEPT_DATASET_KEY,
    data.LINK_FOLLOWED_KEY,
)


def open_overview(at: AppTest) -> AppTest:
    """The overview page in the same session as `at` (AppTest runs one page file: carry the session's data over,
    as Streamlit's session state does when a user switches pages)."""
    overview = fresh("overview")
    for key in SESSION_DATA_KEYS:
        if key in at.session_state:
            overview.session_state[key] = at.session_state[key]
    return overview.run()


def in_use_caption(at: AppTest) -> str:
    return at.caption[0].value


def upload_and_use(at: AppTest) -> AppTest:
    at.file_uploader(key="upload_campaigns").upload(EXPORT, (EXPORTS / EXPORT).read_bytes(), "text/csv").run()
    return at.button(key="use_campaigns").click().run()


def keep(at: AppTest, name: str | None = None) -> AppTest:
    if name is not None:
        [box] = [t for t in at.text_input if t.key.startswith("ws_keep_name_")]
        box.set_value(name)
    return at.button(key="ws_keep").click().run()


def kept_session(store: Workspace, name: str = "TikTok April") -> tuple[AppTest, str]:
    """A session that uploaded the export, used it and kept it; returns it and the kept dataset's id."""
    at = keep(upload_and_use(fresh().run()), name)
    assert not at.exception and not at.error
    [record] = store.datasets()
    return at, record.id


def exact_kpi(at: AppTest, metric: str) -> str:
    """The exact figure a KPI tile's help gives ("This period: $1,250.50. ...")."""
    [tile] = [m for m in at.metric if m.label == fmt.label(metric)]
    return tile.proto.help.split("This period: ", 1)[1].split(". ", 1)[0].rstrip(".")


def assert_overview_totals(at: AppTest, campaigns: pd.DataFrame) -> None:
    at.button(key="cf_dates_whole").click().run()  # the whole range, not the last 28 days
    assert not at.exception and not at.error
    for metric in ("spend", "impressions", "clicks", "conversions", "revenue"):
        assert exact_kpi(at, metric) == fmt.metric_value(metric, campaigns[metric].sum()), metric


def test_keep_lists_the_dataset_with_its_name_sources_and_rows(store: Workspace) -> None:
    at = upload_and_use(fresh().run())
    assert in_use_caption(at).startswith(f"In use for this session: campaigns from **{EXPORT}**")  # not stale
    [box] = [t for t in at.text_input if t.key.startswith("ws_keep_name_")]
    assert box.value == EXPORT  # the file name by default
    at = keep(at, "  TikTok April ")
    [record] = store.datasets()
    rows = len(at.session_state["uploaded_campaigns"])
    assert (record.name, record.sources, record.rows) == ("TikTok April", [EXPORT], rows)
    assert at.success[0].value == "Kept “TikTok April” in the workspace: any session can now switch to it."
    assert "**TikTok April**" in at.markdown[0].value and "In use in this session" in at.markdown[0].value
    card = [c.value for c in at.caption if " rows · kept " in c.value]
    assert card == [f"{upload.plain(EXPORT)} · {rows} rows · kept {record.kept_at:%d %b %Y, %H:%M} UTC"]
    assert at.query_params["dataset"] == record.id  # the link now names it
    assert "campaigns from **TikTok April (kept)**" in in_use_caption(at)
    assert not [b for b in at.button if b.key == "ws_keep"]  # already kept: nothing more to keep
    pd.testing.assert_frame_equal(store.load_dataset(record.id)["campaigns"], at.session_state["uploaded_campaigns"])
    at.button(key="use_campaigns").click().run()  # the same upload again: still the kept dataset
    assert at.query_params["dataset"] == record.id
    assert "campaigns from **TikTok April (kept)**" in in_use_caption(at)


def test_another_session_switches_to_it_and_the_overview_shows_its_totals(store: Workspace) -> None:
    _, dataset_id = kept_session(store)
    other = fresh().run()
    assert "campaigns from **demo data**" in in_use_caption(other)
    other.button(key=f"ws_use_{dataset_id}").click().run()
    assert not other.exception and not other.error
    assert "campaigns from **TikTok April (kept)**" in in_use_caption(other)  # the same run says so
    assert other.success[0].value == "Every page now shows “TikTok April” for this session."
    assert other.button(key=f"ws_use_{dataset_id}").disabled
    assert other.query_params["dataset"] == dataset_id
    assert_overview_totals(open_overview(other), store.load_dataset(dataset_id)["campaigns"])


def test_rename_shows_the_new_name_everywhere(store: Workspace) -> None:
    at, dataset_id = kept_session(store)
    at.text_input(key=f"ws_rename_name_{dataset_id}").set_value("April, renamed").run()
    at.button(key=f"ws_rename_{dataset_id}").click().run()
    assert not at.exception and not at.error
    assert store.dataset(dataset_id).name == "April, renamed"
    assert at.success[0].value == "Renamed to “April, renamed”."
    assert "**April, renamed**" in at.markdown[0].value
    assert "campaigns from **April, renamed (kept)**" in in_use_caption(at)
    at.text_input(key=f"ws_rename_name_{dataset_id}").set_value("   ").run()
    at.button(key=f"ws_rename_{dataset_id}").click().run()
    assert [e.value for e in at.error] == ["Give a dataset name: it cannot be empty."]
    assert store.dataset(dataset_id).name == "April, renamed"


def test_delete_removes_it_for_everyone_and_this_session_keeps_its_data(store: Workspace) -> None:
    at, dataset_id = kept_session(store)
    in_use = at.session_state["uploaded_campaigns"]
    at.button(key=f"ws_delete_{dataset_id}").click().run()
    assert not at.exception and not at.error
    assert store.datasets() == []
    assert at.success[0].value.startswith("Deleted “TikTok April” from the workspace.")
    assert at.session_state["uploaded_campaigns"] is in_use
    assert "dataset" not in at.query_params  # a link to it would be dead
    assert [b.key for b in at.button if b.key == "ws_keep"] == ["ws_keep"]  # it can be kept again
    assert f"campaigns from **{EXPORT}**" in in_use_caption(at)
    [box] = [t for t in at.text_input if t.key.startswith("ws_keep_name_")]
    assert box.value == EXPORT


def test_a_link_with_the_dataset_id_opens_it_in_a_new_session(store: Workspace) -> None:
    _, dataset_id = kept_session(store)
    at = fresh("overview")
    at.query_params["dataset"] = dataset_id
    at.run()
    assert not at.exception and not at.warning
    assert at.query_params["dataset"] == dataset_id
    assert_overview_totals(at, store.load_dataset(dataset_id)["campaigns"])
    page = fresh()
    page.query_params["dataset"] = dataset_id
    page.run()
    assert "campaigns from **TikTok April (kept)**" in in_use_caption(page)


def test_an_unknown_dataset_id_says_so_and_opens_the_demo_data(store: Workspace) -> None:
    kept_session(store)
    at = fresh("overview")
    at.query_params["dataset"] = "0123456789ab"
    at.run()
    assert not at.exception and not at.error
    assert [w.value for w in at.warning] == [UNKNOWN_LINK]
    assert "dataset" not in at.query_params
    assert data.UPLOADED_CAMPAIGNS_KEY not in at.session_state
    at.run()
    assert not at.warning  # said once


def test_a_damaged_workspace_file_is_reported_and_the_data_in_use_stays(store: Workspace) -> None:
    at, dataset_id = kept_session(store)
    in_use = at.session_state["uploaded_campaigns"]
    store.path.write_bytes(b"this is not a database" * 100)
    at.run()
    assert not at.exception
    sentence = f"The workspace file {store.path} is damaged or not a workspace, so it was left untouched."
    assert [e.value for e in at.error] == [sentence]
    assert at.session_state["uploaded_campaigns"] is in_use
    assert "campaigns from **TikTok April (kept)**" in in_use_caption(at)
    assert at.file_uploader(key="upload_campaigns") is not None  # the rest of the page still works
    overview = open_overview(at)
    assert not overview.exception and not overview.error
    assert_overview_totals(overview, in_use)
    newcomer = fresh()
    newcomer.query_params["dataset"] = dataset_id
    newcomer.run()
    assert not newcomer.exception
    assert [w.value for w in newcomer.warning] == [f"{sentence} The link opens on the demo data."]
    assert [e.value for e in newcomer.error] == [sentence]
    assert "campaigns from **demo data**" in in_use_caption(newcomer)


def test_reset_caption_is_fresh(store: Workspace) -> None:
    at, _ = kept_session(store)
    at.button(key="reset_demo").click().run()
    assert "campaigns from **demo data**" in in_use_caption(at)
    assert "dataset" not in at.query_params
    assert at.success[0].value == "Every page now shows the demo data again."


def test_influencer_tables_and_sales_are_kept_and_restored_together(store: Workspace, demo_dir: Path) -> None:
    tables = read_influencer_tables(demo_dir)
    sales = load_sales(demo_dir)
    at = fresh()
    at.session_state[data.UPLOADED_INFLUENCERS_KEY] = tables
    at.session_state[data.UPLOADED_INFLUENCERS_NAME_KEY] = "influencers.csv, posts.csv, tracking.csv, payouts.csv"
    at.session_state[data.UPLOADED_SALES_KEY] = sales
    at.session_state[data.UPLOADED_SALES_NAME_KEY] = "shop.csv"
    keep(at.run(), "Spring influencers")
    [record] = store.datasets()
    assert record.sources == ["influencers.csv", "posts.csv", "tracking.csv", "payouts.csv", "shop.csv"]
    assert record.rows == sum(map(len, tables.values())) + len(sales)
    newcomer = fresh()
    newcomer.query_params["dataset"] = record.id
    newcomer.run()
    assert not newcomer.exception and not newcomer.warning
    caption = in_use_caption(newcomer)
    assert "campaigns from **demo data**" in caption  # the kept dataset has no campaign table
    assert "influencers from **Spring influencers (kept)**" in caption
    assert "daily sales: **Spring influencers (kept)**" in caption
    for kind, frame in tables.items():
        pd.testing.assert_frame_equal(newcomer.session_state[data.UPLOADED_INFLUENCERS_KEY][kind], frame)
    pd.testing.assert_frame_equal(newcomer.session_state[data.UPLOADED_SALES_KEY], sales)
