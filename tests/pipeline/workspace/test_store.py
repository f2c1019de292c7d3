"""The workspace store: round trips, ordering, replace/rename/delete, damaged and missing files, atomic writes and
writers from two processes."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import types
from pathlib import Path

import pandas as pd
import pytest

from pipeline import config
from pipeline.workspace.store import (
    DatasetRecord,
    Workspace,
    WorkspaceError,
    open_workspace,
    workspace_location,
    workspace_path,
)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "workspace.duckdb")


def mixed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]),
            "stamp": pd.to_datetime(["2025-01-01 10:00", "2025-01-02 11:30", None]).tz_localize("Europe/Paris"),
            "platform": pd.Categorical(["Meta", "TikTok", "Meta"]),
            "campaign": pd.Series(["a", "b", None], dtype="string"),
            "spend": [1.5, 2.25, float("nan")],
            "clicks": pd.array([1, None, 3], dtype="Int64"),
            "rows": [1, 2, 3],
        }
    )


# ---------------------------------------------------------------- datasets


def test_dataset_round_trip_keeps_values_and_dtypes(ws: Workspace) -> None:
    frame = mixed_frame()
    frame.attrs["cache_token"] = "upload:abc"  # a session's token must not travel with the kept table
    other = pd.DataFrame({"user_id": [1, 2], "group": [0, 1]})
    record = ws.keep_dataset("  Q1 exports ", {"campaigns": frame, "tracking": other}, ["meta.csv", "tiktok.csv"])
    assert record.name == "Q1 exports"
    assert record.rows == 5
    loaded = ws.load_dataset(record.id)
    assert sorted(loaded) == ["campaigns", "tracking"]
    pd.testing.assert_frame_equal(loaded["campaigns"], frame)
    pd.testing.assert_frame_equal(loaded["tracking"], other)
    assert loaded["campaigns"].attrs == {}
    assert ws.dataset(record.id) == record
    assert ws.datasets() == [record]


def test_categories_keep_their_own_dtype(ws: Workspace) -> None:
    strings = pd.Series(["Meta", "TikTok", "Meta", None], dtype="string")  # what ingestion makes
    frame = pd.DataFrame(
        {
            "platform": strings.astype("category"),
            "device": pd.Categorical(["a", "b", "a", "b"]),
            "size": pd.Categorical([3, 1, 2, 3], categories=[3, 2, 1, 0], ordered=True),
            "day": pd.Categorical(pd.to_datetime(["2025-01-02", "2025-01-01", "2025-01-02", None])),
        }
    )
    record = ws.keep_dataset("categories", {"campaigns": frame}, ["f.csv"])
    loaded = ws.load_dataset(record.id)["campaigns"]
    pd.testing.assert_frame_equal(loaded, frame)
    assert loaded["platform"].cat.categories.dtype == pd.StringDtype()
    assert loaded["size"].cat.ordered


def test_pandas_default_string_columns_round_trip(ws: Workspace) -> None:
    frame = pd.DataFrame({"campaign": ["x", "y"], "device": ["mobile", None]})  # pandas' default str dtype
    record = ws.keep_dataset("strings", {"campaigns": frame}, ["f.csv"])
    pd.testing.assert_frame_equal(ws.load_dataset(record.id)["campaigns"], frame)


def test_datasets_are_listed_newest_first(ws: Workspace) -> None:
    names = ["first", "second", "third"]
    for name in names:
        ws.keep_dataset(name, {"campaigns": pd.DataFrame({"a": [1]})}, [f"{name}.csv"])
    assert [record.name for record in ws.datasets()] == names[::-1]
    assert [record.sources for record in ws.datasets()] == [["third.csv"], ["second.csv"], ["first.csv"]]


def test_rename_and_delete_dataset(ws: Workspace) -> None:
    keep = ws.keep_dataset("old", {"campaigns": pd.DataFrame({"a": [1, 2]})}, ["a.csv"])
    gone = ws.keep_dataset("other", {"campaigns": pd.DataFrame({"a": [3]})}, ["b.csv"])
    ws.rename_dataset(keep.id, " new name ")
    assert ws.dataset(keep.id).name == "new name"
    ws.delete_dataset(gone.id)
    assert [record.id for record in ws.datasets()] == [keep.id]
    assert ws.dataset(gone.id) is None
    with pytest.raises(WorkspaceError, match="No kept dataset"):
        ws.load_dataset(gone.id)
    with pytest.raises(WorkspaceError, match="No kept dataset"):
        ws.rename_dataset(gone.id, "again")
    ws.delete_dataset(gone.id)  # deleting twice is harmless


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "cannot be empty"), ("   ", "cannot be empty"), ("x" * 81, "keep it to 80"), ("a\nb", "line breaks")],
)
def test_bad_names_are_refused_with_a_sentence(ws: Workspace, name: str, message: str) -> None:
    with pytest.raises(WorkspaceError, match=message):
        ws.keep_dataset(name, {"campaigns": pd.DataFrame({"a": [1]})}, [])
    with pytest.raises(WorkspaceError, match=message):
        ws.save_scenario(name, {})
    assert not ws.path.exists()  # a refused name writes nothing


def test_a_name_of_80_characters_is_kept(ws: Workspace) -> None:
    assert ws.keep_dataset("x" * 80, {"t": pd.DataFrame({"a": [1]})}, []).name == "x" * 80


def test_a_dataset_needs_a_table(ws: Workspace) -> None:
    with pytest.raises(WorkspaceError, match="at least one named table"):
        ws.keep_dataset("empty", {}, [])


# ---------------------------------------------------------------- scenarios

PLAN = {"budget": 10_000.0, "days": 28, "spend": {"meta": [1.5, 2.5], "tiktok": [[1, 2], [3]]}, "note": None}


def test_scenario_round_trip_with_nested_lists(ws: Workspace) -> None:
    import numpy as np

    saved = ws.save_scenario("Plan A", {**PLAN, "mroas": np.float64(1.25)}, data_key="demo")
    assert saved.plan == {**PLAN, "mroas": 1.25}
    assert ws.scenario(saved.id) == saved
    assert ws.scenarios() == [saved]
    assert ws.scenario("nope") is None


def test_same_name_and_data_key_replaces_keeping_the_id(ws: Workspace) -> None:
    first = ws.save_scenario("Plan A", {"budget": 1}, data_key="demo")
    other_data = ws.save_scenario("Plan A", {"budget": 2}, data_key="kept:abc")
    again = ws.save_scenario("Plan A", {"budget": 3}, data_key="demo")
    assert again.id == first.id
    assert again.id != other_data.id
    assert [s.plan["budget"] for s in ws.scenarios("demo")] == [3]
    assert [s.plan["budget"] for s in ws.scenarios()] == [3, 2]  # newest first: the replaced one moved up


def test_scenarios_filter_by_data_key_and_newest_first(ws: Workspace) -> None:
    for name in ["one", "two", "three"]:
        ws.save_scenario(name, {"n": name}, data_key="demo")
    ws.save_scenario("elsewhere", {}, data_key="other")
    assert [s.name for s in ws.scenarios("demo")] == ["three", "two", "one"]
    assert [s.name for s in ws.scenarios("other")] == ["elsewhere"]
    assert [s.name for s in ws.scenarios()] == ["elsewhere", "three", "two", "one"]
    assert ws.scenarios("missing") == []


def test_delete_scenario(ws: Workspace) -> None:
    keep = ws.save_scenario("keep", {})
    gone = ws.save_scenario("gone", {})
    ws.delete_scenario(gone.id)
    assert ws.scenarios() == [keep]
    ws.delete_scenario(gone.id)


def test_a_plan_that_is_not_json_is_refused(ws: Workspace) -> None:
    with pytest.raises(WorkspaceError, match="cannot be saved as JSON"):
        ws.save_scenario("bad", {"x": object()})
    with pytest.raises(WorkspaceError, match="dictionary"):
        ws.save_scenario("bad", ["not", "a", "dict"])  # type: ignore[arg-type]


# ---------------------------------------------------------------- files


def test_missing_file_reads_empty_and_is_created_on_first_write(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "workspace.duckdb"
    ws = Workspace(path)
    assert (ws.datasets(), ws.scenarios(), ws.dataset("x"), ws.scenario("x")) == ([], [], None, None)
    ws.delete_dataset("x")
    ws.delete_scenario("x")
    assert not path.exists()
    ws.save_scenario("first", {})
    assert path.exists()
    assert [s.name for s in Workspace(path).scenarios()] == ["first"]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_damaged_file_is_reported_and_left_untouched(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "workspace.duckdb"
    ws = Workspace(path)  # opened before the damage, as the app's cached workspace would be
    kept = ws.keep_dataset("big", {"t": pd.DataFrame({"a": range(50_000)})}, ["a.csv"])
    raw = path.read_bytes()
    damaged = {"garbage": b"\x00not a database\xff" * 500, "truncated": raw[: len(raw) * 2 // 5], "empty": b""}
    path.write_bytes(damaged[damage])
    with pytest.raises(WorkspaceError) as caught:
        Workspace(path)
    message = str(caught.value)
    assert message == f"The workspace file {path} is damaged or not a workspace, so it was left untouched."
    for call in (
        lambda: ws.load_dataset(kept.id),
        lambda: ws.keep_dataset("x", {"t": pd.DataFrame({"a": [1]})}, []),
        lambda: ws.save_scenario("x", {}),
        lambda: ws.rename_dataset(kept.id, "y"),
        lambda: ws.delete_dataset(kept.id),
    ):
        with pytest.raises(WorkspaceError, match="left untouched"):
            call()
    for listing in (ws.datasets, ws.scenarios):  # may still be readable in a truncated file, but never crash
        try:
            listing()
        except WorkspaceError as exc:
            assert "left untouched" in str(exc)
    assert path.read_bytes() == damaged[damage]


def test_a_failure_in_the_middle_of_a_write_keeps_the_previous_state(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = ws.keep_dataset("kept", {"campaigns": pd.DataFrame({"a": [1]})}, ["a.csv"])
    calls = {"tables": 0}

    class Crash(RuntimeError):
        pass

    def execute(con: object, sql: str, *args: object) -> object:
        if sql.startswith("INSERT INTO dataset_tables"):
            calls["tables"] += 1
            if calls["tables"] == 2:  # the dataset row and its first table are already written
                raise Crash("disk pulled")
        return con.execute(sql, *args)

    with monkeypatch.context() as patch:
        patch.setattr(Workspace, "_connect", _connect_with(execute))
        with pytest.raises(Crash):
            ws.keep_dataset(
                "half", {"campaigns": pd.DataFrame({"a": [2]}), "tracking": pd.DataFrame({"b": [3]})}, ["b.csv"]
            )
    assert ws.datasets() == [kept]
    assert sorted(ws.load_dataset(kept.id)) == ["campaigns"]
    again = Workspace(ws.path)  # a fresh open sees the same
    assert [record.name for record in again.datasets()] == ["kept"]


def _connect_with(execute: object) -> object:
    """Workspace._connect whose connection runs `execute` (con, sql, *args) instead of DuckDB's execute."""
    from contextlib import contextmanager

    original = Workspace._connect

    @contextmanager
    def connect(self: Workspace):
        with original(self) as con:
            yield _Proxy(con, execute)

    return connect


