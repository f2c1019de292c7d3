"""The overview keeps its per-data-set cubes next to the data and a fresh process (caches cleared) reads them; a
damaged file is rebuilt (stale ones: tests/pipeline/campaigns/test_cube_store.py), and the page shows the same
numbers either way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pipeline.campaigns import cube, cube_store
from pipeline.inputs.demo import read_campaigns
from tests.pages.conftest import page_path

PRODUCTS = (
    cube_store.cube_product(cube.CUBE_KEYS),
    cube_store.cube_product(cube.SUMMARY_KEYS),
    "filter-choices",
)


@pytest.fixture
def data_copy(demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "data"
    shutil.copytree(demo_dir, out, ignore=shutil.ignore_patterns(cube_store.STORE_DIR))
    monkeypatch.setenv("APP_DATA_DIR", str(out))
    return out


def fresh_process_run() -> AppTest:
    """The overview as a new server process opens it: nothing cached in memory."""
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(page_path("overview"), default_timeout=120).run()
    assert not at.exception
    return at


def shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def stored(folder: Path) -> dict[str, Path]:
    source = cube_store.source_file(folder)
    assert source is not None
    return {product: cube_store.stored_path(source, product) for product in PRODUCTS}


def test_first_run_writes_every_product_and_a_fresh_process_reads_them(data_copy: Path) -> None:
    first = fresh_process_run()
    files = stored(data_copy)
    assert all(path.is_file() for path in files.values()), files
    written = {product: path.stat().st_mtime_ns for product, path in files.items()}
    second = fresh_process_run()
    assert shown(second) == shown(first)
    assert {product: path.stat().st_mtime_ns for product, path in files.items()} == written  # read, not rewritten


def test_damaged_files_are_rebuilt_with_the_same_numbers(data_copy: Path) -> None:
    first = fresh_process_run()
    files = stored(data_copy)
    files[cube_store.cube_product(cube.CUBE_KEYS)].write_bytes(b"damaged")
    summary = files[cube_store.cube_product(cube.SUMMARY_KEYS)]
    summary.write_bytes(summary.read_bytes()[:100])
    again = fresh_process_run()
    assert shown(again) == shown(first)
    source = cube_store.source_file(data_copy)
    totals = cube_store.raw_totals(read_campaigns(data_copy))
    for keys in (cube.CUBE_KEYS, cube.SUMMARY_KEYS):
        assert cube_store.read_stored(source, cube_store.cube_product(keys), totals, keys=keys) is not None
