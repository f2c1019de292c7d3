"""AppTest of the data page's campaign tab with several exports: stacked with a source column, added later,
overlaps reported and counted once, a bad file among good ones, the conversions column chosen, an undated file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.inputs import provenance
from pipeline.inputs.combine import stack_campaigns
from pipeline.inputs.ingest.load import ingest
from pipeline.workspace.store import Workspace
from tests.pages.conftest import page_path
from ui import upload


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_file(page_path("data"), default_timeout=120).run()


@pytest.fixture
def peers(shared_data: Path) -> Path:
    return shared_data / "peers" / "campaign-perf"


def files(folder: Path, *names: str) -> list[tuple[str, bytes, str]]:
    return [(name, (folder / name).read_bytes(), "text/csv") for name in names]


def in_use(at: AppTest) -> pd.DataFrame:
    return at.session_state["uploaded_campaigns"]


def caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("In use for this session"))


def test_two_exports_uploaded_together_are_stacked_with_their_source(at: AppTest, peers: Path) -> None:
    at.file_uploader(key="upload_campaigns").set_value(files(peers, "meta_ads.csv", "tiktok_ads.csv")).run()
    assert not at.exception and not at.error
    assert [e.label for e in at.expander if e.label.endswith("campaign performance")] == [
        "meta_ads.csv: campaign performance",
        "tiktok_ads.csv: campaign performance",
    ]
    assert at.button(key="use_campaigns").label == "Use these files"
    at.button(key="use_campaigns").click().run()
    frame = in_use(at)
    meta, tiktok = (ingest(peers / name).frame for name in ("meta_ads.csv", "tiktok_ads.csv"))
    assert sorted(frame["platform"].unique()) == ["Meta", "TikTok"]
    assert frame["source"].value_counts().to_dict() == {"meta_ads.csv": len(meta), "tiktok_ads.csv": len(tiktok)}
    assert frame["spend"].sum() == pytest.approx(meta["spend"].sum() + tiktok["spend"].sum())
    assert "campaigns from **meta_ads.csv, tiktok_ads.csv**" in caption(at)
    assert at.success[-1].value.startswith(f"Now using meta_ads.csv, tiktok_ads.csv ({len(meta) + len(tiktok):,} rows)")


def test_a_file_added_later_joins_the_data_in_use_and_its_overlap_is_reported(at: AppTest, peers: Path) -> None:
    at.file_uploader(key="upload_campaigns").set_value(files(peers, "meta_ads.csv", "tiktok_ads.csv")).run()
    at.button(key="use_campaigns").click().run()
    assert not [b for b in at.button if b.key == "add_campaigns"]  # nothing new to add yet
    # A third export downloaded later: new Google Ads rows plus 10 Meta rows already in use, 3 with other numbers.
    meta = pd.read_csv(peers / "meta_ads.csv")
    meta = meta[~meta.duplicated(["date", "campaign", "adset", "device"], keep=False)].reset_index(drop=True)
    again = meta.head(10).copy()
    again.loc[:2, "spend"] += 1.0
    google = meta.tail(20).assign(platform="Google Ads")
    later = pd.concat([again, google]).to_csv(index=False).encode()
    at.file_uploader(key="upload_campaigns").set_value([("later.csv", later, "text/csv")]).run()
    assert not at.exception
    before = in_use(at)
    at.button(key="add_campaigns").click().run()
    assert not at.exception
    frame = in_use(at)
    assert sorted(frame["platform"].unique()) == ["Google Ads", "Meta", "TikTok"]
    assert len(frame) == len(before) + 20  # the 10 repeated rows are counted once
    assert frame["source"].value_counts()["later.csv"] == 20
    expected = stack_campaigns([("later.csv", ingest(later, name="later.csv").frame)], before).overlaps
    assert [o.rows for o in expected] == [10]
    assert expected[0].differing > 0
    assert "campaigns from **meta_ads.csv, tiktok_ads.csv, later.csv**" in caption(at)
    assert at.success[-1].value.startswith("Added later.csv: now using meta_ads.csv, tiktok_ads.csv, later.csv")
    # The same export saved under another name: every row repeats one already in use, reported per file.
    at.file_uploader(key="upload_campaigns").set_value([("later2.csv", later, "text/csv")]).run()
    expected = stack_campaigns([("later2.csv", ingest(later, name="later2.csv").frame)], frame).overlaps
    assert [(o.earlier, o.rows, o.keys, o.differing) for o in expected] == [
        ("meta_ads.csv", 10, 10, 3),
        ("later.csv", 20, 20, 0),
    ]
    assert [w.value for w in at.warning][-2:] == [o.sentence() for o in expected]


def test_overlapping_files_uploaded_together_are_counted_once(at: AppTest, peers: Path) -> None:
    meta = (peers / "meta_ads.csv").read_bytes()
    at.file_uploader(key="upload_campaigns").set_value(
        [("meta_ads.csv", meta, "text/csv"), ("meta_again.csv", meta, "text/csv")]
    ).run()
    rows = len(ingest(meta, name="meta_ads.csv").frame)
    assert [w.value for w in at.warning] == [
        f"{rows} rows of meta_again.csv repeat meta_ads.csv (same date, platform, campaign, ad set and device), "
        "with identical numbers: meta_ads.csv's rows are counted, these are left out."
    ]
    summary = next(d.value for d in at.dataframe if "rows counted" in d.value.columns)
    assert summary.to_dict("list") == {"file": ["meta_ads.csv", "meta_again.csv"], "rows counted": [rows, 0]}
    at.button(key="use_campaigns").click().run()
    assert len(in_use(at)) == rows


def test_a_bad_file_among_good_ones_is_refused_alone(at: AppTest, peers: Path) -> None:
    bad = ("broken.csv", b"PK\x03\x04" + b"\x00" * 40, "text/csv")
    at.file_uploader(key="upload_campaigns").set_value(
        [*files(peers, "meta_ads.csv"), bad, *files(peers, "tiktok_ads.csv")]
    ).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("broken.csv: ")
    at.button(key="use_campaigns").click().run()
    assert list(in_use(at)["source"].cat.categories) == ["meta_ads.csv", "tiktok_ads.csv"]


def test_an_undated_file_is_refused_among_dated_ones_and_says_it_has_no_dates(
    at: AppTest, shared_data: Path, peers: Path
) -> None:
    kag = shared_data / "real" / "kag_conversion_data.csv"
    at.file_uploader(key="upload_campaigns").set_value(
        [*files(peers, "meta_ads.csv"), (kag.name, kag.read_bytes(), "text/csv")]
    ).run()
    assert not at.exception
    assert upload.NO_DATES in [i.value for i in at.info]
    assert not [d for d in at.date_input]  # no invented "date given to every row"
    previews = [d.value for d in at.dataframe if "spend" in d.value.columns]
    assert len(previews) == 2 and ["date" in p.columns for p in previews] == [True, False]  # meta's dates only
    assert [e.value for e in at.error] == [
        f"{kag.name} has no dates, so it cannot be stacked with the other files (its rows would all fall on one "
        "invented day); use it on its own."
    ]
    at.button(key="use_campaigns").click().run()
    assert list(in_use(at)["source"].cat.categories) == ["meta_ads.csv"]
    assert provenance.of(in_use(at)).measured


def test_the_conversions_column_can_be_chosen(at: AppTest, shared_data: Path) -> None:
    kag = shared_data / "real" / "kag_conversion_data.csv"
    at.file_uploader(key="upload_campaigns").set_value([(kag.name, kag.read_bytes(), "text/csv")]).run()
    box = next(s for s in at.selectbox if s.label == "Which column counts as conversions")
    assert box.value == "Total_Conversion" and box.options == ["Total_Conversion", "Approved_Conversion"]
    box.set_value("Approved_Conversion").run()
    assert not at.exception
    at.button(key="use_campaigns").click().run()
    frame = in_use(at)
    raw = pd.read_csv(kag)
    assert frame["conversions"].sum() == raw["Approved_Conversion"].sum()
    assert frame["total_conversion"].sum() == raw["Total_Conversion"].sum()  # the other column stays
    mark = provenance.of(frame)
    assert mark.undated and set(mark.estimated) == {"revenue"}


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Each test gets its own workspace file (APP_WORKSPACE), never the shared demo folder's."""
    path = tmp_path / "workspace.duckdb"
    monkeypatch.setenv("APP_WORKSPACE", str(path))
    return Workspace(path)