class _Proxy:
    def __init__(self, con: object, execute: object) -> None:
        self._con, self._execute = con, execute

    def execute(self, sql: str, *args: object) -> object:
        return self._execute(self._con, sql, *args)


def test_a_failed_rename_keeps_the_old_name(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    record = ws.keep_dataset("before", {"t": pd.DataFrame({"a": [1]})}, [])

    def execute(con: object, sql: str, *args: object) -> object:
        result = con.execute(sql, *args)
        if sql.startswith("UPDATE datasets"):
            raise KeyboardInterrupt  # even an interrupt after the UPDATE ran is rolled back
        return result

    monkeypatch.setattr(Workspace, "_connect", _connect_with(execute))
    with pytest.raises(KeyboardInterrupt):
        ws.rename_dataset(record.id, "after")
    monkeypatch.undo()
    assert ws.dataset(record.id).name == "before"


# ---------------------------------------------------------------- processes


@pytest.fixture
def plain_main(monkeypatch: pytest.MonkeyPatch) -> None:
    """A spawned child first re-runs the parent's __main__ file; in a test worker that has run an AppTest, that is
    a page script. An empty __main__ makes the child import only the target's own module."""
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))


def _writer(path: str, prefix: str, count: int, start: object) -> None:
    ws = Workspace(Path(path))
    start.wait(timeout=60)  # both processes begin writing together, after their slow imports
    for index in range(count):
        ws.save_scenario(f"{prefix}-{index}", {"i": index, "who": prefix}, data_key="demo")
        ws.keep_dataset(f"{prefix}-{index}", {"t": pd.DataFrame({"i": [index] * (index + 1)})}, [f"{prefix}.csv"])
        ws.datasets()


