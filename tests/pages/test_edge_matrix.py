"""Every page under edge conditions: empty selections, a single row, a single platform, a single day, and
zero spend and payout. No exception, and no "inf" or "nan" in any metric or text shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.hostile.datadirs import CONDITIONS, write_data_dir
from tests.pages.conftest import ROOT, page_path

PAGES = sorted(path.stem for path in (ROOT / "pages").glob("*.py"))
# "inf", "-inf", "nan", "NaN%", "$nan" as words; "Influencer" or "financial" are not matches.
NOT_A_NUMBER = re.compile(r"(?<![A-Za-z])(?:nan|inf|infinity)(?![A-Za-z])", re.IGNORECASE)
TEXT_ELEMENTS = ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error", "text")


@pytest.fixture(scope="module")
def data_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("edge")
    return {name: write_data_dir(root / name, name) for name in CONDITIONS}


def rendered_texts(at: AppTest) -> list[str]:
    """What a user reads: metric labels, values and deltas, and every text element."""
    texts = []
    for metric in at.metric:
        texts += [metric.label, str(metric.value), str(metric.proto.delta)]
    for kind in TEXT_ELEMENTS:
        texts += [str(element.value) for element in getattr(at, kind)]
    return texts


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    shown = [text for text in rendered_texts(at) if NOT_A_NUMBER.search(text)]
    assert not shown, shown


def run_page(page: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The page on `data_dir`; models (if the page trains any) go next to it, never into the repo's models/."""
    monkeypatch.setenv("APP_DATA_DIR", str(data_dir))
    monkeypatch.setenv("APP_MODELS_DIR", str(data_dir.parent / f"{data_dir.name}_models"))
    # The media mix page fits its model here: what it shows is tested, not the sampler's quality.
    monkeypatch.setenv("APP_MMM_DRAWS", "20")
    monkeypatch.setenv("APP_MMM_TUNE", "20")
    return AppTest.from_file(page_path(page), default_timeout=120).run()


def test_the_matrix_covers_the_built_pages() -> None:
    assert {"overview", "influencers", "incrementality", "data"} <= set(PAGES)


@pytest.mark.parametrize("condition", list(CONDITIONS))
@pytest.mark.parametrize("page", PAGES)
def test_page_under_edge_data(page: str, condition: str, data_dirs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(page, data_dirs[condition], monkeypatch)
    assert_clean(at)
    assert at.title, "the page rendered nothing"


@pytest.mark.parametrize("page", PAGES)
def test_page_with_every_selection_emptied(page: str, data_dirs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_page(page, data_dirs["full"], monkeypatch)
    assert_clean(at)
    boxes = [box.key for box in at.sidebar.multiselect]
    for key in boxes:
        at.multiselect(key=key).set_value([])
    at.run()
    assert_clean(at)
    if boxes and page != "data":  # a filtered page says there is nothing to show, in plain words
        assert at.info, "no empty-state message"
