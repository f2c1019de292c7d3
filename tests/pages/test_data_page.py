"""AppTest of the data page: good exports are accepted, bad ones refused, and the data in use never changes
until the user says so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.load import ingest
from tests.pages.conftest import ROOT, page_path
from ui import upload

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
INFLUENCER_FILES = ("influencers.csv", "posts.csv", "tracking_data.csv", "payouts.csv")
BAD_FILES = {
    "empty.csv": b"",
    "header_only.csv": b"date,campaign,spend\n",
    "archive.csv": b"PK\x03\x04" + b"\x00" * 40,
    "page.csv": b"<!DOCTYPE html><html><body>Not a report</body></html>",
}


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(page_path("data"), default_timeout=120).run()


def upload_campaigns(at: AppTest, name: str, content: bytes) -> AppTest:
    return at.file_uploader(key="upload_campaigns").upload(name, content, "text/csv").run()


def test_runs_clean_and_says_what_is_in_use(at: AppTest) -> None:
    assert not at.exception
    assert "campaigns from **demo data**" in at.caption[0].value
    assert [f.key for f in at.file_uploader] == ["upload_campaigns", "upload_influencers", "upload_sales"]


@pytest.mark.parametrize("export", ["meta_ads_manager.csv", "tiktok_ads_manager.csv", "google_ads_report.csv"])
def test_a_good_export_is_previewed_then_used(at: AppTest, export: str) -> None:
    content = (EXPORTS / export).read_bytes()
    expected = ingest(content, name=export)
    upload_campaigns(at, export, content)
    assert not at.exception and not at.error
    assert at.success[0].value.startswith(f"{export}: read as campaign performance, {expected.rows_kept:,} of")
    shown = {m.label: m.value for m in at.metric}
    assert shown == {
        "Rows read": f"{expected.rows_read:,}",
        "Rows kept": f"{expected.rows_kept:,}",
        "Rows dropped": f"{sum(expected.dropped.values()):,}",
    }
    assert "uploaded_campaigns" not in at.session_state  # previewing changes nothing
    at.button(key="use_campaigns").click().run()
    assert at.success[-1].value.startswith(f"Now using {export}")
    used = at.session_state["uploaded_campaigns"]
    pd.testing.assert_frame_equal(used.drop(columns="source"), expected.frame)
    assert list(used["source"].cat.categories) == [export] and used["source"].notna().all()
    assert at.session_state["uploaded_campaigns_name"] == export


def test_drop_reasons_are_listed(at: AppTest) -> None:
    content = (EXPORTS / "meta_ads_manager.csv").read_bytes()
    expected = ingest(content, name="meta.csv")
    upload_campaigns(at, "meta.csv", content)
    reasons = at.dataframe[0].value
    assert dict(zip(reasons["reason"], reasons["rows"], strict=True)) == expected.dropped


@pytest.mark.parametrize(("name", "content"), list(BAD_FILES.items()))
def test_a_bad_file_is_refused_and_the_data_in_use_stays(at: AppTest, name: str, content: bytes) -> None:
    good = (EXPORTS / "tiktok_ads_manager.csv").read_bytes()
    upload_campaigns(at, "tiktok.csv", good)
    at.button(key="use_campaigns").click().run()
    in_use = at.session_state["uploaded_campaigns"]
    upload_campaigns(at, name, content)
    assert not at.exception
    with pytest.raises(IngestError) as reason:
        ingest(content, name=name)
    assert [e.value for e in at.error] == [f"{name}: {reason.value}"]
    assert at.session_state["uploaded_campaigns"] is in_use
    assert at.session_state["uploaded_campaigns_name"] == "tiktok.csv"
    assert not [b for b in at.button if b.key == "use_campaigns"]


def test_an_influencer_table_in_the_campaign_box_is_refused(at: AppTest, demo_dir: Path) -> None:
    upload_campaigns(at, "payouts.csv", (demo_dir / "payouts.csv").read_bytes())
    assert at.error[0].value == "payouts.csv looks like influencer payouts; upload it under Influencer tables."
    assert "uploaded_campaigns" not in at.session_state


def test_a_roster_in_the_campaign_box_is_sent_to_the_influencers_page(at: AppTest, shared_data: Path) -> None:
    content = (shared_data / "real" / "top_insta_influencers_data.csv").read_bytes()
    upload_campaigns(at, "top_insta.csv", content)
    assert not at.exception
    assert [e.value for e in at.error] == [f"top_insta.csv: {upload.ROSTER_ELSEWHERE}"]
    assert "Influencers page" in upload.ROSTER_ELSEWHERE
    assert "uploaded_campaigns" not in at.session_state


def test_a_guessed_column_can_be_remapped(at: AppTest) -> None:
    content = (
        b"date,campaign,spend,Impresions,clicks,conversions\n2025-01-01,A,10,1000,50,5\n2025-01-02,A,20,2000,80,4\n"
    )
    upload_campaigns(at, "guess.csv", content)
    box = at.selectbox(key=next(s.key for s in at.selectbox if s.key.startswith("map_")))
    assert box.value == "impressions"
    box.set_value("reach").run()
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    assert any("reach" in f.columns and "impressions" not in f.columns for f in frames)
    at.button(key="use_campaigns").click().run()
    used = at.session_state["uploaded_campaigns"]
    assert used["reach"].tolist() == [1000.0, 2000.0]
    assert "impressions" not in used.columns


def test_an_estimation_assumption_can_be_changed(at: AppTest) -> None:
    content = (
        b"date,campaign,spend,impressions,clicks,conversions\n2025-01-01,A,10,1000,50,5\n2025-01-02,A,20,2000,80,4\n"
    )
    upload_campaigns(at, "norevenue.csv", content)
    aov = at.number_input(key=next(n.key for n in at.number_input if n.key.endswith("average_order_value")))
    aov.set_value(100.0).run()
    assert not at.exception
    at.button(key="use_campaigns").click().run()
    assert at.session_state["uploaded_campaigns"]["revenue"].tolist() == [500.0, 400.0]


def test_influencer_tables_need_all_four(at: AppTest, demo_dir: Path) -> None:
    files = [(name, (demo_dir / name).read_bytes(), "text/csv") for name in INFLUENCER_FILES]
    at.file_uploader(key="upload_influencers").set_value(files[:3]).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["Still needed: influencer payouts."]
    assert not [b for b in at.button if b.key == "use_influencers"]
    at.file_uploader(key="upload_influencers").set_value(files).run()
    at.button(key="use_influencers").click().run()
    tables = at.session_state["uploaded_influencer_tables"]
    assert set(tables) == {"influencers", "posts", "tracking", "payouts"}
    assert len(tables["tracking"]) == len(pd.read_csv(demo_dir / "tracking_data.csv"))


def test_a_guessed_influencer_column_is_editable_too(at: AppTest, demo_dir: Path) -> None:
    posts = (demo_dir / "posts.csv").read_bytes().replace(b"reach", b"reech", 1)
    at.file_uploader(key="upload_influencers").set_value([("posts.csv", posts, "text/csv")]).run()
    assert not at.exception
    box = next(s for s in at.selectbox if s.key.startswith("map_"))
    assert box.label == "“reech” means" and box.value == "reach"
    box.set_value("(ignored)").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert (
        len(errors) == 1 and errors[0].startswith("posts.csv: ") and "reach" in errors[0]
    )  # the guess was right after all: without it the table is unusable, and says so


def test_reset_to_demo_data(at: AppTest) -> None:
    upload_campaigns(at, "tiktok.csv", (EXPORTS / "tiktok_ads_manager.csv").read_bytes())
    at.button(key="use_campaigns").click().run()
    assert "uploaded_campaigns" in at.session_state
    at.button(key="reset_demo").click().run()
    assert "uploaded_campaigns" not in at.session_state
    assert at.success[0].value == "Every page now shows the demo data again."