@pytest.mark.usefixtures("plain_main")
def test_two_processes_writing_at_once_leave_a_consistent_store(tmp_path: Path) -> None:
    path = tmp_path / "workspace.duckdb"
    context = multiprocessing.get_context("spawn")  # a clean interpreter, as the CLI or the API would be
    start = context.Barrier(2)
    workers = [context.Process(target=_writer, args=(str(path), who, 8, start)) for who in ("app", "cli")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    ws = Workspace(path)
    expected = {f"{who}-{i}" for who in ("app", "cli") for i in range(8)}
    assert {s.name for s in ws.scenarios("demo")} == expected
    records: list[DatasetRecord] = ws.datasets()
    assert {r.name for r in records} == expected
    for record in records:
        index = int(record.name.split("-")[1])
        table = ws.load_dataset(record.id)["t"]
        assert record.rows == len(table) == index + 1
        assert set(table["i"]) == {index}


def test_workspace_path_honours_app_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_WORKSPACE", raising=False)
    assert workspace_path(tmp_path) == tmp_path / "workspace.duckdb"
    monkeypatch.setenv("APP_WORKSPACE", str(tmp_path / "elsewhere.duckdb"))
    assert workspace_path(tmp_path) == tmp_path / "elsewhere.duckdb"


def test_the_workspace_file_can_be_set_in_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_WORKSPACE", raising=False)
    monkeypatch.setattr(config, "SECRETS_PATH", tmp_path / "secrets.toml")
    (tmp_path / "secrets.toml").write_text(f'[workspace]\nlocation = "{tmp_path / "team.duckdb"}"\n')
    assert workspace_path(tmp_path) == tmp_path / "team.duckdb"
    assert workspace_location(tmp_path) == str(tmp_path / "team.duckdb")
    store = open_workspace(workspace_location(tmp_path))
    assert isinstance(store, Workspace) and store.path == tmp_path / "team.duckdb"
    monkeypatch.setenv("APP_WORKSPACE", str(tmp_path / "mine.duckdb"))  # the environment wins
    assert workspace_location(tmp_path) == str(tmp_path / "mine.duckdb")
    monkeypatch.setenv("APP_WORKSPACE", "postgresql://team@db.example/workspace")  # a database, not a file
    assert workspace_path(tmp_path) == tmp_path / "workspace.duckdb"
    assert workspace_location(tmp_path) == "postgresql://team@db.example/workspace"


def test_unreadable_secrets_are_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_WORKSPACE", raising=False)
    monkeypatch.setattr(config, "SECRETS_PATH", tmp_path / "secrets.toml")
    (tmp_path / "secrets.toml").write_text("[workspace\nlocation = 1")
    with pytest.raises(WorkspaceError, match=r"^secrets.toml is not valid TOML, so its \[workspace\] settings"):
        workspace_location(tmp_path)


def _crash_mid_write(path: str) -> None:
    """Insert a dataset row inside the write's transaction, then die before COMMIT, as a killed process would."""
    ws = Workspace(Path(path))

    def change(con: object) -> None:
        con.execute("INSERT INTO datasets VALUES ('dead', 'half', '[]', 1, now()::TIMESTAMP, 99)")
        os._exit(3)

    ws._write(change)


@pytest.mark.usefixtures("plain_main")
def test_a_process_killed_mid_write_leaves_the_previous_state(ws: Workspace) -> None:
    kept = ws.keep_dataset("kept", {"t": pd.DataFrame({"a": [1, 2]})}, ["a.csv"])
    worker = multiprocessing.get_context("spawn").Process(target=_crash_mid_write, args=(str(ws.path),))
    worker.start()
    worker.join(timeout=120)
    assert worker.exitcode == 3
    again = Workspace(ws.path)  # the lock died with the process; the uncommitted row is gone
    assert again.datasets() == [kept]
    assert again.dataset("dead") is None
    again.save_scenario("after", {})  # and the file takes writes again
    assert [s.name for s in again.scenarios()] == ["after"]


def test_threads_of_one_process_take_turns(ws: Workspace) -> None:
    """The app serves every session from threads of one process: their writes are serialised too."""

    def write(prefix: str) -> None:
        for index in range(10):
            ws.save_scenario(f"{prefix}-{index}", {"i": index})

    threads = [threading.Thread(target=write, args=(prefix,)) for prefix in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(ws.scenarios()) == 30
