"""AppTest of the data page's Sales tab: a shop or GA4 export is previewed with its totals, kept for the session
only when confirmed, and a bad or misplaced file never replaces the sales in use."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline import config
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.load import ingest
from tests.pages.conftest import ROOT, page_path
from ui.upload import UPLOADED_SALES_KEY, UPLOADED_SALES_NAME_KEY

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
SHOP = "shop_daily_sales.csv"
GA4 = "ga4_sales.csv"


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(page_path("data"), default_timeout=120).run()


def upload_to(at: AppTest, box: str, name: str, content: bytes) -> AppTest:
    return at.file_uploader(key=box).upload(name, content, "text/csv").run()


def use_sales(at: AppTest, name: str) -> AppTest:
    upload_to(at, "upload_sales", name, (EXPORTS / name).read_bytes())
    return at.button(key="use_sales").click().run()


@pytest.mark.parametrize("export", [SHOP, GA4])
def test_a_sales_export_shows_what_was_read_then_is_kept(at: AppTest, export: str) -> None:
    content = (EXPORTS / export).read_bytes()
    expected = ingest(content, name=export)
    upload_to(at, "upload_sales", export, content)
    assert not at.exception and not at.error
    assert at.success[0].value == f"{export}: read as daily sales, 5 of 6 rows usable."
    shown = {m.label: m.value for m in at.metric}
    assert shown == {
        "Rows read": "6",
        "Rows kept": "5",
        "Rows dropped": "1",
        "Days": "5",
        "Revenue": f"${expected.totals['revenue']:,.0f}",
        "Orders": f"{expected.totals['orders']:,.0f}",
    }
    reasons = at.dataframe[0].value
    assert dict(zip(reasons["reason"], reasons["rows"], strict=True)) == expected.dropped
    assert UPLOADED_SALES_KEY not in at.session_state  # previewing changes nothing
    at.button(key="use_sales").click().run()
    assert at.success[-1].value == f"Now using {export} (5 days) as this session's sales."
    pd.testing.assert_frame_equal(at.session_state[UPLOADED_SALES_KEY], expected.frame)
    assert at.session_state[UPLOADED_SALES_NAME_KEY] == export


def test_summed_days_and_unknown_orders_are_said(at: AppTest) -> None:
    upload_to(at, "upload_sales", SHOP, (EXPORTS / SHOP).read_bytes())
    captions = [c.value for c in at.caption]
    assert "From 2025-01-01 to 2025-01-05." in captions
    assert "1 rows shared a day with another and were summed into it." in captions
    assert "Orders are unknown on 1 days." in captions


def test_no_orders_column_shows_unknown_orders(at: AppTest) -> None:
    upload_to(at, "upload_sales", "daily.csv", b"date,revenue\n2025-01-01,10\n2025-01-02,-2.5\n")
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Orders"] == "—"
    assert "The file has no orders column: orders are unknown." in [c.value for c in at.caption]


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.csv", b""), ("no_rows.csv", b"date,revenue\n2025-01-01,n/a\n"), ("page.csv", b"<html><body>x</body>")],
)
def test_a_bad_sales_file_is_refused_and_the_sales_in_use_stay(at: AppTest, name: str, content: bytes) -> None:
    use_sales(at, GA4)
    in_use = at.session_state[UPLOADED_SALES_KEY]
    upload_to(at, "upload_sales", name, content)
    assert not at.exception
    with pytest.raises(IngestError) as reason:
        ingest(content, name=name)
    assert [e.value for e in at.error] == [f"{name}: {reason.value}"]
    assert at.session_state[UPLOADED_SALES_KEY] is in_use
    assert at.session_state[UPLOADED_SALES_NAME_KEY] == GA4
    assert not [b for b in at.button if b.key == "use_sales"]
    assert f"daily sales: **{GA4}**" in at.caption[0].value


def test_a_campaign_export_in_the_sales_box_is_refused(at: AppTest) -> None:
    use_sales(at, SHOP)
    upload_to(at, "upload_sales", "meta.csv", (EXPORTS / "meta_ads_manager.csv").read_bytes())
    assert [e.value for e in at.error] == ["meta.csv looks like a campaign export; upload it under Campaign export."]
    assert at.session_state[UPLOADED_SALES_NAME_KEY] == SHOP


def test_a_sales_file_in_the_other_boxes_is_refused(at: AppTest) -> None:
    content = (EXPORTS / GA4).read_bytes()
    upload_to(at, "upload_campaigns", GA4, content)
    assert [e.value for e in at.error] == [f"{GA4} looks like daily sales; upload it under Sales."]
    at.file_uploader(key="upload_influencers").set_value([(GA4, content, "text/csv")]).run()
    assert f"{GA4} looks like daily sales; upload it under Sales." in [e.value for e in at.error]
    assert not at.exception
    assert "uploaded_campaigns" not in at.session_state and UPLOADED_SALES_KEY not in at.session_state


def test_reset_forgets_the_uploaded_sales(at: AppTest, demo_dir: Path) -> None:
    use_sales(at, SHOP)
    at.button(key="reset_demo").click().run()
    assert UPLOADED_SALES_KEY not in at.session_state and UPLOADED_SALES_NAME_KEY not in at.session_state
    at.run()  # the caption above the button is written before the click is handled, as for every upload
    in_folder = "demo data" if (demo_dir / config.SALES_FILE).is_file() else "none yet"
    assert f"daily sales: **{in_folder}**" in at.caption[0].value


def test_sales_source_names_the_data_folders_sales_only_when_it_has_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def app() -> None:
        import streamlit as st

        from ui import upload

        st.write(upload.sales_source())

    (tmp_path / config.SALES_FILE).write_bytes((EXPORTS / GA4).read_bytes())
    for folder, shown in ((tmp_path, "demo data"), (tmp_path / "empty", "none yet")):
        monkeypatch.setenv("APP_DATA_DIR", str(folder))
        at = AppTest.from_function(app, default_timeout=60).run()
        assert not at.exception and at.markdown[0].value == shown