def test_kept_stacked_files_list_every_source_and_load_back_with_them(
    at: AppTest, peers: Path, store: Workspace
) -> None:
    at.file_uploader(key="upload_campaigns").set_value(files(peers, "meta_ads.csv", "tiktok_ads.csv")).run()
    at.button(key="use_campaigns").click().run()
    at.button(key="ws_keep").click().run()
    assert not at.exception and not at.error
    [record] = store.datasets()
    assert record.sources == ["meta_ads.csv", "tiktok_ads.csv"]
    other = AppTest.from_file(page_path("data"), default_timeout=120).run()
    other.button(key=f"ws_use_{record.id}").click().run()
    frame = in_use(other)
    assert list(frame["source"].cat.categories) == ["meta_ads.csv", "tiktok_ads.csv"]
    pd.testing.assert_frame_equal(frame, in_use(at))


def test_an_undated_file_keeps_its_mark_through_use_keep_and_load(
    at: AppTest, shared_data: Path, store: Workspace
) -> None:
    kag = shared_data / "real" / "kag_conversion_data.csv"
    at.file_uploader(key="upload_campaigns").set_value([(kag.name, kag.read_bytes(), "text/csv")]).run()
    at.button(key="use_campaigns").click().run()
    expected = provenance.of(ingest(kag).frame)
    assert expected.undated and provenance.of(in_use(at)) == expected
    at.button(key="ws_keep").click().run()
    [record] = store.datasets()
    other = AppTest.from_file(page_path("data"), default_timeout=120).run()
    other.button(key=f"ws_use_{record.id}").click().run()
    assert not other.exception
    back = in_use(other)
    assert provenance.of(back) == expected
    assert back.attrs["cache_token"] == f"kept:{record.id}"  # the loading session's own token, not the keeper's


def test_a_file_is_added_to_a_kept_dataset_in_use(at: AppTest, peers: Path, store: Workspace) -> None:
    at.file_uploader(key="upload_campaigns").set_value(files(peers, "meta_ads.csv")).run()
    at.button(key="use_campaigns").click().run()
    at.button(key="ws_keep").click().run()
    [record] = store.datasets()
    other = AppTest.from_file(page_path("data"), default_timeout=120).run()
    other.button(key=f"ws_use_{record.id}").click().run()
    other.file_uploader(key="upload_campaigns").set_value(files(peers, "tiktok_ads.csv")).run()
    other.button(key="add_campaigns").click().run()
    assert not other.exception and not other.error
    frame = in_use(other)
    assert list(frame["source"].cat.categories) == ["meta_ads.csv", "tiktok_ads.csv"]
    assert sorted(frame["platform"].unique()) == ["Meta", "TikTok"]
    assert "dataset" not in other.query_params  # no longer the kept dataset as a whole: it can be kept anew
    assert [b.key for b in other.button if b.key == "ws_keep"] == ["ws_keep"]
