"""Persisted cubes: written next to the data, read back identical, and rebuilt when stale, damaged or foreign."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from pipeline import config
from pipeline.campaigns import cube, cube_store, overview
from pipeline.filters import filter_options_frame
from pipeline.inputs.demo import read_campaigns


@pytest.fixture
def folder(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo's campaign file (the cubes are written beside it)."""
    out = tmp_path / "data"
    out.mkdir()
    shutil.copy(demo_dir / config.CAMPAIGNS_FILE, out / config.CAMPAIGNS_FILE)
    return out


@pytest.fixture
def rows(folder: Path) -> pd.DataFrame:
    return read_campaigns(folder)


class Counter:
    """A builder that counts its calls, so a test can tell a read from a rebuild."""

    def __init__(self, build: Callable[[], pd.DataFrame]) -> None:
        self.build, self.calls = build, 0

    def __call__(self) -> pd.DataFrame:
        self.calls += 1
        return self.build()


def cube_of(rows: pd.DataFrame, keys: tuple[str, ...], folder: Path, build: Counter | None = None):
    """load_or_build of the cube over `keys`, as ui/cached/campaigns.py calls it."""
    build = build or Counter(lambda: cube.cube(rows, keys))
    product = cube_store.cube_product(keys)
    totals, dtypes = cube_store.raw_totals(rows), cube_store.key_dtypes(rows, keys)
    return cube_store.load_or_build(folder, product, build, totals, dtypes, keys)


def stored_file(folder: Path, keys: tuple[str, ...]) -> Path:
    return cube_store.stored_path(folder / config.CAMPAIGNS_FILE, cube_store.cube_product(keys))


@pytest.mark.parametrize("keys", [cube.CUBE_KEYS, cube.SUMMARY_KEYS], ids=["full", "summary"])
def test_written_then_read_back_identical(folder: Path, rows: pd.DataFrame, keys: tuple[str, ...]) -> None:
    build = Counter(lambda: cube.cube(rows, keys))
    assert cube_of(rows, keys, folder, build).origin == cube_store.BUILT
    assert stored_file(folder, keys).stat().st_mode & 0o777 == cube_store.STORED_MODE
    assert not list(stored_file(folder, keys).parent.glob("*.tmp"))
    again = cube_of(rows, keys, folder, build)
    assert again.origin == cube_store.READ
    assert build.calls == 1
    pd.testing.assert_frame_equal(again.frame, cube.cube(rows, keys))


@pytest.mark.parametrize("product", ["filter-choices", "anomalies"])
def test_other_products_read_back_identical(folder: Path, rows: pd.DataFrame, product: str) -> None:
    makers = {
        "filter-choices": lambda: filter_options_frame(rows),
        "anomalies": lambda: overview.anomaly_flags(cube.cube(rows)),
    }
    build = Counter(makers[product])
    totals = cube_store.raw_totals(rows)
    cube_store.load_or_build(folder, product, build, totals)
    again = cube_store.load_or_build(folder, product, build, totals)
    assert (again.origin, build.calls) == (cube_store.READ, 1)
    pd.testing.assert_frame_equal(again.frame, makers[product]())


def test_stale_file_is_rebuilt(folder: Path, rows: pd.DataFrame) -> None:
    keys = cube.CUBE_KEYS
    cube_of(rows, keys, folder)
    # The data changes: fewer rows, a new modification time.
    source = folder / config.CAMPAIGNS_FILE
    pd.read_csv(source).iloc[:-100].to_csv(source, index=False)
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    fresh = read_campaigns(folder)
    product = cube_store.cube_product(keys)
    assert cube_store.read_stored(source, product, cube_store.raw_totals(fresh), keys=keys) is None
    build = Counter(lambda: cube.cube(fresh, keys))
    again = cube_of(fresh, keys, folder, build)
    assert (again.origin, build.calls) == (cube_store.BUILT, 1)
    pd.testing.assert_frame_equal(again.frame, cube.cube(fresh, keys))
    assert int(again.frame["rows"].sum()) == len(fresh)


def test_same_file_stamp_but_other_rows_is_rebuilt(folder: Path, rows: pd.DataFrame) -> None:
    """A file's size and mtime can lie (rewritten within one mtime tick): the raw totals in the stamp catch it."""
    keys = cube.SUMMARY_KEYS
    cube_of(rows, keys, folder)
    other = rows.assign(spend=rows["spend"] * 2)
    build = Counter(lambda: cube.cube(other, keys))
    result = cube_of(other, keys, folder, build)
    assert (result.origin, build.calls) == (cube_store.BUILT, 1)
    assert result.frame["spend"].sum() == pytest.approx(other["spend"].sum())


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_damaged_file_is_rebuilt(folder: Path, rows: pd.DataFrame, damage: str) -> None:
    keys = cube.CUBE_KEYS
    cube_of(rows, keys, folder)
    path = stored_file(folder, keys)
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": b"not parquet" * 50, "empty": b""}[damage])
    build = Counter(lambda: cube.cube(rows, keys))
    result = cube_of(rows, keys, folder, build)
    assert (result.origin, build.calls) == (cube_store.BUILT, 1)
    pd.testing.assert_frame_equal(result.frame, cube.cube(rows, keys))
    assert cube_of(rows, keys, folder).origin == cube_store.READ  # the rebuilt file replaced the damaged one


