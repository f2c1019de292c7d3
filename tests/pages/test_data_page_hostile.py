"""Representative hostile files uploaded through the data page (AppTest): never an exception, always a plain
success or error message, and the data in use stays in use until the user confirms a good file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.load import IngestResult, ingest
from tests.hostile.corpus import SCRIPT_NAME, HostileFile, build_corpus
from tests.pages.conftest import ROOT, page_path
from ui.cached.data import UPLOADED_CAMPAIGNS_KEY, UPLOADED_CAMPAIGNS_NAME_KEY, UPLOADED_INFLUENCERS_KEY

GOOD_EXPORT = ROOT / "tests" / "fixtures" / "exports" / "tiktok_ads_manager.csv"
REPRESENTATIVE = (
    "empty",
    "binary_random",
    "html",
    "xlsx",
    "nul_bytes",
    "broken_quoting",
    "many_columns",
    "huge_numbers",
    "script_names",
    "formula_cells",
    "utf16_tabs",
    "tracking_bad_groups",  # an influencer table dropped on the campaign uploader
)
CORPUS = {item.slug: item for item in build_corpus()}
ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt")  # the uploader's type=[...]; it refuses other names itself


def as_uploaded(item: HostileFile) -> HostileFile:
    """The file under a name the uploader lets through: an .xlsx is uploaded renamed to .csv, as people do."""
    if item.filename.endswith(ALLOWED_SUFFIXES):
        return item
    return replace(item, filename=Path(item.filename).stem + ".csv")


CASES = [as_uploaded(CORPUS[slug]) for slug in REPRESENTATIVE]


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    return at.file_uploader(key="upload_campaigns").upload(name, content, "text/csv").run()


@pytest.fixture
def at_with_data_in_use() -> AppTest:
    """The data page after a good export was uploaded and confirmed ("Use this data")."""
    at = AppTest.from_file(page_path("data"), default_timeout=120).run()
    upload(at, "tiktok.csv", GOOD_EXPORT.read_bytes())
    at.button(key="use_campaigns").click().run()
    assert not at.exception and at.session_state[UPLOADED_CAMPAIGNS_NAME_KEY] == "tiktok.csv"
    return at


def outcome(item: HostileFile) -> IngestResult | IngestError:
    try:
        return ingest(item.content, name=item.filename)
    except IngestError as exc:
        return exc


def test_the_subset_has_both_outcomes() -> None:
    kinds = {type(outcome(item)) for item in CASES}
    assert kinds == {IngestResult, IngestError}
    assert len(CASES) >= 10


@pytest.mark.parametrize("item", CASES, ids=lambda i: i.slug)
def test_a_hostile_upload_never_replaces_the_data_in_use(at_with_data_in_use: AppTest, item: HostileFile) -> None:
    at = at_with_data_in_use
    in_use = at.session_state[UPLOADED_CAMPAIGNS_KEY]
    upload(at, item.filename, item.content)
    assert not at.exception, [e.value for e in at.exception]
    assert at.success or at.error, "neither a success nor an error message"
    expected = outcome(item)
    errors = [e.value for e in at.error]
    if isinstance(expected, IngestError):
        assert errors == [f"{item.filename}: {expected}"]
    elif expected.kind != "campaigns":
        assert len(errors) == 1 and "upload it under Influencer tables" in errors[0]
    else:
        assert not errors
        assert at.success[0].value.startswith(f"{item.filename}: read as campaign performance")
    assert at.session_state[UPLOADED_CAMPAIGNS_KEY] is in_use  # previewing or refusing changes nothing
    assert at.session_state[UPLOADED_CAMPAIGNS_NAME_KEY] == "tiktok.csv"


@pytest.mark.parametrize("slug", ["script_names", "formula_cells", "huge_numbers"])
def test_an_accepted_hostile_file_can_be_used(at_with_data_in_use: AppTest, slug: str) -> None:
    item = CORPUS[slug]
    at = upload(at_with_data_in_use, item.filename, item.content)
    at.button(key="use_campaigns").click().run()
    assert not at.exception
    used = at.session_state[UPLOADED_CAMPAIGNS_KEY]
    pd.testing.assert_frame_equal(used.drop(columns="source"), ingest(item.content, name=item.filename).frame)
    assert set(used["source"]) == {item.filename}
    assert set(item.campaigns) <= set(used["campaign"].astype(str))


def test_a_script_tag_in_the_preview_is_data_not_html(at_with_data_in_use: AppTest) -> None:
    item = CORPUS["script_names"]
    at = upload(at_with_data_in_use, item.filename, item.content)
    preview = next(frame.value for frame in at.dataframe if "campaign" in frame.value.columns)
    assert SCRIPT_NAME in set(preview["campaign"].astype(str))  # shown verbatim, as a table cell
    html = [m.value for m in [*at.markdown, *at.caption] if m.proto.allow_html]
    assert html == []


def test_hostile_influencer_uploads_never_replace_the_influencer_data() -> None:
    """Junk, a campaign file and an incomplete set dropped on the influencer uploader: errors and a note of
    what is still needed, never the "Use these tables" button, and the demo tables stay in use."""
    at = AppTest.from_file(page_path("data"), default_timeout=120).run()
    chosen = ["binary_random", "html", "all_zero_payouts", "tracking_bad_groups", "script_names"]
    files = [(as_uploaded(CORPUS[s]).filename, CORPUS[s].content, "text/csv") for s in chosen]
    at.file_uploader(key="upload_influencers").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 3  # two unreadable files and one campaign export
    assert any("looks like a campaign export" in e for e in errors)
    assert [i.value for i in at.info] == ["Still needed: influencer profiles, influencer posts."]
    assert UPLOADED_INFLUENCERS_KEY not in at.session_state
    assert not [b for b in at.button if b.key == "use_influencers"]