def test_a_cube_that_does_not_add_up_is_refused(folder: Path, rows: pd.DataFrame) -> None:
    """A stamped file whose rows are not the raw rows' (e.g. written by a buggy build) is not trusted."""
    keys = cube.CUBE_KEYS
    source, product = folder / config.CAMPAIGNS_FILE, cube_store.cube_product(keys)
    totals = cube_store.raw_totals(rows)
    half = cube.cube(rows, keys).iloc[::2]
    assert cube_store.write_stored(source, product, half, cube_store.source_stamp(source, product, totals))
    assert cube_store.read_stored(source, product, totals, keys=keys) is None


def test_a_category_the_rows_lack_is_refused(folder: Path, rows: pd.DataFrame) -> None:
    keys = cube.CUBE_KEYS
    cube_of(rows, keys, folder)
    renamed = rows.assign(platform=rows["platform"].cat.rename_categories(lambda name: f"{name} ads"))
    source, product = folder / config.CAMPAIGNS_FILE, cube_store.cube_product(keys)
    totals = cube_store.raw_totals(rows)
    assert cube_store.read_stored(source, product, totals, cube_store.key_dtypes(rows, keys), keys) is not None
    assert cube_store.read_stored(source, product, totals, cube_store.key_dtypes(renamed, keys), keys) is None


def test_older_format_version_is_rebuilt(folder: Path, rows: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = cube.CUBE_KEYS
    cube_of(rows, keys, folder)
    monkeypatch.setattr(cube_store, "STORE_VERSION", cube_store.STORE_VERSION + 1)
    build = Counter(lambda: cube.cube(rows, keys))
    assert (cube_of(rows, keys, folder, build).origin, build.calls) == (cube_store.BUILT, 1)


def test_parquet_source_is_preferred(folder: Path, rows: pd.DataFrame) -> None:
    rows.to_parquet(folder / config.CAMPAIGNS_PARQUET, index=False)
    assert cube_store.source_file(folder) == folder / config.CAMPAIGNS_PARQUET
    assert cube_of(rows, cube.SUMMARY_KEYS, folder).origin == cube_store.BUILT
    product = cube_store.cube_product(cube.SUMMARY_KEYS)
    assert cube_store.stored_path(folder / config.CAMPAIGNS_PARQUET, product).is_file()


def test_no_campaign_file_builds_in_memory(tmp_path: Path, rows: pd.DataFrame) -> None:
    empty = tmp_path / "no-campaign-file"
    empty.mkdir()
    assert cube_of(rows, cube.CUBE_KEYS, empty).origin == cube_store.NOT_SAVED
    assert not (empty / cube_store.STORE_DIR).exists()


def test_unwritable_folder_still_gives_the_cube(
    folder: Path, rows: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(cube_store.tempfile, "mkstemp", refuse)
    result = cube_of(rows, cube.CUBE_KEYS, folder)
    assert result.origin == cube_store.NOT_SAVED
    pd.testing.assert_frame_equal(result.frame, cube.cube(rows, cube.CUBE_KEYS))


def test_parsed_rows_are_kept_read_back_identical_and_rebuilt_when_stale(folder: Path) -> None:
    reads = Counter(lambda: read_campaigns(folder))
    first = cube_store.load_or_read_rows(folder, lambda directory: reads())
    again = cube_store.load_or_read_rows(folder, lambda directory: reads())
    assert (first.origin, again.origin, reads.calls) == (cube_store.BUILT, cube_store.READ, 1)
    pd.testing.assert_frame_equal(again.frame, read_campaigns(folder))
    source = folder / config.CAMPAIGNS_FILE
    pd.read_csv(source).iloc[:-10].to_csv(source, index=False)
    stat = source.stat()
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    fresh = cube_store.load_or_read_rows(folder, lambda directory: reads())
    assert (fresh.origin, reads.calls, len(fresh.frame)) == (cube_store.BUILT, 2, len(first.frame) - 10)


def test_damaged_rows_copy_is_read_again_from_the_source(folder: Path) -> None:
    cube_store.load_or_read_rows(folder, read_campaigns)
    cube_store.rows_path(folder / config.CAMPAIGNS_FILE).write_bytes(b"ARROW1 damaged")
    result = cube_store.load_or_read_rows(folder, read_campaigns)
    assert result.origin == cube_store.BUILT
    pd.testing.assert_frame_equal(result.frame, read_campaigns(folder))
